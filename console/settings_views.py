"""The workspace settings page: secrets (names only; values are write-only), whether
outbound calls may reach private addresses, and the workspace's SMTP server.

Every member sees the page; only owners change it. Each section is a partial: an
htmx request gets the section back, a plain form post is redirected to the page.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from console import secrets
from console.settings_forms import OutboundForm, SecretForm, SmtpForm, TestEmailForm
from console.workspace_settings import send_test_email, settings_of
from console.workspaces import Role, workspace_required


def _context(request, **overrides):
    workspace = request.workspace
    current = settings_of(workspace)
    names = secrets.names(workspace)
    context = {
        "can_edit": request.membership.allows(Role.OWNER),
        "secret_names": names,
        "secret_form": SecretForm(),
        "outbound_form": OutboundForm(instance=current),
        "smtp_form": SmtpForm(instance=current, secret_names=names),
        "test_email_form": TestEmailForm(initial={"to": request.user.email}),
        "smtp_secret_missing": bool(
            current.smtp_password_secret and current.smtp_password_secret not in names
        ),
    }
    context.update(overrides)
    return context


def _invalid(request, partial, **forms):
    """The section (htmx) or the whole page, with the form's errors. htmx swaps only
    2xx answers by default, so the section comes back as a 200."""
    if request.htmx:
        return render(request, partial, _context(request, **forms))
    return render(request, "console/settings.html", _context(request, **forms), status=400)


def _done(request, partial, note, notice_name):
    """The section with a note (htmx), or back to the page with the note as a message."""
    if request.htmx:
        return render(request, partial, _context(request, **{notice_name: note}))
    messages.success(request, note)
    return redirect("settings:page")


@require_GET
@workspace_required
def page(request):
    return render(request, "console/settings.html", _context(request))


@sensitive_post_parameters("value")  # kept out of error reports
@require_POST
@workspace_required(role=Role.OWNER)
def set_secret(request):
    form = SecretForm(request.POST)
    if not form.is_valid():
        return _invalid(request, "console/_secrets.html", secret_form=form)
    name = form.cleaned_data["name"]
    created = secrets.set_secret(request.workspace, name, form.cleaned_data["value"])
    note = f"Secret {name} {'added' if created else 'replaced'}."
    return _done(request, "console/_secrets_changed.html", note, "secrets_notice")


@require_POST
@workspace_required(role=Role.OWNER)
def delete_secret(request):
    name = request.POST.get("name", "")
    if secrets.delete_secret(request.workspace, name):
        note = f"Secret {name} deleted."
    else:
        note = f"There is no secret named {name}."
    return _done(request, "console/_secrets_changed.html", note, "secrets_notice")


@require_POST
@workspace_required(role=Role.OWNER)
def outbound(request):
    form = OutboundForm(request.POST, instance=settings_of(request.workspace))
    if not form.is_valid():
        return _invalid(request, "console/_outbound.html", outbound_form=form)
    form.save()
    return _done(request, "console/_outbound.html", "Outbound calls saved.", "outbound_notice")


@require_POST
@workspace_required(role=Role.OWNER)
def smtp(request):
    names = secrets.names(request.workspace)
    form = SmtpForm(request.POST, instance=settings_of(request.workspace), secret_names=names)
    if not form.is_valid():
        return _invalid(request, "console/_smtp.html", smtp_form=form)
    form.save()
    return _done(request, "console/_smtp.html", "SMTP settings saved.", "smtp_notice")


@require_POST
@workspace_required(role=Role.OWNER)
def test_email(request):
    form = TestEmailForm(request.POST)
    if not form.is_valid():
        return _invalid(request, "console/_smtp.html", test_email_form=form)
    sent, note = send_test_email(request.workspace, form.cleaned_data["to"])
    if sent:
        return _done(request, "console/_smtp.html", note, "smtp_notice")
    if request.htmx:
        return render(request, "console/_smtp.html", _context(request, smtp_error=note))
    messages.error(request, note)
    return redirect("settings:page")
