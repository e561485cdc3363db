"""Nothing of bob's is reachable from alice's session, on any jobs URL."""

import pytest
from django.urls import reverse

from jobs.models import Job, Status
from jobs.services import create_job
from tests.factories import invoice, make_entry, make_job, make_workflow
from tests.jobs.flows import ok
from workflows.services import create_workflow


@pytest.fixture
def bobs_job(bob):
    workflow = make_workflow(bob.workspace, "Bob secret flow")
    return make_job(bob.workspace, workflow, entry=make_entry(bob.workspace, invoice("BOB-1")))


def test_every_jobs_url_of_bobs_job_is_a_404_for_alice(alice_client, bobs_job):
    for name in ("jobs:detail", "jobs:timeline"):
        assert alice_client.get(reverse(name, args=[bobs_job.pk])).status_code == 404, name

    cancel = alice_client.post(reverse("jobs:cancel", args=[bobs_job.pk]))
    rerun = alice_client.post(reverse("jobs:rerun", args=[bobs_job.pk]), {"version": "pinned"})

    assert (cancel.status_code, rerun.status_code) == (404, 404)
    assert Job.objects.get().status == Status.QUEUED


def test_bobs_jobs_never_show_in_alices_history(alice_client, bobs_job):
    for params in (
        {},
        {"status": "QUEUED"},
        {"workflow": bobs_job.workflow_id},
        {"entry": bobs_job.entry_id},
    ):
        response = alice_client.get(reverse("jobs:history"), params)
        assert response.context["page"].rows == [], params
        assert "Bob secret flow" not in response.content.decode(), params


def test_alices_own_job_is_hers(alice_client, alice, bobs_job):
    workflow, _ = create_workflow(
        alice.workspace, {"name": "Alice flow", "schema": "bill/invoice", "steps": [ok("a")]}
    )
    job, _ = create_job(alice.workspace, workflow, args={"a": "b"})

    assert alice_client.get(reverse("jobs:detail", args=[job.pk])).status_code == 200
    assert [
        row.job.pk for row in alice_client.get(reverse("jobs:history")).context["page"].rows
    ] == [job.pk]
