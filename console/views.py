from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from console.workspaces import switch_workspace, workspace_required


@workspace_required
def home(request):
    return redirect("silo:list")


@login_required
@require_POST
def switch(request):
    switch_workspace(request, request.POST.get("workspace"))
    # Ids in the old page belong to the old workspace: land on a neutral page.
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    return redirect(target)
