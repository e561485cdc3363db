"""The Run panel of a workflow (the editor's Run button, the list's ... → Run).

It is the entry page's run flow seen from the other side: there the entry is fixed and
a workflow is picked; here the workflow is fixed and a document of its schema is picked
by search, and/or string arguments are given as key/value rows. Jobs are created by
``jobs.services.create_job``, which refuses a run with neither (its message is shown).
"""

import uuid
from dataclasses import dataclass

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.workspaces import Role, get_scoped_or_404, scoped, workspace_required
from jobs.services import JobError, create_job
from silo import selectors as silo_selectors
from silo.models import Entry
from workflows.models import Workflow

ENTRIES_SHOWN = 20
MAX_ARGS = 50
MAX_KEY_LENGTH = 200
MAX_VALUE_LENGTH = 10_000


class ArgumentError(ValueError):
    pass


@dataclass
class Argument:
    key: str
    value: str


@require_GET
@workspace_required(role=Role.EDITOR)
def run_panel(request, workflow_id):
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id, archived=False)
    return _render(request, workflow)


@require_POST
@workspace_required
def run_start(request, workflow_id):
    """Create the job and link to it; a refusal is shown in the panel, nothing is created.

    With htmx the panel answers 200 even for a refusal, since htmx swaps in only
    successful responses; without it a refusal is a 400 and a success a redirect.
    """
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id, archived=False)
    rows = _argument_rows(request.POST)
    try:
        entry = _picked_entry(request, workflow)
        args = arguments(rows)
        job, _ = create_job(
            request.workspace,
            workflow,
            entry=entry,
            args=args,
            trigger="console",
            actor=request.user,
        )
    except (JobError, ArgumentError) as error:
        status = 200 if request.htmx else 400
        return _render(request, workflow, error=str(error), rows=rows, status=status)
    if not request.htmx:
        return redirect("jobs:detail", job_id=job.pk)
    return _render(request, workflow, job=job)


def _picked_entry(request, workflow):
    raw = request.POST.get("entry", "").strip()
    if not raw:
        return None
    try:
        entry_id = uuid.UUID(raw)
    except ValueError:
        raise ArgumentError("The picked document does not exist; search and pick again.") from None
    entry = scoped(request, Entry).filter(pk=entry_id).first()
    if entry is None:
        raise ArgumentError("The picked document does not exist; search and pick again.")
    return entry


def _argument_rows(post):
    keys, values = post.getlist("arg_key"), post.getlist("arg_value")
    values += [""] * (len(keys) - len(values))
    return [Argument(key.strip(), value) for key, value in zip(keys, values, strict=False)]


def arguments(rows):
    """``{key: value}`` from the panel's rows; blank rows are skipped, bad ones refused."""
    filled = [row for row in rows if row.key or row.value]
    if len(filled) > MAX_ARGS:
        raise ArgumentError(f"At most {MAX_ARGS} arguments can be given.")
    args = {}
    for number, row in enumerate(filled, start=1):
        if not row.key:
            raise ArgumentError(f"Argument {number} has a value but no name.")
        if len(row.key) > MAX_KEY_LENGTH or len(row.value) > MAX_VALUE_LENGTH:
            raise ArgumentError(f"Argument {row.key[:40]!r} is too long.")
        if row.key in args:
            raise ArgumentError(f"The argument {row.key!r} is given twice.")
        args[row.key] = row.value
    return args


def _render(request, workflow, *, status=200, rows=None, **extra):
    query = request.GET.get("q", "")[:200]
    entries = silo_selectors.search_entries(
        scoped(request, Entry), query=query, schema=workflow.schema
    )
    page = silo_selectors.newest_first(entries, size=ENTRIES_SHOWN)
    context = {
        "workflow": workflow,
        "entries": page.entries,
        "more_entries": page.next_cursor is not None,
        "query": query,
        # A search keeps the document picked before it, when it is still listed.
        "picked": request.POST.get("entry") or request.GET.get("entry", ""),
        "rows": rows or [Argument("", "")],
        **extra,
    }
    template = "workflows/_run_panel.html" if request.htmx else "workflows/run_panel.html"
    return render(request, template, context, status=status)
