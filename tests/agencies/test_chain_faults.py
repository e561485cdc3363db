"""Workers SIGKILLed between sending a batch to the AEAT and recording its answer, on
PostgreSQL: the resumed jobs ask the AEAT before sending again, so the chain has no fork
or gap, every job ends OK once, and the local AEAT holds each record once."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobs.models import Job, Status
from jobs.services import create_job
from silo.services import create_entry
from tests.agencies.conftest import configure
from tests.agencies.test_chain import assert_whole
from tests.agencies.verifactu_samples import invoice
from tests.conftest import database_url, make_member
from tests.faults.harness import children
from workflows.agencies.models import Submission
from workflows.services import create_workflow

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ISSUER = "B98602642"
JOBS = 20
KILLS = 3


def test_workers_killed_between_sending_and_recording_fork_nothing_and_send_once(aeat):
    _, workspace = make_member("carol", "Initech")
    configure(workspace, aeat, nif=ISSUER, name="Provide One S.L.")
    aeat.fail("slow", seconds=1.5)  # a window between sending and recording to kill in
    workflow, _ = create_workflow(
        workspace,
        {
            "name": "Register",
            "schema": "bill/invoice",
            "steps": [{"id": "send", "provider": "verifactu.send", "config": {}}],
        },
    )
    for n in range(JOBS):
        entry, _ = create_entry(workspace, invoice(code=f"{n:03d}"))
        create_job(workspace, workflow, entry=entry)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "JOBS_LEASE_SECONDS": "2",
        "CONSOLE_WORKERS": "2",
        "AEAT_LOCAL_URL": aeat.url,
        "AEAT_LOCAL_CA": aeat.ca_file,
        "AEAT_TIMEOUT": "3",  # a dead sender's batch is asked about after 36 s
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "jobworker", "--tick", "0.1", "--stall", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    kills = 0
    jobs = Job.objects.filter(workflow=workflow)
    try:
        deadline = time.monotonic() + 240
        while jobs.filter(status__in=(Status.QUEUED, Status.RUN, Status.WAIT)).exists():
            assert time.monotonic() < deadline, "the jobs did not all end"
            in_flight = Submission.objects.filter(state="sending").exclude(request=b"")
            if kills < KILLS and in_flight.exists():
                for pid in [p for s in children(worker.pid) for p in children(s)]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                kills += 1
                aeat.fail("slow", seconds=1.5 if kills < KILLS else 0)
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)

    assert kills == KILLS
    assert jobs.filter(status=Status.OK).count() == JOBS
    records = assert_whole(workspace, ISSUER)
    assert len(records) == JOBS
    assert {r.state for r in records} == {"accepted"}
    held = aeat.held(ISSUER)
    assert sorted(h["num_series"] for h in held) == sorted(r.num_series for r in records)
    assert Submission.objects.filter(state="failed", status="lost").count() >= 1
