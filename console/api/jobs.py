"""``/api/v1/jobs``: create (with ``key`` and ``PUT`` idempotency), create many at
once (``/jobs/batch``), read, list, cancel.

``?wait=N`` holds the answer until the job ends or N seconds pass: the views are
async and wait in ``console.api.waiting`` without holding a thread.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints
from pydantic import ValidationError as ItemInvalid

from console.api import waiting
from console.api.auth import workspace_of
from console.api.errors import ApiError, ErrorOut, invalid, not_found, responses
from console.api.paging import Cursor
from jobs import engine, representation, selectors, tasks
from jobs import services as job_services
from jobs.models import Job
from jobs.representation import job_json
from silo.models import Entry
from workflows import selectors as workflow_selectors

router = Router(tags=["jobs"])

MAX_WAIT_S = 60

Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]
StatusName = Literal["QUEUED", "RUN", "WAIT", "OK", "KO", "CANCEL"]


class JobIn(Schema):
    model_config = ConfigDict(extra="forbid")

    workflow_id: uuid.UUID
    silo_entry_id: uuid.UUID | None = None
    args: dict[str, str] | None = None
    data: dict | None = Field(None, description="A raw document, stored as a new silo entry.")
    key: str | None = Field(None, min_length=1, max_length=200)
    tags: list[Tag] = Field(default_factory=list, max_length=50)


class EventOut(Schema):
    index: int
    status: str
    code: str
    message: str
    at: datetime


class IntentOut(Schema):
    step_id: str
    name: str
    provider: str
    status: str
    next_attempt_at: datetime | None
    events: list[EventOut]


class FaultOut(Schema):
    provider: str
    code: str
    message: str
    step_id: str


class JobOut(Schema):
    id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_version: int
    silo_entry_id: uuid.UUID | None
    key: str | None
    args: dict[str, str]
    tags: list[str]
    status: StatusName
    trigger: str
    created_at: datetime
    completed_at: datetime | None
    intents: list[IntentOut]
    faults: list[FaultOut]


class JobPage(Schema):
    items: list[JobOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next, older page.")


class JobFilters(Schema):
    status: StatusName | None = None
    workflow_id: uuid.UUID | None = None
    silo_entry_id: uuid.UUID | None = None
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=100)


Wait = Query(0, ge=0, le=MAX_WAIT_S, description="Hold the answer until the job ends, or N s.")


# --- creating -------------------------------------------------------------------------


def _create(workspace, payload, job_id=None, actor=None, workflows=None, wake=True):
    """``(job, created)`` for a request body; ApiError for anything the caller got wrong.

    Idempotency (id, key, ``data``) is ``jobs.services.create_job``'s; this only finds
    the workflow and entry the body names and maps the service's errors to answers.
    ``workflows``: a dict kept across the items of one batch (id -> workflow or None);
    ``wake=False``: the batch wakes the workers once per commit.
    """
    if workflows is not None and payload.workflow_id in workflows:
        workflow = workflows[payload.workflow_id]
    else:
        workflow = workflow_selectors.for_new_job(workspace, payload.workflow_id)
        if workflows is not None:
            workflows[payload.workflow_id] = workflow
    if workflow is None:
        raise invalid("No such workflow.", {"workflow_id": "no workflow with this id here"})
    if payload.silo_entry_id and payload.data is not None:
        raise invalid("Give silo_entry_id or data, not both.", {"data": "not with silo_entry_id"})
    entry = None
    if payload.silo_entry_id:
        entry = Entry.objects.in_workspace(workspace).filter(pk=payload.silo_entry_id).first()
        if entry is None:
            raise invalid("No such entry.", {"silo_entry_id": "no entry with this id here"})
    try:
        return job_services.create_job(
            workspace,
            workflow,
            entry=entry,
            document=payload.data,
            args=payload.args,
            key=payload.key,
            tags=payload.tags,
            job_id=job_id,
            trigger="api",
            actor=actor,
            wake=wake,
        )
    except job_services.JobConflict as conflict:
        differs = "differs from the request that made this job"
        raise ApiError(
            409, "conflict", str(conflict), dict.fromkeys(conflict.differs, differs)
        ) from None
    except job_services.JobError as error:
        if error.field == "id":
            raise ApiError(409, "conflict", str(error), {"id": str(error)}) from None
        field = error.field or "body"
        if field == "silo_entry_id" and payload.data is not None:
            field = "data"
        raise invalid(str(error), {field: str(error)}) from None


# --- answering -----------------------------------------------------------------------


def _representation(job_id):
    job = Job.objects.select_related("version").get(pk=job_id)
    return job_json(job)


async def _answer(job, created, wait):
    await waiting.until_finished(job.pk, job.workspace_id, wait)
    body = await sync_to_async(_representation)(job.pk)
    return Status(201 if created else 200, body)


def _create_and_show(workspace, payload, job_id=None):
    """Without ``?wait``: create and answer in one trip to the sync thread; a job made
    just now is shown from memory, an existing one as it is in the database."""
    job, created = _create(workspace, payload, job_id)
    return Status(201 if created else 200, job_json(job, new=created))


async def _create_and_answer(workspace, payload, wait, job_id=None):
    if not wait:
        return await sync_to_async(_create_and_show)(workspace, payload, job_id)
    job, created = await sync_to_async(_create)(workspace, payload, job_id)
    return await _answer(job, created, wait)


# --- many at once ----------------------------------------------------------------------

MAX_BATCH = 1000
BATCH_COMMIT = 100  # items per transaction: workers start on the first ones meanwhile


class BatchJobIn(JobIn):
    id: uuid.UUID | None = Field(None, description="This job's id (as in PUT /jobs/{id}).")


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    jobs: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description=(
            "Up to 1,000 job requests, each a BatchJobIn: a POST /jobs body plus an optional "
            "`id`; each needs an `id` or a `key`. Each item is checked on its own: one that "
            "is not valid is reported at its index and the others are still created."
        ),
    )


class BatchItemOut(Schema):
    index: int = Field(description="The item's position in `jobs`, from 0.")
    status: Literal[200, 201, 409, 422] = Field(
        description="What PUT /jobs/{id} (or POST /jobs with the key) would have answered "
        "for this item alone: 201 created, 200 the same request made it before, 409 the "
        "id or key was used for another request, 422 the item is not valid."
    )
    job: JobOut | None = None
    error: ErrorOut | None = None


class BatchOut(Schema):
    created: int
    existing: int
    failed: int
    items: list[BatchItemOut]


def _item_error(index, error):
    body = {"code": error.code, "message": error.message, "fields": error.fields}
    return {"index": index, "status": error.status, "job": None, "error": body}


def _parse_item(raw):
    try:
        item = BatchJobIn.model_validate(raw)
    except ItemInvalid as error:
        fields = {}
        for problem in error.errors():
            where = ".".join(str(part) for part in problem.get("loc", ())) or "body"
            fields.setdefault(where, problem.get("msg", "invalid value"))
        raise invalid("This job request is not valid.", fields) from None
    if item.id is None and item.key is None:
        needed = "give each job in a batch an id or a key"
        raise invalid(
            "Give this job an id or a key, so that sending it again is safe.", {"id": needed}
        )
    return item


def _create_batch(workspace, items):
    """Each item alone, in order; ``BATCH_COMMIT`` items a transaction (each item in its
    own savepoint, so one that fails undoes only itself); one wake-up per commit."""
    results = [None] * len(items)
    parsed = []
    for index, raw in enumerate(items):
        try:
            parsed.append((index, _parse_item(raw)))
        except ApiError as error:
            results[index] = _item_error(index, error)
    workflows = {}
    for start in range(0, len(parsed), BATCH_COMMIT):
        with transaction.atomic():
            for index, item in parsed[start : start + BATCH_COMMIT]:
                try:
                    job, created = _create(
                        workspace, item, item.id, workflows=workflows, wake=False
                    )
                except ApiError as error:
                    results[index] = _item_error(index, error)
                    continue
                status = 201 if created else 200
                results[index] = {
                    "index": index,
                    "status": status,
                    "job": job_json(job, new=created),
                }
            if settings.JOBS_WAKE_WORKERS:
                transaction.on_commit(tasks.wake_workers)
    counts = {status: 0 for status in (200, 201)}
    for result in results:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    created, existing = counts[201], counts[200]
    failed = len(results) - created - existing
    return {"created": created, "existing": existing, "failed": failed, "items": results}


# --- operations -----------------------------------------------------------------------


@router.post("/jobs", response=responses({200: JobOut, 201: JobOut}, 409), summary="Create a job")
async def create_job(request, payload: JobIn, wait: int = Wait):
    """201 with the new job; 200 with the existing one when ``key`` was used before for
    the same request; 409 naming what differs when it was used for another."""
    return await _create_and_answer(workspace_of(request), payload, wait)


@router.post("/jobs/batch", response=responses(BatchOut), summary="Create many jobs")
async def create_jobs(request, payload: BatchIn):
    """Up to 1,000 jobs in one request, for imports and month-end runs. Answers 200
    with one result per item, in order: each item is created (201), found (200: its id
    or key was used before for the same request), or refused (409, 422) on its own, as
    PUT /jobs/{id} would answer it alone. Sending the same batch again is safe."""
    workspace = workspace_of(request)
    return await sync_to_async(_create_batch)(workspace, payload.jobs)


@router.put(
    "/jobs/{job_id}",
    response=responses({200: JobOut, 201: JobOut}, 409),
    summary="Create a job with this id",
)
async def put_job(request, job_id: uuid.UUID, payload: JobIn, wait: int = Wait):
    """Idempotent: a job id (or ``key``) that exists returns that job unchanged (200)
    when the body is the same as the first time, and is a 409 naming what differs."""
    return await _create_and_answer(workspace_of(request), payload, wait, job_id)


def _find(workspace, **lookup):
    job = Job.objects.in_workspace(workspace).filter(**lookup).only("id", "workspace_id").first()
    if job is None:
        raise not_found("job")
    return job


@router.get("/jobs/key/{path:key}", response=responses(JobOut, 404), summary="Get a job by its key")
async def get_job_by_key(request, key: str, wait: int = Wait):
    job = await sync_to_async(_find)(workspace_of(request), key=key)
    return (await _answer(job, False, wait)).value


@router.get("/jobs/{job_id}", response=responses(JobOut, 404), summary="Get a job")
async def get_job(request, job_id: uuid.UUID, wait: int = Wait):
    job = await sync_to_async(_find)(workspace_of(request), pk=job_id)
    return (await _answer(job, False, wait)).value


@router.get("/jobs", response=responses(JobPage), summary="List jobs, newest first")
def list_jobs(request, filters: Query[JobFilters]):
    jobs = selectors.filter_history(
        Job.objects.in_workspace(workspace_of(request)),
        status=filters.status,
        workflow=filters.workflow_id,
        entry=filters.silo_entry_id,
    )
    page = selectors.newest_first(jobs, cursor=filters.cursor, size=filters.limit)
    listed = [row.job for row in page.rows]
    representation.prefetch(listed)
    return {"items": [job_json(job) for job in listed], "next_cursor": page.next_cursor}


@router.post("/jobs/{job_id}/cancel", response=responses(JobOut, 404, 409), summary="Cancel a job")
def cancel_job(request, job_id: uuid.UUID):
    """No step starts after this; a job that has already ended is a 409."""
    job = Job.objects.in_workspace(workspace_of(request)).filter(pk=job_id).first()
    if job is None:
        raise not_found("job")
    if not engine.cancel(job):
        job.refresh_from_db()
        raise ApiError(409, "conflict", f"The job has already ended ({job.status}).")
    job.refresh_from_db()
    return job_json(job)
