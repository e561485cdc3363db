"""The job page: header, arguments, and the step timeline with every attempt."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from jobs import engine
from jobs.models import Job, Status
from jobs.services import create_job
from tests.factories import invoice, make_entry
from tests.jobs.flows import block, finish, ko, ok
from workflows.services import create_workflow


def start(workspace, steps, rescue=(), *, entry=None, args=None, name="Issue and send"):
    data = {"name": name, "schema": "bill/invoice", "steps": steps, "rescue": list(rescue)}
    workflow, _ = create_workflow(workspace, data)
    job, _ = create_job(workspace, workflow, entry=entry, args=args, trigger="console")
    return job


def job_page(client, job):
    return client.get(reverse("jobs:detail", args=[job.pk]))


def test_a_finished_job_shows_its_steps_and_every_attempt(alice_client, alice):
    entry = make_entry(alice.workspace, invoice("INV-9"))
    job = finish(
        start(
            alice.workspace,
            [ok("validate", transient=2, message="Looks right"), ok("send", code="sent")],
            entry=entry,
        )
    )

    response = job_page(alice_client, job)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Issue and send" in html and "version 1" in html
    assert reverse("silo:entry", args=[entry.pk]) in html and "INV-9" in html
    assert 'data-testid="job-status">OK<' in html
    steps = response.context["steps"]
    assert [s.intent.step_id for s in steps] == ["validate", "send"]
    assert [(e.index, e.status) for e in steps[0].attempts] == [
        (1, "RETRY"),
        (2, "RETRY"),
        (3, "OK"),
    ]
    assert html.count("Simulated transient failure") == 2
    assert "Looks right" in html and "<code>sent</code>" in html


def test_rescue_steps_and_faults_are_marked(alice_client, alice):
    job = finish(
        start(
            alice.workspace,
            [ko("post", code="500", message="Server said no")],
            rescue=[ok("tell")],
            args={"order": "42"},
        )
    )

    html = job_page(alice_client, job).content.decode()

    assert job.status == Status.KO
    assert '<span class="badge flow">rescue</span>' in html
    assert "Faults" in html and "Server said no" in html
    assert "<th>order</th>" in html and "<code>42</code>" in html


def test_a_handled_ko_is_a_step_but_not_a_fault(alice_client, alice):
    job = finish(
        start(
            alice.workspace,
            [ko("check", code="no", next=[block("KO", ok("fix"))])],
            args={"a": "b"},
        )
    )

    html = job_page(alice_client, job).content.decode()

    assert job.status == Status.OK
    assert "Faults" not in html
    assert 'data-step="check"' in html and 'data-step="fix"' in html


def test_a_waiting_step_says_when_it_tries_again(alice_client, alice):
    job = start(alice.workspace, [ok("flaky", transient=1)], args={"a": "b"})
    engine.run(*engine.claim())

    response = alice_client.get(reverse("jobs:timeline", args=[job.pk]))

    html = response.content.decode()
    intent = job.intents.get()
    assert Job.objects.get(pk=job.pk).status == Status.WAIT
    assert "next attempt at" in html
    assert intent.next_attempt_at.strftime("%H:%M:%S") in html
    assert 'hx-trigger="live"' in html and "Cancel job" in html


def test_the_timeline_stops_polling_once_the_job_has_ended(alice_client, alice):
    job = finish(start(alice.workspace, [ok("a")], args={"a": "b"}))

    html = alice_client.get(reverse("jobs:timeline", args=[job.pk])).content.decode()

    assert "hx-trigger" not in html and "Cancel job" not in html
    assert 'id="job-timeline"' in html and "<html" not in html


def test_a_queued_job_waits_for_a_worker(alice_client, alice):
    job = start(alice.workspace, [ok("a")], args={"a": "b"})

    html = job_page(alice_client, job).content.decode()

    assert "Waiting for a worker" in html and "Queued" in html


def test_durations_read_like_durations(alice_client, alice):
    job = finish(start(alice.workspace, [ok("a")], args={"a": "b"}))
    started = timezone.now() - timedelta(minutes=3, seconds=7)
    Job.objects.filter(pk=job.pk).update(started_at=started, completed_at=timezone.now())

    html = job_page(alice_client, job).content.decode()

    assert 'data-testid="job-duration">3 min 07 s<' in html
