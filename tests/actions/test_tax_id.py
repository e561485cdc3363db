"""tax_id.validate: the supplier's or customer's tax ID checked offline by its country's
rules (python-stdnum), on real GOBL documents."""

import pytest

from silo.services import create_entry
from tests.factories import invoice, load_gobl
from tests.jobs.flows import block, ok, run_flow


def validate(party=None, **extra):
    config = {"party": party} if party else {}
    return {"id": "v", "provider": "tax_id.validate", "config": config, **extra}


def check(workspace, doc, party=None, schema="bill/invoice"):
    entry, _ = create_entry(workspace, doc)
    job = run_flow(workspace, [validate(party)], entry=entry, schema=schema)
    intent = job.intents.get(step_id="v")
    return intent.status, intent.code, intent.message


@pytest.mark.parametrize(
    ("document", "party", "tax_id"),
    [
        ("es-invoice-es-es-freelance.json", "supplier", "ES58384285G"),
        ("es-invoice-es-es-freelance.json", "customer", "ES54387763P"),
        ("gr-invoice-el-el.json", "customer", "EL841442160"),  # GOBL's EL is Greece
        ("nl-invoice.json", "supplier", "NL000099995B57"),
    ],
)
def test_valid_tax_ids_are_OK(alice, document, party, tax_id):
    _, workspace = alice
    status, code, message = check(workspace, load_gobl(document), party)
    assert (status, code) == ("OK", "")
    assert f"{tax_id[:2]} {tax_id[2:]} is valid" in message


def test_the_supplier_is_checked_by_default(alice):
    _, workspace = alice
    status, _, message = check(workspace, invoice(tax_id="ESB98602642"))
    assert status == "OK"
    assert message.startswith("The supplier's tax ID ES B98602642")


def test_a_wrong_check_digit_is_KO_invalid_tax_id(alice):
    _, workspace = alice
    status, code, message = check(workspace, invoice(tax_id="ESB98602643"))
    assert (status, code) == ("KO", "invalid_tax_id")
    assert "ES B98602643" in message
    assert "check" in message.lower()


def test_a_real_document_with_a_wrong_number(alice):
    _, workspace = alice
    status, code, _ = check(workspace, load_gobl("it-b2c.json"), "supplier")
    assert (status, code) == ("KO", "invalid_tax_id")


def test_no_tax_id_is_KO_missing_tax_id_and_can_be_handled(alice):
    _, workspace = alice
    entry, _ = create_entry(workspace, load_gobl("de-invoice-de-de-stnr.json"))
    handled = block("KO", ok("ask"), code="missing_tax_id")

    job = run_flow(workspace, [validate("supplier", next=[handled])], entry=entry)

    assert job.status == "OK"
    intent = job.intents.get(step_id="v")
    assert (intent.code, intent.message) == ("missing_tax_id", "The supplier has no tax ID.")


def test_a_country_without_rules_is_KO_unsupported_country(alice):
    _, workspace = alice
    status, code, message = check(workspace, load_gobl("es-invoice-es-es-sii-N2.json"), "customer")
    assert (status, code) == ("KO", "unsupported_country")
    assert "US" in message


def test_a_party_document_checks_its_own_tax_id(alice):
    _, workspace = alice
    party = load_gobl("es-party.json")
    status, _, message = check(workspace, party, schema="org/party")
    assert status == "OK"
    assert message == "The party's tax ID ES B98602642 is valid"

    party["doc"]["tax_id"]["code"] = "B98602640"
    status, code, _ = check(workspace, party, schema="org/party")
    assert (status, code) == ("KO", "invalid_tax_id")


def test_without_an_entry_it_is_KO_no_entry(alice):
    _, workspace = alice
    job = run_flow(workspace, [validate()])
    assert job.intents.get(step_id="v").code == "no_entry"
