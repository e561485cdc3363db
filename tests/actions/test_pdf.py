"""pdf.generate: every GOBL example prints with its code, parties and total in the
document's own number format; the PDF is attached, replaced on a rerun, and refused
with ``invalid_document`` when the document lacks what an invoice needs."""

import contextlib
import copy
import json
import re
import subprocess
import tempfile
import threading
from base64 import b64encode
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.services import create_job
from silo import documents
from silo.models import Attachment
from silo.services import add_attachment, create_entry
from tests.factories import GOBL_DIR, invoice, load_gobl, make_entry, make_member
from tests.jobs.flows import finish, run_flow
from workflows.actions import pdf, registry
from workflows.services import create_workflow

# A 1x1 red PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)

PRINTABLE = sorted(
    path.name
    for path in GOBL_DIR.glob("*.json")
    if documents.schema_of(json.loads(path.read_text())) in pdf.GeneratePdf.schemas
)


def text_of(pdf_bytes, layout=False):
    """The PDF's text as pdftotext reads it, with every run of spaces made one space.

    ``layout`` keeps each printed row on one line (a label beside its amount); without
    it, a block's lines stay together (a party name that wraps).
    """
    command = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    result = subprocess.run(command, input=pdf_bytes, capture_output=True, check=True)
    return squash(result.stdout.decode())


def image_count(pdf_bytes):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf_bytes)
        file.flush()
        listing = subprocess.run(
            ["pdfimages", "-list", file.name], capture_output=True, check=True
        ).stdout.decode()
    return len(listing.strip().splitlines()) - 2  # two header lines


def squash(text):
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def step(step_id="print", **config):
    return {"id": step_id, "provider": "pdf.generate", "config": config}


def intent(job, step_id="print"):
    return job.intents.get(step_id=step_id)


@pytest.mark.parametrize("name", PRINTABLE)
def test_every_gobl_example_prints_its_code_parties_and_total(name):
    doc = load_gobl(name)
    inner = documents.body(doc)
    style = pdf.STYLES[PRINTABLE.index(name) % len(pdf.STYLES)]  # both styles, half each

    printed = pdf.render_pdf(pdf.layout(documents.schema_of(doc), doc), style=style)
    text = text_of(printed)

    if inner["$schema"].endswith("org/party"):
        assert squash(inner["name"]) in text
        return
    code = documents.invoice_code(inner)
    assert (code or "Draft, not numbered yet") in text
    assert squash(inner["supplier"]["name"]) in text
    if inner.get("customer", {}).get("name"):
        assert squash(inner["customer"]["name"]) in text
    locale = pdf.document_locale(inner)
    payable = format_currency(Decimal(inner["totals"]["payable"]), inner["currency"], locale=locale)
    assert f"Payable {squash(payable)}" in text_of(printed, layout=True)


def test_amounts_follow_the_currency_and_the_suppliers_country():
    spanish = text_of(pdf.render_pdf(pdf.layout("bill/invoice", invoice())), layout=True)
    american = text_of(
        pdf.render_pdf(pdf.layout("bill/invoice", load_gobl("us-invoice-us-us.json"))),
        layout=True,
    )
    us_payable = documents.body(load_gobl("us-invoice-us-us.json"))["totals"]["payable"]

    assert "Payable 1.717,20 €" in spanish
    assert "Price" in spanish and "90,00 €" in spanish and "21 %" in spanish
    assert f"Payable ${Decimal(us_payable):,.2f}" in american


def test_a_locale_in_the_config_overrides_the_suppliers_country():
    page = pdf.layout("bill/invoice", invoice(), locale="en_US")

    text = text_of(pdf.render_pdf(page), layout=True)

    assert "Payable €1,717.20" in text


def test_the_action_attaches_the_pdf_named_after_the_invoice_code(alice):
    entry = make_entry(alice.workspace, invoice(code="F-2024-17"))

    job = run_flow(alice.workspace, [step()], entry=entry)

    assert intent(job).status == "OK"
    attachment = Attachment.objects.get(entry=entry)
    assert attachment.name == "F-2024-17.pdf"
    assert attachment.mime == "application/pdf"
    content = attachment.file.read()
    assert content.startswith(b"%PDF-")
    text = text_of(content)
    assert "F-2024-17" in text and "Acme Supplies S.L." in text and "Sample Consumer" in text
    assert intent(job).changes["attachment"] == str(attachment.id)
    assert "F-2024-17.pdf" in intent(job).message


