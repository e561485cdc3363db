"""Automatic runs: on creation, on entering a state, on a schedule; never in a loop."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import triggers
from jobs.models import Job, Trigger
from silo.models import Entry
from silo.services import create_entry, update_entry
from tests.jobs.flows import finish
from workflows.services import create_workflow


@pytest.fixture(autouse=True)
def no_wake(settings):
    settings.JOBS_WAKE_WORKERS = False


def workflow(workspace, name, *steps):
    made, _ = create_workflow(
        workspace, {"name": name, "schema": "bill/invoice", "steps": list(steps)}
    )
    return made


def set_state(step_id, state):
    return {"id": step_id, "provider": "silo.state", "config": {"state": state}}


def test_an_upload_starts_the_workflow_set_to_run_on_creation(alice_client, alice, invoice_doc):
    flow = workflow(alice.workspace, "Register", set_state("s", "registered"))
    Trigger.objects.create(workspace=alice.workspace, workflow=flow, kind="created")

    entry, _ = create_entry(alice.workspace, invoice_doc, source="upload")

    job = Job.objects.get(entry=entry)
    assert job.workflow == flow
    assert job.trigger == "automatic: bill/invoice created (upload)"
    assert (
        "automatic: bill/invoice created (upload)"
        in alice_client.get(f"/jobs/{job.pk}/").content.decode()
    )


def test_entering_a_state_starts_the_workflow_waiting_for_it(alice, invoice_doc):
    flow = workflow(alice.workspace, "Send", set_state("s", "sent"))
    Trigger.objects.create(
        workspace=alice.workspace, workflow=flow, kind="state", state="registered"
    )
    entry, _ = create_entry(alice.workspace, invoice_doc)

    update_entry(entry, state="processing")
    assert not Job.objects.exists()
    update_entry(entry, state="registered")

    job = Job.objects.get(entry=entry)
    assert job.trigger == "automatic: entered state registered"
    assert finish(job).status == "OK"
    assert Entry.objects.get(pk=entry.pk).state == "sent"


def test_a_jobs_own_state_change_never_starts_its_workflow_again(alice, invoice_doc):
    # The workflow moves entries to "registered" and runs when one enters "registered".
    flow = workflow(alice.workspace, "Loop", set_state("s", "registered"))
    Trigger.objects.create(
        workspace=alice.workspace, workflow=flow, kind="state", state="registered"
    )
    entry, _ = create_entry(alice.workspace, invoice_doc)

    update_entry(entry, state="registered")  # a person's change: starts it once
    first = Job.objects.get(entry=entry)
    update_entry(Entry.objects.get(pk=entry.pk), state="draft")
    finish(first)  # the job sets "registered" itself: no second job

    assert Job.objects.filter(entry=entry).count() == 1


def test_two_workflows_triggering_each_other_stop(alice, invoice_doc):
    a = workflow(alice.workspace, "A", set_state("s", "sent"))
    b = workflow(alice.workspace, "B", set_state("s", "registered"))
    Trigger.objects.create(workspace=alice.workspace, workflow=a, kind="state", state="registered")
    Trigger.objects.create(workspace=alice.workspace, workflow=b, kind="state", state="sent")
    entry, _ = create_entry(alice.workspace, invoice_doc)

    update_entry(entry, state="registered")
    for _ in range(10):
        pending = Job.objects.filter(entry=entry, status="QUEUED").first()
        if pending is None:
            break
        finish(pending)

    jobs = list(Job.objects.filter(entry=entry).order_by("created_at"))
    assert [j.workflow.name for j in jobs] == ["A", "B"]  # B's change does not restart A
    assert jobs[1].cause_id == jobs[0].pk


def test_a_schedule_runs_over_its_saved_filter_once_per_period(alice, invoice_doc):
    flow = workflow(alice.workspace, "Nightly", set_state("s", "sent"))
    for state in ("registered", "registered", "draft"):
        create_entry(alice.workspace, invoice_doc, state=state)
    schedule = Trigger.objects.create(
        workspace=alice.workspace,
        workflow=flow,
        kind="schedule",
        every_minutes=60,
        filters={"q": "", "schema": "", "state": "registered"},
        next_run_at=timezone.now() - timedelta(seconds=1),
    )

    assert triggers.run_schedules() == 1
    assert triggers.run_schedules() == 0  # not due again for an hour

    jobs = Job.objects.filter(workflow=flow)
    assert jobs.count() == 2
    assert {j.entry.state for j in jobs} == {"registered"}
    assert {j.trigger for j in jobs} == {"automatic: every 60 min"}
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() + timedelta(minutes=59)


def test_a_paused_trigger_does_nothing(alice, invoice_doc):
    flow = workflow(alice.workspace, "Register", set_state("s", "registered"))
    Trigger.objects.create(workspace=alice.workspace, workflow=flow, kind="created", enabled=False)
    create_entry(alice.workspace, invoice_doc)
    assert not Job.objects.exists()


def test_the_triggers_page_adds_pauses_and_removes(alice_client, alice):
    flow = workflow(alice.workspace, "Register", set_state("s", "registered"))

    refused = alice_client.post(
        "/jobs/automatic/", {"workflow": flow.pk, "kind": "schedule", "every_minutes": ""}
    )
    assert refused.status_code == 400
    assert "Say how often the workflow runs." in refused.content.decode()

    response = alice_client.post(
        "/jobs/automatic/", {"workflow": flow.pk, "kind": "state", "state": "registered"}
    )
    assert response.status_code == 302
    trigger = Trigger.objects.get()
    assert (trigger.kind, trigger.state, trigger.enabled) == ("state", "registered", True)

    alice_client.post(f"/jobs/automatic/{trigger.pk}/toggle/")
    trigger.refresh_from_db()
    assert not trigger.enabled
    assert "paused" in alice_client.get("/jobs/automatic/").content.decode()
    alice_client.post(f"/jobs/automatic/{trigger.pk}/delete/")
    assert not Trigger.objects.exists()


def test_bob_can_neither_see_nor_touch_alices_triggers(client, alice, bob):
    flow = workflow(alice.workspace, "Alice secret flow", set_state("s", "registered"))
    trigger = Trigger.objects.create(workspace=alice.workspace, workflow=flow, kind="created")
    client.force_login(bob.user)

    assert "Alice secret flow" not in client.get("/jobs/automatic/").content.decode()
    assert client.post(f"/jobs/automatic/{trigger.pk}/toggle/").status_code == 404
    assert client.post(f"/jobs/automatic/{trigger.pk}/delete/").status_code == 404
    refused = client.post("/jobs/automatic/", {"workflow": flow.pk, "kind": "created"})
    assert refused.status_code == 400
    assert Trigger.objects.count() == 1


def test_an_entry_a_job_stores_does_not_restart_that_jobs_workflow(alice, invoice_doc):
    importer = workflow(alice.workspace, "Import", set_state("s", "registered"))
    checker = workflow(alice.workspace, "Check", set_state("s", "sent"))
    for flow in (importer, checker):
        Trigger.objects.create(workspace=alice.workspace, workflow=flow, kind="created")
    first, _ = create_entry(alice.workspace, invoice_doc, source="upload")
    importing = Job.objects.get(entry=first, workflow=importer)

    # What entry.fetch does inside a step of the importing job:
    stored, _ = create_entry(
        alice.workspace, invoice_doc, source="entry.fetch", job_id=importing.pk
    )

    started = Job.objects.filter(entry=stored)
    assert [j.workflow for j in started] == [checker]
    assert started.get().cause_id == importing.pk
