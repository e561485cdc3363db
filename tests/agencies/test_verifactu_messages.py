"""The SOAP messages around the records: submissions and queries as sent, the AEAT's
answers as read (and as the local AEAT writes them), faults, and the QR address."""

import re
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from tests.agencies.verifactu_samples import ISSUER, PREVIOUS, example, invoice, register
from workflows.agencies.aeat import errors, schemas, verifactu

NAME = "Provide One S.L."


def records(count):
    result, previous = [], PREVIOUS
    for number in range(count):
        record = register(invoice(code=f"{number:05d}"), previous=previous)
        result.append(record)
        previous = record.as_previous()
    return result


# -- submissions --------------------------------------------------------------------------


def test_a_submission_carries_the_records_in_order_and_reads_back():
    sent = records(3) + [
        verifactu.cancellation(
            example("es-invoice-es-es-verifactu.json"),
            previous=None,
            generated_at=datetime(2024, 11, 26, 4, tzinfo=UTC),
            software=verifactu.Software(),
        )
    ]
    request = verifactu.submission(sent, issuer=ISSUER, issuer_name=NAME)
    assert schemas.validate(request) == []
    issuer, name, received = verifactu.read_submission(request)
    assert (issuer, name) == (ISSUER, NAME)
    assert [r.key for r in received] == [r.key for r in sent]
    assert [r.fingerprint for r in received] == [r.fingerprint for r in sent]
    assert [r.previous for r in received] == [r.previous for r in sent]
    assert [verifactu.fingerprint(r.xml) for r in received] == [r.fingerprint for r in sent]
    assert received[-1].kind == "anulacion"


def test_a_submission_holds_one_issuer_and_at_most_a_thousand_records():
    one = records(1)
    with pytest.raises(ValueError, match="1 to 1000"):
        verifactu.submission([], issuer=ISSUER, issuer_name=NAME)
    with pytest.raises(ValueError, match="1 to 1000"):
        verifactu.submission(one * 1001, issuer=ISSUER, issuer_name=NAME)
    with pytest.raises(ValueError, match=ISSUER):
        verifactu.submission(one, issuer="B00000000", issuer_name=NAME)


def test_the_issuer_name_is_escaped():
    request = verifactu.submission(records(1), issuer=ISSUER, issuer_name="Smith & Sons <S.L.>")
    assert schemas.validate(request) == []
    assert verifactu.read_submission(request)[1] == "Smith & Sons <S.L.>"


# -- the AEAT's answers -------------------------------------------------------------------


def answer_lines():
    day = date(2024, 12, 4)
    return [
        verifactu.Line(ISSUER, "SAMPLE-004", day, "Correcto"),
        verifactu.Line(ISSUER, "SAMPLE-005", day, "Incorrecto", "1104", "NumSerieFactura mal"),
        verifactu.Line(
            ISSUER,
            "SAMPLE-006",
            day,
            "Incorrecto",
            "3000",
            "Registro de facturación duplicado.",
            duplicate=verifactu.Duplicate("202412041234", "Correcta"),
        ),
        verifactu.Line(
            ISSUER, "SAMPLE-007", day, "AceptadoConErrores", "2000", "Huella", operation="Anulacion"
        ),
    ]


def test_a_submission_answer_round_trips_through_the_official_schema():
    answer = verifactu.SubmissionAnswer(
        state="ParcialmenteCorrecto", wait_seconds=60, lines=answer_lines(), csv="A-B-C"
    )
    body = verifactu.build_submission_answer(
        answer, issuer=ISSUER, issuer_name=NAME, presented_at=datetime.now(UTC)
    )
    assert schemas.validate(body) == []
    assert verifactu.parse_submission_answer(body) == answer


def test_an_answer_line_names_its_record():
    line = answer_lines()[3]
    assert line.key == (ISSUER, "SAMPLE-007", date(2024, 12, 4), "Anulacion")
    (record,) = records(1)
    assert record.key == (ISSUER, "SAMPLE-00000", date(2024, 12, 4), "Alta")


def test_the_aeat_text_is_filled_in_when_the_builder_gives_only_a_code():
    line = verifactu.Line(ISSUER, "X-1", date(2024, 12, 4), "Incorrecto", "1104")
    body = verifactu.build_submission_answer(
        verifactu.SubmissionAnswer("Incorrecto", 60, [line]), issuer=ISSUER, issuer_name=NAME
    )
    (parsed,) = verifactu.parse_submission_answer(body).lines
    assert parsed.description == errors.CODES["1104"]


