"""``doc.modify``: set or remove fields of the entry's document by path.

Paths are dotted, relative to the document (inside its GOBL envelope if it has one):
``supplier.name``, ``lines.0.quantity`` (or ``lines[0].quantity``); a leading ``doc.``
is allowed. Setting creates missing objects on the way; removing a field that is not
there is not an error, so a repeated attempt ends the same. The document it replaces is
kept as a revision of the entry (``silo.services.update_entry``).
"""

import copy
import re
from typing import Any

from pydantic import Field

from silo import documents
from silo.models import Entry
from silo.services import EntryConflict, update_entry
from workflows.actions.base import Action, ActionConfig, Outcome
from workflows.actions.registry import register

PROTECTED = {"$schema"}


class InvalidPath(ValueError):
    pass


class ModifyConfig(ActionConfig):
    set: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Fields to set, path to value: "
            '{"notes.0.text": "Paid by {{ args.method }}"}; values may be any JSON'
        ),
    )
    remove: list[str] = Field(
        default_factory=list, description='Paths of fields to remove: ["ordering.code"]'
    )


def parse_path(path):
    text = path.strip()
    if text.startswith("doc."):
        text = text[4:]
    text = re.sub(r"\[(\d+)\]", r".\1", text)
    parts = text.split(".")
    if not text or any(part == "" for part in parts):
        raise InvalidPath(f"{path!r} is not a path (use dots: supplier.name, lines.0.quantity)")
    if parts[0] in PROTECTED:
        raise InvalidPath(f"{path!r} cannot be changed: it decides the document's type")
    return parts


def _child(node, part, path, create):
    if isinstance(node, dict):
        if part not in node and create:
            node[part] = {}
        return node.get(part)
    if isinstance(node, list):
        if not part.isdigit() or int(part) >= len(node):
            raise InvalidPath(f"{path!r}: the list has no item {part}")
        return node[int(part)]
    raise InvalidPath(f"{path!r}: {part!r} is inside a value that is not an object or list")


def set_value(doc, path, value):
    *parents, last = parse_path(path)
    node = doc
    for part in parents:
        node = _child(node, part, path, create=True)
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    else:
        raise InvalidPath(f"{path!r}: there is no place for {last!r} there")


def remove_value(doc, path):
    """Remove the field; returns False when it was not there."""
    *parents, last = parse_path(path)
    node = doc
    for part in parents:
        if isinstance(node, dict) and part not in node:
            return False
        node = _child(node, part, path, create=False)
        if node is None:
            return False
    if isinstance(node, dict):
        if last not in node:
            return False
        del node[last]
        return True
    if isinstance(node, list) and last.isdigit():
        if int(last) >= len(node):
            return False
        del node[int(last)]
        return True
    raise InvalidPath(f"{path!r}: there is no field {last!r} to remove there")


def modified(doc, config):
    """A changed copy of ``doc``; raises InvalidPath."""
    result = copy.deepcopy(doc)
    body = documents.body(result)
    for path, value in config.set.items():
        set_value(body, path, value)
    for path in config.remove:
        remove_value(body, path)
    return result


@register
class ModifyDocument(Action):
    id = "doc.modify"
    name = "Modify document"
    group = "Documents"
    description = (
        "Sets or removes fields of the document by path, with templated values. The "
        "previous document is kept as a revision, viewable and restorable on the entry page."
    )
    Config = ModifyConfig
    codes = ("invalid_path", "no_entry", "conflict")
    needs_entry = True

    def run(self, context):
        entry = context.entry
        if entry is None:
            return Outcome.ko("no_entry", "This job has no entry whose document to modify.")
        if not context.config.set and not context.config.remove:
            return Outcome.ok(message="Nothing to modify: no fields to set or remove.")
        for _ in range(5):  # on a concurrent edit, apply the change to the new document
            try:
                doc = modified(entry.doc, context.config)
            except InvalidPath as error:
                return Outcome.ko("invalid_path", str(error))
            if doc == entry.doc:
                return Outcome.ok(message="The document already had these values.")
            fields = [*context.config.set, *context.config.remove]
            note = f"Document modified: {', '.join(fields)}"
            try:
                previous = entry.version
                update_entry(entry, job_id=context.job.id, doc=doc, doc_note=note)
            except EntryConflict:
                entry = Entry.objects.get(pk=entry.pk)
                context.use_entry(entry)
                continue
            except documents.DocumentError as error:
                return Outcome.ko("invalid_path", f"The change would break the document: {error}")
            return Outcome.ok(
                message=f"Modified {', '.join(fields)}; revision {previous} kept",
                revision=previous,
                fields=fields,
            )
        return Outcome.ko("conflict", "The entry kept changing; the document was not modified.")
