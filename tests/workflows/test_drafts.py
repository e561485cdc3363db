"""Drafts: edits survive until Save, undo/redo walk them, a stale save is a conflict."""

import pytest

from workflows import drafts
from workflows.definition import DefinitionError
from workflows.models import Draft, DraftEdit
from workflows.services import VersionConflict, create_workflow

FLOW = {"name": "Register", "schema": "bill/invoice", "steps": [], "rescue": []}
STEP = {"id": "reg", "provider": "silo.state", "config": {"state": "registered"}}


@pytest.fixture
def workflow(alice):
    workflow, _ = create_workflow(alice.workspace, FLOW)
    return workflow


def with_steps(*steps):
    return {**FLOW, "description": "", "steps": list(steps)}


def test_load_without_a_draft_is_the_current_version(alice, workflow):
    data = drafts.load(workflow, alice.user)
    assert data["name"] == "Register"
    assert data["steps"] == [] and data["rescue"] == []
    assert drafts.get(workflow, alice.user) is None


def test_a_stored_edit_survives_and_is_per_user(alice, bob, workflow):
    drafts.store(workflow, alice.user, with_steps(STEP))
    assert drafts.load(workflow, alice.user)["steps"] == [STEP]
    assert drafts.load(workflow, bob.user)["steps"] == []  # bob sees the saved version


def test_undo_and_redo_walk_the_edits(alice, workflow):
    user = alice.user
    drafts.store(workflow, user, with_steps(STEP))
    drafts.store(workflow, user, with_steps(STEP, {**STEP, "id": "two"}))
    assert drafts.history(workflow, user) == (True, False)

    assert len(drafts.undo(workflow, user)["steps"]) == 1
    assert drafts.undo(workflow, user)["steps"] == []
    assert drafts.history(workflow, user) == (False, True)
    assert drafts.undo(workflow, user)["steps"] == []  # nothing more to undo

    assert len(drafts.redo(workflow, user)["steps"]) == 1
    assert len(drafts.redo(workflow, user)["steps"]) == 2
    assert drafts.history(workflow, user) == (True, False)


def test_a_new_edit_clears_redo(alice, workflow):
    user = alice.user
    drafts.store(workflow, user, with_steps(STEP))
    drafts.undo(workflow, user)
    drafts.store(workflow, user, with_steps({**STEP, "id": "other"}))
    assert drafts.history(workflow, user) == (True, False)
    assert drafts.redo(workflow, user)["steps"][0]["id"] == "other"


def test_storing_the_same_data_adds_no_undo_step(alice, workflow):
    user = alice.user
    assert drafts.store(workflow, user, drafts.load(workflow, user)) is None
    drafts.store(workflow, user, with_steps(STEP))
    drafts.store(workflow, user, with_steps(STEP))
    assert drafts.get(workflow, user).undo_depth == 1


def test_undo_keeps_a_bounded_history(alice, workflow):
    user = alice.user
    for index in range(drafts.UNDO_LIMIT + 5):
        drafts.store(workflow, user, with_steps({**STEP, "id": f"s{index}"}))
    draft = drafts.get(workflow, user)
    assert draft.undo_depth == draft.edits.count() == drafts.UNDO_LIMIT
    for _ in range(drafts.UNDO_LIMIT):
        drafts.undo(workflow, user)
    assert drafts.load(workflow, user)["steps"][0]["id"] == "s4"  # the oldest kept
    assert drafts.history(workflow, user) == (False, True)


def test_publish_makes_a_version_and_drops_the_draft(alice, workflow):
    drafts.store(workflow, alice.user, with_steps(STEP))
    version = drafts.publish(workflow, alice.user)
    assert version.number == 2
    assert version.definition["steps"][0]["id"] == "reg"
    assert version.created_by == alice.user
    assert not Draft.objects.exists() and not DraftEdit.objects.exists()
    assert drafts.load(workflow, alice.user)["steps"][0]["name"] == "Set state"


def test_publish_without_a_draft_makes_no_version(alice, workflow):
    assert drafts.publish(workflow, alice.user).number == 1


def test_an_invalid_draft_is_kept_and_not_published(alice, workflow):
    drafts.store(workflow, alice.user, with_steps({"id": "x", "provider": "no.such"}))
    with pytest.raises(DefinitionError) as error:
        drafts.publish(workflow, alice.user)
    assert error.value.issues[0].path == "steps[0].provider"
    workflow.refresh_from_db()
    assert workflow.current_version == 1
    assert drafts.load(workflow, alice.user)["steps"][0]["provider"] == "no.such"


def test_the_second_save_of_two_editors_is_a_conflict(alice, workflow):
    from console.models import Membership
    from tests.factories import make_member

    carol, _ = make_member("carol", "Elsewhere")
    Membership.objects.create(user=carol, workspace=alice.workspace)
    drafts.store(workflow, alice.user, with_steps(STEP))
    drafts.store(workflow, carol, with_steps({**STEP, "id": "carols"}))

    drafts.publish(workflow, alice.user)
    with pytest.raises(VersionConflict, match="version 2"):
        drafts.publish(workflow, carol)
    workflow.refresh_from_db()
    assert workflow.current_version == 2
    assert workflow.current().definition["steps"][0]["id"] == "reg"
    assert drafts.load(workflow, carol)["steps"][0]["id"] == "carols"  # nothing lost


def test_discard_returns_to_the_saved_version(alice, workflow):
    drafts.store(workflow, alice.user, with_steps(STEP))
    drafts.discard(workflow, alice.user)
    assert drafts.load(workflow, alice.user)["steps"] == []


def test_two_tabs_making_the_first_draft_at_once_share_it(alice, workflow, monkeypatch):
    user = alice.user
    real_locked = drafts._locked
    calls = []

    def racing(workflow, user):
        # The first look finds no draft, as if the other tab had not committed yet.
        if not calls:
            calls.append(1)
            Draft.objects.create(
                workspace_id=workflow.workspace_id,
                workflow=workflow,
                user=user,
                data=with_steps(),
                base_version=1,
            )
            return None
        return real_locked(workflow, user)

    monkeypatch.setattr(drafts, "_locked", racing)
    draft = drafts.store(workflow, user, with_steps(STEP))
    assert Draft.objects.count() == 1
    assert draft.data["steps"] == [STEP]
