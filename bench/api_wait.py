"""Round trip of ``PUT /api/v1/jobs/{id}?wait=10`` for a three-step
``simulate.outcome`` workflow, through a real server and real workers.

    .venv/bin/python bench/api_wait.py               # embedded, then PostgreSQL + Redis
    .venv/bin/python bench/api_wait.py --embedded    # SQLite + django-q2's ORM broker only
    .venv/bin/python -m tests.services -- .venv/bin/python bench/api_wait.py --here

Starts ``daphne`` (the ASGI app) and ``manage.py jobworker`` (2 worker processes) as
subprocesses on a throwaway database, then sends N requests one after another, each a
new job id, and prints the median and p95 of the time from sending the request to
reading the finished job. Every answer must be a finished job (status OK), or the
bench fails. ``--concurrency C`` keeps C requests in flight instead of one.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THREE_STEPS = {
    "name": "Three outcomes",
    "schema": "bill/invoice",
    "steps": [
        {"id": name, "provider": "simulate.outcome", "config": {"status": "OK"}}
        for name in ("a", "b", "c")
    ],
}


def prepare(folder):
    """Migrate, and make a workspace, a token and the workflow; returns (token, workflow)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from console.api.tokens import create_token
    from console.models import Workspace
    from workflows.services import create_workflow

    call_command("migrate", verbosity=0)
    workspace = Workspace.objects.create(name=f"bench {uuid.uuid4().hex[:6]}")
    _, plaintext = create_token(workspace, "bench")
    workflow, _ = create_workflow(workspace, THREE_STEPS)
    return plaintext, workflow


def start(command, env, log):
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(url, server, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("daphne exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("daphne did not start")


def measure(base, token, workflow_id, requests, concurrency, wait):
    headers = {"Authorization": f"Bearer {token}"}
    body = {"workflow_id": str(workflow_id), "args": {"bench": "1"}}

    def one(client):
        started = time.perf_counter()
        response = client.put(f"{base}/api/v1/jobs/{uuid.uuid4()}?wait={wait}", json=body)
        elapsed = time.perf_counter() - started
        job = response.json()
        if response.status_code != 201 or (wait and job.get("status") != "OK"):
            raise RuntimeError(f"not a finished job: {response.status_code} {job}")
        return elapsed

    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(10):  # warm up: connections, the engine's caches, the workers
            one(client)
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            times = list(pool.map(lambda _: one(client), range(requests)))
        wall = time.perf_counter() - started
    return sorted(times), wall


def job_times(workflow):
    """Seconds from each job's creation to its end, and to its start (queued), as the
    database recorded them."""
    from jobs.models import Job

    jobs = list(Job.objects.filter(workflow=workflow, completed_at__isnull=False))
    ended = sorted((j.completed_at - j.created_at).total_seconds() for j in jobs)
    queued = sorted((j.started_at - j.created_at).total_seconds() for j in jobs if j.started_at)
    return ended, queued


def run_here(requests, concurrency, wait):
    folder = tempfile.TemporaryDirectory(prefix="api-wait-bench-")
    var = Path(folder.name)
    os.environ["CONSOLE_VAR_DIR"] = str(var)
    os.environ["API_RATE_LIMIT_PER_MINUTE"] = "0"
    os.environ.setdefault("CONSOLE_LOG_LEVEL", "ERROR")
    token, workflow = prepare(var)
    from tests.services import free_port

    port = free_port()
    env = {**os.environ, "CONSOLE_VAR_DIR": str(var)}
    log = open(var / "servers.log", "w")  # noqa: SIM115 - closed in finally
    server = start(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        + ["console.asgi:application"],
        env,
        log,
    )
    workers = start([sys.executable, "manage.py", "jobworker"], env, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/login/", server)
        times, wall = measure(base, token, workflow.id, requests, concurrency, wait)
        in_jobs, queued = job_times(workflow)
    except Exception:
        log.flush()
        print("".join((var / "servers.log").read_text().splitlines(True)[-60:]), file=sys.stderr)
        raise
    finally:
        for process in (server, workers):
            process.terminate()
        for process in (server, workers):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        folder.cleanup()
    mode = "PostgreSQL + Redis" if os.environ.get("DATABASE_URL") else "embedded (SQLite + ORM)"
    p95 = times[max(0, round(len(times) * 0.95) - 1)]
    print(
        f"{mode}: PUT /api/v1/jobs/{{id}}?wait={wait}, 3-step simulate.outcome, "
        f"{len(times)} requests, concurrency {concurrency}: "
        f"median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {times[-1] * 1000:.0f} ms, {len(times) / wall:.1f} jobs/s; "
        f"created->completed in the database: median "
        f"{statistics.median(in_jobs or [0]) * 1000:.0f} ms, of which queued "
        f"{statistics.median(queued or [0]) * 1000:.0f} ms "
        f"(load average {os.getloadavg()[0]:.1f})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--wait", type=int, default=10, help="0: only the cost of creating")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--here", action="store_true", help="use this environment's database")
    where.add_argument("--embedded", action="store_true", help="SQLite only")
    options = parser.parse_args()
    if options.here or options.embedded:
        if options.embedded:
            os.environ.pop("DATABASE_URL", None)
            os.environ.pop("REDIS_URL", None)
        run_here(options.requests, options.concurrency, options.wait)
        return
    rest = [f"--requests={options.requests}", f"--concurrency={options.concurrency}"]
    rest.append(f"--wait={options.wait}")
    me = [sys.executable, __file__]
    subprocess.run([*me, "--embedded", *rest], check=True)
    services = [sys.executable, "-m", "tests.services", "--"]
    subprocess.run([*services, *me, "--here", *rest], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
