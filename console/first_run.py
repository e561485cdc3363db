"""The first page of a fresh install: with no user at all, it creates the first owner
and their workspace, once.

Only someone at the machine may do it: a request from the loopback address that no
proxy forwarded, or one carrying the one-time token the server writes to its log (and
to ``var/setup_token``) when the page is first asked for. Once a user exists the page
is gone (404), and so is the token.
"""

import ipaddress
import logging
import secrets

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import UserCreationForm
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from console import workspace_lifecycle as lifecycle
from console.login import ThrottledLoginView
from console.workspaces import SESSION_KEY

logger = logging.getLogger(__name__)
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def needed():
    return not get_user_model().objects.exists()


def _token_path():
    return settings.VAR_DIR / "setup_token"


def forget_token():
    _token_path().unlink(missing_ok=True)


def setup_token():
    """The install's one-time token, made (and logged) the first time it is needed."""
    path = _token_path()
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def from_this_machine(request):
    if any(request.META.get(header) for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


class FirstOwnerForm(UserCreationForm):
    email = forms.EmailField(required=False)
    workspace = forms.CharField(max_length=lifecycle.NAME_MAX, label="Workspace name")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


def login_or_setup(request, *args, **kwargs):
    """The sign-in page; on an install with no user yet, the first-run page."""
    if needed():
        return redirect("first_run")
    return ThrottledLoginView.as_view()(request, *args, **kwargs)


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def first_run(request):
    if not needed():
        raise Http404("This console has its first owner already.")
    token = setup_token()
    given = request.POST.get("token") or request.GET.get("token") or ""
    allowed = from_this_machine(request) or secrets.compare_digest(given, token)
    if not allowed:
        logger.warning(
            "First run: to create the first owner from another machine, open "
            "/setup/?token=%s (or run: manage.py createowner)",
            token,
        )
        return render(request, "console/first_run.html", {"locked": True}, status=403)
    form = FirstOwnerForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user, workspace = lifecycle.create_owner(
                data["username"], data["email"], data["password1"], data["workspace"]
            )
        except lifecycle.WorkspaceError as error:
            form.add_error(None, str(error))
        else:
            forget_token()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = str(workspace.pk)
            return redirect("home")
    status = 400 if form.errors else 200
    context = {"form": form, "token": given if given == token else ""}
    return render(request, "console/first_run.html", context, status=status)
