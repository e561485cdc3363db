"""A user's draft of a workflow: the editor's edits, kept until Save publishes them.

Each user has at most one draft per workflow. Every ``store`` is one undoable edit;
``undo``/``redo`` move one definition between the stacks (DraftEdit rows). The draft may hold an
invalid definition (the canvas marks the bad steps); only ``publish`` validates, through
``workflows.services.save_version`` and so ``definition.parse``.
"""

import copy

from django.db import IntegrityError, transaction
from django.db.models import Max

from workflows import services
from workflows.models import Draft, DraftEdit

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
    try:
        return _store(workflow, user, data)
    except IntegrityError:  # another tab made the first draft at the same moment: join it
        return _store(workflow, user, data)


def _store(workflow, user, data):
    with transaction.atomic():
        draft = _locked(workflow, user)
        if draft is None:
            previous = current_definition(workflow)
            if previous == data:
                return None
            draft = Draft.objects.create(
                workspace_id=workflow.workspace_id,
                workflow=workflow,
                user=user,
                data=data,
                base_version=workflow.current_version,
            )
            _push(draft, DraftEdit.Stack.UNDO, previous)
            draft.save(update_fields=["undo_depth"])
            return draft
        if draft.data == data:
            return draft
        _push(draft, DraftEdit.Stack.UNDO, draft.data)
        if draft.redo_depth:
            draft.edits.filter(stack=DraftEdit.Stack.REDO).delete()
            draft.redo_depth = 0
        draft.data = data
        draft.save(update_fields=["data", "undo_depth", "redo_depth", "updated_at"])
        return draft


def undo(workflow, user):
    """Step back one edit; returns the data now in the draft (unchanged if none)."""
    return _move(workflow, user, DraftEdit.Stack.UNDO, DraftEdit.Stack.REDO)


def redo(workflow, user):
    """Replay one undone edit; returns the data now in the draft (unchanged if none)."""
    return _move(workflow, user, DraftEdit.Stack.REDO, DraftEdit.Stack.UNDO)


def _move(workflow, user, source, target):
    with transaction.atomic():
        draft = _locked(workflow, user)
        if draft is None:
            return current_definition(workflow)
        top = draft.edits.filter(stack=source).order_by("-position").first()
        if top is None:
            return draft.data
        _push(draft, target, draft.data)
        top.delete()
        _set_depth(draft, source, _depth(draft, source) - 1)
        draft.data = top.data
        draft.save(update_fields=["data", "undo_depth", "redo_depth", "updated_at"])
        return draft.data


def _push(draft, stack, data):
    """Put ``data`` on top of a stack, dropping the oldest beyond UNDO_LIMIT."""
    top = draft.edits.filter(stack=stack).aggregate(top=Max("position"))["top"] or 0
    DraftEdit.objects.create(draft=draft, stack=stack, position=top + 1, data=data)
    depth = _depth(draft, stack) + 1
    if depth > UNDO_LIMIT:
        draft.edits.filter(stack=stack, position__lte=top + 1 - UNDO_LIMIT).delete()
        depth = UNDO_LIMIT
    _set_depth(draft, stack, depth)


def _depth(draft, stack):
    return draft.undo_depth if stack == DraftEdit.Stack.UNDO else draft.redo_depth


def _set_depth(draft, stack, depth):
    if stack == DraftEdit.Stack.UNDO:
        draft.undo_depth = depth
    else:
        draft.redo_depth = depth


def history(workflow, user):
    """``(can_undo, can_redo)`` for the toolbar's buttons."""
    draft = get(workflow, user)
    if draft is None:
        return False, False
    return draft.undo_depth > 0, draft.redo_depth > 0


def discard(workflow, user):
    """Forget the user's draft; the editor shows the current version again."""
    Draft.objects.filter(workflow=workflow, user=user).delete()


def publish(workflow, user, *, secrets=None):
    """Save the draft as a new version and drop the draft; returns the WorkflowVersion.

    The version must still be the one the draft started from, else VersionConflict
    (the draft is kept, so nothing is lost). An invalid draft raises DefinitionError
    and is kept too. With no draft there is nothing new: the current version returns.
    The version's ``warnings`` lists what ``parse`` warned about (given ``secrets``).
    """
    with transaction.atomic():
        draft = _locked(workflow, user)
        if draft is None:
            version = workflow.current()
            version.warnings = []
            return version
        workflow, warnings = services.save_version(
            workflow,
            draft.data,
            expected_version=draft.base_version,
            actor=user,
            secrets=secrets,
        )
        draft.delete()
        version = workflow.current()
        version.warnings = warnings  # e.g. a secret this workspace lacks: saved, but said
        return version


def _locked(workflow, user):
    return Draft.objects.select_for_update().filter(workflow=workflow, user=user).first()


def rebase(workflow, user):
    """Base the draft on the newest version, so the next publish knowingly replaces it.

    The conflict screen offers this after showing whose save came first; the replaced
    version stays in the history and can be restored.
    """
    workflow.refresh_from_db(fields=["current_version"])
    Draft.objects.filter(workflow=workflow, user=user).update(base_version=workflow.current_version)
