"""``python -m console.serve``: several daphne processes answer on one socket, and the
launcher stops them all (and exits) when it is told to or when one of them dies."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.services import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {**os.environ, "CONSOLE_VAR_DIR": str(tmp_path), "CONSOLE_LOG_LEVEL": "ERROR"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    launcher = subprocess.Popen(
        [sys.executable, "-m", "console.serve", "--port", str(port), "--processes", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/health/live"
    deadline = time.monotonic() + 60
    children = []
    while time.monotonic() < deadline:
        children = _children(launcher.pid)
        try:
            if len(children) == 2 and httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    yield launcher, url
    if launcher.poll() is None:
        launcher.kill()
        launcher.wait()
    for pid in children:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _children(pid):
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _each_child_answers(children, url):
    """Stop one child at a time (SIGSTOP): the other must still answer on the socket."""
    for pid in children:
        os.kill(pid, signal.SIGSTOP)
        try:
            assert httpx.get(url, timeout=10).status_code == 200
        finally:
            os.kill(pid, signal.SIGCONT)


def test_two_processes_answer_on_one_socket_and_stop_together(served):
    launcher, url = served
    children = _children(launcher.pid)
    assert len(children) == 2

    for _ in range(5):  # fresh connections, handed to either process
        assert httpx.get(url, timeout=10).status_code == 200
    _each_child_answers(children, url)

    launcher.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=30) == 0
    assert not any(_alive(pid) for pid in children)


def test_when_one_process_dies_the_launcher_stops_the_other_and_fails(served):
    launcher, _ = served
    first, second = _children(launcher.pid)

    os.kill(first, signal.SIGKILL)

    assert launcher.wait(timeout=30) != 0
    assert not _alive(second)
