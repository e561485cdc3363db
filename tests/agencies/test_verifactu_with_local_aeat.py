"""The conversion against the local AEAT, over HTTPS with a client certificate: records
it builds are accepted and chained, and what the AEAT answers (accepted, a code, a
duplicate, a fault, a query) reads back through the conversion's parsers.

The local AEAT checks fingerprints with its own code, so this also cross-checks the two
implementations of the README's formula."""

from datetime import date

import pytest

from tests.agencies.conftest import configure
from tests.agencies.verifactu_samples import ISSUER, invoice, register
from workflows.agencies.aeat import soap, verifactu

NAME = "Provide One S.L."


@pytest.fixture
def caller(alice, aeat):
    return configure(alice.workspace, aeat, nif=ISSUER, name=NAME)


def send(aeat, caller, records):
    request = verifactu.submission(records, issuer=ISSUER, issuer_name=NAME)
    return verifactu.parse_submission_answer(
        soap.call(aeat.verifactu_url, request, credentials=caller)
    )


def chain(*codes):
    records, previous = [], None
    for code in codes:
        record = register(invoice(code=code), previous=previous)
        records.append(record)
        previous = record.as_previous()
    return records


def test_converted_records_are_accepted_in_their_chain(aeat, caller):
    records = chain("001", "002", "003")
    answer = send(aeat, caller, records)
    assert answer.state == "Correcto"
    assert [(line.key, line.state, line.code) for line in answer.lines] == [
        (record.key, "Correcto", "") for record in records
    ]
    held = aeat.held(ISSUER)
    assert [(r["num_series"], r["fingerprint"]) for r in held] == [
        (r.num_series, r.fingerprint) for r in records
    ]


def test_a_rejected_record_reads_with_the_aeat_code(aeat, caller):
    first, second = chain("001", "002")
    aeat.fail("code", code="1104", invoice="SAMPLE-002")
    answer = send(aeat, caller, [first, second])
    assert answer.state == "ParcialmenteCorrecto"
    assert [(line.state, line.code) for line in answer.lines] == [
        ("Correcto", ""),
        ("Incorrecto", "1104"),
    ]
    assert answer.lines[1].description


def test_a_resend_is_a_duplicate_the_aeat_already_holds(aeat, caller):
    (record,) = chain("001")
    send(aeat, caller, [record])
    aeat.elapse_wait()
    again = send(aeat, caller, [record])  # the same bytes, as a resumed job sends them
    (line,) = again.lines
    assert (line.state, line.code) == ("Incorrecto", "3000")
    assert line.duplicate is not None
    assert line.duplicate.state == "Correcta"


def test_the_query_finds_a_record_with_its_fingerprint(aeat, caller):
    first, second = chain("001", "002")
    send(aeat, caller, [first, second])
    request = verifactu.query(
        issuer=ISSUER, issuer_name=NAME, year=2024, month=12, num_series="SAMPLE-002"
    )
    held = verifactu.parse_query_answer(soap.call(aeat.verifactu_url, request, credentials=caller))
    assert [(h.num_series, h.issue_date, h.fingerprint, h.state) for h in held] == [
        ("SAMPLE-002", date(2024, 12, 4), second.fingerprint, "Correcto")
    ]
    nothing = verifactu.query(
        issuer=ISSUER, issuer_name=NAME, year=2024, month=12, num_series="SAMPLE-404"
    )
    assert (
        verifactu.parse_query_answer(soap.call(aeat.verifactu_url, nothing, credentials=caller))
        == []
    )


def test_a_cancellation_is_accepted_after_its_registration(aeat, caller):
    (record,) = chain("001")
    send(aeat, caller, [record])
    aeat.elapse_wait()
    cancel = verifactu.cancellation(
        invoice(code="001"),
        previous=record.as_previous(),
        generated_at=record.generated_at,
        software=verifactu.Software(),
    )
    (line,) = send(aeat, caller, [cancel]).lines
    assert (line.operation, line.state, line.code) == ("Anulacion", "Correcto", "")


def test_a_request_the_aeat_refuses_whole_is_a_fault_with_its_code(aeat, caller):
    (record,) = chain("001")
    request = verifactu.submission([record], issuer=ISSUER, issuer_name=NAME)
    broken = request.replace(b"<sum1:TipoFactura>F1</sum1:TipoFactura>", b"")
    with pytest.raises(verifactu.SoapFault) as caught:
        verifactu.parse_submission_answer(soap.call(aeat.verifactu_url, broken, credentials=caller))
    assert caught.value.code == "4102"
