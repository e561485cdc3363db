"""GOBL invoices to VERI*FACTU records, the SOAP requests that carry them, and the answers.

Everything here is pure: no database, no network, no clock (the caller passes
``generated_at``). The chain (which record comes before which) is the caller's; a
``Record`` is final once built: its ``xml`` bytes are what is sent, and resent, unchanged.

Where GOBL's meaning is not obvious the mapping follows invopop's own converter
(gobl.verifactu); docs/agencies.md lists the decisions.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import quote
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from lxml import etree

from . import errors as aeat_errors
from . import schemas

_BASE = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/"
    "es/aeat/tike/cont/ws/"
)
NS_SF = _BASE + "SuministroInformacion.xsd"
NS_LR = _BASE + "SuministroLR.xsd"
NS_QUERY = _BASE + "ConsultaLR.xsd"
NS_ANSWER = _BASE + "RespuestaSuministro.xsd"
NS_QUERY_ANSWER = _BASE + "RespuestaConsultaLR.xsd"
SOAP_ENV = schemas.SOAP_ENV

VERSION = "1.0"
MADRID = ZoneInfo("Europe/Madrid")
MAX_RECORDS = 1000  # per request, the AEAT's limit
LINE_STATES = ("Correcto", "AceptadoConErrores", "Incorrecto")  # of a submitted record
HELD_STATES = ("Correcto", "AceptadoConErrores", "Anulado")  # of a record the AEAT holds
QR_BASES = {
    "production": "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR",
    "test": "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR",
    # The local test AEAT has no QR service: a demo invoice points at the AEAT's test one.
    "local": "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR",
}

GOBL_INVOICE = "https://gobl.org/draft-0/bill/invoice"
GOBL_ENVELOPE = "https://gobl.org/draft-0/envelope"
EXT_DOC_TYPE = "es-verifactu-doc-type"
EXT_CORRECTION = "es-verifactu-correction-type"
EXT_OP_CLASS = "es-verifactu-op-class"
EXT_EXEMPT = "es-verifactu-exempt"
EXT_REGIME = "es-verifactu-regime"
EXT_ISSUER_TYPE = "es-verifactu-issuer-type"
EXT_IDENTITY_TYPE = "es-verifactu-identity-type"
EXT_ART7273 = "es-verifactu-simplified-art7273"

INVOICE_TYPES = ("F1", "F2", "F3", "R1", "R2", "R3", "R4", "R5")
CORRECTIVE = ("R1", "R2", "R3", "R4", "R5")
SIMPLIFIED = ("F2", "R5")  # no Destinatarios (AEAT 1190)
TAX_CODES = {"VAT": "01", "IPSI": "02", "IGIC": "03"}  # anything else is 05, "Otros"
IDENTITY_TYPES = {"passport": "03", "foreign": "04", "resident": "05", "other": "06"}
EU = frozenset(
    ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU")
    + ("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
)
ISO_COUNTRY = {"EL": "GR", "XI": "GB"}  # GOBL's tax country codes that ISO spells otherwise
_CENT = Decimal("0.01")
_TOO_LARGE = Decimal(10) ** 12
# Characters XML 1.0 cannot carry: dropped where a value is read, so that what the XML
# says and what the fingerprint hashes are the same text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class ConversionError(Exception):
    """The document cannot become a VERI*FACTU record; ``message`` names the field."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class AnswerError(Exception):
    """A body that is not an answer the AEAT's service gives (or is malformed)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class SoapFault(Exception):
    """The service answered with a SOAP fault: ``code`` is the AEAT's code when the
    fault carries one (``Codigo[4102]...``), else the SOAP fault code."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# -- what the caller gives and gets -------------------------------------------------


@dataclass(frozen=True)
class Software:
    """The invoicing system's identity (``SistemaInformatico``).

    ``name``/``nif`` are the producer's; left empty they are the issuer's own (an
    operator running this open-source console is the producer of its installation).
    """

    name: str = ""
    nif: str = ""
    system_name: str = "Workflow Console"
    system_id: str = "WC"
    version: str = "0.1.0"
    installation: str = "1"
    only_verifactu: bool = True
    multiple_issuers_possible: bool = True
    multiple_issuers: bool = False

    _LIMITS = {"name": 120, "system_name": 30, "system_id": 2, "version": 50, "installation": 100}

    def __post_init__(self):
        for name, limit in self._LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, str) or _NOT_XML.search(value):
                raise ValueError(f"VERIFACTU_SOFTWARE[{name!r}] must be plain text")
            if len(value) > limit:
                raise ValueError(
                    f"VERIFACTU_SOFTWARE[{name!r}] is {len(value)} characters long; "
                    f"the AEAT allows {limit}"
                )
        if self.nif and len(self.nif) != 9:
            raise ValueError("VERIFACTU_SOFTWARE['nif'] must be a 9-character Spanish NIF")
        for name in ("system_id", "version", "installation"):
            if not getattr(self, name):
                raise ValueError(f"VERIFACTU_SOFTWARE[{name!r}] cannot be empty")

    @classmethod
    def from_settings(cls):
        from django.conf import settings

        values = dict(getattr(settings, "VERIFACTU_SOFTWARE", None) or {})
        known = {f for f in cls.__dataclass_fields__ if not f.startswith("_")}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"VERIFACTU_SOFTWARE has unknown keys: {', '.join(unknown)}")
        return cls(**values)


@dataclass(frozen=True)
class Previous:
    """The issuer's previous record, which the next one chains to."""

    issuer: str
    num_series: str
    issue_date: date
    fingerprint: str

    @classmethod
    def from_json(cls, data):
        """From ``{"issuer", "num_series", "issue_date", "fingerprint"}`` (the CLI's file);
        the date as ``2024-11-26`` or as the AEAT writes it, ``26-11-2024``."""
        if not isinstance(data, dict):
            raise ValueError("the previous record must be a JSON object")
        missing = [
            k for k in ("issuer", "num_series", "issue_date", "fingerprint") if not data.get(k)
        ]
        if missing:
            raise ValueError(f"the previous record lacks {', '.join(missing)}")
        return cls(
            issuer=str(data["issuer"]),
            num_series=str(data["num_series"]),
            issue_date=_parse_date(str(data["issue_date"]), "issue_date"),
            fingerprint=str(data["fingerprint"]),
        )


