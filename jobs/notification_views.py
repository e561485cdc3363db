"""The failed-jobs list behind the top bar's bell, and marking it seen."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.workspaces import Role, workspace_required
from jobs import notifications


@require_GET
@workspace_required
def failed_jobs(request):
    jobs = notifications.recent_failures(request.workspace, request.user)
    return render(request, "jobs/notifications.html", {"jobs": jobs})


@require_GET
@workspace_required
def bell(request):
    return render(request, "jobs/_bell_fragment.html")


@require_POST
@workspace_required(role=Role.VIEWER)  # the bell is the user's own: a viewer clears it too
def mark_seen(request):
    notifications.mark_seen(request.workspace, request.user)
    messages.success(request, "Failed jobs marked as seen.")
    return redirect("jobs:notifications")
