"""sequence.assign: codes from a numbered series of the workspace, gap-free and unique,
even with many jobs at once (proved on PostgreSQL); a document with a code keeps it."""

import threading
from datetime import date

import pytest
from django.db import connection

from jobs.models import Job
from jobs.services import create_job
from silo.models import Entry, Sequence
from silo.sequences import assign_code
from silo.services import EntryConflict, update_entry
from tests.factories import invoice, make_entry
from tests.jobs.flows import finish, run_flow
from workflows.definition import DefinitionError
from workflows.services import create_workflow


def uncoded(workspace):
    doc = invoice()
    del doc["doc"]["code"]
    return make_entry(workspace, doc)


def assign(**config):
    return {"id": "n", "provider": "sequence.assign", "config": config}


def step(job):
    return job.intents.get(step_id="n")


def code_of(entry):
    return Entry.objects.get(pk=entry.pk).doc["doc"].get("code")


def test_numbers_follow_each_other_with_prefix_and_padding(alice):
    _, workspace = alice
    first, second = uncoded(workspace), uncoded(workspace)
    numbering = [assign(series="sales", prefix="F-", padding=5)]

    one = run_flow(workspace, numbering, entry=first)
    two = run_flow(workspace, numbering, entry=second)

    assert (step(one).status, step(one).code) == ("OK", "assigned")
    assert (code_of(first), code_of(second)) == ("F-00001", "F-00002")
    assert step(two).changes == {"document_code": "F-00002"}
    assert Entry.objects.get(pk=first.pk).code == "F-00001"  # the list shows it
    assert Sequence.objects.get(workspace=workspace, name="sales").next_value == 3


def test_a_document_with_a_code_keeps_it(alice):
    _, workspace = alice
    entry = make_entry(workspace, invoice(code="MANUAL-7"))

    job = run_flow(workspace, [assign()], entry=entry)

    assert (step(job).status, step(job).code) == ("OK", "kept")
    assert "MANUAL-7" in step(job).message
    assert code_of(entry) == "MANUAL-7"
    assert not Sequence.objects.exists()  # not even a number was taken


def test_each_workspace_and_series_counts_on_its_own(alice, bob):
    _, acme = alice
    _, globex = bob
    run_flow(acme, [assign()], entry=uncoded(acme))
    run_flow(acme, [assign(series="credit", prefix="R")], entry=(credit := uncoded(acme)))
    second = uncoded(acme)
    run_flow(acme, [assign()], entry=second)
    theirs = uncoded(globex)
    run_flow(globex, [assign()], entry=theirs)

    assert code_of(second) == "0002"
    assert code_of(credit) == "R0001"
    assert code_of(theirs) == "0001"


def test_year_in_prefix_and_yearly_reset(alice):
    _, workspace = alice
    options = {"prefix": "INV-{year}-", "padding": 3, "yearly_reset": True}

    codes = [
        assign_code(uncoded(workspace), "y", **options, today=date(2025, 12, 31))[0],
        assign_code(uncoded(workspace), "y", **options, today=date(2025, 12, 31))[0],
        assign_code(uncoded(workspace), "y", **options, today=date(2026, 1, 1))[0],
        assign_code(uncoded(workspace), "y", padding=3, today=date(2027, 1, 1))[0],
    ]

    # The last one turned yearly reset off: the 2026 count goes on.
    assert codes == ["INV-2025-001", "INV-2025-002", "INV-2026-001", "002"]


def test_a_failed_write_gives_the_number_back(alice):
    _, workspace = alice
    entry = uncoded(workspace)
    assign_code(uncoded(workspace), "s")  # 0001 is taken
    stale = Entry.objects.get(pk=entry.pk)
    update_entry(entry, state="processing")  # someone writes meanwhile

    with pytest.raises(EntryConflict):
        assign_code(stale, "s")

    assert Sequence.objects.get(name="s").next_value == 2
    assert code_of(entry) is None
    assert assign_code(Entry.objects.get(pk=entry.pk), "s") == ("0002", True)


def test_the_action_retries_a_conflict_with_the_fresh_entry(alice):
    _, workspace = alice
    entry = uncoded(workspace)
    workflow, _ = create_workflow(
        workspace, {"name": "n", "schema": "bill/invoice", "steps": [assign()]}
    )
    job, _ = create_job(workspace, workflow, entry=entry)
    update_entry(entry, state="processing")  # the job's copy of the entry is now old

    job = finish(job)

    assert step(job).code == "assigned"
    assert code_of(entry) == "0001"
    assert Entry.objects.get(pk=entry.pk).state == "processing"


def test_bad_config_is_refused_when_the_workflow_is_saved(alice):
    _, workspace = alice
    with pytest.raises(DefinitionError) as refused:
        create_workflow(
            workspace, {"name": "n", "schema": "bill/invoice", "steps": [assign(padding=0)]}
        )
    assert "padding" in str(refused.value.issues)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_jobs_get_fifty_consecutive_numbers(alice):
    _, workspace = alice
    entries = [uncoded(workspace) for _ in range(50)]
    workflow, _ = create_workflow(
        workspace, {"name": "n", "schema": "bill/invoice", "steps": [assign(prefix="C")]}
    )
    jobs = [create_job(workspace, workflow, entry=entry)[0] for entry in entries]
    start = threading.Barrier(len(jobs))
    errors = []

    def work(job):
        try:
            start.wait()
            finish(job)
        except Exception as error:  # reported below, with the thread's job
            errors.append((job.id, error))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert set(Job.objects.filter(workflow=workflow).values_list("status", flat=True)) == {"OK"}
    codes = sorted(code_of(entry) for entry in entries)
    assert codes == [f"C{n:04d}" for n in range(1, 51)]
    assert Sequence.objects.get(workspace=workspace).next_value == 51