@dataclass(frozen=True)
class Record:
    """One registration (``alta``) or cancellation (``anulacion``), final once built."""

    kind: str  # "alta" | "anulacion"
    issuer: str
    issuer_name: str
    num_series: str
    issue_date: date
    total: str  # ImporteTotal as written ("" for a cancellation)
    fingerprint: str
    generated_at: datetime
    xml: bytes  # the RegistroAlta / RegistroAnulacion element
    invoice_type: str = ""  # TipoFactura ("" for a cancellation)
    previous: Previous | None = None

    @property
    def operation(self):
        return "Alta" if self.kind == "alta" else "Anulacion"

    @property
    def key(self):
        """What the AEAT's answer line names: issuer, number, date and operation."""
        return (self.issuer, self.num_series, self.issue_date, self.operation)

    def as_previous(self):
        """This record as the ``previous`` of the next one in the chain."""
        return Previous(self.issuer, self.num_series, self.issue_date, self.fingerprint)


@dataclass(frozen=True)
class Duplicate:
    """``RegistroDuplicado``: the AEAT already holds this record."""

    request_id: str
    state: str  # Correcta | AceptadaConErrores | Anulada
    code: str = ""
    description: str = ""


@dataclass(frozen=True)
class Line:
    """The AEAT's answer for one record of a submission."""

    issuer: str
    num_series: str
    issue_date: date
    state: str  # Correcto | AceptadoConErrores | Incorrecto
    code: str = ""
    description: str = ""
    duplicate: Duplicate | None = None
    operation: str = "Alta"

    @property
    def key(self):
        return (self.issuer, self.num_series, self.issue_date, self.operation)


@dataclass(frozen=True)
class SubmissionAnswer:
    state: str  # Correcto | ParcialmenteCorrecto | Incorrecto
    wait_seconds: int
    lines: list = field(default_factory=list)
    csv: str = ""


@dataclass(frozen=True)
class Held:
    """A record the AEAT holds, as its query service describes it."""

    issuer: str
    num_series: str
    issue_date: date
    fingerprint: str
    state: str  # Correcto | AceptadoConErrores | Anulado
    code: str = ""
    description: str = ""


class QueryResult(list):
    """``Held`` records; ``next_page`` is the (issuer, number, date) to ask after, if any."""

    next_page = None


@dataclass(frozen=True)
class Query:
    """A ``ConsultaFactuSistemaFacturacion`` as the local AEAT reads it."""

    issuer: str
    issuer_name: str
    year: int
    month: int
    num_series: str | None = None
    after: tuple | None = None


# -- values as the AEAT writes them ---------------------------------------------------


def _parse_date(value, where):
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except (TypeError, ValueError):
            continue
    raise ValueError(f"{where}: {value!r} is not a date (expected YYYY-MM-DD)")


def aeat_date(value):
    """``26-11-2024``: the AEAT's date format."""
    return value.strftime("%d-%m-%Y")


def aeat_timestamp(moment):
    """``2024-11-26T05:00:00+01:00``: seconds and the UTC offset, as fingerprinted."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("generated_at must carry its UTC offset (an aware datetime)")
    return moment.replace(microsecond=0).isoformat()


def now():
    """The current time in Spain's peninsular zone, with its offset."""
    return datetime.now(MADRID).replace(microsecond=0)


def _money(value):
    value = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    return format(abs(value) if value == 0 else value, "f")


