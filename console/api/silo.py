"""``/api/v1/silo``: store documents, read and search them, change their state and
meta, upload and download attachments; every change goes through ``silo.services``
(so it is logged in the entry's activity and guarded by the entry's version)."""

import uuid
from datetime import datetime
from typing import Literal

from django.conf import settings
from django.http import FileResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.params import Header
from pydantic import ConfigDict

from console.api.auth import workspace_of
from console.api.errors import ApiError, invalid, not_found, responses
from console.api.paging import Cursor
from silo import documents, selectors, services
from silo.models import Attachment, Entry

router = Router(tags=["silo"])

StateName = Literal["draft", "processing", "registered", "sent", "completed", "error", "void"]
MAX_META_ITEMS = 100
IF_MATCH = Header(None, alias="If-Match", ge=1, description="Refuse (409) unless at this version.")


class EntryIn(Schema):
    model_config = ConfigDict(extra="forbid")

    doc: dict = Field(description="A GOBL envelope or bare GOBL object.")
    key: str | None = Field(None, min_length=1, max_length=200)
    meta: dict[str, str] = Field(default_factory=dict, max_length=MAX_META_ITEMS)


class EntryChange(Schema):
    model_config = ConfigDict(extra="forbid")

    state: StateName | None = None
    meta: dict[str, str] | None = Field(None, max_length=MAX_META_ITEMS)


class AttachmentOut(Schema):
    id: uuid.UUID
    name: str
    mime: str
    size: int
    sha256: str
    created_at: datetime
    url: str


class EntrySummary(Schema):
    id: uuid.UUID
    key: str | None
    schema_: str = Field(alias="schema")
    state: StateName
    code: str
    supplier_name: str
    customer_name: str
    total: str
    currency: str
    issue_date: str
    created_at: datetime


class EntryOut(EntrySummary):
    doc: dict
    meta: dict[str, str]
    version: int
    updated_at: datetime
    attachments: list[AttachmentOut]


class EntryPage(Schema):
    items: list[EntrySummary]
    next_cursor: str | None


class EntryFilters(Schema):
    q: str | None = Field(None, max_length=200, description="Code, party name or tax ID.")
    schema_: str | None = Field(None, alias="schema", max_length=64)
    state: StateName | None = None
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=100)


def _attachment_json(attachment):
    return {
        "id": attachment.id,
        "name": attachment.name,
        "mime": attachment.mime,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "created_at": attachment.created_at,
        "url": f"/api/v1/silo/entries/{attachment.entry_id}/attachments/{attachment.id}",
    }


def _summary_json(entry):
    return {name: getattr(entry, name) for name in selectors.LIST_FIELDS}


def _entry_json(entry):
    return {
        **_summary_json(entry),
        "doc": entry.doc,
        "meta": entry.meta,
        "version": entry.version,
        "updated_at": entry.updated_at,
        "attachments": [_attachment_json(a) for a in entry.attachments.all()],
    }


def _entry(request, entry_id):
    entry = Entry.objects.in_workspace(workspace_of(request)).filter(pk=entry_id).first()
    if entry is None:
        raise not_found("entry")
    return entry


@router.post(
    "/silo/entries",
    response=responses({200: EntryOut, 201: EntryOut}, 409),
    by_alias=True,
    summary="Store a document",
)
def create_entry(request, payload: EntryIn):
    """201 with the new entry; 200 with the first one when its ``key`` was used before
    for the same document; 409 when it was used for another."""
    try:
        entry, created = services.create_entry(
            workspace_of(request), payload.doc, key=payload.key, source="API"
        )
    except services.KeyConflict as error:
        differs = "differs from the document first stored with this key"
        raise ApiError(409, "conflict", str(error), {"doc": differs}) from None
    except documents.DocumentError as error:
        raise invalid(str(error), {"doc": str(error)}) from None
    if created and payload.meta:
        entry = services.update_entry(entry, meta=payload.meta)
    return Status(201 if created else 200, _entry_json(entry))


@router.get("/silo/entries", response=responses(EntryPage), by_alias=True, summary="List entries")
def list_entries(request, filters: Query[EntryFilters]):
    entries = selectors.search_entries(
        Entry.objects.in_workspace(workspace_of(request)),
        query=filters.q or "",
        schema=filters.schema_ or "",
        state=filters.state or "",
    )
    page = selectors.newest_first(entries, cursor=filters.cursor, size=filters.limit)
    return {"items": [_summary_json(e) for e in page.entries], "next_cursor": page.next_cursor}


@router.get(
    "/silo/entries/{entry_id}",
    response=responses(EntryOut, 404),
    by_alias=True,
    summary="Get an entry",
)
def get_entry(request, entry_id: uuid.UUID):
    return _entry_json(_entry(request, entry_id))


@router.patch(
    "/silo/entries/{entry_id}",
    response=responses(EntryOut, 404, 409),
    by_alias=True,
    summary="Change an entry's state and/or meta",
)
def update_entry(
    request,
    entry_id: uuid.UUID,
    payload: EntryChange,
    if_match: int | None = IF_MATCH,
):
    """``meta`` replaces the whole map. ``If-Match: <version>`` refuses (409) to
    overwrite a change made since that version."""
    entry = _entry(request, entry_id)
    changes = payload.model_dump(exclude_none=True)
    if not changes:
        raise invalid("Nothing to change: give state and/or meta.", {"body": "empty"})
    try:
        entry = services.update_entry(entry, expected_version=if_match, **changes)
    except services.EntryConflict as error:
        raise ApiError(409, "conflict", str(error)) from None
    except documents.DocumentError as error:
        raise invalid(str(error), {"body": str(error)}) from None
    return _entry_json(entry)


@router.post(
    "/silo/entries/{entry_id}/attachments",
    response=responses({201: AttachmentOut}, 404, 411),
    summary="Upload an attachment",
)
def upload_attachment(request, entry_id: uuid.UUID, file: File[UploadedFile]):
    entry = _entry(request, entry_id)
    limit = settings.SILO_MAX_UPLOAD_BYTES
    if file.size > limit:
        raise ApiError(413, "too_large", f"The file is over {limit} bytes.", {"file": "too large"})
    name = (file.name or "").replace("/", "_").replace("\\", "_").replace("\x00", "")[:200]
    name = name or "attachment"
    attachment = services.add_attachment(entry, name, file.read(), mime=file.content_type or None)
    return Status(201, _attachment_json(attachment))


@router.get(
    "/silo/entries/{entry_id}/attachments/{attachment_id}",
    response=responses({200: None}, 404),
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, with its MIME type.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    "*/*": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
    summary="Download an attachment",
)
def download_attachment(request, entry_id: uuid.UUID, attachment_id: uuid.UUID):
    attachment = (
        Attachment.objects.in_workspace(workspace_of(request))
        .filter(pk=attachment_id, entry_id=entry_id)
        .first()
    )
    if attachment is None:
        raise not_found("attachment")
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.mime,
    )