def test_an_answer_with_other_prefixes_is_read_the_same():
    body = verifactu.build_submission_answer(
        verifactu.SubmissionAnswer("Correcto", 90, answer_lines()[:1]),
        issuer=ISSUER,
        issuer_name=NAME,
    )
    renamed = body.replace(b"tikR:", b"r:").replace(b"xmlns:tikR=", b"xmlns:r=")
    assert renamed != body
    assert verifactu.parse_submission_answer(renamed).wait_seconds == 90


def test_a_fault_gives_the_aeat_code():
    body = verifactu.build_fault(
        "4102", "El XML no cumple el esquema. Falta informar campo obligatorio."
    )
    with pytest.raises(verifactu.SoapFault) as caught:
        verifactu.parse_submission_answer(body)
    assert caught.value.code == "4102"
    assert caught.value.message.startswith("El XML no cumple")
    assert errors.submission_level(caught.value.code)


def fault_body(faultstring, faultcode="env:Client"):
    return (
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>'
        f"<env:Fault><faultcode>{faultcode}</faultcode><faultstring>{faultstring}</faultstring>"
        "</env:Fault></env:Body></env:Envelope>"
    ).encode()


@pytest.mark.parametrize(
    "faultstring, code, message",
    [
        # As the AEAT words them (seen in the wild), with and without a space.
        (
            "Codigo[4102].El XML no cumple el esquema. Falta informar campo obligatorio.: Cabecera",
            "4102",
            "El XML no cumple el esquema. Falta informar campo obligatorio.: Cabecera",
        ),
        ("Codigo[4102]. El XML no cumple el esquema.", "4102", "El XML no cumple el esquema."),
        ("Codigo[-904].Error técnico", "-904", "Error técnico"),
    ],
)
def test_the_aeat_fault_strings_give_their_codes(faultstring, code, message):
    with pytest.raises(verifactu.SoapFault) as caught:
        verifactu.parse_submission_answer(fault_body(faultstring))
    assert (caught.value.code, caught.value.message) == (code, message)


def test_a_fault_without_an_aeat_code_keeps_the_soap_code():
    body = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>'
        b"<faultcode>s:Server</faultcode><faultstring>Internal error</faultstring>"
        b"</s:Fault></s:Body></s:Envelope>"
    )
    with pytest.raises(verifactu.SoapFault) as caught:
        verifactu.parse_query_answer(body)
    assert (caught.value.code, caught.value.message) == ("s:Server", "Internal error")


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b"not xml at all",
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
        b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
    ],
)
def test_a_body_that_is_not_an_answer_is_an_answer_error(body):
    with pytest.raises(verifactu.AnswerError):
        verifactu.parse_submission_answer(body)


def test_an_answer_without_its_wait_time_is_an_answer_error():
    body = verifactu.build_submission_answer(
        verifactu.SubmissionAnswer("Correcto", 60, []), issuer=ISSUER, issuer_name=NAME
    )
    broken = re.sub(rb"<tikR:TiempoEsperaEnvio>60</tikR:TiempoEsperaEnvio>", b"", body)
    with pytest.raises(verifactu.AnswerError, match="TiempoEsperaEnvio"):
        verifactu.parse_submission_answer(broken)


# -- queries -------------------------------------------------------------------------------


def test_a_query_validates_and_reads_back():
    after = (ISSUER, "SAMPLE-003", date(2024, 12, 1))
    body = verifactu.query(
        issuer=ISSUER, issuer_name=NAME, year=2024, month=12, num_series="SAMPLE-004", after=after
    )
    assert schemas.validate(body) == []
    assert verifactu.read_query(body) == verifactu.Query(
        ISSUER, NAME, 2024, 12, "SAMPLE-004", after
    )
    plain = verifactu.query(issuer=ISSUER, issuer_name=NAME, year=2025, month=1)
    assert schemas.validate(plain) == []
    assert verifactu.read_query(plain) == verifactu.Query(ISSUER, NAME, 2025, 1)


