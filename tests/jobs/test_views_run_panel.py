"""The entry page's Run Workflow panel: pick a workflow of the entry's schema, run it."""

from django.urls import reverse

from jobs.models import Job
from tests.factories import make_entry
from tests.jobs.flows import ok
from workflows.models import Workflow
from workflows.services import create_workflow


def make_workflow(workspace, name, schema="bill/invoice"):
    workflow, _ = create_workflow(workspace, {"name": name, "schema": schema, "steps": [ok("a")]})
    return workflow


def panel(client, entry, **params):
    return client.get(reverse("silo:run_panel", args=[entry.pk]), params)


def run(client, entry, workflow_id):
    return client.post(reverse("silo:run_workflow", args=[entry.pk]), {"workflow": workflow_id})


def test_the_panel_offers_only_live_workflows_of_the_entrys_schema(alice_client, alice, bob):
    entry = make_entry(alice.workspace)
    make_workflow(alice.workspace, "Issue and send")
    make_workflow(alice.workspace, "Register party", schema="org/party")
    Workflow.objects.filter(pk=make_workflow(alice.workspace, "Old issue").pk).update(archived=True)
    make_workflow(bob.workspace, "Bob's issue")

    response = panel(alice_client, entry)

    assert [w.name for w in response.context["workflows"]] == ["Issue and send"]
    html = response.content.decode()
    assert "Issue and send" in html
    assert "Register party" not in html and "Old issue" not in html and "Bob" not in html


def test_searching_narrows_the_workflows_by_name(alice_client, alice):
    entry = make_entry(alice.workspace)
    make_workflow(alice.workspace, "Issue and send")
    make_workflow(alice.workspace, "Send reminder")

    response = panel(alice_client, entry, q="  REMIND ")

    assert [w.name for w in response.context["workflows"]] == ["Send reminder"]
    assert (
        "No workflow of bill/invoice matches"
        in panel(alice_client, entry, q="zzz").content.decode()
    )


def test_running_a_workflow_creates_a_console_job_and_links_to_it(alice_client, alice):
    entry = make_entry(alice.workspace)
    workflow = make_workflow(alice.workspace, "Issue and send")

    response = run(alice_client, entry, workflow.pk)

    job = Job.objects.get()
    assert (job.workflow, job.entry, job.trigger, job.created_by) == (
        workflow,
        entry,
        "console",
        alice.user,
    )
    assert job.version.number == 1
    assert reverse("jobs:detail", args=[job.pk]) in response.content.decode()


def test_the_run_form_posts_with_the_csrf_token(client, alice):
    client.handler.enforce_csrf_checks = True
    client.force_login(alice.user)
    entry = make_entry(alice.workspace)
    workflow = make_workflow(alice.workspace, "Issue and send")

    assert run(client, entry, workflow.pk).status_code == 403
    html = panel(client, entry).content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(
        reverse("silo:run_workflow", args=[entry.pk]),
        {"workflow": workflow.pk, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 200
    assert Job.objects.count() == 1


def test_a_refused_job_is_explained_in_the_panel(alice_client, alice):
    entry = make_entry(alice.workspace)
    party_workflow = make_workflow(alice.workspace, "Register party", schema="org/party")

    response = run(alice_client, entry, party_workflow.pk)

    assert response.status_code == 200
    assert "This workflow runs on org/party documents" in response.content.decode()
    assert not Job.objects.exists()


def test_no_pick_a_bad_id_or_bobs_workflow_asks_to_pick_one(alice_client, alice, bob):
    entry = make_entry(alice.workspace)
    bobs = make_workflow(bob.workspace, "Bob's issue")

    for picked in ("", "not-a-uuid", bobs.pk):
        response = run(alice_client, entry, picked)
        assert response.status_code == 200
        assert "Pick a workflow to run." in response.content.decode()
    assert not Job.objects.exists()


def test_without_a_workflow_the_panel_says_so(alice_client, alice):
    entry = make_entry(alice.workspace)

    html = panel(alice_client, entry).content.decode()

    assert "No workflow exists yet for <strong>bill/invoice</strong>" in html
