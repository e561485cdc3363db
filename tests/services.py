"""Throwaway PostgreSQL and Redis on 127.0.0.1, for the integration run and benches.

    python -m tests.services -- pytest -m "not browser"

starts both on free ports with data in a temporary folder, runs the command with
``DATABASE_URL`` and ``REDIS_URL`` set, then stops both, removes the folder and exits
with the command's exit code. ``start_postgres()`` and ``start_redis()`` are the same
steps as context managers, for code that wants only one of them.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
STARTUP_SECONDS = 30


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(command):
    """PostgreSQL refuses to run as root: as root, run its tools as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _wait_for_redis(server, port, log):
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as conn:
            conn.sendall(b"PING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                return
        time.sleep(0.1)
    raise RuntimeError(f"Redis did not start on port {port}:\n{log.read_text()}")


@contextlib.contextmanager
def _temporary_folder(prefix):
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def start_postgres():
    """A fresh PostgreSQL 15 cluster (trust auth, fsync on); yields its DATABASE_URL."""
    with _temporary_folder("console-pg-") as folder:
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        data, log, port = folder / "data", folder / "postgres.log", free_port()
        subprocess.run(
            _as_postgres([PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=on"
        pg_ctl = [PG_BIN / "pg_ctl", "-D", data, "-l", log, "-s", "-w", "-t", str(STARTUP_SECONDS)]
        # -w: pg_ctl returns once the server accepts connections (or fails).
        started = subprocess.run(_as_postgres([*pg_ctl, "-o", options, "start"]), check=False)
        if started.returncode:
            raise RuntimeError(f"PostgreSQL did not start on port {port}:\n{log.read_text()}")
        try:
            yield f"postgres://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(_as_postgres([*pg_ctl, "-m", "fast", "stop"]), check=False)


@contextlib.contextmanager
def start_redis():
    """A Redis that keeps nothing on disk; yields its REDIS_URL."""
    with _temporary_folder("console-redis-") as folder:
        port, log = free_port(), folder / "redis.log"
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", folder]
            + ["--save", "", "--appendonly", "no", "--logfile", log]
        )
        try:
            _wait_for_redis(server, port, log)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=10)


def run_with_services(command):
    with start_postgres() as database_url, start_redis() as redis_url:
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
        return subprocess.run(command, env=env, check=False).returncode


def main(argv):
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        sys.exit("usage: python -m tests.services -- <command> [args...]")
    # A SIGTERM (CI cancelling the run) unwinds like Ctrl-C, so the services still stop.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return run_with_services(command)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
