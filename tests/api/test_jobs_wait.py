"""``?wait=N`` holds the answer until the job ends (or N seconds pass), and the same
key sent by two requests at once still makes one job. A worker thread runs the
jobs, as ``jobworker`` would; data is committed so that every thread sees it."""

import os
import threading
import time
import uuid

import pytest
from django.db import connection

from console.api import waiting
from jobs.models import Job
from tests.api.client import ApiClient
from tests.factories import INVOICE_FLOW
from tests.jobs.flows import ok
from workflows.services import create_workflow


@pytest.fixture
def flow(alice):
    workflow, _ = create_workflow(alice.workspace, INVOICE_FLOW)
    return workflow


def test_put_with_wait_returns_the_finished_job(alice_api, flow, worker):
    response = alice_api.put(
        f"/jobs/{uuid.uuid4()}?wait=10", {"workflow_id": str(flow.id), "args": {"a": "b"}}
    )

    assert response.status_code == 201
    job = response.json()
    assert job["status"] == "OK"
    assert job["completed_at"] is not None
    assert [intent["step_id"] for intent in job["intents"]] == ["a", "b", "c"]
    assert [intent["events"][0]["status"] for intent in job["intents"]] == ["OK", "OK", "OK"]


def test_post_and_get_wait_too(alice_api, flow, worker):
    created = alice_api.post("/jobs?wait=10", {"workflow_id": str(flow.id), "args": {"a": "b"}})
    assert created.json()["status"] == "OK"
    assert alice_api.get(f"/jobs/{created.json()['id']}?wait=5").json()["status"] == "OK"


def test_wait_gives_up_after_n_seconds_with_the_job_as_it_is(alice, alice_api, transactional_db):
    slow, _ = create_workflow(
        alice.workspace,
        {
            "name": "slow",
            "schema": "bill/invoice",
            "steps": [{"id": "hold", "provider": "delay.wait", "config": {"seconds": 30}}],
        },
    )
    started = time.monotonic()

    response = alice_api.post("/jobs?wait=1", {"workflow_id": str(slow.id), "args": {"a": "b"}})

    assert 1 <= time.monotonic() - started < 5
    assert response.status_code == 201
    assert response.json()["status"] == "QUEUED"  # no worker here: it never started


def test_the_same_key_from_two_concurrent_requests_gives_one_job(
    alice_api, flow, transactional_db, patient_sqlite
):
    body = {"workflow_id": str(flow.id), "args": {"a": "b"}, "key": "only-once"}
    start = threading.Barrier(2)
    answers = []

    def send():
        try:
            client = ApiClient(alice_api.plaintext)
            start.wait(timeout=5)
            answers.append(client.post("/jobs", body))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(a.status_code for a in answers) == [200, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert Job.objects.filter(key="only-once").count() == 1


def test_concurrent_puts_of_one_id_give_one_job(alice_api, flow, transactional_db, patient_sqlite):
    job_id = uuid.uuid4()
    body = {"workflow_id": str(flow.id), "args": {"a": "b"}}
    start = threading.Barrier(3)
    answers = []

    def send():
        try:
            client = ApiClient(alice_api.plaintext)
            start.wait(timeout=5)
            answers.append(client.put(f"/jobs/{job_id}", body))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(a.status_code for a in answers) == [200, 200, 201]
    assert Job.objects.count() == 1


def test_wait_sees_a_job_that_ends_ko(alice, alice_api, worker):
    failing, _ = create_workflow(
        alice.workspace,
        {
            "name": "fails",
            "schema": "bill/invoice",
            "steps": [ok("a"), {**ok("b"), "config": {"status": "KO", "code": "nope"}}],
        },
    )
    job = alice_api.post("/jobs?wait=10", {"workflow_id": str(failing.id), "args": {"a": "b"}})
    assert job.json()["status"] == "KO"
    assert job.json()["faults"][0]["code"] == "nope"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="the live feed pushes through Redis")
def test_with_redis_the_live_feed_wakes_a_waiting_request(alice_api, flow, worker, monkeypatch):
    monkeypatch.setattr(waiting, "FIRST_POLL_S", 8.0)  # polls alone would answer after 8 s
    monkeypatch.setattr(waiting, "LONGEST_POLL_S", 8.0)
    started = time.monotonic()

    response = alice_api.post("/jobs?wait=20", {"workflow_id": str(flow.id), "args": {"a": "b"}})

    assert response.json()["status"] == "OK"
    assert time.monotonic() - started < 5
