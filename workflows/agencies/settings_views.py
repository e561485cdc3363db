"""Settings > AEAT: who issues, which AEAT environment, the certificate, the software.

Owners only (the page shows the certificate's holder and changes what the console
sends to the tax agency in the workspace's name). Each section is a form posted to
its own URL; the page comes back with the outcome.
"""

from datetime import UTC, datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from console.workspaces import Role, workspace_required
from workflows.agencies.aeat import certificates, credentials
from workflows.agencies.aeat.verifactu import Software
from workflows.agencies.settings_forms import CertificateForm, IssuerForm


def _context(request, **overrides):
    current = credentials.settings_of(request.workspace)
    offered = credentials.endpoints()
    context = {
        "aeat": current,
        "issuer_form": IssuerForm(instance=current),
        "certificate_form": CertificateForm(),
        "environment_offered": current.environment in offered,
        "endpoint": offered.get(current.environment),
        "software": software_identity(current),
        "warning_days": certificates.EXPIRY_WARNING_DAYS,
        "expires_soon": _remaining_days(current) < certificates.EXPIRY_WARNING_DAYS,
        "expired": _remaining_days(current) < 0,
        "nif_mismatch": bool(
            current.certificate_nif
            and current.issuer_nif
            and current.certificate_nif != current.issuer_nif
        ),
    }
    context.update(overrides)
    return context


def _remaining_days(current):
    """Whole days the certificate has left (negative once expired); large when none."""
    if current.certificate_not_after is None:
        return 10**6
    return (current.certificate_not_after - datetime.now(UTC)).days


def software_identity(current):
    """The ``SistemaInformatico`` every record carries (Django setting
    ``VERIFACTU_SOFTWARE``), as (label, value) rows."""
    software = Software.from_settings()
    return [
        ("Producer", software.name or f"{current.issuer_name or 'the issuer'} (the issuer)"),
        ("Producer NIF", software.nif or f"{current.issuer_nif or 'the issuer'} (the issuer's)"),
        ("System", software.system_name),
        ("System ID", software.system_id),
        ("Version", software.version),
        ("Installation", software.installation),
        ("VERI*FACTU only", "yes" if software.only_verifactu else "no"),
    ]


@require_GET
@workspace_required(role=Role.OWNER)
def page(request):
    return render(request, "agencies/settings.html", _context(request))


@require_POST
@workspace_required(role=Role.OWNER)
def issuer(request):
    form = IssuerForm(request.POST, instance=credentials.settings_of(request.workspace))
    if not form.is_valid():
        return render(
            request, "agencies/settings.html", _context(request, issuer_form=form), status=400
        )
    form.save()
    messages.success(request, "AEAT issuer and environment saved.")
    return redirect("settings:aeat")


@sensitive_post_parameters("password")
@sensitive_variables("form")
@require_POST
@workspace_required(role=Role.OWNER)
def certificate(request):
    form = CertificateForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request, "agencies/settings.html", _context(request, certificate_form=form), status=400
        )
    stored = credentials.store_certificate(
        request.workspace, form.cleaned_data["p12"], form.cleaned_data.get("password", "")
    )
    messages.success(request, f"Certificate saved: {stored.subject}.")
    return redirect("settings:aeat")


@require_POST
@workspace_required(role=Role.OWNER)
def remove_certificate(request):
    credentials.remove_certificate(request.workspace)
    messages.success(
        request, "Certificate removed: calls to the AEAT stop until a new one is saved."
    )
    return redirect("settings:aeat")