def test_running_the_step_again_replaces_its_pdf_and_another_step_adds_its_own(alice):
    workspace = alice.workspace
    entry = make_entry(workspace)
    workflow, _ = create_workflow(
        workspace,
        {
            "name": "Print twice",
            "schema": "bill/invoice",
            "steps": [step("print"), step("copy", template="modern", filename="copy")],
        },
    )
    first_job, _ = create_job(workspace, workflow, entry=entry, args={})
    finish(first_job)
    first_ids = set(Attachment.objects.filter(entry=entry).values_list("id", flat=True))
    second_job, _ = create_job(workspace, workflow, entry=entry, args={}, key="again")
    finish(second_job)

    attachments = Attachment.objects.filter(entry=entry)
    assert sorted(a.name for a in attachments) == ["INV-1.pdf", "copy.pdf"]
    assert not first_ids & {a.id for a in attachments}
    assert entry.activity.filter(message="Replaced attachment INV-1.pdf").exists()


def test_a_document_missing_what_an_invoice_needs_is_invalid_and_nothing_is_attached(alice):
    doc = invoice()
    del doc["doc"]["supplier"]["name"]
    del doc["doc"]["totals"]
    entry = make_entry(alice.workspace, doc)

    job = run_flow(alice.workspace, [step()], entry=entry)

    assert (intent(job).status, intent(job).code) == ("KO", "invalid_document")
    assert "supplier.name" in intent(job).message
    assert "totals.payable" in intent(job).message
    assert not Attachment.objects.filter(entry=entry).exists()


def test_a_party_document_prints_as_a_party_sheet(alice):
    entry, _ = create_entry(alice.workspace, load_gobl("es-party.json"))
    name = documents.body(entry.doc)["name"]

    job = run_flow(alice.workspace, [step(template="modern")], entry=entry, schema="org/party")

    assert intent(job).status == "OK"
    attachment = Attachment.objects.get(entry=entry)
    assert name in text_of(attachment.file.read())
    assert attachment.name == "Provide One S.L.pdf"  # a trailing dot is dropped


def test_a_logo_from_the_entrys_attachments_is_drawn(alice):
    entry = make_entry(alice.workspace)
    add_attachment(entry, "logo.png", PNG)

    job = run_flow(alice.workspace, [step(logo="logo.png")], entry=entry)

    assert intent(job).status == "OK"
    printed = Attachment.objects.get(entry=entry, mime="application/pdf").file.read()
    assert image_count(printed) == 1


@pytest.mark.parametrize(
    "attach, message",
    [(None, "no attachment named 'logo.png'"), (b"hello", "is text/plain, not a PNG")],
)
def test_a_logo_that_is_missing_or_not_an_image_is_refused(alice, attach, message):
    entry = make_entry(alice.workspace)
    if attach is not None:
        add_attachment(entry, "logo.png", attach, mime="text/plain")

    job = run_flow(alice.workspace, [step(logo="logo.png")], entry=entry)

    assert (intent(job).status, intent(job).code) == ("KO", "invalid_logo")
    assert message in intent(job).message
    assert not Attachment.objects.filter(entry=entry, mime="application/pdf").exists()


def test_the_filename_is_a_template_and_cannot_name_a_path(alice):
    entry = make_entry(alice.workspace, invoice(code="77"))

    job = run_flow(
        alice.workspace, [step(filename="../{{ doc.supplier.name }}/{{ doc.code }}")], entry=entry
    )

    assert intent(job).status == "OK"
    assert Attachment.objects.get(entry=entry).name == "Acme Supplies S.L.-77.pdf"


def test_markup_in_the_document_is_printed_as_text():
    doc = invoice()
    doc["doc"]["lines"][0]["item"]["name"] = '<img src="http://127.0.0.1:9/x.png">Work'

    text = text_of(pdf.render_pdf(pdf.layout("bill/invoice", doc)))

    assert '<img src="http://127.0.0.1:9/x.png">Work' in text


