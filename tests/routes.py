"""The console's routes read from the URL configuration, so a test that checks every
page (or every API route) checks a new one as soon as it is routed."""

import uuid

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, UUIDConverter

# Health endpoints answer probes without a login and show counts only (console/health.py);
# an invitation's link, the first run and a password reset are for people not signed in.
PUBLIC = {"login", "logout", "health_live", "health_ready", "health_workers", "invitation"}
PUBLIC |= {"first_run", "password_reset", "password_reset_done", "password_reset_confirm"}
PUBLIC |= {"password_reset_complete"}
OWN_AUTHENTICATION = {"api", "admin"}


def named_pages(patterns=None, namespace=""):
    """``(name, converters)`` of every named page a member signs in for (not the API's,
    not the admin's, not the public ones)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace not in OWN_AUTHENTICATION:
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from named_pages(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in PUBLIC:
            yield f"{namespace}{pattern.name}", pattern.pattern.converters


def api_routes(patterns=None):
    """``(name, converters)`` of every API route (``api:...``)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "api":
                for route in pattern.url_patterns:
                    if isinstance(route, URLPattern) and route.name:
                        yield f"api:{route.name}", route.pattern.converters
            else:
                yield from api_routes(pattern.url_patterns)


def sample_value(converter):
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    if isinstance(converter, IntConverter):
        return 1
    return "x"


PAGES = sorted({name: converters for name, converters in named_pages()}.items())
