"""Creating jobs: the one way every entry point (console, API, CLI, triggers) starts a run."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from console import storable
from jobs import live, tasks
from jobs.models import Job, Status
from silo.documents import DocumentError
from silo.services import create_entry, first_document

if TYPE_CHECKING:
    from console.models import Workspace
    from jobs.models import Batch
    from silo.models import Entry
    from workflows.models import Workflow, WorkflowVersion

# An id as a caller gives it: a UUID, or its text (a form's, a URL's).
Id = uuid.UUID | str


class JobError(ValueError):
    """The job cannot be created; the message says why, for the user or the caller."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class JobConflict(JobError):
    """A job id or key used before for another request; ``differs`` names the fields
    (as the API names them) in which this request is not the first one."""

    def __init__(self, job: Job, differs: list[str]) -> None:
        super().__init__(
            f"This job id or key was used before for another request: {', '.join(differs)} "
            "differ. The job it made is unchanged; use a new id or key for a new job.",
            field=differs[0],
        )
        self.job = job
        self.differs = differs


def create_job(
    workspace: Workspace,
    workflow: Workflow,
    *,
    entry: Entry | None = None,
    document: dict[str, Any] | None = None,
    args: dict[str, str] | None = None,
    key: str | None = None,
    tags: Iterable[str] | None = None,
    job_id: Id | None = None,
    trigger: str = "manual",
    actor: Any = None,
    version: WorkflowVersion | None = None,
    batch: Batch | None = None,
    cause: Job | None = None,
    wake: bool = True,
) -> tuple[Job, bool]:
    """Queue a run of the workflow's current version (S10) and wake a worker.

    Returns ``(job, created)``. Idempotent: a ``key`` or ``job_id`` already used in the
    workspace gives back that job unchanged (even when two requests race with the same
    key), before anything else is checked, so a repeat gets the first answer; a repeat
    that differs from the first request is a JobConflict. ``document``: a raw document
    (the API's ``data``) stored as a new entry for this job, in the same transaction as
    the job, so a refused or repeated request leaves no entry behind. ``wake=False``: the
    caller wakes the workers once for many jobs (``tasks.wake_workers`` after its commit).
    """
    args = args or {}
    tags = list(tags or [])
    key = key or None
    try:  # before the key is looked up: a lone surrogate cannot even be queried
        storable.check({"args": args, "key": key or "", "tags": tags})
    except storable.Unstorable as error:
        raise JobError(f"{error.path} {error.problem}.", field=error.path.split(".")[0]) from None

    def repeat(existing: Job) -> tuple[Job, bool]:
        same = require_same(
            existing,
            workflow=workflow,
            entry=entry,
            document=document,
            args=args,
            tags=tags,
            key=key,
            job_id=job_id,
        )
        return same, False

    existing = _existing(workspace, key, job_id)
    if existing is not None:
        return repeat(existing)
    _check(workflow, entry, document, args)
    fields = {
        "workspace": workspace,
        "workflow": workflow,
        "args": args,
        "key": key,
        "tags": tags,
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
            stored = entry
            if document is not None:
                stored, _ = create_entry(workspace, document, source="API", actor=actor)
                _check_schema(workflow, stored, field="data")
            job = Job.objects.create(entry=stored, **fields)
            live.job_changed(job, job.status)
            if wake and settings.JOBS_WAKE_WORKERS:
                transaction.on_commit(tasks.wake_workers)
    except DocumentError as error:
        raise JobError(str(error), field="data") from None
    except IntegrityError:
        existing = _existing(workspace, key, job_id)
        if existing is None:
            raise
        return repeat(existing)
    return job, True


def _check(
    workflow: Workflow, entry: Entry | None, document: dict | None, args: dict[str, str]
) -> None:
    if entry is None and document is None and not args:
        raise JobError("Pick a document or give at least one argument.", field="silo_entry_id")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in args.items()):
        raise JobError("Arguments must map strings to strings.", field="args")
    if entry is not None:
        _check_schema(workflow, entry, field="silo_entry_id")
    if workflow.archived:
        raise JobError("This workflow is archived.", field="workflow_id")


def _check_schema(workflow: Workflow, entry: Entry, field: str) -> None:
    if entry.schema != workflow.schema:
        raise JobError(
            f"This workflow runs on {workflow.schema} documents; the entry is {entry.schema}.",
            field=field,
        )


_versions: dict[tuple[Any, Any, int], WorkflowVersion] = {}
VERSIONS_KEPT = 1000


def live_version(workflow: Workflow) -> WorkflowVersion:
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
    job: Job,
    *,
    workflow: Workflow | Id,
    entry: Entry | Id | None = None,
    document: dict[str, Any] | None = None,
    args: dict[str, str] | None = None,
    tags: Iterable[str] = (),
    key: str | None = None,
    job_id: Id | None = None,
) -> Job:
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


def _existing(workspace: Workspace, key: str | None, job_id: Id | None) -> Job | None:
    if job_id:
        found = Job.objects.select_related("version").filter(pk=job_id).first()
        if found is not None:
            if found.workspace_id != workspace.pk:
                raise JobError("This job id is taken.", field="id")
            return found
    if key:
        jobs = Job.objects.in_workspace(workspace).select_related("version")
        return jobs.filter(key=key).first()
    return None


def wake(job_ids: Iterable[Id]) -> int:
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
