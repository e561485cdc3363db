"""What the silo knows about a GOBL document: its schema and the fields it indexes.

A document is either a GOBL envelope (``{"$schema": ".../envelope", "doc": {...}}``)
or a bare GOBL object; the schema is the inner object's ``$schema`` shortened to
``bill/invoice``, ``org/party`` and so on.
"""

GOBL_PREFIX = "https://gobl.org/draft-0/"
ENVELOPE = GOBL_PREFIX + "envelope"

KNOWN_SCHEMAS = (
    "bill/invoice",
    "bill/payment",
    "bill/status",
    "bill/order",
    "bill/delivery",
    "org/party",
    "org/item",
    "tax/identity",
    "note/message",
)


class DocumentError(ValueError):
    """The document cannot be stored: the message says why, for the user."""


def body(doc):
    """The GOBL object itself, inside its envelope if it has one."""
    if (
        isinstance(doc, dict)
        and doc.get("$schema") == ENVELOPE
        and isinstance(doc.get("doc"), dict)
    ):
        return doc["doc"]
    return doc


def schema_of(doc):
    if not isinstance(doc, dict):
        raise DocumentError("The document must be a JSON object.")
    inner = body(doc)
    if doc.get("$schema") == ENVELOPE and inner is doc:
        raise DocumentError('The envelope has no "doc" object inside it.')
    url = inner.get("$schema")
    if not url:
        raise DocumentError('The document has no "$schema", so its type is unknown.')
    if not isinstance(url, str) or not url.startswith(GOBL_PREFIX):
        raise DocumentError(
            f'Unknown "$schema" {url!r}: expected a GOBL schema ({GOBL_PREFIX}...).'
        )
    short = url[len(GOBL_PREFIX) :]
    if short not in KNOWN_SCHEMAS:
        known = ", ".join(KNOWN_SCHEMAS)
        raise DocumentError(f'Unknown "$schema" {url!r}: the silo stores {known}.')
    return short


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _text(value):
    """A scalar from the document as text; objects and lists (malformed input) as ""."""
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def party_tax_id(party):
    tax_id = _mapping(_mapping(party).get("tax_id"))
    code = _text(tax_id.get("code"))
    return f"{_text(tax_id.get('country'))}{code}" if code else ""


def invoice_code(inner):
    code = _text(inner.get("code"))
    series = _text(inner.get("series"))
    return f"{series}-{code}" if series and code else code


# The widths of the columns ``summary`` fills (see ``silo.models.Entry``): an uploaded
# document may carry anything, and PostgreSQL refuses a value longer than its column.
SUMMARY_LIMITS = {
    "code": 200,
    "supplier_name": 300,
    "customer_name": 300,
    "tax_ids": 200,
    "total": 40,
    "currency": 8,
    "issue_date": 20,
}


def summary(doc):
    """Fields the silo list shows and searches, taken from the document once on save."""
    inner = body(doc)
    schema = schema_of(doc)
    if schema == "org/party":
        tax_id = party_tax_id(inner)
        fields = {"code": tax_id or _text(inner.get("code")), "supplier_name": inner.get("name")}
        fields["tax_ids"] = tax_id
    elif schema == "tax/identity":
        tax_id = party_tax_id({"tax_id": inner})
        fields = {"code": tax_id, "tax_ids": tax_id}
    else:
        supplier = _mapping(inner.get("supplier"))
        customer = _mapping(inner.get("customer"))
        totals = _mapping(inner.get("totals"))
        total = (
            totals.get("payable")
            or totals.get("total_with_tax")
            or totals.get("total")
            or inner.get("total")  # bill/payment keeps its amount at the top
        )
        fields = {
            "code": invoice_code(inner),
            "supplier_name": supplier.get("name"),
            "customer_name": customer.get("name"),
            "tax_ids": " ".join(t for t in (party_tax_id(supplier), party_tax_id(customer)) if t),
            "total": total,
            "currency": inner.get("currency"),
            "issue_date": inner.get("issue_date"),
        }
    return {name: _text(fields.get(name))[:limit] for name, limit in SUMMARY_LIMITS.items()}
