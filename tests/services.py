"""Throwaway PostgreSQL and Redis on 127.0.0.1, for the integration run and benches.

    python -m tests.services -- pytest -m "not browser"

starts both on free ports with data in a temporary folder, runs the command with
``DATABASE_URL`` and ``REDIS_URL`` set, then stops both, removes the folder and exits
with the command's exit code. ``start_postgres()`` and ``start_redis()`` are the same
steps as context managers, for code that wants only one of them; ``postgres_server()``
and ``redis_server()`` yield the servers themselves, which the fault suite restarts.
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


def database_url():
    """The test database as a DATABASE_URL, for processes the tests start (PostgreSQL)."""
    from django.db import connection

    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


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


class Postgres:
    """A running throwaway cluster; ``restart()`` is for the fault suite."""

    def __init__(self, folder, settings=()):
        self.folder, self.data, self.log, self.port = (
            folder,
            folder / "data",
            folder / "postgres.log",
            free_port(),
        )
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        options = f"-p {self.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=on"
        options += "".join(f" -c {setting}" for setting in settings)
        # -w: pg_ctl returns once the server accepts connections (or fails).
        self.pg_ctl = [PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-s", "-w"]
        self.pg_ctl += ["-t", str(STARTUP_SECONDS), "-o", options]

    def _control(self, *action):
        done = subprocess.run(_as_postgres([*self.pg_ctl, *action]), check=False)
        if done.returncode:
            log = self.log.read_text()
            raise RuntimeError(f"pg_ctl {action[-1]} failed on port {self.port}:\n{log}")

    def start(self):
        self._control("start")

    def stop(self):
        self._control("-m", "fast", "stop")

    def restart(self):
        """Fast restart: every open connection is cut, as when a server fails over."""
        self._control("-m", "fast", "restart")


@contextlib.contextmanager
def postgres_server(settings=()):
    """A fresh PostgreSQL 15 cluster (trust auth, fsync on), with extra ``name=value``
    server settings."""
    with _temporary_folder("console-pg-") as folder:
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        initdb = [PG_BIN / "initdb", "-D", folder / "data", "-A", "trust", "-U", "postgres"]
        subprocess.run(
            _as_postgres(initdb),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        server = Postgres(folder, settings)
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(RuntimeError):
                server.stop()


@contextlib.contextmanager
def start_postgres():
    """A fresh PostgreSQL 15 cluster; yields its DATABASE_URL."""
    with postgres_server() as server:
        yield server.url


# For the test suite: a transaction a test leaves open (a thread that outlived its test)
# would hold its locks, and the next test's flush would wait for them for ever. These
# end the wait with an error in the server's log, which the run prints at the end.
SUITE_SETTINGS = ("lock_timeout=60s", "idle_in_transaction_session_timeout=60s")
TROUBLE = ("idle-in-transaction", "lock timeout", "deadlock detected")


class Redis:
    """A Redis that keeps nothing on disk; ``restart()`` loses its data, as a crash would."""

    def __init__(self, folder):
        self.folder, self.port, self.log = folder, free_port(), folder / "redis.log"
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder]
            + ["--save", "", "--appendonly", "no", "--logfile", self.log]
        )
        _wait_for_redis(self.process, self.port, self.log)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self):
        self.stop()
        self.start()


@contextlib.contextmanager
def redis_server():
    with _temporary_folder("console-redis-") as folder:
        server = Redis(folder)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def start_redis():
    """A Redis that keeps nothing on disk; yields its REDIS_URL."""
    with redis_server() as server:
        yield server.url


def run_with_services(command):
    with postgres_server(SUITE_SETTINGS) as postgres, start_redis() as redis_url:
        env = {**os.environ, "DATABASE_URL": postgres.url, "REDIS_URL": redis_url}
        try:
            return subprocess.run(command, env=env, check=False).returncode
        finally:
            trouble = [
                line
                for line in postgres.log.read_text(errors="replace").splitlines()
                if any(word in line for word in TROUBLE)
            ]
            if trouble:
                print("PostgreSQL ended waits the suite left behind:", *trouble, sep="\n  ")


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
