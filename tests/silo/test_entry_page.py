import pytest
from django.urls import reverse

from silo.services import create_entry
from tests.factories import GOBL_DIR, invoice, load_gobl, make_entry

EXAMPLES = sorted(path.name for path in GOBL_DIR.glob("*.json"))


def page(client, entry, tab=None):
    params = {"tab": tab} if tab else {}
    return client.get(reverse("silo:entry", args=[entry.pk]), params)


def test_every_gobl_example_renders_as_a_document_and_as_json(alice_client, alice):
    assert len(EXAMPLES) > 130
    entries = [create_entry(alice.workspace, load_gobl(name))[0] for name in EXAMPLES]

    for name, entry in zip(EXAMPLES, entries, strict=True):
        document = page(alice_client, entry)
        assert document.status_code == 200, name
        assert page(alice_client, entry, "json").status_code == 200, name
        if entry.schema == "bill/invoice":
            assert document.context["view"]["kind"] == "invoice", name
            html = document.content.decode()
            assert f'data-testid="payable">{entry.total} {entry.currency}<' in html, name


def test_the_header_shows_title_schema_state_key_and_run_button(alice_client, alice):
    entry = make_entry(alice.workspace, invoice("INV-77"), key="erp:77")

    html = page(alice_client, entry).content.decode()

    for text in ("<h1>INV-77</h1>", "bill/invoice", "Draft", "erp:77", 'id="run-workflow"'):
        assert text in html


def test_an_invoice_reads_like_an_invoice(alice_client, alice, invoice_doc):
    entry = make_entry(alice.workspace, invoice_doc)

    response = page(alice_client, entry)

    html = response.content.decode()
    for text in (
        "MªF. Services",  # supplier
        "ES 58384285G",  # supplier tax ID
        "CAMÍ MADRID 9",  # address
        "billing@example.com",
        "Sample Consumer",  # customer
        "Development services",  # line
        "10% (180.00) · Special discount",
        "VAT (general) 21.0%",
        "IRPF",
        "340.20",  # VAT amount in the tax summary
        "1960.20 EUR",  # total with tax
        "ES06 0128 0011 3901 0008 1391",  # payment instructions
    ):
        assert text in html, text
    assert '<td class="num" data-testid="payable">1717.20 EUR</td>' in html


def test_notes_are_shown(alice_client, alice):
    doc = invoice()
    doc["doc"]["notes"] = [{"key": "general", "text": "Thanks for your business"}]
    entry = make_entry(alice.workspace, doc)

    assert "Thanks for your business" in page(alice_client, entry).content.decode()


def test_a_party_shows_its_contact_details(alice_client, alice):
    entry = make_entry(alice.workspace, load_gobl("es-party.json"))

    html = page(alice_client, entry).content.decode()

    for text in ("Provide One S.L.", "ES B98602642", "Calle Pradillo 42", "billing@example.com"):
        assert text in html, text


def test_other_schemas_show_their_fields(alice_client, alice):
    entry = make_entry(alice.workspace, load_gobl("es-status-response.json"))

    html = page(alice_client, entry).content.decode()

    assert "lines[0].reasons[0].description" in html
    assert "Missing purchase order number" in html


def test_the_json_tab_is_pretty_and_escaped(alice_client, alice):
    entry = make_entry(alice.workspace, invoice(supplier="<img src=x onerror=alert(1)>"))

    html = page(alice_client, entry, "json").content.decode()

    assert '<pre class="json">{\n  &quot;' in html  # indented; PostgreSQL may reorder keys
    assert "&quot;$schema&quot;: &quot;https://gobl.org/draft-0/envelope&quot;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_document_tab_escapes_document_text(alice_client, alice):
    entry = make_entry(alice.workspace, invoice(supplier="<script>alert(1)</script>"))

    html = page(alice_client, entry).content.decode()

    assert "<script>alert(1)</script>" not in html


def test_the_activity_tab_lists_newest_first_with_actor(alice_client, alice):
    entry = make_entry(alice.workspace, actor=alice.user)
    alice_client.post(
        reverse("silo:edit", args=[entry.pk]), {"state": "sent", "meta": "", "version": 1}
    )

    response = page(alice_client, entry, "activity")

    messages = [item.message for item in response.context["activity"]]
    assert messages == ["State changed from draft to sent", "Created from upload"]
    assert "alice" in response.content.decode()


def test_an_unknown_tab_falls_back_to_the_document(alice_client, alice):
    entry = make_entry(alice.workspace)

    response = page(alice_client, entry, "<nope>")

    assert response.status_code == 200
    assert response.context["tab"] == "document"


def test_the_run_workflow_panel_says_there_is_no_workflow_yet(alice_client, alice):
    entry = make_entry(alice.workspace)

    response = alice_client.get(reverse("silo:run_panel", args=[entry.pk]))

    assert "No workflow exists yet for <strong>bill/invoice</strong>" in response.content.decode()


def test_an_unknown_entry_is_a_404(alice_client):
    response = alice_client.get(
        reverse("silo:entry", args=["00000000-0000-0000-0000-000000000000"])
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    "broken",
    [
        {"supplier": "just a string", "lines": {"not": "a list"}, "totals": [1, 2]},
        {"supplier": {"tax_id": "x", "addresses": ["a", None]}, "customer": 5},
        {"lines": [None, 1, {"item": "x", "taxes": "y", "discounts": [None]}]},
        {"totals": {"taxes": {"categories": [{"rates": "x"}, None]}, "payable": {"a": 1}}},
        {"payment": {"terms": "x", "instructions": {"credit_transfer": [1]}}, "notes": "x"},
        {"code": 12, "series": ["a"], "issue_date": None, "currency": {"x": 1}},
    ],
)
def test_a_malformed_invoice_still_renders(alice_client, alice, broken):
    doc = {"$schema": "https://gobl.org/draft-0/bill/invoice", **broken}
    entry = make_entry(alice.workspace, doc)

    assert page(alice_client, entry).status_code == 200
    assert page(alice_client, entry, "json").status_code == 200
