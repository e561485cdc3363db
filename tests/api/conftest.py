"""API test helpers: a token for alice's and bob's workspaces, and a client that
sends it, so each test reads as requests and answers."""

import json
import sqlite3
import threading
import time

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from django.test import Client

from console.api.tokens import create_token
from jobs import engine
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


@pytest.fixture
def patient_sqlite(monkeypatch):
    """Wait for SQLite's table locks instead of failing at once.

    The test database is SQLite in memory with a shared cache, where a statement that
    meets another connection's lock fails with "database table is locked" instead of
    waiting as a file database does; with several threads writing, each statement
    retries for a few seconds.
    """
    if connection.vendor != "sqlite":
        return

    def patient(method):
        def call(self, *args):
            deadline = time.monotonic() + 5
            while True:
                try:
                    return method(self, *args)
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.005)

        return call

    for name in ("execute", "executemany"):
        monkeypatch.setattr(SQLiteCursorWrapper, name, patient(getattr(SQLiteCursorWrapper, name)))


class EngineThread(threading.Thread):
    """Claims and runs due jobs until stopped, like one worker of ``jobworker``."""

    def __init__(self):
        super().__init__(name="engine", daemon=True)
        self.stopping = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.stopping.is_set():
                claimed = engine.claim()
                if claimed is None:
                    self.stopping.wait(0.02)
                else:
                    engine.run(*claimed)
        except BaseException as error:
            self.error = error
            raise
        finally:
            connection.close()


@pytest.fixture
def worker(transactional_db, patient_sqlite):
    thread = EngineThread()
    thread.start()
    yield thread
    thread.stopping.set()
    thread.join(timeout=10)
    assert thread.error is None, thread.error
