"""Workspace secrets: encrypted at rest, replaced by name, revealed only to the action
that uses them, kept to their workspace, and never part of an exported workflow."""

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from console import secrets
from console.models import Secret
from workflows.services import create_workflow, export


def test_a_secret_is_stored_encrypted_and_revealed_by_name(alice):
    workspace = alice.workspace
    assert secrets.set_secret(workspace, "hooks", "whsec_c2VjcmV0") is True

    stored = Secret.objects.get(workspace=workspace, name="hooks")
    assert "whsec_c2VjcmV0" not in stored.ciphertext
    assert "c2VjcmV0" not in stored.ciphertext
    assert secrets.reveal(workspace, "hooks") == "whsec_c2VjcmV0"
    assert secrets.names(workspace) == ["hooks"]


def test_setting_a_name_again_replaces_the_value(alice):
    workspace = alice.workspace
    secrets.set_secret(workspace, "smtp", "first")
    assert secrets.set_secret(workspace, "smtp", "second") is False
    assert secrets.reveal(workspace, "smtp") == "second"
    assert Secret.objects.filter(workspace=workspace).count() == 1


def test_delete_and_missing(alice):
    workspace = alice.workspace
    secrets.set_secret(workspace, "gone-soon", "x")
    assert secrets.delete_secret(workspace, "gone-soon") is True
    assert secrets.delete_secret(workspace, "gone-soon") is False
    with pytest.raises(secrets.SecretMissing, match="no secret named 'gone-soon'"):
        secrets.reveal(workspace, "gone-soon")


def test_secrets_stay_in_their_workspace(alice, bob):
    secrets.set_secret(alice.workspace, "hooks", "alice's key")
    assert secrets.names(bob.workspace) == []
    with pytest.raises(secrets.SecretMissing):
        secrets.reveal(bob.workspace, "hooks")
    secrets.delete_secret(bob.workspace, "hooks")
    assert secrets.reveal(alice.workspace, "hooks") == "alice's key"


@pytest.mark.parametrize("name", ["", " ", "has space", "-leading", "x" * 101, "new\nline"])
def test_bad_names_and_values_are_refused_with_a_reason(alice, name):
    with pytest.raises(secrets.SecretError, match="letters, digits"):
        secrets.set_secret(alice.workspace, name, "value")
    with pytest.raises(secrets.SecretError, match="cannot be empty"):
        secrets.set_secret(alice.workspace, "ok", "")
    assert not Secret.objects.exists()


def test_the_configured_key_encrypts_and_another_key_cannot_read(alice, settings):
    workspace = alice.workspace
    key = Fernet.generate_key().decode()
    settings.CONSOLE_SECRETS_KEY = key
    secrets.set_secret(workspace, "hooks", "plain-value")
    ciphertext = Secret.objects.get().ciphertext
    assert Fernet(key).decrypt(ciphertext.encode()) == b"plain-value"

    settings.CONSOLE_SECRETS_KEY = Fernet.generate_key().decode()
    with pytest.raises(secrets.SecretError, match="key changed") as error:
        secrets.reveal(workspace, "hooks")
    assert "plain-value" not in str(error.value)


def test_a_passphrase_key_works_too(alice, settings):
    settings.CONSOLE_SECRETS_KEY = "a long passphrase, not a Fernet key"
    secrets.set_secret(alice.workspace, "hooks", "value")
    assert secrets.reveal(alice.workspace, "hooks") == "value"


def test_an_exported_workflow_names_the_secret_and_never_holds_its_value(alice):
    workspace = alice.workspace
    secrets.set_secret(workspace, "hooks", "the-signing-value")
    step = {
        "id": "hook",
        "provider": "webhook.post",
        "config": {"url": "https://example.com/hook", "secret": "hooks"},
    }
    workflow, warnings = create_workflow(
        workspace,
        {"name": "w", "schema": "bill/invoice", "steps": [step]},
        secrets=set(secrets.names(workspace)),
    )
    assert warnings == []
    exported = json.dumps(export(workflow))
    assert '"secret": "hooks"' in exported
    assert "the-signing-value" not in exported


def test_changing_the_key_with_the_old_one_second_and_rotating(alice, settings):
    workspace = alice.workspace
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CONSOLE_SECRETS_KEY = old
    secrets.set_secret(workspace, "hooks", "kept-value")

    settings.CONSOLE_SECRETS_KEY = f"{new},{old}"
    assert secrets.reveal(workspace, "hooks") == "kept-value"
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    assert "1 secrets re-encrypted." in out.getvalue()

    settings.CONSOLE_SECRETS_KEY = new
    assert secrets.reveal(workspace, "hooks") == "kept-value"
    assert Fernet(new).decrypt(Secret.objects.get().ciphertext.encode()) == b"kept-value"


def test_secrets_stored_before_a_key_was_configured_stay_readable(alice, settings):
    settings.CONSOLE_SECRETS_KEY = ""
    secrets.set_secret(alice.workspace, "hooks", "early-value")
    settings.CONSOLE_SECRETS_KEY = Fernet.generate_key().decode()
    assert secrets.reveal(alice.workspace, "hooks") == "early-value"
    call_command("rotate_secrets", stdout=StringIO())
    key = settings.CONSOLE_SECRETS_KEY
    assert Fernet(key).decrypt(Secret.objects.get().ciphertext.encode()) == b"early-value"


def test_rotation_reports_what_no_key_can_read(alice, settings):
    settings.CONSOLE_SECRETS_KEY = Fernet.generate_key().decode()
    secrets.set_secret(alice.workspace, "hooks", "lost")
    settings.CONSOLE_SECRETS_KEY = Fernet.generate_key().decode()
    with pytest.raises(CommandError, match="1 secrets could not be read"):
        call_command("rotate_secrets", stdout=StringIO())
