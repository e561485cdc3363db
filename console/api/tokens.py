"""API tokens: created and revoked in the console, checked on every API request.

A token is ``wfc_`` and 43 random URL-safe characters (256 bits). It is shown once;
the database keeps its SHA-256 (a slow password hash buys nothing for a random
256-bit secret and would cost every request) and its first characters, so the
console can tell tokens apart. ``last_used_at`` is written at most once a minute per
token, so a busy client does not turn every read into a write.
"""

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from console.api.models import ApiToken

TOKEN_PREFIX = "wfc_"  # noqa: S105 - marks a token, is not one
SHOWN_PREFIX_LENGTH = 12
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(plaintext):
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(workspace, name, *, actor=None, role=ApiToken.Role.EDITOR):
    """Returns ``(token, plaintext)``; the plaintext is never stored."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        workspace=workspace,
        name=name.strip()[:100] or "API token",
        role=role,
        prefix=plaintext[:SHOWN_PREFIX_LENGTH],
        sha256=digest(plaintext),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    return token, plaintext


def revoke_token(token):
    """Revoked at once for every later request; revoking twice keeps the first time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def authenticate(plaintext):
    """The active token for a bearer value, or None."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    token = (
        ApiToken.objects.select_related("workspace")
        .filter(sha256=digest(plaintext), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
