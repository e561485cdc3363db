"""What does PostgreSQL itself allow for the engine's writes on this machine?

    .venv/bin/python -m tests.services -- .venv/bin/python bench/raw_floor.py

Two floors, both in plain psycopg worker processes with no engine and no django-q2:

- *bare*: minimal tables of its own: claim a queued job with ``FOR UPDATE SKIP
  LOCKED``, then for each step insert the attempt's event, update the step's intent,
  insert the next intent and update the job's position, one commit per step, as S9
  requires. This is the loop the engine issue quotes.
- *same writes* (``engine_tables``): the engine's own two statements
  (``jobs.postgresql``: the claim and the one-statement step commit) on the engine's
  own tables, with their indexes and the live feed's row per change, so the rows,
  indexes and commits are exactly the engine's; only the Python around them is gone.

``bench/engine.py --floor`` runs both next to the engine; the engine's jobs/s divided
by the floor's is the fraction of what the database allows that it reaches.
"""

import multiprocessing
import os
import sys
import time
import uuid

import psycopg

SCHEMA = """
DROP TABLE IF EXISTS floor_event, floor_intent, floor_job;
CREATE TABLE floor_job (id bigserial PRIMARY KEY, status text NOT NULL, position jsonb,
    lease uuid, lease_until timestamptz, due_at timestamptz, current_intent bigint,
    intent_count int NOT NULL DEFAULT 0, completed_at timestamptz);
CREATE INDEX floor_job_due ON floor_job (due_at) WHERE status IN ('QUEUED', 'WAIT');
CREATE TABLE floor_intent (id bigserial PRIMARY KEY, job_id bigint REFERENCES floor_job,
    seq int, step_id text, status text, code text, message text, started_at timestamptz,
    finished_at timestamptz, UNIQUE (job_id, seq));
CREATE TABLE floor_event (id bigserial PRIMARY KEY, intent_id bigint REFERENCES floor_intent,
    index int, status text, code text, message text, at timestamptz, UNIQUE (intent_id, index));
"""


def worker(url, steps):
    with psycopg.connect(url) as conn:
        while True:
            with conn.transaction():
                row = conn.execute(
                    "SELECT id FROM floor_job WHERE status = 'QUEUED' AND due_at <= now() "
                    "ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED"
                ).fetchone()
                if row is None:
                    return
                job = row[0]
                conn.execute(
                    "UPDATE floor_job SET status = 'RUN', lease = gen_random_uuid(), "
                    "lease_until = now() + interval '60 s', due_at = NULL WHERE id = %s",
                    (job,),
                )
                intent = conn.execute(
                    "INSERT INTO floor_intent (job_id, seq, step_id, status, started_at) "
                    "VALUES (%s, 1, 's0', 'RUN', now()) RETURNING id",
                    (job,),
                ).fetchone()[0]
            for step in range(steps):
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO floor_event (intent_id, index, status, code, message,"
                        " at) VALUES (%s, 1, 'OK', '', '', now())",
                        (intent,),
                    )
                    conn.execute(
                        "UPDATE floor_intent SET status = 'OK', finished_at = now() WHERE id = %s",
                        (intent,),
                    )
                    last = step == steps - 1
                    if not last:
                        intent = conn.execute(
                            "INSERT INTO floor_intent (job_id, seq, step_id, status, started_at)"
                            " VALUES (%s, %s, %s, 'RUN', now()) RETURNING id",
                            (job, step + 2, f"s{step + 1}"),
                        ).fetchone()[0]
                    conn.execute(
                        "UPDATE floor_job SET position = %s, current_intent = %s, intent_count = "
                        "%s, lease_until = now() + interval '60 s', status = %s, completed_at = "
                        "CASE WHEN %s THEN now() END WHERE id = %s",
                        (
                            f'{{"stack": [[["steps"], {step + 1}]]}}',
                            None if last else intent,
                            step + 1,
                            "OK" if last else "RUN",
                            last,
                            job,
                        ),
                    )


