"""Numbered series of a workspace (``sequence.assign``): gap-free and unique.

A number is taken and the code that carries it is written in one transaction, with the
series' row locked (``SELECT ... FOR UPDATE``) from the moment it is read. Two writers
never see the same ``next_value``, and a write that fails rolls the counter back with it,
so no number is lost.
"""

import copy

from django.db import transaction
from django.utils import timezone

from silo import documents
from silo.models import Sequence
from silo.services import update_entry

YEAR_PLACEHOLDER = "{year}"


def format_code(prefix, padding, value, year):
    return f"{prefix.replace(YEAR_PLACEHOLDER, str(year))}{value:0{padding}d}"


def current_code(entry):
    code = documents.body(entry.doc).get("code")
    return code if isinstance(code, str | int) and str(code).strip() else None


def assign_code(entry, name, *, prefix="", padding=4, yearly_reset=False, job_id=None, today=None):
    """Give the entry's document the next code of the series ``name``.

    Returns ``(code, assigned)``; an entry that already has a code keeps it
    (``assigned`` is False). Raises EntryConflict if the entry changed since it was
    read; the number is then given back.
    """
    existing = current_code(entry)
    if existing is not None:
        return str(existing), False
    year = (today or timezone.localdate()).year
    with transaction.atomic():
        series = _locked(entry.workspace_id, name, prefix, padding, yearly_reset, year)
        if yearly_reset and series.year != year:
            series.year, series.next_value = year, 1
        value = series.next_value
        code = format_code(prefix, padding, value, year)
        doc = copy.deepcopy(entry.doc)
        documents.body(doc)["code"] = code
        update_entry(entry, job_id=job_id, doc=doc, doc_note=f"Code {code} assigned from {name}")
        series.next_value = value + 1
        series.prefix, series.padding, series.yearly_reset = prefix, padding, yearly_reset
        series.year = year
        series.save()
    return code, True


def _locked(workspace_id, name, prefix, padding, yearly_reset, year):
    # get_or_create survives two first uses at once: the loser's insert fails on the
    # unique constraint inside a savepoint and it reads the winner's row instead.
    Sequence.objects.get_or_create(
        workspace_id=workspace_id,
        name=name,
        defaults={"prefix": prefix, "padding": padding, "yearly_reset": yearly_reset, "year": year},
    )
    return Sequence.objects.select_for_update().get(workspace_id=workspace_id, name=name)
