"""Reading workflow JSON that a person pasted: developer mode and the list's Import JSON.

Both go through the shared validator (``definition.parse``); this module adds what only
pasted text needs: a readable message for broken JSON (line and column), a size limit,
a notice when older flat jumps (S12) were converted, and the workspace's secret names
so that a config naming a secret the workspace lacks is flagged.
"""

import json
from dataclasses import dataclass, field

from console import secrets, storable
from workflows import definition, tree

MAX_CHARS = 1_000_000


class PasteError(ValueError):
    """The text is not a valid workflow; ``issues`` name the JSON path of each problem.

    ``position`` is ``(line, column)`` of a JSON syntax error, both from 1, for the page
    to put the cursor there.
    """

    def __init__(self, issues, position=None):
        self.issues = issues
        self.position = position
        super().__init__("; ".join(str(i) for i in issues))


@dataclass
class Pasted:
    workflow: definition.Workflow
    data: dict  # what was pasted, as parsed JSON (the legacy form unconverted)
    warnings: list = field(default_factory=list)

    def definition(self):
        """The stored form: the canonical export without ``id`` and ``version``."""
        exported = self.workflow.export()
        exported.pop("id")
        exported.pop("version")
        return exported


def read(text, workspace):
    """Parse and validate pasted text; returns Pasted or raises PasteError."""
    text = text or ""
    if not text.strip():
        raise PasteError([_issue("", "paste a workflow's JSON: the text is empty")])
    if len(text) > MAX_CHARS:
        raise PasteError([_issue("", f"the text is too long (more than {MAX_CHARS:,} characters)")])
    try:
        data = storable.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        issue = _issue("", f"not valid JSON: {error.msg} at {where}")
        raise PasteError([issue], position=(error.lineno, error.colno)) from None
    except storable.Unstorable as error:
        raise PasteError([_issue(error.path, error.problem)]) from None
    except ValueError as error:  # NaN, Infinity
        raise PasteError([_issue("", f"not valid JSON: {error}")]) from None
    try:
        workflow, warnings = definition.parse(data, secrets=secret_names(workspace))
    except definition.DefinitionError as error:
        raise PasteError(error.issues) from None
    jumps = legacy_jumps(data)
    if jumps:
        warnings = [
            _issue(
                "",
                f"converted {jumps} deprecated jump{'s' if jumps != 1 else ''} of the older "
                "flat form into “Go to” steps; this workflow contains deprecated conditions",
            ),
            *warnings,
        ]
    return Pasted(workflow=workflow, data=data, warnings=warnings)


def secret_names(workspace):
    """The names of the workspace's secrets, for the validator's missing-secret warnings."""
    return set(secrets.names(workspace))


def legacy_jumps(data):
    """How many flat jumps (S12: ``{"status", "step_id"}`` without ``steps``) ``data`` has."""
    if not isinstance(data, dict):
        return 0
    return sum(
        isinstance(entry, dict) and "step_id" in entry and "steps" not in entry
        for place in tree.walk(data)
        if isinstance(place.step, dict) and isinstance(place.step.get("next"), list)
        for entry in place.step["next"]
    )


def _issue(path, message):
    return definition.Issue(path=path, message=message)
