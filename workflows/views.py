"""The workflows list and what its toolbar and ``...`` menus do.

Create (template picker), Import JSON and Delete open as dialogs: with htmx the list
fetches the dialog alone; without it the same URL renders the list with the dialog
open, so every action also works as a plain link and form.
"""

import uuid

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.workspaces import Role, get_scoped_or_404, scoped, workspace_required
from workflows import paste, selectors, services, starters
from workflows.models import Workflow


@require_GET
@workspace_required
def workflow_list(request):
    return _render_list(request)


def _render_list(request, *, dialog=None, status=200, **context):
    if dialog and request.htmx and request.method == "GET":
        return render(request, dialog, context, status=status)
    archived = request.GET.get("archived") == "1"
    workflows = selectors.with_last_run(scoped(request, Workflow), archived=archived)
    context = {
        "workflows": with_row_urls(workflows),
        "archived": archived,
        "dialog": dialog,
        **context,
    }
    return render(request, "workflows/list.html", context, status=status)


ROW_URLS = ("edit", "run_panel", "duplicate", "export", "delete", "unarchive")


def with_row_urls(workflows):
    """The workflows as a list, each with ``urls`` for its row and ``...`` menu.

    Each URL is reversed once with a placeholder id and filled in per row: reversing
    seven URLs for each of a few hundred rows was most of the page's time.
    """
    placeholder = str(uuid.UUID(int=0))
    patterns = {name: reverse(f"workflows:{name}", args=[placeholder]) for name in ROW_URLS}
    job_pattern = reverse("jobs:detail", args=[placeholder])
    rows = list(workflows)
    for workflow in rows:
        pk = str(workflow.pk)
        workflow.urls = {name: url.replace(placeholder, pk) for name, url in patterns.items()}
        if workflow.last_run_id:
            workflow.urls["last_run"] = job_pattern.replace(placeholder, str(workflow.last_run_id))
    return rows


@require_http_methods(["GET", "POST"])
@workspace_required(role=Role.EDITOR)
def create(request):
    """The template picker. Choosing a template (``?template=<slug>``, also a link to
    share) shows its steps, read-only; its Load Template button makes version 1 and
    opens the editor."""
    choices = starters.all_starters()
    if request.method == "GET":
        slug = request.GET.get("template", "")
        chosen = starters.get(slug) if slug else None
        return _render_list(
            request,
            dialog="workflows/_list_picker.html",
            choices=choices,
            slug=slug if chosen else "",
            chosen=chosen,
            main_flow=list(starters.outline(chosen["steps"])) if chosen else [],
            error_flow=list(starters.outline(chosen.get("rescue"))) if chosen else [],
            error="" if chosen or not slug else f"There is no template {slug[:100]!r}.",
        )
    data = starters.get(request.POST.get("template", ""))
    if data is None:
        return _render_list(
            request,
            dialog="workflows/_list_picker.html",
            choices=choices,
            error="Pick one of the templates.",
            status=400,
        )
    name = " ".join(request.POST.get("name", "").split())[:200]
    if name:
        data["name"] = name
    workflow, _ = services.create_workflow(
        request.workspace, data, actor=request.user, secrets=paste.secret_names(request.workspace)
    )
    messages.success(request, f"Created {workflow.name}.")
    return redirect("workflows:edit", workflow_id=workflow.pk)


@require_POST
@workspace_required
def duplicate(request, workflow_id):
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id, archived=False)
    copy = services.duplicate(
        workflow, actor=request.user, secrets=paste.secret_names(request.workspace)
    )
    messages.success(request, f"Duplicated {workflow.name} as {copy.name}.")
    return redirect("workflows:list")


@require_GET
@workspace_required
def export_json(request, workflow_id):
    """The current version's JSON (SPEC 3), for Copy JSON; secrets appear by name only."""
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id)
    return JsonResponse(
        services.export(workflow), json_dumps_params={"indent": 2, "ensure_ascii": False}
    )


@require_http_methods(["GET", "POST"])
@workspace_required(role=Role.EDITOR)
def import_json(request):
    """Paste a workflow's JSON (from this or another workspace) to create it here."""
    dialog = "workflows/_import_dialog.html"
    if request.method == "GET":
        return _render_list(request, dialog=dialog, text="")
    text = request.POST.get("json", "")
    try:
        pasted = paste.read(text, request.workspace)
    except paste.PasteError as error:
        return _render_list(
            request,
            dialog=dialog,
            text=text,
            issues=error.issues,
            position=error.position,
            status=400,
        )
    workflow, _ = services.create_workflow(
        request.workspace, pasted.definition(), actor=request.user
    )
    messages.success(request, f"Imported {workflow.name} as version 1.")
    for warning in pasted.warnings:
        messages.warning(request, f"Warning: {warning}")
    return redirect("workflows:edit", workflow_id=workflow.pk)


@require_http_methods(["GET", "POST"])
@workspace_required(role=Role.EDITOR)
def delete(request, workflow_id):
    """Confirm, then delete; a workflow that has run is archived instead."""
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id, archived=False)
    if request.method == "GET":
        # Deleting takes everyone's unsaved drafts of it along: say whose.
        owners = list(
            workflow.drafts.order_by("user__username").values_list("user_id", "user__username")
        )
        return _render_list(
            request,
            dialog="workflows/_list_delete.html",
            doomed=workflow,
            has_jobs=workflow.jobs.exists(),
            own_draft=any(user_id == request.user.pk for user_id, _ in owners),
            others_drafts=[name for user_id, name in owners if user_id != request.user.pk],
        )
    done = services.remove(workflow)
    if done == "archived":
        messages.success(
            request, f"Archived {workflow.name}: it has jobs, so their history is kept."
        )
    else:
        messages.success(request, f"Deleted {workflow.name}.")
    return redirect("workflows:list")


@require_POST
@workspace_required
def unarchive(request, workflow_id):
    """Bring an archived workflow back to the list; it can run again."""
    workflow = get_scoped_or_404(request, Workflow, pk=workflow_id, archived=True)
    services.unarchive(workflow)
    messages.success(request, f"{workflow.name} is back in the list.")
    return redirect("workflows:list")
