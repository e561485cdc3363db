"""GOBL invoices become VERI*FACTU records the AEAT's schemas accept, with the tax
breakdown, parties and rectifications a Spanish invoice needs."""

import hashlib

import pytest

from tests.agencies.verifactu_samples import (
    AT,
    EXAMPLES,
    ISSUER,
    PREVIOUS,
    SOFTWARE,
    example,
    field,
    fields,
    invoice,
    rate,
    register,
    with_rates,
    xml_of,
)
from workflows.agencies.aeat import schemas, verifactu

CONVERTIBLE = [name for name in EXAMPLES if "no-preceding" not in name]


def test_the_examples_are_all_here():
    assert len(EXAMPLES) == 7


@pytest.mark.parametrize("name", CONVERTIBLE)
def test_every_verifactu_example_becomes_a_request_the_official_schemas_accept(name):
    record = register(example(name), previous=PREVIOUS)
    request = verifactu.submission([record], issuer=record.issuer, issuer_name=record.issuer_name)
    assert schemas.validate(request) == []
    assert schemas.validate(record.xml) == []
    assert record.xml in request  # the record's bytes travel unchanged


def test_the_examples_chained_in_one_submission_validate_together():
    records, previous = [], None
    for name in CONVERTIBLE:
        record = register(example(name), previous=previous)
        records.append(record)
        previous = record.as_previous()
    request = verifactu.submission(records, issuer=ISSUER, issuer_name="Provide One S.L.")
    assert schemas.validate(request) == []
    links = [r.previous.fingerprint if r.previous else None for r in records]
    assert links == [None] + [r.fingerprint for r in records[:-1]]


def test_a_standard_invoice_reads_as_the_aeat_expects():
    record = register(example("es-invoice-es-es-verifactu.json"), previous=PREVIOUS)
    alta = xml_of(record)
    assert field(alta, "IDFactura/IDEmisorFactura") == ISSUER
    assert field(alta, "IDFactura/NumSerieFactura") == "SAMPLE-004"
    assert field(alta, "IDFactura/FechaExpedicionFactura") == "04-12-2024"
    assert field(alta, "NombreRazonEmisor") == "Provide One S.L."
    assert field(alta, "TipoFactura") == "F1"
    assert field(alta, "DescripcionOperacion") == "Random invoice"
    assert field(alta, "Destinatarios/IDDestinatario/NIF") == "54387763P"
    assert fields(alta, "Desglose/DetalleDesglose/TipoImpositivo") == ["21", "0"]
    assert fields(alta, "Desglose/DetalleDesglose/CuotaRepercutida") == ["340.20", "0.00"]
    assert field(alta, "CuotaTotal") == "340.20"
    assert field(alta, "ImporteTotal") == "1970.20"
    assert field(alta, "Encadenamiento/RegistroAnterior/Huella") == PREVIOUS.fingerprint
    assert field(alta, "Encadenamiento/RegistroAnterior/FechaExpedicionFactura") == "26-11-2024"
    assert field(alta, "SistemaInformatico/NIF") == "B12345674"
    assert field(alta, "FechaHoraHusoGenRegistro") == "2024-11-26T05:00:00+01:00"
    assert (record.kind, record.total, record.invoice_type) == ("alta", "1970.20", "F1")


def test_without_a_previous_record_the_record_opens_the_chain():
    alta = xml_of(register(example("es-invoice-es-es-verifactu.json")))
    assert field(alta, "Encadenamiento/PrimerRegistro") == "S"
    assert field(alta, "Encadenamiento/RegistroAnterior/Huella") is None


def test_the_fingerprint_matches_one_computed_by_hand():
    # The README's formula, written out: values exactly as the XML carries them.
    text = (
        "IDEmisorFactura=B98602642&NumSerieFactura=SAMPLE-004&FechaExpedicionFactura=04-12-2024"
        "&TipoFactura=F1&CuotaTotal=340.20&ImporteTotal=1970.20"
        "&Huella=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
        "&FechaHoraHusoGenRegistro=2024-11-26T05:00:00+01:00"
    )
    by_hand = hashlib.sha256(text.encode()).hexdigest().upper()
    assert by_hand == "1A88F299181AAD1B074049FD74153BCE637396023B6D507D691191F643AA06BB"
    record = register(example("es-invoice-es-es-verifactu.json"), previous=PREVIOUS)
    assert record.fingerprint == by_hand
    assert field(xml_of(record), "Huella") == by_hand
    assert verifactu.fingerprint(record.xml) == by_hand


