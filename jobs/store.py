"""Where the engine keeps jobs: every write it makes, behind one small interface.

``Store`` is the ORM implementation (SQLite runs it, and it is the readable reference);
``jobs.postgresql.PostgresStore`` does its two hot writes (a claim, a step's commit)
as one statement each. ``jobs.engine.store()`` picks one by database vendor, once.

The interface, each call one transaction:

- ``claim(job_id=None)``: take a due job, or one whose worker was lost (counting a
  recovery), start it and give it the intent of the step it is about to run;
  ``(job, token)`` or None.
- ``commit_step(job, token, attempt, outcome, started, move)``: the attempt's event,
  the step's outcome and the move it causes (``jobs.position.Move``): the next step's
  intent, or the job's end.
- ``park(job, token, attempt, reason, started, until)``: a retry or a wait; the job
  frees its worker until ``until``.
- ``finish(job, token, status, fault=None)``: end a job that has no step left.

The first three raise ``LeaseLost`` when the job is no longer the worker's (cancelled,
or resumed by another worker after its lease ran out): nothing is written then, except
that a step that ran while its job was cancelled keeps its outcome (S7).
"""

import uuid
from datetime import timedelta
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from jobs import live, position
from jobs.leases import LeaseLost, first_lease, lease_for
from jobs.models import Event, Intent, Job, Status
from silo.models import Activity
from silo.services import log as log_activity
from workflows import definition
from workflows.actions import registry


@lru_cache(maxsize=256)
def pinned_definition(version_id):
    """A job's workflow as it was when the job was created (S10). Versions are
    immutable, so each is parsed once per process."""
    from workflows.models import WorkflowVersion

    data = WorkflowVersion.objects.values_list("definition", flat=True).get(pk=version_id)
    return definition.Workflow.model_validate(data)


