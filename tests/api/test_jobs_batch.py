"""``POST /api/v1/jobs/batch``: up to 1,000 jobs in one request, each item created,
found again or refused on its own, as ``PUT /jobs/{id}`` would answer it alone."""

import uuid

import pytest

from console.api.models import ApiToken
from console.api.tokens import create_token
from jobs.models import Job
from tests.api.conftest import INVOICE_FLOW, ApiClient
from workflows.services import create_workflow


@pytest.fixture
def flow(alice):
    workflow, _ = create_workflow(alice.workspace, INVOICE_FLOW)
    return workflow


def item(flow, **fields):
    return {"id": str(uuid.uuid4()), "workflow_id": str(flow.id), "args": {"n": "1"}, **fields}


def test_a_batch_creates_each_job_and_answers_per_item_in_order(alice_api, alice, flow):
    items = [item(flow, args={"n": str(n)}) for n in range(3)] + [
        {"workflow_id": str(flow.id), "key": "order-7", "args": {"n": "3"}, "tags": ["import"]}
    ]

    response = alice_api.post("/jobs/batch", {"jobs": items})

    assert response.status_code == 200
    answer = response.json()
    assert (answer["created"], answer["existing"], answer["failed"]) == (4, 0, 0)
    assert [r["index"] for r in answer["items"]] == [0, 1, 2, 3]
    assert {r["status"] for r in answer["items"]} == {201}
    assert [r["job"]["id"] for r in answer["items"][:3]] == [i["id"] for i in items[:3]]
    by_key = Job.objects.get(workspace=alice.workspace, key="order-7")
    assert answer["items"][3]["job"]["id"] == str(by_key.id)
    assert by_key.tags == ["import"] and by_key.trigger == "api" and by_key.status == "QUEUED"
    assert Job.objects.filter(workspace=alice.workspace).count() == 4


def test_sending_the_same_batch_again_creates_nothing_more(alice_api, alice, flow):
    items = [item(flow), {"workflow_id": str(flow.id), "key": "k1", "args": {"a": "b"}}]
    first = alice_api.post("/jobs/batch", {"jobs": items}).json()

    again = alice_api.post("/jobs/batch", {"jobs": items}).json()

    assert (again["created"], again["existing"], again["failed"]) == (0, 2, 0)
    assert [r["status"] for r in again["items"]] == [200, 200]
    assert [r["job"]["id"] for r in again["items"]] == [r["job"]["id"] for r in first["items"]]
    assert Job.objects.filter(workspace=alice.workspace).count() == 2


def test_a_reused_id_with_another_body_is_a_409_at_its_index(alice_api, alice, flow):
    made = item(flow)
    alice_api.put(f"/jobs/{made['id']}", {k: v for k, v in made.items() if k != "id"})
    changed = {**made, "args": {"n": "2"}}

    answer = alice_api.post("/jobs/batch", {"jobs": [item(flow), changed]}).json()

    assert [r["status"] for r in answer["items"]] == [201, 409]
    assert answer["items"][1]["error"]["code"] == "conflict"
    assert "args" in answer["items"][1]["error"]["fields"]
    assert Job.objects.get(pk=made["id"]).args == {"n": "1"}  # the first request's job, unchanged
    assert Job.objects.filter(workspace=alice.workspace).count() == 2


def test_malformed_items_are_reported_at_their_index_and_the_others_are_created(
    alice_api, alice, flow
):
    items = [
        item(flow),
        {"id": str(uuid.uuid4()), "args": {"n": "1"}},  # no workflow_id
        "not an object",
        {"workflow_id": str(flow.id), "args": {"n": "1"}},  # neither id nor key
        item(flow, colour="blue"),  # a field the API does not know
        item(flow, args={}),  # no document and no argument
        item(flow),
    ]

    answer = alice_api.post("/jobs/batch", {"jobs": items}).json()

    assert [r["status"] for r in answer["items"]] == [201, 422, 422, 422, 422, 422, 201]
    assert (answer["created"], answer["failed"]) == (2, 5)
    errors = [r["error"] for r in answer["items"]]
    assert "workflow_id" in errors[1]["fields"]
    assert "id" in errors[3]["fields"]
    assert "colour" in errors[4]["fields"]
    assert errors[5]["message"] == "Pick a document or give at least one argument."
    assert answer["items"][0]["error"] is None
    created = {
        str(pk) for pk in Job.objects.filter(workspace=alice.workspace).values_list("pk", flat=True)
    }
    assert created == {items[0]["id"], items[6]["id"]}


def test_another_workspaces_workflow_is_refused_per_item(alice_api, bob, alice, flow):
    bobs_flow, _ = create_workflow(bob.workspace, INVOICE_FLOW)

    answer = alice_api.post("/jobs/batch", {"jobs": [item(bobs_flow), item(flow)]}).json()

    assert [r["status"] for r in answer["items"]] == [422, 201]
    assert answer["items"][0]["error"]["fields"] == {"workflow_id": "no workflow with this id here"}
    assert not Job.objects.filter(workspace=bob.workspace).exists()
    assert Job.objects.filter(workspace=alice.workspace).count() == 1


def test_another_workspaces_job_id_is_taken_and_says_no_more(alice_api, bob_api, bob, flow):
    bobs_flow, _ = create_workflow(bob.workspace, INVOICE_FLOW)
    bobs = item(bobs_flow)
    bob_api.post("/jobs/batch", {"jobs": [bobs]})

    answer = alice_api.post("/jobs/batch", {"jobs": [item(flow, id=bobs["id"])]}).json()

    assert answer["items"][0]["status"] == 409
    assert answer["items"][0]["error"]["message"] == "This job id is taken."
    assert Job.objects.get(pk=bobs["id"]).workspace == bob.workspace


def test_a_viewer_token_is_refused_and_nothing_is_created(alice, flow):
    _, plaintext = create_token(alice.workspace, "reader", role=ApiToken.Role.VIEWER)

    response = ApiClient(plaintext).post("/jobs/batch", {"jobs": [item(flow)]})

    assert response.status_code == 403
    assert not Job.objects.exists()


def test_more_than_a_thousand_items_is_refused_whole(alice_api, flow):
    response = alice_api.post("/jobs/batch", {"jobs": [item(flow)] * 1001})

    assert response.status_code == 422
    assert "jobs" in response.json()["fields"]
    assert not Job.objects.exists()


def test_an_empty_batch_is_refused(alice_api):
    response = alice_api.post("/jobs/batch", {"jobs": []})
    assert response.status_code == 422


def test_a_batch_commits_in_parts_and_every_item_is_answered(alice_api, alice, flow, monkeypatch):
    from console.api import jobs as api_jobs

    monkeypatch.setattr(api_jobs, "BATCH_COMMIT", 2)
    items = [item(flow) for _ in range(5)]

    answer = alice_api.post("/jobs/batch", {"jobs": items}).json()

    assert [r["status"] for r in answer["items"]] == [201] * 5
    assert Job.objects.filter(workspace=alice.workspace).count() == 5
