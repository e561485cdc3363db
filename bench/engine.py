"""How much does the engine cost per step, and how many jobs per second does a real
cluster run?

    .venv/bin/python bench/engine.py                      # embedded: SQLite + ORM broker
    .venv/bin/python -m tests.services -- .venv/bin/python bench/engine.py   # PG + Redis
    ... bench/engine.py --workers 1,2,4 --floor   # and against PostgreSQL's own floors

1. Overhead per step, in-process, no cluster: N one-step and N ten-step
   ``simulate.outcome`` jobs claimed and run one after another; the difference per
   extra step is what the engine adds around an action that does nothing.
2. Throughput through ``manage.py jobworker`` (2 worker processes): jobs are queued
   first, then the cluster starts; jobs/s is counted from the first job's start to the
   last job's end, as the database recorded them, so cluster start-up is not counted.

Runs on a throwaway SQLite file unless ``DATABASE_URL`` is set; what it creates is
removed at the end.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup():
    folder = None
    if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
        folder = tempfile.TemporaryDirectory(prefix="engine-bench-")
        os.environ["SQLITE_PATH"] = str(Path(folder.name) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    os.environ["JOBS_WAKE_WORKERS"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return folder


def workflow_with(workspace, steps):
    from workflows.services import create_workflow

    flow = [
        {"id": f"s{i}", "provider": "simulate.outcome", "config": {"status": "OK"}}
        for i in range(steps)
    ]
    return create_workflow(
        workspace, {"name": f"{steps} steps", "schema": "bill/invoice", "steps": flow}
    )[0]


def queue(workspace, workflow, count):
    from django.utils import timezone

    from jobs.models import Job

    version = workflow.versions.get()
    now = timezone.now()
    Job.objects.bulk_create(
        [
            Job(
                workspace=workspace,
                workflow=workflow,
                version=version,
                args={"n": str(n)},
                due_at=now,
            )
            for n in range(count)
        ],
        batch_size=500,
    )


def in_process(workspace, steps, count):
    from jobs import engine

    queue(workspace, workflow_with(workspace, steps), count)
    started = time.perf_counter()
    while (claimed := engine.claim()) is not None:
        engine.run(*claimed)
    return (time.perf_counter() - started) / count


def hot_updates():
    """PostgreSQL: (updates of jobs_job, of which HOT) so far, as the server counts them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(1.2)  # other backends flush their counts about once a second
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'jobs_job'"
        )
        return cursor.fetchone()


def seconds_spent(jobs):
    """From the first job's start to the last one's end, as the database recorded them
    (so process start-up is not counted)."""
    from django.db.models import Max, Min

    span = jobs.aggregate(first=Min("started_at"), last=Max("completed_at"))
    return (span["last"] - span["first"]).total_seconds()


def through_cluster(workspace, steps, count, workers):
    from jobs.models import Job, Status

    workflow = workflow_with(workspace, steps)
    queue(workspace, workflow, count)
    env = {**os.environ, "CONSOLE_WORKERS": str(workers)}
    if "SQLITE_PATH" in os.environ:
        env["SQLITE_PATH"] = os.environ["SQLITE_PATH"]
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "jobworker", "--tick", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    jobs = Job.objects.filter(workflow=workflow)
    try:
        deadline = time.monotonic() + 300
        while jobs.exclude(status__in=(Status.OK, Status.KO)).exists():
            if time.monotonic() > deadline:
                raise SystemExit("the cluster did not finish in 5 minutes")
            time.sleep(0.2)
    finally:
        cluster.terminate()
        cluster.wait(timeout=60)
    return count / seconds_spent(jobs)


def raw_floors(workspace, steps, count, workers):
    """The floors of bench/raw_floor.py measured in the same run: (bare, same writes)."""
    from django.db import connections

    from jobs.models import Job, Status

    sys.path.insert(0, str(ROOT / "bench"))
    import raw_floor as floor

    def queue_floor_jobs(count):
        workflow = workflow_with(workspace, steps)
        queue(workspace, workflow, count)
        connections.close_all()  # the floor's processes fork from this one

        def finished():
            ended = Job.objects.filter(workflow=workflow, status=Status.OK)
            return ended.count(), seconds_spent(ended)

        return finished

    url = os.environ["DATABASE_URL"]
    connections.close_all()
    bare = floor.run(url, steps, count, workers)
    same = floor.engine_tables(url, steps, count, workers, queue_floor_jobs)
    return bare, same


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=400, help="jobs per cluster run")
    parser.add_argument(
        "--workers", default="2", help="worker processes, or a list to compare: 1,2,4"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="PostgreSQL: also run bench/raw_floor.py's claim loop with as many workers, "
        "and print the engine's jobs/s as a fraction of it",
    )
    options = parser.parse_args()
    worker_counts = [int(n) for n in options.workers.split(",")]
    folder = setup()
    from django.db import connection

    from console.models import Workspace

    workspace = Workspace.objects.create(name="Engine bench")
    try:
        vendor = connection.vendor + (
            " + Redis" if os.environ.get("REDIS_URL") else " + ORM broker"
        )
        print(f"engine bench on {vendor}, {os.cpu_count()} cores")
        samples = 200
        one = statistics.median([in_process(workspace, 1, samples // 4) for _ in range(3)])
        ten = statistics.median([in_process(workspace, 10, samples // 4) for _ in range(3)])
        print(
            f"  in-process: 1-step job {one * 1000:.2f} ms, 10-step job {ten * 1000:.2f} ms,"
            f" overhead per step {(ten - one) / 9 * 1000:.2f} ms"
        )
        if connection.vendor == "postgresql":
            updates, hot = hot_updates()
            print(
                f"  updates of a job's row made in place (HOT, no index written): {hot}"
                f" of {updates} ({hot / max(updates, 1):.0%})"
            )
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_prepared_statements")
                prepared = cursor.fetchone()[0]
            print(f"  statements prepared on this connection: {prepared} (0 would mean none is)")
        for workers in worker_counts:
            for steps, count in ((1, options.jobs), (10, options.jobs // 2)):
                rate = through_cluster(workspace, steps, count, workers)
                line = (
                    f"  cluster ({workers} workers): {steps:>2}-step jobs "
                    f"{rate:7.1f} jobs/s ({rate * steps:7.1f} steps/s) over {count} jobs"
                )
                print(line, flush=True)
                if options.floor and connection.vendor == "postgresql":
                    bare, same = raw_floors(workspace, steps, count, workers)
                    print(
                        f"    floor, same writes {same:7.1f} jobs/s: engine = {rate / same:4.0%}"
                        f"; bare floor {bare:7.1f} jobs/s: engine = {rate / bare:4.0%}",
                        flush=True,
                    )
    finally:
        from jobs.models import Job

        Job.objects.filter(workspace=workspace).delete()
        workspace.delete()
        if folder:
            folder.cleanup()


if __name__ == "__main__":
    main()
