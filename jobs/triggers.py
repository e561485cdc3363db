"""Automatic runs: a workflow starts by itself when an entry of its schema is created
or enters a state, or on a schedule over a saved silo filter.

The silo sends ``silo.signals`` inside the transaction of the change, so an entry and
the jobs it triggered commit together; a trigger that cannot start its job (an
archived workflow, a database error in its savepoint) is logged and never undoes the
entry's change. Schedules run from the workers' clock (``jobworker``) as bulk runs.

Loops: a change made by a job's step carries the job's id. The job (and the chain of
jobs that triggered it, through ``Job.cause``) never triggers its own workflow again,
and a chain stops at ``MAX_CHAIN`` jobs, so A -> B -> A cannot run forever either.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from jobs import bulk
from jobs.models import Job, Trigger
from jobs.services import create_job
from silo import signals

logger = logging.getLogger(__name__)

MAX_CHAIN = 5


def connect():
    signals.entry_created.connect(on_entry_created, dispatch_uid="jobs.triggers.created")
    signals.entry_state_changed.connect(on_state_changed, dispatch_uid="jobs.triggers.state")


def _triggers(entry, kind, **more):
    return (
        Trigger.objects.in_workspace(entry.workspace_id)
        .filter(kind=kind, enabled=True, workflow__schema=entry.schema, **more)
        .filter(workflow__archived=False)
        .select_related("workflow")
    )


def on_entry_created(sender, entry, source="", job_id=None, **kwargs):
    label = f"automatic: {entry.schema} created ({source or 'unknown'})"
    _fire(entry, _triggers(entry, Trigger.Kind.CREATED), label, job_id)


def on_state_changed(sender, entry, before, after, job_id=None, **kwargs):
    label = f"automatic: entered state {after}"
    _fire(entry, _triggers(entry, Trigger.Kind.STATE, state=after), label, job_id)


def _fire(entry, triggers, label, job_id):
    """Start each trigger's workflow, unless the change came from that workflow's job
    (or from the chain of jobs that led to it): never loop."""
    chain = _chain(job_id)
    if len(chain) >= MAX_CHAIN:
        logger.warning("entry %s: a chain of %s triggered jobs stops here", entry.pk, len(chain))
        return
    loop = {job.workflow_id for job in chain}
    cause = chain[0] if chain else None
    for trigger in triggers:
        if trigger.workflow_id not in loop:
            _start(trigger, entry, label, cause=cause)


def _chain(job_id):
    """The job that made a change, then the job that triggered it, and so on."""
    chain = []
    while job_id and len(chain) < MAX_CHAIN:
        job = Job.objects.filter(pk=job_id).only("pk", "workflow_id", "cause_id").first()
        if job is None:
            break
        chain.append(job)
        job_id = job.cause_id
    return chain


def _start(trigger, entry, label, cause=None):
    workspace = entry.workspace
    try:
        with transaction.atomic():
            create_job(workspace, trigger.workflow, entry=entry, trigger=label[:200], cause=cause)
    except Exception:  # a trigger never undoes the change that fired it
        logger.exception("trigger %s could not start on entry %s", trigger.pk, entry.pk)


# --- Schedules ------------------------------------------------------------------------


def schedule_label(trigger):
    return f"automatic: every {trigger.every_minutes} min"


def run_schedules(now=None):
    """Start every schedule that is due; the clock calls this each tick. Two clocks
    racing for one schedule: the conditional update lets one of them win."""
    now = now or timezone.now()
    started = 0
    due = Trigger.objects.filter(
        kind=Trigger.Kind.SCHEDULE, enabled=True, next_run_at__lte=now
    ).select_related("workflow", "workspace")
    for trigger in due[:20]:
        following = now + timedelta(minutes=trigger.every_minutes or 60)
        claimed = Trigger.objects.filter(pk=trigger.pk, next_run_at=trigger.next_run_at).update(
            next_run_at=following, last_run_at=now
        )
        if not claimed:
            continue
        try:
            bulk.start(
                trigger.workspace,
                trigger.workflow,
                trigger.filters,
                actor=trigger.created_by,
                trigger=schedule_label(trigger),
            )
            started += 1
        except bulk.BulkError as refusal:
            logger.info("schedule %s: nothing started: %s", trigger.pk, refusal)
    return started
