"""The local AEAT answers as the AEAT does: the schemas, each issuer's chain checked
with fingerprints it computes itself, duplicates, the wait between submissions, and
only clients with a certificate of its CA. Requests here are built by hand
(aeat_requests), not by the conversion, so the two cross-check each other."""

import pytest
from lxml import etree

from tests.agencies import aeat_requests as build
from tests.agencies import verifactu_samples as samples
from tests.agencies.conftest import ISSUER, ISSUER_NAME, configure
from workflows import outbound
from workflows.actions.base import TryLater
from workflows.agencies.aeat import certificates, soap, verifactu
from workflows.agencies.aeat.credentials import Credentials
from workflows.agencies.aeat.local_server import SFR, LocalAEAT, schema

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


@pytest.fixture
def caller(alice, aeat):
    return configure(alice.workspace, aeat)


def send(aeat, caller, *records):
    body = soap.call(
        aeat.verifactu_url, build.submission(ISSUER, ISSUER_NAME, records), credentials=caller
    )
    return etree.fromstring(body)


def lines(answer):
    """(number, state, code) of each RespuestaLinea."""
    found = []
    for line in answer.iter(f"{{{SFR}}}RespuestaLinea"):
        number = line.find(f".//{{{build.SF}}}NumSerieFactura").text
        found.append(
            (
                number,
                line.findtext(f"{{{SFR}}}EstadoRegistro"),
                line.findtext(f"{{{SFR}}}CodigoErrorRegistro"),
            )
        )
    return found


def fault_of(body):
    return etree.fromstring(body).findtext(f".//{{{SOAP}}}Fault/faultstring")


def test_a_chain_of_records_is_accepted_and_the_answer_follows_the_schema(aeat, caller):
    first, one = build.alta(ISSUER, "F-1")
    second, two = build.alta(ISSUER, "F-2", previous=("F-1", "13-09-2024", one))

    answer = send(aeat, caller, first, second)

    assert lines(answer) == [("F-1", "Correcto", None), ("F-2", "Correcto", None)]
    assert answer.findtext(f".//{{{SFR}}}EstadoEnvio") == "Correcto"
    response = answer.find(f".//{{{SFR}}}RespuestaRegFactuSistemaFacturacion")
    assert schema("RespuestaSuministro.xsd").validate(etree.fromstring(etree.tostring(response)))
    held = aeat.held(ISSUER)
    assert [(r["num_series"], r["fingerprint"], r["previous"]) for r in held] == [
        ("F-1", one, ""),
        ("F-2", two, one),
    ]


def test_a_request_that_breaks_the_schema_is_refused_whole_with_4102(aeat, caller):
    record, _ = build.alta(ISSUER, "F-1")
    broken = record.replace("<sf:TipoFactura>F1</sf:TipoFactura>", "")

    body = soap.call(
        aeat.verifactu_url, build.submission(ISSUER, ISSUER_NAME, [broken]), credentials=caller
    )

    assert fault_of(body).startswith("Codigo[4102].El XML no cumple el esquema")
    assert "TipoFactura" in fault_of(body)
    assert aeat.records() == []


def test_a_record_chained_to_the_wrong_previous_one_is_rejected_with_the_real_codes(aeat, caller):
    first, one = build.alta(ISSUER, "F-1")
    send(aeat, caller, first)
    wrong_number, _ = build.alta(ISSUER, "F-2", previous=("F-0", "13-09-2024", one))
    wrong_fingerprint, _ = build.alta(ISSUER, "F-3", previous=("F-1", "13-09-2024", "A" * 64))
    second_first, _ = build.alta(ISSUER, "F-4")

    answer = send(aeat, caller, wrong_number, wrong_fingerprint, second_first)

    assert lines(answer) == [
        ("F-2", "Incorrecto", "1175"),
        ("F-3", "Incorrecto", "1180"),
        ("F-4", "Incorrecto", "1180"),
    ]
    assert answer.findtext(f".//{{{SFR}}}EstadoEnvio") == "Incorrecto"
    assert [r["num_series"] for r in aeat.held(ISSUER)] == ["F-1"]


def test_a_fingerprint_that_does_not_follow_the_formula_is_accepted_with_error_2000(aeat, caller):
    record, _ = build.alta(ISSUER, "F-1", fingerprint="0" * 64)

    answer = send(aeat, caller, record)

    assert lines(answer) == [("F-1", "AceptadoConErrores", "2000")]


def test_a_resent_record_is_a_duplicate_3000_and_held_once(aeat, caller):
    record, _ = build.alta(ISSUER, "F-1")
    send(aeat, caller, record)

    answer = send(aeat, caller, record)

    assert lines(answer) == [("F-1", "Incorrecto", "3000")]
    duplicate = answer.find(f".//{{{SFR}}}RegistroDuplicado")
    assert duplicate.findtext(f"{{{build.SF}}}EstadoRegistroDuplicado") == "Correcta"
    assert len(aeat.held(ISSUER)) == 1


