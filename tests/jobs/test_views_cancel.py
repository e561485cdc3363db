"""Cancelling a job from its page."""

from django.urls import reverse

from jobs import engine
from jobs.models import Job, Status
from jobs.services import create_job
from tests.jobs.flows import finish, ok
from workflows.services import create_workflow


def start(workspace, steps):
    workflow, _ = create_workflow(
        workspace, {"name": "Pause", "schema": "bill/invoice", "steps": steps}
    )
    job, _ = create_job(workspace, workflow, args={"a": "b"})
    return job


def cancel(client, job):
    return client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)


def test_cancelling_a_waiting_job_ends_it_and_no_step_starts_after(alice_client, alice):
    job = start(
        alice.workspace,
        [{"id": "pause", "provider": "delay.wait", "config": {"seconds": 3600}}, ok("after")],
    )
    engine.run(*engine.claim())
    assert Job.objects.get(pk=job.pk).status == Status.WAIT

    response = cancel(alice_client, job)

    job.refresh_from_db()
    assert job.status == Status.CANCEL and job.completed_at is not None
    html = response.content.decode()
    assert response.redirect_chain == [(reverse("jobs:detail", args=[job.pk]), 302)]
    assert "The job is cancelled" in html and 'data-testid="job-status">Cancelled<' in html
    assert "Cancel job" not in html and f'data-live-on="job:{job.pk}"' not in html
    assert engine.claim() is None
    assert [i.step_id for i in job.intents.all()] == ["pause"]


def test_cancelling_a_finished_job_changes_nothing(alice_client, alice):
    job = finish(start(alice.workspace, [ok("a")]))

    response = cancel(alice_client, job)

    assert Job.objects.get(pk=job.pk).status == Status.OK
    assert "nothing to cancel" in response.content.decode()


def test_cancel_is_a_post(alice_client, alice):
    job = start(alice.workspace, [ok("a")])

    assert alice_client.get(reverse("jobs:cancel", args=[job.pk])).status_code == 405
    assert Job.objects.get(pk=job.pk).status == Status.QUEUED
