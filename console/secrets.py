"""Workspace secrets: set, delete, list names, and reveal one when an action needs it.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256). The key comes from
the ``CONSOLE_SECRETS_KEY`` setting (environment variable) and is otherwise derived from
``SECRET_KEY``; changing that key makes stored secrets unreadable, so a production
install should set ``CONSOLE_SECRETS_KEY`` once and keep it. Nothing here puts a value
in an exception, a log line or a return value other than ``reveal``'s.
"""

import base64
import hashlib
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from console.models import Secret

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MAX_VALUE_LENGTH = 10_000
# A console feature's own secret ("aeat:certificate") has a ":" no user-given name can
# have: it is stored and rotated like the others, but no workflow can name it, the
# Secrets list does not show it, and only its feature reads it (``reveal_own``).
OWN_SEPARATOR = ":"
MAX_OWN_VALUE_LENGTH = 200_000


class SecretError(ValueError):
    """A secret cannot be stored or read; the message is for the user and names no value."""


class SecretMissing(SecretError):
    def __init__(self, name):
        super().__init__(f"This workspace has no secret named {name!r}.")
        self.name = name


def _fernet():
    """The keys, newest first: ``CONSOLE_SECRETS_KEY="new,old"`` reads values stored
    with either and writes with the new one (``manage.py rotate_secrets`` rewrites
    them). The key derived from ``SECRET_KEY`` always reads last, so values stored
    before ``CONSOLE_SECRETS_KEY`` was set stay readable until they are rotated."""
    configured = [k.strip() for k in getattr(settings, "CONSOLE_SECRETS_KEY", "").split(",")]
    keys = [k for k in configured if k] + ["console.secrets:" + settings.SECRET_KEY]
    return MultiFernet([_key(k) for k in keys])


def _key(text):
    try:
        return Fernet(text)
    except ValueError:  # not a Fernet key: a passphrase, stretched to one
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()))


def validate_name(name):
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise SecretError(
            "A secret's name is 1 to 100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return name


@sensitive_variables("value", "ciphertext")
def set_secret(workspace, name, value):
    """Store ``value`` under ``name``, replacing any earlier value. Returns ``created``."""
    name = validate_name(name)
    if not isinstance(value, str) or not value:
        raise SecretError("A secret's value cannot be empty.")
    if len(value) > MAX_VALUE_LENGTH:
        raise SecretError(f"A secret's value is at most {MAX_VALUE_LENGTH} characters.")
    ciphertext = _fernet().encrypt(value.encode()).decode()
    try:
        with transaction.atomic():
            _, created = Secret.objects.update_or_create(
                workspace=workspace, name=name, defaults={"ciphertext": ciphertext}
            )
    except IntegrityError:  # two saves of a new name at once: the second replaces
        Secret.objects.in_workspace(workspace).filter(name=name).update(ciphertext=ciphertext)
        created = False
    return created


def delete_secret(workspace, name):
    """Remove the secret; returns whether there was one."""
    deleted, _ = Secret.objects.in_workspace(workspace).filter(name=name).delete()
    return bool(deleted)


def names(workspace):
    stored = Secret.objects.in_workspace(workspace).exclude(name__contains=OWN_SEPARATOR)
    return list(stored.values_list("name", flat=True))


@sensitive_variables()
def reveal(workspace, name):
    """The secret's value, for the action that uses it right now. Raises SecretError."""
    if OWN_SEPARATOR in (name or ""):
        raise SecretMissing(name)
    return _reveal(workspace, name)


@sensitive_variables("value", "ciphertext")
def set_own(workspace, name, value):
    """Store a console feature's own secret (``name`` like ``"aeat:certificate"``)."""
    if OWN_SEPARATOR not in name or not value or len(value) > MAX_OWN_VALUE_LENGTH:
        raise SecretError(f"{name!r} is not a feature's secret name, or its value is invalid.")
    ciphertext = _fernet().encrypt(value.encode()).decode()
    with transaction.atomic():
        Secret.objects.update_or_create(
            workspace=workspace, name=name, defaults={"ciphertext": ciphertext}
        )


@sensitive_variables()
def reveal_own(workspace, name):
    """A console feature's own secret; raises SecretError (SecretMissing when unset)."""
    if OWN_SEPARATOR not in name:
        raise SecretMissing(name)
    return _reveal(workspace, name)


@sensitive_variables()
def _reveal(workspace, name):
    stored = Secret.objects.in_workspace(workspace).filter(name=name)
    ciphertext = stored.values_list("ciphertext", flat=True).first()
    if ciphertext is None:
        raise SecretMissing(name)
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretError(
            f"The secret {name!r} cannot be decrypted: the console's secrets key changed "
            "since it was stored. Set it again."
        ) from None


def rotate_all():
    """Re-encrypt every stored secret with the first key; returns how many. A value
    no key can read is left as it is and counted in ``unreadable``."""
    fernet = _fernet()
    rotated = unreadable = 0
    for secret in Secret.objects.all().only("pk", "ciphertext").iterator():
        try:
            ciphertext = fernet.rotate(secret.ciphertext.encode()).decode()
        except InvalidToken:
            unreadable += 1
            continue
        Secret.objects.filter(pk=secret.pk).update(ciphertext=ciphertext)
        rotated += 1
    return rotated, unreadable
