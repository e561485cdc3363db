"""A job created through the API reads its workflow as it is now: right after a save it
runs the saved version, right after archiving it is refused, right after restoring it
is taken again; with Redis the workflow is read through the shared cache
(workflows.selectors.for_new_job), so each of these follows a request that cached it."""

import pytest

from tests.factories import INVOICE_FLOW
from workflows import services
from workflows.services import create_workflow


@pytest.fixture
def flow(alice):
    workflow, _ = create_workflow(alice.workspace, INVOICE_FLOW)
    return workflow


def create(api, flow):
    return api.post("/jobs", {"workflow_id": str(flow.id), "args": {"n": "1"}})


def test_a_job_created_after_a_save_runs_the_saved_version(alice_api, flow):
    assert create(alice_api, flow).json()["workflow_version"] == 1

    services.save_version(flow, {**INVOICE_FLOW, "name": "Renamed"}, expected_version=1)

    assert create(alice_api, flow).json()["workflow_version"] == 2


def test_archiving_refuses_new_jobs_at_once_and_restoring_takes_them_again(alice_api, flow):
    assert create(alice_api, flow).status_code == 201

    services.remove(flow)  # it has a job: archived
    refused = create(alice_api, flow)
    services.unarchive(flow)

    assert refused.status_code == 422
    assert "archived" in refused.json()["message"]
    assert create(alice_api, flow).status_code == 201


def test_another_workspaces_request_does_not_get_the_cached_workflow(alice_api, bob_api, flow):
    assert create(alice_api, flow).status_code == 201

    answer = create(bob_api, flow)

    assert answer.status_code == 422
    assert answer.json()["fields"] == {"workflow_id": "no workflow with this id here"}
