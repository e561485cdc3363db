"""Developer mode: the workflow being edited as pretty-printed, editable JSON.

It shows the user's draft (or the current version when there is none) in the SPEC 3
shape. Switching back to the visual editor validates the text with the shared
validator and stores it into the draft as one undoable edit; while it is invalid the
page stays, listing each problem by JSON path, and nothing is stored. Discard leaves
the draft as it was. A pasted workflow keeps this workflow's id; ``version`` is
read-only, and the schema is fixed once saved (Import JSON on the list creates a
workflow of another schema).
"""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from console.workspaces import Role, get_scoped_or_404, workspace_required
from workflows import definition, drafts, paste
from workflows.models import Workflow


@require_http_methods(["GET", "POST"])
@workspace_required(role=Role.EDITOR)
def developer_mode(request, workflow_id):
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id, archived=False)
    if request.method == "GET":
        return _render(request, workflow, pretty(workflow, drafts.load(workflow, request.user)))
    text = request.POST.get("json", "")
    try:
        pasted = paste.read(text, request.workspace)
        _check_schema(workflow, pasted)
    except paste.PasteError as error:
        return _render(
            request, workflow, text, issues=error.issues, position=error.position, status=400
        )
    drafts.store(workflow, request.user, pasted.definition())
    for warning in pasted.warnings:
        messages.warning(request, f"Warning: {warning}")
    return redirect("workflows:edit", workflow_id=workflow.pk)


def pretty(workflow, data):
    """The draft's data as the workflow JSON of SPEC 3, indented, keys in export order."""
    document = {"id": str(workflow.pk)}
    if isinstance(data, dict):
        document.update({k: v for k, v in data.items() if k not in ("id", "version")})
    document["version"] = workflow.current_version
    order = ("id", "name", "description", "schema", "version", "steps", "rescue")
    ordered = {key: document[key] for key in order if key in document}
    ordered.update({k: v for k, v in document.items() if k not in ordered})
    return json.dumps(ordered, indent=2, ensure_ascii=False)


def _check_schema(workflow, pasted):
    if pasted.workflow.schema != workflow.schema:
        raise paste.PasteError(
            [
                definition.Issue(
                    path="schema",
                    message=f"this workflow runs on {workflow.schema} documents and its schema"
                    f" is fixed; to bring in a {pasted.workflow.schema} workflow, use Import"
                    " JSON on the workflows list",
                )
            ]
        )


def _render(request, workflow, text, *, issues=None, position=None, status=200):
    context = {"workflow": workflow, "text": text, "issues": issues, "position": position}
    return render(request, "workflows/developer.html", context, status=status)
