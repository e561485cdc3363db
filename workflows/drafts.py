"""A user's draft of a workflow: the editor's edits, kept until Save publishes them.

Each user has at most one draft per workflow. Every ``store`` is one undoable edit;
``undo``/``redo`` move whole definitions between the stacks. The draft may hold an
invalid definition (the canvas marks the bad steps); only ``publish`` validates, through
``workflows.services.save_version`` and so ``definition.parse``.
"""

import copy

from django.db import transaction

from workflows import services
from workflows.models import Draft

UNDO_LIMIT = 50


def get(workflow, user):
    """The user's draft of the workflow, or None."""
    return Draft.objects.filter(workflow=workflow, user=user).first()


def current_definition(workflow):
    """The saved definition (name, description, schema, steps, rescue) as a dict."""
    definition = copy.deepcopy(workflow.current().definition)
    definition.setdefault("steps", [])
    definition.setdefault("rescue", [])
    return definition


def load(workflow, user):
    """The draft's data, or the current version's definition when there is no draft."""
    draft = get(workflow, user)
    return draft.data if draft is not None else current_definition(workflow)


def store(workflow, user, data):
    """Replace the draft's data as ONE undoable edit; returns the Draft.

    Storing what is already there changes nothing and adds no undo step.
    """
    with transaction.atomic():
        draft = _locked(workflow, user)
        if draft is None:
            previous = current_definition(workflow)
            if previous == data:
                return None
            return Draft.objects.create(
                workspace_id=workflow.workspace_id,
                workflow=workflow,
                user=user,
                data=data,
                base_version=workflow.current_version,
                undo_stack=[previous],
            )
        if draft.data == data:
            return draft
        draft.undo_stack = [*draft.undo_stack, draft.data][-UNDO_LIMIT:]
        draft.redo_stack = []
        draft.data = data
        draft.save(update_fields=["data", "undo_stack", "redo_stack", "updated_at"])
        return draft


def undo(workflow, user):
    """Step back one edit; returns the data now in the draft (unchanged if none)."""
    return _move(workflow, user, "undo_stack", "redo_stack")


def redo(workflow, user):
    """Replay one undone edit; returns the data now in the draft (unchanged if none)."""
    return _move(workflow, user, "redo_stack", "undo_stack")


def _move(workflow, user, source, target):
    with transaction.atomic():
        draft = _locked(workflow, user)
        if draft is None:
            return current_definition(workflow)
        stack = getattr(draft, source)
        if not stack:
            return draft.data
        setattr(draft, target, [*getattr(draft, target), draft.data][-UNDO_LIMIT:])
        draft.data = stack[-1]
        setattr(draft, source, stack[:-1])
        draft.save(update_fields=["data", "undo_stack", "redo_stack", "updated_at"])
        return draft.data


def history(workflow, user):
    """``(can_undo, can_redo)`` for the toolbar's buttons."""
    draft = get(workflow, user)
    if draft is None:
        return False, False
    return bool(draft.undo_stack), bool(draft.redo_stack)


def discard(workflow, user):
    """Forget the user's draft; the editor shows the current version again."""
    Draft.objects.filter(workflow=workflow, user=user).delete()


def publish(workflow, user, *, secrets=None):
    """Save the draft as a new version and drop the draft; returns the WorkflowVersion.

    The version must still be the one the draft started from, else VersionConflict
    (the draft is kept, so nothing is lost). An invalid draft raises DefinitionError
    and is kept too. With no draft there is nothing new: the current version returns.
    """
    with transaction.atomic():
        draft = _locked(workflow, user)
        if draft is None:
            return workflow.current()
        workflow, _ = services.save_version(
            workflow,
            draft.data,
            expected_version=draft.base_version,
            actor=user,
            secrets=secrets,
        )
        draft.delete()
        return workflow.current()


def _locked(workflow, user):
    return Draft.objects.select_for_update().filter(workflow=workflow, user=user).first()


def rebase(workflow, user):
    """Base the draft on the newest version, so the next publish knowingly replaces it.

    The conflict screen offers this after showing whose save came first; the replaced
    version stays in the history and can be restored.
    """
    workflow.refresh_from_db(fields=["current_version"])
    Draft.objects.filter(workflow=workflow, user=user).update(base_version=workflow.current_version)