def test_the_first_record_fingerprints_an_empty_previous_huella():
    text = (
        "IDEmisorFactura=B98602642&NumSerieFactura=SAMPLE-004&FechaExpedicionFactura=04-12-2024"
        "&TipoFactura=F1&CuotaTotal=340.20&ImporteTotal=1970.20&Huella="
        "&FechaHoraHusoGenRegistro=2024-11-26T05:00:00+01:00"
    )
    record = register(example("es-invoice-es-es-verifactu.json"))
    assert record.fingerprint == hashlib.sha256(text.encode()).hexdigest().upper()


def test_a_cancellation_is_chained_and_fingerprinted_on_its_own_fields():
    text = (
        "IDEmisorFacturaAnulada=B98602642&NumSerieFacturaAnulada=SAMPLE-004"
        "&FechaExpedicionFacturaAnulada=04-12-2024"
        "&Huella=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
        "&FechaHoraHusoGenRegistro=2024-11-26T05:00:00+01:00"
    )
    by_hand = hashlib.sha256(text.encode()).hexdigest().upper()
    assert by_hand == "7C390BC271C6152079B6A4FF7FA243288AC1F9EF915F65A7F819D4422E8E1AA5"
    record = verifactu.cancellation(
        example("es-invoice-es-es-verifactu.json"),
        previous=PREVIOUS,
        generated_at=AT,
        software=SOFTWARE,
    )
    assert (record.kind, record.fingerprint, record.total) == ("anulacion", by_hand, "")
    assert verifactu.fingerprint(record.xml) == by_hand
    anulacion = xml_of(record)
    assert field(anulacion, "IDFactura/NumSerieFacturaAnulada") == "SAMPLE-004"
    request = verifactu.submission([record], issuer=ISSUER, issuer_name="Provide One S.L.")
    assert schemas.validate(request) == []


def test_a_record_is_final_the_same_inputs_give_the_same_bytes():
    first = register(example("es-invoice-es-es-verifactu.json"), previous=PREVIOUS)
    again = register(example("es-invoice-es-es-verifactu.json"), previous=PREVIOUS)
    assert first.xml == again.xml
    later = verifactu.registration(
        example("es-invoice-es-es-verifactu.json"),
        previous=PREVIOUS,
        generated_at=AT.replace(second=1),
        software=SOFTWARE,
    )
    assert later.fingerprint != first.fingerprint


def test_the_generation_time_must_carry_its_offset():
    with pytest.raises(ValueError, match="offset"):
        verifactu.registration(
            example("es-invoice-es-es-verifactu.json"),
            previous=None,
            generated_at=AT.replace(tzinfo=None),
            software=SOFTWARE,
        )


# -- rectifications --------------------------------------------------------------------


PRECEDING = [
    {
        "type": "standard",
        "issue_date": "2024-11-20",
        "series": "SAMPLE",
        "code": "003",
        "tax": {
            "categories": [
                {
                    "code": "VAT",
                    "rates": [
                        {
                            "key": "standard",
                            "base": "1000.00",
                            "percent": "21.0%",
                            "amount": "210.00",
                        }
                    ],
                    "amount": "210.00",
                }
            ],
            "sum": "210.00",
        },
    }
]


@pytest.mark.parametrize("doc_type", ["R1", "R2", "R3", "R4", "R5"])
def test_a_credit_note_by_differences_subtracts_its_amounts(doc_type):
    doc = invoice(
        type="credit-note",
        preceding=PRECEDING,
        tax={"ext": {"es-verifactu-doc-type": doc_type, "es-verifactu-correction-type": "I"}},
    )
    record = register(doc, previous=PREVIOUS)
    alta = xml_of(record)
    assert field(alta, "TipoFactura") == doc_type
    assert field(alta, "TipoRectificativa") == "I"
    assert fields(alta, "FacturasRectificadas/IDFacturaRectificada/NumSerieFactura") == [
        "SAMPLE-003"
    ]
    assert field(alta, "FacturasRectificadas/IDFacturaRectificada/FechaExpedicionFactura") == (
        "20-11-2024"
    )
    assert field(alta, "ImporteRectificacion/BaseRectificada") is None  # only for S
    assert fields(alta, "Desglose/DetalleDesglose/BaseImponibleOimporteNoSujeto") == [
        "-1620.00",
        "-10.00",
    ]
    assert field(alta, "CuotaTotal") == "-340.20"
    assert record.total == "-1970.20"
    # Simplified rectifications (R5) name no customer (AEAT 1190); the others do.
    has_customer = field(alta, "Destinatarios/IDDestinatario/NIF") is not None
    assert has_customer == (doc_type != "R5")
    request = verifactu.submission([record], issuer=ISSUER, issuer_name="Provide One S.L.")
    assert schemas.validate(request) == []


