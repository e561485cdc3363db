"""certificates.load: what a PKCS#12 file holds, and a clear reason when it is unusable."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from workflows.agencies.aeat import certificates
from workflows.agencies.aeat.local_server import LocalAEAT


def self_signed(subject, *, days=365):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(subject)
    start = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def p12(key, certificate, password=b"pw"):
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"x", key, certificate, None, encryption)


def test_a_company_seal_names_its_nif_and_validity():
    with LocalAEAT() as aeat:
        loaded = certificates.load(aeat.client_p12("B12345674", "Acme SL", password="pw"), "pw")

    assert loaded.nif == "B12345674"
    assert "O=Acme SL" in loaded.subject and loaded.issuer == "CN=Local test AEAT CA"
    assert timedelta(days=364) < loaded.not_after - loaded.not_before < timedelta(days=366)
    assert not loaded.expired() and not loaded.expires_soon()
    assert "pw" not in repr(loaded) and "PRIVATE" not in repr(loaded)


def test_a_persons_certificate_names_the_nif_of_its_serial_number():
    key, certificate = self_signed(
        [
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCES-12345678Z"),
            x509.NameAttribute(NameOID.COMMON_NAME, "GARCIA LOPEZ ANA - 12345678Z"),
        ],
        days=20,
    )

    loaded = certificates.load(p12(key, certificate, password=None), "")

    assert loaded.nif == "12345678Z"
    assert loaded.expires_soon()


@pytest.mark.parametrize(
    ("data", "password", "reason"),
    [
        (b"", "pw", "The certificate file is empty."),
        (b"%PDF-1.7 not a certificate", "pw", "it is not a PKCS#12 (.p12 or .pfx) file"),
        (b"x" * (certificates.MAX_SIZE + 1), "pw", "larger than 64 KB"),
    ],
)
def test_unusable_files_say_why(data, password, reason):
    with pytest.raises(certificates.CertificateError) as refused:
        certificates.load(data, password)

    assert reason in refused.value.args[0]


def test_a_wrong_password_and_a_file_without_its_key_say_why():
    key, certificate = self_signed([x509.NameAttribute(NameOID.COMMON_NAME, "x")])
    without_key = pkcs12.serialize_key_and_certificates(
        b"x", None, certificate, None, serialization.BestAvailableEncryption(b"pw")
    )

    with pytest.raises(certificates.CertificateError) as wrong:
        certificates.load(p12(key, certificate), "not it")
    with pytest.raises(certificates.CertificateError) as keyless:
        certificates.load(without_key, "pw")

    assert "the password is wrong" in str(wrong.value)
    assert "not its private key" in str(keyless.value)
