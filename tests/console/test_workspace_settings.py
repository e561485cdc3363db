"""The settings page: owners set and delete secrets (names shown, values never),
allow private addresses, and set the workspace's SMTP server; members only look;
another workspace sees none of it."""

import pytest
from django.test import Client

from console import secrets
from console.models import Membership, WorkspaceSettings
from console.workspace_settings import settings_of, update_settings
from tests.actions.receivers import SmtpReceiver, free_port
from tests.factories import make_member

SECRET_VALUE = "whsec_dmFsdWUtbmV2ZXItc2hvd24="


pytestmark = pytest.mark.usefixtures("loopback_receivers")


@pytest.fixture
def workspace(alice):
    return alice.workspace


def test_the_page_lists_secret_names_and_never_values(alice_client, workspace):
    secrets.set_secret(workspace, "hooks", SECRET_VALUE)
    response = alice_client.get("/settings/")

    assert response.status_code == 200
    assert b"<code>hooks</code>" in response.content
    assert SECRET_VALUE.encode() not in response.content
    assert b'href="/settings/"' in response.content  # the nav link


def test_an_owner_adds_a_secret_and_its_value_is_not_echoed(alice_client, workspace):
    response = alice_client.post("/settings/secrets/", {"name": "hooks", "value": SECRET_VALUE})
    assert response.status_code == 302
    page = alice_client.get(response["Location"])
    assert b"Secret hooks added." in page.content
    assert SECRET_VALUE.encode() not in page.content
    assert secrets.reveal(workspace, "hooks") == SECRET_VALUE


def test_with_htmx_the_section_comes_back(alice_client, workspace):
    response = alice_client.post(
        "/settings/secrets/", {"name": "hooks", "value": SECRET_VALUE}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b'id="secrets"' in response.content and b"<html" not in response.content
    assert b"Secret hooks added." in response.content
    assert SECRET_VALUE.encode() not in response.content


def test_replacing_and_deleting(alice_client, workspace):
    secrets.set_secret(workspace, "hooks", "old")
    alice_client.post("/settings/secrets/", {"name": "hooks", "value": "new"})
    assert secrets.reveal(workspace, "hooks") == "new"

    response = alice_client.post("/settings/secrets/delete/", {"name": "hooks"}, follow=True)
    assert b"Secret hooks deleted." in response.content
    assert secrets.names(workspace) == []


def test_a_bad_name_is_a_clear_error_and_the_value_is_not_kept(alice_client, workspace):
    response = alice_client.post("/settings/secrets/", {"name": "no spaces", "value": "typed"})

    assert response.status_code == 400
    assert b"letters, digits" in response.content
    assert b'value="typed"' not in response.content
    assert secrets.names(workspace) == []


def test_members_look_but_only_owners_change(client, workspace):
    user, _ = make_member("carol", "Carol's own")
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.EDITOR)
    client.force_login(user)
    client.post("/workspace/switch/", {"workspace": str(workspace.pk)})

    page = client.get("/settings/")
    assert page.status_code == 200 and b"Only the workspace's owners" in page.content
    assert b"Save secret" not in page.content
    assert client.post("/settings/secrets/", {"name": "x", "value": "y"}).status_code == 403
    assert client.post("/settings/outbound/", {"allow_private_network": "on"}).status_code == 403
    assert client.post("/settings/smtp/", {"smtp_host": "evil.test"}).status_code == 403
    assert client.post("/settings/smtp/test/", {"to": "a@example.com"}).status_code == 403
    assert secrets.names(workspace) == []
    assert not settings_of(workspace).allow_private_network


def test_another_workspace_sees_and_changes_none_of_it(client, workspace, bob):
    secrets.set_secret(workspace, "hooks", SECRET_VALUE)
    client.force_login(bob.user)

    assert b"<code>hooks</code>" not in client.get("/settings/").content
    client.post("/settings/secrets/delete/", {"name": "hooks"})
    client.post("/settings/secrets/", {"name": "hooks", "value": "bob's"})
    assert secrets.reveal(workspace, "hooks") == SECRET_VALUE
    assert secrets.reveal(bob.workspace, "hooks") == "bob's"