def test_a_rectification_by_substitution_states_the_rectified_amounts():
    doc = invoice(
        type="corrective",
        preceding=PRECEDING,
        tax={"ext": {"es-verifactu-doc-type": "R1", "es-verifactu-correction-type": "S"}},
    )
    alta = xml_of(register(doc))
    assert field(alta, "TipoRectificativa") == "S"
    assert field(alta, "ImporteRectificacion/BaseRectificada") == "1000.00"
    assert field(alta, "ImporteRectificacion/CuotaRectificada") == "210.00"
    assert field(alta, "ImporteRectificacion/CuotaRecargoRectificado") is None
    # The new amounts stand as they are: positive.
    assert field(alta, "ImporteTotal") == "1970.20"


def test_the_corrective_example_names_the_invoice_it_replaces():
    alta = xml_of(register(example("es-invoice-es-es-verifactu-corrective.json")))
    assert field(alta, "FacturasRectificadas/IDFacturaRectificada/NumSerieFactura") == "SAMPLE-003"
    assert field(alta, "ImporteRectificacion/BaseRectificada") == "10000.00"
    assert field(alta, "ImporteRectificacion/CuotaRectificada") == "2100.00"


def test_an_f3_names_the_simplified_invoices_it_replaces():
    alta = xml_of(register(example("es-invoice-es-es-verifactu-replacement.json")))
    assert field(alta, "TipoFactura") == "F3"
    assert field(alta, "FacturasSustituidas/IDFacturaSustituida/NumSerieFactura") == "SAMPLE-003"
    assert field(alta, "FacturasRectificadas") is None


def test_a_simplified_invoice_names_no_customer():
    record = register(example("es-invoice-es-es-verifactu-simplified-with-customer.json"))
    alta = xml_of(record)
    assert field(alta, "TipoFactura") == "F2"
    assert field(alta, "Destinatarios") is None
    assert field(alta, "FacturaSinIdentifDestinatarioArt61d") is None


def test_a_simplified_invoice_without_any_customer_converts():
    doc = invoice("es-invoice-es-es-verifactu-simplified-with-customer.json", customer=None)
    assert schemas.validate(register(doc).xml) == []


def test_a_self_billed_invoice_says_the_customer_issued_it():
    alta = xml_of(register(example("es-invoice-es-es-verifactu-self-billed.json")))
    assert field(alta, "EmitidaPorTerceroODestinatario") == "D"
    assert field(alta, "Tercero") is None


def test_a_third_party_issuer_is_named():
    doc = invoice(
        tax={"ext": {"es-verifactu-doc-type": "F1", "es-verifactu-issuer-type": "T"}},
        ordering={
            "issuer": {"name": "Gestoría López", "tax_id": {"country": "ES", "code": "B87654321"}}
        },
    )
    alta = xml_of(register(doc))
    assert field(alta, "EmitidaPorTerceroODestinatario") == "T"
    assert field(alta, "Tercero/NIF") == "B87654321"
    assert field(alta, "Tercero/NombreRazon") == "Gestoría López"


def test_an_operation_date_other_than_the_issue_date_is_stated():
    alta = xml_of(register(invoice(operation_date="2024-11-30")))
    assert field(alta, "FechaOperacion") == "30-11-2024"
    same = xml_of(register(invoice(operation_date="2024-12-04")))
    assert field(same, "FechaOperacion") is None


def test_without_a_general_note_the_description_lists_the_items():
    alta = xml_of(register(invoice(notes=None)))
    assert field(alta, "DescripcionOperacion") == "Development services, Financial service."


# -- customers --------------------------------------------------------------------------


def customer_of(party):
    alta = xml_of(register(invoice(customer=party)))
    return {
        "nif": field(alta, "Destinatarios/IDDestinatario/NIF"),
        "country": field(alta, "Destinatarios/IDDestinatario/IDOtro/CodigoPais"),
        "type": field(alta, "Destinatarios/IDDestinatario/IDOtro/IDType"),
        "id": field(alta, "Destinatarios/IDDestinatario/IDOtro/ID"),
    }


