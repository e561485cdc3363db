from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from silo import selectors
from silo.models import Entry
from silo.services import create_entry
from tests.factories import invoice


def walk(client, params=None):
    """Follow "Older →" from the first page to the last; the entries seen and pages."""
    seen, pages = [], 0
    params = dict(params or {})
    while True:
        response = client.get(reverse("silo:list"), params)
        assert response.status_code == 200
        pages += 1
        seen += [entry.pk for entry in response.context["page"].entries]
        cursor = response.context["page"].next_cursor
        if not cursor:
            return seen, pages
        assert response.context["next_url"] in response.content.decode().replace("&amp;", "&")
        params["cursor"] = cursor


def make_many(workspace, count):
    doc = invoice()
    for _ in range(count):
        create_entry(workspace, doc)


def test_walking_all_pages_returns_every_entry_once(alice_client, alice):
    make_many(alice.workspace, 2 * selectors.PAGE_SIZE + 7)

    seen, pages = walk(alice_client)

    assert pages == 3
    assert len(seen) == len(set(seen)) == 2 * selectors.PAGE_SIZE + 7
    newest_first = Entry.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
    assert seen == list(newest_first)


def test_entries_created_at_the_same_instant_are_not_lost(alice_client, alice):
    make_many(alice.workspace, selectors.PAGE_SIZE + 20)
    Entry.objects.update(created_at=timezone.now())

    seen, pages = walk(alice_client)

    assert pages == 2
    assert set(seen) == set(Entry.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen))


def test_pages_keep_the_search(alice_client, alice):
    make_many(alice.workspace, selectors.PAGE_SIZE + 5)
    for number in range(3):
        create_entry(alice.workspace, invoice(f"OTHER-{number}", supplier="Somebody Else"))

    seen, pages = walk(alice_client, {"q": "acme"})

    assert pages == 2
    assert len(set(seen)) == selectors.PAGE_SIZE + 5


def test_the_last_page_has_no_older_link_and_a_newest_link(alice_client, alice):
    make_many(alice.workspace, selectors.PAGE_SIZE + 1)
    first = alice_client.get(reverse("silo:list"))

    last = alice_client.get(reverse("silo:list"), {"cursor": first.context["page"].next_cursor})

    html = last.content.decode()
    assert "Older →" not in html
    assert "← Newest" in html
    assert len(last.context["page"].entries) == 1


def test_the_list_neither_counts_nor_offsets(alice_client, alice):
    make_many(alice.workspace, selectors.PAGE_SIZE + 1)
    cursor = alice_client.get(reverse("silo:list")).context["page"].next_cursor

    with CaptureQueriesContext(connection) as queries:
        alice_client.get(reverse("silo:list"), {"cursor": cursor, "q": "acme", "state": "draft"})

    sql = " ".join(query["sql"].upper() for query in queries)
    assert "COUNT(" not in sql
    assert "OFFSET" not in sql
    assert '"DOC"' not in sql  # the list never loads documents


def test_a_garbled_cursor_starts_from_the_newest(alice_client, alice):
    make_many(alice.workspace, 2)

    response = alice_client.get(reverse("silo:list"), {"cursor": "not-a-cursor!"})

    assert response.status_code == 200
    assert len(response.context["page"].entries) == 2
