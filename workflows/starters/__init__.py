"""Starter workflows offered by "+ Create workflow": two empty ones and ready-made ones.

Each is a workflow JSON file in this folder; adding one is adding a file.
"""

import json
from functools import cache
from pathlib import Path

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