def test_a_customer_outside_the_eu_is_named_by_idotro_with_a_foreign_id():
    party = {
        "name": "Global Tech Solutions Inc.",
        "tax_id": {"country": "US", "code": "1234567890"},
    }
    assert customer_of(party) == {"nif": None, "country": "US", "type": "04", "id": "1234567890"}


def test_an_eu_customer_is_named_by_its_vat_number():
    party = {"name": "Dutch B.V.", "tax_id": {"country": "NL", "code": "000099995B57"}}
    assert customer_of(party) == {
        "nif": None,
        "country": "NL",
        "type": "02",
        "id": "NL000099995B57",
    }


def test_a_greek_vat_number_keeps_el_but_the_country_is_gr():
    party = {"name": "Athens S.A.", "tax_id": {"country": "EL", "code": "094259216"}}
    assert customer_of(party)["country"] == "GR"
    assert customer_of(party)["id"] == "EL094259216"


def test_a_customer_known_by_passport():
    party = {
        "name": "John Smith",
        "identities": [{"country": "GB", "key": "passport", "code": "543210987"}],
    }
    assert customer_of(party) == {"nif": None, "country": "GB", "type": "03", "id": "543210987"}


# -- the tax breakdown -----------------------------------------------------------------


def details(doc):
    alta = xml_of(register(doc))
    names = [
        "Impuesto",
        "ClaveRegimen",
        "CalificacionOperacion",
        "OperacionExenta",
        "TipoImpositivo",
        "BaseImponibleOimporteNoSujeto",
        "CuotaRepercutida",
        "TipoRecargoEquivalencia",
        "CuotaRecargoEquivalencia",
    ]
    rows = alta.findall(f"{{{verifactu.NS_SF}}}Desglose/{{{verifactu.NS_SF}}}DetalleDesglose")
    result = [
        {name: field(row, name) for name in names if field(row, name) is not None} for row in rows
    ]
    return result, field(alta, "CuotaTotal"), field(alta, "ImporteTotal")


def test_several_rates_each_get_their_line():
    doc = with_rates(
        invoice(),
        rate("standard", "100.00", "21.0%", "21.00", op_class="S1", regime="01"),
        rate("reduced", "200.00", "10.0%", "20.00", op_class="S1", regime="01"),
        rate("super-reduced", "50.00", "4.0%", "2.00", op_class="S1", regime="01"),
    )
    rows, tax, total = details(doc)
    assert [r["TipoImpositivo"] for r in rows] == ["21", "10", "4"]
    assert [r["CuotaRepercutida"] for r in rows] == ["21.00", "20.00", "2.00"]
    assert (tax, total) == ("43.00", "393.00")


def test_exempt_lines_say_why_and_carry_no_rate():
    doc = with_rates(
        invoice(),
        rate("standard", "100.00", "21.0%", "21.00", op_class="S1", regime="01"),
        rate("exempt", "300.00", exempt="E1", regime="01"),
    )
    rows, tax, total = details(doc)
    assert rows[1] == {
        "Impuesto": "01",
        "ClaveRegimen": "01",
        "OperacionExenta": "E1",
        "BaseImponibleOimporteNoSujeto": "300.00",
    }
    assert (tax, total) == ("21.00", "421.00")


def test_equivalence_surcharge_is_its_own_rate_and_amount():
    surcharged = rate("standard", "500.00", "21.0%", "105.00", op_class="S1", regime="18")
    surcharged["surcharge"] = {"percent": "5.2%", "amount": "26.00"}
    rows, tax, total = details(with_rates(invoice(), surcharged, surcharge="26.00"))
    assert rows == [
        {
            "Impuesto": "01",
            "ClaveRegimen": "18",
            "CalificacionOperacion": "S1",
            "TipoImpositivo": "21",
            "BaseImponibleOimporteNoSujeto": "500.00",
            "CuotaRepercutida": "105.00",
            "TipoRecargoEquivalencia": "5.2",
            "CuotaRecargoEquivalencia": "26.00",
        }
    ]
    # CuotaTotal adds the surcharge (AEAT 1216), ImporteTotal too (1210).
    assert (tax, total) == ("131.00", "631.00")


def test_reverse_charge_has_a_zero_rate_and_no_tax():
    doc = with_rates(invoice(), rate("reverse-charge", "1000.00", op_class="S2", regime="01"))
    rows, tax, total = details(doc)
    assert rows[0]["CalificacionOperacion"] == "S2"
    assert (rows[0]["TipoImpositivo"], rows[0]["CuotaRepercutida"]) == ("0", "0.00")
    assert (tax, total) == ("0.00", "1000.00")


