"""The workflows list and its actions: create from a template, duplicate, copy JSON,
import JSON, delete or archive; every one scoped to the current workspace."""

import json

from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from console import secrets
from console.models import Membership
from jobs.models import Job
from jobs.services import create_job
from tests.jobs.flows import ok
from workflows import drafts, starters
from workflows.models import Workflow, WorkflowVersion
from workflows.services import create_workflow, export, save_version


def make_workflow(workspace, name="Issue", schema="bill/invoice", steps=None):
    data = {"name": name, "schema": schema, "steps": steps if steps is not None else [ok("a")]}
    workflow, _ = create_workflow(workspace, data)
    return workflow


def run_once(workspace, workflow):
    job, _ = create_job(workspace, workflow, args={"n": "1"})
    return job


def test_the_list_shows_name_schema_version_and_last_run(alice_client, alice, bob):
    never = make_workflow(alice.workspace, "Register party", schema="org/party")
    ran = make_workflow(alice.workspace, "Issue and send")
    save_version(ran, export(ran), expected_version=1)
    run_once(alice.workspace, ran)
    latest = run_once(alice.workspace, ran)
    Job.objects.filter(pk=latest.pk).update(status="KO")
    make_workflow(bob.workspace, "Bob's workflow")

    response = alice_client.get(reverse("workflows:list"))

    rows = {w.name: w for w in response.context["workflows"]}
    assert list(rows) == ["Issue and send", "Register party"]
    assert rows["Issue and send"].last_run_id == latest.pk
    assert rows["Issue and send"].last_run_status == "KO"
    assert rows["Register party"].last_run_id is None
    html = response.content.decode()
    assert "org/party" in html and "v2" in html and "Never run" in html
    assert reverse("jobs:detail", args=[latest.pk]) in html
    assert "Bob" not in html
    assert never.pk  # listed above


def test_the_list_costs_the_same_queries_for_many_workflows(alice_client, alice):
    for n in range(3):
        run_once(alice.workspace, make_workflow(alice.workspace, f"W{n}"))
    alice_client.get(reverse("workflows:list"))  # the session's first request sets it up
    with CaptureQueriesContext(connection) as few:
        alice_client.get(reverse("workflows:list"))
    for n in range(3, 12):
        run_once(alice.workspace, make_workflow(alice.workspace, f"W{n}"))
    with CaptureQueriesContext(connection) as many:
        response = alice_client.get(reverse("workflows:list"))

    assert len(response.context["workflows"]) == 12
    assert len(many) == len(few)


def test_archived_workflows_are_not_listed(alice_client, alice):
    Workflow.objects.filter(pk=make_workflow(alice.workspace, "Old").pk).update(archived=True)

    response = alice_client.get(reverse("workflows:list"))

    assert list(response.context["workflows"]) == []
    assert "No workflows yet" in response.content.decode()


def test_create_offers_the_templates_and_makes_version_1(alice_client, alice):
    picker = alice_client.get(reverse("workflows:create"))
    html = picker.content.decode()
    for name in ("Empty Invoice workflow", "Empty Party workflow", "Issue and send invoice"):
        assert name in html

    response = alice_client.post(
        reverse("workflows:create"), {"template": "issue-and-send", "name": "  My   flow "}
    )

    workflow = Workflow.objects.get()
    assert workflow.workspace == alice.workspace
    assert (workflow.name, workflow.schema, workflow.current_version) == (
        "My flow",
        "bill/invoice",
        1,
    )
    assert [s["id"] for s in export(workflow)["steps"]] == ["processing", "has-total", "sent"]
    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:edit", args=[workflow.pk])


