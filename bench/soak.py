"""A steady mixed load on the production layout, then the engine against the floor.

    .venv/bin/python bench/soak.py [--seconds 60] [--rate 20] [--viewers 5] [--web N]

Brings up its own PostgreSQL, Redis, ``--web`` daphne processes on one socket
(``console.serve``, default one per core) and one ``jobworker`` machine with 2 worker
processes (tests/faults/harness.py), then for ``--seconds``:

- API clients create three-step ``simulate.outcome`` jobs at ``--rate`` per second
  (``POST /api/v1/jobs`` with a bearer token);
- ``--viewers`` History pages follow the live feed over WebSockets;
- an operator edits a workflow in the editor and saves it every 2 seconds.

Then it creates ``--batch-jobs`` more in ``POST /api/v1/jobs/batch`` requests of 1,000
and prints the jobs/s the endpoint accepted and the jobs/s done. It prints jobs/s, job
latency from creation to end (p50/p95/p99), the API's p95, the
worker processes' RSS at the start and at the end, how many jobs' ends the live viewers
saw and how long after its end a job's OK reached them (frame received minus
``completed_at``, one clock),
the CPU each kind of process spent per job (web, workers, PostgreSQL, Redis, this load
generator: where a machine's cores go, against what the offered rate allows), and every
error (there must be none). Then, on the same database, the engine's jobs/s
through 1, 2 and 4 worker processes next to the raw PostgreSQL floor for the same
writes (bench/engine.py, bench/raw_floor.py).
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.faults.harness import LiveFollower, Stack, member, rss_kb  # noqa: E402

GROUPS = (  # what a process is, by its command line
    ("web", ("daphne", "console.serve")),
    ("workers", ("jobworker", "qcluster")),
    ("PostgreSQL", ("postgres",)),
    ("Redis", ("redis-server",)),
)


def cpu_seconds():
    """Every process's CPU time so far: pid -> (group, seconds). This bench's own
    process (API clients, live viewers, editor) is "load generator"."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        group = "load generator" if int(pid) == os.getpid() else "other"
        for name, marks in GROUPS:
            if any(mark in command for mark in marks):
                group = name
        found[int(pid)] = (group, (int(fields[11]) + int(fields[12])) / tick)
    return found


def cpu_per_job(before, after, jobs):
    """CPU ms per job by group between two ``cpu_seconds``, the largest first."""
    spent = {}
    for pid, (group, seconds) in after.items():
        spent[group] = spent.get(group, 0) + seconds - before.get(pid, (group, 0))[1]
    return sorted(((1000 * s / jobs, group) for group, s in spent.items()), reverse=True)


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def workflow(workspace, name, steps):
    from workflows.services import create_workflow

    steps = [
        {"id": f"s{i}", "provider": "simulate.outcome", "config": {"status": "OK"}}
        for i in range(steps)
    ]
    return create_workflow(workspace, {"name": name, "schema": "bill/invoice", "steps": steps})[0]


class Load:
    """The API clients. Each pool thread keeps one keep-alive connection of the standard
    library's ``http.client``: httpx spent about 2.6 ms of CPU per request, on the same
    two cores as the console it measures (an ERP's clients run on their own machines)."""

    def __init__(self, stack, token, flow, rate):
        self.address = urlsplit(stack.web_url).netloc
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.flow, self.rate = flow, rate
        self.latencies, self.errors, self.created = [], [], []
        self.stopping = threading.Event()
        self.connections = threading.local()

    def create_jobs(self):
        """Open loop: one request every 1/rate s, each in its own pool thread."""
        with ThreadPoolExecutor(max_workers=64) as pool:
            next_at = time.monotonic()
            n = 0
            while not self.stopping.is_set():
                pool.submit(self._create, n)
                n += 1
                next_at += 1 / self.rate
                time.sleep(max(0, next_at - time.monotonic()))

    def _post(self, path, body):
        connection = getattr(self.connections, "http", None)
        if connection is None:
            connection = self.connections.http = HTTPConnection(self.address, timeout=30)
        try:
            connection.request("POST", path, body=json.dumps(body), headers=self.headers)
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, HTTPException):
            connection.close()
            self.connections.http = None
            raise

    def _create(self, n):
        started = time.perf_counter()
        body = {"workflow_id": str(self.flow.pk), "args": {"n": str(n)}, "tags": ["soak"]}
        try:
            status, answer = self._post("/api/v1/jobs", body)
        except (OSError, HTTPException) as error:
            self.errors.append(f"API: {type(error).__name__}")
            return
        self.latencies.append(time.perf_counter() - started)
        if status != 201:
            self.errors.append(f"API {status}: {answer[:200]!r}")
        else:
            self.created.append(json.loads(answer)["id"])

    def edit_and_save(self, browser, edited):
        """The editor's own requests: change the description, then Save."""
        headers = {"HX-Request": "true", "X-CSRFToken": browser.cookies["csrftoken"]}
        n = 0
        while not self.stopping.wait(2):
            n += 1
            base = f"/workflows/{edited.pk}/edit"
            for url, data in (
                (f"{base}/details/", {"name": edited.name, "description": f"edit {n}"}),
                (f"{base}/save/", {}),
            ):
                response = browser.post(url, data=data, headers=headers)
                if response.status_code != 200:
                    self.errors.append(f"editor {url} {response.status_code}")