def test_a_query_answer_lists_what_the_aeat_holds_page_by_page():
    held = [
        verifactu.Held(ISSUER, "SAMPLE-004", date(2024, 12, 4), "AB" * 32, "Correcto"),
        verifactu.Held(
            ISSUER, "SAMPLE-005", date(2024, 12, 4), "CD" * 32, "AceptadoConErrores", "2000", "x"
        ),
        verifactu.Held(ISSUER, "SAMPLE-006", date(2024, 12, 5), "EF" * 32, "Anulado"),
    ]
    more = (ISSUER, "SAMPLE-006", date(2024, 12, 5))
    body = verifactu.build_query_answer(
        issuer=ISSUER, issuer_name=NAME, year=2024, month=12, held=held, next_page=more
    )
    assert schemas.validate(body) == []
    result = verifactu.parse_query_answer(body)
    assert list(result) == held
    assert result.next_page == more


def test_an_empty_query_answer():
    body = verifactu.build_query_answer(
        issuer=ISSUER, issuer_name=NAME, year=2024, month=12, held=[]
    )
    assert schemas.validate(body) == []
    result = verifactu.parse_query_answer(body)
    assert (list(result), result.next_page) == ([], None)


# -- schemas and codes --------------------------------------------------------------------


def test_validation_reports_what_is_wrong_and_where():
    (record,) = records(1)
    broken = record.xml.replace(b"<sum1:TipoFactura>F1<", b"<sum1:TipoFactura>F9<")
    problems = schemas.validate(broken)
    assert len(problems) == 1
    assert "TipoFactura" in problems[0] and "F9" in problems[0]
    assert problems[0].startswith("line ")


def test_the_signature_schema_import_is_answered_from_the_repository(monkeypatch):
    asked = []
    resolve = schemas._Offline.resolve

    def spy(self, url, public_id, context):
        asked.append(url)
        return resolve(self, url, public_id, context)

    monkeypatch.setattr(schemas._Offline, "resolve", spy)
    schemas.schema.cache_clear()
    try:
        assert schemas.validate(records(1)[0].xml) == []
        assert schemas.XMLDSIG_URL in asked
        # Without the local answer the import fails (the parser never goes online).
        monkeypatch.setattr(schemas._Offline, "resolve", lambda *args: None)
        schemas.schema.cache_clear()
        with pytest.raises(etree.XMLSchemaParseError):
            schemas.schema()
    finally:
        schemas.schema.cache_clear()


def test_every_aeat_code_is_known_with_its_spanish_text():
    assert len(errors.CODES) == 204  # every line of the AEAT's file
    assert errors.CODES["1104"] == "El valor del campo NumSerieFactura es incorrecto."
    assert errors.CODES["3000"] == "Registro de facturación duplicado."
    # Lines the AEAT's file encoded twice read correctly.
    assert "veinte años" in errors.CODES["1133"]
    assert [errors.level(c) for c in ("4102", "3500", "1104", "3000", "2000", "9999")] == [
        "submission",
        "submission",
        "record",
        "record",
        "accepted",
        "",
    ]


# -- the QR address ------------------------------------------------------------------------


def test_the_qr_address_of_the_test_and_production_services():
    values = dict(
        issuer=ISSUER, num_series="SAMPLE-004", issue_date=date(2024, 12, 4), total="1970.20"
    )
    assert verifactu.qr_url(environment="test", **values) == (
        "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR"
        "?nif=B98602642&numserie=SAMPLE-004&fecha=04-12-2024&importe=1970.20"
    )
    assert verifactu.qr_url(environment="production", **values).startswith(
        "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR?nif=B98602642&"
    )
    assert verifactu.qr_url(environment="local", **values) == verifactu.qr_url(
        environment="test", **values
    )


def test_the_qr_address_encodes_its_parameters():
    url = verifactu.qr_url(
        environment="test",
        issuer=ISSUER,
        num_series="A&B 1/2",
        issue_date="04-12-2024",
        total="-5.00",
    )
    assert "numserie=A%26B%201%2F2&" in url
    assert url.endswith("importe=-5.00")


def test_comments_around_the_answer_do_not_matter():
    body = verifactu.build_submission_answer(
        verifactu.SubmissionAnswer("Correcto", 60, answer_lines()[:1]),
        issuer=ISSUER,
        issuer_name=NAME,
    )
    commented = body.replace(b"<env:Body>", b"<env:Body><!-- served by a proxy -->")
    assert commented != body
    assert schemas.validate(commented) == []
    assert verifactu.parse_submission_answer(commented).state == "Correcto"