def test_not_subject_lines_state_the_base_only():
    rows, tax, total = details(example("es-invoice-es-es-verifactu-N2.json"))
    assert rows == [
        {
            "Impuesto": "01",
            "ClaveRegimen": "01",
            "CalificacionOperacion": "N2",
            "BaseImponibleOimporteNoSujeto": "3000.00",
        }
    ]
    assert (tax, total) == ("0.00", "3000.00")


def test_withholdings_are_left_out_of_the_breakdown():
    doc = invoice()
    doc["doc"]["totals"]["taxes"]["categories"].append(
        {
            "code": "IRPF",
            "retained": True,
            "rates": [{"base": "1620.00", "percent": "15.0%", "amount": "243.00"}],
            "amount": "243.00",
        }
    )
    rows, tax, total = details(doc)
    assert len(rows) == 2
    assert (tax, total) == ("340.20", "1970.20")


def test_igic_is_tax_03():
    doc = invoice()
    doc["doc"]["totals"]["taxes"]["categories"][0]["code"] = "IGIC"
    rows, _, _ = details(doc)
    assert {r["Impuesto"] for r in rows} == {"03"}


# -- what cannot be converted ------------------------------------------------------------


def refused(doc, **options):
    with pytest.raises(verifactu.ConversionError) as caught:
        register(doc, **options)
    return caught.value.code, caught.value.message


def test_a_supplier_outside_spain_is_refused():
    doc = invoice(supplier={"name": "Acme GmbH", "tax_id": {"country": "DE", "code": "111111125"}})
    code, message = refused(doc)
    assert code == "not_spanish"
    assert "supplier.tax_id" in message and "DE" in message


def test_an_invoice_without_the_verifactu_extensions_is_refused():
    code, message = refused(invoice(tax=None))
    assert code == "missing_extension"
    assert "tax.ext.es-verifactu-doc-type" in message


def test_a_rate_without_its_operation_class_is_refused():
    doc = with_rates(invoice(), rate("standard", "100.00", "21.0%", "21.00", regime="01"))
    code, message = refused(doc)
    assert code == "missing_extension"
    assert "totals.taxes.categories[0].rates[0]" in message and "es-verifactu-op-class" in message


def test_a_rate_without_its_regime_is_refused():
    doc = with_rates(invoice(), rate("standard", "100.00", "21.0%", "21.00", op_class="S1"))
    code, message = refused(doc)
    assert (code, "es-verifactu-regime" in message) == ("missing_extension", True)


def test_a_party_document_is_refused():
    party = {"$schema": "https://gobl.org/draft-0/org/party", "name": "Provide One S.L."}
    code, message = refused({"$schema": "https://gobl.org/draft-0/envelope", "doc": party})
    assert code == "not_an_invoice"
    assert "org/party" in message


def test_the_credit_note_example_without_preceding_is_refused():
    code, message = refused(example("es-invoice-es-es-verifactu-credit-note-no-preceding.json"))
    assert code == "no_preceding"
    assert message.startswith("preceding:")


def test_a_rectification_without_its_correction_type_is_refused():
    doc = invoice(
        type="credit-note", preceding=PRECEDING, tax={"ext": {"es-verifactu-doc-type": "R1"}}
    )
    code, message = refused(doc)
    assert code == "missing_extension"
    assert "es-verifactu-correction-type" in message


def test_a_substitution_without_the_rectified_amounts_is_refused():
    bare = [{k: v for k, v in PRECEDING[0].items() if k != "tax"}]
    doc = invoice(
        type="corrective",
        preceding=bare,
        tax={"ext": {"es-verifactu-doc-type": "R1", "es-verifactu-correction-type": "S"}},
    )
    assert refused(doc)[0] == "no_preceding_tax"


def test_an_f1_without_an_identified_customer_is_refused():
    code, message = refused(invoice(customer={"name": "Someone"}))
    assert code == "no_customer"
    assert "F1" in message


def test_an_invoice_in_another_currency_is_refused():
    code, message = refused(invoice(currency="USD"))
    assert code == "not_euro" and "USD" in message


def test_an_invoice_without_a_number_is_refused():
    code, message = refused(invoice(code=None))
    assert code == "missing_field" and message.startswith("code:")