def test_weasyprint_may_fetch_data_urls_only(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    page = pdf.layout("bill/invoice", invoice())

    from_file = pdf.render_pdf(page, logo_url=f"file://{logo}")
    from_data = pdf.render_pdf(page, logo_url="data:image/png;base64," + b64encode(PNG).decode())

    assert image_count(from_file) == 0
    assert image_count(from_data) == 1


def test_config_offers_the_styles_as_a_choice_and_empty_config_works():
    action = registry.get("pdf.generate")
    schema = action.config_schema()

    assert schema["properties"]["template"]["enum"] == ["classic", "modern"]
    assert action.Config.model_validate({}).template == "classic"
    assert "invalid_document" in action.codes
    with pytest.raises(ValueError, match="unknown locale"):
        action.Config.model_validate({"locale": "xx_YY"})


def test_the_attachments_tab_previews_the_generated_pdf_inline(alice_client, alice):
    entry = make_entry(alice.workspace)
    run_flow(alice.workspace, [step()], entry=entry)
    attachment = Attachment.objects.get(entry=entry)

    page = alice_client.get(reverse("silo:entry", args=[entry.pk]), {"tab": "attachments"})
    inline_url = reverse("silo:attachment", args=[entry.pk, attachment.pk]) + "?inline=1"
    served = alice_client.get(inline_url)

    assert f'<iframe class="pdf-preview" src="{inline_url}"' in page.content.decode()
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("inline;")


def test_unchanged_documents_are_not_modified_by_printing(alice):
    doc = invoice()
    entry = make_entry(alice.workspace, copy.deepcopy(doc))
    version = entry.version

    run_flow(alice.workspace, [step()], entry=entry)

    entry.refresh_from_db()
    assert entry.doc == doc and entry.version == version


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [
    "supplier", "customer", "lines", "totals", "currency", "issue_date", "code", "notes",
    "payment", "discounts", "charges", "preceding", "tax", "$tags",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["es-invoice-es-es-freelance.json", "pl-invoice-payment-card.json"]),
    st.lists(st.tuples(st.sampled_from(FIELDS), JSON), min_size=1, max_size=4),
)
def test_any_malformed_document_lays_out_or_is_refused_as_invalid(name, replacements):
    doc = load_gobl(name)
    for field, value in replacements:
        doc["doc"][field] = value
    try:
        page = pdf.layout("bill/invoice", doc)
    except pdf.InvalidDocument:
        return
    html = render_to_string("pdf/classic/invoice.html", {**page, "logo": ""})
    assert page["title"] in html


def test_a_number_too_long_to_write_out_is_shown_as_written():
    doc = invoice()
    doc["doc"]["lines"][0]["item"]["price"] = "1e999999999"

    view = pdf.layout("bill/invoice", doc)["view"]

    assert view["lines"][0]["price"] == "1e999999999"
    assert view["lines"][0]["total"] == "1.620,00\u00a0€"


def test_a_job_without_an_entry_has_nothing_to_print(alice):
    job = run_flow(alice.workspace, [step()], args={"customer": "x"})

    assert (intent(job).status, intent(job).code) == ("KO", "no_entry")


def test_the_pdf_is_titled_and_signed_by_its_supplier():
    printed = pdf.render_pdf(pdf.layout("bill/invoice", invoice(code="F-9")))

    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(printed)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, check=True).stdout

    assert re.search(rb"^Title: +Invoice F-9$", info, re.M)
    assert re.search(rb"^Author: +Acme Supplies S.L.$", info, re.M)


def test_a_foreign_currency_invoice_states_its_exchange_rates():
    page = pdf.layout("bill/invoice", load_gobl("es-invoice-es-usd.json"))

    text = text_of(pdf.render_pdf(page), layout=True)

    assert "Currency USD" in text
    assert "Exchange rates 1 USD = 0,875967 EUR" in text


@pytest.mark.parametrize(
    "name, title",
    [
        ("es-invoice-es-es.json", "Invoice"),
        ("es-credit-note-es-es-tbai.json", "Credit note"),
        ("es-invoice-es-simplified.json", "Simplified invoice"),
        ("pl-invoice-self-billed.json", "Self-billed invoice"),
        ("es-order.json", "Order"),
        ("es-delivery.json", "Delivery note"),
    ],
)
def test_the_title_says_what_kind_of_document_it_is(name, title):
    doc = load_gobl(name)

    assert pdf.layout(documents.schema_of(doc), doc)["title"] == title


def test_an_svg_logo_is_drawn_but_may_not_pull_in_files(alice, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
        '<rect width="120" height="40" fill="#1f4e79"/>'
        f'<image href="file://{secret}" width="40" height="40"/></svg>'
    ).encode()
    entry = make_entry(alice.workspace)
    add_attachment(entry, "logo.svg", svg)

    job = run_flow(alice.workspace, [step(logo="logo.svg")], entry=entry)

    assert intent(job).status == "OK"
    printed = Attachment.objects.get(entry=entry, mime="application/pdf").file.read()
    assert image_count(printed) == 0  # the rectangle is drawn as vectors; the file is not read


@pytest.mark.postgres
def test_two_jobs_printing_the_same_step_at_once_leave_one_pdf(transactional_db, monkeypatch):
    _, workspace = make_member("carol", "Initech")
    entry = make_entry(workspace)
    content = pdf.render_pdf(pdf.layout("bill/invoice", entry.doc))
    # Each writer waits for the other just before saving: without the entry lock both
    # would have looked for an older PDF before either saved, and both would be kept.
    meeting = threading.Barrier(2)
    save = Attachment.save

    def save_after_meeting(self, *args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other one waits on the lock
            meeting.wait(timeout=1)
        save(self, *args, **kwargs)

    monkeypatch.setattr(Attachment, "save", save_after_meeting)

    def print_once():
        try:
            pdf.attach(entry, "INV-1.pdf", content, source="w:print", job_id=None)
        finally:
            connection.close()

    writers = [threading.Thread(target=print_once) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=30)

    assert Attachment.objects.filter(entry=entry).count() == 1
