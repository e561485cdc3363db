"""The issuer's certificate: a PKCS#12 file (``.p12``/``.pfx``) and its password.

The AEAT authenticates every call by the TLS client certificate of the taxpayer or its
representative, as the FNMT and other Spanish CAs issue them. ``load`` opens the file
with ``cryptography`` and says what it holds (subject, the NIF it names, validity);
``ClientCertificate.load_into`` puts it in a TLS context for ``workflows.outbound``.
Nothing here writes a password or a private key anywhere readable: ``ssl`` only loads
keys from files, so the key goes to a private temporary file encrypted with a one-time
password, and the file is removed at once.
"""

import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID, ObjectIdentifier

MAX_SIZE = 64 * 1024  # a PKCS#12 with its chain is a few kilobytes
EXPIRY_WARNING_DAYS = 30
# organizationIdentifier (ETSI EN 319 412-1): "VATES-B12345678" on a company's seal or
# representative certificate; serialNumber: "IDCES-12345678Z" on a person's.
ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
NIF_PATTERN = re.compile(r"^[0-9A-Z][0-9]{7}[0-9A-Z]$")


class CertificateError(ValueError):
    """The file is not a usable certificate; the message says why, for the operator."""


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate with its private key. Equal (and hashed) by its fingerprint only,
    so a TLS context built for it can be reused."""

    subject: str
    nif: str  # "" when the certificate names no Spanish tax ID
    not_before: datetime
    not_after: datetime
    fingerprint: str  # SHA-256 of the certificate, hex
    issuer: str = field(compare=False)
    _chain_pem: bytes = field(repr=False, compare=False)
    _key_pem: bytes = field(repr=False, compare=False)  # encrypted with _key_password
    _key_password: bytes = field(repr=False, compare=False)

    def expired(self, now=None):
        return (now or datetime.now(UTC)) >= self.not_after

    def expires_soon(self, now=None):
        """Within ``EXPIRY_WARNING_DAYS``: the settings page warns the owner."""
        remaining = self.not_after - (now or datetime.now(UTC))
        return remaining.total_seconds() < EXPIRY_WARNING_DAYS * 86400

    def load_into(self, context):
        """Present this certificate from ``context`` (an ``ssl.SSLContext``)."""
        with tempfile.TemporaryDirectory(prefix="aeat-") as private:  # mode 0700
            certificate = os.path.join(private, "certificate.pem")
            key = os.path.join(private, "key.pem")
            for path, data in ((certificate, self._chain_pem), (key, self._key_pem)):
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as file:
                    file.write(data)
            context.load_cert_chain(certificate, key, password=self._key_password)


def load(p12: bytes, password: str) -> ClientCertificate:
    """Open a PKCS#12 file; raises ``CertificateError`` with a message that names what
    is wrong (not PKCS#12, wrong password, no key, no certificate)."""
    if not p12:
        raise CertificateError("The certificate file is empty.")
    if len(p12) > MAX_SIZE:
        raise CertificateError(
            f"The certificate file is larger than {MAX_SIZE // 1024} KB: "
            "a PKCS#12 (.p12 or .pfx) file is a few kilobytes."
        )
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(
            p12, password.encode() if password else None
        )
    except ValueError:
        raise CertificateError(
            "The file could not be opened: it is not a PKCS#12 (.p12 or .pfx) file, "
            "or the password is wrong."
        ) from None
    except Exception as error:  # an unsupported algorithm inside the file
        raise CertificateError(f"The file could not be opened: {error}.") from None
    if key is None and (certificate is not None or extra):
        raise CertificateError(
            "The file holds a certificate but not its private key: export it with the private key."
        )
    if certificate is None or key is None:
        raise CertificateError("The file holds no certificate with its private key.")
    one_time = secrets.token_urlsafe(24).encode()
    chain = [certificate, *(extra or [])]
    return ClientCertificate(
        subject=certificate.subject.rfc4514_string(),
        nif=nif_of(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        fingerprint=hashlib.sha256(
            certificate.public_bytes(serialization.Encoding.DER)
        ).hexdigest(),
        issuer=certificate.issuer.rfc4514_string(),
        _chain_pem=b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
        _key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(one_time),
        ),
        _key_password=one_time,
    )


def nif_of(certificate: x509.Certificate) -> str:
    """The Spanish tax ID a certificate names: the company's ``organizationIdentifier``
    (``VATES-B12345678``) first, else the holder's ``serialNumber`` (``IDCES-...``)."""
    for oid in (ORGANIZATION_IDENTIFIER, NameOID.SERIAL_NUMBER):
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            value = str(attribute.value).strip().upper()
            for prefix in ("VATES-", "IDCES-", "PASES-", "ES-"):
                value = value.removeprefix(prefix)
            if NIF_PATTERN.match(value):
                return value
    return ""
