"""The interpreter of SPEC section 4: it walks a job's pinned definition one step at a
time, runs each step's action, and has the store record what happened.

The moves (where a job is, where an outcome takes it) are ``jobs.position``; the
writes, each one transaction conditioned on the worker's lease, are the store's
(``jobs.store``, or ``jobs.postgresql`` on PostgreSQL); leases are ``jobs.leases``.
After every attempt the store commits, at once: the attempt's event, the step's
outcome, the new position and the next step's intent (S9). A job waiting for a retry
or a ``delay.wait`` is parked with ``due_at`` and frees its worker; ``claim`` picks it
up again when it is due. A worker that lost its lease (killed, too slow, or the job
was cancelled) stops at its next write, so it never writes over the worker that
resumed the job, and a cancelled job starts no new step.
"""

import logging
import random
import time
from datetime import timedelta
from functools import cache

from django.db import connection
from django.utils import timezone

from console import logs, storable
from jobs import position, postgresql
from jobs.leases import LeaseLost
from jobs.models import Status
from jobs.representation import job_json
from jobs.store import Store, pinned_definition
from silo import documents
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


@cache
def store() -> Store:
    """Where jobs are kept, chosen once by the database's vendor."""
    return postgresql.PostgresStore() if connection.vendor == "postgresql" else Store()


# --- What workers and operators call --------------------------------------------------


def claim():
    """Take one due job (queued, back from a wait, or abandoned by a dead worker, which
    counts a recovery). Returns ``(job, token)`` or None; the job holds the intent of
    the step it is about to run."""
    return store().claim()


def due_exists(overdue_s=0):
    """Is a job due (for at least ``overdue_s`` seconds) or abandoned by its worker?"""
    return store().due_exists(overdue_s)


def cancel(job):
    """S7: the job ends CANCEL; a worker running it starts no further step."""
    return store().cancel(job)


def run(job, token):
    """Run a claimed job until it ends, waits, or is cancelled."""
    with logs.scope(job_id=job.id, workspace_id=job.workspace_id):
        if job.recoveries > MAX_RECOVERIES:
            message = f"The job's worker stopped {job.recoveries} times while running it."
            fault = {"step_id": "", "provider": "", "code": "worker_lost", "message": message}
            return store().finish(job, token, Status.KO, fault=fault)
        try:
            while run_step(job, token):
                pass
        except LeaseLost:
            logger.info("job %s: lease lost or cancelled, leaving it", job.id)


def run_in_process(job, *, sleep=None):
    """Run one job to its end here, sleeping through its waits (command line, tests).

    ``sleep`` is called with the seconds to wait; tests pass a fake that moves nothing
    but lets the loop go on, so waits cost no time.
    """
    sleep = sleep or time.sleep
    while True:
        job.refresh_from_db()
        if not job.is_active:
            return job
        if job.status == Status.WAIT and job.due_at:
            delay = (job.due_at - timezone.now()).total_seconds()
            if delay > 0:
                sleep(delay)
                store().bring_forward(job.pk)
        claimed = store().claim(job.pk)
        if claimed is None:
            time.sleep(0.05)  # another worker holds it; look again shortly
            continue
        run(*claimed)


# --- One step -------------------------------------------------------------------------


def run_step(job, token):
    """One attempt of a claimed job's current step, or its end when no step is left.

    Returns True while the job goes on running here, False when it ended or waits.
    Raises ``LeaseLost`` when the job is no longer this worker's.
    """
    workflow = pinned_definition(job.version_id)
    job.position, step = position.settle(job.position, workflow)
    if step is None:
        store().finish(job, token, position.final_status(job.position))
        return False
    with logs.scope(step_id=step.id, attempt=job.attempt + 1):
        return _attempt(job, token, workflow, step)


def _attempt(job, token, workflow, step):
    action = registry.get(step.provider)
    attempt = job.attempt + 1
    started = timezone.now()
    if action is None:  # its package was uninstalled after this version was saved
        outcome = Outcome.ko("unknown_provider", f"No action {step.provider!r} is installed.")
        return _record(job, token, workflow, step, attempt, outcome, started)
    retry = step.retry or definition.Retry(
        max_attempts=action.max_attempts, backoff_s=action.backoff_s
    )
    try:
        context = _context(job, step, action, attempt, job.current_intent.started_at)
        outcome = action.run(context)
    except TryLater as transient:
        if attempt < retry.max_attempts:
            delay = _backoff(retry.backoff_s, attempt, transient.retry_after)
            _park(job, token, attempt, transient, started, started + timedelta(seconds=delay))
            return False
        outcome = Outcome.ko(transient.code, transient.message or "Attempts ran out")
    except Suspend as suspend:
        _park(job, token, None, suspend, started, suspend.until)
        return False
    except _ConfigProblem as problem:
        outcome = Outcome.ko(problem.code, str(problem))
    except Exception as error:  # a bug in an action is the step's KO, not the worker's death
        logger.exception("job %s step %s: %s failed", job.id, step.id, step.provider)
        outcome = Outcome.ko("error", f"{type(error).__name__}: {error}")
    return _record(job, token, workflow, step, attempt, outcome, started)


def stored_message(text):
    """A message as it is stored: text the stores can hold, cut at ``MAX_MESSAGE_CHARS``
    with a marker that says how much is missing."""
    text = storable.displayable(str(text or ""))
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    cut = len(text) - MAX_MESSAGE_CHARS
    return f"{text[:MAX_MESSAGE_CHARS]}… [{cut:,} more characters cut]"


def _park(job, token, attempt, reason, started, until):
    """A transient failure (``attempt`` set) or a wait: free the worker until ``until``."""
    reason.message = stored_message(reason.message)
    logger.info(
        "step waits until %s: %s", until.isoformat(), reason.message or getattr(reason, "code", "")
    )
    store().park(job, token, attempt, reason, started, until)


def _record(job, token, workflow, step, attempt, outcome, started):
    """Commit an outcome and the move it causes; returns True to go on running."""
    outcome.message = stored_message(outcome.message)
    move = position.after(
        workflow,
        job.position,
        job.faults,
        step,
        outcome,
        steps_run=job.intent_count,
        step_limit=MAX_INTENTS,
    )
    store().commit_step(job, token, attempt, outcome, started, move)
    code = f" {outcome.code}" if outcome.code else ""
    logger.info("step %s ended %s%s", step.id, outcome.status, code)
    if move.following is None:
        logger.info("job ended %s", move.status)
    return move.following is not None


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
