"""S9 for real: a jobworker cluster on PostgreSQL runs jobs while workers are killed
with SIGKILL at random. Every job ends, none is lost, no attempt is recorded twice."""

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db.models import Count

from console.models import Workspace
from jobs.models import Event, Intent, Job, Status
from jobs.services import create_job
from tests.faults.harness import children
from tests.jobs.flows import ok
from tests.services import database_url
from workflows.services import create_workflow

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
JOBS = 200
STEPS = 5


def test_killed_workers_lose_nothing():
    workspace = Workspace.objects.create(name="Crash")
    steps = [
        ok(f"s{i}", transient=1 if i == 2 else 0, retry={"max_attempts": 3, "backoff_s": 0.05})
        for i in range(STEPS)
    ]
    workflow, _ = create_workflow(
        workspace, {"name": "crash", "schema": "bill/invoice", "steps": steps}
    )
    for n in range(JOBS):
        create_job(workspace, workflow, args={"n": str(n)})

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "JOBS_LEASE_SECONDS": "2",
        "CONSOLE_WORKERS": "2",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "jobworker", "--tick", "0.1", "--stall", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    kills = 0
    try:
        deadline = time.monotonic() + 150
        while Job.objects.filter(status__in=(Status.QUEUED, Status.RUN, Status.WAIT)).exists():
            assert time.monotonic() < deadline, "jobs did not all end: " + str(
                list(
                    Job.objects.exclude(status=Status.OK).values_list(
                        "status", "lease_until", "recoveries", "due_at", "intent_count"
                    )
                )
            )
            time.sleep(random.uniform(0.2, 0.6))
            workers = [p for sentinel in children(worker.pid) for p in children(sentinel)]
            if workers and kills < 15:
                os.kill(random.choice(workers), signal.SIGKILL)
                kills += 1
    finally:
        worker.send_signal(signal.SIGTERM)
        # After SIGKILLs, django-q2's sentinel may wait on a worker that never ends:
        # give it 30 s, then end the whole process group, cluster included.
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)

    assert kills >= 3
    assert Job.objects.filter(status=Status.OK).count() == JOBS
    per_job = Intent.objects.values("job").annotate(n=Count("id"))
    assert {row["n"] for row in per_job} == {STEPS}, "a step ran twice or not at all"
    assert not Intent.objects.exclude(status="OK").exists()
    for intent in Intent.objects.prefetch_related("events"):
        indexes = [e.index for e in intent.events.all()]
        assert indexes == list(range(1, len(indexes) + 1))
        assert [e.status for e in intent.events.all()].count("OK") == 1
    assert Event.objects.filter(status="RETRY").count() >= JOBS  # step s2 retried in each
