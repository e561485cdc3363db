"""The entry page's Revisions tab: earlier documents, what differs from the current one,
and Restore (POST, CSRF, optimistic concurrency, logged)."""

import copy

from django.test import Client
from django.urls import reverse

from silo.models import Activity, Entry, Revision
from silo.services import update_entry
from tests.factories import invoice, make_entry


def renamed(entry, name):
    doc = copy.deepcopy(entry.doc)
    doc["doc"]["supplier"]["name"] = name
    return update_entry(entry, doc=doc)


def tab(client, entry, **query):
    url = reverse("silo:entry", args=[entry.pk])
    return client.get(url, {"tab": "revisions", **query})


def restore(client, entry, number, version):
    url = reverse("silo:restore_revision", args=[entry.pk, number])
    return client.post(url, {"version": version})


def test_the_tab_lists_revisions_and_what_restoring_would_change(alice_client, alice):
    entry = make_entry(alice.workspace, invoice(supplier="Acme Supplies S.L."))
    renamed(entry, "Renamed <b>Ltd</b>")

    response = tab(alice_client, entry)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Revision 1" in html
    assert "Revision 1 compared with the current document (revision 2)" in html
    assert "<code>doc.supplier.name</code>" in html
    assert "<del>Renamed &lt;b&gt;Ltd&lt;/b&gt;</del>" in html  # escaped
    assert "<ins>Acme Supplies S.L.</ins>" in html
    assert "<td><code>doc.currency</code></td>" not in html  # only changed fields
    assert "&quot;name&quot;: &quot;Acme Supplies S.L.&quot;" in html  # its JSON
    assert 'name="version" value="2"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_an_older_revision_can_be_picked(alice_client, alice):
    entry = make_entry(alice.workspace, invoice(supplier="First"))
    renamed(entry, "Second")
    renamed(entry, "Third")

    html = tab(alice_client, entry, revision="1").content.decode()

    assert "Revision 1 compared with the current document (revision 3)" in html
    assert "<ins>First</ins>" in html and "<del>Third</del>" in html
    assert "?tab=revisions&amp;revision=2" in html


def test_restore_brings_the_old_document_back_and_keeps_the_replaced_one(alice_client, alice):
    user, workspace = alice
    entry = make_entry(workspace, invoice(supplier="Original"))
    original = copy.deepcopy(entry.doc)
    renamed(entry, "Changed")

    response = restore(alice_client, entry, 1, version=2)

    assert response.status_code == 302
    assert response["Location"].endswith("?tab=revisions")
    entry = Entry.objects.get(pk=entry.pk)
    assert entry.doc == original
    assert entry.supplier_name == "Original"
    assert entry.version == 3
    kept = Revision.objects.get(entry=entry, number=2)
    assert kept.doc["doc"]["supplier"]["name"] == "Changed"
    assert kept.actor == user
    logged = Activity.objects.get(entry=entry, message="Restored revision 1")
    assert logged.actor == user
    page = alice_client.get(response["Location"]).content.decode()
    assert "Revision 1 restored" in page


def test_a_stale_restore_is_refused_and_writes_nothing(alice_client, alice):
    entry = make_entry(alice.workspace, invoice(supplier="Original"))
    renamed(entry, "Changed")
    renamed(entry, "Changed again")  # someone else, after the page was opened at 2

    response = restore(alice_client, entry, 1, version=2)

    assert response.status_code == 302
    entry = Entry.objects.get(pk=entry.pk)
    assert entry.supplier_name == "Changed again"
    assert entry.version == 3
    page = alice_client.get(response["Location"]).content.decode()
    assert "changed by someone else" in page


def test_a_restore_without_a_version_changes_nothing(alice_client, alice):
    entry = make_entry(alice.workspace)
    renamed(entry, "Changed")

    response = alice_client.post(reverse("silo:restore_revision", args=[entry.pk, 1]))

    assert response.status_code == 302
    assert Entry.objects.get(pk=entry.pk).version == 2


def test_no_revisions_yet(alice_client, alice):
    entry = make_entry(alice.workspace)
    html = tab(alice_client, entry).content.decode()
    assert "No earlier revisions" in html


def test_another_workspace_gets_404(client, alice, bob):
    entry = make_entry(alice.workspace)
    renamed(entry, "Changed")
    client.force_login(bob.user)

    assert tab(client, entry).status_code == 404
    assert restore(client, entry, 1, version=2).status_code == 404
    assert Entry.objects.get(pk=entry.pk).version == 2


def test_unknown_revision_is_404_and_get_is_not_allowed(alice_client, alice):
    entry = make_entry(alice.workspace)
    renamed(entry, "Changed")
    url = reverse("silo:restore_revision", args=[entry.pk, 1])

    assert restore(alice_client, entry, 7, version=2).status_code == 404
    assert alice_client.get(url).status_code == 405


def test_restore_needs_login_and_a_csrf_token(alice):
    entry = make_entry(alice.workspace)
    renamed(entry, "Changed")
    url = reverse("silo:restore_revision", args=[entry.pk, 1])

    anonymous = Client().post(url, {"version": 2})
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice.user)
    forged = strict.post(url, {"version": 2})

    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert forged.status_code == 403
    assert Entry.objects.get(pk=entry.pk).version == 2