def test_a_third_party_invoice_without_the_third_party_is_refused():
    doc = invoice(tax={"ext": {"es-verifactu-doc-type": "F1", "es-verifactu-issuer-type": "T"}})
    assert refused(doc)[0] == "missing_field"


def test_an_unknown_invoice_type_is_refused():
    code, message = refused(invoice(tax={"ext": {"es-verifactu-doc-type": "F9"}}))
    assert code == "bad_extension" and "F9" in message


def test_a_record_the_schema_would_refuse_never_leaves():
    # A customer name is free text, but the AEAT's identifiers have fixed lengths: a
    # 25-character foreign ID would make the AEAT reject a whole batch.
    party = {"name": "Far Away Ltd", "tax_id": {"country": "US", "code": "1" * 25}}
    assert refused(invoice(customer=party))[0] == "bad_id"


def test_not_a_json_object_is_refused():
    assert refused(["not", "an", "invoice"])[0] == "not_an_invoice"


def test_a_cancellation_needs_no_extensions_but_a_spanish_supplier():
    record = verifactu.cancellation(
        invoice(tax=None), previous=None, generated_at=AT, software=SOFTWARE
    )
    assert record.kind == "anulacion"
    with pytest.raises(verifactu.ConversionError) as caught:
        verifactu.cancellation(
            invoice(supplier={"name": "X", "tax_id": {"country": "FR", "code": "44732829320"}}),
            previous=None,
            generated_at=AT,
            software=SOFTWARE,
        )
    assert caught.value.code == "not_spanish"


# -- corrections of a record the AEAT answered -------------------------------------------


def test_a_correction_after_a_rejection_says_so():
    alta = xml_of(register(invoice(), correction="rejected"))
    assert (field(alta, "Subsanacion"), field(alta, "RechazoPrevio")) == ("S", "S")
    corrected = xml_of(register(invoice(), correction="accepted_with_errors"))
    assert (field(corrected, "Subsanacion"), field(corrected, "RechazoPrevio")) == ("S", None)


def test_anything_else_the_schema_refuses_is_caught_before_sending():
    party = {"name": "Nowhere Ltd", "tax_id": {"country": "ZZ", "code": "12345"}}
    code, message = refused(invoice(customer=party))
    assert code == "invalid_record"
    assert "CodigoPais" in message and "ZZ" in message


def test_amounts_are_rounded_half_up_to_cents():
    doc = with_rates(
        invoice(), rate("standard", "10.005", "21.0%", "2.1015", op_class="S1", regime="01")
    )
    rows, tax, total = details(doc)
    assert (rows[0]["BaseImponibleOimporteNoSujeto"], rows[0]["CuotaRepercutida"]) == (
        "10.01",
        "2.10",
    )
    assert (tax, total) == ("2.10", "12.11")


# -- the software's identity ------------------------------------------------------------


def test_the_software_identity_comes_from_the_settings(settings):
    settings.VERIFACTU_SOFTWARE = {"name": "Acme IT S.L.", "nif": "B11111111", "installation": "42"}
    software = verifactu.Software.from_settings()
    alta = xml_of(
        verifactu.registration(invoice(), previous=None, generated_at=AT, software=software)
    )
    assert field(alta, "SistemaInformatico/NombreRazon") == "Acme IT S.L."
    assert field(alta, "SistemaInformatico/NIF") == "B11111111"
    assert field(alta, "SistemaInformatico/NumeroInstalacion") == "42"
    assert field(alta, "SistemaInformatico/NombreSistemaInformatico") == "Workflow Console"


def test_without_settings_the_issuer_produces_its_own_installation(settings):
    settings.VERIFACTU_SOFTWARE = None
    software = verifactu.Software.from_settings()
    alta = xml_of(
        verifactu.registration(invoice(), previous=None, generated_at=AT, software=software)
    )
    assert field(alta, "SistemaInformatico/NIF") == ISSUER
    assert field(alta, "SistemaInformatico/NombreRazon") == "Provide One S.L."


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"system_id": "ABC"}, "at most|allows 2"),
        ({"nif": "B1"}, "9-character"),
        ({"installation": 7}, "plain text"),
        ({"colour": "blue"}, "unknown keys: colour"),
        ({"version": ""}, "cannot be empty"),
    ],
)
def test_a_wrong_software_setting_says_which(settings, values, expected):
    settings.VERIFACTU_SOFTWARE = values
    with pytest.raises(ValueError, match=expected):
        verifactu.Software.from_settings()
