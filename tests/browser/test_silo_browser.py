import pytest
from playwright.sync_api import expect

from console.models import Membership, Workspace
from silo.services import create_entry
from tests.factories import load_gobl

pytestmark = pytest.mark.browser


@pytest.fixture
def acme_invoices(alice):
    workspace = alice.workspace
    for name in (
        "es-invoice-es-es-freelance.json",  # MªF. Services, payable 1717.20 EUR
        "de-invoice-de-de-stnr.json",  # Provide One GmbH
        "es-invoice-es-pt-digital.json",  # Provide One S.L.
    ):
        create_entry(workspace, load_gobl(name))


def test_find_an_invoice_by_supplier_and_read_its_total(login, alice, acme_invoices, screenshot):
    page = login("alice")
    page.get_by_role("link", name="Silo").click()
    rows = page.locator("table.entries tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Search").fill("services")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("MªF. Services")
    rows.get_by_role("link", name="SAMPLE-001").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("SAMPLE-001")
    expect(page.get_by_test_id("payable")).to_have_text("1717.20 EUR")
    screenshot(page, "silo-entry")


def test_the_workspace_switcher_shows_the_other_workspace(login, alice, acme_invoices):
    sandbox = Workspace.objects.create(name="Sandbox")
    Membership.objects.create(user=alice.user, workspace=sandbox)
    create_entry(sandbox, load_gobl("fr-invoice-de-fr-choruspro.json"))
    page = login("alice")
    rows = page.locator("table.entries tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Workspace").select_option(label="Sandbox")

    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Provide One Inc.")
    expect(page.get_by_label("Workspace")).to_have_value(str(sandbox.pk))
