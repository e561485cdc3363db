"""The web process (daphne on console.asgi) borrows PostgreSQL connections from a pool:
many requests are served by the same few sessions, where each used to open its own."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection

from tests.actions.receivers import free_port
from tests.services import database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def web_sessions(since):
    """PostgreSQL sessions on the test database begun at ``since`` or later, ours aside."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_start >= %s",
            [since],
        )
        return {pid for (pid,) in cursor.fetchall()}


@contextlib.contextmanager
def web_process(**env):
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        + ["console.asgi:application"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health/live", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.1)
        yield url
    finally:
        web.terminate()
        web.wait(timeout=10)


def ready_many(url, times):
    for _ in range(times):
        response = httpx.get(f"{url}/health/ready", timeout=10)
        assert response.status_code == 200, response.text


def started_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def test_requests_share_a_few_pooled_sessions():
    since = started_now()
    with web_process() as url:
        ready_many(url, 10)
        first = web_sessions(since)
        ready_many(url, 30)
        later = web_sessions(since)

    assert 1 <= len(first) <= 10  # the pool's sessions, kept open between requests
    assert later == first  # 30 more requests opened no new session


def test_without_the_pool_each_request_opens_and_closes_its_own():
    since = started_now()
    with web_process(DATABASE_POOL="off") as url:
        ready_many(url, 10)
        # Each request closed its session: the last one's server process is gone a
        # moment after the answer.
        deadline = time.monotonic() + 5
        while web_sessions(since) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert web_sessions(since) == set()
