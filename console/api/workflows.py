"""``/api/v1/workflows``: the SPEC section 3 JSON, validated by ``definition.parse``
(the same validator as the editor), stored through ``workflows.services``.

``PUT /workflows/{id}`` creates; ``PATCH`` saves a new version of the whole document
(an optional ``If-Match: <version>`` makes it refuse, with 409, to overwrite a version
it has not seen); ``GET`` returns exactly what Copy JSON gives.
"""

import uuid
from datetime import datetime

from django.db import IntegrityError
from ninja import Body, Field, Query, Router, Schema, Status
from ninja.params import Header

from console.api.auth import workspace_of
from console.api.errors import ApiError, invalid, not_found, responses
from console.api.paging import Cursor
from silo.selectors import decode_cursor, encode_cursor
from workflows import definition, services
from workflows.models import Workflow
from workflows.services import VersionConflict, create_workflow, export, save_version

router = Router(tags=["workflows"])

# The OpenAPI document names the request and response bodies after the definition's
# own JSON Schema (see console.api.openapi), so generated clients know the format.
DOCUMENT_REF = {"$ref": "#/components/schemas/WorkflowDocument"}
DOCUMENT_BODY = {
    "requestBody": {"content": {"application/json": {"schema": DOCUMENT_REF}}, "required": True}
}


DOCUMENT = Body(..., description="The workflow JSON of SPEC section 3.")
IF_MATCH = Header(None, alias="If-Match", ge=1, description="Refuse (409) unless at this version.")


class IssueOut(Schema):
    path: str
    message: str


class SavedOut(Schema):
    workflow: dict  # the WorkflowDocument (console.api.openapi points it there)
    warnings: list[IssueOut]


class WorkflowSummary(Schema):
    id: uuid.UUID
    name: str
    description: str
    schema_: str = Field(alias="schema")
    version: int
    created_at: datetime
    updated_at: datetime


class WorkflowPage(Schema):
    items: list[WorkflowSummary]
    next_cursor: str | None


class WorkflowFilters(Schema):
    schema_: str | None = Field(None, alias="schema", max_length=64)
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=100)


def _secret_names(workspace):
    """The workspace's secret names, for the validator's warnings (SPEC 3)."""
    try:
        from console import secrets
    except ImportError:  # a console without workspace secrets: no warnings to give
        return None
    return set(secrets.names(workspace))


def _definition_error(error):
    fields = {}
    for issue in error.issues:
        fields.setdefault(issue.path or "body", issue.message)
    return invalid("The workflow is not valid.", fields)


def _saved(workflow, warnings):
    return {
        "workflow": export(workflow),
        "warnings": [{"path": w.path, "message": w.message} for w in warnings],
    }


def _archived(workflow_id, status):
    message = (
        "This workflow is archived (it has run, so it was kept when deleted): "
        f"POST /api/v1/workflows/{workflow_id}/restore brings it back."
    )
    code = "not_found" if status == 404 else "conflict"
    return ApiError(status, code, message, {"id": "archived"})


def _workflow(request, workflow_id, archived_status=404):
    """The workspace's workflow; an archived one is reported as such (with how to
    restore it): ``archived_status`` 404 where it is read, 409 where it is changed."""
    workflow = Workflow.objects.in_workspace(workspace_of(request)).filter(pk=workflow_id).first()
    if workflow is None:
        raise not_found("workflow")
    if workflow.archived:
        raise _archived(workflow_id, archived_status)
    return workflow


@router.get("/workflows/schema", response=responses(dict), summary="The workflow JSON Schema")
def get_workflow_schema(request):
    return definition.json_schema()


def _author(request):
    """A version saved through the API is the token creator's, as if saved in the
    console: it shows as theirs, and what only an owner's version may do (an
    ``entry.fetch`` that sends a secret) follows that person's role."""
    return request.auth.created_by