def test_a_code_set_for_an_invoice_rejects_it_and_the_chain_goes_on(aeat, caller):
    aeat.fail("code", code="1104", invoice="F-2")
    first, one = build.alta(ISSUER, "F-1")
    second, two = build.alta(ISSUER, "F-2", previous=("F-1", "13-09-2024", one))
    third, _ = build.alta(ISSUER, "F-3", previous=("F-2", "13-09-2024", two))

    answer = send(aeat, caller, first, second, third)

    assert lines(answer) == [
        ("F-1", "Correcto", None),
        ("F-2", "Incorrecto", "1104"),
        ("F-3", "Correcto", None),
    ]
    assert answer.findtext(f".//{{{SFR}}}EstadoEnvio") == "ParcialmenteCorrecto"


def test_the_wait_between_submissions_is_enforced(alice, settings):
    with LocalAEAT(wait_seconds=60) as aeat:
        settings.AEAT_LOCAL_URL, settings.AEAT_LOCAL_CA = aeat.url, aeat.ca_file
        caller = configure(alice.workspace, aeat)
        first, one = build.alta(ISSUER, "F-1")
        second, _ = build.alta(ISSUER, "F-2", previous=("F-1", "13-09-2024", one))
        answer = send(aeat, caller, first)
        assert answer.findtext(f".//{{{SFR}}}TiempoEsperaEnvio") == "60"

        with pytest.raises(TryLater) as early:
            send(aeat, caller, second)

        assert early.value.code == "unavailable"
        assert 55 <= early.value.retry_after <= 60
        aeat.elapse_wait(ISSUER)
        assert lines(send(aeat, caller, second)) == [("F-2", "Correcto", None)]


def test_the_query_says_what_is_held_with_its_fingerprint(aeat, caller):
    record, fingerprint = build.alta(ISSUER, "F-1")
    send(aeat, caller, record)

    body = soap.call(
        aeat.verifactu_url, build.query(ISSUER, ISSUER_NAME, "2024", "09"), credentials=caller
    )
    empty = soap.call(
        aeat.verifactu_url, build.query(ISSUER, ISSUER_NAME, "2024", "10"), credentials=caller
    )

    answer = etree.fromstring(body)
    assert [
        h.text
        for h in answer.iter("{*}Huella")
        if h.getparent().tag.endswith("DatosRegistroFacturacion")
    ] == [fingerprint]
    assert etree.fromstring(empty).findtext(".//{*}ResultadoConsulta") == "SinDatos"


def test_down_is_transient_and_back_is_served(aeat, caller):
    record, _ = build.alta(ISSUER, "F-1")
    aeat.fail("down")

    with pytest.raises(TryLater) as down:
        send(aeat, caller, record)

    assert (down.value.code, down.value.retry_after) == ("unavailable", 30)
    aeat.recover()
    assert lines(send(aeat, caller, record)) == [("F-1", "Correcto", None)]


def test_a_certificate_of_another_issuer_is_refused_with_4112(aeat, alice):
    caller = configure(alice.workspace, aeat, nif="A58818501", name="Another SA")
    record, _ = build.alta(ISSUER, "F-1")

    body = soap.call(
        aeat.verifactu_url, build.submission(ISSUER, ISSUER_NAME, [record]), credentials=caller
    )

    assert fault_of(body).startswith("Codigo[4112].")


def test_a_certificate_from_another_ca_is_refused_at_tls(aeat, caller):
    stranger = certificates.load(aeat.client_p12(ISSUER, ISSUER_NAME, foreign=True), "local-aeat")
    impostor = Credentials(**{**caller.__dict__, "certificate": stranger})
    record, _ = build.alta(ISSUER, "F-1")

    with pytest.raises(soap.SoapError) as refused:
        soap.call(
            aeat.verifactu_url,
            build.submission(ISSUER, ISSUER_NAME, [record]),
            credentials=impostor,
        )

    assert refused.value.code == "certificate_refused"
    assert aeat.records() == []


def test_no_certificate_is_refused_at_tls(aeat):
    with pytest.raises(outbound.OutboundError) as refused:
        outbound.request(
            "POST", aeat.verifactu_url, content=b"<x/>", allow_private=True, trust=aeat.ca_file
        )

    assert (refused.value.code, refused.value.transient) == ("certificate_refused", False)
    assert "certificate required" in refused.value.message
    assert aeat.submissions() == 0


def test_its_server_certificate_is_trusted_only_through_the_operators_ca(aeat, caller):
    with pytest.raises(outbound.OutboundError) as untrusted:
        outbound.request("GET", aeat.url + "/control/status", allow_private=True)

    assert untrusted.value.code == "network"  # the public CAs do not vouch for it


def test_the_census_answers_what_it_was_told_and_checks_digits_otherwise(aeat, caller):
    aeat.set_census("A58818501", "HEWLETT PACKARD ESPANOLA SL", "IDENTIFICADO-BAJA")

    told = etree.fromstring(
        soap.call(aeat.census_url, build.census("A58818501", "HP"), credentials=caller)
    )
    valid = etree.fromstring(
        soap.call(aeat.census_url, build.census("B12345674", "Acme"), credentials=caller)
    )
    wrong = etree.fromstring(
        soap.call(aeat.census_url, build.census("B12345670", "Acme"), credentials=caller)
    )

    assert told.findtext(".//{*}Resultado") == "IDENTIFICADO-BAJA"
    assert told.findtext(".//{*}Nombre") == "HEWLETT PACKARD ESPANOLA SL"
    assert valid.findtext(".//{*}Resultado") == "IDENTIFICADO"
    assert wrong.findtext(".//{*}Resultado") == "NO IDENTIFICADO"


