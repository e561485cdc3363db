"""The demo workspace's AEAT settings point at the local test AEAT (make run)."""

from jobs.services import create_job
from silo.services import create_entry
from tests.agencies.test_verifactu_send import finish, send
from tests.agencies.verifactu_samples import invoice
from workflows.agencies.aeat import credentials
from workflows.agencies.demo import ISSUER, use_local_aeat
from workflows.agencies.models import AeatSettings
from workflows.services import create_workflow


def test_the_demo_workspace_registers_its_invoices_with_the_local_aeat(alice, aeat):
    workspace = alice.workspace

    assert use_local_aeat(workspace) is True
    assert use_local_aeat(workspace) is False  # once is enough

    found = credentials.for_workspace(workspace)
    assert (found.environment, found.issuer) == ("local", ISSUER)
    assert AeatSettings.Environment("local").label.startswith("Local test AEAT")
    entry, _ = create_entry(workspace, invoice(code="004"))
    workflow, _ = create_workflow(
        workspace, {"name": "t", "schema": "bill/invoice", "steps": [send()], "rescue": []}
    )
    job = finish(create_job(workspace, workflow, entry=entry)[0])
    assert job.intents.get(step_id="send").status == "OK"
    assert len(aeat.held(ISSUER)) == 1


def test_without_a_local_aeat_the_demo_is_left_as_it_is(alice, settings):
    settings.AEAT_LOCAL_URL = ""

    assert use_local_aeat(alice.workspace) is False
    assert not AeatSettings.objects.filter(workspace=alice.workspace).exists()