class Store:
    """The job store through the ORM (see the module's docstring for the interface)."""

    def claim(self, job_id=None):
        """Take one due job (queued, back from a wait) or, when none is, one abandoned
        by a dead worker; only ``job_id`` when given. Returns ``(job, token)`` or None.

        On PostgreSQL ``SKIP LOCKED`` lets many workers claim side by side; SQLite's
        IMMEDIATE transactions serialise claims.
        """
        now = timezone.now()
        jobs = Job.objects.select_related("entry", "workflow", "workspace")
        if job_id is not None:
            jobs = jobs.filter(pk=job_id)
        due = jobs.filter(status__in=(Status.QUEUED, Status.WAIT), due_at__lte=now)
        lost = jobs.filter(status=Status.RUN, lease_until__lt=now)
        with transaction.atomic():
            job = _first_unlocked(due.order_by("due_at")) or _first_unlocked(lost)
            if job is None:
                return None
            token = uuid.uuid4()
            changes = {
                "status": Status.RUN,
                "lease_token": token,
                "due_at": None,
                "lease_until": first_lease(now),
                "started_at": job.started_at or now,
            }
            if job.status == Status.RUN:  # its worker stopped while running it
                changes["recoveries"] = job.recoveries + 1
            for field, value in changes.items():
                setattr(job, field, value)
            if job.current_intent_id is None:
                changes.update(self._at_next_step(job))
            Job.objects.filter(pk=job.pk).update(**changes)
            live.job_changed(job, Status.RUN)
        return job, token

    def begin(self, job, token):
        """Give a claimed job that has no intent yet the intent of the step it is about
        to run (what ``claim`` does in its own transaction)."""
        with transaction.atomic():
            if not _owned(job, token).update(**self._at_next_step(job)):
                raise LeaseLost
            live.job_changed(job, Status.RUN)

    def _at_next_step(self, job):
        """Position a job that has no intent yet (starting out, or a rerun from a step)
        at the step it is about to run, with that step's intent and a lease covering
        it. Returns the fields to write."""
        job.position, step = position.settle(
            job.position or position.start("main"), pinned_definition(job.version_id)
        )
        if step is not None:
            job.current_intent = self._new_intent(job, step)
            lease_for(job, registry.get(step.provider))
        return {
            "position": job.position,
            "current_intent": job.current_intent,
            "intent_count": job.intent_count,
            "lease_until": job.lease_until,
        }

    def commit_step(self, job, token, attempt, outcome, started, move):
        """Record an attempt's outcome and apply ``move``; returns the next intent, or
        None when the job ended."""
        intent = job.current_intent
        job.position, job.faults = move.position, move.faults
        try:
            following = self.write_step(job, token, intent, attempt, outcome, started, move)
        except LeaseLost:
            self._keep_if_cancelled(job, token, intent, attempt, outcome, started)
            raise
        job.attempt = 0
        job.current_intent = following
        return following

    def write_step(self, job, token, intent, attempt, outcome, started, move):
        """``commit_step``'s writes, in one transaction conditioned on the lease."""
        with transaction.atomic():
            self._save_outcome(intent, attempt, outcome, started)
            return self._commit_move(job, token, move)

    def _commit_move(self, job, token, move):
        following = None
        if move.following is not None:
            following = self._new_intent(job, move.following)
        fields = {
            "entry_id": job.entry_id,  # an action may have given the job its entry (use_entry)
            "position": job.position,
            "attempt": 0,
            "current_intent": following,
            "intent_count": job.intent_count,
            "faults": job.faults,
        }
        if following is not None:
            fields["lease_until"] = lease_for(job, registry.get(move.following.provider))
        else:
            fields.update(
                status=move.status, completed_at=timezone.now(), lease_token=None, lease_until=None
            )
        if not _owned(job, token).update(**fields):
            raise LeaseLost
        live.job_changed(job, fields.get("status", Status.RUN))
        if following is None:
            self.record_end(job, move.status)
        return following

    def _keep_if_cancelled(self, job, token, intent, attempt, outcome, started):
        """The job was cancelled while this step ran: keep what the step did, go no further."""
        with transaction.atomic():
            if Job.objects.filter(pk=job.pk, lease_token=token, status=Status.CANCEL).update(
                lease_token=None
            ):
                self._save_outcome(intent, attempt, outcome, started)
                live.job_changed(job, Status.CANCEL)

    def park(self, job, token, attempt, reason, started, until):
        """A transient failure (``attempt`` set: its RETRY event is recorded) or a wait
        (``attempt`` None): free the worker until ``until``."""
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

    def finish(self, job, token, status, fault=None):
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
            self.record_end(job, status)

    def record_end(self, job, status):
        """The entry's activity says how the job ended; call in the ending transaction."""
        if job.entry_id:
            log_activity(
                job.entry,
                Activity.Kind.JOB,
                f"Workflow {job.workflow.name} finished {status}",
                job_id=job.id,
                data={"status": status, "workflow": str(job.workflow_id)},
            )

    def cancel(self, job):
        """S7: the job ends CANCEL; a worker running it starts no further step."""
        with transaction.atomic():
            cancelled = Job.objects.filter(
                Q(pk=job.pk) & Q(status__in=(Status.QUEUED, Status.RUN, Status.WAIT))
            ).update(status=Status.CANCEL, completed_at=timezone.now(), due_at=None)
            if cancelled:
                live.job_changed(job, Status.CANCEL)
        return bool(cancelled)

    def due_exists(self, overdue_s=0):
        """Is a job due (for at least ``overdue_s`` seconds) or abandoned by its worker?"""
        now = timezone.now() - timedelta(seconds=overdue_s)
        return (
            Job.objects.filter(status__in=(Status.QUEUED, Status.WAIT), due_at__lte=now).exists()
            or Job.objects.filter(status=Status.RUN, lease_until__lt=now).exists()
        )

    def bring_forward(self, job_id):
        """A waiting job is due now (``run_in_process`` slept through its wait)."""
        Job.objects.filter(pk=job_id, status=Status.WAIT).update(due_at=timezone.now())

    def _new_intent(self, job, step):
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

    def _save_outcome(self, intent, attempt, outcome, started):
        _event(intent, attempt, outcome.status, outcome.code, outcome.message, started).save()
        Intent.objects.filter(pk=intent.pk).update(
            status=outcome.status,
            code=str(outcome.code or "")[:200],
            message=outcome.message,
            finished_at=timezone.now(),
            next_attempt_at=None,
            changes=outcome.changes,
        )


def _first_unlocked(candidates):
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True, of=("self",))
    return candidates.first()


def _owned(job, token):
    return Job.objects.filter(pk=job.pk, lease_token=token, status=Status.RUN)


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
