"""Where the time of one ``POST /api/v1/jobs`` goes, in-process through the ASGI app.

    .venv/bin/python bench/create_profile.py                      # embedded (SQLite)
    .venv/bin/python -m tests.services -- .venv/bin/python bench/create_profile.py

Sends N requests one after another to ``console.asgi.application`` (httpx's ASGI
transport: no sockets, no daphne), each creating a one-step job, and prints the median
of the whole request and of the parts the view calls (timed by wrapping them): the
token lookup, the trip to the sync thread and what runs there (the workflow read, the
transaction with the job's insert and its live-feed row, waking a worker, the answer's
JSON). The rest is Django's handler, the middleware and django-ninja. ``--profile``
prints cProfile's top functions of everything that ran on the sync thread.
"""

import argparse
import asyncio
import cProfile
import functools
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIMES = defaultdict(list)


def timed(owner, name, label):
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label].append(time.perf_counter() - started)

    setattr(owner, name, wrapper)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="create-profile-")
    os.environ["CONSOLE_VAR_DIR"] = folder.name
    os.environ["API_RATE_LIMIT_PER_MINUTE"] = "0"
    os.environ.setdefault("CONSOLE_LOG_LEVEL", "ERROR")
    sys.argv = sys.argv[:1]
    from bench.api_wait import prepare

    token, workflow = prepare(folder.name)
    import httpx

    from console.api import jobs as api_jobs
    from console.api import tokens
    from console.asgi import application, django_asgi_app
    from jobs import live, services, tasks

    timed(tokens, "authenticate", "token lookup")
    timed(api_jobs, "_create_and_show", "sync thread: create and show")
    timed(api_jobs.Workflow.objects, "in_workspace", "  workflow read (queryset)")
    timed(services, "create_job", "  create_job (transaction)")
    timed(live, "job_changed", "    live feed row")
    timed(tasks, "wake_workers", "    wake a worker (on commit)")
    timed(api_jobs, "job_json", "  answer JSON")
    profile = cProfile.Profile() if options.profile else None
    if profile:
        inner = api_jobs._create_and_show

        def profiled(*args, **kwargs):
            profile.enable()
            try:
                return inner(*args, **kwargs)
            finally:
                profile.disable()

        api_jobs._create_and_show = profiled

    body = {"workflow_id": str(workflow.id), "args": {"n": "1"}}
    headers = {"Authorization": f"Bearer {token}"}

    def client(app):
        transport = httpx.ASGITransport(app=app)
        return httpx.AsyncClient(transport=transport, base_url="http://localhost", headers=headers)

    async def run():
        # The app as served, and Django's handler with every middleware (as before
        # console/api/lean.py), one request each in turn: the same machine load for both.
        whole = {"served (lean API path)": [], "all middleware": []}
        async with client(application) as lean, client(django_asgi_app) as full:
            for _ in range(20):  # warm up
                await lean.post("/api/v1/jobs", json=body)
                await full.post("/api/v1/jobs", json=body)
            TIMES.clear()
            for _ in range(options.requests):
                for name, one in zip(whole, (lean, full), strict=True):
                    started = time.perf_counter()
                    response = await one.post("/api/v1/jobs", json=body)
                    whole[name].append(time.perf_counter() - started)
                    assert response.status_code == 201, response.text
        return whole

    whole = asyncio.run(run())
    mode = "PostgreSQL + Redis" if os.environ.get("DATABASE_URL") else "embedded (SQLite)"
    print(
        f"{mode}: POST /api/v1/jobs through the ASGI app, {options.requests} requests "
        f"one at a time each way (load average {os.getloadavg()[0]:.1f}):"
    )
    for name, times in whole.items():
        print(f"  whole request, {name:<24} median {statistics.median(times) * 1000:6.2f} ms")
    print("  parts (both ways together):")
    for label, values in TIMES.items():
        print(f"  {label:<34} median {statistics.median(values) * 1000:6.2f} ms x{len(values)}")
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    folder.cleanup()


if __name__ == "__main__":
    main()
