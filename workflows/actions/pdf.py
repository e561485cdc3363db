"""``pdf.generate``: render the entry's document to a print-quality PDF and attach it.

The layout data comes from ``silo.rendering`` (the same reading of GOBL the entry page
shows); this module adds what print needs: amounts in the document's currency and
the supplier country's number format (Babel, from the Unicode CLDR: "1.234,56 €"
in Spain, "$1,234.56" in the US), a choice of styles (Django templates under
``templates/pdf/<style>/``), an optional logo, and the attachment itself.

WeasyPrint may fetch ``data:`` URLs only: the page is built from the template, the
document's escaped text and a logo passed in as a ``data:`` URL, so neither a document
nor an SVG logo can make the worker read files or call the network.
"""

import base64
import re
from decimal import Decimal, InvalidOperation
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages
from babel.numbers import format_currency, format_decimal, format_percent
from django.db import transaction
from django.template.loader import render_to_string
from pydantic import Field, field_validator
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from silo import documents, rendering
from silo.models import Attachment, Entry
from silo.services import add_attachment
from workflows.actions.base import Action, ActionConfig, Outcome
from workflows.actions.registry import register
from workflows.agencies import selectors as agency_selectors

STYLES = ("classic", "modern")
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}
LOGO_MAX_BYTES = 2 * 1024 * 1024
FILENAME_MAX = 150
MAX_DIGITS = 40  # numbers with more integer or leading fraction digits are shown as written

# GOBL writes Greece as "EL" (the EU's VAT prefix); CLDR knows it as "GR".
COUNTRY_ALIASES = {"EL": "GR"}

TITLES = {
    "standard": "Invoice",
    "proforma": "Proforma invoice",
    "corrective": "Corrective invoice",
    "credit-note": "Credit note",
    "debit-note": "Debit note",
    "other": "Invoice",
}
SCHEMA_TITLES = {"bill/order": "Order", "bill/delivery": "Delivery note"}
TAG_TITLES = {"simplified": "Simplified", "self-billed": "Self-billed"}  # GOBL $tags


class InvalidDocument(ValueError):
    """The document lacks what its layout needs; the message names what is missing."""


class PdfConfig(ActionConfig):
    template: Literal[STYLES] = Field("classic", description="Layout style of the PDF")
    logo: str = Field("", description="Name of an image attachment on the entry, or empty")
    filename: str = Field(
        "", description="Name of the PDF, may be a template; default: the invoice code"
    )
    locale: str = Field(
        "", description="Number format, e.g. es_ES or en_US; default: the supplier's country"
    )

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value):
        value = value.strip().replace("-", "_")
        if value:
            try:
                Locale.parse(value)
            except (UnknownLocaleError, ValueError) as error:
                raise ValueError(f"unknown locale {value!r}") from error
        return value


class LocaleNumbers:
    """Formats amounts, percentages and quantities for ``rendering.invoice_view``.

    Values that are not numbers (malformed uploads) are shown as written.
    """

    def __init__(self, currency, locale):
        self.currency = currency
        self.locale = locale

    def money(self, value):
        number = _decimal(value)
        if number is None:
            return _text(value)
        # Keep a unit price's extra precision ("0.1234"), but always the currency's digits.
        return format_currency(
            number, self.currency, locale=self.locale, decimal_quantization=False
        )

    def percent(self, value):
        text = _text(value).strip()
        number = _decimal(text[:-1]) if text.endswith("%") else None
        if number is None:
            return text
        return format_percent(number / 100, locale=self.locale, decimal_quantization=False)

    def quantity(self, value):
        number = _decimal(value)
        if number is None:
            return _text(value)
        return format_decimal(number, locale=self.locale, decimal_quantization=False)


def _text(value):
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _decimal(value):
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    # "1e999999999" is a valid decimal that would be written out in a billion digits.
    if not number.is_finite() or not -MAX_DIGITS < number.adjusted() < MAX_DIGITS:
        return None
    return number


def _obj(value):
    return value if isinstance(value, dict) else {}


def document_locale(inner, override=""):
    """The locale to format numbers in: ``override``, else the supplier's country's.

    That is the country's first official language; the labels of the page are English
    and run left to right, so a right-to-left language (Arabic in the UAE) gives way
    to the country's English locale ("AED1,795.50"), which CLDR has for such places.
    """
    if override:
        return Locale.parse(override)
    supplier = _obj(inner.get("supplier"))
    country = _text(_obj(supplier.get("tax_id")).get("country")) or _text(inner.get("$regime"))
    country = COUNTRY_ALIASES.get(country.upper(), country.upper())
    if re.fullmatch(r"[A-Z]{2}", country):
        for language in (*get_official_languages(country, de_facto=True), "en"):
            locale = _known_locale(f"{language}_{country}")
            if locale is not None and locale.character_order == "left-to-right":
                return locale
    return Locale.parse("en")


def _known_locale(name):
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return None


def missing_for_invoice(inner):
    """What an invoice-like document lacks to be printed, in words a user can act on."""
    missing = []
    if not _text(_obj(inner.get("supplier")).get("name")).strip():
        missing.append("the supplier's name (supplier.name)")
    if not _text(inner.get("issue_date")).strip():
        missing.append("the issue date (issue_date)")
    if not re.fullmatch(r"[A-Z]{3}", _text(inner.get("currency"))):
        missing.append("a currency as an ISO 4217 code (currency)")
    if _decimal(_obj(inner.get("totals")).get("payable")) is None:
        missing.append("the calculated totals (totals.payable)")
    return missing


