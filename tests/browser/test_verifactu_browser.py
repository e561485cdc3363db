"""A newcomer's VERI*FACTU: run "Spain: VERI*FACTU" on a Spanish invoice from its page,
then see the AEAT's answer, the fingerprint and the QR on the entry page, the QR and the
legend in the PDF, and the record on the issuer's chain page. The local test AEAT
answers over mutual TLS, as the AEAT will."""

import re
import subprocess

import pytest
from playwright.sync_api import expect

from silo.services import create_entry
from tests.agencies.conftest import configure
from tests.agencies.verifactu_samples import invoice
from workflows import starters
from workflows.agencies.aeat.local_server import LocalAEAT
from workflows.agencies.models import Record
from workflows.services import create_workflow

pytestmark = pytest.mark.browser

ISSUER = "B98602642"  # the supplier of the GOBL examples, the demo's Spanish invoices


@pytest.fixture
def aeat(settings):
    """The local test AEAT, offered as the "local" environment (as make run does)."""
    with LocalAEAT(wait_seconds=0) as server:
        settings.AEAT_LOCAL_URL = server.url
        settings.AEAT_LOCAL_CA = server.ca_file
        yield server


def test_run_the_spanish_template_and_see_registration_qr_and_chain(
    login,
    alice,
    aeat,
    worker,
    screenshot,
):
    workspace = alice.workspace
    configure(workspace, aeat, nif=ISSUER, name="Provide One S.L.")  # as make run does
    entry, _ = create_entry(workspace, invoice(code="004"))
    create_workflow(workspace, starters.get("spain-verifactu"))
    page = login("alice")

    page.goto(f"/silo/{entry.pk}/")
    page.get_by_role("button", name="Run Workflow").click()
    panel = page.get_by_role("dialog", name="Run a workflow")
    panel.get_by_label("Spain: VERI*FACTU").check()
    panel.get_by_role("button", name="Run workflow").click()
    panel.get_by_role("link", name="Open the job →").click()
    expect(page.get_by_test_id("job-status")).to_have_text("OK")
    screenshot(page, "verifactu-job")

    page.goto(f"/silo/{entry.pk}/")
    registration = page.get_by_role("region", name="VERI*FACTU registration")
    expect(registration.locator(".badge.verifactu")).to_have_text("Accepted")
    record = Record.objects.get()
    expect(registration).to_contain_text(record.fingerprint)
    expect(registration.locator("#verifactu-qr svg")).to_be_visible()
    expect(registration.locator("#verifactu-qr")).to_contain_text("VERI*FACTU")
    qr_link = registration.get_by_role("link", name="The address it encodes")
    expect(qr_link).to_have_attribute("href", re.compile(rf"/ValidarQR\?nif={ISSUER}&numserie="))
    screenshot(page, "verifactu-entry")

    page.get_by_role("link", name="Attachments").click()
    attachments = page.locator("table.attachments")
    expect(attachments).to_contain_text(f"verifactu-{ISSUER}-1-request.xml")
    expect(attachments).to_contain_text(f"verifactu-{ISSUER}-1-answer.xml")
    expect(attachments).to_contain_text("SAMPLE-004.pdf")
    with page.expect_download() as download:
        attachments.locator("tr", has_text="SAMPLE-004.pdf").get_by_role(
            "link", name="Download"
        ).click()
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", download.value.path(), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "VERI*FACTU" in text
    assert "Factura verificable en la sede electrónica de la AEAT" in text

    page.get_by_role("banner").get_by_role("link", name="Silo").click()
    page.get_by_role("link", name="VERI*FACTU chains").click()
    page.get_by_role("link", name=ISSUER).click()
    row = page.locator("#record-1")
    expect(row).to_contain_text("SAMPLE-004")
    expect(row.locator(".badge.verifactu")).to_have_text("Accepted")
    screenshot(page, "verifactu-chain")
    assert aeat.held(ISSUER)[0]["fingerprint"] == record.fingerprint