def batches(stack, token, flow, count):
    """``count`` jobs through ``POST /jobs/batch``, 1,000 a request, one after another:
    jobs/s accepted by the API, and jobs/s done (from the first request to the last end)."""
    from jobs.models import Job

    api = httpx.Client(
        base_url=stack.web_url, headers={"Authorization": f"Bearer {token}"}, timeout=120
    )
    started = time.perf_counter()
    errors = 0
    for first in range(0, count, 1000):
        items = [
            {"key": f"batch-{n}", "workflow_id": str(flow.pk), "args": {"n": str(n)}}
            for n in range(first, min(count, first + 1000))
        ]
        answer = api.post("/api/v1/jobs/batch", json={"jobs": items})
        if answer.status_code != 200 or answer.json()["created"] != len(items):
            errors += 1
    accepted = time.perf_counter() - started
    jobs = Job.objects.filter(workflow=flow, key__startswith="batch-")
    deadline = time.monotonic() + 120
    while jobs.exclude(status="OK").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    done = time.perf_counter() - started
    ok = jobs.filter(status="OK").count()
    print(
        f"  POST /jobs/batch, {count} 3-step jobs in requests of 1,000: "
        f"{count / accepted:.0f} jobs/s accepted, {ok} ended OK, {ok / done:.0f} jobs/s done"
        f"{f', {errors} failed requests' if errors else ''}"
    )
    return errors


