"""Reading jobs for the console: History's filters and pages, a job's step timeline,
and the workflows an entry can be run with.

History must stay fast however many jobs a workspace has run, so, like the silo's
list, it never counts and never skips rows with OFFSET: a page is "the N jobs just
older than the last one shown", walked through the ``(workspace, -created_at, -id)``
index (or its status and workflow siblings), and the "Older" link carries that last
job's ``(created_at, id)`` as its cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from jobs.models import Event, Intent, Job
from silo import selectors as silo_selectors
from silo.models import Entry
from silo.selectors import decode_cursor, encode_cursor

PAGE_SIZE = 50

# A row shows names and numbers; the documents and definitions behind them can be
# large, and loading them for 50 rows every few seconds would cost more than the page.
UNSHOWN_FIELDS = (
    "entry__doc",
    "entry__meta",
    "entry__search_text",
    "version__definition",
    "workflow__description",
    "position",
    "current_intent__message",
    "current_intent__changes",
)
WORKFLOWS_SHOWN = 50


# --- History --------------------------------------------------------------------------


def filter_history(
    jobs: QuerySet,
    *,
    entries: QuerySet | None = None,
    q: str = "",
    status: str = "",
    workflow: object = None,
    entry: object = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    """Narrow a workspace's jobs; ``since`` and ``until`` are dates, both included.

    ``q`` finds the jobs of the ``entries`` (the same workspace's) that the silo's
    search finds: the document's code, a party's name or a tax ID.
    """
    if q and " ".join(q.split()):
        if entries is None:
            raise TypeError("q searches entries: give the workspace's entries too")
        jobs = _search(jobs, entries, q)
    if status:
        jobs = jobs.filter(status=status)
    if workflow:
        jobs = jobs.filter(workflow=workflow)
    if entry:
        jobs = jobs.filter(entry=entry)
    if since:
        jobs = jobs.filter(created_at__gte=_start_of(since))
    if until and until < date.max:
        jobs = jobs.filter(created_at__lt=_start_of(until + timedelta(days=1)))
    return jobs


SEARCH_ENTRIES = 500  # matching entries looked up one by one; more, and the jobs are walked


def _search(jobs: QuerySet, entries: QuerySet, q: str) -> QuerySet:
    """A precise search (one invoice, one party: a few entries) finds its entries first
    and their jobs through the job's entry index, reading a few rows however many jobs
    there are; a broad one (more than ``SEARCH_ENTRIES`` entries match) walks the jobs
    newest first and tests each one's entry, finding a page's worth soon."""
    matching = silo_selectors.search_entries(entries, query=q)
    found = list(matching.order_by().values_list("pk", flat=True)[: SEARCH_ENTRIES + 1])
    if len(found) <= SEARCH_ENTRIES:
        return jobs.filter(entry_id__in=found)
    return jobs.filter(Exists(matching.filter(pk=OuterRef("entry_id"))))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class HistoryRow:
    job: Job
    duration: str


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def newest_first(jobs: QuerySet, cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of ``jobs``, newest first, starting after ``cursor``.

    An unreadable cursor starts from the newest job rather than failing.
    """
    jobs = (
        jobs.select_related("workflow", "version", "entry", "current_intent")
        .defer(*UNSHOWN_FIELDS)
        .order_by("-created_at", "-id")
    )
    position = decode_cursor(cursor) if cursor else None
    if position:
        created_at, job_id = position
        # A range on created_at plus a tie-break, so the index is walked from the cursor.
        jobs = jobs.filter(
            Q(created_at__lte=created_at), Q(created_at__lt=created_at) | Q(id__lt=job_id)
        )
    found = list(jobs[: size + 1])
    shown = found[:size]
    rows = [HistoryRow(job, duration(job.started_at, job.completed_at)) for job in shown]
    more = len(found) > size
    return Page(rows=rows, next_cursor=encode_cursor(shown[-1]) if more else None)


# --- One job --------------------------------------------------------------------------


@dataclass
class StepView:
    """One executed step (an intent) with its attempts, as the timeline shows it."""

    intent: Intent
    attempts: list
    duration: str


def timeline(job: Job) -> list[StepView]:
    """The job's executed steps in order, each with its attempts."""
    intents = job.intents.order_by("seq").prefetch_related(
        Prefetch("events", queryset=Event.objects.order_by("index"))
    )
    return [
        StepView(intent, list(intent.events.all()), duration(intent.started_at, intent.finished_at))
        for intent in intents
    ]


def job_duration(job: Job) -> str:
    """How long the job ran, or has been running so far."""
    if job.started_at is None:
        return ""
    return duration(job.started_at, job.completed_at or timezone.now())


def duration(start: datetime | None, end: datetime | None) -> str:
    """A short human duration: ``"340 ms"``, ``"12.5 s"``, ``"4 min 05 s"``."""
    if start is None or end is None:
        return ""
    seconds = max((end - start).total_seconds(), 0)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# --- Running ---------------------------------------------------------------------------


def runnable_workflows(workflows: QuerySet, entry: Entry, query: str = "") -> list:
    """The workflows that can run on ``entry``: its schema, not archived, by name."""
    workflows = workflows.filter(schema=entry.schema, archived=False)
    query = " ".join(query.split())
    if query:
        workflows = workflows.filter(name__icontains=query)
    return list(workflows.order_by("name")[:WORKFLOWS_SHOWN])


ENTRY_JOBS_SHOWN = 5


def entry_jobs(
    jobs: QuerySet, entry: Entry, size: int = ENTRY_JOBS_SHOWN
) -> list[tuple[Job, list[StepView]]]:
    """The newest jobs on an entry, each with its step timeline (the activity tab)."""
    newest = (
        jobs.filter(entry=entry)
        .select_related("workflow", "version")
        .defer("version__definition", "workflow__description", "position")
        .order_by("-created_at", "-id")[:size]
    )
    return [(job, timeline(job)) for job in newest]
