"""Factories: the people, documents, workflows and jobs a test starts from.

Everything is made through the services the product uses, so a test's starting point
is one a user could have reached. Import from here, never from another test module or
a conftest: ``from tests.factories import invoice, make_entry, make_member``.
"""

import copy
import hashlib
import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from django.contrib.auth import get_user_model

from console.models import Membership, Workspace
from tests.jobs.flows import ok

GOBL_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "gobl"
if not GOBL_DIR.exists():  # a checkout with shared/ beside it, or inside it
    GOBL_DIR = Path(__file__).resolve().parents[1] / "shared" / "data" / "gobl"

PASSWORD = "correct horse battery"


class Member(NamedTuple):
    """A user and the workspace they own: ``alice.user``, ``alice.workspace``."""

    user: object
    workspace: Workspace


# A workflow on invoices whose three steps end OK (simulated): for API and job tests.
INVOICE_FLOW = {
    "name": "Three outcomes",
    "schema": "bill/invoice",
    "steps": [ok("a"), ok("b"), ok("c")],
}


def load_gobl(name):
    """One of the real GOBL documents in shared/data/gobl, as parsed JSON."""
    return json.loads((GOBL_DIR / name).read_text())


def make_member(username, workspace_name, role=Membership.Role.OWNER):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    workspace = Workspace.objects.create(name=workspace_name)
    Membership.objects.create(user=user, workspace=workspace, role=role)
    return Member(user, workspace)


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
    """An entry stored as an upload would store it (``invoice()`` by default)."""
    from silo.services import create_entry

    entry, _ = create_entry(workspace, doc or invoice(), **options)
    return entry


def make_workflow(workspace, name="Issue", schema="bill/invoice", steps=None, rescue=()):
    """A saved workflow (version 1); one step that ends OK unless ``steps`` says."""
    from workflows.services import create_workflow

    if steps is None:
        steps = [ok("a")]
    data = {"name": name, "schema": schema, "steps": list(steps), "rescue": list(rescue)}
    workflow, _ = create_workflow(workspace, data)
    return workflow


def make_job(workspace, workflow=None, *, entry=None, args=None, **options):
    """A queued job, made as the console's Run button makes one."""
    from jobs.services import create_job

    workflow = workflow or make_workflow(workspace)
    if entry is None and not args:
        args = {"k": "v"}
    job, _ = create_job(workspace, workflow, entry=entry, args=args, **options)
    return job


VERIFACTU_ISSUER = "B85905495"


def verifactu_record_builder(number, *, made=None):
    """A build function for invoice ``number``: fingerprints chain as the AEAT's do.

    Stands for the conversion's records, so a chain's order, finality and batching can
    be tested without the XML; ``made`` collects the fingerprints in the order built.
    """

    def build(previous, generated_at):
        before = previous.fingerprint if previous is not None else ""
        fingerprint = hashlib.sha256(f"{number}&{before}&{generated_at}".encode()).hexdigest()
        if made is not None:
            made.append(fingerprint)
        return SimpleNamespace(
            kind="alta",
            issuer=VERIFACTU_ISSUER,
            issuer_name="Provide One S.L.",
            num_series=number,
            issue_date=date(2026, 11, 26),
            total="121.00",
            fingerprint=fingerprint.upper(),
            generated_at=generated_at,
            xml=f"<RegistroAlta>{number}</RegistroAlta>".encode(),
        )

    return build


def make_verifactu_record(workspace, number, **options):
    """Invoice ``number`` appended to the workspace's VERI*FACTU chain (one is made)."""
    from workflows.agencies import chain

    found = chain.find_chain(workspace, VERIFACTU_ISSUER, "Provide One S.L.")
    return chain.append(
        found, build=verifactu_record_builder(number, **options), environment="local"
    )
