"""The entry page's Revisions tab: earlier documents of the entry, what differs from the
current one, and Restore.

Every document change keeps the document it replaced (``silo.services.update_entry``);
restoring makes an old one current again through the same service, so the restore is
itself a change that can be undone, logged in the activity and guarded by the version.
"""

import json

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from console.workspaces import get_scoped_or_404, scoped, workspace_required
from silo import services
from silo.models import Entry, Revision

SHOWN_REVISIONS = 100
SHOWN_CHANGES = 300


def flatten(value, path=""):
    """``{"a.b": 1, "lines[0].x": "y"}``: every leaf of a JSON value by its path."""
    if isinstance(value, dict) and value:
        leaves = {}
        for key, child in value.items():
            leaves.update(flatten(child, f"{path}.{key}" if path else str(key)))
        return leaves
    if isinstance(value, list) and value:
        leaves = {}
        for index, child in enumerate(value):
            leaves.update(flatten(child, f"{path}[{index}]"))
        return leaves
    return {path: value}


def _shown(value):
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def changes_between(old, new):
    """What restoring ``old`` would change in ``new``: rows of path, now, then."""
    before, after = flatten(new), flatten(old)
    rows = []
    for path in sorted(set(before) | set(after)):
        if path in before and path in after and before[path] == after[path]:
            continue
        rows.append(
            {
                "path": path or "(document)",
                "now": _shown(before[path]) if path in before else None,
                "then": _shown(after[path]) if path in after else None,
            }
        )
    return rows


def tab_context(request, entry):
    """Context of the Revisions tab; ``?revision=N`` picks the one to compare."""
    revisions = list(
        scoped(request, Revision)
        .filter(entry=entry)
        .select_related("actor")
        .defer("doc")
        .order_by("-number")[:SHOWN_REVISIONS]
    )
    picked = None
    wanted = request.GET.get("revision", "")
    if revisions:
        number = int(wanted) if wanted.isascii() and wanted.isdigit() else revisions[0].number
        picked = scoped(request, Revision).filter(entry=entry, number=number).first()
    changes = changes_between(picked.doc, entry.doc) if picked else []
    return {
        "revisions": revisions,
        "picked": picked,
        "picked_json": json.dumps(picked.doc, indent=2, ensure_ascii=False) if picked else "",
        "changes": changes[:SHOWN_CHANGES],
        "more_changes": max(0, len(changes) - SHOWN_CHANGES),
    }


@require_POST
@workspace_required
def restore(request, entry_id, number):
    entry = get_scoped_or_404(request, Entry, pk=entry_id)
    revision = get_scoped_or_404(request, Revision, entry=entry, number=number)
    tab = f"{reverse('silo:entry', args=[entry.pk])}?tab=revisions"
    expected = request.POST.get("version", "")
    if not (expected.isascii() and expected.isdigit()):
        messages.error(request, "The restore form was incomplete; nothing was changed.")
        return redirect(tab)
    if revision.doc == entry.doc:
        messages.info(request, f"Revision {number} is the same as the current document.")
        return redirect(tab)
    try:
        services.restore_revision(revision, expected_version=int(expected), actor=request.user)
    except services.EntryConflict as conflict:
        messages.error(request, str(conflict))
        return redirect(f"{tab}&revision={number}")
    messages.success(
        request,
        f"Revision {number} restored. The document it replaced is kept as "
        f"revision {int(expected)}.",
    )
    return redirect(tab)
