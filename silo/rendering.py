"""A readable view of a stored document for the entry page's Document tab.

Templates get plain dicts and lists of text built here, never the raw GOBL, so a
document with missing or oddly shaped fields (anyone can upload one) renders what it
has instead of failing. Values are returned as text and escaped by the templates;
nothing from a document becomes a link.
"""

import logging

from silo import documents

logger = logging.getLogger(__name__)

# Documents laid out like an invoice: parties, lines, taxes and totals.
INVOICE_LIKE = ("bill/invoice", "bill/order", "bill/delivery")

TOTAL_ROWS = (
    ("sum", "Sum of lines"),
    ("discount", "Discounts"),
    ("charge", "Charges"),
    ("total", "Total without tax"),
    ("tax", "Tax"),
    ("total_with_tax", "Total with tax"),
    ("retained_tax", "Retained tax"),
    ("rounding", "Rounding"),
    ("payable", "Payable"),
    ("advance", "Advances paid"),
    ("due", "Due"),
)

GENERIC_ROW_LIMIT = 2000


class PlainNumbers:
    """Amounts, percentages and quantities as the document writes them ("1800.00").

    ``invoice_view`` takes another object with these three methods to format them
    for a reader instead (``workflows.actions.pdf`` formats per currency and locale).
    """

    def money(self, value):
        return _text(value)

    def percent(self, value):
        return _text(value)

    def quantity(self, value):
        return _text(value)


PLAIN = PlainNumbers()


def _obj(value):
    return value if isinstance(value, dict) else {}


def _items(value):
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value):
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _join(*parts, sep=" "):
    return sep.join(part for part in (_text(p).strip() for p in parts) if part)


def document_view(entry):
    """``{"kind": "invoice" | "party" | "generic", ...}`` for the Document tab."""
    inner = documents.body(entry.doc)
    try:
        if entry.schema in INVOICE_LIKE:
            return {"kind": "invoice", **invoice_view(inner)}
        if entry.schema == "org/party":
            return {"kind": "party", "party": party_view(inner)}
    except (AttributeError, TypeError, ValueError):
        # Every field above is read defensively; if a document still surprises the
        # reader, show it generically rather than failing the page.
        logger.exception("Could not lay out entry %s as %s", entry.pk, entry.schema)
    return {"kind": "generic", "rows": flatten(inner)}


def invoice_view(inner, numbers=PLAIN):
    totals = _obj(inner.get("totals"))
    return {
        "heading": {
            "type": _text(inner.get("type")),
            "code": documents.invoice_code(inner),
            "issue_date": _join(inner.get("issue_date"), inner.get("issue_time")),
            "operation_date": _text(inner.get("op_date")),
            "currency": _text(inner.get("currency")),
            "regime": _text(inner.get("$regime")),
            "order": _text(_obj(inner.get("ordering")).get("code")),
        },
        "exchange_rates": [
            {
                "from": _text(rate.get("from")),
                "to": _text(rate.get("to")),
                "amount": numbers.quantity(rate.get("amount")),
            }
            for rate in _items(inner.get("exchange_rates"))
        ],
        "currency": _text(inner.get("currency")),
        "supplier": party_view(inner.get("supplier")),
        "customer": party_view(inner.get("customer")),
        "preceding": [
            {
                "code": documents.invoice_code(doc),
                "type": _text(doc.get("type")),
                "issue_date": _text(doc.get("issue_date")),
                "reason": _text(doc.get("reason")),
            }
            for doc in _items(inner.get("preceding"))
        ],
        "lines": [line_view(line, numbers) for line in _items(inner.get("lines"))],
        "discounts": [adjustment_view(i, numbers) for i in _items(inner.get("discounts"))],
        "charges": [adjustment_view(i, numbers) for i in _items(inner.get("charges"))],
        "tax_rows": tax_rows(_obj(totals.get("taxes")), numbers),
        "prices_include_tax": _text(_obj(inner.get("tax")).get("prices_include")),
        "totals": [
            {"key": key, "label": label, "value": numbers.money(totals[key])}
            for key, label in TOTAL_ROWS
            if _text(totals.get(key))
        ],
        "notes": [
            {"key": _text(note.get("key")), "text": _text(note.get("text"))}
            for note in _items(inner.get("notes"))
        ],
        "payment": payment_view(_obj(inner.get("payment")), numbers),
    }


def party_view(party):
    party = _obj(party)
    if not party:
        return None
    tax_id = _obj(party.get("tax_id"))
    return {
        "name": _text(party.get("name")),
        "alias": _text(party.get("alias")),
        "tax_id": _join(tax_id.get("country"), tax_id.get("code")),
        "people": [_person_name(person) for person in _items(party.get("people"))],
        "addresses": [_address_lines(address) for address in _items(party.get("addresses"))],
        "emails": [_text(email.get("addr")) for email in _items(party.get("emails"))],
        "telephones": [_text(phone.get("num")) for phone in _items(party.get("telephones"))],
        "identities": [
            _join(_join(i.get("label") or i.get("key") or i.get("type")), i.get("code"), sep=": ")
            for i in _items(party.get("identities"))
        ],
        "inboxes": [
            _join(i.get("scheme") or i.get("key"), i.get("code") or i.get("email"), sep=": ")
            for i in _items(party.get("inboxes"))
        ],
    }


