"""The members page (who is in the workspace, with which role; owners invite, change
roles and remove) and the invitation link's page (accept: sign up or sign in)."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console import members
from console.member_forms import InviteForm, RoleForm, SignUpForm
from console.models import Invitation, Membership
from console.workspaces import SESSION_KEY, Role, workspace_required


def _page(request, *, form=None, invited=None, status=200):
    context = {
        "members": members.members_of(request.workspace),
        "invitations": members.pending_invitations(request.workspace).select_related("invited_by"),
        "invite_form": form or InviteForm(),
        "roles": Membership.Role.choices,
        "invited": invited,
        "expiry_days": members.INVITATION_MAX_AGE.days,
    }
    response = render(request, "console/members.html", context, status=status)
    if invited:
        response["Cache-Control"] = "no-store"  # the link is a key to the workspace
    return response


@require_GET
@workspace_required
def page(request):
    return _page(request)


@require_POST
@workspace_required(role=Role.OWNER)
def invite(request):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    email = form.cleaned_data["email"]
    if members.members_of(request.workspace).filter(user__email__iexact=email).exists():
        form.add_error("email", f"{email} is already a member of this workspace.")
        return _page(request, form=form, status=400)
    invitation = members.invite(
        request.workspace, email, form.cleaned_data["role"], invited_by=request.user
    )
    url = members.invitation_url(request, invitation)
    sent, note = members.send_invitation(invitation, url)
    # Rendered, not redirected: when it could not be sent, the link exists only here.
    return _page(
        request, invited={"invitation": invitation, "sent": sent, "note": note, "url": url}
    )


@require_POST
@workspace_required(role=Role.OWNER)
def withdraw(request, invitation_id):
    invitation = get_object_or_404(
        Invitation, pk=invitation_id, workspace=request.workspace, accepted_at__isnull=True
    )
    invitation.delete()
    messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    return redirect("members:page")


def _membership(request, membership_id):
    return get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, workspace=request.workspace
    )


@require_POST
@workspace_required(role=Role.OWNER)
def change_role(request, membership_id):
    membership = _membership(request, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner, editor or viewer.")
        return redirect("members:page")
    try:
        members.change_role(membership, form.cleaned_data["role"])
    except members.LastOwnerError as error:
        messages.error(request, str(error))
    else:
        name = membership.user.get_username()
        messages.success(request, f"{name} is now {membership.get_role_display().lower()}.")
    return redirect("members:page")


@require_POST
@workspace_required(role=Role.OWNER)
def remove(request, membership_id):
    membership = _membership(request, membership_id)
    try:
        members.remove(membership)
    except members.LastOwnerError as error:
        messages.error(request, str(error))
        return redirect("members:page")
    if membership.user_id == request.user.pk:
        messages.success(request, f"You left {request.workspace.name}.")
        return redirect("home")
    messages.success(request, f"{membership.user.get_username()} is removed from the workspace.")
    return redirect("members:page")


@require_POST
@workspace_required(role=Role.VIEWER)  # anyone may leave; the last owner may not
def leave(request):
    try:
        members.remove(request.membership)
    except members.LastOwnerError as error:
        messages.error(request, str(error))
        return redirect("members:page")
    messages.success(request, f"You left {request.workspace.name}.")
    return redirect("home")


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """Anyone holding the link: a signed-in user accepts; someone new signs up; someone
    with an account for the invited address is asked to sign in first."""
    try:
        found = members.read_invitation(token)
    except members.InvitationError as error:
        return render(request, "console/invitation.html", {"problem": str(error)}, status=410)
    context = {"invitation": found, "token": token}
    if request.user.is_authenticated:
        if request.method == "POST":
            return _accepted(request, found, request.user)
        return render(request, "console/invitation.html", context)
    has_account = get_user_model().objects.filter(email__iexact=found.email).exists()
    form = SignUpForm(
        request.POST if request.method == "POST" and not has_account else None,
        email=found.email,
        initial={"username": found.email.split("@")[0]},
    )
    if form.is_bound and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return _accepted(request, found, user)
    context.update(form=form, has_account=has_account)
    return render(request, "console/invitation.html", context, status=400 if form.errors else 200)


def _accepted(request, invitation, user):
    try:
        members.accept(invitation, user)
    except members.InvitationError as error:
        return render(request, "console/invitation.html", {"problem": str(error)}, status=410)
    request.session[SESSION_KEY] = str(invitation.workspace_id)
    messages.success(request, f"Welcome to {invitation.workspace.name}.")
    return redirect("home")
