"""Which workspace a request acts in, with which role, and the one helper every view
scopes through.

The current workspace lives in the session and is re-checked against the user's
memberships on every request, so a stale or forged id falls back to a workspace the
user really belongs to. Views never filter by workspace by hand: they call
``scoped(request, Model)`` or ``get_scoped_or_404(request, Model, ...)``, so another
workspace's ids are a 404 everywhere.

Roles are enforced here too, by ``workspace_required``: reading (GET, HEAD) needs
any role, anything else needs an editor, and a view that needs more (an owner's) or
that a viewer may post (marking failed jobs seen) says so with ``role=``. So a new form is
closed to viewers unless its author decides otherwise.
"""

from datetime import timedelta
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from console.models import Membership, Workspace

SESSION_KEY = "workspace_id"
READING = frozenset({"GET", "HEAD", "OPTIONS"})
Role = Membership.Role
ROLE_NEEDED = {
    Role.EDITOR: "Only the workspace's editors and owners can do this; you are a viewer.",
    Role.OWNER: "Only the workspace's owners can do this.",
}
SEEN_RESOLUTION = timedelta(minutes=5)  # how often a member's last activity is written


def workspaces_of(user):
    return Workspace.objects.filter(membership__user=user).order_by("name")


def current_membership(request):
    """The user's membership in the session's workspace, or in their first one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    available = Membership.objects.filter(user=user).select_related("workspace")
    wanted = request.session.get(SESSION_KEY)
    membership = available.filter(workspace_id=wanted).first() if wanted else None
    if membership is None:
        membership = available.order_by("workspace__name").first()
        if membership is not None:
            request.session[SESSION_KEY] = str(membership.workspace_id)
    return membership


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
    """Resolves the membership on first use, so static and login pages cost no query."""

    def __init__(self, request):
        self._request = request
        self._resolved = False
        self._value = None

    def resolve(self):
        if not self._resolved:
            self._value = current_membership(self._request)
            self._resolved = True
        return self._value


def get_membership(request):
    """The request's membership (with its workspace), or None."""
    found = getattr(request, "membership", None)
    if found is not None:
        return found
    workspace = getattr(request, "workspace", None)
    if isinstance(workspace, _LazyWorkspace):
        return workspace.resolve()
    return None


def get_workspace(request):
    workspace = request.workspace
    if isinstance(workspace, _LazyWorkspace):
        membership = workspace.resolve()
        return membership.workspace if membership is not None else None
    return workspace


def workspace_required(view=None, *, role=None):
    """Login required, a workspace to act in, and a role in it that allows the request.

    Sets ``request.workspace`` and ``request.membership``. ``role`` is the least role
    the view needs; unset, reading needs a viewer and changing needs an editor. A role
    too low is a 403 with the reason.
    """
    if view is None:
        return lambda view: workspace_required(view, role=role)

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = get_membership(request)
        if membership is None:
            return render(request, "console/no_workspace.html", status=403)
        request.workspace = membership.workspace
        request.membership = membership
        needed = role or (Role.VIEWER if request.method in READING else Role.EDITOR)
        if not membership.allows(needed):
            raise PermissionDenied(ROLE_NEEDED[needed])
        _note_activity(membership)
        return view(request, *args, **kwargs)

    return wrapper


def _note_activity(membership):
    now = timezone.now()
    if membership.last_seen_at is None or now - membership.last_seen_at >= SEEN_RESOLUTION:
        Membership.objects.filter(pk=membership.pk).update(last_seen_at=now)
        membership.last_seen_at = now


def scoped(request, model):
    return model.objects.in_workspace(request.workspace)


def get_scoped_or_404(request, model, **lookup):
    return get_object_or_404(scoped(request, model), **lookup)


def workspace_context(request):
    """What the layout shows: the workspaces to switch to, and what the user's role
    allows, so templates hide the buttons it does not (``may_edit``, ``may_manage``)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = get_membership(request)
    return {
        "current_workspace": membership.workspace if membership else None,
        "my_workspaces": workspaces_of(user),
        "my_role": membership.get_role_display() if membership else "",
        "may_edit": bool(membership and membership.allows(Role.EDITOR)),
        "may_manage": bool(membership and membership.allows(Role.OWNER)),
    }
