"""The django-q2 side: one ``drain`` task runs due jobs from the engine's own table.

django-q2 never sits in the per-step path: a drain claims one job after another until
none is due (or its time budget is spent, when it hands over to a fresh drain), so a
burst of jobs costs a few broker round trips, not one per job or per step. Jobs that
wait are woken by time: the worker's clock (``jobworker``) enqueues a drain when
something is due.
"""

import os
import time

from django.conf import settings
from django_q.brokers import get_broker
from django_q.tasks import async_task

DRAIN_BUDGET_S = 5


def drain(budget_s=DRAIN_BUDGET_S, hand_over=True):
    from jobs import engine

    deadline = time.monotonic() + budget_s
    ran = 0
    while time.monotonic() < deadline:
        claimed = engine.claim()
        if claimed is None:
            return ran
        engine.run(*claimed)
        ran += 1
    if hand_over:
        enqueue_drain(_broker())
    return ran


def wake_workers():
    """Enqueue a drain unless enough are already waiting to be picked up: a drain
    still in the queue will see every job committed before it starts."""
    try:
        broker = _broker()
        if broker.queue_size() >= settings.Q_CLUSTER.get("workers", 2):
            return
        enqueue_drain(broker)
    except Exception:  # the clock will find the job; a wake-up is only for latency
        _brokers.clear()  # a broken connection: the next wake-up makes a new one
        return


def enqueue_drain(broker):
    """A drain's outcome is in the jobs it ran: django-q2 stores only a failed one
    (a stored success cost the cluster's monitor an insert and a prune per drain)."""
    async_task("jobs.tasks.drain", broker=broker, save=False)


_brokers = {}


def _broker():
    """One broker (one Redis connection pool) per process: ``get_broker()`` makes a
    new one, with a new connection, on every call. Keyed by pid: workers fork."""
    pid = os.getpid()
    if pid not in _brokers:
        _brokers.clear()
        _brokers[pid] = get_broker()
    return _brokers[pid]
