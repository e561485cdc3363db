"""Developer mode: the draft as pretty JSON; switching back validates and stores it."""

import json

from django.contrib.messages import get_messages
from django.urls import reverse

from tests.jobs.flows import ok
from workflows import drafts
from workflows.services import create_workflow, export


def make_workflow(workspace, name="Issue", schema="bill/invoice"):
    workflow, _ = create_workflow(workspace, {"name": name, "schema": schema, "steps": [ok("a")]})
    return workflow


def page(client, workflow):
    return client.get(reverse("workflows:developer", args=[workflow.pk]))


def apply(client, workflow, text):
    return client.post(reverse("workflows:developer", args=[workflow.pk]), {"json": text})


def test_developer_mode_shows_the_workflow_as_pretty_json(alice_client, alice):
    workflow = make_workflow(alice.workspace)

    response = page(alice_client, workflow)

    text = response.context["text"]
    assert json.loads(text) == export(workflow)
    assert text.startswith('{\n  "id": "') and list(json.loads(text))[:2] == ["id", "name"]
    assert 'role="switch" aria-checked="true"' in response.content.decode()


def test_developer_mode_shows_the_users_draft_not_the_saved_version(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    edited = {**drafts.load(workflow, alice.user), "description": "being edited"}
    drafts.store(workflow, alice.user, edited)

    response = page(alice_client, workflow)

    assert json.loads(response.context["text"])["description"] == "being edited"


def test_switching_back_stores_valid_json_into_the_draft(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    document = export(workflow)
    document["steps"].append(ok("b"))
    document["id"] = "00000000-0000-0000-0000-000000000000"  # a pasted id is ignored
    document["version"] = 99  # read-only

    response = apply(alice_client, workflow, json.dumps(document))

    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:edit", args=[workflow.pk])
    draft = drafts.load(workflow, alice.user)
    assert [s["id"] for s in draft["steps"]] == ["a", "b"]
    assert "id" not in draft and "version" not in draft
    workflow.refresh_from_db()
    assert workflow.current_version == 1  # stored as a draft, not saved


def test_an_invalid_document_lists_problems_by_path_and_stores_nothing(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    document = export(workflow)
    document["steps"][0]["next"] = [{"status": "MAYBE", "steps": []}]
    text = json.dumps(document, indent=2)

    response = apply(alice_client, workflow, text)

    assert response.status_code == 400
    html = response.content.decode()
    assert '<code class="path">steps[0].next[0].status</code>' in html
    assert response.context["text"] == text  # the edits stay for fixing
    assert drafts.get(workflow, alice.user) is None


def test_broken_json_says_where(alice_client, alice):
    workflow = make_workflow(alice.workspace)

    response = apply(alice_client, workflow, '{\n  "name": "x",\n}')

    assert response.status_code == 400
    assert "line 3, column 1" in response.content.decode()
    assert 'data-error-line="3" data-error-column="1"' in response.content.decode()


def test_the_schema_cannot_change(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    party = {"name": "Register", "schema": "org/party", "steps": []}

    response = apply(alice_client, workflow, json.dumps(party))

    assert response.status_code == 400
    assert '<code class="path">schema</code>' in response.content.decode()
    assert "Import JSON" in response.content.decode()
    assert drafts.get(workflow, alice.user) is None


def test_pasting_another_workspaces_json_makes_the_same_workflow_here(client, alice, bob):
    theirs, _ = create_workflow(
        alice.workspace,
        {"name": "Issue", "schema": "bill/invoice", "steps": [ok("a"), ok("b")]},
    )
    mine = make_workflow(bob.workspace, "Empty")
    client.force_login(bob.user)

    apply(client, mine, json.dumps(export(theirs)))
    drafts.publish(mine, bob.user)

    copied = export(mine)
    original = export(theirs)
    assert copied["id"] == str(mine.pk)
    for key in ("name", "description", "schema", "steps", "rescue"):
        assert copied[key] == original[key]


def test_legacy_jumps_are_converted_and_a_missing_secret_is_flagged(alice_client, alice):
    workflow = make_workflow(alice.workspace)
    document = {
        "name": "Legacy",
        "schema": "bill/invoice",
        "steps": [
            {**ok("a"), "next": [{"status": "SKIP", "step_id": "hook"}]},
            {
                "id": "hook",
                "provider": "webhook.post",
                "config": {"url": "http://127.0.0.1:9/in", "secret": "signing"},
            },
        ],
    }

    response = apply(alice_client, workflow, json.dumps(document))

    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("converted 1 deprecated jump" in m for m in said)
    assert any("steps[1].config.secret: this workspace has no secret named" in m for m in said)
    block = drafts.load(workflow, alice.user)["steps"][0]["next"][0]
    assert (block["status"], block["code"], block["steps"][0]["provider"]) == (
        "OK",
        "skip",
        "flow.goto",
    )


def test_discard_is_a_link_back_that_stores_nothing(alice_client, alice):
    workflow = make_workflow(alice.workspace)

    html = page(alice_client, workflow).content.decode()

    edit = reverse("workflows:edit", args=[workflow.pk])
    assert f'<a class="button" href="{edit}">Discard changes</a>' in html


def test_another_workspaces_workflow_is_a_404(alice_client, bob):
    theirs = make_workflow(bob.workspace)

    assert page(alice_client, theirs).status_code == 404
    assert apply(alice_client, theirs, json.dumps(export(theirs))).status_code == 404
    assert drafts.get(theirs, None) is None


def test_the_editor_toolbar_has_the_switch(alice_client, alice):
    workflow = make_workflow(alice.workspace)

    html = alice_client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()

    assert reverse("workflows:developer", args=[workflow.pk]) in html
    assert reverse("workflows:versions", args=[workflow.pk]) in html
    assert reverse("workflows:run_panel", args=[workflow.pk]) in html
