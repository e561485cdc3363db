"""Starter workflows offered by "+ Create workflow": two empty ones and ready-made ones.

Each is a workflow JSON file in this folder; adding one is adding a file.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from workflows.actions import registry

FOLDER = Path(__file__).parent
ORDER = ("empty-invoice", "empty-party", "issue-and-send", "register-party")


@cache
def all_starters():
    """``{slug: workflow JSON}``, the empty ones first."""
    found = {path.stem: json.loads(path.read_text()) for path in FOLDER.glob("*.json")}
    slugs = [*ORDER, *sorted(set(found) - set(ORDER))]
    return {slug: found[slug] for slug in slugs if slug in found}


def get(slug):
    """A fresh copy of the starter ``slug``, or None."""
    starter = all_starters().get(slug)
    return json.loads(json.dumps(starter)) if starter else None


@dataclass
class OutlineLine:
    """One line of a template's read-only preview: a step or a block, indented."""

    depth: int
    kind: str  # "step", "block" or "note"
    text: str
    detail: str = ""


def outline(steps, depth=0):
    """The steps as the picker previews them, blocks and their steps indented below."""
    for number, step in enumerate(steps or [], start=1):
        action = registry.get(step.get("provider", ""))
        action_name = action.name if action else step.get("provider", "")
        name = step.get("name") or action_name
        detail = action_name if action_name != name else ""
        yield OutlineLine(depth, "step", f"{number}. {name}", detail)
        for block in step.get("next") or []:
            kind = "Exception" if block.get("status") == "KO" else "Condition"
            status = "Any" if block.get("status") == "ANY" else block.get("status", "")
            text = f"{kind}: {status}" + (f", code {block['code']}" if block.get("code") else "")
            yield OutlineLine(
                depth + 1, "block", text, "End workflow here" if block.get("stop") else ""
            )
            if block.get("steps"):
                yield from outline(block["steps"], depth + 2)
            else:
                yield OutlineLine(depth + 2, "note", "No steps: the flow goes on")