def test_create_with_htmx_returns_the_picker_alone(alice_client, alice):
    response = alice_client.get(reverse("workflows:create"), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert 'role="dialog"' in html and "<html" not in html


def test_create_refuses_an_unknown_template(alice_client, alice):
    response = alice_client.post(reverse("workflows:create"), {"template": "../secrets"})

    assert response.status_code == 400
    assert "Pick one of the templates." in response.content.decode()
    assert not Workflow.objects.exists()


def test_duplicate_makes_a_copy_at_version_1(alice_client, alice):
    workflow = make_workflow(alice.workspace, "Issue")
    save_version(workflow, {**export(workflow), "description": "v2"}, expected_version=1)

    response = alice_client.post(reverse("workflows:duplicate", args=[workflow.pk]), follow=True)

    copy = Workflow.objects.get(name="Copy of Issue")
    assert copy.pk != workflow.pk and copy.current_version == 1
    assert _comparable(export(copy)) == {**_comparable(export(workflow)), "name": "Copy of Issue"}
    assert "Duplicated Issue as Copy of Issue." in response.content.decode()


def test_copy_json_is_the_export_without_secret_values(alice_client, alice):
    secrets.set_secret(alice.workspace, "hooks", "s3cr3t-value")
    workflow = make_workflow(
        alice.workspace,
        steps=[
            {
                "id": "hook",
                "provider": "webhook.post",
                "config": {"url": "http://127.0.0.1:9/in", "secret": "hooks"},
            }
        ],
    )

    response = alice_client.get(reverse("workflows:export", args=[workflow.pk]))

    assert response["Content-Type"] == "application/json"
    assert response.json() == export(workflow)
    assert response.json()["steps"][0]["config"]["secret"] == "hooks"
    assert "s3cr3t-value" not in response.content.decode()


def test_import_creates_the_same_workflow_in_another_workspace(client, alice, bob):
    source = _issue_and_send(alice.workspace)
    text = json.dumps(export(source))
    client.force_login(bob.user)

    response = client.post(reverse("workflows:import"), {"json": text})

    imported = Workflow.objects.get(workspace=bob.workspace)
    assert imported.pk != source.pk
    assert response["Location"] == reverse("workflows:edit", args=[imported.pk])
    assert _comparable(export(imported)) == _comparable(export(source))


def test_import_flags_a_secret_the_workspace_lacks(client, alice, bob):
    data = {
        "name": "Notify",
        "schema": "bill/invoice",
        "steps": [
            {
                "id": "hook",
                "provider": "webhook.post",
                "config": {"url": "http://127.0.0.1:9/in", "secret": "hooks"},
            }
        ],
    }
    client.force_login(bob.user)

    response = client.post(reverse("workflows:import"), {"json": json.dumps(data)})

    assert Workflow.objects.filter(workspace=bob.workspace, name="Notify").exists()
    assert "steps[0].config.secret: this workspace has no secret named 'hooks'" in said(response)


def test_import_converts_the_legacy_flat_form_and_says_so(alice_client, alice):
    data = {
        "name": "Legacy",
        "schema": "bill/invoice",
        "steps": [
            {**ok("a"), "next": [{"status": "TIMEOUT", "step_id": "c"}]},
            ok("b"),
            ok("c"),
        ],
    }

    response = alice_client.post(reverse("workflows:import"), {"json": json.dumps(data)})

    block = export(Workflow.objects.get())["steps"][0]["next"][0]
    assert (block["status"], block["code"]) == ("KO", "timeout")
    assert block["steps"][0]["provider"] == "flow.goto"
    assert "converted 1 deprecated jump" in said(response)


def test_import_lists_each_problem_by_json_path_and_keeps_the_text(alice_client, alice):
    data = {
        "name": "",
        "schema": "bill/invoice",
        "steps": [ok("a"), {"id": "b", "provider": "no.such"}],
        "colour": "red",
    }
    text = json.dumps(data)

    response = alice_client.post(reverse("workflows:import"), {"json": text})

    assert response.status_code == 400
    html = response.content.decode()
    for path in ('<code class="path">name</code>', '<code class="path">colour</code>'):
        assert path in html
    assert "unknown key" in html
    assert "nothing was saved" in html
    assert "&quot;colour&quot;: &quot;red&quot;" in html  # the text is kept for fixing
    assert not Workflow.objects.exists()


def test_import_says_where_broken_json_breaks(alice_client, alice):
    response = alice_client.post(reverse("workflows:import"), {"json": '{"name": "x",\n  oops}'})

    assert response.status_code == 400
    assert "not valid JSON" in response.content.decode()
    assert "line 2, column 3" in response.content.decode()


def test_import_refuses_empty_and_non_object_text(alice_client, alice):
    for text in ("", "   ", "[1, 2]", '"a string"'):
        response = alice_client.post(reverse("workflows:import"), {"json": text})
        assert response.status_code == 400, text
    assert not Workflow.objects.exists()


def test_delete_destroys_a_workflow_that_never_ran(alice_client, alice):
    workflow = make_workflow(alice.workspace, "Scratch")
    confirm = alice_client.get(reverse("workflows:delete", args=[workflow.pk]))
    assert "It has never run" in confirm.content.decode()

    response = alice_client.post(reverse("workflows:delete", args=[workflow.pk]), follow=True)

    assert not Workflow.objects.exists() and not WorkflowVersion.objects.exists()
    assert "Deleted Scratch." in response.content.decode()


def test_delete_says_whose_unsaved_drafts_go_with_it(alice_client, alice):
    workflow = make_workflow(alice.workspace, "Shared")
    carol = get_user_model().objects.create_user("carol")
    Membership.objects.create(user=carol, workspace=alice.workspace, role=Membership.Role.EDITOR)
    url = reverse("workflows:delete", args=[workflow.pk])
    assert "drafts-lost" not in alice_client.get(url).content.decode()

    edited = {**drafts.load(workflow, carol), "description": "carol's idea"}
    drafts.store(workflow, carol, edited)
    assert "Unsaved drafts go with it: carol’s." in alice_client.get(url).content.decode()
    drafts.store(workflow, alice.user, edited)
    assert "Unsaved drafts go with it: yours and carol’s." in alice_client.get(url).content.decode()


def test_delete_archives_a_workflow_with_jobs(alice_client, alice):
    workflow = make_workflow(alice.workspace, "Used")
    job = run_once(alice.workspace, workflow)
    confirm = alice_client.get(reverse("workflows:delete", args=[workflow.pk]))
    assert "archived" in confirm.content.decode()

    response = alice_client.post(reverse("workflows:delete", args=[workflow.pk]), follow=True)

    workflow.refresh_from_db()
    assert workflow.archived and Job.objects.filter(pk=job.pk).exists()
    assert "Archived Used" in response.content.decode()
    assert list(response.context["workflows"]) == []


def test_archived_workflows_are_listed_apart_and_can_come_back(alice_client, alice):
    workflow = make_workflow(alice.workspace, "Used")
    run_once(alice.workspace, workflow)
    make_workflow(alice.workspace, "Live")
    alice_client.post(reverse("workflows:delete", args=[workflow.pk]))

    archived = alice_client.get(reverse("workflows:list"), {"archived": "1"})
    assert [w.name for w in archived.context["workflows"]] == ["Used"]
    assert "Unarchive" in archived.content.decode()

    response = alice_client.post(reverse("workflows:unarchive", args=[workflow.pk]), follow=True)

    workflow.refresh_from_db()
    assert not workflow.archived
    assert [w.name for w in response.context["workflows"]] == ["Live", "Used"]
    assert "Used is back in the list." in response.content.decode()


def test_unarchive_refuses_a_live_workflow(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    response = alice_client.post(reverse("workflows:unarchive", args=[workflow.pk]))
    assert response.status_code == 404


def test_delete_needs_a_post(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    alice_client.get(reverse("workflows:delete", args=[workflow.pk]))
    assert Workflow.objects.filter(pk=workflow.pk).exists()


def test_another_workspaces_workflow_is_a_404_for_every_action(alice_client, bob):
    theirs = make_workflow(bob.workspace, "Bob's")
    archived = make_workflow(bob.workspace, "Bob's old")
    Workflow.objects.filter(pk=archived.pk).update(archived=True)
    assert alice_client.post(reverse("workflows:unarchive", args=[archived.pk])).status_code == 404
    urls = [
        ("get", "workflows:export"),
        ("post", "workflows:duplicate"),
        ("get", "workflows:delete"),
        ("post", "workflows:delete"),
        ("post", "workflows:unarchive"),
    ]
    for method, name in urls:
        response = getattr(alice_client, method)(reverse(name, args=[theirs.pk]))
        assert response.status_code == 404, name
    theirs.refresh_from_db()
    assert not theirs.archived and Workflow.objects.filter(archived=True).count() == 1


def test_the_list_needs_a_login(client):
    for name in ("workflows:list", "workflows:create", "workflows:import"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_nav_links_to_the_list(alice_client, alice):
    response = alice_client.get(reverse("jobs:history"))
    assert f'href="{reverse("workflows:list")}"' in response.content.decode()


def _issue_and_send(workspace):
    workflow, _ = create_workflow(workspace, starters.get("issue-and-send"))
    return workflow


def said(response):
    """The messages a redirect leaves for the next page."""
    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


def _comparable(document):
    return {k: v for k, v in document.items() if k not in ("id", "version")}


def test_choosing_a_template_shows_its_steps_before_anything_is_created(alice_client, alice):
    response = alice_client.get(reverse("workflows:create"), {"template": "check-tax-ids"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Load Template" in html and 'name="template" value="check-tax-ids"' in html
    assert "1. Check the supplier&#x27;s tax ID" in html and "Validate tax ID" in html
    assert "Exception: KO, code missing_tax_id" in html and "Error handling flow" in html
    assert not Workflow.objects.exists()


def test_a_template_link_to_an_unknown_template_says_so(alice_client, alice):
    response = alice_client.get(reverse("workflows:create"), {"template": "nope"})

    html = response.content.decode()
    assert "There is no template &#x27;nope&#x27;." in html
    assert "Empty Invoice workflow" in html  # the list, to choose another