def _person_name(person):
    name = _obj(person.get("name"))
    return _join(
        name.get("prefix"),
        name.get("given"),
        name.get("middle"),
        name.get("surname"),
        name.get("surname2"),
        name.get("suffix"),
    )


def _address_lines(address):
    street = _join(address.get("street"), address.get("num"))
    street = _join(street, _join(address.get("block"), address.get("floor"), address.get("door")))
    lines = [
        street,
        _text(address.get("street_extra")),
        _join("PO Box", address.get("po_box")) if address.get("po_box") else "",
        _join(address.get("code"), address.get("locality")),
        _join(address.get("region") or address.get("state")),
        _text(address.get("country")),
    ]
    return [line for line in lines if line]


def line_view(line, numbers=PLAIN):
    item = _obj(line.get("item"))
    return {
        "index": _text(line.get("i")),
        "quantity": _join(numbers.quantity(line.get("quantity")), item.get("unit")),
        "name": _text(item.get("name")),
        "description": _text(item.get("description")),
        "price": numbers.money(item.get("price")),
        "discounts": [adjustment_text(d, numbers) for d in _items(line.get("discounts"))],
        "charges": [adjustment_text(c, numbers) for c in _items(line.get("charges"))],
        "taxes": [tax_combo_text(t, numbers) for t in _items(line.get("taxes"))],
        "total": numbers.money(line.get("total") or line.get("sum")),
    }


def adjustment_text(adjustment, numbers=PLAIN):
    amount = numbers.money(adjustment.get("amount"))
    percent = numbers.percent(adjustment.get("percent"))
    value = f"{percent} ({amount})" if percent and amount else percent or amount
    return _join(value, adjustment.get("reason"), sep=" · ")


def adjustment_view(adjustment, numbers=PLAIN):
    return {
        "reason": _text(adjustment.get("reason") or adjustment.get("key")),
        "percent": numbers.percent(adjustment.get("percent")),
        "amount": numbers.money(adjustment.get("amount")),
    }


def tax_combo_text(combo, numbers=PLAIN):
    rate = _text(combo.get("rate") or combo.get("key"))
    percent = numbers.percent(combo.get("percent"))
    text = _join(combo.get("cat"), f"({rate})" if rate else "", percent)
    surcharge = numbers.percent(combo.get("surcharge"))
    return _join(text, f"+ surcharge {surcharge}" if surcharge else "")


def tax_rows(taxes, numbers=PLAIN):
    rows = []
    for category in _items(taxes.get("categories")):
        for rate in _items(category.get("rates")):
            surcharge = rate.get("surcharge")
            if isinstance(surcharge, dict):
                surcharge = _join(
                    numbers.percent(surcharge.get("percent")),
                    numbers.money(surcharge.get("amount")),
                    sep=" · ",
                )
            rows.append(
                {
                    "category": _text(category.get("code")),
                    "retained": bool(category.get("retained")),
                    "rate": _text(rate.get("key")),
                    "base": numbers.money(rate.get("base")),
                    "percent": numbers.percent(rate.get("percent")) or "exempt",
                    "surcharge": _text(surcharge),
                    "amount": numbers.money(rate.get("amount")),
                }
            )
    return rows


def payment_view(payment, numbers=PLAIN):
    if not payment:
        return None
    terms = _obj(payment.get("terms"))
    instructions = _obj(payment.get("instructions"))
    card = _obj(instructions.get("card"))
    view = {
        "terms": _join(terms.get("key"), terms.get("detail"), sep=" · "),
        "terms_notes": _text(terms.get("notes")),
        "due_dates": [
            {
                "date": _text(due.get("date")),
                "amount": numbers.money(due.get("amount")),
                "percent": numbers.percent(due.get("percent")),
            }
            for due in _items(terms.get("due_dates"))
        ],
        "method": _join(instructions.get("key"), instructions.get("detail"), sep=" · "),
        "reference": _text(instructions.get("ref")),
        "credit_transfers": [
            _join(t.get("name"), t.get("iban") or t.get("number"), t.get("bic"), sep=" · ")
            for t in _items(instructions.get("credit_transfer"))
        ],
        "card": _join(card.get("holder"), f"…{_text(card['last4'])}" if card.get("last4") else ""),
        "advances": [
            {
                "description": _text(advance.get("description")),
                "date": _text(advance.get("date")),
                "amount": numbers.money(advance.get("amount")),
            }
            for advance in _items(payment.get("advances"))
        ],
    }
    return view if any(view.values()) else None


def flatten(value, limit=GENERIC_ROW_LIMIT):
    """``[(path, text)]`` for every scalar in a JSON value, e.g. ``supplier.name``.

    Walks with an explicit stack so a deeply nested upload cannot exhaust recursion.
    """
    rows = []
    stack = [("", value)]
    while stack and len(rows) < limit:
        path, current = stack.pop()
        if isinstance(current, dict):
            children = [(f"{path}.{key}" if path else str(key), v) for key, v in current.items()]
        elif isinstance(current, list):
            children = [(f"{path}[{i}]", v) for i, v in enumerate(current)]
        else:
            rows.append((path or "(value)", _text(current) if current is not None else "null"))
            continue
        stack.extend(reversed(children))
    return rows
