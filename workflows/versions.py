"""The versions panel: every saved version, a readable diff between any two, restore.

A diff is shown twice over: a step-level summary (what was added, removed, changed or
moved, by step id) for reading, and a line diff of the two versions' JSON for detail.
Restore publishes the old definition as a new version, so history only grows; a
user's unsaved draft is left alone (their Save then reports the newer version).
"""

import difflib
import json
from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.workspaces import get_scoped_or_404, workspace_required
from workflows import definition, drafts, services, tree
from workflows.models import Workflow, WorkflowVersion

VERSIONS_SHOWN = 200
STEP_FIELDS = ("name", "provider", "notes", "config", "retry")


@dataclass
class DiffLine:
    kind: str  # "add", "del", "hunk" or "same"
    text: str


@require_GET
@workspace_required
def versions(request, workflow_id):
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id)
    numbers = _pair(request, workflow)
    context = {"workflow": workflow, **_diff_context(workflow, *numbers)}
    if request.htmx and request.GET.get("diff"):
        return render(request, "workflows/_versions_diff.html", context)
    listed = (
        workflow.versions.select_related("created_by")
        .defer("definition")
        .order_by("-number")[:VERSIONS_SHOWN]
    )
    context.update(versions=listed, draft=drafts.get(workflow, request.user))
    return render(request, "workflows/versions.html", context)


@require_POST
@workspace_required
def restore(request, workflow_id, number):
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id, archived=False)
    version = get_scoped_or_404(request, WorkflowVersion, workflow=workflow, number=number)
    try:
        expected = int(request.POST.get("expected_version", ""))
        workflow, _ = services.save_version(
            workflow, version.definition, expected_version=expected, actor=request.user
        )
    except ValueError as error:
        if isinstance(error, definition.DefinitionError):
            messages.error(request, f"Version {number} cannot be restored: {error}")
        else:
            messages.error(request, "The restore form was incomplete; reload and try again.")
    except services.VersionConflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(
            request, f"Restored version {number} as version {workflow.current_version}."
        )
    return redirect("workflows:versions", workflow_id=workflow.pk)


def _pair(request, workflow):
    """The two version numbers to compare: ?a=&b=, else the previous and the current."""
    current = workflow.current_version
    return _number(request.GET.get("a"), max(current - 1, 1)), _number(
        request.GET.get("b"), current
    )


def _number(raw, default):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _diff_context(workflow, a, b):
    found = {v.number: v for v in workflow.versions.filter(number__in={a, b})}
    if a not in found or b not in found:
        return {"a": a, "b": b, "diff_error": "Pick two versions that exist."}
    old, new = found[a].definition, found[b].definition
    return {"a": a, "b": b, "summary": summary(old, new), "lines": line_diff(old, new, a, b)}


def line_diff(old, new, a="a", b="b"):
    """A unified diff of the two definitions' pretty JSON, as classed lines."""
    before = json.dumps(old, indent=2, ensure_ascii=False).splitlines()
    after = json.dumps(new, indent=2, ensure_ascii=False).splitlines()
    lines = []
    for text in difflib.unified_diff(before, after, f"version {a}", f"version {b}", lineterm=""):
        if text.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(text[:1], "same")
        lines.append(DiffLine(kind, text))
    return lines


def summary(old, new):
    """Sentences saying how ``new`` differs from ``old``, step by step."""
    said = []
    for key in ("name", "description"):
        if old.get(key, "") != new.get(key, ""):
            said.append(f"{key.capitalize()} changed from {old.get(key)!r} to {new.get(key)!r}.")
    before, after = _steps(old), _steps(new)
    for step_id, (path, step) in after.items():
        label = f"{step.get('name') or step_id} ({step.get('provider')})"
        if step_id not in before:
            said.append(f"Added step {label} at {path}.")
            continue
        old_path, old_step = before[step_id]
        changed = [
            _change(f, old_step.get(f), step.get(f))
            for f in (*STEP_FIELDS, "blocks")
            if old_step.get(f) != step.get(f)
        ]
        if changed:
            said.append(f"Changed step {label}: {', '.join(changed)}.")
        if old_path != path:
            said.append(f"Moved step {label} from {old_path} to {path}.")
    for step_id, (_path, step) in before.items():
        if step_id not in after:
            said.append(f"Removed step {step.get('name') or step_id} ({step.get('provider')}).")
    return said


def _change(field, before, after):
    """``config.seconds 1 → 5`` for config values, the field's name for the rest."""
    if field != "config" or not isinstance(before, dict) or not isinstance(after, dict):
        return field
    keys = [
        k for k in {**before, **after} if (k in before, before.get(k)) != (k in after, after.get(k))
    ]
    return ", ".join(f"config.{k} {_short(before, k)} → {_short(after, k)}" for k in keys)


def _short(config, key):
    if key not in config:
        return "(unset)"
    value = config[key]
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _steps(data):
    """``{step id: (path, fields)}`` for every step, ``blocks`` holding each block's
    status, code and stop (the nested steps are steps of their own)."""
    found = {}
    for address, step, _ in tree.walk(data):
        fields = {f: step.get(f) for f in STEP_FIELDS}
        fields["blocks"] = [
            (b.get("status"), b.get("code"), b.get("stop", False)) for b in step.get("next", ())
        ]
        found[step.get("id") or str(address)] = (str(address), fields)
    return found
