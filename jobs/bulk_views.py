"""Bulk run from the silo list: confirm how many entries, then watch the progress."""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from console.workspaces import Role, get_scoped_or_404, scoped, workspace_required
from jobs import bulk, live
from jobs.models import Batch
from workflows.models import Workflow


def _workflow(request, value):
    try:
        workflow_id = uuid.UUID(str(value or ""))
    except ValueError:
        return None
    return scoped(request, Workflow).filter(pk=workflow_id, archived=False).first()


@require_GET
@workspace_required(role=Role.EDITOR)
def confirm(request):
    """Pick the workflow; the page says how many entries it would start on."""
    filters = bulk.clean_filters(request.GET)
    workflows = scoped(request, Workflow).filter(archived=False).order_by("name")
    if filters["schema"]:
        workflows = workflows.filter(schema=filters["schema"])
    workflow = _workflow(request, request.GET.get("workflow"))
    matched = bulk.count(request.workspace, workflow, filters) if workflow else None
    context = {
        "filters": filters,
        "workflows": workflows,
        "workflow": workflow,
        "matched": matched,
        "limit": bulk.LIMIT,
        "silo_url": reverse("silo:list") + "?" + request.GET.urlencode(),
    }
    return render(request, "jobs/bulk_confirm.html", context)


@require_POST
@workspace_required
def start(request):
    filters = bulk.clean_filters(request.POST)
    workflow = _workflow(request, request.POST.get("workflow"))
    if workflow is None:
        messages.error(request, "Pick a workflow to run.")
        query = urlencode({name: value for name, value in filters.items() if value})
        return redirect(reverse("jobs:bulk") + "?" + query)  # the filter, not the CSRF token
    try:
        expected = int(request.POST.get("expected", ""))
    except ValueError:
        expected = -1
    try:
        batch = bulk.start(
            request.workspace,
            workflow,
            filters,
            actor=request.user,
            trigger=f"bulk run by {request.user.get_username()}",
            expected=expected,
        )
    except bulk.BulkError as refusal:
        messages.error(request, str(refusal))
        query = {**filters, "workflow": str(workflow.pk)}
        return redirect(reverse("jobs:bulk") + "?" + _encode(query))
    return redirect("jobs:batch", batch_id=batch.pk)


def _encode(query):
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in query.items() if v})


@require_GET
@workspace_required
def batch(request, batch_id):
    since = live.last_change_id(request.workspace.pk)  # before the data it covers
    batch = get_scoped_or_404(request, Batch, pk=batch_id)
    context = {"batch": batch, "progress": bulk.progress(batch), "live_since": since}
    return render(request, "jobs/batch.html", context)


@require_GET
@workspace_required
def batch_progress(request, batch_id):
    batch = get_scoped_or_404(request, Batch, pk=batch_id)
    return render(
        request, "jobs/_batch_progress.html", {"batch": batch, "progress": bulk.progress(batch)}
    )
