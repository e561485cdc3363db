"""The versions panel: list, readable diff between any two, restore as a new version."""

from django.urls import reverse

from tests.jobs.flows import ko, ok
from workflows import drafts
from workflows.models import WorkflowVersion
from workflows.services import create_workflow, export, save_version
from workflows.versions import line_diff, summary


def three_versions(workspace):
    """v1: a; v2: a, b (renamed workflow); v3: b, then a with a new message."""
    workflow, _ = create_workflow(
        workspace, {"name": "Issue", "schema": "bill/invoice", "steps": [ok("a")]}
    )
    save_version(
        workflow,
        {"name": "Issue and send", "schema": "bill/invoice", "steps": [ok("a"), ko("b")]},
        expected_version=1,
    )
    save_version(
        workflow,
        {
            "name": "Issue and send",
            "schema": "bill/invoice",
            "steps": [ko("b"), ok("a", message="changed")],
        },
        expected_version=2,
    )
    workflow.refresh_from_db()
    return workflow


def versions_url(workflow, **params):
    return reverse("workflows:versions", args=[workflow.pk]), params


def test_the_panel_lists_versions_newest_first(alice_client, alice):
    workflow = three_versions(alice.workspace)

    response = alice_client.get(*versions_url(workflow))

    assert [v.number for v in response.context["versions"]] == [3, 2, 1]
    html = response.content.decode()
    assert "current" in html
    assert 'aria-label="Restore version 1"' in html
    assert 'aria-label="Restore version 3"' not in html  # the current one


def test_by_default_the_panel_compares_the_previous_and_the_current(alice_client, alice):
    workflow = three_versions(alice.workspace)

    response = alice_client.get(*versions_url(workflow))

    assert (response.context["a"], response.context["b"]) == (2, 3)
    said = response.context["summary"]
    assert any(s.startswith("Changed step") and 'config.message "" → "changed"' in s for s in said)
    assert any(s.startswith("Moved step") for s in said)


def test_any_two_versions_can_be_compared(alice_client, alice):
    workflow = three_versions(alice.workspace)

    response = alice_client.get(*versions_url(workflow, a=1, b=2, diff=1))

    said = response.context["summary"]
    assert "Name changed from 'Issue' to 'Issue and send'." in said
    assert any(s.startswith("Added step") and "steps[1]" in s for s in said)
    html = response.content.decode()
    assert '<span class="add">+  &quot;name&quot;: &quot;Issue and send&quot;,</span>' in html
    assert '<span class="del">-  &quot;name&quot;: &quot;Issue&quot;,</span>' in html


def test_the_diff_alone_comes_back_for_htmx(alice_client, alice):
    workflow = three_versions(alice.workspace)
    url, params = versions_url(workflow, a=1, b=3, diff=1)

    response = alice_client.get(url, params, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "From version 1 to version 3" in html and "<html" not in html


def test_a_version_that_does_not_exist_is_said_clearly(alice_client, alice):
    workflow = three_versions(alice.workspace)

    response = alice_client.get(*versions_url(workflow, a=1, b=9, diff=1))

    assert response.status_code == 200
    assert "Pick two versions that exist." in response.content.decode()


def test_summary_and_line_diff_of_identical_versions_are_empty():
    data = {"name": "x", "schema": "bill/invoice", "steps": [ok("a")]}
    assert summary(data, data) == [] and line_diff(data, data) == []


def test_summary_names_removed_steps_and_changed_blocks():
    old = {"name": "x", "steps": [{**ok("a"), "next": []}, ok("b")]}
    new = {"name": "x", "steps": [{**ok("a"), "next": [{"status": "KO", "steps": []}]}]}

    said = summary(old, new)

    assert any(s.startswith("Changed step") and "blocks" in s for s in said)
    assert any(s.startswith("Removed step") for s in said)


def test_restore_makes_a_new_version_with_the_old_definition(alice_client, alice):
    workflow = three_versions(alice.workspace)

    response = alice_client.post(
        reverse("workflows:restore", args=[workflow.pk, 1]), {"expected_version": 3}, follow=True
    )

    workflow.refresh_from_db()
    assert workflow.current_version == 4
    assert workflow.name == "Issue"
    restored = workflow.versions.get(number=4)
    assert restored.definition == workflow.versions.get(number=1).definition
    assert restored.created_by == alice.user
    assert "Restored version 1 as version 4." in response.content.decode()


def test_restore_refuses_when_someone_saved_meanwhile(alice_client, alice):
    workflow = three_versions(alice.workspace)

    response = alice_client.post(
        reverse("workflows:restore", args=[workflow.pk, 1]), {"expected_version": 2}, follow=True
    )

    workflow.refresh_from_db()
    assert workflow.current_version == 3
    assert "Someone saved this workflow since you opened it" in response.content.decode()


def test_restore_without_the_expected_version_changes_nothing(alice_client, alice):
    workflow = three_versions(alice.workspace)

    response = alice_client.post(reverse("workflows:restore", args=[workflow.pk, 1]), follow=True)

    assert WorkflowVersion.objects.filter(workflow=workflow).count() == 3
    assert "incomplete" in response.content.decode()


def test_restore_leaves_a_draft_alone_and_the_panel_says_so(alice_client, alice):
    workflow = three_versions(alice.workspace)
    drafts.store(workflow, alice.user, {**drafts.load(workflow, alice.user), "description": "wip"})

    alice_client.post(reverse("workflows:restore", args=[workflow.pk, 1]), {"expected_version": 3})
    response = alice_client.get(*versions_url(workflow))

    assert drafts.load(workflow, alice.user)["description"] == "wip"
    assert "You have unsaved edits in the editor" in response.content.decode()


def test_another_workspaces_versions_are_a_404(alice_client, bob):
    theirs = three_versions(bob.workspace)

    assert alice_client.get(*versions_url(theirs)).status_code == 404
    response = alice_client.post(
        reverse("workflows:restore", args=[theirs.pk, 1]), {"expected_version": 3}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.current_version == 3
    assert export(theirs)["name"] == "Issue and send"
