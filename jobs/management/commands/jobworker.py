"""``manage.py jobworker``: a django-q2 cluster plus the clock that wakes it.

Run one per machine (``CONSOLE_WORKERS`` processes each). The clock ticks in this
process: when a job is due (queued, back from a retry or a wait, or abandoned by a
killed worker whose lease ran out) and no drain is waiting in the broker, it enqueues
one. Several machines' clocks may enqueue at once; drains that find nothing end at once.
The clock also starts due schedules (``jobs.triggers``) and prunes the live feed.

The clock is also the worker of last resort: a job overdue by ``--stall`` seconds means
the cluster is not draining (all busy, or wedged: a worker killed while holding
django-q2's internal queue can block the others for good), so the clock runs it here.
"""

import contextlib
import logging
import os
import socket
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django_q.cluster import Cluster

from jobs import engine, live, tasks, triggers
from jobs.models import Worker
from workflows.actions import registry

logger = logging.getLogger(__name__)


HEARTBEAT_S = 2


class _Heartbeat:
    """This machine's row in ``jobs.Worker``, for ``/health/workers``."""

    def __init__(self):
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = timezone.now()

    def beat(self):
        Worker.objects.update_or_create(
            name=self.name,
            defaults={
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "processes": settings.Q_CLUSTER.get("workers", 1),
                "started_at": self.started_at,
                "seen_at": timezone.now(),
            },
        )

    def gone(self):
        with contextlib.suppress(Exception):
            Worker.objects.filter(name=self.name).delete()


class Command(BaseCommand):
    help = "Run workflow jobs: a django-q2 cluster and the clock that wakes it."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=0.2, help="Clock period in seconds")
        parser.add_argument(
            "--stall",
            type=float,
            default=15,
            help="Run a job here when it is overdue by this many seconds",
        )

    def handle(self, *args, tick, stall, **options):
        # The cluster forks its workers from this process: actions imported here
        # (weasyprint's ~1 s of imports among them) are not imported again by each
        # worker, nor by a worker restarted after Q_CLUSTER's ``recycle`` drains.
        registry.all_actions()
        cluster = Cluster()
        cluster.start()
        self.stdout.write(f"jobworker: cluster started, clock every {tick:g}s")
        prune_at = beat_at = 0
        me = _Heartbeat()
        try:
            while cluster.sentinel.is_alive():
                try:
                    close_old_connections()  # survive a database restart
                    if time.monotonic() > beat_at:
                        me.beat()
                        beat_at = time.monotonic() + HEARTBEAT_S
                    if engine.due_exists():
                        tasks.wake_workers()
                    triggers.run_schedules()
                    if time.monotonic() > prune_at:
                        live.prune()
                        prune_at = time.monotonic() + 3600
                    if engine.due_exists(overdue_s=stall):
                        logger.warning("jobs overdue by %ss: running them in the clock", stall)
                        tasks.drain(budget_s=tick * 10, hand_over=False)
                except Exception:
                    logger.exception("clock tick failed; retrying")
                time.sleep(tick)
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()
            me.gone()
