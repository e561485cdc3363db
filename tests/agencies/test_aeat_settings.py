"""Settings > AEAT: an owner sets the issuer and environment and uploads the
certificate (stored encrypted, described on the page, its password never shown back);
a malformed file is a clear form error and stores nothing; members and other
workspaces see none of it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from console import secrets
from console.models import Membership
from tests.agencies.conftest import ISSUER, ISSUER_NAME, P12_PASSWORD
from workflows.agencies.aeat import credentials
from workflows.agencies.models import AeatSettings

PAGE = "/settings/aeat/"


def upload(client, p12, password=P12_PASSWORD, name="seal.p12"):
    return client.post(
        "/settings/aeat/certificate/",
        {"file": SimpleUploadedFile(name, p12, "application/x-pkcs12"), "password": password},
    )


def test_an_owner_sets_issuer_and_environment(alice_client, alice, aeat):
    response = alice_client.post(
        "/settings/aeat/issuer/",
        {"issuer_nif": "es b1234567 4", "issuer_name": ISSUER_NAME, "environment": "local"},
    )

    assert response.status_code == 302
    saved = AeatSettings.objects.get(workspace=alice.workspace)
    assert (saved.issuer_nif, saved.environment) == (ISSUER, "local")
    page = alice_client.get(PAGE).content.decode()
    assert "local test AEAT" in page
    assert aeat.verifactu_url in page


def test_a_wrong_nif_or_an_environment_not_offered_is_refused(alice_client, alice, settings):
    settings.AEAT_LOCAL_URL = ""  # the operator did not configure a local AEAT

    bad_nif = alice_client.post(
        "/settings/aeat/issuer/",
        {"issuer_nif": "B12345670", "issuer_name": "X", "environment": "test"},
    )
    local = alice_client.post(
        "/settings/aeat/issuer/",
        {"issuer_nif": ISSUER, "issuer_name": "X", "environment": "local"},
    )

    assert bad_nif.status_code == 400
    assert "B12345670 is not a valid Spanish NIF" in bad_nif.content.decode()
    assert local.status_code == 400
    assert "Select a valid choice" in local.content.decode()
    assert not AeatSettings.objects.filter(workspace=alice.workspace, issuer_nif=ISSUER).exists()


def test_an_uploaded_certificate_is_described_and_its_password_never_shown(
    alice_client, alice, aeat
):
    response = upload(alice_client, aeat.client_p12(ISSUER, ISSUER_NAME, password=P12_PASSWORD))

    assert response.status_code == 302
    page = alice_client.get(PAGE).content.decode()
    assert f"VATES-{ISSUER}" in page
    assert "Replace certificate" in page
    assert P12_PASSWORD not in page
    assert "expires on" not in page  # a year left: no warning
    workspace = alice.workspace
    assert credentials.certificate_of(workspace).nif == ISSUER
    # Stored as the workspace's own secrets: not listed, not nameable by a workflow.
    assert secrets.names(workspace) == []
    with pytest.raises(secrets.SecretMissing):
        secrets.reveal(workspace, credentials.CERTIFICATE_SECRET)


def test_a_malformed_certificate_is_a_clear_error_and_nothing_is_stored(alice_client, alice):
    response = upload(alice_client, b"-----BEGIN CERTIFICATE-----\nnot really\n")

    assert response.status_code == 400
    assert "it is not a PKCS#12 (.p12 or .pfx) file, or the password is wrong" in (
        response.content.decode()
    )
    assert credentials.certificate_of(alice.workspace) is None


def test_a_wrong_password_or_an_expired_certificate_is_refused(alice_client, alice, aeat):
    wrong = upload(alice_client, aeat.client_p12(ISSUER, "A", password="right"), "wrong")
    expired = upload(alice_client, aeat.client_p12(ISSUER, "A", password="pw", days=-1), "pw")

    assert wrong.status_code == expired.status_code == 400
    assert "the password is wrong" in wrong.content.decode()
    assert "This certificate expired on" in expired.content.decode()
    assert credentials.certificate_of(alice.workspace) is None


def test_thirty_days_before_expiry_the_page_warns(alice_client, aeat):
    upload(alice_client, aeat.client_p12(ISSUER, "A", password="pw", days=20), "pw")

    page = alice_client.get(PAGE).content.decode()

    assert "This certificate expires on" in page
    assert "upload its renewal" in page


def test_removing_the_certificate_stops_the_calls(alice_client, alice, aeat):
    upload(alice_client, aeat.client_p12(ISSUER, "A", password="pw"), "pw")

    alice_client.post("/settings/aeat/certificate/remove/")

    assert credentials.certificate_of(alice.workspace) is None
    assert "No certificate yet" in alice_client.get(PAGE).content.decode()


def test_members_cannot_see_or_change_it_and_another_workspace_sees_its_own(alice, bob, aeat):
    user, workspace = bob
    member = Client()
    from django.contrib.auth import get_user_model

    carol = get_user_model().objects.create_user("carol", password="x")
    Membership.objects.create(user=carol, workspace=alice.workspace, role=Membership.Role.EDITOR)
    member.force_login(carol)
    owner_of_other = Client()
    owner_of_other.force_login(user)
    alice_owner = Client()
    alice_owner.force_login(alice.user)
    upload(alice_owner, aeat.client_p12(ISSUER, "Acme", password="pw"), "pw")

    assert member.get(PAGE).status_code == 403
    assert (
        upload(member, aeat.client_p12(ISSUER, "Mallory", password="pw"), "pw").status_code == 403
    )
    assert "AEAT settings" not in member.get("/settings/").content.decode()
    other = owner_of_other.get(PAGE).content.decode()
    assert "No certificate yet" in other and "VATES-" not in other
    assert credentials.certificate_of(workspace) is None
    assert "O=Acme" in credentials.certificate_of(alice.workspace).subject


def test_the_certificate_is_rotated_with_the_other_secrets(alice, aeat, settings):
    from io import StringIO

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CONSOLE_SECRETS_KEY = old
    credentials.store_certificate(
        alice.workspace, aeat.client_p12(ISSUER, "A", password="pw"), "pw"
    )
    settings.CONSOLE_SECRETS_KEY = f"{new},{old}"

    call_command("rotate_secrets", stdout=StringIO())
    settings.CONSOLE_SECRETS_KEY = new

    assert credentials.certificate_of(alice.workspace).nif == ISSUER
