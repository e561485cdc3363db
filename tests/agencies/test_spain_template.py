"""The ready-made "Spain: VERI*FACTU" workflow on a Spanish invoice, through the local
AEAT: registered, printed with its QR code and legend, marked sent."""

import os
import subprocess
from pathlib import Path

from jobs.services import create_job
from silo.models import Attachment, Entry
from silo.services import create_entry
from tests.agencies.conftest import configure
from tests.agencies.test_verifactu_send import ISSUER, NAME, finish
from tests.agencies.verifactu_samples import invoice
from workflows import starters
from workflows.agencies.models import Record
from workflows.services import create_workflow


def pdf_text(attachment):
    with attachment.file.open("rb") as handle:
        content = handle.read()
    command = ["pdftotext", "-enc", "UTF-8", "-", "-"]
    return subprocess.run(command, input=content, capture_output=True, check=True).stdout.decode()


def test_the_spanish_template_registers_prints_the_qr_and_marks_the_invoice_sent(alice, aeat):
    workspace = alice.workspace
    configure(workspace, aeat, nif=ISSUER, name=NAME)
    entry, _ = create_entry(workspace, invoice(code="004"))
    workflow, _ = create_workflow(workspace, starters.get("spain-verifactu"))

    job = finish(create_job(workspace, workflow, entry=entry)[0])

    assert job.status == "OK", list(job.intents.values_list("step_id", "status", "message"))
    assert Record.objects.get().state == "accepted"
    assert Entry.objects.get(pk=entry.pk).state == "sent"
    pdf = Attachment.objects.get(entry=entry, mime="application/pdf")
    text = pdf_text(pdf)
    assert "VERI*FACTU" in text
    assert "Factura verificable en la sede electrónica de la AEAT" in text
    if os.environ.get("VERIFACTU_PDF_DIR"):  # to look at it
        with pdf.file.open("rb") as handle:
            Path(os.environ["VERIFACTU_PDF_DIR"], "spain-verifactu.pdf").write_bytes(handle.read())


def test_a_customer_nif_unknown_to_the_aeat_sends_the_invoice_to_error(alice, aeat):
    workspace = alice.workspace
    configure(workspace, aeat, nif=ISSUER, name=NAME)
    aeat.fail("code", code="1109", invoice="SAMPLE-004")
    entry, _ = create_entry(workspace, invoice(code="004"))
    workflow, _ = create_workflow(workspace, starters.get("spain-verifactu"))

    job = finish(create_job(workspace, workflow, entry=entry)[0])

    assert job.intents.get(step_id="register").code == "1109"
    assert job.intents.filter(step_id="unknown-nif", status="OK").exists()
    assert Entry.objects.get(pk=entry.pk).state == "error"
    assert not Attachment.objects.filter(entry=entry, mime="application/pdf").exists()
