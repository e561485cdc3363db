"""Jobs through the API: create (entry, args, raw document), idempotency by PUT id
and by key, read by id and key, list newest first with filters and cursors, cancel;
another workspace's ids are 404 (or, in a body, a 422 that says nothing more)."""

import uuid

import pytest

from jobs.models import Job
from silo.models import Entry
from silo.services import create_entry
from tests.factories import INVOICE_FLOW
from workflows.services import create_workflow


@pytest.fixture
def flow(alice):
    workflow, _ = create_workflow(alice.workspace, INVOICE_FLOW)
    return workflow


@pytest.fixture
def entry(alice, invoice_doc):
    return create_entry(alice.workspace, invoice_doc)[0]


def test_create_a_job_on_an_entry(alice_api, flow, entry):
    response = alice_api.post(
        "/jobs", {"workflow_id": str(flow.id), "silo_entry_id": str(entry.id), "tags": ["nightly"]}
    )

    assert response.status_code == 201
    job = response.json()
    assert job["workflow_id"] == str(flow.id)
    assert job["workflow_version"] == 1
    assert job["silo_entry_id"] == str(entry.id)
    assert job["tags"] == ["nightly"]
    assert job["status"] == "QUEUED"
    assert job["intents"] == [] and job["faults"] == []
    assert Job.objects.get(pk=job["id"]).trigger == "api"


def test_create_a_job_with_arguments_only(alice_api, flow):
    response = alice_api.post("/jobs", {"workflow_id": str(flow.id), "args": {"order": "42"}})
    assert response.status_code == 201
    assert response.json()["args"] == {"order": "42"}
    assert response.json()["silo_entry_id"] is None


def test_data_is_stored_as_a_new_entry(alice_api, alice, flow, invoice_doc):
    response = alice_api.post("/jobs", {"workflow_id": str(flow.id), "data": invoice_doc})

    assert response.status_code == 201
    entry = Entry.objects.get(pk=response.json()["silo_entry_id"])
    assert entry.workspace == alice.workspace
    assert entry.doc == invoice_doc


def test_a_job_needs_an_entry_data_or_args(alice_api, flow):
    response = alice_api.post("/jobs", {"workflow_id": str(flow.id)})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "silo_entry_id" in response.json()["fields"]
    assert not Job.objects.exists()


def test_args_must_map_strings_to_strings(alice_api, flow):
    response = alice_api.post("/jobs", {"workflow_id": str(flow.id), "args": {"n": 1}})
    assert response.status_code == 422
    assert "args.n" in response.json()["fields"]


def test_a_bad_document_in_data_leaves_nothing_behind(alice_api, flow):
    response = alice_api.post("/jobs", {"workflow_id": str(flow.id), "data": {"hello": "x"}})
    assert response.status_code == 422
    assert "$schema" in response.json()["fields"]["data"]
    assert not Entry.objects.exists() and not Job.objects.exists()


def test_data_of_another_schema_leaves_nothing_behind(alice_api, alice):
    party_flow, _ = create_workflow(alice.workspace, {**INVOICE_FLOW, "schema": "org/party"})
    invoice = {"$schema": "https://gobl.org/draft-0/bill/invoice", "code": "X-1"}
    response = alice_api.post("/jobs", {"workflow_id": str(party_flow.id), "data": invoice})
    assert response.status_code == 422
    assert "org/party" in response.json()["fields"]["data"]
    assert not Entry.objects.exists() and not Job.objects.exists()


def test_entry_and_data_together_are_refused(alice_api, flow, entry, invoice_doc):
    body = {"workflow_id": str(flow.id), "silo_entry_id": str(entry.id), "data": invoice_doc}
    response = alice_api.post("/jobs", body)
    assert response.status_code == 422
    assert "data" in response.json()["fields"]


def test_unknown_fields_are_refused(alice_api, flow):
    response = alice_api.post("/jobs", {"workflow_id": str(flow.id), "arg": {"a": "b"}})
    assert response.status_code == 422
    assert response.json()["fields"] == {"arg": "Extra inputs are not permitted"}


def test_the_same_put_twice_gives_one_job(alice_api, flow):
    job_id = uuid.uuid4()
    body = {"workflow_id": str(flow.id), "args": {"a": "1"}}

    first = alice_api.put(f"/jobs/{job_id}", body)
    again = alice_api.put(f"/jobs/{job_id}", body)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Job.objects.count() == 1


def test_the_same_put_id_with_other_args_is_a_409_naming_them(alice_api, flow):
    job_id = uuid.uuid4()
    body = {"workflow_id": str(flow.id), "args": {"a": "1"}}
    alice_api.put(f"/jobs/{job_id}", body)

    again = alice_api.put(f"/jobs/{job_id}", {**body, "args": {"a": "changed"}})

    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert list(again.json()["fields"]) == ["args"]
    assert Job.objects.get().args == {"a": "1"}


def test_put_with_data_twice_stores_the_document_once(alice_api, flow, invoice_doc):
    job_id = uuid.uuid4()
    body = {"workflow_id": str(flow.id), "data": invoice_doc}
    assert alice_api.put(f"/jobs/{job_id}", body).status_code == 201
    assert alice_api.put(f"/jobs/{job_id}", body).status_code == 200
    assert Entry.objects.count() == 1