@router.put(
    "/workflows/{workflow_id}",
    response=responses({201: SavedOut}, 409),
    openapi_extra=DOCUMENT_BODY,
    summary="Create a workflow with this id",
)
def put_workflow(request, workflow_id: uuid.UUID, document: dict = DOCUMENT):
    """The body's own ``id`` and ``version`` are ignored; an id in use is a 409."""
    workspace = workspace_of(request)
    try:
        workflow, warnings = create_workflow(
            workspace,
            document,
            workflow_id=workflow_id,
            actor=_author(request),
            secrets=_secret_names(workspace),
        )
    except definition.DefinitionError as error:
        raise _definition_error(error) from None
    except IntegrityError:
        existing = Workflow.objects.in_workspace(workspace).filter(pk=workflow_id).first()
        if existing is None:  # another workspace's: say no more
            raise ApiError(409, "conflict", "This workflow id is taken.") from None
        if existing.archived:
            raise _archived(workflow_id, 409) from None
        raise ApiError(
            409, "conflict", "A workflow with this id exists: PATCH it to save a new version."
        ) from None
    return Status(201, _saved(workflow, warnings))


@router.patch(
    "/workflows/{workflow_id}",
    response=responses(SavedOut, 404, 409),
    openapi_extra=DOCUMENT_BODY,
    summary="Save a new version of a workflow",
)
def patch_workflow(
    request,
    workflow_id: uuid.UUID,
    document: dict = DOCUMENT,
    if_match: int | None = IF_MATCH,
):
    workflow = _workflow(request, workflow_id, archived_status=409)
    try:
        workflow, warnings = save_version(
            workflow,
            document,
            expected_version=if_match or workflow.current_version,
            actor=_author(request),
            secrets=_secret_names(workflow.workspace),
        )
    except definition.DefinitionError as error:
        raise _definition_error(error) from None
    except VersionConflict as error:
        raise ApiError(409, "conflict", str(error)) from None
    return _saved(workflow, warnings)


@router.post(
    "/workflows/{workflow_id}/restore",
    response=responses(dict, 404),
    openapi_extra={
        "responses": {"200": {"content": {"application/json": {"schema": DOCUMENT_REF}}}}
    },
    summary="Restore an archived workflow",
)
def restore_workflow(request, workflow_id: uuid.UUID):
    """Bring an archived workflow back (as Unarchive does in the console): it can be
    read, changed and run again. Restoring one that is not archived changes nothing."""
    workflow = Workflow.objects.in_workspace(workspace_of(request)).filter(pk=workflow_id).first()
    if workflow is None:
        raise not_found("workflow")
    if workflow.archived:
        services.unarchive(workflow)
    return export(workflow)


@router.get(
    "/workflows/{workflow_id}",
    response=responses(dict, 404),
    openapi_extra={
        "responses": {"200": {"content": {"application/json": {"schema": DOCUMENT_REF}}}}
    },
    summary="Get a workflow's current version",
)
def get_workflow(request, workflow_id: uuid.UUID):
    return export(_workflow(request, workflow_id))


@router.get(
    "/workflows",
    response=responses(WorkflowPage),
    by_alias=True,
    summary="List workflows, newest first",
)
def list_workflows(request, filters: Query[WorkflowFilters]):
    workflows = Workflow.objects.in_workspace(workspace_of(request)).filter(archived=False)
    if filters.schema_:
        workflows = workflows.filter(schema=filters.schema_)
    workflows = workflows.order_by("-created_at", "-id")
    position = decode_cursor(filters.cursor) if filters.cursor else None
    if position:
        created_at, last_id = position
        workflows = workflows.filter(created_at__lte=created_at).exclude(
            created_at=created_at, id__gte=last_id
        )
    found = list(workflows[: filters.limit + 1])
    shown = found[: filters.limit]
    return {
        "items": [
            {
                "id": w.id,
                "name": w.name,
                "description": w.description,
                "schema": w.schema,
                "version": w.current_version,
                "created_at": w.created_at,
                "updated_at": w.updated_at,
            }
            for w in shown
        ],
        "next_cursor": encode_cursor(shown[-1]) if len(found) > len(shown) else None,
    }
