"""The editor's views: each edit answers with the canvas and lands in the draft."""

import pytest
from django.urls import reverse

from workflows import drafts
from workflows.models import Draft
from workflows.services import create_workflow

FLOW = {
    "name": "Issue",
    "schema": "bill/invoice",
    "steps": [
        {
            "id": "a",
            "name": "Processing",
            "provider": "silo.state",
            "config": {"state": "processing"},
        },
        {"id": "b", "name": "Sent", "provider": "silo.state", "config": {"state": "sent"}},
    ],
}


@pytest.fixture
def workflow(alice):
    workflow, _ = create_workflow(alice.workspace, FLOW)
    return workflow


def url(workflow, name, **kwargs):
    return reverse(f"workflows:{name}", kwargs={"workflow_id": workflow.pk, **kwargs})


def post(client, workflow, name, data, **kwargs):
    return client.post(url(workflow, name, **kwargs), data, HTTP_HX_REQUEST="true")


def saved_steps(workflow, user):
    return [s["id"] for s in drafts.load(workflow, user)["steps"]]


def test_the_editor_shows_the_steps_and_the_sidebar(alice_client, workflow):
    response = alice_client.get(url(workflow, "edit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Processing" in html and "state: sent" in html
    assert 'id="sidebar"' in html and "Saved · version 1" in html


def test_another_workspace_gets_404_everywhere(client, bob, workflow):
    client.force_login(bob.user)
    assert client.get(url(workflow, "edit")).status_code == 404
    assert client.get(url(workflow, "edit_catalogue") + "?list=steps&index=0").status_code == 404
    for name in ("edit_insert", "edit_step", "edit_undo", "edit_save", "edit_discard"):
        assert post(client, workflow, name, {}).status_code == 404
    assert (
        post(client, workflow, "edit_do", {"address": "steps[0]"}, operation="delete").status_code
        == 404
    )
    assert not Draft.objects.exists()


def test_anonymous_users_are_sent_to_login(client, workflow):
    assert client.get(url(workflow, "edit")).status_code == 302


def test_the_catalogue_offers_the_schemas_actions_but_not_jumps(alice_client, workflow):
    response = alice_client.get(url(workflow, "edit_catalogue") + "?list=steps&index=2")
    html = response.content.decode()
    assert "Set state" in html and "If / else" in html
    assert 'value="flow.goto"' not in html
    assert 'name="index" value="2"' in html


def test_insert_stores_a_step_and_opens_its_config_form(alice_client, alice, workflow):
    response = post(
        alice_client,
        workflow,
        "edit_insert",
        {"list": "steps", "index": 1, "provider": "silo.state"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in html and "Draft · not saved yet" in html
    assert "config-form" in html and '<p class="field-error" role="alert">required</p>' in html
    data = drafts.load(workflow, alice.user)
    assert [s["provider"] for s in data["steps"]] == ["silo.state"] * 3
    assert data["steps"][1]["config"] == {}


def test_the_config_form_keeps_bad_input_and_names_the_field(alice_client, alice, workflow):
    post(
        alice_client,
        workflow,
        "edit_insert",
        {"list": "steps", "index": 2, "provider": "simulate.outcome"},
    )
    step_id = drafts.load(workflow, alice.user)["steps"][2]["id"]
    form = {
        "address": "steps[2]",
        "step_id": step_id,
        "name": "Fail",
        "config.status": "KO",
        "config.transient_failures": "many",
        "retry.max_attempts": "3",
        "retry.backoff_s": "",
    }
    html = post(alice_client, workflow, "edit_step", form).content.decode()
    assert "Kept in the draft" in html and "valid integer" in html
    assert drafts.load(workflow, alice.user)["steps"][2]["config"] == {
        "status": "KO",
        "transient_failures": "many",
    }

    form["config.transient_failures"] = "2"
    html = post(alice_client, workflow, "edit_step", form).content.decode()
    assert "Applied." in html
    step = drafts.load(workflow, alice.user)["steps"][2]
    assert step["name"] == "Fail" and step["config"] == {"status": "KO", "transient_failures": 2}
    assert step["retry"] == {"max_attempts": 3}

    form["retry.max_attempts"] = "99"
    html = post(alice_client, workflow, "edit_step", form).content.decode()
    assert "retry.max_attempts: Input should be less than or equal to 20" in html
    form["retry.max_attempts"] = ""
    post(alice_client, workflow, "edit_step", form)
    assert "retry" not in drafts.load(workflow, alice.user)["steps"][2]  # the action's own again


def test_step_menu_operations(alice_client, alice, workflow):
    user = alice.user
    post(alice_client, workflow, "edit_do", {"address": "steps[1]", "step_id": "b"}, operation="up")
    assert saved_steps(workflow, user) == ["b", "a"]
    post(
        alice_client,
        workflow,
        "edit_do",
        {"address": "steps[0]", "step_id": "b"},
        operation="duplicate",
    )
    assert len(saved_steps(workflow, user)) == 3
    post(
        alice_client,
        workflow,
        "edit_do",
        {"address": "steps[0]", "step_id": "b"},
        operation="delete",
    )
    assert saved_steps(workflow, user)[1] == "a"


def test_cards_name_steps_as_validation_errors_do_and_an_older_page_still_works(
    alice_client, alice, workflow
):
    html = alice_client.get(url(workflow, "edit")).content.decode()
    assert 'data-address="steps[1]"' in html and 'id="popover-steps-1"' in html
    # A page drawn before the one notation posts "steps.1": it still edits that step.
    post(alice_client, workflow, "edit_do", {"address": "steps.1", "step_id": "b"}, operation="up")
    assert saved_steps(workflow, alice.user) == ["b", "a"]


def test_a_stale_address_refreshes_the_canvas_instead_of_editing(alice_client, alice, workflow):
    response = post(
        alice_client,
        workflow,
        "edit_do",
        {"address": "steps[0]", "step_id": "b"},
        operation="delete",
    )
    assert "changed since this page was drawn" in response.content.decode()
    assert saved_steps(workflow, alice.user) == ["a", "b"]


def test_bad_addresses_are_a_clear_400(alice_client, workflow):
    assert (
        post(
            alice_client, workflow, "edit_do", {"address": "doc.0"}, operation="delete"
        ).status_code
        == 400
    )
    assert (
        post(
            alice_client, workflow, "edit_do", {"address": "steps[0]"}, operation="explode"
        ).status_code
        == 400
    )
    assert (
        post(alice_client, workflow, "edit_insert", {"list": "steps", "index": "x"}).status_code
        == 400
    )


def test_an_exception_with_a_nested_step_that_ends_the_workflow(alice_client, alice, workflow):
    form = alice_client.get(
        url(workflow, "edit_block") + "?address=steps[0]&kind=exception"
    ).content.decode()
    assert 'name="status" value="KO"' in form and "End workflow here" in form
    post(
        alice_client,
        workflow,
        "edit_block",
        {"address": "steps[0]", "step_id": "a", "status": "KO", "code": "boom", "stop": "on"},
    )
    html = post(
        alice_client,
        workflow,
        "edit_insert",
        {"list": "steps[0].next[0].steps", "index": 0, "provider": "silo.state"},
    ).content.decode()
    assert "Exception" in html and "boom" in html
    block = drafts.load(workflow, alice.user)["steps"][0]["next"][0]
    assert block["status"] == "KO" and block["code"] == "boom" and block["stop"] is True
    assert len(block["steps"]) == 1

    post(
        alice_client,
        workflow,
        "edit_block",
        {"address": "steps[0].next[0]", "step_id": "a", "status": "ANY", "code": ""},
    )
    block = drafts.load(workflow, alice.user)["steps"][0]["next"][0]
    assert block["status"] == "ANY" and "code" not in block and block["stop"] is False
    post(
        alice_client, workflow, "edit_block_remove", {"address": "steps[0].next[0]", "step_id": "a"}
    )
    assert drafts.load(workflow, alice.user)["steps"][0]["next"] == []


def test_the_popover_offers_the_actions_codes(alice_client, alice, workflow):
    post(
        alice_client,
        workflow,
        "edit_insert",
        {"list": "steps", "index": 0, "provider": "if.compare"},
    )
    html = alice_client.get(
        url(workflow, "edit_block") + "?address=steps[0]&kind=condition"
    ).content.decode()
    assert '<option value="true">' in html and '<option value="false">' in html


def test_handle_errors_on_opens_the_catalogue_and_off_empties_rescue(alice_client, alice, workflow):
    html = post(alice_client, workflow, "edit_rescue", {"on": "1"}).content.decode()
    assert 'name="list" value="rescue"' in html
    post(
        alice_client,
        workflow,
        "edit_insert",
        {"list": "rescue", "index": 0, "provider": "silo.state"},
    )
    assert len(drafts.load(workflow, alice.user)["rescue"]) == 1
    post(alice_client, workflow, "edit_rescue", {})
    assert drafts.load(workflow, alice.user)["rescue"] == []


def test_details_change_name_and_description(alice_client, alice, workflow):
    post(alice_client, workflow, "edit_details", {"name": "Issue v2", "description": "New"})
    data = drafts.load(workflow, alice.user)
    assert (
        data["name"] == "Issue v2"
        and data["description"] == "New"
        and data["schema"] == "bill/invoice"
    )


def test_drag_moves_a_step_into_a_block(alice_client, alice, workflow):
    post(
        alice_client,
        workflow,
        "edit_block",
        {"address": "steps[0]", "step_id": "a", "status": "OK"},
    )
    post(
        alice_client,
        workflow,
        "edit_move",
        {"address": "steps[1]", "to": "steps[0].next[0].steps", "index": 0},
    )
    data = drafts.load(workflow, alice.user)
    assert [s["id"] for s in data["steps"]] == ["a"]
    assert data["steps"][0]["next"][0]["steps"][0]["id"] == "b"
    response = post(
        alice_client,
        workflow,
        "edit_move",
        {"address": "steps[0]", "to": "steps[0].next[0].steps", "index": 0},
    )
    assert "own blocks" in response.content.decode()


def test_undo_redo_and_save(alice_client, alice, workflow):
    post(
        alice_client,
        workflow,
        "edit_do",
        {"address": "steps[1]", "step_id": "b"},
        operation="delete",
    )
    post(alice_client, workflow, "edit_undo", {})
    assert saved_steps(workflow, alice.user) == ["a", "b"]
    post(alice_client, workflow, "edit_redo", {})
    assert saved_steps(workflow, alice.user) == ["a"]
    html = post(alice_client, workflow, "edit_save", {}).content.decode()
    assert "Saved as version 2" in html
    workflow.refresh_from_db()
    assert workflow.current_version == 2 and not Draft.objects.exists()


def test_saving_an_invalid_draft_lists_the_problems(alice_client, workflow):
    post(
        alice_client,
        workflow,
        "edit_insert",
        {"list": "steps", "index": 0, "provider": "silo.state"},
    )
    html = post(alice_client, workflow, "edit_save", {}).content.decode()
    assert "Not saved:" in html and "steps[0].config.state" in html
    workflow.refresh_from_db()
    assert workflow.current_version == 1


def test_the_second_of_two_editors_gets_a_conflict_not_an_overwrite(
    alice_client, alice, workflow, client
):
    from console.models import Membership
    from tests.factories import make_member

    carol, _ = make_member("carol", "Elsewhere")
    Membership.objects.create(user=carol, workspace=alice.workspace)
    drafts.store(workflow, carol, {**drafts.load(workflow, carol), "description": "carol's"})
    post(alice_client, workflow, "edit_details", {"name": "Alice's", "description": ""})
    assert "Saved as version 2" in post(alice_client, workflow, "edit_save", {}).content.decode()

    client.force_login(carol)
    html = post(client, workflow, "edit_save", {}).content.decode()
    assert "Someone saved this workflow since you opened it" in html
    workflow.refresh_from_db()
    assert workflow.current_version == 2 and workflow.name == "Alice's"

    html = post(client, workflow, "edit_rebase", {}).content.decode()
    assert "Saved as version 3" in html
    assert workflow.versions.get(number=3).definition["description"] == "carol's"


def test_legacy_jumps_show_as_warned_go_to_steps_until_replaced(alice_client, alice):
    legacy = {
        "name": "Old",
        "schema": "bill/invoice",
        "steps": [
            {
                "id": "a",
                "name": "Try",
                "provider": "simulate.outcome",
                "config": {"status": "KO"},
                "next": [{"status": "KO", "step_id": "c"}],
            },
            {"id": "b", "name": "Skipped", "provider": "silo.state", "config": {"state": "sent"}},
            {
                "id": "c",
                "name": "Mark error",
                "provider": "silo.state",
                "config": {"state": "error"},
            },
        ],
    }
    workflow, _ = create_workflow(alice.workspace, legacy)
    html = alice_client.get(url(workflow, "edit")).content.decode()
    assert "This step contains deprecated conditions" in html
    # As the guide says it: the action of the step it goes to, that step's name beside,
    # and the step it goes to marked.
    assert "Go to Set state" in html and "step “Mark error”" in html
    assert html.count("A deprecated jump continues here.") == 1
    jump_id = drafts.load(workflow, alice.user)["steps"][0]["next"][0]["steps"][0]["id"]
    html = post(
        alice_client,
        workflow,
        "edit_replace",
        {"address": "steps[0].next[0].steps[0]", "step_id": jump_id, "provider": "silo.state"},
    ).content.decode()
    assert "This step contains deprecated conditions" not in html and "Go to" not in html
    assert "A deprecated jump continues here." not in html


def test_the_catalogue_is_filtered_to_the_workflows_schema(alice_client, alice):
    party, _ = create_workflow(
        alice.workspace, {"name": "Party", "schema": "org/party", "steps": []}
    )
    invoice, _ = create_workflow(
        alice.workspace, {"name": "Invoice", "schema": "bill/invoice", "steps": []}
    )
    query = "?list=steps&index=0"
    party_html = alice_client.get(url(party, "edit_catalogue") + query).content.decode()
    invoice_html = alice_client.get(url(invoice, "edit_catalogue") + query).content.decode()
    assert 'value="sequence.assign"' in invoice_html  # numbering is for invoices
    assert 'value="sequence.assign"' not in party_html
    assert 'value="silo.state"' in party_html


def test_a_workflow_without_a_name_is_marked_and_not_saved(alice_client, alice, workflow):
    html = post(
        alice_client, workflow, "edit_details", {"name": "  ", "description": ""}
    ).content.decode()
    assert "<code>name</code>" in html
    html = post(alice_client, workflow, "edit_save", {}).content.decode()
    assert "Not saved:" in html
    workflow.refresh_from_db()
    assert workflow.current_version == 1 and workflow.name == "Issue"


def test_a_draft_older_than_the_live_version_is_flagged(alice_client, alice, workflow):
    from workflows.services import save_version

    post(alice_client, workflow, "edit_details", {"name": "Mine", "description": ""})
    save_version(workflow, {**FLOW, "name": "Theirs"}, expected_version=1)
    html = alice_client.get(url(workflow, "edit")).content.decode()
    assert "Someone saved version 2 after your draft began" in html


def test_other_workspaces_cannot_read_forms_either(client, bob, workflow):
    client.force_login(bob.user)
    assert client.get(url(workflow, "edit_step") + "?address=steps[0]").status_code == 404
    assert client.get(url(workflow, "edit_block") + "?address=steps[0]").status_code == 404
    assert client.get(url(workflow, "edit_details")).status_code == 404


BAD_ADDRESSES = (
    "",
    "steps",
    "steps.99",
    "steps.-1",
    "steps.0.next",
    "steps.0.next.7",
    "x.0",
    "steps.0.next.0.steps.0",
    "steps[99]",
    "steps[-1]",
    "steps[0].next",
    "steps[0].next[7]",
    "steps[0].next[0].steps[0]",
    "steps[0",
    "steps[0]]",
    "steps[x]",
    "steps[0].0",
)


def test_bad_input_never_breaks_the_editor_or_the_draft(alice_client, alice, workflow):
    operations = ("duplicate", "up", "down", "delete")
    for address in BAD_ADDRESSES:
        requests = [
            ("edit_insert", {"list": address, "index": "0", "provider": "silo.state"}, {}),
            ("edit_insert", {"list": "steps", "index": "-1", "provider": "silo.state"}, {}),
            ("edit_insert", {"list": "steps", "index": "0", "provider": "no.such"}, {}),
            ("edit_replace", {"address": address, "provider": "silo.state"}, {}),
            ("edit_step", {"address": address, "name": "x"}, {}),
            ("edit_move", {"address": address, "to": address, "index": "0"}, {}),
            ("edit_move", {"address": "steps[0]", "to": address, "index": "99"}, {}),
            ("edit_block", {"address": address, "status": "OK"}, {}),
            ("edit_block", {"address": "steps[0]", "status": "MAYBE"}, {}),
            ("edit_block_remove", {"address": address}, {}),
            *[("edit_do", {"address": address}, {"operation": op}) for op in operations],
        ]
        for name, data, kwargs in requests:
            response = post(alice_client, workflow, name, data, **kwargs)
            assert response.status_code in (200, 400), (name, data, response.status_code)
        for name in ("edit_step", "edit_block"):
            response = alice_client.get(url(workflow, name), {"address": address})
            assert response.status_code in (200, 400), (name, address)
        response = alice_client.get(
            url(workflow, "edit_catalogue"), {"list": address, "index": "x"}
        )
        assert response.status_code in (200, 400), address
    # Only the one well-formed insert (into the list "steps") changed anything.
    assert saved_steps(workflow, alice.user)[1:] == ["a", "b"]


def test_edits_need_the_csrf_token(alice):
    from django.test import Client

    workflow, _ = create_workflow(alice.workspace, FLOW)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    response = client.post(url(workflow, "edit_do", operation="delete"), {"address": "steps[0]"})
    assert response.status_code == 403
    assert saved_steps(workflow, alice.user) == ["a", "b"]


def test_saving_a_step_that_names_a_missing_secret_warns(alice_client, alice, workflow):
    post(
        alice_client,
        workflow,
        "edit_insert",
        {"list": "steps", "index": 2, "provider": "webhook.post"},
    )
    step_id = drafts.load(workflow, alice.user)["steps"][2]["id"]
    form = {"address": "steps[2]", "step_id": step_id, "name": "Hook"}
    post(
        alice_client,
        workflow,
        "edit_step",
        {**form, "config.url": "https://example.com/in", "config.secret": "signing"},
    )
    html = post(alice_client, workflow, "edit_save", {}).content.decode()
    assert "Saved as version 2" in html
    assert "Saved, but note:" in html and "no secret named &#x27;signing&#x27;" in html


def test_a_step_whose_action_is_gone_is_marked_and_still_editable(alice_client, alice, workflow):
    version = workflow.current()
    version.definition["steps"][0]["provider"] = "uninstalled.thing"
    version.save()
    html = alice_client.get(url(workflow, "edit")).content.decode()
    assert "unknown provider &#x27;uninstalled.thing&#x27;" in html
    form = alice_client.get(url(workflow, "edit_step"), {"address": "steps[0]"})
    assert form.status_code == 200 and "Unknown action" in form.content.decode()
    post(alice_client, workflow, "edit_replace", {"address": "steps[0]", "provider": "silo.state"})
    assert drafts.load(workflow, alice.user)["steps"][0]["provider"] == "silo.state"
