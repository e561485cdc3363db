"""A workflow's Run panel: pick a document of its schema and/or give arguments, run."""

from django.urls import reverse

from jobs.models import Job
from tests.factories import invoice, load_gobl, make_entry
from tests.jobs.flows import ok
from workflows.models import Workflow
from workflows.services import create_workflow

HTMX = {"HX-Request": "true"}


def make_workflow(workspace, name="Issue", schema="bill/invoice"):
    workflow, _ = create_workflow(workspace, {"name": name, "schema": schema, "steps": [ok("a")]})
    return workflow


def panel(client, workflow, **params):
    return client.get(reverse("workflows:run_panel", args=[workflow.pk]), params, headers=HTMX)


def run(client, workflow, data, htmx=True):
    url = reverse("workflows:run_start", args=[workflow.pk])
    return client.post(url, data, headers=HTMX if htmx else {})


def test_the_panel_offers_documents_of_the_workflows_schema_only(alice_client, alice, bob):
    workflow = make_workflow(alice.workspace)
    mine = make_entry(alice.workspace, invoice("INV-7"))
    party = make_entry(alice.workspace, load_gobl("es-party.json"))
    assert party.schema == "org/party"
    make_entry(bob.workspace, invoice("BOB-1"))

    response = panel(alice_client, workflow)

    assert [e.pk for e in response.context["entries"]] == [mine.pk]
    html = response.content.decode()
    assert "INV-7" in html and "BOB-1" not in html and "<html" not in html


def test_searching_narrows_the_documents(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    make_entry(alice.workspace, invoice("INV-1", supplier="Acme"))
    wanted = make_entry(alice.workspace, invoice("INV-2", supplier="Globex Trading"))

    response = panel(alice_client, workflow, q="  globex ")

    assert [e.pk for e in response.context["entries"]] == [wanted.pk]
    assert (
        "No bill/invoice document matches"
        in panel(alice_client, workflow, q="zzz").content.decode()
    )


def test_a_search_keeps_the_picked_document_checked(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    picked = make_entry(alice.workspace, invoice("INV-1"))
    make_entry(alice.workspace, invoice("INV-2"))

    html = panel(alice_client, workflow, q="inv", entry=str(picked.pk)).content.decode()

    assert f'value="{picked.pk}" checked' in html
    assert 'value="" checked' not in html


def test_running_on_a_document_creates_a_job_and_links_to_it(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    entry = make_entry(alice.workspace)

    response = run(alice_client, workflow, {"entry": entry.pk, "arg_key": [""], "arg_value": [""]})

    job = Job.objects.get()
    assert (job.workflow, job.entry, job.args, job.trigger) == (workflow, entry, {}, "console")
    assert job.created_by == alice.user
    html = response.content.decode()
    assert reverse("jobs:detail", args=[job.pk]) in html and "Open the job" in html


def test_running_with_arguments_only(alice_client, alice):
    workflow = make_workflow(alice.workspace)

    run(
        alice_client,
        workflow,
        {"entry": "", "arg_key": ["customer", " ", "lang"], "arg_value": ["C-1", "", "es"]},
    )

    job = Job.objects.get()
    assert job.entry is None and job.args == {"customer": "C-1", "lang": "es"}


def test_neither_a_document_nor_arguments_is_refused_clearly(alice_client, alice):
    workflow = make_workflow(alice.workspace)

    response = run(alice_client, workflow, {"entry": "", "arg_key": [""], "arg_value": [""]})

    assert response.status_code == 200  # htmx swaps the panel with the message
    assert "Pick a document or give at least one argument." in response.content.decode()
    assert not Job.objects.exists()


def test_bad_arguments_are_refused_and_kept_for_fixing(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    cases = [
        (
            {"arg_key": ["", "b"], "arg_value": ["orphan", "2"]},
            "Argument 1 has a value but no name.",
        ),
        (
            {"arg_key": ["a", "a"], "arg_value": ["1", "2"]},
            "The argument &#x27;a&#x27; is given twice.",
        ),
        ({"arg_key": ["a"], "arg_value": ["x" * 10_001]}, "is too long"),
    ]
    for data, message in cases:
        response = run(alice_client, workflow, data)
        html = response.content.decode()
        assert message in html, message
    assert 'value="orphan"' in run(alice_client, workflow, cases[0][0]).content.decode()
    assert not Job.objects.exists()


def test_a_document_of_another_schema_or_workspace_is_refused(alice_client, alice, bob):
    workflow = make_workflow(alice.workspace, schema="org/party")
    wrong_schema = make_entry(alice.workspace)
    theirs = make_entry(bob.workspace)

    schema = run(alice_client, workflow, {"entry": wrong_schema.pk}).content.decode()
    foreign = run(alice_client, workflow, {"entry": theirs.pk}).content.decode()
    garbage = run(alice_client, workflow, {"entry": "not-a-uuid"}).content.decode()

    assert "This workflow runs on org/party documents" in schema
    assert "The picked document does not exist" in foreign
    assert "The picked document does not exist" in garbage
    assert not Job.objects.exists()


def test_without_htmx_a_refusal_is_a_400_and_a_run_redirects_to_the_job(alice_client, alice):
    workflow = make_workflow(alice.workspace)

    refused = run(alice_client, workflow, {}, htmx=False)
    started = run(alice_client, workflow, {"arg_key": ["a"], "arg_value": ["1"]}, htmx=False)

    assert refused.status_code == 400 and "<html" in refused.content.decode()
    job = Job.objects.get()
    assert started.status_code == 302
    assert started["Location"] == reverse("jobs:detail", args=[job.pk])


def test_without_htmx_the_panel_is_a_page_of_its_own(alice_client, alice):
    workflow = make_workflow(alice.workspace)

    response = alice_client.get(reverse("workflows:run_panel", args=[workflow.pk]))

    html = response.content.decode()
    assert "<html" in html and f"Run {workflow.name}" in html


def test_an_archived_workflow_cannot_be_run(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    Workflow.objects.filter(pk=workflow.pk).update(archived=True)

    assert panel(alice_client, workflow).status_code == 404
    assert run(alice_client, workflow, {"arg_key": ["a"], "arg_value": ["1"]}).status_code == 404
    assert not Job.objects.exists()


def test_another_workspaces_workflow_is_a_404(alice_client, bob):
    theirs = make_workflow(bob.workspace)

    assert panel(alice_client, theirs).status_code == 404
    assert run(alice_client, theirs, {"arg_key": ["a"], "arg_value": ["1"]}).status_code == 404
    assert not Job.objects.exists()


def test_the_list_and_the_editor_open_the_panel(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    url = reverse("workflows:run_panel", args=[workflow.pk])

    listed = alice_client.get(reverse("workflows:list")).content.decode()
    edited = alice_client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()

    assert f'hx-get="{url}"' in listed and f'hx-get="{url}"' in edited
