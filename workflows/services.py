"""Creating workflows and saving versions (every path goes through ``definition.parse``),
and changing them as wholes: duplicate, delete or archive, unarchive.

A workflow that has run keeps its jobs' history, so it is archived (hidden from the
list and from run pickers, refused for new jobs) rather than destroyed.
"""

from django.db import transaction
from django.db.models import F, ProtectedError

from workflows import definition, selectors
from workflows.models import Workflow, WorkflowVersion


class VersionConflict(Exception):
    def __init__(self, workflow):
        super().__init__(
            f"Someone saved this workflow since you opened it (it is now at version "
            f"{workflow.current_version}). Reload to see their change before saving yours."
        )
        self.workflow = workflow


def _stored(parsed):
    data = parsed.export()
    data.pop("id")
    data.pop("version")
    return data


def create_workflow(workspace, data, *, workflow_id=None, actor=None, secrets=None):
    """Validate workflow JSON and store it as version 1. Returns (workflow, warnings).

    The JSON's own ``id`` is ignored (SPEC 3: a paste gets a new one); a caller that
    names the id, such as ``PUT /api/v1/workflows/{id}``, passes ``workflow_id``.
    """
    parsed, warnings = definition.parse(data, secrets=secrets)
    with transaction.atomic():
        workflow = Workflow(
            workspace=workspace,
            name=parsed.name,
            description=parsed.description,
            schema=parsed.schema,
            current_version=1,
        )
        if workflow_id:
            workflow.id = workflow_id
        workflow.save(force_insert=True)
        WorkflowVersion.objects.create(
            workspace=workspace,
            workflow=workflow,
            number=1,
            definition=_stored(parsed),
            created_by=_user(actor),
        )
    return workflow, warnings


def save_version(workflow, data, *, expected_version, actor=None, secrets=None):
    """Publish a new version if nobody saved since ``expected_version``.

    The schema is fixed once saved. Raises DefinitionError or VersionConflict.
    """
    parsed, warnings = definition.parse(data, secrets=secrets)
    if parsed.schema != workflow.schema:
        raise definition.DefinitionError(
            [
                definition.Issue(
                    path="schema",
                    message=f"the schema is fixed once saved: expected {workflow.schema!r}",
                )
            ]
        )
    with transaction.atomic():
        updated = Workflow.objects.filter(pk=workflow.pk, current_version=expected_version).update(
            current_version=F("current_version") + 1,
            name=parsed.name,
            description=parsed.description,
        )
        if not updated:
            raise VersionConflict(Workflow.objects.get(pk=workflow.pk))
        selectors.changed(workflow.pk)
        workflow.refresh_from_db()
        WorkflowVersion.objects.create(
            workspace_id=workflow.workspace_id,
            workflow=workflow,
            number=workflow.current_version,
            definition=_stored(parsed),
            created_by=_user(actor),
        )
    return workflow, warnings


def export(workflow, number=None):
    version = workflow.versions.get(number=number or workflow.current_version)
    return version.document()


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


COPY_PREFIX = "Copy of "


def duplicate(workflow, *, actor=None, secrets=None):
    """A new workflow (version 1) with the current version's definition; returns it."""
    data = export(workflow)
    data["name"] = (COPY_PREFIX + data["name"])[:200]
    copy, _ = create_workflow(workflow.workspace, data, actor=actor, secrets=secrets)
    return copy


def remove(workflow):
    """Delete the workflow, or archive it if any job ran it. Returns "deleted" or "archived"."""
    with transaction.atomic():
        locked = Workflow.objects.select_for_update().get(pk=workflow.pk)
        if not locked.jobs.exists():
            try:
                with transaction.atomic():
                    locked.delete()
                return "deleted"
            except ProtectedError:  # a job was created since we looked
                pass
        Workflow.objects.filter(pk=workflow.pk).update(archived=True)
        selectors.changed(workflow.pk)
    workflow.archived = True
    return "archived"


def unarchive(workflow):
    Workflow.objects.filter(pk=workflow.pk).update(archived=False)
    selectors.changed(workflow.pk)
    workflow.archived = False
