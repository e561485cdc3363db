"""The production layout on one machine, for the fault suite: a throwaway PostgreSQL
and Redis on 127.0.0.1, ``jobworker`` processes standing for worker machines, and a
daphne web process, each a real process that a scenario can kill or restart.

This module sets up Django in the calling process against that PostgreSQL, so it runs
in its own process (``python -m tests.faults``), never inside the pytest run.
"""

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.services import free_port, postgres_server, redis_server

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "fault-suite-password"  # noqa: S105 - a throwaway user on a throwaway database


def children(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def rss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Stack:
    """PostgreSQL + Redis + workers + web; use as a context manager."""

    def __init__(self, lease_s=2):
        self.lease_s = lease_s
        self.workers = []  # one Popen per "machine"
        self.web = None
        self.web_url = None
        self._exit = contextlib.ExitStack()

    def __enter__(self):
        self.folder = Path(self._exit.enter_context(tempfile.TemporaryDirectory(prefix="faults-")))
        self.postgres = self._exit.enter_context(postgres_server())
        self.redis = self._exit.enter_context(redis_server())
        self.env = {
            **os.environ,
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "JOBS_LEASE_SECONDS": str(self.lease_s),
            "CONSOLE_VAR_DIR": str(self.folder),
            "CONSOLE_MEDIA_ROOT": str(self.folder / "media"),
            "CONSOLE_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
        }
        os.environ.update(self.env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        self._exit.callback(self.stop_workers)
        self._exit.callback(self.stop_web)
        return self

    def __exit__(self, *exc):
        return self._exit.__exit__(*exc)

    # --- Workers ----------------------------------------------------------------------

    def start_workers(self, machines=2, per_machine=2, stall=5):
        for _ in range(machines):
            log = open(self.folder / f"worker-{len(self.workers)}.log", "ab")  # noqa: SIM115
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "jobworker", "--tick", "0.1"]
                    + ["--stall", str(stall)],
                    cwd=ROOT,
                    env={**self.env, "CONSOLE_WORKERS": str(per_machine)},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()

    def worker_processes(self):
        """The django-q2 worker processes (grandchildren of each jobworker)."""
        return [
            pid
            for machine in self.workers
            for sentinel in children(machine.pid)
            for pid in children(sentinel)
        ]

    def kill_a_worker(self):
        workers = self.worker_processes()
        if not workers:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(random.choice(workers), signal.SIGKILL)
        return True

    def stop_workers(self):
        for machine in self.workers:
            machine.send_signal(signal.SIGTERM)
        for machine in self.workers:
            # After SIGKILLs django-q2's sentinel may wait for a worker that never ends.
            with contextlib.suppress(subprocess.TimeoutExpired):
                machine.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(machine.pid, signal.SIGKILL)
        self.workers = []

    def worker_log_tail(self, lines=40):
        tails = []
        for log in sorted(self.folder.glob("worker-*.log")):
            tails.append(f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-lines:]))
        return "\n".join(tails)

    # --- Web ------------------------------------------------------------------------

    def start_web(self, processes=1):
        """One daphne, or ``processes`` of them on one socket (``console.serve``)."""
        port = free_port()
        log = open(self.folder / "web.log", "ab")  # noqa: SIM115
        if processes > 1:
            command = [sys.executable, "-m", "console.serve", "--port", str(port)]
            command += ["--processes", str(processes)]
        else:
            command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            command += ["console.asgi:application"]
        self.web = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.web_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.web_url}/login/", timeout=2).status_code == 200:
                    return self.web_url
            time.sleep(0.2)
        raise RuntimeError("daphne did not start:\n" + (self.folder / "web.log").read_text())

    def stop_web(self):
        if self.web is not None:
            self.web.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.web.wait(timeout=10)
            self.web.kill()
            self.web = None

    def browser_session(self, username):
        """An httpx client logged in to the console as ``username``."""
        client = httpx.Client(base_url=self.web_url, timeout=30, follow_redirects=True)
        client.get("/login/")
        response = client.post(
            "/login/",
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
            headers={"Referer": f"{self.web_url}/login/"},
        )
        assert response.status_code == 200 and "sessionid" in client.cookies, (
            f"login failed: {response.status_code} {response.text[:300]}"
        )
        return client


class LiveFollower:
    """A page following ``/ws/live/`` as live.js does: on a closed socket it reconnects
    with ``?since=<its last hello>`` and is replayed what it missed; told to ``reset``
    (too much missed to replay), it reloads what it shows, as live.js's refreshAll
    does: here the workspace's job statuses, read where History reads them."""

    def __init__(self, stack, browser, workspace=None):
        self.workspace = workspace
        self.resets = 0
        self.url = stack.web_url.replace("http://", "ws://") + "/ws/live/"
        self.headers = {"Cookie": f"sessionid={browser.cookies['sessionid']}"}
        self.origin = stack.web_url
        self.statuses = {}  # job id -> the status of its newest change seen
        self.latest = {}  # job id -> the id of that change
        self.ended_seen = {}  # job id -> when (time.time()) it was first seen OK or KO
        self.since = None
        self.reconnects = 0
        self.last_error = ""
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()

    def _follow(self):
        from websockets.sync.client import connect

        while not self.stopping.is_set():
            query = "" if self.since is None else f"?since={self.since}"
            try:
                with connect(
                    self.url + query, additional_headers=self.headers, origin=self.origin
                ) as socket:
                    while not self.stopping.is_set():
                        with contextlib.suppress(TimeoutError):
                            self._read(json.loads(socket.recv(timeout=0.5)))
            except Exception as error:  # closed by the server, or the web process is busy
                if self.stopping.is_set():
                    return
                self.last_error = f"{type(error).__name__}: {error}"
                self.reconnects += 1
                time.sleep(0.5)

    def _read(self, message):
        if message.get("reset") and self.workspace is not None:
            self._reload()
        if "hello" in message:
            self.since = max(self.since or 0, message["hello"])
        for change in message.get("changes", []):  # a replay may bring an older one later
            job = change["job"]
            if change["change"] > self.latest.get(job, 0):
                self.latest[job] = change["change"]
                self.statuses[job] = change["status"]
            if change["status"] in ("OK", "KO"):
                self.ended_seen.setdefault(job, time.time())

    def _reload(self):
        from django.db import connection

        from jobs.models import Change, Job

        self.resets += 1
        newest = Change.objects.filter(workspace=self.workspace).order_by("-id").first()
        for job_id, status in Job.objects.in_workspace(self.workspace).values_list("pk", "status"):
            self.statuses[str(job_id)] = status
            self.latest[str(job_id)] = newest.id if newest else 0
        connection.close()  # this thread's own connection

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)


def member(username, workspace_name):
    """A user with a workspace of their own."""
    from django.contrib.auth import get_user_model

    from console.models import Membership, Workspace

    user = get_user_model().objects.create_user(username, password=PASSWORD)
    workspace = Workspace.objects.create(name=workspace_name)
    Membership.objects.create(user=user, workspace=workspace)
    return user, workspace
