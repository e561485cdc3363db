"""In the browser: a workflow numbers and modifies an invoice, the operator compares the
earlier revision on the entry page and restores it; the Actions page documents both."""

import pytest
from playwright.sync_api import expect

from silo.models import Entry
from tests.factories import invoice, make_entry
from tests.jobs.flows import run_flow

pytestmark = pytest.mark.browser


def test_restore_the_revision_before_a_workflow_changed_it(login, alice, screenshot):
    _, workspace = alice
    doc = invoice(supplier="Acme Supplies S.L.")
    del doc["doc"]["code"]
    entry = make_entry(workspace, doc)
    steps = [
        {"id": "n", "provider": "sequence.assign", "config": {"prefix": "F-"}},
        {"id": "m", "provider": "doc.modify", "config": {"set": {"supplier.name": "Wrong S.A."}}},
    ]
    assert run_flow(workspace, steps, entry=entry).status == "OK"

    page = login("alice")
    page.goto(f"/silo/{entry.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("F-0001")
    page.get_by_role("link", name="Revisions").click()

    changes = page.locator("table.changes")
    expect(changes).to_contain_text("doc.supplier.name")
    expect(changes.locator("del")).to_have_text("Wrong S.A.")
    expect(changes.locator("ins")).to_have_text("Acme Supplies S.L.")
    screenshot(page, "entry-revisions")

    page.get_by_role("button", name="Restore revision 2").click()

    expect(page.get_by_text("Revision 2 restored.")).to_be_visible()
    expect(page.get_by_text("Revision 4 ·")).to_be_visible()
    restored = Entry.objects.get(pk=entry.pk)
    assert restored.doc["doc"]["supplier"]["name"] == "Acme Supplies S.L."
    assert restored.code == "F-0001"  # revision 2 already had its number


def test_the_actions_page_documents_the_catalogue(login, alice, screenshot):
    page = login("alice")
    page.get_by_role("link", name="Actions").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Actions")
    vies = page.locator("#action-vies\\.lookup")
    expect(vies).to_contain_text("not_registered")
    expect(vies.locator("table.config-fields")).to_contain_text("vat_number")
    screenshot(page, "actions-catalogue")

    page.get_by_label("Search actions").fill("sequence")
    page.get_by_role("button", name="Search").click()

    expect(page.locator("article.catalogue-action")).to_have_count(1)
    expect(page.locator("article.catalogue-action")).to_contain_text("yearly_reset")
