"""Anyone signed in makes a workspace (and owns it); owners rename and delete theirs,
seeing first what goes with it; deleting waits for running jobs."""

from django.urls import reverse

from console.models import Membership, Workspace
from jobs.models import Job, Status
from jobs.services import create_job
from silo.models import Entry
from tests.factories import invoice, make_entry
from tests.jobs.flows import ok
from workflows.services import create_workflow


def test_a_new_workspace_is_mine_and_current(alice_client, alice):
    response = alice_client.post(reverse("workspaces:create"), {"name": "  Beta  team "})

    beta = Workspace.objects.get(name="Beta team")
    assert response.url == reverse("home")
    assert Membership.objects.get(workspace=beta).role == "owner"
    assert alice_client.get(reverse("silo:list")).context["current_workspace"] == beta


def test_a_workspace_needs_a_name(alice_client, alice):
    response = alice_client.post(reverse("workspaces:create"), {"name": "   "})

    assert response.status_code == 400
    assert Workspace.objects.count() == 1


def test_an_owner_renames_the_workspace(alice_client, alice):
    alice_client.post(reverse("workspaces:rename"), {"name": "Acme Corp"})

    alice.workspace.refresh_from_db()
    assert alice.workspace.name == "Acme Corp"


def test_the_delete_page_says_what_goes(alice_client, alice):
    make_entry(alice.workspace, invoice("D-1"))

    response = alice_client.get(reverse("workspaces:manage"))

    assert "1 entry" in response.context["contents"]
    assert b"<li>1 member</li>" in response.content


def flow_with_job(workspace, status):
    workflow, _ = create_workflow(
        workspace, {"name": "F", "schema": "bill/invoice", "steps": [ok("a")]}
    )
    job, _ = create_job(workspace, workflow, entry=make_entry(workspace, invoice("J-1")))
    Job.objects.filter(pk=job.pk).update(status=status)
    return job


def test_deleting_is_refused_while_a_job_runs(alice_client, alice):
    flow_with_job(alice.workspace, Status.RUN)

    response = alice_client.post(reverse("workspaces:delete"), {"confirm_name": "Acme"})

    assert response.status_code == 409
    assert b"still queued or running" in response.content
    assert Workspace.objects.filter(pk=alice.workspace.pk).exists()


def test_deleting_needs_the_name_typed(alice_client, alice):
    response = alice_client.post(reverse("workspaces:delete"), {"confirm_name": "acme?"})

    assert response.status_code == 400
    assert Workspace.objects.filter(pk=alice.workspace.pk).exists()


def test_deleting_takes_everything_in_it_and_nothing_else(alice_client, alice, bob):
    flow_with_job(alice.workspace, Status.OK)
    make_entry(bob.workspace, invoice("B-1"))

    response = alice_client.post(reverse("workspaces:delete"), {"confirm_name": "Acme"})

    assert response.url == reverse("home")
    assert not Workspace.objects.filter(pk=alice.workspace.pk).exists()
    assert Job.objects.count() == 0
    assert list(Entry.objects.values_list("workspace_id", flat=True)) == [bob.workspace.pk]
    assert alice_client.get(reverse("silo:list")).status_code == 403  # no workspace left