def soak(stack, seconds, rate, viewers, web=1, batch_jobs=0):
    from console.api.tokens import create_token
    from jobs.models import Job

    user, workspace = member("soak", "Soak")
    _, token = create_token(workspace, "soak")
    flow = workflow(workspace, "soak", 3)
    edited = workflow(workspace, "edited in the editor", 5)
    stack.start_web(processes=web)
    stack.start_workers(machines=1, per_machine=2)
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    browser = stack.browser_session(user.username)
    followers = [LiveFollower(stack, stack.browser_session(user.username)) for _ in range(viewers)]
    load = Load(stack, token, flow, rate)
    threads = [
        threading.Thread(target=load.create_jobs),
        threading.Thread(target=load.edit_and_save, args=(browser, edited)),
    ]
    started = time.monotonic()
    cpu_before = cpu_seconds()
    for thread in threads:
        thread.start()
    warm_up = min(10, seconds / 4)  # the workers' first imports (weasyprint...) and caches
    time.sleep(warm_up)
    rss_start = sum(rss_kb(pid) for pid in stack.worker_processes())
    time.sleep(seconds - warm_up)
    load.stopping.set()
    for thread in threads:
        thread.join()
    rss_end = sum(rss_kb(pid) for pid in stack.worker_processes())
    jobs = Job.objects.filter(workflow=flow)
    deadline = time.monotonic() + 60
    while jobs.exclude(status="OK").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    elapsed = time.monotonic() - started
    cpu_after = cpu_seconds()
    not_ok = jobs.exclude(status="OK").count()
    if not_ok:
        load.errors.append(f"{not_ok} jobs did not end OK")
    ended = [j for j in jobs.only("created_at", "started_at", "completed_at") if j.completed_at]
    ended_at = {str(j.pk): j.completed_at.timestamp() for j in ended}
    spans = [(j.completed_at - j.created_at).total_seconds() for j in ended]
    queued = [(j.started_at - j.created_at).total_seconds() for j in ended]
    deadline = time.monotonic() + 10  # the viewers' last messages are still on their way
    while time.monotonic() < deadline and any(
        sum(1 for s in list(f.statuses.values()) if s == "OK") < len(ended) for f in followers
    ):
        time.sleep(0.2)
    for follower in followers:
        follower.stop()
    versions = edited.versions.count() - 1
    seen = [sum(1 for s in list(f.statuses.values()) if s == "OK") for f in followers]
    print(
        f"soak: {seconds}s at {rate} jobs/s offered, {viewers} live viewers, editor saves, "
        f"{web} web process(es)"
    )
    print(f"  jobs: {len(spans)} ended OK, {len(spans) / elapsed:.1f} jobs/s")
    print(
        f"  job latency (created -> ended): p50 {percentile(spans, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(spans, 0.95) * 1000:.0f} ms, p99 {percentile(spans, 0.99) * 1000:.0f} ms"
    )
    print(f"  of which queued (created -> started): p50 {percentile(queued, 0.5) * 1000:.0f} ms")
    print(
        f"  API POST /jobs: p50 {statistics.median(load.latencies) * 1000:.0f} ms, "
        f"p95 {percentile(load.latencies, 0.95) * 1000:.0f} ms over {len(load.latencies)}"
    )
    print(f"  editor saves: {versions} versions published")
    if seen:
        print(f"  live viewers saw {min(seen)}-{max(seen)} of {len(spans)} jobs end")
        shown = [
            when - ended_at[job]
            for follower in followers
            for job, when in list(follower.ended_seen.items())
            if job in ended_at
        ]
        print(
            f"  a job's end reached a viewer (ended -> frame received): p50 "
            f"{percentile(shown, 0.5) * 1000:.0f} ms, p95 {percentile(shown, 0.95) * 1000:.0f} ms"
        )
    print(
        f"  worker RSS (all jobworker processes): {rss_start / 1024:.0f} MB after "
        f"{warm_up:.0f}s of load, {rss_end / 1024:.0f} MB at the end"
    )
    spent = cpu_per_job(cpu_before, cpu_after, max(1, len(spans)))
    print(
        f"  CPU per job ({os.cpu_count()} cores: {os.cpu_count() * 1000 / max(1, rate):.1f} ms"
        f" a job at the offered rate): {sum(ms for ms, _ in spent):.1f} ms = "
        + ", ".join(f"{group} {ms:.1f}" for ms, group in spent if ms >= 0.05)
    )
    print(f"  errors: {len(load.errors)}")
    for error in sorted(set(load.errors))[:10]:
        print(f"    {error}")
    if batch_jobs:
        load.errors += ["batch"] * batches(stack, token, flow, batch_jobs)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    stack.stop_workers()
    stack.stop_web()
    with contextlib.suppress(Exception):
        browser.close()
    return len(load.errors)


def against_the_floor(workers_list, jobs):
    import engine as engine_bench

    from console.models import Workspace

    workspace = Workspace.objects.create(name="Floor")
    print("engine vs raw PostgreSQL floors (bench/raw_floor.py), same database:")
    for workers in workers_list:
        for steps, count in ((1, jobs), (10, jobs // 2)):
            rate = engine_bench.through_cluster(workspace, steps, count, workers)
            bare, same = engine_bench.raw_floors(workspace, steps, count, workers)
            print(
                f"  {workers} worker processes, {steps:>2}-step jobs: engine {rate:6.1f} jobs/s;"
                f" floor with the same writes {same:6.1f} (engine = {rate / same:4.0%});"
                f" bare floor {bare:6.1f} (engine = {rate / bare:4.0%})",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=20, help="jobs per second offered")
    parser.add_argument("--viewers", type=int, default=5)
    parser.add_argument("--floor-jobs", type=int, default=1000)
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--web", type=int, default=os.cpu_count() or 1, help="web processes")
    parser.add_argument("--batch-jobs", type=int, default=5000, help="0: no batch part")
    options = parser.parse_args()
    os.environ["JOBS_WAKE_WORKERS"] = "1"
    # One token offers the whole load: its rate limit must not be what is measured.
    os.environ["API_RATE_LIMIT_PER_MINUTE"] = str(int(options.rate * 60 * 2))
    print(f"{os.cpu_count()} cores")
    with Stack(lease_s=60) as stack:
        errors = soak(
            stack,
            options.seconds,
            options.rate,
            options.viewers,
            web=options.web,
            batch_jobs=options.batch_jobs,
        )
        if not options.no_floor:
            os.environ["JOBS_WAKE_WORKERS"] = "0"
            against_the_floor((1, 2, 4), options.floor_jobs)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
