"""Which workspace a request acts in, and the one helper every view scopes through.

The current workspace lives in the session and is re-checked against the user's
memberships on every request, so a stale or forged id falls back to a workspace the
user really belongs to. Views never filter by workspace by hand: they call
``scoped(request, Model)`` or ``get_scoped_or_404(request, Model, ...)``, so another
workspace's ids are a 404 everywhere.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from console.models import Workspace

SESSION_KEY = "workspace_id"


def workspaces_of(user):
    return Workspace.objects.filter(membership__user=user).order_by("name")


def current_workspace(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    available = workspaces_of(user)
    wanted = request.session.get(SESSION_KEY)
    workspace = available.filter(pk=wanted).first() if wanted else None
    if workspace is None:
        workspace = available.first()
        if workspace is not None:
            request.session[SESSION_KEY] = str(workspace.pk)
    return workspace


def switch_workspace(request, workspace_id):
    workspace = get_object_or_404(workspaces_of(request.user), pk=workspace_id)
    request.session[SESSION_KEY] = str(workspace.pk)
    return workspace


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workspace = _LazyWorkspace(request)
        return self.get_response(request)


class _LazyWorkspace:
    """Resolves the workspace on first use, so static and login pages cost no query."""

    def __init__(self, request):
        self._request = request
        self._resolved = False
        self._value = None

    def resolve(self):
        if not self._resolved:
            self._value = current_workspace(self._request)
            self._resolved = True
        return self._value


def get_workspace(request):
    workspace = request.workspace
    return workspace.resolve() if isinstance(workspace, _LazyWorkspace) else workspace


def workspace_required(view):
    """Login required, and a workspace to act in; sets ``request.workspace``."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        workspace = get_workspace(request)
        if workspace is None:
            return render(request, "console/no_workspace.html", status=403)
        request.workspace = workspace
        return view(request, *args, **kwargs)

    return wrapper


def scoped(request, model):
    return model.objects.in_workspace(request.workspace)


def get_scoped_or_404(request, model, **lookup):
    return get_object_or_404(scoped(request, model), **lookup)


def workspace_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_workspace": get_workspace(request),
        "my_workspaces": workspaces_of(user),
    }
