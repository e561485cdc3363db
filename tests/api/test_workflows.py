"""Workflows through the API: the SPEC section 3 JSON in and out, validated by the
editor's validator (errors by JSON path), versions by PATCH, the JSON Schema."""

import uuid

import pytest

from tests.factories import INVOICE_FLOW
from tests.jobs.flows import block, ko, ok
from workflows.models import Workflow
from workflows.services import create_workflow, export


@pytest.fixture
def flow(alice):
    workflow, _ = create_workflow(alice.workspace, INVOICE_FLOW)
    return workflow


def test_put_creates_a_workflow_with_that_id(alice_api, alice):
    workflow_id = uuid.uuid4()
    document = {**INVOICE_FLOW, "id": str(uuid.uuid4()), "version": 9}

    response = alice_api.put(f"/workflows/{workflow_id}", document)

    assert response.status_code == 201
    saved = response.json()
    assert saved["warnings"] == []
    assert saved["workflow"]["id"] == str(workflow_id)
    assert saved["workflow"]["version"] == 1
    assert [s["id"] for s in saved["workflow"]["steps"]] == ["a", "b", "c"]
    assert Workflow.objects.get(pk=workflow_id).workspace == alice.workspace


def test_put_on_an_existing_id_is_a_conflict(alice_api, flow):
    response = alice_api.put(f"/workflows/{flow.id}", INVOICE_FLOW)
    assert response.status_code == 409
    assert "PATCH" in response.json()["message"]
    assert Workflow.objects.get().current_version == 1


def test_errors_name_the_json_path(alice_api):
    document = {
        "name": "broken",
        "schema": "bill/invoice",
        "steps": [ok("a", next=[block("MAYBE")]), {"id": "b", "provider": "no.such"}],
        "colour": "red",
    }

    response = alice_api.put(f"/workflows/{uuid.uuid4()}", document)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert "colour" in body["fields"]
    assert "steps[0].next[0].status" in body["fields"]
    assert not Workflow.objects.exists()


def test_unknown_provider_is_reported_at_its_step(alice_api):
    document = {**INVOICE_FLOW, "steps": [ok("a"), {"id": "b", "provider": "no.such"}]}
    response = alice_api.put(f"/workflows/{uuid.uuid4()}", document)
    assert response.status_code == 422
    assert "unknown provider" in response.json()["fields"]["steps[1].provider"]


def test_a_body_that_is_not_an_object_is_refused(alice_api):
    response = alice_api.put(f"/workflows/{uuid.uuid4()}", [1, 2])
    assert response.status_code == 422


def test_the_legacy_flat_form_is_accepted_and_converted(alice_api):
    legacy = {
        "name": "legacy",
        "schema": "bill/invoice",
        "steps": [
            {**ok("a"), "next": [{"status": "KO", "step_id": "c"}]},
            ok("b"),
            ok("c"),
        ],
    }
    response = alice_api.put(f"/workflows/{uuid.uuid4()}", legacy)
    assert response.status_code == 201
    jump = response.json()["workflow"]["steps"][0]["next"][0]
    assert jump["status"] == "KO"
    assert jump["steps"][0]["provider"] == "flow.goto"


def test_patch_saves_a_new_version(alice_api, flow):
    document = {**INVOICE_FLOW, "name": "Renamed", "steps": [ko("x", code="c")]}

    response = alice_api.patch(f"/workflows/{flow.id}", document)

    assert response.status_code == 200
    assert response.json()["workflow"]["version"] == 2
    assert response.json()["workflow"]["name"] == "Renamed"
    assert export(flow, 1)["name"] == "Three outcomes"  # versions are immutable


def test_a_version_saved_through_the_api_is_the_token_creators(alice_api, alice):
    workflow_id = uuid.uuid4()
    alice_api.put(f"/workflows/{workflow_id}", INVOICE_FLOW)
    alice_api.patch(f"/workflows/{workflow_id}", {**INVOICE_FLOW, "name": "Renamed"})

    versions = Workflow.objects.get(pk=workflow_id).versions.order_by("number")
    assert [v.created_by for v in versions] == [alice.user, alice.user]


def test_patch_with_a_stale_if_match_is_a_conflict(alice_api, flow):
    assert (
        alice_api.patch(f"/workflows/{flow.id}", INVOICE_FLOW, HTTP_IF_MATCH="1").status_code == 200
    )

    stale = alice_api.patch(f"/workflows/{flow.id}", INVOICE_FLOW, HTTP_IF_MATCH="1")

    assert stale.status_code == 409
    assert "version 2" in stale.json()["message"]
    flow.refresh_from_db()
    assert flow.current_version == 2


def test_patch_cannot_change_the_schema(alice_api, flow):
    response = alice_api.patch(f"/workflows/{flow.id}", {**INVOICE_FLOW, "schema": "org/party"})
    assert response.status_code == 422
    assert "schema" in response.json()["fields"]


def test_get_gives_what_copy_json_gives(alice_api, flow):
    response = alice_api.get(f"/workflows/{flow.id}")
    assert response.status_code == 200
    assert response.json() == export(flow)


def test_a_workflow_round_trips_through_the_api(alice_api, bob_api, flow):
    exported = alice_api.get(f"/workflows/{flow.id}").json()

    pasted = bob_api.put(f"/workflows/{uuid.uuid4()}", exported).json()["workflow"]

    again = bob_api.get(f"/workflows/{pasted['id']}").json()
    strip = ("id", "version")
    assert {k: v for k, v in again.items() if k not in strip} == {
        k: v for k, v in exported.items() if k not in strip
    }


def test_list_newest_first_with_a_schema_filter(alice_api, alice, flow):
    party, _ = create_workflow(
        alice.workspace, {**INVOICE_FLOW, "name": "P", "schema": "org/party"}
    )

    everything = alice_api.get("/workflows").json()
    first = alice_api.get("/workflows?limit=1").json()
    second = alice_api.get(f"/workflows?limit=1&cursor={first['next_cursor']}").json()
    parties = alice_api.get("/workflows?schema=org/party").json()

    assert [w["id"] for w in everything["items"]] == [str(party.id), str(flow.id)]
    assert everything["items"][0] | {"schema": "org/party", "version": 1, "name": "P"}
    assert [w["id"] for w in first["items"] + second["items"]] == [str(party.id), str(flow.id)]
    assert second["next_cursor"] is None
    assert [w["id"] for w in parties["items"]] == [str(party.id)]


def test_another_workspaces_workflows_are_404(alice_api, bob):
    bobs, _ = create_workflow(bob.workspace, INVOICE_FLOW)

    assert alice_api.get(f"/workflows/{bobs.id}").status_code == 404
    assert alice_api.patch(f"/workflows/{bobs.id}", INVOICE_FLOW).status_code == 404
    assert alice_api.put(f"/workflows/{bobs.id}", INVOICE_FLOW).status_code == 409
    assert alice_api.get("/workflows").json()["items"] == []
    bobs.refresh_from_db()
    assert bobs.current_version == 1


def test_the_json_schema_of_the_format(alice_api):
    response = alice_api.get("/workflows/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["title"] == "Workflow"
    assert {"name", "schema", "steps"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
