"""Bulk run: confirm the count of a silo filter, start, follow the progress."""

import pytest

from jobs import bulk
from jobs.models import Batch, Change, Job
from silo.services import create_entry
from tests.jobs.flows import finish
from workflows.services import create_workflow


@pytest.fixture(autouse=True)
def no_wake(settings):
    settings.JOBS_WAKE_WORKERS = False


@pytest.fixture
def flow(alice):
    made, _ = create_workflow(
        alice.workspace,
        {
            "name": "Register all",
            "schema": "bill/invoice",
            "steps": [{"id": "s", "provider": "silo.state", "config": {"state": "registered"}}],
        },
    )
    return made


def add_entries(workspace, doc, state, n):
    return [create_entry(workspace, doc, state=state)[0] for _ in range(n)]


def test_the_confirmation_says_how_many_entries_and_starts_them(
    alice_client, alice, flow, invoice_doc
):
    add_entries(alice.workspace, invoice_doc, "draft", 3)
    add_entries(alice.workspace, invoice_doc, "sent", 2)

    page = alice_client.get(f"/jobs/bulk/?state=draft&workflow={flow.pk}").content.decode()
    assert "on <strong>3</strong> bill/invoice entries" in page

    response = alice_client.post(
        "/jobs/bulk/start/", {"state": "draft", "workflow": flow.pk, "expected": 3}
    )
    batch = Batch.objects.get()
    assert response.status_code == 302 and response.url == f"/jobs/bulk/{batch.pk}/"
    jobs = list(Job.objects.filter(batch=batch))
    assert len(jobs) == 3 and {j.entry.state for j in jobs} == {"draft"}
    assert Change.objects.filter(job_id__in=[j.pk for j in jobs], status="QUEUED").count() == 3

    page = alice_client.get(f"/jobs/bulk/{batch.pk}/").content.decode()
    assert "0 of 3" in page and 'data-live-on="any"' in page

    for job in jobs:
        finish(job)
    progress = alice_client.get(f"/jobs/bulk/{batch.pk}/progress/").content.decode()
    assert "3 of 3" in progress and "done" in progress
    assert 'data-testid="batch-OK">3<' in progress
    assert "data-live-on" not in progress  # finished: it stops refreshing


def test_a_count_that_changed_since_the_confirmation_starts_nothing(
    alice_client, alice, flow, invoice_doc
):
    add_entries(alice.workspace, invoice_doc, "draft", 2)
    response = alice_client.post(
        "/jobs/bulk/start/", {"state": "draft", "workflow": flow.pk, "expected": 5}, follow=True
    )
    assert "now matches 2 entries, not 5" in response.content.decode()
    assert not Job.objects.exists() and not Batch.objects.exists()


def test_too_wide_a_filter_is_refused(alice, flow, invoice_doc, monkeypatch):
    monkeypatch.setattr(bulk, "LIMIT", 2)
    add_entries(alice.workspace, invoice_doc, "draft", 3)
    with pytest.raises(bulk.BulkError, match="More than 2 entries match"):
        bulk.start(alice.workspace, flow, {"state": "draft"})
    assert not Job.objects.exists()


def test_bob_cannot_run_alices_workflow_or_see_her_batch(client, alice, bob, flow, invoice_doc):
    add_entries(alice.workspace, invoice_doc, "draft", 1)
    batch = bulk.start(alice.workspace, flow, {})
    client.force_login(bob.user)

    assert client.get(f"/jobs/bulk/{batch.pk}/").status_code == 404
    assert client.get(f"/jobs/bulk/{batch.pk}/progress/").status_code == 404
    client.post("/jobs/bulk/start/", {"workflow": flow.pk, "expected": 1})
    assert Job.objects.count() == 1


def test_the_confirmation_can_save_the_filter_as_a_schedule(alice_client, alice, flow, invoice_doc):
    from jobs.models import Trigger

    add_entries(alice.workspace, invoice_doc, "draft", 1)
    page = alice_client.get(f"/jobs/bulk/?state=draft&workflow={flow.pk}").content.decode()
    assert 'aria-label="Schedule"' in page

    alice_client.post(
        "/jobs/automatic/",
        {
            "workflow": flow.pk,
            "kind": "schedule",
            "q": "",
            "filter_state": "draft",
            "every_minutes": 1440,
        },
    )

    schedule = Trigger.objects.get()
    assert (schedule.kind, schedule.every_minutes) == ("schedule", 1440)
    assert schedule.filters == {"q": "", "schema": "", "state": "draft"}
