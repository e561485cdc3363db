"""Bearer-token authentication for every API operation, with the checks that belong
to "may this caller send this request at all": the rate limit and the body size."""

from django.conf import settings
from ninja.security import HttpBearer

from console import storable
from console.api import ratelimit, tokens
from console.api.errors import ApiError

READING = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """``request.auth`` becomes the ApiToken; its workspace scopes everything.

    A token belongs to its workspace, not to the person who made it: it acts with the
    role chosen when it was created (editor by default, or viewer), and keeps working
    when its author leaves. A viewer's token reads; anything else is a 403 here, the
    one place every operation passes, as ``workspace_required`` is for pages.
    """

    def authenticate(self, request, token):
        found = tokens.authenticate(token)
        if found is None:
            return None
        _check_role(request, found)
        ratelimit.check(found)
        _check_size(request)
        _check_text(request)
        return found


def _check_role(request, token):
    if request.method not in READING and token.role != token.Role.EDITOR:
        raise ApiError(403, "forbidden", "This token is read-only (viewer): it may only read.")


def _check_size(request):
    declared = request.META.get("CONTENT_LENGTH")
    if not declared and request.content_type == "multipart/form-data":
        # Django reads a form body only as far as its declared length: without one
        # (a chunked upload) it would see no file at all and say "file: Field required".
        raise ApiError(
            411, "length_required", "Send the upload with a Content-Length header (not chunked)."
        )
    try:
        length = int(declared or 0)
    except ValueError:
        length = 0
    if length > settings.API_MAX_BODY_BYTES:
        raise ApiError(
            413,
            "too_large",
            f"The request body is {length} bytes; the limit is {settings.API_MAX_BODY_BYTES}.",
        )


def _check_text(request):
    """A path or query value the stores cannot hold (NUL: PostgreSQL refuses it)."""
    values = [request.path] + [text for pair in request.GET.lists() for text in (pair[0], *pair[1])]
    for value in values:
        problem = storable.text_problem(value)
        if problem:
            raise ApiError(400, "bad_request", f"The URL {problem}.")


def workspace_of(request):
    return request.auth.workspace
