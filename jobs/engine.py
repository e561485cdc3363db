"""The interpreter of SPEC section 4: it walks a pinned definition one step at a time.

Where a job is, is a stack of frames ``[list path, index]``: the bottom frame is the
main flow (``["steps"]``) or the rescue flow (``["rescue"]``); running a block pushes
``[owner path + [i, "next", b, "steps"], 0]``. After every step the engine commits,
in one transaction: the attempt's event, the step's outcome, the new position and the
next step's intent (S9). A job waiting for a retry or a ``delay.wait`` is parked with
``due_at`` and frees its worker; ``claim`` picks it up again when it is due.

A worker holds a job through a lease; every commit renews it and is conditioned on
it, so a worker that lost its lease (killed, or too slow) can never write over the
worker that resumed the job, and a cancelled job starts no new step.
"""

import logging
import random
import uuid
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from console import logs, storable
from jobs import live
from jobs.models import Event, Intent, Job, Status
from jobs.representation import job_json
from silo import documents
from silo.models import Activity
from silo.services import log as log_activity
from workflows import definition, templating
from workflows.actions import registry
from workflows.actions.base import Context, Outcome, Suspend, TryLater

logger = logging.getLogger(__name__)

MAX_INTENTS = 1000  # a goto loop ends here instead of running forever
MAX_RECOVERIES = 5  # a step that kills its worker every time ends the job
MAX_BACKOFF_S = 3600
# A step's message is stored in its event, its intent and the job's faults, and shown
# on the job page and in the API for every attempt: 2,000 characters say what went
# wrong; more (a template's output, a remote body) would make every read of the job
# large.
MAX_MESSAGE_CHARS = 2000


def lease_seconds():
    return getattr(settings, "JOBS_LEASE_SECONDS", 60)


@lru_cache(maxsize=256)
def _definition(version_id):
    """Versions are immutable, so each is parsed once per process."""
    from workflows.models import WorkflowVersion

    data = WorkflowVersion.objects.values_list("definition", flat=True).get(pk=version_id)
    return definition.Workflow.model_validate(data)


# --- Claiming -------------------------------------------------------------------------


