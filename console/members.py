"""People in a workspace: invitations, roles and removal.

An invitation is a row (who, which role, by whom) and a signed link that names it; the
link expires after ``INVITATION_MAX_AGE`` and works once. It is mailed through the
workspace's SMTP settings (``console.workspace_settings``), and shown to the owner
when it could not be sent, so it can be passed on by hand.

A workspace always keeps an owner: changing the last owner's role or removing them
is refused (``LastOwnerError``), checked under a row lock so two owners demoting each
other at once cannot both succeed.
"""

import smtplib
from datetime import timedelta

from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from console import secrets
from console.models import Invitation, Membership
from console.workspace_settings import smtp_connection
from workflows import outbound

INVITATION_MAX_AGE = timedelta(days=7)
_SALT = "console.invitation"


class LastOwnerError(Exception):
    """The change would leave the workspace without an owner."""


class InvitationError(Exception):
    """The link is not one we signed, has expired, or was used."""


def members_of(workspace):
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__username")
    )


def pending_invitations(workspace):
    since = timezone.now() - INVITATION_MAX_AGE
    return workspace.invitations.filter(accepted_at__isnull=True, created_at__gte=since)


def invite(workspace, email, role, *, invited_by):
    return Invitation.objects.create(
        workspace=workspace, email=email.strip().lower(), role=role, invited_by=invited_by
    )


def link_token(invitation):
    return signing.dumps(str(invitation.pk), salt=_SALT)


def invitation_url(request, invitation):
    return request.build_absolute_uri(reverse("invitation", args=[link_token(invitation)]))


def read_invitation(token):
    """The pending invitation a link names; raises InvitationError with the reason."""
    try:
        pk = signing.loads(token, salt=_SALT, max_age=INVITATION_MAX_AGE)
    except signing.SignatureExpired:
        raise InvitationError("This invitation has expired: ask for a new one.") from None
    except signing.BadSignature:
        raise InvitationError("This invitation link is not valid.") from None
    invitation = Invitation.objects.select_related("workspace").filter(pk=pk).first()
    if invitation is None:
        raise InvitationError("This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used.")
    return invitation


def send_invitation(invitation, url):
    """Mail the link; returns ``(sent, note)``, the note saying why when it was not."""
    workspace = invitation.workspace
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "An owner"
    expires = (invitation.created_at + INVITATION_MAX_AGE).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"{inviter} invites you to the workspace {workspace.name} on the workflow console, "
        f"as {invitation.get_role_display().lower()}.\n\n"
        f"Accept (sign up or sign in): {url}\n\n"
        f"The link works once, until {expires}.\n"
    )
    try:
        connection, sender = smtp_connection(workspace)
        EmailMessage(
            subject=f"Join {workspace.name} on the workflow console",
            body=body,
            from_email=sender,
            to=[invitation.email],
            connection=connection,
        ).send()
    except secrets.SecretError as error:
        return False, f"SMTP password: {error}"
    except outbound.OutboundError as error:
        return False, error.message
    except (smtplib.SMTPException, OSError) as error:
        return False, f"Could not send the email ({type(error).__name__})"
    return True, f"Invitation sent to {invitation.email}."


@transaction.atomic
def accept(invitation, user):
    """Make (or upgrade) the user's membership; the invitation is used up."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used.")
    membership, created = Membership.objects.get_or_create(
        user=user, workspace=invitation.workspace, defaults={"role": invitation.role}
    )
    if not created and not membership.allows(invitation.role):
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def _other_owners(membership):
    owners = Membership.objects.select_for_update().filter(
        workspace_id=membership.workspace_id, role=Membership.Role.OWNER
    )
    return [owner for owner in owners if owner.pk != membership.pk]


@transaction.atomic
def change_role(membership, role):
    stepping_down = membership.role == Membership.Role.OWNER and role != membership.role
    if stepping_down and not _other_owners(membership):
        raise LastOwnerError(
            f"{membership.user.get_username()} is the only owner: make someone else an owner first."
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove(membership):
    """Their pages refuse them at the next request and their open sockets close at the
    next sweep (``jobs.consumers``); tokens they made belong to the workspace and stay."""
    if membership.role == Membership.Role.OWNER and not _other_owners(membership):
        raise LastOwnerError(
            f"{membership.user.get_username()} is the only owner: a workspace always keeps one."
        )
    membership.delete()
