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

from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from console import cache as shared_cache
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
    forget(token)
    token.refresh_from_db()
    return token


def authenticate(plaintext):
    """The active token for a bearer value, or None."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    sha256 = digest(plaintext)
    token = _remembered(sha256)
    if token == REVOKED:
        return None
    if token is None:
        token = (
            ApiToken.objects.select_related("workspace")
            .filter(sha256=sha256, revoked_at__isnull=True)
            .first()
        )
        if token is None:
            return None
        _remember(sha256, token)
    now = timezone.now()
    last_used = max(filter(None, (token.last_used_at, _last_used.get(token.sha256))), default=None)
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = _last_used[token.sha256] = now
    return token


# --- the shared cache -------------------------------------------------------------
#
# With Redis (``console.cache.is_shared``), every web process asks the cache before
# the database: a token read from the database is kept under its SHA-256 for
# CACHED_S; revoking or deleting it writes REVOKED there at once (for longer than any
# copy could be kept), so no process accepts it again, and a request that read the
# token just before it was revoked cannot put it back (``add`` never overwrites).
# Without Redis each process's cache is its own, so the database is asked every time.

CACHED_S = 60
REVOKED = "revoked"
_last_used = {}  # token sha256 -> when this process last wrote last_used_at


def _key(sha256):
    return f"api:token:{sha256}"


def _remembered(sha256):
    key = _key(sha256)
    return shared_cache.get(key).get(key)


def _remember(sha256, token):
    shared_cache.put(_key(sha256), token, CACHED_S, only_new=True)


def forget(token):
    """Refused by every process from now on (revoked or deleted)."""
    shared_cache.put(_key(token.sha256), REVOKED, CACHED_S * 10)


@receiver(post_delete, sender=ApiToken)
def _deleted(sender, instance, **kwargs):
    forget(instance)