def _rate(value):
    text = format(value.quantize(_CENT, rounding=ROUND_HALF_UP).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _huella(pairs):
    text = "&".join(f"{name}={(value or '').strip()}" for name, value in pairs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def fingerprint_registration(
    *, issuer, num_series, issue_date, invoice_type, tax_total, total, previous, generated_at
):
    """The ``Huella`` of a registration from its values as written in the XML (strings)."""
    return _huella(
        [
            ("IDEmisorFactura", issuer),
            ("NumSerieFactura", num_series),
            ("FechaExpedicionFactura", issue_date),
            ("TipoFactura", invoice_type),
            ("CuotaTotal", tax_total),
            ("ImporteTotal", total),
            ("Huella", previous),
            ("FechaHoraHusoGenRegistro", generated_at),
        ]
    )


def fingerprint_cancellation(*, issuer, num_series, issue_date, previous, generated_at):
    """The ``Huella`` of a cancellation from its values as written in the XML (strings)."""
    return _huella(
        [
            ("IDEmisorFacturaAnulada", issuer),
            ("NumSerieFacturaAnulada", num_series),
            ("FechaExpedicionFacturaAnulada", issue_date),
            ("Huella", previous),
            ("FechaHoraHusoGenRegistro", generated_at),
        ]
    )


def fingerprint(record):
    """Recompute the ``Huella`` of a ``RegistroAlta``/``RegistroAnulacion`` (bytes or an
    element) from the values it carries, as the AEAT checks it (its code 2000)."""
    element = schemas.parse(record) if isinstance(record, bytes) else record
    previous = _find(element, "Encadenamiento", "RegistroAnterior", "Huella")
    values = {"previous": previous, "generated_at": _find(element, "FechaHoraHusoGenRegistro")}
    if _local(element) == "RegistroAlta":
        return fingerprint_registration(
            issuer=_find(element, "IDFactura", "IDEmisorFactura"),
            num_series=_find(element, "IDFactura", "NumSerieFactura"),
            issue_date=_find(element, "IDFactura", "FechaExpedicionFactura"),
            invoice_type=_find(element, "TipoFactura"),
            tax_total=_find(element, "CuotaTotal"),
            total=_find(element, "ImporteTotal"),
            **values,
        )
    if _local(element) == "RegistroAnulacion":
        return fingerprint_cancellation(
            issuer=_find(element, "IDFactura", "IDEmisorFacturaAnulada"),
            num_series=_find(element, "IDFactura", "NumSerieFacturaAnulada"),
            issue_date=_find(element, "IDFactura", "FechaExpedicionFacturaAnulada"),
            **values,
        )
    raise ValueError(f"not a VERI*FACTU record: {_local(element)}")


def qr_url(*, environment, issuer, num_series, issue_date, total, base=None):
    """The address the invoice's QR code encodes (the AEAT's ``ValidarQR`` service)."""
    if base is None:
        if environment not in QR_BASES:
            raise ValueError(f"unknown environment {environment!r}")
        base = QR_BASES[environment]
    if isinstance(issue_date, date):
        issue_date = aeat_date(issue_date)
    params = (("nif", issuer), ("numserie", num_series), ("fecha", issue_date), ("importe", total))
    return base + "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params)


# -- reading the GOBL document --------------------------------------------------------


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


def _text(value):
    """A scalar of the document as text; objects and lists (malformed input) as ""."""
    if value is None or isinstance(value, dict | list):
        return ""
    return _NOT_XML.sub("", str(value)).strip()


def _invoice(doc):
    if not isinstance(doc, dict):
        raise ConversionError("not_an_invoice", "The document must be a JSON object.")
    inner = doc.get("doc") if doc.get("$schema") == GOBL_ENVELOPE else doc
    if not isinstance(inner, dict):
        raise ConversionError("not_an_invoice", 'The envelope has no "doc" object.')
    schema = _text(inner.get("$schema"))
    if schema != GOBL_INVOICE:
        kind = schema.rsplit("draft-0/", 1)[-1] or "unknown"
        raise ConversionError(
            "not_an_invoice",
            f"VERI*FACTU registers invoices (bill/invoice); this document is {kind}.",
        )
    return inner


def _decimal(value, where):
    try:
        result = Decimal(_text(value).rstrip("%"))
    except InvalidOperation:
        raise ConversionError("bad_amount", f"{where}: {value!r} is not a number.") from None
    if not result.is_finite():
        raise ConversionError("bad_amount", f"{where}: {value!r} is not a number.")
    if abs(result) >= _TOO_LARGE:
        raise ConversionError(
            "bad_amount", f"{where}: {value!r} is larger than the AEAT's 12 digits."
        )
    return result


def _date(value, where):
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise ConversionError(
            "missing_field" if not _text(value) else "bad_date",
            f"{where}: {'missing' if not _text(value) else repr(value) + ' is not a date'}"
            " (expected YYYY-MM-DD).",
        ) from None


def _number(series, code):
    series, code = _text(series), _text(code)
    return f"{series}-{code}" if series and code else code


def _supplier(invoice):
    supplier = _mapping(invoice.get("supplier"))
    tax_id = _mapping(supplier.get("tax_id"))
    country, code = _text(tax_id.get("country")).upper(), _text(tax_id.get("code")).upper()
    if country != "ES":
        shown = f"{country or 'no country'}{' ' + code if code else ''}"
        raise ConversionError(
            "not_spanish",
            f"supplier.tax_id: VERI*FACTU is for Spanish issuers (an ES tax ID); "
            f"the supplier's is {shown}.",
        )
    if len(code) != 9:
        raise ConversionError(
            "bad_nif", f"supplier.tax_id.code: {code!r} is not a 9-character Spanish NIF."
        )
    name = _text(supplier.get("name"))
    if not name:
        raise ConversionError("missing_field", "supplier.name: the issuer's name is missing.")
    return code, name[:120]


def _identity(invoice):
    """Issuer NIF and name, number and issue date: what identifies an invoice."""
    issuer, issuer_name = _supplier(invoice)
    code = _text(invoice.get("code"))
    if not code:
        raise ConversionError("missing_field", "code: the invoice has no number yet.")
    number = _number(invoice.get("series"), code)
    if len(number) > 60:
        raise ConversionError(
            "bad_number", f"series/code: {number!r} is longer than the AEAT's 60 characters."
        )
    issued = _date(invoice.get("issue_date"), "issue_date")
    return issuer, issuer_name, number, issued


def _tax_ext(invoice, key, required=True):
    value = _text(_mapping(_mapping(invoice.get("tax")).get("ext")).get(key))
    if required and not value:
        raise ConversionError(
            "missing_extension",
            f"tax.ext.{key}: missing (the es-verifactu-v1 add-on sets it; "
            "run the document through GOBL with that add-on).",
        )
    return value


def _party(party, where):
    """``(NombreRazon, NIF | None, IDOtro | None)``, or None without any identification."""
    party = _mapping(party)
    name = _text(party.get("name"))
    tax_id = _mapping(party.get("tax_id"))
    country = _text(tax_id.get("country")).upper()
    code = _text(tax_id.get("code")).upper()
    if code and country == "ES":
        if len(code) != 9:
            raise ConversionError(
                "bad_nif", f"{where}.tax_id.code: {code!r} is not a 9-character Spanish NIF."
            )
        return _named(name, where), code, None
    if code and country:
        iso = ISO_COUNTRY.get(country, country)
        if country in EU:
            return _named(name, where), None, (iso, "02", _id(country + code, where))
        return _named(name, where), None, (iso, "04", _id(code, where))
    for index, identity in enumerate(_list(party.get("identities"))):
        identity = _mapping(identity)
        kind = _text(_mapping(identity.get("ext")).get(EXT_IDENTITY_TYPE)) or IDENTITY_TYPES.get(
            _text(identity.get("key"))
        )
        number = _text(identity.get("code"))
        if not kind or not number:
            continue
        where_id = f"{where}.identities[{index}]"
        country = _text(identity.get("country")).upper() or country or _address_country(party)
        iso = ISO_COUNTRY.get(country, country) or None
        return _named(name, where), None, (iso, kind, _id(number, where_id))
    return None


def _address_country(party):
    for address in _list(party.get("addresses")):
        country = _text(_mapping(address).get("country")).upper()
        if country:
            return country
    return ""


def _named(name, where):
    if not name:
        raise ConversionError("missing_field", f"{where}.name: missing.")
    return name[:120]


def _id(value, where):
    if len(value) > 20:
        raise ConversionError(
            "bad_id", f"{where}: {value!r} is longer than the AEAT's 20 characters."
        )
    return value


def _description(invoice):
    for note in _list(invoice.get("notes")):
        note = _mapping(note)
        if _text(note.get("key")) == "general" and _text(note.get("text")):
            return _shorten(_text(note.get("text")))
    names = [
        _text(_mapping(_mapping(line).get("item")).get("name"))
        for line in _list(invoice.get("lines"))
    ]
    names = [name for name in names if name]
    return _shorten(", ".join(names) + ".") if names else "Sin descripción"


def _shorten(text, limit=500):
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _Detail:
    tax: str
    regime: str
    op_class: str
    exempt: str
    rate: str
    base: Decimal
    base_at_cost: bool
    amount: Decimal | None
    surcharge_rate: str
    surcharge: Decimal | None


def _breakdown(invoice, sign):
    totals = _mapping(invoice.get("totals"))
    categories = _list(_mapping(totals.get("taxes")).get("categories"))
    details = []
    for ci, category in enumerate(categories):
        category = _mapping(category)
        if category.get("retained"):
            continue  # withholdings (IRPF) are not part of VERI*FACTU's breakdown
        cat = _text(category.get("code")).upper()
        tax = TAX_CODES.get(cat, "05")
        for ri, rate in enumerate(_list(category.get("rates"))):
            where = f"totals.taxes.categories[{ci}].rates[{ri}]"
            details.append(_detail(_mapping(rate), tax, where, sign))
    if not details:
        raise ConversionError(
            "no_taxes",
            "totals.taxes: the invoice has no tax breakdown; a Spanish invoice states its "
            "VAT (or IGIC, IPSI) on every line, even when exempt.",
        )
    if len(details) > 12:
        raise ConversionError(
            "too_many_rates",
            f"totals.taxes: {len(details)} tax rates; the AEAT takes at most 12 per invoice.",
        )
    return details


def _detail(rate, tax, where, sign):
    ext = _mapping(rate.get("ext"))
    regime = _text(ext.get(EXT_REGIME))
    if tax in ("01", "03") and not regime:
        raise ConversionError("missing_extension", f"{where}.ext.{EXT_REGIME}: missing.")
    percent = _text(rate.get("percent"))
    exempt = "" if percent else _text(ext.get(EXT_EXEMPT))
    op_class = "" if exempt else _text(ext.get(EXT_OP_CLASS))
    if not exempt and not op_class:
        raise ConversionError(
            "missing_extension", f"{where}.ext: missing {EXT_OP_CLASS} (or {EXT_EXEMPT})."
        )
    base = sign * _decimal(rate.get("base"), f"{where}.base")
    amount = sign * _decimal(rate.get("amount") or "0", f"{where}.amount")
    detail = _Detail(
        tax=tax,
        regime=regime if tax in ("01", "03") else "",
        op_class=op_class,
        exempt=exempt,
        rate="",
        base=base,
        base_at_cost=tax in ("02", "05") or regime == "06",
        amount=None,
        surcharge_rate="",
        surcharge=None,
    )
    if op_class == "S1":
        if not percent:
            raise ConversionError("missing_field", f"{where}.percent: a taxed (S1) rate needs it.")
        detail.rate = _rate(_decimal(percent, f"{where}.percent"))
        detail.amount = amount
        surcharge = _mapping(rate.get("surcharge"))
        if surcharge:
            detail.surcharge_rate = _rate(
                _decimal(surcharge.get("percent"), f"{where}.surcharge.percent")
            )
            detail.surcharge = sign * _decimal(surcharge.get("amount"), f"{where}.surcharge.amount")
    elif op_class == "S2":  # reverse charge: the customer pays the tax (AEAT 1198)
        detail.rate = "0"
        detail.amount = amount
    return detail


def _rectified_amounts(preceding):
    base = tax = surcharge = Decimal(0)
    found = False
    for pi, reference in enumerate(preceding):
        for ci, category in enumerate(
            _list(_mapping(_mapping(reference).get("tax")).get("categories"))
        ):
            category = _mapping(category)
            if category.get("retained"):
                continue
            where = f"preceding[{pi}].tax.categories[{ci}]"
            found = True
            for ri, rate in enumerate(_list(category.get("rates"))):
                base += _decimal(_mapping(rate).get("base"), f"{where}.rates[{ri}].base")
            tax += _decimal(category.get("amount") or "0", f"{where}.amount")
            if category.get("surcharge") not in (None, ""):
                surcharge += _decimal(category.get("surcharge"), f"{where}.surcharge")
    if not found:
        raise ConversionError(
            "no_preceding_tax",
            "preceding[].tax: a rectification by substitution (S) states the rectified "
            "invoice's base and tax; the preceding invoice's tax totals are missing.",
        )
    return base, tax, (surcharge if surcharge else None)


def _references(invoice, issuer, purpose, verb):
    preceding = [_mapping(p) for p in _list(invoice.get("preceding"))]
    if not preceding:
        raise ConversionError(
            "no_preceding",
            f"preceding: {purpose} must name the invoice(s) it {verb}; "
            "the document has no preceding invoice.",
        )
    refs = []
    for index, reference in enumerate(preceding):
        code = _text(reference.get("code"))
        if not code:
            raise ConversionError("missing_field", f"preceding[{index}].code: missing.")
        issued = _date(reference.get("issue_date"), f"preceding[{index}].issue_date")
        refs.append((issuer, _number(reference.get("series"), code), aeat_date(issued)))
    return preceding, refs


# -- building the XML ---------------------------------------------------------------------


def _sf(parent, name, text=None):
    element = etree.SubElement(parent, f"{{{NS_SF}}}{name}")
    if text is not None:
        element.text = text
    return element


def _person(parent, tag, name, nif, other):
    element = _sf(parent, tag)
    _sf(element, "NombreRazon", name)
    if nif:
        _sf(element, "NIF", nif)
    else:
        country, kind, number = other
        id_other = _sf(element, "IDOtro")
        if country:
            _sf(id_other, "CodigoPais", country)
        _sf(id_other, "IDType", kind)
        _sf(id_other, "ID", number)
    return element


def _chain(parent, previous):
    chain = _sf(parent, "Encadenamiento")
    if previous is None:
        _sf(chain, "PrimerRegistro", "S")
        return ""
    link = _sf(chain, "RegistroAnterior")
    _sf(link, "IDEmisorFactura", previous.issuer)
    _sf(link, "NumSerieFactura", previous.num_series)
    _sf(link, "FechaExpedicionFactura", aeat_date(previous.issue_date))
    _sf(link, "Huella", previous.fingerprint)
    return previous.fingerprint


def _software(parent, software, issuer, issuer_name):
    system = _sf(parent, "SistemaInformatico")
    _sf(system, "NombreRazon", software.name or issuer_name)
    _sf(system, "NIF", software.nif or issuer)
    _sf(system, "NombreSistemaInformatico", software.system_name)
    _sf(system, "IdSistemaInformatico", software.system_id)
    _sf(system, "Version", software.version)
    _sf(system, "NumeroInstalacion", software.installation)
    _sf(system, "TipoUsoPosibleSoloVerifactu", "S" if software.only_verifactu else "N")
    _sf(system, "TipoUsoPosibleMultiOT", "S" if software.multiple_issuers_possible else "N")
    _sf(system, "IndicadorMultiplesOT", "S" if software.multiple_issuers else "N")


def _invoice_id(parent, tag, suffix, issuer, number, issued):
    element = _sf(parent, tag)
    _sf(element, f"IDEmisorFactura{suffix}", issuer)
    _sf(element, f"NumSerieFactura{suffix}", number)
    _sf(element, f"FechaExpedicionFactura{suffix}", issued)
    return element


def _serialize(element):
    return etree.tostring(element, encoding="UTF-8", xml_declaration=False, pretty_print=True)


def _checked(element):
    """The record's bytes, after checking them against the AEAT's schema: one invalid
    record would make the AEAT reject a whole batch (code 4102), so none leaves here."""
    problems = schemas.validate_element(element)
    if problems:
        raise ConversionError(
            "invalid_record",
            "The record does not satisfy the AEAT's schema: " + "; ".join(problems[:3]),
        )
    return _serialize(element)


def registration(doc, *, previous, generated_at, software, correction=None):
    """The ``RegistroAlta`` of a GOBL invoice, chained to ``previous`` (None: the first).

    ``correction`` re-registers an invoice the AEAT answered before:
    ``"accepted_with_errors"`` (``Subsanacion`` S) or ``"rejected"`` (``Subsanacion`` S,
    ``RechazoPrevio`` S).
    """
    invoice = _invoice(doc)
    issuer, issuer_name, number, issued = _identity(invoice)
    invoice_type = _tax_ext(invoice, EXT_DOC_TYPE)
    if invoice_type not in INVOICE_TYPES:
        raise ConversionError(
            "bad_extension",
            f"tax.ext.{EXT_DOC_TYPE}: {invoice_type!r} is not a VERI*FACTU invoice type "
            f"({', '.join(INVOICE_TYPES)}).",
        )
    currency = _text(invoice.get("currency")) or "EUR"
    if currency != "EUR":
        raise ConversionError(
            "not_euro",
            f"currency: VERI*FACTU amounts are in euros; the invoice is in {currency}.",
        )
    correction_type = ""
    if invoice_type in CORRECTIVE:
        correction_type = _tax_ext(invoice, EXT_CORRECTION)
        if correction_type not in ("S", "I"):
            raise ConversionError(
                "bad_extension",
                f"tax.ext.{EXT_CORRECTION}: {correction_type!r} is neither S (substitution) "
                "nor I (differences).",
            )
    # A credit note by differences takes amounts away: the AEAT wants them negative
    # (GOBL keeps a credit note's amounts positive).
    sign = -1 if _text(invoice.get("type")) == "credit-note" and correction_type == "I" else 1
    details = _breakdown(invoice, sign)
    tax_total = sum(((d.amount or 0) + (d.surcharge or 0) for d in details), Decimal(0))
    total = sum((d.base for d in details), Decimal(0)) + tax_total
    issuer_type = _tax_ext(invoice, EXT_ISSUER_TYPE, required=False)

    record = etree.Element(f"{{{NS_SF}}}RegistroAlta", nsmap={"sum1": NS_SF})
    _sf(record, "IDVersion", VERSION)
    _invoice_id(record, "IDFactura", "", issuer, number, aeat_date(issued))
    _sf(record, "NombreRazonEmisor", issuer_name)
    if correction in ("accepted_with_errors", "rejected"):
        _sf(record, "Subsanacion", "S")
        if correction == "rejected":
            _sf(record, "RechazoPrevio", "S")
    elif correction is not None:
        raise ValueError(f"unknown correction {correction!r}")
    _sf(record, "TipoFactura", invoice_type)
    if invoice_type in CORRECTIVE:
        _sf(record, "TipoRectificativa", correction_type)
        purpose = f"a rectifying invoice ({invoice_type})"
        preceding, refs = _references(invoice, issuer, purpose, "rectifies")
        listing = _sf(record, "FacturasRectificadas")
        for ref in refs:
            _invoice_id(listing, "IDFacturaRectificada", "", *ref)
        if correction_type == "S":
            base, tax, surcharge = _rectified_amounts(preceding)
            amounts = _sf(record, "ImporteRectificacion")
            _sf(amounts, "BaseRectificada", _money(base))
            _sf(amounts, "CuotaRectificada", _money(tax))
            if surcharge is not None:
                _sf(amounts, "CuotaRecargoRectificado", _money(surcharge))
    if invoice_type == "F3":
        _, refs = _references(invoice, issuer, "a replacing invoice (F3)", "replaces")
        listing = _sf(record, "FacturasSustituidas")
        for ref in refs:
            _invoice_id(listing, "IDFacturaSustituida", "", *ref)
    operated = invoice.get("operation_date")
    if operated:
        operation_date = _date(operated, "operation_date")
        if operation_date != issued:
            _sf(record, "FechaOperacion", aeat_date(operation_date))
    _sf(record, "DescripcionOperacion", _description(invoice))
    art7273 = _tax_ext(invoice, EXT_ART7273, required=False)
    if art7273:
        _sf(record, "FacturaSimplificadaArt7273", art7273)
    if abs(total) >= Decimal(100_000_000):
        _sf(record, "Macrodato", "S")
    if issuer_type:
        if issuer_type not in ("T", "D"):
            raise ConversionError(
                "bad_extension",
                f"tax.ext.{EXT_ISSUER_TYPE}: {issuer_type!r} is neither T (third party) "
                "nor D (the customer).",
            )
        _sf(record, "EmitidaPorTerceroODestinatario", issuer_type)
        if issuer_type == "T":
            third = _party(_mapping(invoice.get("ordering")).get("issuer"), "ordering.issuer")
            if third is None:
                raise ConversionError(
                    "missing_field",
                    "ordering.issuer: an invoice issued by a third party (T) names that "
                    "third party with its tax ID.",
                )
            _person(record, "Tercero", *third)
    if invoice_type not in SIMPLIFIED:
        customer = _party(invoice.get("customer"), "customer")
        if customer is None:
            raise ConversionError(
                "no_customer",
                f"customer: a {invoice_type} invoice identifies its customer (a tax ID or an "
                "identity document); only simplified invoices (F2, R5) may omit it.",
            )
        _person(_sf(record, "Destinatarios"), "IDDestinatario", *customer)
    breakdown = _sf(record, "Desglose")
    for detail in details:
        line = _sf(breakdown, "DetalleDesglose")
        _sf(line, "Impuesto", detail.tax)
        if detail.regime:
            _sf(line, "ClaveRegimen", detail.regime)
        if detail.exempt:
            _sf(line, "OperacionExenta", detail.exempt)
        else:
            _sf(line, "CalificacionOperacion", detail.op_class)
        if detail.rate:
            _sf(line, "TipoImpositivo", detail.rate)
        _sf(line, "BaseImponibleOimporteNoSujeto", _money(detail.base))
        if detail.base_at_cost:
            _sf(line, "BaseImponibleACoste", _money(detail.base))
        if detail.amount is not None:
            _sf(line, "CuotaRepercutida", _money(detail.amount))
        if detail.surcharge is not None:
            _sf(line, "TipoRecargoEquivalencia", detail.surcharge_rate)
            _sf(line, "CuotaRecargoEquivalencia", _money(detail.surcharge))
    _sf(record, "CuotaTotal", _money(tax_total))
    _sf(record, "ImporteTotal", _money(total))
    previous_huella = _chain(record, previous)
    _software(record, software, issuer, issuer_name)
    stamp = aeat_timestamp(generated_at)
    _sf(record, "FechaHoraHusoGenRegistro", stamp)
    _sf(record, "TipoHuella", "01")
    huella = fingerprint_registration(
        issuer=issuer,
        num_series=number,
        issue_date=aeat_date(issued),
        invoice_type=invoice_type,
        tax_total=_money(tax_total),
        total=_money(total),
        previous=previous_huella,
        generated_at=stamp,
    )
    _sf(record, "Huella", huella)
    return Record(
        kind="alta",
        issuer=issuer,
        issuer_name=issuer_name,
        num_series=number,
        issue_date=issued,
        total=_money(total),
        fingerprint=huella,
        generated_at=generated_at.replace(microsecond=0),
        xml=_checked(record),
        invoice_type=invoice_type,
        previous=previous,
    )


def cancellation(
    doc, *, previous, generated_at, software, rejected_before=False, not_registered=False
):
    """The ``RegistroAnulacion`` of a GOBL invoice registered before, chained to
    ``previous``. ``rejected_before``: the AEAT rejected an earlier cancellation
    (``RechazoPrevio`` S); ``not_registered``: the AEAT never held the registration
    (``SinRegistroPrevio`` S)."""
    invoice = _invoice(doc)
    issuer, issuer_name, number, issued = _identity(invoice)
    record = etree.Element(f"{{{NS_SF}}}RegistroAnulacion", nsmap={"sum1": NS_SF})
    _sf(record, "IDVersion", VERSION)
    _invoice_id(record, "IDFactura", "Anulada", issuer, number, aeat_date(issued))
    if not_registered:
        _sf(record, "SinRegistroPrevio", "S")
    if rejected_before:
        _sf(record, "RechazoPrevio", "S")
    previous_huella = _chain(record, previous)
    _software(record, software, issuer, issuer_name)
    stamp = aeat_timestamp(generated_at)
    _sf(record, "FechaHoraHusoGenRegistro", stamp)
    _sf(record, "TipoHuella", "01")
    huella = fingerprint_cancellation(
        issuer=issuer,
        num_series=number,
        issue_date=aeat_date(issued),
        previous=previous_huella,
        generated_at=stamp,
    )
    _sf(record, "Huella", huella)
    return Record(
        kind="anulacion",
        issuer=issuer,
        issuer_name=issuer_name,
        num_series=number,
        issue_date=issued,
        total="",
        fingerprint=huella,
        generated_at=generated_at.replace(microsecond=0),
        xml=_checked(record),
        previous=previous,
    )


def _envelope(body):
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">\n<soapenv:Header/>\n'
        f"<soapenv:Body>\n{body}</soapenv:Body>\n</soapenv:Envelope>\n"
    ).encode()


def _issuer_block(issuer, issuer_name, prefix):
    return (
        f"<{prefix}:ObligadoEmision><{prefix}:NombreRazon>{escape(issuer_name[:120])}"
        f"</{prefix}:NombreRazon><{prefix}:NIF>{escape(issuer)}</{prefix}:NIF>"
        f"</{prefix}:ObligadoEmision>"
    )


def submission(records, *, issuer, issuer_name):
    """The SOAP 1.1 request ``RegFactuSistemaFacturacion`` carrying ``records`` (1 to
    1,000, all of ``issuer``), each one's bytes unchanged."""
    if not 1 <= len(records) <= MAX_RECORDS:
        raise ValueError(f"a submission carries 1 to {MAX_RECORDS} records, not {len(records)}")
    strangers = {r.issuer for r in records} - {issuer}
    if strangers:
        raise ValueError(f"records of {', '.join(sorted(strangers))} in {issuer}'s submission")
    lines = "".join(
        f"<sum:RegistroFactura>\n{record.xml.decode()}</sum:RegistroFactura>\n"
        for record in records
    )
    body = (
        f'<sum:RegFactuSistemaFacturacion xmlns:sum="{NS_LR}" xmlns:sum1="{NS_SF}">\n'
        f"<sum:Cabecera>{_issuer_block(issuer, issuer_name, 'sum1')}</sum:Cabecera>\n"
        f"{lines}</sum:RegFactuSistemaFacturacion>\n"
    )
    return _envelope(body)


def query(*, issuer, issuer_name, year, month, num_series=None, after=None):
    """The SOAP request ``ConsultaFactuSistemaFacturacion``: what the AEAT holds of
    ``issuer`` for the month (``num_series`` narrows it to one invoice; ``after`` is a
    ``QueryResult.next_page`` to read the next page)."""
    number = (
        f"<con:NumSerieFactura>{escape(num_series)}</con:NumSerieFactura>" if num_series else ""
    )
    page = ""
    if after:
        page = (
            "<con:ClavePaginacion>"
            f"<sum1:IDEmisorFactura>{escape(after[0])}</sum1:IDEmisorFactura>"
            f"<sum1:NumSerieFactura>{escape(after[1])}</sum1:NumSerieFactura>"
            f"<sum1:FechaExpedicionFactura>{aeat_date(after[2])}</sum1:FechaExpedicionFactura>"
            "</con:ClavePaginacion>"
        )
    body = (
        f'<con:ConsultaFactuSistemaFacturacion xmlns:con="{NS_QUERY}" xmlns:sum1="{NS_SF}">\n'
        f"<con:Cabecera><sum1:IDVersion>{VERSION}</sum1:IDVersion>"
        f"{_issuer_block(issuer, issuer_name, 'sum1')}</con:Cabecera>\n"
        "<con:FiltroConsulta><con:PeriodoImputacion>"
        f"<sum1:Ejercicio>{int(year):04d}</sum1:Ejercicio><sum1:Periodo>{int(month):02d}</sum1:Periodo>"
        f"</con:PeriodoImputacion>{number}{page}</con:FiltroConsulta>\n"
        "</con:ConsultaFactuSistemaFacturacion>\n"
    )
    return _envelope(body)


# -- reading XML by local names (the AEAT's prefixes vary; its names do not) -------------


def _local(element):
    return element.tag.rpartition("}")[2]


def _child(element, name):
    if element is None:
        return None
    for child in element:
        if isinstance(child.tag, str) and _local(child) == name:
            return child
    return None


def _children(element, name):
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _find(element, *path):
    for name in path:
        element = _child(element, name)
    return (element.text or "").strip() if element is not None else ""


def _body(xml, expected):
    try:
        root = schemas.parse(xml)
    except etree.XMLSyntaxError as error:
        raise AnswerError(f"not well-formed XML: {error}") from None
    element = schemas.body_element(root)
    if element is None:
        raise AnswerError("the SOAP envelope has no body")
    if _local(element) == "Fault":
        message = _find(element, "faultstring") or _find(element, "Reason", "Text")
        match = re.match(r"\s*Codigo\[(-?\d+)\]\.?\s*(.*)", message, re.DOTALL)
        if match:
            raise SoapFault(match.group(1), match.group(2).strip())
        raise SoapFault(_find(element, "faultcode") or "Fault", message)
    if _local(element) != expected:
        raise AnswerError(f"expected {expected}, got {_local(element)}")
    return element


def _answer_date(value, where):
    try:
        return datetime.strptime(value, "%d-%m-%Y").date()
    except ValueError:
        raise AnswerError(f"{where}: {value!r} is not a dd-mm-yyyy date") from None


def _state(value, known):
    if value not in known:
        raise AnswerError(f"EstadoRegistro: unexpected {value!r} (expected {', '.join(known)})")
    return value


def parse_submission_answer(body):
    """The AEAT's answer to a ``RegFactuSistemaFacturacion``: raises ``SoapFault`` for a
    fault (a whole submission refused) and ``AnswerError`` for anything else unexpected."""
    answer = _body(body, "RespuestaRegFactuSistemaFacturacion")
    state = _find(answer, "EstadoEnvio")
    wait = _find(answer, "TiempoEsperaEnvio")
    if state not in ("Correcto", "ParcialmenteCorrecto", "Incorrecto"):
        raise AnswerError(f"EstadoEnvio: unexpected {state!r}")
    if not re.fullmatch(r"[0-9]{1,6}", wait):
        raise AnswerError(f"TiempoEsperaEnvio: unexpected {wait!r}")
    lines = []
    for line in _children(answer, "RespuestaLinea"):
        duplicate = _child(line, "RegistroDuplicado")
        lines.append(
            Line(
                issuer=_find(line, "IDFactura", "IDEmisorFactura"),
                num_series=_find(line, "IDFactura", "NumSerieFactura"),
                issue_date=_answer_date(
                    _find(line, "IDFactura", "FechaExpedicionFactura"), "FechaExpedicionFactura"
                ),
                state=_state(_find(line, "EstadoRegistro"), LINE_STATES),
                code=_find(line, "CodigoErrorRegistro"),
                description=_find(line, "DescripcionErrorRegistro"),
                duplicate=Duplicate(
                    request_id=_find(duplicate, "IdPeticionRegistroDuplicado"),
                    state=_find(duplicate, "EstadoRegistroDuplicado"),
                    code=_find(duplicate, "CodigoErrorRegistro"),
                    description=_find(duplicate, "DescripcionErrorRegistro"),
                )
                if duplicate is not None
                else None,
                operation=_find(line, "Operacion", "TipoOperacion") or "Alta",
            )
        )
    return SubmissionAnswer(
        state=state, wait_seconds=int(wait), lines=lines, csv=_find(answer, "CSV")
    )


def parse_query_answer(body):
    """The records the AEAT holds, from its answer to ``ConsultaFactuSistemaFacturacion``."""
    answer = _body(body, "RespuestaConsultaFactuSistemaFacturacion")
    result = QueryResult()
    for entry in _children(answer, "RegistroRespuestaConsultaFactuSistemaFacturacion"):
        result.append(
            Held(
                issuer=_find(entry, "IDFactura", "IDEmisorFactura"),
                num_series=_find(entry, "IDFactura", "NumSerieFactura"),
                issue_date=_answer_date(
                    _find(entry, "IDFactura", "FechaExpedicionFactura"), "FechaExpedicionFactura"
                ),
                fingerprint=_find(entry, "DatosRegistroFacturacion", "Huella"),
                state=_state(_find(entry, "EstadoRegistro", "EstadoRegistro"), HELD_STATES),
                code=_find(entry, "EstadoRegistro", "CodigoErrorRegistro"),
                description=_find(entry, "EstadoRegistro", "DescripcionErrorRegistro"),
            )
        )
    if _find(answer, "IndicadorPaginacion") == "S":
        key = _child(answer, "ClavePaginacion")
        if key is not None:
            result.next_page = (
                _find(key, "IDEmisorFactura"),
                _find(key, "NumSerieFactura"),
                _answer_date(_find(key, "FechaExpedicionFactura"), "ClavePaginacion"),
            )
    return result


# -- the other side: what the local test AEAT reads and answers --------------------------


def read_submission(body):
    """``(issuer, issuer_name, records)`` of a ``RegFactuSistemaFacturacion`` request, each
    record rebuilt as a ``Record`` (its ``xml`` re-serialized). Raises ``AnswerError``."""
    request = _body(body, "RegFactuSistemaFacturacion")
    head = _child(_child(request, "Cabecera"), "ObligadoEmision")
    records = []
    for line in _children(request, "RegistroFactura"):
        element = next((child for child in line if isinstance(child.tag, str)), None)
        if element is None:
            raise AnswerError("an empty RegistroFactura")
        records.append(_read_record(element))
    return _find(head, "NIF"), _find(head, "NombreRazon"), records


def _read_record(element):
    alta = _local(element) == "RegistroAlta"
    suffix = "" if alta else "Anulada"
    link = _child(_child(element, "Encadenamiento"), "RegistroAnterior")
    previous = None
    if link is not None:
        previous = Previous(
            issuer=_find(link, "IDEmisorFactura"),
            num_series=_find(link, "NumSerieFactura"),
            issue_date=_answer_date(_find(link, "FechaExpedicionFactura"), "RegistroAnterior"),
            fingerprint=_find(link, "Huella"),
        )
    stamp = _find(element, "FechaHoraHusoGenRegistro")
    try:
        generated_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise AnswerError(f"FechaHoraHusoGenRegistro: {stamp!r} is not a date-time") from None
    return Record(
        kind="alta" if alta else "anulacion",
        issuer=_find(element, "IDFactura", f"IDEmisorFactura{suffix}"),
        issuer_name=_find(element, "NombreRazonEmisor"),
        num_series=_find(element, "IDFactura", f"NumSerieFactura{suffix}"),
        issue_date=_answer_date(
            _find(element, "IDFactura", f"FechaExpedicionFactura{suffix}"), "FechaExpedicion"
        ),
        total=_find(element, "ImporteTotal"),
        fingerprint=_find(element, "Huella"),
        generated_at=generated_at,
        xml=_serialize(element),
        invoice_type=_find(element, "TipoFactura"),
        previous=previous,
    )


def read_query(body):
    """The ``Query`` a ``ConsultaFactuSistemaFacturacion`` request asks."""
    request = _body(body, "ConsultaFactuSistemaFacturacion")
    head = _child(_child(request, "Cabecera"), "ObligadoEmision")
    where = _child(request, "FiltroConsulta")
    page = _child(where, "ClavePaginacion")
    after = None
    if page is not None:
        after = (
            _find(page, "IDEmisorFactura"),
            _find(page, "NumSerieFactura"),
            _answer_date(_find(page, "FechaExpedicionFactura"), "ClavePaginacion"),
        )
    try:
        year = int(_find(where, "PeriodoImputacion", "Ejercicio"))
        month = int(_find(where, "PeriodoImputacion", "Periodo"))
    except ValueError:
        raise AnswerError("PeriodoImputacion: missing or not numbers") from None
    return Query(
        issuer=_find(head, "NIF"),
        issuer_name=_find(head, "NombreRazon"),
        year=year,
        month=month,
        num_series=_find(where, "NumSerieFactura") or None,
        after=after,
    )


def _x(parent, namespace, name, text=None):
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _soap(element):
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(element)
    return etree.tostring(envelope, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def build_submission_answer(answer, *, issuer, issuer_name, presenter=None, presented_at=None):
    """The SOAP answer the AEAT gives to a submission, from a ``SubmissionAnswer``."""
    nsmap = {"tikR": NS_ANSWER, "tik": NS_SF}
    root = etree.Element(f"{{{NS_ANSWER}}}RespuestaRegFactuSistemaFacturacion", nsmap=nsmap)
    if answer.csv:
        _x(root, NS_ANSWER, "CSV", answer.csv)
    if presented_at is not None:
        data = _x(root, NS_ANSWER, "DatosPresentacion")
        _x(data, NS_SF, "NIFPresentador", presenter or issuer)
        _x(data, NS_SF, "TimestampPresentacion", aeat_timestamp(presented_at))
    head = _x(_x(root, NS_ANSWER, "Cabecera"), NS_SF, "ObligadoEmision")
    _x(head, NS_SF, "NombreRazon", issuer_name[:120])
    _x(head, NS_SF, "NIF", issuer)
    _x(root, NS_ANSWER, "TiempoEsperaEnvio", int(answer.wait_seconds))
    _x(root, NS_ANSWER, "EstadoEnvio", answer.state)
    for line in answer.lines:
        element = _x(root, NS_ANSWER, "RespuestaLinea")
        ident = _x(element, NS_ANSWER, "IDFactura")
        _x(ident, NS_SF, "IDEmisorFactura", line.issuer)
        _x(ident, NS_SF, "NumSerieFactura", line.num_series)
        _x(ident, NS_SF, "FechaExpedicionFactura", aeat_date(line.issue_date))
        _x(_x(element, NS_ANSWER, "Operacion"), NS_SF, "TipoOperacion", line.operation)
        _x(element, NS_ANSWER, "EstadoRegistro", line.state)
        if line.code:
            _x(element, NS_ANSWER, "CodigoErrorRegistro", line.code)
            description = line.description or aeat_errors.text(line.code)
            _x(element, NS_ANSWER, "DescripcionErrorRegistro", description[:1500])
        if line.duplicate is not None:
            duplicate = _x(element, NS_ANSWER, "RegistroDuplicado")
            _x(duplicate, NS_SF, "IdPeticionRegistroDuplicado", line.duplicate.request_id[:20])
            _x(duplicate, NS_SF, "EstadoRegistroDuplicado", line.duplicate.state)
            if line.duplicate.code:
                _x(duplicate, NS_SF, "CodigoErrorRegistro", line.duplicate.code)
                _x(duplicate, NS_SF, "DescripcionErrorRegistro", line.duplicate.description[:500])
    return _soap(root)


def build_query_answer(*, issuer, issuer_name, year, month, held, next_page=None, modified_at=None):
    """The SOAP answer the AEAT gives to a query: ``held`` records (``Held``); a
    ``next_page`` key says more follow."""
    ns = NS_QUERY_ANSWER
    root = etree.Element(
        f"{{{ns}}}RespuestaConsultaFactuSistemaFacturacion",
        nsmap={"tikLRRC": ns, "tik": NS_SF},
    )
    head = _x(root, ns, "Cabecera")
    _x(head, NS_SF, "IDVersion", VERSION)
    obliged = _x(head, NS_SF, "ObligadoEmision")
    _x(obliged, NS_SF, "NombreRazon", issuer_name[:120])
    _x(obliged, NS_SF, "NIF", issuer)
    period = _x(root, ns, "PeriodoImputacion")
    _x(period, ns, "Ejercicio", f"{int(year):04d}")
    _x(period, ns, "Periodo", f"{int(month):02d}")
    _x(root, ns, "IndicadorPaginacion", "S" if next_page else "N")
    _x(root, ns, "ResultadoConsulta", "ConDatos" if held else "SinDatos")
    stamp = aeat_timestamp(modified_at or now())
    for item in held:
        entry = _x(root, ns, "RegistroRespuestaConsultaFactuSistemaFacturacion")
        ident = _x(entry, ns, "IDFactura")
        _x(ident, NS_SF, "IDEmisorFactura", item.issuer)
        _x(ident, NS_SF, "NumSerieFactura", item.num_series)
        _x(ident, NS_SF, "FechaExpedicionFactura", aeat_date(item.issue_date))
        data = _x(entry, ns, "DatosRegistroFacturacion")
        if item.fingerprint:
            _x(data, ns, "TipoHuella", "01")
            _x(data, ns, "Huella", item.fingerprint)
        state = _x(entry, ns, "EstadoRegistro")
        _x(state, ns, "TimestampUltimaModificacion", stamp)
        _x(state, ns, "EstadoRegistro", item.state)
        if item.code:
            _x(state, ns, "CodigoErrorRegistro", item.code)
            _x(
                state,
                ns,
                "DescripcionErrorRegistro",
                (item.description or aeat_errors.text(item.code))[:500],
            )
    if next_page:
        key = _x(root, ns, "ClavePaginacion")
        _x(key, NS_SF, "IDEmisorFactura", next_page[0])
        _x(key, NS_SF, "NumSerieFactura", next_page[1])
        _x(key, NS_SF, "FechaExpedicionFactura", aeat_date(next_page[2]))
    return _soap(root)


def build_fault(code, message, *, client=True):
    """A SOAP 1.1 fault as the AEAT words one (``Codigo[4102].El XML no cumple...``)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV})
    fault = etree.SubElement(
        etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body"), f"{{{SOAP_ENV}}}Fault"
    )
    etree.SubElement(fault, "faultcode").text = "env:Client" if client else "env:Server"
    etree.SubElement(fault, "faultstring").text = f"Codigo[{code}].{message}"
    return etree.tostring(envelope, encoding="UTF-8", xml_declaration=True, pretty_print=True)