def test_the_same_key_twice_gives_one_job(alice_api, flow, invoice_doc):
    body = {"workflow_id": str(flow.id), "data": invoice_doc, "key": "order-7"}

    first = alice_api.post("/jobs", body)
    again = alice_api.post("/jobs", body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Job.objects.count() == 1 and Entry.objects.count() == 1


def test_a_job_id_of_another_workspace_cannot_be_taken(alice_api, bob_api, bob, flow):
    bobs_flow, _ = create_workflow(bob.workspace, INVOICE_FLOW)
    job_id = uuid.uuid4()
    bob_api.put(f"/jobs/{job_id}", {"workflow_id": str(bobs_flow.id), "args": {"a": "b"}})

    response = alice_api.put(f"/jobs/{job_id}", {"workflow_id": str(flow.id), "args": {"a": "b"}})

    assert response.status_code == 409
    assert response.json()["fields"] == {"id": "This job id is taken."}
    assert Job.objects.get().workspace == bob.workspace


def test_get_a_job_by_id_and_by_key(alice_api, flow):
    created = alice_api.post(
        "/jobs", {"workflow_id": str(flow.id), "args": {"a": "b"}, "key": "inv/2024 #1"}
    ).json()

    by_id = alice_api.get(f"/jobs/{created['id']}")
    by_key = alice_api.get("/jobs/key/inv%2F2024%20%231")

    assert by_id.status_code == 200 and by_id.json() == created
    assert by_key.status_code == 200 and by_key.json() == created
    assert alice_api.get("/jobs/key/unknown").status_code == 404


def test_another_workspaces_jobs_are_404(alice_api, bob_api, bob):
    bobs_flow, _ = create_workflow(bob.workspace, INVOICE_FLOW)
    bobs_job = bob_api.post(
        "/jobs", {"workflow_id": str(bobs_flow.id), "args": {"a": "b"}, "key": "bobs"}
    ).json()

    for response in (
        alice_api.get(f"/jobs/{bobs_job['id']}"),
        alice_api.get("/jobs/key/bobs"),
        alice_api.post(f"/jobs/{bobs_job['id']}/cancel"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert alice_api.get("/jobs").json()["items"] == []
    assert Job.objects.get().status == "QUEUED"


def test_another_workspaces_workflow_and_entry_cannot_be_used(alice_api, flow, bob, invoice_doc):
    bobs_flow, _ = create_workflow(bob.workspace, INVOICE_FLOW)
    bobs_entry, _ = create_entry(bob.workspace, invoice_doc)

    response = alice_api.post("/jobs", {"workflow_id": str(bobs_flow.id), "args": {"a": "b"}})
    assert response.status_code == 422
    assert "workflow_id" in response.json()["fields"]

    response = alice_api.post(
        "/jobs", {"workflow_id": str(flow.id), "silo_entry_id": str(bobs_entry.id)}
    )
    assert response.status_code == 422
    assert "silo_entry_id" in response.json()["fields"]
    assert not Job.objects.exists()


def test_list_newest_first_in_pages(alice_api, flow):
    ids = [
        alice_api.post("/jobs", {"workflow_id": str(flow.id), "args": {"n": str(n)}}).json()["id"]
        for n in range(5)
    ]

    first = alice_api.get("/jobs?limit=2").json()
    second = alice_api.get(f"/jobs?limit=2&cursor={first['next_cursor']}").json()
    third = alice_api.get(f"/jobs?limit=2&cursor={second['next_cursor']}").json()

    seen = [job["id"] for page in (first, second, third) for job in page["items"]]
    assert seen == ids[::-1]
    assert third["next_cursor"] is None


def test_list_filters_by_status_workflow_and_entry(alice_api, alice, flow, entry):
    other, _ = create_workflow(alice.workspace, {**INVOICE_FLOW, "name": "Other"})
    on_entry = alice_api.post(
        "/jobs", {"workflow_id": str(flow.id), "silo_entry_id": str(entry.id)}
    ).json()
    with_args = alice_api.post("/jobs", {"workflow_id": str(other.id), "args": {"a": "b"}}).json()
    alice_api.post(f"/jobs/{with_args['id']}/cancel")

    def listed(query):
        return [job["id"] for job in alice_api.get(f"/jobs?{query}").json()["items"]]

    assert listed(f"workflow_id={other.id}") == [with_args["id"]]
    assert listed(f"silo_entry_id={entry.id}") == [on_entry["id"]]
    assert listed("status=CANCEL") == [with_args["id"]]
    assert listed("status=QUEUED") == [on_entry["id"]]
    assert alice_api.get("/jobs?status=DONE").status_code == 422
    assert alice_api.get("/jobs?limit=1000").status_code == 422


def test_cancel_a_job(alice_api, flow):
    job = alice_api.post("/jobs", {"workflow_id": str(flow.id), "args": {"a": "b"}}).json()

    response = alice_api.post(f"/jobs/{job['id']}/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "CANCEL"
    assert response.json()["completed_at"] is not None
    again = alice_api.post(f"/jobs/{job['id']}/cancel")
    assert again.status_code == 409
    assert "CANCEL" in again.json()["message"]


def test_wait_is_at_most_60_seconds(alice_api, flow):
    response = alice_api.post("/jobs?wait=61", {"workflow_id": str(flow.id), "args": {"a": "b"}})
    assert response.status_code == 422
    assert "wait" in response.json()["fields"]
    assert not Job.objects.exists()


def test_listing_reads_the_same_number_of_queries_for_2_or_12_jobs(alice_api, alice, flow):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jobs import engine

    def listed_with(count):
        for n in range(count):
            alice_api.post("/jobs", {"workflow_id": str(flow.id), "args": {"n": str(n)}})
        while (claimed := engine.claim()) is not None:  # each job gets intents and events
            engine.run(*claimed)
        with CaptureQueriesContext(connection) as queries:
            body = alice_api.get("/jobs?limit=50").json()
        assert all(job["intents"] and job["intents"][0]["events"] for job in body["items"])
        return len(queries)

    assert listed_with(2) == listed_with(10)