def test_anonymous_users_go_to_the_login_page(client, workspace):
    assert client.get("/settings/")["Location"].startswith("/login/")
    assert client.post("/settings/secrets/", {"name": "a", "value": "b"}).status_code == 302
    assert secrets.names(workspace) == []


def test_posts_need_the_csrf_token(alice, workspace):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    assert client.post("/settings/secrets/", {"name": "a", "value": "b"}).status_code == 403
    assert secrets.names(workspace) == []


def test_the_private_network_toggle(alice_client, workspace):
    alice_client.post("/settings/outbound/", {"allow_private_network": "on"})
    assert settings_of(workspace).allow_private_network
    alice_client.post("/settings/outbound/", {})
    assert not settings_of(workspace).allow_private_network


def test_smtp_settings_are_saved_and_name_a_secret(alice_client, workspace):
    secrets.set_secret(workspace, "smtp-pass", "p")
    response = alice_client.post(
        "/settings/smtp/",
        {
            "smtp_host": "mail.example.com",
            "smtp_port": "587",
            "smtp_security": "starttls",
            "smtp_username": "billing",
            "smtp_password_secret": "smtp-pass",
            "smtp_from": "Billing <billing@example.com>",
        },
        follow=True,
    )
    assert b"SMTP settings saved." in response.content
    saved = WorkspaceSettings.objects.get(workspace=workspace)
    assert (saved.smtp_host, saved.smtp_port, saved.smtp_password_secret) == (
        "mail.example.com",
        587,
        "smtp-pass",
    )


def test_bad_smtp_settings_are_refused_and_nothing_is_saved(alice_client, workspace):
    response = alice_client.post(
        "/settings/smtp/",
        {
            "smtp_host": "mail.example.com",
            "smtp_port": "70000",
            "smtp_security": "starttls",
            "smtp_password_secret": "not-a-secret",
            "smtp_from": "not an address",
        },
    )
    assert response.status_code == 400
    assert b"between 1 and 65535" in response.content
    assert b"Expected an address" in response.content
    assert b"not-a-secret is not one of the available choices" in response.content
    assert not WorkspaceSettings.objects.filter(workspace=workspace).exists()


def test_a_deleted_password_secret_is_pointed_out(alice_client, workspace):
    secrets.set_secret(workspace, "smtp-pass", "p")
    alice_client.post(
        "/settings/smtp/",
        {
            "smtp_host": "mail.example.com",
            "smtp_security": "ssl",
            "smtp_password_secret": "smtp-pass",
        },
    )
    secrets.delete_secret(workspace, "smtp-pass")
    assert b"does not exist: emails will fail" in alice_client.get("/settings/").content


def test_a_test_email_goes_through_the_saved_smtp_server(alice_client, workspace):
    with SmtpReceiver() as server:
        update_settings(
            workspace,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_security="none",
            smtp_from="billing@acme.test",
        )
        response = alice_client.post(
            "/settings/smtp/test/", {"to": "me@example.com"}, HTTP_HX_REQUEST="true"
        )

    assert b"Sent a test email to me@example.com from billing@acme.test." in response.content
    [(recipients, message)] = server.messages
    assert recipients == ["me@example.com"]


def test_a_failing_test_email_says_why(alice_client, workspace):
    with SmtpReceiver("554 5.7.1 Not from you") as server:
        update_settings(
            workspace, smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none"
        )
        response = alice_client.post("/settings/smtp/test/", {"to": "me@example.com"}, follow=True)
    assert b"The server answered 554 5.7.1 Not from you" in response.content

    update_settings(workspace, smtp_port=free_port())
    response = alice_client.post(
        "/settings/smtp/test/", {"to": "me@example.com"}, HTTP_HX_REQUEST="true"
    )
    assert b"Could not reach the SMTP server: ConnectionRefusedError" in response.content

    update_settings(workspace, smtp_host="10.0.0.1")
    response = alice_client.post(
        "/settings/smtp/test/", {"to": "me@example.com"}, HTTP_HX_REQUEST="true"
    )
    assert b"10.0.0.1 is a private, loopback or link-local address" in response.content
