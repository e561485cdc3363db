"""A person's own account: change the password, sign out everywhere else, and reset a
forgotten password by email (Django's views, mailed through a workspace's SMTP).

Sessions live in the database, so "sign out of all other sessions" deletes them from
the store; their pages go to the sign-in page at the next request, and their live
sockets close (``jobs.consumers`` checks that the session still exists).
"""

import logging
import smtplib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.contrib.auth.views import PasswordResetConfirmView
from django.contrib.sessions.models import Session
from django.core.mail import EmailMultiAlternatives, get_connection
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from console import secrets
from console.models import WorkspaceSettings
from console.workspace_settings import smtp_connection
from workflows import outbound

logger = logging.getLogger(__name__)


def sessions_of(user):
    """Keys of the user's unexpired sessions (each is decoded: fine at console scale)."""
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            keys.append(session.session_key)
    return keys


def end_sessions(user, keep=None):
    """Delete the user's sessions from the store, but ``keep``; returns how many ended."""
    ended = [key for key in sessions_of(user) if key != keep]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


def end_other_sessions(request):
    return end_sessions(request.user, keep=request.session.session_key)


def _page(request, *, password_form=None, status=200):
    context = {
        "password_form": password_form or PasswordChangeForm(request.user),
        "other_sessions": len(sessions_of(request.user)) - 1,
    }
    return render(request, "console/account.html", context, status=status)


@require_GET
@login_required
def account(request):
    return _page(request)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_POST
@login_required
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _page(request, password_form=form, status=400)
    form.save()
    update_session_auth_hash(request, form.user)  # this session stays signed in
    ended = end_other_sessions(request)
    note = "Password changed."
    if ended:
        note += f" {ended} other session{'s' if ended != 1 else ''} signed out."
    messages.success(request, note)
    return redirect("account")


@require_POST
@login_required
def sign_out_others(request):
    ended = end_other_sessions(request)
    messages.success(request, f"Signed out of {ended} other session{'s' if ended != 1 else ''}.")
    return redirect("account")


class ResetConfirmView(PasswordResetConfirmView):
    """Django's, and a new password ends every session the old one opened."""

    def form_valid(self, form):
        response = super().form_valid(form)
        end_sessions(form.user)
        return response


class ResetForm(PasswordResetForm):
    """Mails through the SMTP server of a workspace the person belongs to, when one has
    its own; else through the console's (``EMAIL_*``). A failure is logged, not shown:
    the page says the same whether or not the address has an account."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        to = context["email"]
        try:
            connection, sender = _connection_for(context["user"])
            EmailMultiAlternatives(subject, body, sender, [to], connection=connection).send()
        except (secrets.SecretError, outbound.OutboundError, smtplib.SMTPException, OSError):
            logger.warning("password reset: could not send the email", exc_info=True)


def _connection_for(user):
    own = (
        WorkspaceSettings.objects.filter(workspace__membership__user=user)
        .exclude(smtp_host="")
        .select_related("workspace")
        .order_by("workspace__name")
        .first()
    )
    if own is not None:
        return smtp_connection(own.workspace)
    return get_connection(), settings.DEFAULT_FROM_EMAIL
