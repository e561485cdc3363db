"""The engine beyond block choice: waits, cancel, templates, pinning, schemas, jumps."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs import engine
from jobs.models import Job, Status
from jobs.services import JobError, create_job
from silo.services import create_entry
from tests.jobs.flows import block, executed, finish, ko, ok, run_flow
from workflows.actions.base import Action, Outcome
from workflows.actions.registry import register
from workflows.services import create_workflow, save_version


def wait(step_id, seconds):
    return {"id": step_id, "provider": "delay.wait", "config": {"seconds": seconds}}


def claim_and_run():
    claimed = engine.claim()
    assert claimed is not None
    engine.run(*claimed)


def test_a_wait_parks_the_job_and_frees_the_worker(alice):
    workflow, _ = create_workflow(
        alice.workspace,
        {"name": "w", "schema": "bill/invoice", "steps": [ok("a"), wait("w", 60), ok("b")]},
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    claim_and_run()
    job.refresh_from_db()
    assert job.status == Status.WAIT
    assert 59 <= (job.due_at - timezone.now()).total_seconds() <= 60
    assert executed(job) == ["a", "w"]
    assert job.intents.get(step_id="w").next_attempt_at == job.due_at
    assert engine.claim() is None  # nothing due: no worker is held


def test_a_wait_ends_when_it_is_due(alice):
    job = run_flow(alice.workspace, [ok("a"), wait("w", 3600), ok("b")])
    assert executed(job) == ["a", "w", "b"]
    assert job.status == Status.OK


def test_a_retry_waits_with_backoff_then_runs_again(alice):
    workflow, _ = create_workflow(
        alice.workspace,
        {
            "name": "r",
            "schema": "bill/invoice",
            "steps": [ok("a", transient=1, retry={"max_attempts": 3, "backoff_s": 10})],
        },
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    before = timezone.now()
    claim_and_run()
    after = timezone.now()
    job.refresh_from_db()
    assert job.status == Status.WAIT
    # 10 s with jitter (5-10 s) after the attempt, which began between before and after
    assert (job.due_at - before).total_seconds() >= 5
    assert (job.due_at - after).total_seconds() <= 10
    Job.objects.filter(pk=job.pk).update(due_at=timezone.now())
    claim_and_run()
    job.refresh_from_db()
    assert job.status == Status.OK
    assert [e.status for e in job.intents.get().events.all()] == ["RETRY", "OK"]


def test_cancel_while_waiting_starts_no_further_step(alice):
    workflow, _ = create_workflow(
        alice.workspace, {"name": "c", "schema": "bill/invoice", "steps": [wait("w", 60), ok("b")]}
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    claim_and_run()
    assert engine.cancel(job)
    Job.objects.filter(pk=job.pk).update(due_at=timezone.now())
    assert engine.claim() is None
    job.refresh_from_db()
    assert job.status == Status.CANCEL
    assert executed(job) == ["w"]


def test_cancel_during_a_step_keeps_its_outcome_and_runs_nothing_after(alice):
    class CancelsItsJob(Action):
        id = "test.cancels"
        name = "Cancels its own job"

        def run(self, context):
            engine.cancel(context.job)
            return Outcome.ok(message="did the work")

    register(CancelsItsJob)
    job = run_flow(alice.workspace, [ok("a"), {"id": "x", "provider": "test.cancels"}, ok("b")])
    assert job.status == Status.CANCEL
    assert executed(job) == ["a", "x"]
    assert job.intents.get(step_id="x").message == "did the work"


def test_a_finished_job_cannot_be_cancelled(alice):
    job = run_flow(alice.workspace, [ok("a")])
    assert not engine.cancel(job)
    assert Job.objects.get(pk=job.pk).status == Status.OK


def test_config_templates_see_args_doc_entry_and_job(alice, invoice_doc):
    entry, _ = create_entry(alice.workspace, invoice_doc, key="inv-1")
    message = "{{ args.who }} {{ doc.supplier.name }} {{ entry.key }} {{ job.id }}"
    job = run_flow(alice.workspace, [ok("a", message=message)], args={"who": "Ann"}, entry=entry)
    assert (
        job.intents.get().message == f"Ann {invoice_doc['doc']['supplier']['name']} inv-1 {job.id}"
    )


def test_rescue_templates_see_the_fault(alice):
    job = run_flow(
        alice.workspace,
        [ko("a", code="E1", message="boom")],
        [ok("r", message="{{ fault.step_id }} {{ fault.code }} {{ fault.message }}")],
    )
    assert job.intents.get(step_id="r").message == "a E1 boom"


@pytest.mark.parametrize(
    "template",
    [
        "{{ args.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ args.items() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{% for x in range(10**9) %}{% endfor %}",
    ],
)
def test_templates_reach_only_the_data(alice, template):
    job = run_flow(alice.workspace, [ok("a", message=template, next=[block("KO", ok("caught"))])])
    intent = job.intents.get(step_id="a")
    assert not any(
        leak in intent.message for leak in ("<class", "<function", "dict_items", "<built")
    )
    assert (intent.status, intent.message) == ("OK", "") or intent.code == "template_error"


def test_a_job_runs_the_version_current_when_it_was_created(alice):
    workflow, _ = create_workflow(
        alice.workspace, {"name": "p", "schema": "bill/invoice", "steps": [ok("v1")]}
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    save_version(
        workflow, {"name": "p", "schema": "bill/invoice", "steps": [ok("v2")]}, expected_version=1
    )
    assert executed(finish(job)) == ["v1"]
    later, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    assert executed(finish(later)) == ["v2"]


def test_a_workflow_runs_only_on_entries_of_its_schema(alice):
    party, _ = create_entry(
        alice.workspace, {"$schema": "https://gobl.org/draft-0/org/party", "name": "Acme"}
    )
    workflow, _ = create_workflow(
        alice.workspace, {"name": "s", "schema": "bill/invoice", "steps": [ok("a")]}
    )
    with pytest.raises(JobError, match="bill/invoice"):
        create_job(alice.workspace, workflow, entry=party)
    with pytest.raises(JobError, match="at least one argument"):
        create_job(alice.workspace, workflow)
    job, _ = create_job(alice.workspace, workflow, args={"only": "args"})
    assert finish(job).status == Status.OK


def test_the_same_key_gives_the_same_job(alice):
    workflow, _ = create_workflow(
        alice.workspace, {"name": "k", "schema": "bill/invoice", "steps": []}
    )
    first, created = create_job(alice.workspace, workflow, args={"a": "1"}, key="order-7")
    again, created_again = create_job(alice.workspace, workflow, args={"a": "1"}, key="order-7")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk


def test_the_same_key_with_other_args_is_a_conflict(alice):
    from jobs.services import JobConflict

    workflow, _ = create_workflow(
        alice.workspace, {"name": "k", "schema": "bill/invoice", "steps": []}
    )
    first, _ = create_job(alice.workspace, workflow, args={"a": "1"}, key="order-7")
    with pytest.raises(JobConflict) as conflict:
        create_job(alice.workspace, workflow, args={"a": "2"}, key="order-7")
    assert conflict.value.differs == ["args"]
    first.refresh_from_db()
    assert first.args == {"a": "1"}


def test_steps_receive_a_stable_idempotency_key(alice):
    seen = []

    class Records(Action):
        id = "test.records"
        name = "Records its key"

        def run(self, context):
            seen.append(context.idempotency_key)
            if len(seen) < 3:
                from workflows.actions.base import TryLater

                raise TryLater("503")
            return Outcome.ok()

    register(Records)
    job = run_flow(
        alice.workspace,
        [{"id": "s1", "provider": "test.records", "retry": {"max_attempts": 5, "backoff_s": 0}}],
    )
    assert seen == [f"{job.id}:s1"] * 3


def test_legacy_jumps_run_as_the_flat_form_meant(alice):
    steps = [
        {
            "id": "a",
            "provider": "simulate.outcome",
            "config": {"status": "KO", "code": "x"},
            "next": [{"status": "KO", "step_id": "c"}],
        },
        ok("b"),
        ok("c"),
    ]
    job = run_flow(alice.workspace, steps)
    assert [i.provider for i in job.intents.order_by("seq")] == [
        "simulate.outcome",
        "flow.goto",
        "simulate.outcome",
    ]
    assert executed(job)[-1] == "c" and "b" not in executed(job)
    assert job.status == Status.OK


def test_legacy_timeout_and_skip_become_codes(alice):
    steps = [
        {
            "id": "a",
            "provider": "simulate.outcome",
            "config": {"status": "KO", "code": "timeout"},
            "next": [{"status": "TIMEOUT", "step_id": "d"}],
        },
        ok("b"),
        ok("c", code="skip", next=[]),
        ok("d", code="skip", next=[{"status": "SKIP", "step_id": "f", "stop": True}]),
        ok("e"),
        ok("f"),
    ]
    job = run_flow(alice.workspace, steps)
    # a KO timeout jumps to d; d's SKIP jump carries "stop", which ends the job there.
    assert executed(job)[0] == "a" and executed(job)[2] == "d"
    assert len(executed(job)) == 4
    assert job.status == Status.OK


def test_a_jump_loop_ends_at_the_step_limit(alice, monkeypatch):
    monkeypatch.setattr(engine, "MAX_INTENTS", 12)
    steps = [ok("a", next=[{"status": "OK", "step_id": "a"}])]
    job = run_flow(alice.workspace, steps)
    assert job.status == Status.KO
    assert job.faults[-1]["code"] == "step_limit"
    assert job.intents.count() == 12


def test_a_job_whose_worker_keeps_dying_ends_ko(alice):
    workflow, _ = create_workflow(
        alice.workspace, {"name": "d", "schema": "bill/invoice", "steps": [ok("a")]}
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    Job.objects.filter(pk=job.pk).update(
        status=Status.RUN, lease_until=timezone.now(), recoveries=engine.MAX_RECOVERIES
    )
    claim_and_run()
    job.refresh_from_db()
    assert job.status == Status.KO and job.faults[-1]["code"] == "worker_lost"


def test_an_abandoned_job_resumes_at_its_step(alice):
    workflow, _ = create_workflow(
        alice.workspace,
        {"name": "r", "schema": "bill/invoice", "steps": [ok("a"), ok("b"), ok("c")]},
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    claimed, token = engine.claim()
    # The worker ran "a", committed, began "b", then died: its lease runs out.
    engine.run_step(claimed, token)
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now())
    claim_and_run()
    job.refresh_from_db()
    assert job.status == Status.OK and job.recoveries == 1
    assert executed(job) == ["a", "b", "c"]
    assert [e.index for e in job.intents.get(step_id="b").events.all()] == [1]


def test_a_step_keeps_the_lease_while_it_covers_the_next_step_and_renews_it_otherwise(alice):
    class Slow(Action):
        id = "test.slow"
        name = "Slow"
        timeout_s = 300

        def run(self, context):
            return Outcome.ok()

    register(Slow)
    steps = [ok("a"), ok("b"), {"id": "slow", "provider": "test.slow"}]
    workflow, _ = create_workflow(
        alice.workspace, {"name": "l", "schema": "bill/invoice", "steps": steps}
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    claimed, token = engine.claim()
    lease = Job.objects.get(pk=job.pk).lease_until

    # "b" (30 s timeout) starts with the claim's lease still 60 s ahead: kept as it is.
    engine.run_step(claimed, token)
    assert Job.objects.get(pk=job.pk).lease_until == lease
    # The lease nears its end while "b" runs: "slow" needs 300 s and more, so it grows.
    soon = timezone.now() + timedelta(seconds=20)
    Job.objects.filter(pk=job.pk).update(lease_until=soon)
    claimed.lease_until = soon
    engine.run_step(claimed, token)
    assert Job.objects.get(pk=job.pk).lease_until >= timezone.now() + timedelta(seconds=309)

    engine.run_step(claimed, token)
    job.refresh_from_db()
    assert job.status == Status.OK and job.lease_until is None
    assert executed(job) == ["a", "b", "slow"]


def test_a_job_run_in_process_after_its_worker_died_counts_a_recovery_too(alice):
    workflow, _ = create_workflow(
        alice.workspace, {"name": "r", "schema": "bill/invoice", "steps": [ok("a"), ok("b")]}
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    claimed, token = engine.claim()
    engine.run_step(claimed, token)  # ran "a", began "b", then its worker died
    Job.objects.filter(pk=job.pk).update(lease_until=timezone.now())
    job = finish(job)
    assert job.status == Status.OK and job.recoveries == 1
    assert executed(job) == ["a", "b"]


def test_a_claimed_job_holds_a_lease_that_covers_its_first_step(alice):
    class SlowFirst(Action):
        id = "test.slow_first"
        name = "Slow first"
        timeout_s = 300

        def run(self, context):
            return Outcome.ok()

    register(SlowFirst)
    steps = [{"id": "slow", "provider": "test.slow_first"}]
    workflow, _ = create_workflow(
        alice.workspace, {"name": "s", "schema": "bill/invoice", "steps": steps}
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    before = timezone.now()
    claimed, _ = engine.claim()
    assert Job.objects.get(pk=job.pk).lease_until >= before + timedelta(seconds=310)
    assert claimed.current_intent.step_id == "slow"


def test_an_action_that_crashes_is_a_ko_not_a_dead_worker(alice):
    class Crashes(Action):
        id = "test.crashes"
        name = "Crashes"

        def run(self, context):
            raise RuntimeError("bug in the action")

    register(Crashes)
    job = run_flow(alice.workspace, [{"id": "x", "provider": "test.crashes"}], [ok("r")])
    assert job.status == Status.KO
    assert job.faults[0]["code"] == "error" and "bug in the action" in job.faults[0]["message"]
    assert executed(job) == ["x", "r"]


def test_silo_state_sets_the_entry_state(alice, invoice_doc):
    entry, _ = create_entry(alice.workspace, invoice_doc)
    job = run_flow(
        alice.workspace,
        [{"id": "s", "provider": "silo.state", "config": {"state": "sent"}}],
        entry=entry,
    )
    entry.refresh_from_db()
    assert job.status == Status.OK and entry.state == "sent"
    assert entry.activity.filter(kind="state", job_id=job.id).exists()


@pytest.mark.parametrize(
    ("path", "operator", "value", "code"),
    [
        ("doc.currency", "equals", "EUR", "true"),
        ("doc.currency", "not_equals", "EUR", "false"),
        ("doc.totals.payable", "greater", "100", "true"),
        ("doc.totals.payable", "less", "100", "false"),
        ("args.country", "in", "ES, PT", "true"),
        ("doc.supplier.tax_id.code", "exists", "", "true"),
        ("doc.ordering.code", "exists", "", "false"),
        ("doc.supplier.name", "matches", "Services$", "true"),
        ("entry.state", "equals", "draft", "true"),
    ],
)
def test_if_compare(alice, invoice_doc, path, operator, value, code):
    entry, _ = create_entry(alice.workspace, invoice_doc)
    job = run_flow(
        alice.workspace,
        [
            {
                "id": "c",
                "provider": "if.compare",
                "config": {"path": path, "operator": operator, "value": value},
            }
        ],
        entry=entry,
        args={"country": "ES"},
    )
    assert job.intents.get().code == code


def test_a_step_whose_action_was_uninstalled_ends_ko(alice, action_registry):
    workflow, _ = create_workflow(
        alice.workspace, {"name": "u", "schema": "bill/invoice", "steps": [ok("a"), ok("b")]}
    )
    job, _ = create_job(alice.workspace, workflow, args={"k": "v"})
    action_registry.uninstall("simulate.outcome")
    job = finish(job)
    assert job.status == Status.KO
    assert job.faults[0]["code"] == "unknown_provider"
