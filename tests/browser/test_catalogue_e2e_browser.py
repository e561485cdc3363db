"""End to end, as an operator works: build a workflow from the action catalogue in the
canvas editor (print the PDF, email it, mark the invoice sent), run it from an
invoice's page, and find the PDF attached, the state sent and the email delivered to
a real SMTP server on loopback. The job really runs, on the engine thread of
``test_run_browser``."""

import pytest
from playwright.sync_api import expect

from console.workspace_settings import update_settings
from silo.models import Entry
from silo.services import create_entry
from tests.actions.receivers import SmtpReceiver
from tests.factories import load_gobl
from workflows.models import Workflow

pytestmark = pytest.mark.browser


def pick_from_catalogue(page, add_button, query, action):
    """Open the catalogue at ``add_button``, search, and choose the one action found."""
    add_button.click()
    page.get_by_label("Search actions").fill(query)
    found = page.locator(".catalogue-item:visible")
    expect(found).to_have_count(1)
    expect(found.locator("strong")).to_have_text(action)
    found.click()
    sidebar = page.locator("#sidebar")
    expect(sidebar.locator(".config-form h2")).to_have_text(action)
    return sidebar


def test_build_from_the_catalogue_run_on_an_invoice_and_receive_the_email(
    login,
    alice,
    worker,  # noqa: F811
    screenshot,
):
    workspace = alice.workspace
    entry, _ = create_entry(workspace, load_gobl("es-invoice-es-es-freelance.json"))
    with SmtpReceiver() as smtp:
        update_settings(
            workspace,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="none",
            smtp_from="Billing <billing@acme.test>",
            allow_private_network=True,  # the SMTP server is on loopback
        )
        page = login("alice")

        # Build: Empty Invoice template, then three actions from the catalogue.
        page.get_by_role("navigation").get_by_role("link", name="Workflows").click()
        page.get_by_role("link", name="+ Create workflow").click()
        page.get_by_role("dialog", name="Create a workflow").get_by_role(
            "link", name="Empty Invoice workflow"
        ).click()
        picker = page.get_by_role("dialog", name="Empty Invoice workflow")
        picker.get_by_label("Name").fill("Print, email, mark sent")
        picker.get_by_role("button", name="Load Template").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Print, email, mark sent")
        page.wait_for_load_state()  # htmx (a deferred script) is ready before the first click
        main = page.locator(".main-flow")
        cards = main.get_by_test_id("step-card")
        expect(cards).to_have_count(0)

        pick_from_catalogue(page, main.locator(".add-step").last, "pdf", "Generate PDF")
        sidebar = pick_from_catalogue(page, main.locator(".add-step").last, "email", "Send email")
        sidebar.get_by_label("To", exact=True).fill("customer@example.com")
        sidebar.get_by_label("Subject").fill("Invoice {{ doc.code }}")
        sidebar.get_by_label("Body").fill("Dear customer, invoice {{ doc.code }} is attached.")
        sidebar.get_by_label("Attachments").fill("*.pdf")
        sidebar.get_by_role("button", name="Apply").click()
        expect(sidebar.get_by_text("Applied.")).to_be_visible()
        sidebar = pick_from_catalogue(
            page, main.locator(".add-step").last, "set state", "Set state"
        )
        sidebar.get_by_label("State").select_option("sent")
        page.get_by_role("button", name="Save", exact=True).click()  # applies the form first
        expect(page.get_by_text("Saved as version 2.")).to_be_visible()
        expect(cards).to_have_count(3)
        expect(cards.nth(2)).to_contain_text("state: sent")
        screenshot(page, "catalogue-e2e-workflow")

        # Run it from the invoice's page and wait for the job to end.
        page.get_by_role("navigation").get_by_role("link", name="Silo").click()
        page.get_by_role("link", name="SAMPLE-001").click()
        page.get_by_role("button", name="Run Workflow").click()
        panel = page.get_by_role("dialog", name="Run a workflow")
        panel.get_by_label("Print, email, mark sent").check()
        panel.get_by_role("button", name="Run workflow").click()
        panel.get_by_role("link", name="Open the job →").click()
        expect(page.get_by_test_id("job-status")).to_have_text("OK", timeout=30_000)
        steps = page.locator("ol.timeline > li")
        expect(steps).to_have_count(3)
        expect(steps.nth(1)).to_contain_text("Sent to customer@example.com with SAMPLE-001.pdf")

        # What the operator sees on the invoice.
        page.goto(f"/silo/{entry.pk}/")
        expect(page.locator("#entry-facts .badge.state")).to_have_text("Sent")
        page.get_by_role("navigation", name="Entry").get_by_role("link", name="Attachments").click()
        row = page.locator("table.attachments tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("SAMPLE-001.pdf")
        expect(row).to_contain_text("application/pdf")
        screenshot(page, "catalogue-e2e-entry")

    definition = Workflow.objects.get(workspace=workspace).current().definition
    assert [s["provider"] for s in definition["steps"]] == [
        "pdf.generate",
        "email.send",
        "silo.state",
    ]
    assert Entry.objects.get(pk=entry.pk).state == "sent"
    [(recipients, message)] = smtp.messages
    assert recipients == ["customer@example.com"]
    assert message["Subject"] == "Invoice SAMPLE-001"
    assert "invoice SAMPLE-001 is attached" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    pdf = entry.attachments.get()
    assert attachment.get_filename() == pdf.name == "SAMPLE-001.pdf"
    assert attachment.get_content_type() == "application/pdf"
    with pdf.file.open("rb") as handle:
        assert attachment.get_content() == handle.read()
