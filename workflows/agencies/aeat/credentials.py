"""What a workspace needs to call the AEAT: who it is, where, and with which certificate.

The endpoints are the operator's (Django settings), per environment, never a
workspace's or a workflow's: an owner chooses *which* environment, not *where* it is,
so nobody can aim the console's certificate at another host. ``AEAT_ENDPOINTS`` in the
settings overrides the AEAT's own addresses below; the ``local`` environment (the
local test AEAT, ``manage.py local_aeat``) exists only when the operator set
``AEAT_LOCAL_URL`` (and ``AEAT_LOCAL_CA``, its CA file), as ``make run`` does.

The certificate is kept as two workspace secrets (``console.secrets``, encrypted like
the others, rotated with them, never shown back): the PKCS#12 file in base64 and its
password. ``AeatSettings`` keeps only what the settings page shows of it.
"""

import base64
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from console import secrets
from workflows.agencies.aeat import certificates
from workflows.agencies.models import AeatSettings

CERTIFICATE_SECRET = "aeat:certificate"  # noqa: S105 - a name, not a value
PASSWORD_SECRET = "aeat:certificate-password"  # noqa: S105 - a name

VERIFACTU_PATH = "/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP"
CENSUS_PATH = "/wlpl/BURT-JDIT/ws/VNifV2SOAP"

# The AEAT's own addresses (SistemaFacturacion.wsdl; VNifV2.wsdl). The test
# environment is the AEAT's pre-production ("prewww1"), for personal and company
# certificates alike.
ENDPOINTS = {
    "production": {
        "verifactu": "https://www1.agenciatributaria.gob.es" + VERIFACTU_PATH,
        "census": "https://www1.agenciatributaria.gob.es" + CENSUS_PATH,
        "trust": None,
    },
    "test": {
        "verifactu": "https://prewww1.aeat.es" + VERIFACTU_PATH,
        "census": "https://prewww1.aeat.es" + CENSUS_PATH,
        "trust": None,
    },
}


class NotConfigured(Exception):
    """The workspace cannot call the AEAT yet; the message says what to set, where."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Credentials:
    environment: str  # "production", "test" or "local"
    issuer: str  # the issuer's NIF (ObligadoEmision)
    issuer_name: str
    certificate: certificates.ClientCertificate
    verifactu_url: str
    census_url: str
    trust: str | None  # a CA file for a server not under a public CA (the local AEAT)


def endpoints():
    """The environments this install offers, each ``{verifactu, census, trust}``."""
    configured = {**ENDPOINTS, **getattr(settings, "AEAT_ENDPOINTS", {})}
    local = getattr(settings, "AEAT_LOCAL_URL", "").rstrip("/")
    if local:
        configured["local"] = {
            "verifactu": local + VERIFACTU_PATH,
            "census": local + CENSUS_PATH,
            "trust": getattr(settings, "AEAT_LOCAL_CA", "") or None,
        }
    else:
        configured.pop("local", None)
    return configured


def settings_of(workspace):
    found, _ = AeatSettings.objects.get_or_create(workspace=workspace)
    return found


def for_workspace(workspace) -> Credentials:
    """Everything a call needs; raises ``NotConfigured`` naming what is missing."""
    current = AeatSettings.objects.filter(workspace=workspace).first()
    where = "Set it in Settings > AEAT (VERI*FACTU)."
    if current is None or not current.issuer_nif:
        raise NotConfigured(f"This workspace has no AEAT issuer NIF. {where}")
    offered = endpoints()
    if current.environment not in offered:
        raise NotConfigured(
            f"The AEAT environment {current.environment!r} is not offered by this install "
            f"(the operator did not configure it). {where}"
        )
    certificate = certificate_of(workspace)
    if certificate is None:
        raise NotConfigured(f"This workspace has no AEAT certificate. {where}")
    if certificate.expired():
        raise NotConfigured(
            f"The AEAT certificate expired on {certificate.not_after:%Y-%m-%d}. {where}"
        )
    endpoint = offered[current.environment]
    return Credentials(
        environment=current.environment,
        issuer=current.issuer_nif,
        issuer_name=current.issuer_name,
        certificate=certificate,
        verifactu_url=endpoint["verifactu"],
        census_url=endpoint["census"],
        trust=endpoint.get("trust"),
    )


def certificate_of(workspace):
    """The workspace's certificate, or None when it has none. A stored certificate that
    no longer opens (the secrets key changed) raises ``NotConfigured``."""
    try:
        p12 = secrets.reveal_own(workspace, CERTIFICATE_SECRET)
        password = secrets.reveal_own(workspace, PASSWORD_SECRET)
    except secrets.SecretMissing:
        return None
    except secrets.SecretError as error:
        raise NotConfigured(str(error)) from None
    try:
        return certificates.load(base64.b64decode(p12), password[1:])  # "=" + password
    except certificates.CertificateError as error:
        raise NotConfigured(f"The stored AEAT certificate cannot be used: {error}") from None


def store_certificate(workspace, p12: bytes, password: str):
    """Check and keep a PKCS#12 file as the workspace's certificate; returns it.
    Raises ``CertificateError`` (nothing is stored) when it does not open."""
    certificate = certificates.load(p12, password)
    with transaction.atomic():
        current = AeatSettings.objects.select_for_update().get_or_create(workspace=workspace)[0]
        secrets.set_own(workspace, CERTIFICATE_SECRET, base64.b64encode(p12).decode())
        # An empty password is a valid PKCS#12 password; the secret cannot be empty.
        secrets.set_own(workspace, PASSWORD_SECRET, "=" + password)
        current.certificate_subject = certificate.subject
        current.certificate_issuer = certificate.issuer
        current.certificate_nif = certificate.nif
        current.certificate_not_before = certificate.not_before
        current.certificate_not_after = certificate.not_after
        current.certificate_fingerprint = certificate.fingerprint
        current.save()
    return certificate


def remove_certificate(workspace):
    with transaction.atomic():
        secrets.delete_secret(workspace, CERTIFICATE_SECRET)
        secrets.delete_secret(workspace, PASSWORD_SECRET)
        AeatSettings.objects.filter(workspace=workspace).update(
            certificate_subject="",
            certificate_issuer="",
            certificate_nif="",
            certificate_not_before=None,
            certificate_not_after=None,
            certificate_fingerprint="",
        )
