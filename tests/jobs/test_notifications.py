"""The bell: a member sees the workspace's failed jobs until marking them seen."""

import pytest

from jobs import notifications
from jobs.models import Job
from tests.jobs.flows import ko, ok, run_flow


@pytest.fixture(autouse=True)
def no_wake(settings):
    settings.JOBS_WAKE_WORKERS = False


def bell(response):
    html = response.content.decode()
    start = html.index('id="failed-jobs-bell"')
    return html[start : html.index("</a>", start)]


def test_a_failed_job_shows_in_the_bell_of_every_member(alice_client, alice, make_colleague):
    run_flow(alice.workspace, [ok("a")])
    failed = run_flow(alice.workspace, [ko("b", code="refused", message="No way")])
    assert failed.status == "KO"

    response = alice_client.get("/silo/")
    assert "Failed jobs: 1 unseen" in bell(response)
    assert notifications.unread_count(alice.workspace, make_colleague) == 1

    page = alice_client.get("/jobs/failed/").content.decode()
    assert str(failed.pk) in page and "No way" in page and "refused" in page


def test_marking_seen_empties_the_bell_until_the_next_failure(alice_client, alice):
    run_flow(alice.workspace, [ko("b")])
    response = alice_client.post("/jobs/failed/seen/")
    assert response.status_code == 302
    assert "Failed jobs: 0 unseen" in bell(alice_client.get("/silo/"))

    run_flow(alice.workspace, [ko("c")])
    assert "Failed jobs: 1 unseen" in bell(alice_client.get("/jobs/failed/bell/"))


def test_bob_never_sees_alices_failures(client, alice, bob):
    failed = run_flow(alice.workspace, [ko("b")])
    client.force_login(bob.user)
    assert "Failed jobs: 0 unseen" in bell(client.get("/silo/"))
    assert str(failed.pk) not in client.get("/jobs/failed/").content.decode()


def test_the_count_stops_at_99_plus(alice, settings):
    workflow_job = run_flow(alice.workspace, [ko("b")])
    copies = [
        Job(
            workspace=alice.workspace,
            workflow=workflow_job.workflow,
            version=workflow_job.version,
            status="KO",
            completed_at=workflow_job.completed_at,
            args={"k": "v"},
        )
        for _ in range(120)
    ]
    Job.objects.bulk_create(copies)
    count = notifications.unread_count(alice.workspace, alice.user)
    assert count == notifications.COUNT_LIMIT
    assert notifications.count_label(count) == "99+"


@pytest.fixture
def make_colleague(alice):
    from console.models import Membership
    from tests.factories import make_member

    user, _ = make_member("carol", "Carol's own")
    Membership.objects.create(user=user, workspace=alice.workspace, role=Membership.Role.OWNER)
    return user
