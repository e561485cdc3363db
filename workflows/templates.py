"""Starting points offered by "+ Create workflow": two empty ones and ready-made ones."""

import json
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).parent / "templates_json"
ORDER = ("empty-invoice", "empty-party", "issue-and-send", "register-party")


@cache
def all_templates():
    """``{slug: workflow JSON}``, the empty ones first."""
    found = {path.stem: json.loads(path.read_text()) for path in FOLDER.glob("*.json")}
    slugs = [*ORDER, *sorted(set(found) - set(ORDER))]
    return {slug: found[slug] for slug in slugs if slug in found}


def get(slug):
    template = all_templates().get(slug)
    return json.loads(json.dumps(template)) if template else None
