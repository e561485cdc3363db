"""API test helpers: a token for alice's and bob's workspaces, and a client that
sends it, so each test reads as requests and answers."""

import json

import pytest
from django.test import Client

from console.api.tokens import create_token
from tests.jobs.flows import ok

INVOICE_FLOW = {
    "name": "Three outcomes",
    "schema": "bill/invoice",
    "steps": [ok("a"), ok("b"), ok("c")],
}


class ApiClient:
    """``api.get("/jobs")`` -> the response; ``.json()`` reads its body."""

    def __init__(self, plaintext):
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        self.plaintext = plaintext

    def _send(self, method, path, body=None, **extra):
        data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
        return getattr(self.client, method)(
            "/api/v1" + path, data=data, content_type="application/json", **extra
        )

    def get(self, path, **extra):
        return self.client.get("/api/v1" + path, **extra)

    def post(self, path, body=None, **extra):
        return self._send("post", path, body, **extra)

    def put(self, path, body=None, **extra):
        return self._send("put", path, body, **extra)

    def patch(self, path, body=None, **extra):
        return self._send("patch", path, body, **extra)

    def upload(self, path, file, **extra):
        return self.client.post("/api/v1" + path, data={"file": file}, **extra)


@pytest.fixture
def alice_api(alice):
    _, plaintext = create_token(alice[1], "tests", actor=alice[0])
    return ApiClient(plaintext)


@pytest.fixture
def bob_api(bob):
    _, plaintext = create_token(bob[1], "tests", actor=bob[0])
    return ApiClient(plaintext)


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    from django.core.cache import cache

    cache.clear()
    settings.JOBS_WAKE_WORKERS = False  # tests run jobs themselves; no django-q2 here
