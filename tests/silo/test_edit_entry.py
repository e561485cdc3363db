from django.urls import reverse

from silo.models import Activity, Entry
from silo.services import update_entry
from tests.factories import make_entry


def edit(client, entry, **fields):
    return client.post(reverse("silo:edit", args=[entry.pk]), fields)


def test_the_entry_page_has_a_state_and_meta_form_with_the_version(alice_client, alice):
    entry = make_entry(alice.workspace)
    update_entry(entry, meta={"erp": "42", "owner": "finance"})

    html = alice_client.get(reverse("silo:entry", args=[entry.pk])).content.decode()

    assert 'name="version" value="2"' in html
    assert "erp=42\nowner=finance" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_changing_state_and_meta(alice_client, alice):
    entry = make_entry(alice.workspace)

    response = edit(alice_client, entry, state="sent", meta="erp = 42\n\nowner=a=b\n", version=1)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == "sent"
    assert entry.meta == {"erp": "42", "owner": "a=b"}
    assert entry.version == 2
    kinds = set(Activity.objects.filter(entry=entry).values_list("kind", flat=True))
    assert kinds == {"created", "state", "edit"}


def test_a_stale_version_is_a_conflict_and_writes_nothing(alice_client, alice):
    entry = make_entry(alice.workspace)
    update_entry(entry, state="processing")  # someone else, meanwhile
    activity = Activity.objects.count()

    response = edit(alice_client, entry, state="void", meta="x=1", version=1)

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    fresh = Entry.objects.get(pk=entry.pk)
    assert (fresh.state, fresh.meta, fresh.version) == ("processing", {}, 2)
    assert Activity.objects.count() == activity
    assert 'name="version" value="2"' in response.content.decode()


def test_a_meta_line_without_equals_is_refused(alice_client, alice):
    entry = make_entry(alice.workspace)

    response = edit(alice_client, entry, state="draft", meta="just text", version=1)

    assert response.status_code == 400
    assert "Line 1 is not key=value" in response.content.decode()
    assert Entry.objects.get(pk=entry.pk).version == 1


def test_an_unknown_state_is_refused(alice_client, alice):
    entry = make_entry(alice.workspace)

    response = edit(alice_client, entry, state="lost", meta="", version=1)

    assert response.status_code == 400
    assert Entry.objects.get(pk=entry.pk).state == "draft"


def test_a_missing_version_is_refused(alice_client, alice):
    entry = make_entry(alice.workspace)

    response = edit(alice_client, entry, state="sent", meta="")

    assert response.status_code == 400
    assert Entry.objects.get(pk=entry.pk).state == "draft"


def test_saving_without_changes_writes_nothing(alice_client, alice):
    entry = make_entry(alice.workspace)

    response = edit(alice_client, entry, state="draft", meta="", version=1)

    assert response.status_code == 302
    assert Entry.objects.get(pk=entry.pk).version == 1
