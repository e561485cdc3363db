"""Silo test helpers: entries are made through the same service the views use."""

import copy

from silo.services import create_entry
from tests.conftest import load_gobl


def invoice(code="INV-1", supplier="Acme Supplies S.L.", customer="Sample Consumer", tax_id=None):
    """A real GOBL invoice envelope with its code and party names replaced."""
    doc = copy.deepcopy(load_gobl("es-invoice-es-es-freelance.json"))
    inner = doc["doc"]
    inner["code"] = code
    inner["supplier"]["name"] = supplier
    inner["customer"]["name"] = customer
    if tax_id:
        inner["supplier"]["tax_id"] = {"country": tax_id[:2], "code": tax_id[2:]}
    return doc


def make_entry(workspace, doc=None, **options):
    entry, _ = create_entry(workspace, doc or invoice(), **options)
    return entry