def run(url, steps, jobs, workers):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute(
            "INSERT INTO floor_job (status, due_at) SELECT 'QUEUED', now() "
            "FROM generate_series(1, %s)",
            (jobs,),
        )
    started = time.perf_counter()
    processes = [multiprocessing.Process(target=worker, args=(url, steps)) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        done = conn.execute("SELECT count(*) FROM floor_job WHERE status = 'OK'").fetchone()[0]
        conn.execute("DROP TABLE floor_event, floor_intent, floor_job")
    assert done == jobs, f"only {done} of {jobs} jobs finished"
    return jobs / elapsed


def engine_tables_worker(url, claim_sql, commit_sql, steps):
    """Claims and commits with the engine's statements and fixed values (a
    ``simulate.outcome`` step writes no entry, no changes)."""
    from datetime import UTC, datetime, timedelta

    from psycopg.types.json import Jsonb

    def now():
        return datetime.now(UTC)

    start = Jsonb({"flow": "main", "stack": [[["steps"], 0]]})
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            started, token = now(), uuid.uuid4()
            lease = started + timedelta(seconds=60)  # kept by every step, as the engine does
            with conn.cursor() as cursor:
                row = cursor.execute(
                    claim_sql,
                    {
                        "now": started,
                        "token": token,
                        "lease_until": lease,
                        "start": start,
                    },
                    prepare=True,
                ).fetchone()
                if row is None:
                    return
                column = {}  # the job's own columns come first ("id" recurs after them)
                for i, c in enumerate(cursor.description):
                    column.setdefault(c.name, i)
                fields = len(cursor.description) - 5  # the job's columns, then 5 values
            job, workspace = row[column["id"]], row[column["workspace_id"]]
            intent = row[fields]  # the first step's intent, inserted by the claim
            for step in range(steps):
                at = now()
                last = step == steps - 1
                position = {"flow": "main", "stack": [[["steps"], step + 1]]}
                intent = conn.execute(
                    commit_sql,
                    {
                        "job": job,
                        "workspace": workspace,
                        "entry": None,
                        "token": token,
                        "intent": intent,
                        "attempt": 1,
                        "status": "OK",
                        "code": "",
                        "message": "",
                        "now": at,
                        "duration": 0,
                        "changes": Jsonb({}),
                        "has_next": not last,
                        "seq": step + 2,
                        "step_id": "" if last else f"s{step + 1}",
                        "name": "",
                        "provider": "" if last else "simulate.outcome",
                        "flow": "main",
                        "position": Jsonb(position),
                        "intent_count": step + 1 if last else step + 2,
                        "faults": Jsonb([]),
                        "job_status": "OK" if last else "RUN",
                        "completed_at": at if last else None,
                        "lease_until": None if last else lease,
                    },
                    prepare=True,
                ).fetchone()[0]


def engine_tables(url, steps, count, workers, queue):
    """The engine's statements on its tables; ``queue(count)`` queues the jobs (a
    workflow of ``steps`` steps) and returns a function giving how many ended and the
    seconds from the first start to the last end, as the database recorded them (as
    bench/engine.py counts the engine: process start-up is not counted). Runs in a
    process where Django is set up (bench/engine.py)."""
    from jobs import postgresql

    finished = queue(count)
    args = (url, postgresql.CLAIM_DUE, postgresql.STEP_COMMIT, steps)
    processes = [
        multiprocessing.Process(target=engine_tables_worker, args=args) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    done, seconds = finished()
    assert done == count, f"only {done} of {count} jobs finished"
    return count / seconds


def main():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("needs PostgreSQL: python -m tests.services -- python bench/raw_floor.py")
    print(f"bare raw floor on PostgreSQL, {os.cpu_count()} cores (bench/engine.py --floor")
    print("also runs the floor on the engine's own tables and statements)")
    for workers in (1, 2, 4):
        one = run(url, 1, 2000, workers)
        ten = run(url, 10, 400, workers)
        print(
            f"  {workers} worker processes: 1-step {one:7.1f} jobs/s, "
            f"10-step {ten:7.1f} jobs/s ({ten * 10:7.1f} steps/s)"
        )


if __name__ == "__main__":
    main()