def claim():
    """Take one due job (queued, back from a wait, or abandoned by a dead worker).

    Returns ``(job, token)`` or ``None``. On PostgreSQL ``SKIP LOCKED`` lets many
    workers claim side by side; SQLite's IMMEDIATE transactions serialise claims. A
    job starting out gets its first step's intent in the same transaction, so a claim
    costs one commit.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        from jobs import postgresql  # the same, as one statement (it imports this module)

        claimed = postgresql.claim_due(now)
        if claimed is not None:
            return claimed
    jobs = Job.objects.select_related("entry", "workflow", "workspace")
    due = jobs.filter(status__in=(Status.QUEUED, Status.WAIT), due_at__lte=now)
    lost = jobs.filter(status=Status.RUN, lease_until__lt=now)
    with transaction.atomic():
        job, recovering = _first_unlocked(due.order_by("due_at")), False
        if job is None:
            job, recovering = _first_unlocked(lost), True
        if job is None:
            return None
        token = uuid.uuid4()
        changes = {
            "status": Status.RUN,
            "lease_token": token,
            "due_at": None,
            "lease_until": now + timedelta(seconds=lease_seconds()),
            "started_at": job.started_at or now,
        }
        if recovering:
            job.recoveries += 1
            changes["recoveries"] = job.recoveries
        if not job.position:
            job.position = _start("main")
            first = _settle(job.position, _definition(job.version_id))
            if first is not None:
                job.current_intent = _new_intent(job, first)
            changes.update(
                position=job.position,
                current_intent=job.current_intent,
                intent_count=job.intent_count,
            )
        Job.objects.filter(pk=job.pk).update(**changes)
        for field, value in changes.items():
            setattr(job, field, value)
        live.job_changed(job, Status.RUN)
    return job, token


def _first_unlocked(candidates):
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    return candidates.first()


def due_exists(overdue_s=0):
    """Is a job due (for at least ``overdue_s`` seconds) or abandoned by its worker?"""
    now = timezone.now() - timedelta(seconds=overdue_s)
    return (
        Job.objects.filter(status__in=(Status.QUEUED, Status.WAIT), due_at__lte=now).exists()
        or Job.objects.filter(status=Status.RUN, lease_until__lt=now).exists()
    )


# --- Running --------------------------------------------------------------------------


class LeaseLost(Exception):  # noqa: N818
    """Another worker owns the job now, or it was cancelled: stop touching it."""


def run(job, token):
    """Run a claimed job until it ends, waits, or is cancelled."""
    with logs.scope(job_id=job.id, workspace_id=job.workspace_id):
        _run(job, token)


def _run(job, token):
    workflow = _definition(job.version_id)
    if job.recoveries > MAX_RECOVERIES:
        return _finish(
            job,
            token,
            Status.KO,
            fault={
                "step_id": "",
                "provider": "",
                "code": "worker_lost",
                "message": f"The job's worker stopped {job.recoveries} times while running it.",
            },
        )
    if not job.position:
        job.position = _start("main")
    try:
        while True:
            step = _settle(job.position, workflow)
            if step is None:
                final = Status.KO if job.position["flow"] == "rescue" else Status.OK
                return _finish(job, token, final)
            if job.current_intent_id is None:
                _begin(job, token, step)
            if not _run_step(job, token, workflow, step):
                return
    except LeaseLost:
        logger.info("job %s: lease lost or cancelled, leaving it", job.id)


def _run_step(job, token, workflow, step):
    """One attempt of the current step. Returns False when the job stops here for now."""
    with logs.scope(step_id=step.id, attempt=job.attempt + 1):
        return _attempt(job, token, workflow, step)


def _attempt(job, token, workflow, step):
    action = registry.get(step.provider)
    attempt = job.attempt + 1
    intent = job.current_intent
    started = timezone.now()
    if action is None:  # its package was uninstalled after this version was saved
        outcome = Outcome.ko("unknown_provider", f"No action {step.provider!r} is installed.")
        return _record(job, token, workflow, step, attempt, outcome, started)
    retry = step.retry or definition.Retry(
        max_attempts=action.max_attempts, backoff_s=action.backoff_s
    )
    try:
        context = _context(job, step, action, attempt, intent.started_at)
        outcome = action.run(context)
    except TryLater as transient:
        if attempt < retry.max_attempts:
            delay = _backoff(retry.backoff_s, attempt, transient.retry_after)
            _park(job, token, started, attempt, transient, started + timedelta(seconds=delay))
            return False
        outcome = Outcome.ko(transient.code, transient.message or "Attempts ran out")
    except Suspend as suspend:
        _park(job, token, started, None, suspend, suspend.until)
        return False
    except _ConfigProblem as problem:
        outcome = Outcome.ko(problem.code, str(problem))
    except Exception as error:  # a bug in an action is the step's KO, not the worker's death
        logger.exception("job %s step %s: %s failed", job.id, step.id, step.provider)
        outcome = Outcome.ko("error", f"{type(error).__name__}: {error}")
    return _record(job, token, workflow, step, attempt, outcome, started)


class _ConfigProblem(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _context(job, step, action, attempt, step_started_at):
    entry = job.entry
    if entry is not None:
        entry.refresh_from_db()
    data = {
        "doc": documents.body(entry.doc) if entry else {},
        "entry": (
            {
                "id": str(entry.id),
                "key": entry.key or "",
                "state": entry.state,
                "meta": entry.meta,
                "schema": entry.schema,
            }
            if entry
            else {}
        ),
        "args": job.args,
        "job": {
            "id": str(job.id),
            "key": job.key or "",
            "tags": job.tags,
            "workflow_id": str(job.workflow_id),
        },
    }
    fault = job.faults[-1] if job.position.get("flow") == "rescue" and job.faults else None
    if fault is not None:
        data["fault"] = fault
    try:
        rendered = templating.render_config(step.config, data)
    except templating.OverBudget as error:
        raise _ConfigProblem(
            "template_budget", f"A template in the config is over its budget: {error}"
        ) from None
    except templating.TemplateError as error:
        raise _ConfigProblem(
            "template_error", f"A template in the config failed: {error}"
        ) from None
    try:
        config = action.Config.model_validate(rendered)
    except Exception as error:
        raise _ConfigProblem("invalid_config", f"The config is not valid: {error}") from None
    return Context(
        workspace=job.workspace,
        job=job,
        step=step,
        config=config,
        entry=entry,
        args=job.args,
        attempt=attempt,
        idempotency_key=f"{job.id}:{step.id}",
        step_started_at=step_started_at,
        fault=fault,
        data=data,
        job_json=lambda: job_json(job),
    )


def _backoff(base, attempt, retry_after):
    exponential = min(MAX_BACKOFF_S, base * 2 ** (attempt - 1))
    delay = exponential * random.uniform(0.5, 1.0)  # jitter, so retries spread out
    return max(delay, float(retry_after or 0))


# --- Moving through the definition ----------------------------------------------------


def _start(flow):
    return {"flow": flow, "stack": [[["steps" if flow == "main" else "rescue"], 0]]}


def _settle(position, workflow):
    """Step past finished lists (applying a finished block's ``stop``); returns the
    step to run next, or None when the flow is over."""
    stack = position["stack"]
    while stack:
        path, index = stack[-1]
        steps = workflow.find(path)
        if index < len(steps):
            return steps[index]
        stack.pop()
        if not stack:
            return None
        if workflow.find(path[:-1]).stop:  # the block that just finished
            stack.clear()
            return None
        stack[-1][1] += 1
    return None


def _advance(position, workflow, step, outcome):
    """Apply an outcome to the position (S4-S6, S12). Returns False for an unhandled KO."""
    stack = position["stack"]
    path, index = stack[-1]
    if step.provider == definition.GOTO and outcome.status == "OK":
        if len(stack) > 1 and workflow.find(path[:-1]).stop:
            stack.clear()  # a legacy jump with "stop": the job ends here
        else:
            position.update(_locate(workflow, step.config["step_id"]))
        return True
    for b, block in enumerate(step.next):
        if block.matches(outcome.status, outcome.code):
            stack.append([[*path, index, "next", b, "steps"], 0])
            return True
    if outcome.status == "KO":
        return False
    stack[-1][1] += 1
    return True


def _locate(workflow, step_id):
    """The position of a step, so a jump continues there and onward in its list."""

    def search(steps, path, frames):
        for index, step in enumerate(steps):
            here = [*frames, [path, index]]
            if step.id == step_id:
                return here
            for b, block in enumerate(step.next):
                found = search(block.steps, [*path, index, "next", b, "steps"], here)
                if found:
                    return found
        return None

    for flow, root in (("main", "steps"), ("rescue", "rescue")):
        frames = search(workflow.find([root]), [root], [])
        if frames:
            return {"flow": flow, "stack": frames}
    raise ValueError(f"no step {step_id!r}")  # the validator makes this unreachable


# --- Committing -----------------------------------------------------------------------


def _owned(job, token):
    return Job.objects.filter(pk=job.pk, lease_token=token, status=Status.RUN)


def _lease_for(job, action):
    """The lease the job holds while its next step runs: the one it has while that still
    covers the step's timeout (+10 s) and half the lease, a full one otherwise.

    So a step's commit rarely moves ``lease_until``, and PostgreSQL can then update the
    job where it is (a HOT update, none of its indexes touched) instead of writing a new
    entry in each of them at every step. A dead worker's job is still resumed within
    one lease.
    """
    step_s = getattr(action, "timeout_s", 0) + 10
    now = timezone.now()
    keep_until = now + timedelta(seconds=max(lease_seconds() / 2, step_s))
    if job.lease_until is None or job.lease_until < keep_until:
        job.lease_until = now + timedelta(seconds=max(lease_seconds(), step_s))
    return job.lease_until


def _begin(job, token, step):
    """Create the intent of the step about to run (the job's first, or after a resume)."""
    with transaction.atomic():
        intent = _new_intent(job, step)
        if not _owned(job, token).update(
            current_intent=intent,
            intent_count=job.intent_count,
            position=job.position,
            lease_until=_lease_for(job, registry.get(step.provider)),
        ):
            raise LeaseLost
        live.job_changed(job, Status.RUN)
    job.current_intent = intent


def _new_intent(job, step):
    job.intent_count += 1
    return Intent.objects.create(
        job=job,
        seq=job.intent_count,
        step_id=step.id,
        name=step.name,
        provider=step.provider,
        flow=job.position["flow"],
        started_at=timezone.now(),
    )


def _event(intent, attempt, status, code, message, started):
    now = timezone.now()
    return Event(
        intent=intent,
        index=attempt,
        status=status,
        code=str(code or "")[:200],
        message=message or "",
        at=now,
        duration_ms=int((now - started).total_seconds() * 1000),
    )


def stored_message(text):
    """A message as it is stored: text the stores can hold, cut at ``MAX_MESSAGE_CHARS``
    with a marker that says how much is missing."""
    text = storable.displayable(str(text or ""))
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    cut = len(text) - MAX_MESSAGE_CHARS
    return f"{text[:MAX_MESSAGE_CHARS]}… [{cut:,} more characters cut]"


def _park(job, token, started, attempt, reason, until):
    """A transient failure (``attempt`` set) or a wait: free the worker until ``until``."""
    reason.message = stored_message(reason.message)
    logger.info(
        "step waits until %s: %s", until.isoformat(), reason.message or getattr(reason, "code", "")
    )
    intent = job.current_intent
    with transaction.atomic():
        if attempt is not None:
            _event(intent, attempt, "RETRY", reason.code, reason.message, started).save()
            job.attempt = attempt
        Intent.objects.filter(pk=intent.pk).update(
            status=Status.WAIT,
            next_attempt_at=until,
            code=getattr(reason, "code", ""),
            message=reason.message or "",
        )
        if not _owned(job, token).update(
            entry_id=job.entry_id,
            status=Status.WAIT,
            due_at=until,
            attempt=job.attempt,
            lease_token=None,
            lease_until=None,
        ):
            raise LeaseLost
        live.job_changed(job, Status.WAIT)


def _record(job, token, workflow, step, attempt, outcome, started):
    """Commit an outcome and the move it causes; returns True to go on running."""
    outcome.message = stored_message(outcome.message)
    intent = job.current_intent
    handled = _advance(job.position, workflow, step, outcome)
    ending = None
    if not handled:
        job.faults = [
            *job.faults,
            {
                "step_id": step.id,
                "provider": step.provider,
                "code": outcome.code,
                "message": outcome.message,
            },
        ]
        if job.position["flow"] == "main" and workflow.rescue:
            job.position = _start("rescue")
        else:
            ending = Status.KO
    if ending is None and job.intent_count >= MAX_INTENTS:
        ending = Status.KO
        job.faults = [
            *job.faults,
            {
                "step_id": step.id,
                "provider": step.provider,
                "code": "step_limit",
                "message": f"The job ran {MAX_INTENTS} steps; it is stopped.",
            },
        ]
    following = _settle(job.position, workflow) if ending is None else None
    try:
        if connection.vendor == "postgresql":
            from jobs import postgresql

            next_intent = postgresql.commit_step(
                job, token, intent, attempt, outcome, started, following, ending
            )
        else:
            with transaction.atomic():
                _save_outcome(intent, attempt, outcome, started)
                next_intent = _commit_move(job, token, following, ending)
    except LeaseLost:
        _record_cancelled(job, token, intent, attempt, outcome, started)
        raise
    job.attempt = 0
    job.current_intent = next_intent
    code = f" {outcome.code}" if outcome.code else ""
    logger.info("step %s ended %s%s", step.id, outcome.status, code)
    if following is None:
        final = ending or (Status.KO if job.position["flow"] == "rescue" else Status.OK)
        logger.info("job ended %s", final)
    return following is not None


def _save_outcome(intent, attempt, outcome, started):
    _event(intent, attempt, outcome.status, outcome.code, outcome.message, started).save()
    Intent.objects.filter(pk=intent.pk).update(
        status=outcome.status,
        code=str(outcome.code or "")[:200],
        message=outcome.message,
        finished_at=timezone.now(),
        next_attempt_at=None,
        changes=outcome.changes,
    )


def _commit_move(job, token, following, ending):
    next_intent = _new_intent(job, following) if following is not None else None
    fields = {
        "entry_id": job.entry_id,  # an action may have given the job its entry (use_entry)
        "position": job.position,
        "attempt": 0,
        "current_intent": next_intent,
        "intent_count": job.intent_count,
        "faults": job.faults,
    }
    if following is not None:
        fields["lease_until"] = _lease_for(job, registry.get(following.provider))
    else:
        final = ending or (Status.KO if job.position["flow"] == "rescue" else Status.OK)
        fields.update(status=final, completed_at=timezone.now(), lease_token=None, lease_until=None)
    if not _owned(job, token).update(**fields):
        raise LeaseLost
    live.job_changed(job, fields.get("status", Status.RUN))
    if following is None:
        _log_end(job, fields["status"])
    return next_intent


def _record_cancelled(job, token, intent, attempt, outcome, started):
    """The job was cancelled while this step ran: keep what the step did, go no further."""
    with transaction.atomic():
        if Job.objects.filter(pk=job.pk, lease_token=token, status=Status.CANCEL).update(
            lease_token=None
        ):
            _save_outcome(intent, attempt, outcome, started)
            live.job_changed(job, Status.CANCEL)


def _finish(job, token, status, fault=None):
    """End a job that has no step left to run (an empty flow, or a lost worker)."""
    if fault:
        job.faults = [*job.faults, fault]
    with transaction.atomic():
        if not _owned(job, token).update(
            status=status,
            completed_at=timezone.now(),
            position=job.position,
            faults=job.faults,
            lease_token=None,
            lease_until=None,
        ):
            return
        live.job_changed(job, status)
        _log_end(job, status)


def _log_end(job, status):
    if job.entry_id:
        log_activity(
            job.entry,
            Activity.Kind.JOB,
            f"Workflow {job.workflow.name} finished {status}",
            job_id=job.id,
            data={"status": status, "workflow": str(job.workflow_id)},
        )


# --- Operator actions -----------------------------------------------------------------


def cancel(job):
    """S7: the job ends CANCEL; a worker running it starts no further step."""
    with transaction.atomic():
        cancelled = Job.objects.filter(
            Q(pk=job.pk) & Q(status__in=(Status.QUEUED, Status.RUN, Status.WAIT))
        ).update(status=Status.CANCEL, completed_at=timezone.now(), due_at=None)
        if cancelled:
            live.job_changed(job, Status.CANCEL)
    return bool(cancelled)


def run_in_process(job, *, sleep=None):
    """Run one job to its end here, sleeping through its waits (command line, tests).

    ``sleep`` is called with the seconds to wait; tests pass a fake that moves nothing
    but lets the loop go on, so waits cost no time.
    """
    import time

    sleep = sleep or time.sleep
    while True:
        job.refresh_from_db()
        if not job.is_active:
            return job
        if job.status == Status.WAIT and job.due_at:
            delay = (job.due_at - timezone.now()).total_seconds()
            if delay > 0:
                sleep(delay)
                Job.objects.filter(pk=job.pk, status=Status.WAIT).update(due_at=timezone.now())
        token = _claim_this(job)
        if token is None:
            time.sleep(0.05)  # another worker holds it; look again shortly
            continue
        run(Job.objects.select_related("entry", "workflow", "workspace").get(pk=job.pk), token)


def _claim_this(job):
    token = uuid.uuid4()
    now = timezone.now()
    claimed = Job.objects.filter(
        Q(pk=job.pk)
        & (
            Q(status__in=(Status.QUEUED, Status.WAIT), due_at__lte=now)
            | Q(status=Status.RUN, lease_until__lt=now)
        )
    ).update(
        status=Status.RUN,
        lease_token=token,
        due_at=None,
        lease_until=now + timedelta(seconds=lease_seconds()),
    )
    if claimed:
        Job.objects.filter(pk=job.pk, started_at__isnull=True).update(started_at=now)
        live.job_changed(job, Status.RUN)
        return token
    return None
