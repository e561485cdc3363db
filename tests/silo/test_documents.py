"""What the silo indexes from a document, for the list and its search."""

from silo.documents import summary
from silo.services import create_entry
from tests.factories import load_gobl


def test_an_invoice_summary():
    fields = summary(load_gobl("es-invoice-es-es-freelance.json"))

    assert fields == {
        "code": "SAMPLE-001",
        "supplier_name": "MªF. Services",
        "customer_name": "Sample Consumer",
        "tax_ids": "ES58384285G ES54387763P",
        "total": "1717.20",
        "currency": "EUR",
        "issue_date": "2022-02-01",
    }


def test_a_payment_shows_its_total():
    assert summary(load_gobl("es-payment.json"))["total"] == "1630.00"


def test_a_tax_identity_is_found_by_its_tax_id(alice):
    entry, _ = create_entry(alice.workspace, load_gobl("es-tax-identity.json"))

    assert entry.code == "ESB98602642"
    assert "esb98602642" in entry.search_text


def test_odd_shapes_and_long_values_do_not_break_the_summary():
    doc = {
        "$schema": "https://gobl.org/draft-0/bill/invoice",
        "code": 12,
        "series": ["x"],
        "supplier": "not an object",
        "customer": {"name": "N" * 1000, "tax_id": {"code": 5}},
        "totals": [1],
        "currency": {"x": 1},
    }

    fields = summary(doc)

    assert fields["code"] == "12"
    assert fields["supplier_name"] == ""
    assert len(fields["customer_name"]) == 300
    assert fields["tax_ids"] == "5"
    assert fields["currency"] == ""
