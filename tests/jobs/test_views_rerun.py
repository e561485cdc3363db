"""Rerunning a job from the start, on its pinned version or on the latest one."""

from django.urls import reverse

from jobs.models import Job, Status
from jobs.services import create_job
from tests.factories import make_entry
from tests.jobs.flows import finish, ko, ok
from workflows.models import Workflow
from workflows.services import create_workflow, save_version


def definition(*steps):
    return {"name": "Issue", "schema": "bill/invoice", "steps": list(steps)}


def rerun(client, job, version):
    return client.post(reverse("jobs:rerun", args=[job.pk]), {"version": version}, follow=True)


def edited_job(alice):
    """A finished job on version 1 of a workflow that has since been saved as version 2."""
    user, workspace = alice
    entry = make_entry(workspace)
    workflow, _ = create_workflow(workspace, definition(ko("old")))
    job, _ = create_job(workspace, workflow, entry=entry, args={"n": "1"}, tags=["t"], actor=user)
    save_version(workflow, definition(ok("new")), expected_version=1)
    return finish(job)


def test_rerun_on_the_pinned_version_runs_the_same_definition(alice_client, alice):
    job = edited_job(alice)

    response = rerun(alice_client, job, "pinned")

    again = Job.objects.exclude(pk=job.pk).get()
    assert response.redirect_chain == [(reverse("jobs:detail", args=[again.pk]), 302)]
    assert again.version.number == 1
    assert (again.entry, again.args, again.tags) == (job.entry, {"n": "1"}, ["t"])
    assert again.trigger == f"rerun of {str(job.pk)[:8]} on version 1"
    assert again.created_by == alice.user and again.status == Status.QUEUED
    assert f"rerun of {str(job.pk)[:8]} on version 1" in response.content.decode()
    assert [i.step_id for i in finish(again).intents.all()] == ["old"]


def test_rerun_on_the_latest_version_runs_the_edited_definition(alice_client, alice):
    job = edited_job(alice)

    rerun(alice_client, job, "latest")

    again = Job.objects.exclude(pk=job.pk).get()
    assert again.version.number == 2
    assert again.trigger == f"rerun of {str(job.pk)[:8]} on version 2"
    assert finish(again).status == Status.OK


def test_the_page_offers_both_choices(alice_client, alice):
    job = edited_job(alice)

    html = alice_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()

    assert 'name="version" value="pinned">On version 1' in html
    assert 'name="version" value="latest">On the latest version (2)' in html


def test_a_rerun_that_cannot_start_says_why(alice_client, alice):
    job = edited_job(alice)
    Workflow.objects.update(archived=True)

    response = rerun(alice_client, job, "latest")

    assert "The job cannot be rerun: This workflow is archived." in response.content.decode()
    assert Job.objects.count() == 1


def test_an_unknown_choice_runs_nothing(alice_client, alice):
    job = edited_job(alice)

    response = rerun(alice_client, job, "v7")

    assert response.status_code == 200
    assert "pinned version or the latest" in response.content.decode()
    assert Job.objects.count() == 1


def test_rerun_from_the_failed_step_skips_the_steps_that_succeeded(alice_client, alice):
    user, workspace = alice
    workflow, _ = create_workflow(workspace, definition(ok("first"), ko("second"), ok("third")))
    job, _ = create_job(workspace, workflow, entry=make_entry(workspace), actor=user)
    job = finish(job)
    assert (
        "Rerun from the failed step <code>second</code>"
        in alice_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    )
    save_version(workflow, definition(ok("first"), ok("second"), ok("third")), expected_version=1)

    alice_client.post(
        reverse("jobs:rerun", args=[job.pk]), {"version": "latest", "start": "failed"}
    )

    again = finish(Job.objects.exclude(pk=job.pk).get())
    assert again.status == Status.OK
    assert [i.step_id for i in again.intents.order_by("seq")] == ["second", "third"]
    assert again.trigger == f"rerun of {str(job.pk)[:8]} from step second on version 2"


def test_rerun_from_a_step_the_latest_version_lacks_says_so(alice_client, alice):
    user, workspace = alice
    workflow, _ = create_workflow(workspace, definition(ko("gone")))
    job, _ = create_job(workspace, workflow, entry=make_entry(workspace), actor=user)
    job = finish(job)
    save_version(workflow, definition(ok("other")), expected_version=1)

    response = alice_client.post(
        reverse("jobs:rerun", args=[job.pk]), {"version": "latest", "start": "failed"}, follow=True
    )

    assert "Version 2 has no step &#x27;gone&#x27;." in response.content.decode()
    assert Job.objects.count() == 1
