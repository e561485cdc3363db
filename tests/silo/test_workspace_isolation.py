"""Nothing of bob's is reachable from alice's session, on any silo URL."""

import pytest
from django.urls import reverse

from silo.models import Entry
from silo.services import add_attachment
from tests.factories import invoice, make_entry


@pytest.fixture
def bobs_entry(bob):
    entry = make_entry(
        bob.workspace, invoice("BOB-1", supplier="Bob Secret Supplier"), key="bob-key"
    )
    attachment = add_attachment(entry, "bob.pdf", b"%PDF-1.4 bob")
    return entry, attachment


def test_every_silo_url_of_bobs_entry_is_a_404_for_alice(alice_client, bobs_entry):
    entry, attachment = bobs_entry
    entry_url = reverse("silo:entry", args=[entry.pk])
    attachment_url = reverse("silo:attachment", args=[entry.pk, attachment.pk])

    for url in [
        entry_url,
        *(f"{entry_url}?tab={tab}" for tab in ("document", "json", "attachments", "activity")),
        reverse("silo:run_panel", args=[entry.pk]),
        attachment_url,
        f"{attachment_url}?inline=1",
    ]:
        assert alice_client.get(url).status_code == 404, url

    response = alice_client.post(
        reverse("silo:edit", args=[entry.pk]), {"state": "void", "meta": "", "version": 1}
    )
    assert response.status_code == 404
    assert Entry.objects.get(pk=entry.pk).state == "draft"


def test_bobs_attachment_under_alices_entry_is_a_404(alice_client, alice, bobs_entry):
    _, attachment = bobs_entry
    alices = make_entry(alice.workspace)

    url = reverse("silo:attachment", args=[alices.pk, attachment.pk])

    assert alice_client.get(url).status_code == 404


def test_bobs_entries_are_not_listed_or_found_for_alice(alice_client, bobs_entry):
    for params in ({}, {"q": "bob secret"}, {"q": "BOB-1"}, {"schema": "bill/invoice"}):
        response = alice_client.get(reverse("silo:list"), params)
        assert response.context["page"].entries == [], params
        assert "Bob Secret Supplier" not in response.content.decode(), params


def test_the_same_key_in_two_workspaces_makes_two_entries(alice_client, alice, bobs_entry):
    entry = make_entry(alice.workspace, invoice("ALICE-1"), key="bob-key")

    assert entry.pk != bobs_entry[0].pk
    assert entry.workspace == alice.workspace
