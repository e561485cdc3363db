"""``make test`` runs the fault suite in its short form, in its own process: it starts
its own PostgreSQL, Redis, web and worker processes (see tests/faults/harness.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs once, in the SQLite pass: it brings its own PostgreSQL and Redis",
    ),
]


@pytest.mark.timeout(960)  # its own run is bounded at 900 s below
def test_the_short_fault_suite_passes():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults", "--short"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
