"""Creating jobs: the one way every entry point (console, API, CLI, triggers) starts a run."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jobs import live, tasks
from jobs.models import Job, Status


class JobError(ValueError):
    """The job cannot be created; the message says why, for the user or the caller."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


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
):
    """Queue a run of the workflow's current version (S10) and wake a worker.

    Returns ``(job, created)``: a ``key`` or ``job_id`` already used in the workspace
    gives back that job unchanged, even when two requests race with the same key.
    ``looked``: the caller has just looked for that job and found none, so it is not
    looked for again before the insert (a race is still caught by the insert).
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
    existing = None if looked else _existing(workspace, key, job_id)
    if existing:
        return existing, False
    fields = {
        "workspace": workspace,
        "workflow": workflow,
        "entry": entry,
        "args": args,
        "key": key or None,
        "tags": list(tags or []),
        "trigger": trigger,
        "version": version or workflow.versions.get(number=workflow.current_version),
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
            if settings.JOBS_WAKE_WORKERS:
                transaction.on_commit(tasks.wake_workers)
    except IntegrityError:
        existing = _existing(workspace, key, job_id)
        if existing is None:
            raise
        return existing, False
    return job, True


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
