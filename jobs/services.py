"""Creating jobs: the one way every entry point (console, API, CLI, triggers) starts a run."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs import live, tasks
from jobs.models import Job, Status
from silo.services import first_document


class JobError(ValueError):
    """The job cannot be created; the message says why, for the user or the caller."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class JobConflict(JobError):
    """A job id or key used before for another request; ``differs`` names the fields
    (as the API names them) in which this request is not the first one."""

    def __init__(self, job, differs):
        super().__init__(
            f"This job id or key was used before for another request: {', '.join(differs)} "
            "differ. The job it made is unchanged; use a new id or key for a new job.",
            field=differs[0],
        )
        self.job = job
        self.differs = differs


def create_job(
    workspace,
    workflow,
    *,
    entry=None,
    args=None,
    key=None,
    tags=None,
    job_id=None,
    trigger="manual",
    actor=None,
    version=None,
    batch=None,
    cause=None,
    looked=False,
    document=None,
    wake=True,
):
    """Queue a run of the workflow's current version (S10) and wake a worker.

    Returns ``(job, created)``: a ``key`` or ``job_id`` already used in the workspace
    gives back that job unchanged, even when two requests race with the same key.
    ``looked``: the caller has just looked for that job and found none, so it is not
    looked for again before the insert (a race is still caught by the insert).
    ``document``: the entry was made just now from this document (the API's ``data``),
    so a repeat is compared by document, not by entry. A repeat that differs from the
    first request is a JobConflict. ``wake=False``: the caller wakes the workers once
    for many jobs (``tasks.wake_workers`` after its commit).
    """
    args = args or {}
    if entry is None and not args:
        raise JobError("Pick a document or give at least one argument.", field="silo_entry_id")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in args.items()):
        raise JobError("Arguments must map strings to strings.", field="args")
    if entry is not None and entry.schema != workflow.schema:
        raise JobError(
            f"This workflow runs on {workflow.schema} documents; the entry is {entry.schema}.",
            field="silo_entry_id",
        )
    if workflow.archived:
        raise JobError("This workflow is archived.", field="workflow_id")
    request = {"workflow": workflow, "entry": entry, "document": document, "args": args}
    request.update(tags=list(tags or []), key=key or None, job_id=job_id)
    existing = None if looked else _existing(workspace, key, job_id)
    if existing:
        return require_same(existing, **request), False
    fields = {
        "workspace": workspace,
        "workflow": workflow,
        "entry": entry,
        "args": args,
        "key": key or None,
        "tags": list(tags or []),
        "trigger": trigger,
        "version": version or live_version(workflow),
        "created_by": actor if actor is not None and actor.is_authenticated else None,
        "due_at": timezone.now(),
        "batch": batch,
        "cause": cause,
    }
    if job_id:
        fields["id"] = job_id
    try:
        with transaction.atomic():
            job = Job.objects.create(**fields)
            live.job_changed(job, job.status)
            if wake and settings.JOBS_WAKE_WORKERS:
                transaction.on_commit(tasks.wake_workers)
    except IntegrityError:
        existing = _existing(workspace, key, job_id)
        if existing is None:
            raise
        return require_same(existing, **request), False
    return job, True


_versions = {}
VERSIONS_KEPT = 1000


def live_version(workflow):
    """The workflow's current version. A version never changes once published, so it
    is kept per process by (workflow, its creation time, number): creating a job reads
    the workflow (its current number, workspace, archived flag), not the version. The
    creation time tells a workflow deleted and imported again under its id apart."""
    key = (workflow.pk, workflow.created_at, workflow.current_version)
    version = _versions.get(key)
    if version is None:
        version = workflow.versions.get(number=workflow.current_version)
        if len(_versions) >= VERSIONS_KEPT:
            _versions.clear()
        _versions[key] = version
    return version


def require_same(
    job, *, workflow, entry=None, document=None, args=None, tags=(), key=None, job_id=None
):
    """``job`` if this request is the one that made it, else a JobConflict naming what
    differs. ``workflow`` and ``entry`` may be objects or ids."""
    differs = []
    if job_id and str(job_id) != str(job.pk):
        differs.append("id")
    if str(getattr(workflow, "pk", workflow)) != str(job.workflow_id):
        differs.append("workflow_id")
    if document is not None:
        if job.entry is None or first_document(job.entry) != document:
            differs.append("data")
    elif str(getattr(entry, "pk", entry)) != str(job.entry_id):
        differs.append("silo_entry_id")
    if (args or {}) != job.args:
        differs.append("args")
    if list(tags or []) != list(job.tags):
        differs.append("tags")
    if (key or None) != job.key:
        differs.append("key")
    if differs:
        raise JobConflict(job, differs)
    return job


def _existing(workspace, key, job_id):
    if job_id:
        found = Job.objects.filter(pk=job_id).first()
        if found is not None:
            if found.workspace_id != workspace.pk:
                raise JobError("This job id is taken.", field="id")
            return found
    if key:
        return Job.objects.in_workspace(workspace).filter(key=key).first()
    return None


def wake(job_ids):
    """Bring parked jobs forward: each runs as soon as a worker is free.

    For a service that learns, in one go, what several waiting jobs were waiting for
    (a tax agency's answer to a batch of their records). Only jobs still waiting move;
    one running, ended or cancelled is left alone. Returns how many were woken.
    """
    woken = Job.objects.filter(pk__in=list(job_ids), status=Status.WAIT).update(
        due_at=timezone.now()
    )
    if woken and settings.JOBS_WAKE_WORKERS:
        transaction.on_commit(tasks.wake_workers)
    return woken
