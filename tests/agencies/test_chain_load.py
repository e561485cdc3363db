"""Fifty jobs register fifty invoices of one issuer at once, on PostgreSQL, through
the local AEAT: one chain, no fork, no gap, every job OK once, each record held once."""

import time

import pytest
from django.db import connection

from jobs.models import Job, Status
from jobs.services import create_job
from silo.services import create_entry
from tests.agencies.conftest import configure
from tests.agencies.test_chain import assert_whole
from tests.agencies.verifactu_samples import invoice
from tests.conftest import EngineThread, make_member
from workflows.services import create_workflow

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ISSUER = "B98602642"
JOBS = 50


def test_fifty_concurrent_jobs_chain_fifty_records_and_the_aeat_holds_each_once(settings, aeat):
    settings.JOBS_WAKE_WORKERS = False  # the threads below are the workers
    _, workspace = make_member("carol", "Initech")
    configure(workspace, aeat, nif=ISSUER, name="Provide One S.L.")
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
    workers = [EngineThread() for _ in range(6)]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + 120
        jobs = Job.objects.filter(workflow=workflow)
        while jobs.filter(status__in=(Status.QUEUED, Status.RUN, Status.WAIT)).exists():
            assert time.monotonic() < deadline, "the jobs did not all end"
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.stopping.set()
        for worker in workers:
            worker.join(timeout=30)
        connection.close()

    assert all(worker.error is None for worker in workers)
    assert jobs.filter(status=Status.OK).count() == JOBS
    records = assert_whole(workspace, ISSUER)
    assert len(records) == JOBS and {r.state for r in records} == {"accepted"}
    held = aeat.held(ISSUER)
    assert len(held) == JOBS
    assert [h["fingerprint"] for h in held] == [r.fingerprint for r in records]
