"""Everything that changes the silo goes through here, so each change is logged in the
entry's activity and guarded by the entry's ``version`` (optimistic concurrency)."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import get_valid_filename

from console import storable
from silo import documents, signals
from silo.models import Activity, Attachment, Entry, Revision, State

if TYPE_CHECKING:
    from console.models import Workspace


class KeyConflict(documents.DocumentError):
    """The key was used before for another document; nothing was written."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(
            f"The key {entry.key!r} was used before for another document "
            "(the one it stored is unchanged); use a new key for a new document."
        )
        self.entry = entry


class EntryConflict(Exception):
    """The entry changed since the caller read it; nothing was written."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(
            "This entry was changed by someone else since you opened it "
            f"(it is now at revision {entry.version}). Reload it and make your change again."
        )
        self.entry = entry


def parse_document(raw: bytes | str) -> tuple[Any, str]:
    """Bytes or text of an uploaded file -> (doc, schema); raises DocumentError."""
    try:
        doc = storable.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        detail = getattr(error, "msg", None) or "the file is not UTF-8 text"
        where = ""
        if isinstance(error, json.JSONDecodeError):
            where = f" (line {error.lineno}, column {error.colno})"
        raise documents.DocumentError(f"The file is not valid JSON: {detail}{where}.") from error
    except storable.Unstorable as error:
        raise documents.DocumentError(f"The document cannot be stored: {error}.") from error
    except ValueError as error:  # NaN, Infinity
        raise documents.DocumentError(f"The file is not valid JSON: {error}.") from error
    return doc, documents.schema_of(doc)


# search_text is part of an index: 600 characters stay within PostgreSQL's b-tree
# entry limit (2704 bytes) even in 4-byte UTF-8.
SEARCH_TEXT_LENGTH = 600


def _indexed_fields(doc: dict[str, Any]) -> dict[str, Any]:
    fields = documents.summary(doc)
    fields["search_text"] = " ".join(
        fields[name] for name in ("code", "supplier_name", "customer_name", "tax_ids")
    ).lower()[:SEARCH_TEXT_LENGTH]
    return fields


def create_entry(
    workspace: Workspace,
    doc: dict[str, Any],
    *,
    key: str | None = None,
    actor: Any = None,
    source: str = "upload",
    state: str = State.DRAFT,
    job_id: uuid.UUID | None = None,
) -> tuple[Entry, bool]:
    """Store a document; with a ``key`` already used, return that entry instead.

    A key is a fingerprint of the request: used again with another document, it is a
    KeyConflict (the caller reused a key by mistake), not the first entry.
    ``job_id`` is the job whose step stores it, if any. Returns ``(entry, created)``.
    """
    schema = documents.schema_of(doc)
    _check_storable(doc=doc, key=key or "")
    if key:
        existing = Entry.objects.in_workspace(workspace).filter(key=key).first()
        if existing:
            return _same_document(existing, doc), False
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                workspace=workspace,
                key=key or None,
                schema=schema,
                doc=doc,
                state=state,
                **_indexed_fields(doc),
            )
            log(
                entry,
                Activity.Kind.CREATED,
                f"Created from {source}",
                actor=actor,
                job_id=job_id,
            )
            signals.entry_created.send(
                Entry, entry=entry, source=source, actor=actor, job_id=job_id
            )
    except IntegrityError:
        if not key:
            raise
        return _same_document(Entry.objects.in_workspace(workspace).get(key=key), doc), False
    return entry, True


def _check_storable(**values: Any) -> None:
    """Every way into the silo refuses what the stores cannot hold (console.storable)."""
    try:
        storable.check(values)
    except storable.Unstorable as error:
        raise documents.DocumentError(f"{error.path} {error.problem}.") from None


def first_document(entry: Entry) -> dict[str, Any]:
    """The document the entry was created with: its oldest revision, if it has one."""
    oldest = entry.revisions.order_by("number").only("doc").first()
    return oldest.doc if oldest is not None else entry.doc


def _same_document(entry: Entry, doc: dict[str, Any]) -> Entry:
    if first_document(entry) != doc:
        raise KeyConflict(entry)
    return entry


def update_entry(
    entry: Entry,
    *,
    expected_version: int | str | None = None,
    actor: Any = None,
    job_id: uuid.UUID | None = None,
    doc_note: str | None = None,
    **changes: Any,
) -> Entry:
    """Write ``state``, ``meta`` and/or ``doc`` if nobody else wrote since
    ``expected_version`` (default: the version the caller holds). Raises EntryConflict."""
    expected = entry.version if expected_version is None else int(expected_version)
    allowed = {"state", "meta", "doc"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot update {', '.join(sorted(unknown))}")
    _check_storable(**changes)
    values = dict(changes)
    if "doc" in changes:
        if documents.schema_of(changes["doc"]) != entry.schema:
            raise documents.DocumentError("The new document has another schema than the entry.")
        values.update(_indexed_fields(changes["doc"]))
    with transaction.atomic():
        read = ("state", "version", "doc") if "doc" in changes else ("state", "version")
        before = Entry.objects.filter(pk=entry.pk).values(*read).first()
        updated = Entry.objects.filter(pk=entry.pk, version=expected).update(
            version=F("version") + 1, **values
        )
        if not updated or before is None:
            raise EntryConflict(Entry.objects.get(pk=entry.pk))
        # The update matched ``expected``, and versions only grow, so ``before`` (read
        # at that same version) is the document this change replaces.
        if "doc" in changes and before["version"] == expected and before["doc"] != changes["doc"]:
            Revision.objects.create(
                workspace_id=entry.workspace_id,
                entry_id=entry.pk,
                number=expected,
                doc=before["doc"],
                actor=actor if actor is not None and actor.is_authenticated else None,
                job_id=job_id,
            )
        entry.refresh_from_db()
        if "state" in changes and before and before["state"] != changes["state"]:
            log(
                entry,
                Activity.Kind.STATE,
                f"State changed from {before['state']} to {changes['state']}",
                actor=actor,
                job_id=job_id,
                data={"from": before["state"], "to": changes["state"]},
            )
            signals.entry_state_changed.send(
                Entry,
                entry=entry,
                before=before["state"],
                after=changes["state"],
                job_id=job_id,
                actor=actor,
            )
        if "meta" in changes:
            log(entry, Activity.Kind.EDIT, "Meta updated", actor=actor, job_id=job_id)
        if "doc" in changes:
            message = doc_note or "Document updated"
            log(entry, Activity.Kind.EDIT, message, actor=actor, job_id=job_id)
    return entry


def restore_revision(
    revision: Revision, *, expected_version: int | str, actor: Any = None
) -> Entry:
    """Make an earlier document current again. The document it replaces becomes a
    revision itself, so a restore can be undone the same way. Raises EntryConflict."""
    return update_entry(
        revision.entry,
        expected_version=expected_version,
        actor=actor,
        doc=revision.doc,
        doc_note=f"Restored revision {revision.number}",
    )


def add_attachment(
    entry: Entry,
    name: str,
    content: bytes,
    *,
    mime: str | None = None,
    source: str = "",
    actor: Any = None,
    job_id: uuid.UUID | None = None,
) -> Attachment:
    """Attach bytes to the entry; an attachment from the same ``source`` is replaced."""
    mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    with transaction.atomic():
        replaced = list(Attachment.objects.filter(entry=entry, source=source)) if source else []
        attachment = Attachment(
            workspace_id=entry.workspace_id,
            entry=entry,
            name=name,
            mime=mime,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            source=source,
        )
        attachment.file.save(_file_name(name), ContentFile(content), save=False)
        attachment.save()
        for old in replaced:
            old.delete()
            transaction.on_commit(partial(old.file.delete, save=False))
        verb = "Replaced" if replaced else "Added"
        log(
            entry,
            Activity.Kind.ATTACHMENT,
            f"{verb} attachment {name}",
            actor=actor,
            job_id=job_id,
            data={"attachment": str(attachment.id)},
        )
    return attachment


def _file_name(name: str) -> str:
    """The name on disk: the attachment keeps ``name`` as given for people, but a name
    of only odd characters ("?", "..") leaves the storage nothing to use."""
    try:
        return get_valid_filename(name)
    except SuspiciousFileOperation:
        return "attachment"


def log(
    entry: Entry,
    kind: str,
    message: str,
    *,
    actor: Any = None,
    job_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> Activity:
    activity = Activity.objects.create(
        workspace_id=entry.workspace_id,
        entry=entry,
        kind=kind,
        message=message[:500],
        actor=actor if actor is not None and actor.is_authenticated else None,
        job_id=job_id,
        data=data or {},
    )
    signals.entry_changed.send(Entry, entry=entry, job_id=job_id)  # live pages follow
    return activity