def test_what_it_holds_survives_a_restart_in_its_state_directory(tmp_path, alice, settings):
    with LocalAEAT(tmp_path / "aeat", wait_seconds=0) as first:
        settings.AEAT_LOCAL_URL, settings.AEAT_LOCAL_CA = first.url, first.ca_file
        record, _ = build.alta(ISSUER, "F-1")
        send(first, configure(alice.workspace, first), record)

    with LocalAEAT(tmp_path / "aeat", wait_seconds=0) as again:
        settings.AEAT_LOCAL_URL = again.url
        assert [r["num_series"] for r in again.held(ISSUER)] == ["F-1"]
        assert lines(send(again, configure(alice.workspace, again), record)) == [
            ("F-1", "Incorrecto", "3000")
        ]


def test_a_cancellation_of_a_held_invoice_then_again_then_of_an_unknown_one(aeat, caller):
    first, one = build.alta(ISSUER, "F-1")
    send(aeat, caller, first)
    cancel, cancelled = build.anulacion(ISSUER, "F-1", previous=("F-1", "13-09-2024", one))
    again, _ = build.anulacion(ISSUER, "F-1", previous=("F-1", "13-09-2024", cancelled))
    unknown, _ = build.anulacion(ISSUER, "F-9", previous=("F-1", "13-09-2024", cancelled))

    answer = send(aeat, caller, cancel, again, unknown)

    assert lines(answer) == [
        ("F-1", "Correcto", None),
        ("F-1", "Incorrecto", "3001"),
        ("F-9", "Incorrecto", "3002"),
    ]
    assert [r["cancelled"] for r in aeat.held(ISSUER)] == [1]
    query = build.query(ISSUER, ISSUER_NAME, "2024", "09")
    held = etree.fromstring(soap.call(aeat.verifactu_url, query, credentials=caller))
    assert held.findtext(".//{*}EstadoRegistro/{*}EstadoRegistro") == "Anulado"


def test_a_correction_replaces_a_record_accepted_with_errors(aeat, caller):
    aeat.fail("code", code="2001", invoice="F-1")
    first, one = build.alta(ISSUER, "F-1")
    assert lines(send(aeat, caller, first)) == [("F-1", "AceptadoConErrores", "2001")]
    aeat.recover()
    correction, two = build.alta(
        ISSUER,
        "F-1",
        previous=("F-1", "13-09-2024", one),
        extra="<sf:Subsanacion>S</sf:Subsanacion>",
    )

    assert lines(send(aeat, caller, correction)) == [("F-1", "Correcto", None)]
    assert [(r["fingerprint"], r["state"]) for r in aeat.held(ISSUER)] == [(two, "Correcto")]


def test_slow_answers_later_and_a_short_timeout_is_transient(aeat, caller):
    record, _ = build.alta(ISSUER, "F-1")
    aeat.fail("slow", seconds=2)

    with pytest.raises(TryLater) as late:
        soap.call(
            aeat.verifactu_url,
            build.submission(ISSUER, ISSUER_NAME, [record]),
            credentials=caller,
            timeout=0.5,
        )

    assert late.value.code == "timeout"


def test_the_conversion_and_the_local_aeat_agree_on_every_example(aeat, alice):
    """The conversion's records, chained, pass the local AEAT's schema and chain checks
    and the fingerprint it recomputes on its own; its answers parse."""
    records, previous, numbers = [], None, set()
    for name in samples.EXAMPLES:
        try:
            record = verifactu.registration(
                samples.example(name), previous=previous, generated_at=samples.AT,
                software=samples.SOFTWARE,
            )  # fmt: skip
        except verifactu.ConversionError:
            continue  # the credit note without its preceding invoice
        if record.num_series in numbers:
            continue  # two examples share a number: the second would be a duplicate
        numbers.add(record.num_series)
        records.append(record)
        previous = record.as_previous()
    issuer, name = records[0].issuer, records[0].issuer_name
    caller = configure(alice.workspace, aeat, nif=issuer, name=name)

    body = soap.call(
        aeat.verifactu_url,
        verifactu.submission(records, issuer=issuer, issuer_name=name),
        credentials=caller,
    )

    answer = verifactu.parse_submission_answer(body)
    assert len(records) == 4  # 7 examples: one cannot convert, two share a number
    assert answer.state == "Correcto"
    assert {(line.state, line.code) for line in answer.lines} == {("Correcto", "")}
    first = records[0].issue_date
    query = verifactu.query(issuer=issuer, issuer_name=name, year=first.year, month=first.month)
    held = verifactu.parse_query_answer(soap.call(aeat.verifactu_url, query, credentials=caller))
    fingerprints = {r.num_series: r.fingerprint for r in records}
    assert held and all(h.fingerprint == fingerprints[h.num_series] for h in held)
