"""GOBL invoices for the VERI*FACTU tests: the real examples (copied into ``gobl/``, the
suite reads nothing outside the repository) and variations built from them."""

import copy
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from workflows.agencies.aeat import verifactu

GOBL = Path(__file__).resolve().parent / "gobl"
EXAMPLES = sorted(path.name for path in GOBL.glob("*verifactu*.json"))
SOFTWARE = verifactu.Software(name="Workflow Console Devs", nif="B12345674", installation="T-1")
AT = datetime(2024, 11, 26, 5, 0, 0, tzinfo=ZoneInfo("Europe/Madrid"))
ISSUER = "B98602642"
PREVIOUS = verifactu.Previous(
    issuer=ISSUER,
    num_series="SAMPLE-001",
    issue_date=datetime(2024, 11, 26).date(),
    fingerprint="0123456789ABCDEF" * 4,
)


def example(name):
    return json.loads((GOBL / name).read_text())


def invoice(name="es-invoice-es-es-verifactu.json", **changes):
    """A copy of an example envelope; ``changes`` replace top-level fields of its invoice
    (``None`` removes one)."""
    envelope = copy.deepcopy(example(name))
    doc = envelope["doc"]
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return envelope


def rate(key, base, percent=None, amount="0.00", **ext):
    """A ``totals.taxes`` rate with es-verifactu extensions (``op_class="S1"`` ->
    ``es-verifactu-op-class``)."""
    entry = {"key": key, "base": base, "amount": amount}
    if percent is not None:
        entry["percent"] = percent
    entry["ext"] = {f"es-verifactu-{name.replace('_', '-')}": value for name, value in ext.items()}
    return entry


def with_rates(doc, *rates, surcharge=None):
    """``doc`` with its VAT breakdown replaced by ``rates`` (totals recomputed)."""
    inner = doc["doc"]
    category = {"code": "VAT", "rates": list(rates)}
    category["amount"] = str(sum(float(r["amount"]) for r in rates))
    if surcharge:
        category["surcharge"] = surcharge
    inner["totals"]["taxes"] = {"categories": [category]}
    return doc


def register(doc, previous=None, **options):
    return verifactu.registration(
        doc, previous=previous, generated_at=AT, software=SOFTWARE, **options
    )


def xml_of(record):
    """The record parsed, for reading fields by their AEAT names."""
    from lxml import etree

    return etree.fromstring(record.xml)


def field(element, path):
    """Text at ``path`` ("IDFactura/NumSerieFactura") of a record element, or None."""
    found = element.find("/".join(f"{{{verifactu.NS_SF}}}{name}" for name in path.split("/")))
    return None if found is None else found.text


def fields(element, path):
    return [
        e.text
        for e in element.findall("/".join(f"{{{verifactu.NS_SF}}}{n}" for n in path.split("/")))
    ]
