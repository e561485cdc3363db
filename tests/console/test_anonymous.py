"""Every page of the console asks an anonymous visitor to log in first.

The pages are read from the URL configuration, so a new page is checked as soon as it
is routed. The API answers with its own status codes and is tested in tests/api/.
"""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter

# Health endpoints answer probes without a login and show counts only (console/health.py);
# an invitation's link, the first run and a password reset are for people not signed in.
PUBLIC = {"login", "logout", "health_live", "health_ready", "health_workers", "invitation"}
PUBLIC |= {"first_run", "password_reset", "password_reset_done", "password_reset_confirm"}
PUBLIC |= {"password_reset_complete"}
OWN_AUTHENTICATION = {"api", "admin"}


def named_pages(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace not in OWN_AUTHENTICATION:
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from named_pages(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in PUBLIC:
            yield f"{namespace}{pattern.name}", pattern.pattern.converters


def sample_value(converter):
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    if isinstance(converter, IntConverter):
        return 1
    return "x"


PAGES = sorted({name: converters for name, converters in named_pages()}.items())


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "converters"), PAGES, ids=[name for name, _ in PAGES])
def test_anonymous_visitors_are_sent_to_login(client, name, converters):
    path = reverse(name, kwargs={key: sample_value(c) for key, c in converters.items()})

    response = client.get(path)
    if response.status_code == 405:  # a POST-only action
        response = client.post(path)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")
