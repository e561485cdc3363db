"""API test helpers: a token for alice's and bob's workspaces, and a client that
sends it, so each test reads as requests and answers."""

import pytest

from console.api.tokens import create_token
from tests.api.client import ApiClient
from tests.factories import INVOICE_FLOW  # noqa: F401  (older imports from here)


@pytest.fixture
def alice_api(alice):
    _, plaintext = create_token(alice.workspace, "tests", actor=alice.user)
    return ApiClient(plaintext)


@pytest.fixture
def bob_api(bob):
    _, plaintext = create_token(bob.workspace, "tests", actor=bob.user)
    return ApiClient(plaintext)


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    from django.core.cache import cache

    cache.clear()
    settings.JOBS_WAKE_WORKERS = False  # tests run jobs themselves; no django-q2 here
