"""How long a worker holds a running job (``docs/engine.md``, "Leases, not a watchdog").

A claim gives the worker a lease (``lease_token`` until ``lease_until``). Every write
the worker makes is conditioned on it, so a worker that lost it (killed, too slow, or
the job was cancelled) writes nothing more; a job in RUN whose lease ran out is
claimed again by another worker, which counts a recovery.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

STEP_MARGIN_S = 10  # a step's lease covers its action's timeout and this much more


class LeaseLost(Exception):  # noqa: N818 - a signal to stop, not a failure
    """Another worker owns the job now, or it was cancelled: stop touching it."""


def lease_seconds():
    return getattr(settings, "JOBS_LEASE_SECONDS", 60)


def first_lease(now):
    """The lease a claim gives."""
    return now + timedelta(seconds=lease_seconds())


def lease_for(job, action):
    """The lease the job holds while its next step runs: the one it has while that still
    covers the step's timeout (+10 s) and half the lease, a full one otherwise.

    So a step's commit rarely moves ``lease_until``, and PostgreSQL can then update the
    job where it is (a HOT update, none of its indexes touched) instead of writing a new
    entry in each of them at every step. A dead worker's job is still resumed within
    one lease. Sets and returns ``job.lease_until``.
    """
    step_s = getattr(action, "timeout_s", 0) + STEP_MARGIN_S
    now = timezone.now()
    keep_until = now + timedelta(seconds=max(lease_seconds() / 2, step_s))
    if job.lease_until is None or job.lease_until < keep_until:
        job.lease_until = now + timedelta(seconds=max(lease_seconds(), step_s))
    return job.lease_until
