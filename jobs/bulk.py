"""Bulk runs: one workflow on every entry a silo filter matches, as one ``Batch``.

The jobs are created in one transaction (all or none) with one INSERT for the jobs and
one for their live changes, and the workers are woken once; the batch page then
follows the jobs' statuses through the ``job_batch`` index.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jobs import live, tasks
from jobs.models import Batch, Change, Job, Status
from silo import selectors as silo_selectors
from silo.models import Entry

LIMIT = 1000  # entries per bulk run; a wider filter must be narrowed first
FILTERS = ("q", "schema", "state")


class BulkError(ValueError):
    pass


def clean_filters(data):
    return {name: str(data.get(name) or "")[:200] for name in FILTERS}


def matching_entries(workspace, workflow, filters):
    """The entries a silo filter matches that the workflow can run on (its schema)."""
    entries = silo_selectors.search_entries(
        Entry.objects.in_workspace(workspace),
        query=filters.get("q", ""),
        schema=filters.get("schema", ""),
        state=filters.get("state", ""),
    )
    return entries.filter(schema=workflow.schema)


def count(workspace, workflow, filters):
    """How many entries a run would start on; ``LIMIT + 1`` means "too many"."""
    entries = matching_entries(workspace, workflow, filters).order_by()
    return len(entries.values_list("pk", flat=True)[: LIMIT + 1])


def start(workspace, workflow, filters, *, actor=None, trigger="bulk run", expected=None):
    """Queue one job per matching entry; returns the Batch. Raises BulkError.

    ``expected`` is the count the user confirmed: if the filter now matches another
    number of entries, nothing is started and the user is asked again.
    """
    if workflow.archived:
        raise BulkError("This workflow is archived.")
    filters = clean_filters(filters)
    entry_ids = list(
        matching_entries(workspace, workflow, filters)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[: LIMIT + 1]
    )
    if len(entry_ids) > LIMIT:
        raise BulkError(f"More than {LIMIT} entries match: narrow the filter first.")
    if not entry_ids:
        raise BulkError(f"No {workflow.schema} entry matches this filter.")
    if expected is not None and expected != len(entry_ids):
        raise BulkError(
            f"The filter now matches {len(entry_ids)} entries, not {expected}: "
            "check the count and confirm again."
        )
    version = workflow.versions.get(number=workflow.current_version)
    now = timezone.now()
    with transaction.atomic():
        batch = Batch.objects.create(
            workspace=workspace,
            workflow=workflow,
            filters=filters,
            total=len(entry_ids),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        jobs = Job.objects.bulk_create(
            Job(
                workspace=workspace,
                workflow=workflow,
                version=version,
                entry_id=entry_id,
                trigger=trigger[:200],
                created_by=batch.created_by,
                batch=batch,
                due_at=now,
            )
            for entry_id in entry_ids
        )
        changes = Change.objects.bulk_create(
            Change(workspace=workspace, job_id=job.pk, entry_id=job.entry_id, status=job.status)
            for job in jobs
        )
        if live.pushes():
            transaction.on_commit(lambda: [live.publish(change) for change in changes])
        if settings.JOBS_WAKE_WORKERS:
            transaction.on_commit(tasks.wake_workers)
    return batch


def progress(batch):
    """Counts by status, and how far the batch is (a finished job is done)."""
    by_status = dict(
        Job.objects.filter(batch=batch)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    done = sum(n for status, n in by_status.items() if status not in _ACTIVE)
    return {
        "by_status": [(s, by_status[s]) for s in Status.values if s in by_status],
        "done": done,
        "total": batch.total,
        "percent": int(100 * done / batch.total) if batch.total else 100,
        "finished": done >= batch.total,
    }


_ACTIVE = {Status.QUEUED, Status.RUN, Status.WAIT}
