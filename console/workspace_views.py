"""Workspaces: make a new one (you become its owner), rename it, delete it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from console import workspace_lifecycle as lifecycle
from console.workspaces import SESSION_KEY, Role, workspace_required


class NameForm(forms.Form):
    name = forms.CharField(max_length=lifecycle.NAME_MAX)


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    form = NameForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            workspace = lifecycle.create_workspace(form.cleaned_data["name"], request.user)
        except lifecycle.WorkspaceError as error:
            form.add_error("name", str(error))
        else:
            request.session[SESSION_KEY] = str(workspace.pk)
            messages.success(request, f"Workspace {workspace.name} created: you are its owner.")
            return redirect("home")
    status = 400 if form.errors else 200
    return render(request, "console/workspace_new.html", {"form": form}, status=status)


def _manage_page(request, *, rename_form=None, problem=None, status=200):
    workspace = request.workspace
    context = {
        "rename_form": rename_form or NameForm(initial={"name": workspace.name}),
        "contents": lifecycle.contents(workspace),
        "active_jobs": lifecycle.active_jobs(workspace),
        "problem": problem,
    }
    return render(request, "console/workspace_manage.html", context, status=status)


@require_http_methods(["GET"])
@workspace_required(role=Role.OWNER)
def manage(request):
    return _manage_page(request)


@require_POST
@workspace_required(role=Role.OWNER)
def rename(request):
    form = NameForm(request.POST)
    if form.is_valid():
        try:
            lifecycle.rename_workspace(request.workspace, form.cleaned_data["name"])
        except lifecycle.WorkspaceError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Workspace renamed to {request.workspace.name}.")
            return redirect("workspaces:manage")
    return _manage_page(request, rename_form=form, status=400)


@require_POST
@workspace_required(role=Role.OWNER)
def delete(request):
    workspace = request.workspace
    if request.POST.get("confirm_name", "").strip() != workspace.name:
        problem = f"Type the workspace's name, {workspace.name}, to confirm."
        return _manage_page(request, problem=problem, status=400)
    try:
        lifecycle.delete_workspace(workspace)
    except lifecycle.WorkspaceError as error:
        return _manage_page(request, problem=str(error), status=409)
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"Workspace {workspace.name} and everything in it are deleted.")
    return redirect("home")
