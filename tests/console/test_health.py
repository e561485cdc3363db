"""Health endpoints: no login needed, counts only, 503 when the thing checked is not there."""

from datetime import timedelta

from django.utils import timezone

from jobs.models import Worker
from jobs.services import create_job
from tests.jobs.flows import ok
from workflows.services import create_workflow


def beat(name, seconds_ago):
    now = timezone.now()
    Worker.objects.create(
        name=name,
        host=name.split(":")[0],
        pid=1,
        processes=2,
        started_at=now - timedelta(hours=1),
        seen_at=now - timedelta(seconds=seconds_ago),
    )


def test_live_answers_without_a_login(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_the_database(client, db):
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True


def test_workers_is_unavailable_until_a_worker_reports(client, db):
    response = client.get("/health/workers")
    assert response.status_code == 503
    assert response.json()["status"] == "no_workers"


def test_workers_shows_the_queue_and_each_machines_heartbeat(client, alice, settings):
    settings.JOBS_WAKE_WORKERS = False
    workflow, _ = create_workflow(
        alice.workspace, {"name": "w", "schema": "bill/invoice", "steps": [ok("a")]}
    )
    for n in range(3):
        create_job(alice.workspace, workflow, args={"n": str(n)})
    beat("machine-a:10", seconds_ago=1)
    beat("machine-b:20", seconds_ago=120)

    response = client.get("/health/workers")

    assert response.status_code == 200
    body = response.json()
    assert body["queue_depth"] == 3
    assert body["oldest_due_s"] >= 0
    assert [(w["name"], w["stale"]) for w in body["workers"]] == [
        ("machine-a:10", False),
        ("machine-b:20", True),
    ]
    assert str(alice.workspace.pk) not in response.content.decode()


def test_workers_tells_a_stranger_the_status_alone(client, db):
    beat("machine-a:10", seconds_ago=1)

    stranger = client.get("/health/workers", REMOTE_ADDR="203.0.113.5")
    through_a_local_proxy = client.get("/health/workers", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert (stranger.status_code, stranger.json()) == (200, {"status": "ok"})
    assert through_a_local_proxy.json() == {"status": "ok"}


def test_workers_shows_details_to_a_staff_user_from_anywhere(client, alice):
    beat("machine-a:10", seconds_ago=1)
    alice.user.is_staff = True
    alice.user.save()
    client.force_login(alice.user)

    response = client.get("/health/workers", REMOTE_ADDR="203.0.113.5")

    assert [w["name"] for w in response.json()["workers"]] == ["machine-a:10"]


def test_a_member_who_is_not_staff_sees_the_status_alone(alice_client):
    response = alice_client.get("/health/workers", REMOTE_ADDR="203.0.113.5")
    assert response.json() == {"status": "no_workers"}