def layout(schema, doc, *, locale=""):
    """The template context for a document; raises InvalidDocument.

    ``doc`` is the stored document (an envelope or a bare GOBL object).
    """
    inner = documents.body(doc)
    if not isinstance(inner, dict):
        raise InvalidDocument("The document is not a JSON object.")
    babel_locale = document_locale(inner, locale)
    context = {"language": babel_locale.language, "locale": str(babel_locale)}
    if schema == "org/party":
        party = rendering.party_view(inner)
        if not party or not party["name"].strip():
            raise InvalidDocument("The party cannot be printed: it has no name (name).")
        return {
            **context,
            "kind": "party",
            "title": party["name"],
            "party": party,
            "author": party["name"],
        }
    if schema not in rendering.INVOICE_LIKE:
        raise InvalidDocument(f"A {schema} document cannot be printed as a PDF.")
    missing = missing_for_invoice(inner)
    if missing:
        raise InvalidDocument("The invoice cannot be printed: it has no " + "; no ".join(missing))
    numbers = LocaleNumbers(inner["currency"], babel_locale)
    try:
        view = rendering.invoice_view(inner, numbers)
    except (AttributeError, TypeError, ValueError) as error:
        # invoice_view reads every field defensively; a shape it still cannot read
        # is the document's fault, not a bug of the step.
        raise InvalidDocument(f"The invoice cannot be laid out: {error}") from error
    title = SCHEMA_TITLES.get(schema) or TITLES.get(view["heading"]["type"], "Invoice")
    tags = inner.get("$tags") if isinstance(inner.get("$tags"), list) else []
    for tag, word in TAG_TITLES.items():
        if schema == "bill/invoice" and tag in tags:
            title = f"{word} {title[0].lower()}{title[1:]}"
    return {
        **context,
        "kind": "invoice",
        "schema": schema,
        "title": title,
        "view": view,
        "author": view["supplier"]["name"],
    }


def render_pdf(context, *, style="classic", logo_url=""):
    """PDF bytes for a ``layout`` context in one of the ``STYLES``."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}")
    html = render_to_string(f"pdf/{style}/{context['kind']}.html", {**context, "logo": logo_url})
    fetcher = URLFetcher(allowed_protocols=("data",))
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def default_filename(context):
    if context["kind"] == "party":
        return context["party"]["name"]
    code = context["view"]["heading"]["code"]
    return code or f"{context['title']} draft"


def safe_filename(name):
    """A file name without paths or control characters, ending in ``.pdf``."""
    name = re.sub(r"[\x00-\x1f\x7f/\\:]+", "-", name).strip(" .-")[:FILENAME_MAX].strip(" .-")
    name = name or "document"
    return name if name.lower().endswith(".pdf") else f"{name}.pdf"


def logo_data_url(entry, name):
    """A ``data:`` URL of the entry's image attachment ``name``; raises LookupError."""
    attachment = Attachment.objects.filter(entry=entry, name=name).order_by("-created_at").first()
    if attachment is None:
        raise LookupError(f"The entry has no attachment named {name!r} to use as the logo.")
    if attachment.mime not in LOGO_TYPES:
        raise LookupError(
            f"The logo {name!r} is {attachment.mime}, not a PNG, JPEG, GIF, WebP or SVG image."
        )
    if attachment.size > LOGO_MAX_BYTES:
        raise LookupError(f"The logo {name!r} is larger than 2 MB.")
    with attachment.file.open("rb") as file:
        content = file.read()
    return f"data:{attachment.mime};base64,{base64.b64encode(content).decode('ascii')}"


def attach(entry, filename, content, *, source, job_id):
    """Attach the PDF in place of the one from the same ``source``.

    The entry's row is locked first, so two jobs printing the same step of one entry at
    once queue up here and leave one PDF, not two.
    """
    with transaction.atomic():
        Entry.objects.select_for_update().filter(pk=entry.pk).values_list("pk").first()
        return add_attachment(
            entry, filename, content, mime="application/pdf", source=source, job_id=job_id
        )


@register
class GeneratePdf(Action):
    id = "pdf.generate"
    name = "Generate PDF"
    group = "Documents"
    description = (
        "Renders the invoice (or party) as a PDF in the chosen style and attaches it to "
        "the entry, replacing the one this step made before."
    )
    schemas = (*rendering.INVOICE_LIKE, "org/party")
    codes = ("invalid_document", "invalid_logo", "no_entry")
    needs_entry = True
    max_attempts = 2  # rendering is deterministic; a retry only helps after a crash
    timeout_s = 120
    Config = PdfConfig

    def run(self, context):
        entry, config = context.entry, context.config
        if entry is None:
            return Outcome.ko("no_entry", "This job has no entry to print.")
        try:
            page = layout(entry.schema, entry.doc, locale=config.locale)
        except InvalidDocument as error:
            return Outcome.ko("invalid_document", str(error))
        logo = ""
        if config.logo.strip():
            try:
                logo = logo_data_url(entry, config.logo.strip())
            except LookupError as error:
                return Outcome.ko("invalid_logo", str(error))
        registered = agency_selectors.registered(entry) if page["kind"] == "invoice" else None
        if registered is not None:  # the AEAT holds it: its QR and the legend, as required
            page["verifactu"] = {
                "qr": agency_selectors.qr_data_url(agency_selectors.qr_address(registered))
            }
        pdf = render_pdf(page, style=config.template, logo_url=logo)
        filename = safe_filename(config.filename.strip() or default_filename(page))
        source = f"{context.job.workflow_id}:{context.step.id}"
        attachment = attach(entry, filename, pdf, source=source, job_id=context.job.id)
        return Outcome.ok(
            message=f"Attached {filename} ({len(pdf) // 1024 + 1} KB, {config.template} style)",
            attachment=str(attachment.id),
            filename=filename,
        )
