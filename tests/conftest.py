"""Shared fixtures: alice works in "Acme", bob in "Globex" (two workspaces), so every
view test can check in one line that bob cannot see alice's things."""

import asyncio
import contextlib
import sqlite3
import threading
import time

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper

# Helpers live in tests/factories.py (and tests/services.py); the names below stay
# importable from here only so branches written before the move still merge and run.
from tests.factories import GOBL_DIR, PASSWORD, load_gobl, make_member  # noqa: F401
from tests.services import database_url  # noqa: F401


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Every test gets a channel layer of its own.

    channels keeps one layer object per process, and channels-redis keeps receive
    state on it (locks, buffers, cleaners) made in the event loop that received. A
    server process has one loop for its life; a test makes a new one at every
    ``async_to_sync`` call, and a lock one test's loop left locked made the next
    test's receive fail ("bound to a different event loop": seen in
    test_with_redis_the_live_feed_wakes_a_waiting_request, on PostgreSQL + Redis).
    The old layer's connections in the live publisher's loop, the one loop that
    outlives a test, are closed there.
    """
    yield
    from channels.layers import channel_layers

    from jobs import live

    old = channel_layers.backends.pop("default", None)
    loop = live._publisher.loop
    per_loop = getattr(old, "_layers", {}).get(loop)  # channels-redis: pools per loop
    if per_loop is not None and loop.is_running():
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(per_loop.flush(), loop).result(timeout=5)


@pytest.fixture(autouse=True)
def fresh_cache():
    """What the cache counts (API rate limits, failed sign-ins) starts at zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # alice and bob are created for almost every test; real hashing costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(db):
    """A Member: ``alice.user`` owns ``alice.workspace`` ("Acme")."""
    return make_member("alice", "Acme")


@pytest.fixture
def bob(db):
    return make_member("bob", "Globex")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice.user)
    return client


@pytest.fixture
def action_registry():
    """The action registry, put back as it was after the test.

    ``action_registry.register(SomeAction)`` adds a test's action and
    ``action_registry.uninstall("simulate.outcome")`` removes one (as if its package
    were uninstalled); neither outlives the test, so the catalogue and the engine in
    the next test see only the real actions.
    """
    from workflows.actions import registry

    registry.all_actions()  # the built-in and installed ones first
    saved = dict(registry._actions)
    yield RegistryChanges(registry)
    registry._actions.clear()
    registry._actions.update(saved)


class RegistryChanges:
    def __init__(self, registry):
        self.registry = registry

    def register(self, cls):
        return self.registry.register(cls)

    def uninstall(self, action_id):
        self.registry._actions.pop(action_id, None)


@pytest.fixture
def loopback_receivers(settings):
    """Outbound calls may reach the suite's receivers on 127.0.0.1; nothing else private.

    For modules whose actions call local SMTP or HTTP receivers:
    ``pytestmark = pytest.mark.usefixtures("loopback_receivers")``.
    """
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def invoice_doc():
    return load_gobl("es-invoice-es-es-freelance.json")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` run in the PostgreSQL pass of ``make test`` only."""
    import os

    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in make test's PostgreSQL pass")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def patient_sqlite(monkeypatch):
    """Wait for SQLite's table locks instead of failing at once.

    The test database is SQLite in memory with a shared cache, where a statement that
    meets another connection's lock fails with "database table is locked" rather than
    waiting as a file database does (busy timeout). Where a server thread and an
    engine thread write side by side, each statement retries for a few seconds.
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
        from jobs import engine

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
def worker(settings, transactional_db, patient_sqlite):
    """A job worker in a thread (browser and API tests): jobs run as they would."""
    settings.JOBS_WAKE_WORKERS = False  # no django-q2 cluster here: the thread is the worker
    thread = EngineThread()
    thread.start()
    yield thread
    thread.stopping.set()
    thread.join(timeout=30)
    # A worker left running would keep writing into the next test's database.
    assert not thread.is_alive(), "the worker thread did not stop"
    assert thread.error is None, thread.error
