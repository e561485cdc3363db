"""A workflow prints an invoice; its PDF shows in the entry's Attachments tab and downloads."""

import threading

import pytest
from playwright.sync_api import expect

from silo.models import Attachment
from silo.services import create_entry
from tests.factories import load_gobl
from tests.jobs.flows import run_flow

pytestmark = pytest.mark.browser


def print_in_a_thread(workspace, entry):
    """The engine reports progress through channels' async_to_sync, which refuses to
    run in the thread Playwright's loop occupies."""
    worker = threading.Thread(
        target=run_flow,
        args=(workspace, [{"id": "print", "provider": "pdf.generate", "config": {}}]),
        kwargs={"entry": entry},
    )
    worker.start()
    worker.join(timeout=60)


def test_the_printed_invoice_is_previewed_and_downloaded(login, alice):
    entry, _ = create_entry(alice.workspace, load_gobl("es-invoice-es-es-freelance.json"))
    print_in_a_thread(alice.workspace, entry)
    attachment = Attachment.objects.get(entry=entry)
    page = login("alice")

    with page.expect_response(lambda r: f"/attachments/{attachment.pk}/" in r.url) as shown:
        page.goto(f"/silo/{entry.pk}/?tab=attachments")

    expect(page.locator("table.attachments")).to_contain_text("SAMPLE-001.pdf")
    expect(page.locator("iframe.pdf-preview")).to_be_visible()
    assert shown.value.status == 200
    assert shown.value.headers["content-type"] == "application/pdf"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "SAMPLE-001.pdf"
