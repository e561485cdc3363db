"""How fast is History with a million jobs in PostgreSQL?

    .venv/bin/python -m tests.services -- .venv/bin/python bench/history.py [--jobs 1000000]

Fills one workspace with ``--entries`` invoices (200 suppliers, each with its tax ID)
and ``--jobs`` finished jobs on them (one INSERT ... SELECT from generate_series each,
so a million rows take seconds), two workflows taking turns, one job in 20 KO and one
in 33 cancelled, one second apart. Then times, through Django's test
client and logged in (the server's whole time: middleware, queries, templates), History's
first page, its status filter (KO), its workflow filter, the second page through the
cursor, the search by what operators know (one invoice's code, a supplier's name, a
tax ID, a word nothing matches), one live row refresh and the top bar's failed-jobs bell
(every page pays it).
Prints the median and 95th percentile per request, in milliseconds.

PostgreSQL only: without ``DATABASE_URL`` it runs itself under ``tests.services`` (a
throwaway PostgreSQL); on a configured one, the workspace it made is removed at the end.
"""

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILL_ENTRIES = """
INSERT INTO silo_entry (
    id, workspace_id, key, schema, doc, state, meta, version, created_at, updated_at,
    code, supplier_name, customer_name, tax_ids, total, currency, issue_date, search_text
)
SELECT
    md5(%(tag)s || g)::uuid, %(workspace)s, NULL, 'bill/invoice', '{}'::jsonb, 'draft',
    '{}'::jsonb, 1, now() - (%(count)s - g) * interval '1 second', now(),
    'INV-' || lpad(g::text, 7, '0'), 'Supplier ' || (g %% 200), 'Customer ' || (g %% 5000),
    'ESB' || lpad((g %% 200)::text, 8, '0'), '100.00', 'EUR', '2026-01-01',
    lower('INV-' || lpad(g::text, 7, '0') || ' Supplier ' || (g %% 200) || ' Customer '
          || (g %% 5000) || ' ESB' || lpad((g %% 200)::text, 8, '0'))
FROM generate_series(1, %(count)s) AS g
"""

FILL = """
INSERT INTO jobs_job (
    id, workspace_id, workflow_id, version_id, entry_id, args, tags, trigger, status,
    created_at, started_at, completed_at, recoveries, position, attempt, intent_count,
    faults
)
SELECT
    gen_random_uuid(), %(workspace)s,
    CASE WHEN g %% 2 = 0 THEN %(first)s::uuid ELSE %(second)s::uuid END,
    CASE WHEN g %% 2 = 0 THEN %(first_version)s ELSE %(second_version)s END,
    md5(%(tag)s || (g %% %(entries)s + 1))::uuid,
    '{"invoice": "bench"}'::jsonb, '[]'::jsonb, 'api',
    CASE WHEN g %% 20 = 0 THEN 'KO' WHEN g %% 33 = 0 THEN 'CANCEL' ELSE 'OK' END,
    now() - (%(count)s - g) * interval '1 second',
    now() - (%(count)s - g) * interval '1 second',
    now() - (%(count)s - g) * interval '1 second' + interval '800 milliseconds',
    0, '{}'::jsonb, 0, 1,
    CASE WHEN g %% 20 = 0
        THEN '[{"step_id": "s", "provider": "simulate.outcome", "code": "x", "message": "m"}]'
        ELSE '[]' END::jsonb
FROM generate_series(1, %(count)s) AS g
"""


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per case")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    return parser.parse_args()


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def timed(client, url, params, requests):
    client.get(url, params)  # warm up
    durations = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, params)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return durations, response.content.decode().count("data-job=")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main():
    arguments = parse_arguments()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # PostgreSQL is what this measures: start a throwaway one (tests.services).
        print("no DATABASE_URL: running on a throwaway PostgreSQL", flush=True)
        command = [sys.executable, "-m", "tests.services", "--", sys.executable, "-u"]
        os.chdir(ROOT)
        os.execv(sys.executable, [*command, str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606
    setup_django()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from console.models import Membership, Workspace
    from jobs import selectors
    from jobs.models import Job
    from silo.models import Entry
    from workflows.services import create_workflow

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    tag = uuid.uuid4().hex[:8]
    user = get_user_model().objects.create_user(f"bench-{tag}", password=uuid.uuid4().hex)
    workspace = Workspace.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    Membership.objects.create(user=user, workspace=workspace)
    flows = []
    for name in ("Register", "Archive"):
        steps = [{"id": "s", "provider": "simulate.outcome", "config": {"status": "OK"}}]
        workflow, _ = create_workflow(
            workspace, {"name": name, "schema": "bill/invoice", "steps": steps}
        )
        flows.append((workflow, workflow.versions.get().pk))
    try:
        migrated = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                FILL_ENTRIES,
                {"workspace": workspace.pk, "tag": tag, "count": arguments.entries},
            )
            cursor.execute("ANALYZE silo_entry")
            cursor.execute(
                FILL,
                {
                    "workspace": workspace.pk,
                    "first": flows[0][0].pk,
                    "second": flows[1][0].pk,
                    "first_version": flows[0][1],
                    "second_version": flows[1][1],
                    "count": arguments.jobs,
                    "tag": tag,
                    "entries": arguments.entries,
                },
            )
            cursor.execute("ANALYZE jobs_job")
        filled = time.perf_counter()

        client = Client()
        client.force_login(user)
        url = reverse("jobs:history")
        older = re.search(r"cursor=([\w-]+)", client.get(url).content.decode())
        some_job = Job.objects.in_workspace(workspace).order_by("-created_at").first()
        cases = [
            ("first page", url, {}),
            ("status filter (KO)", url, {"status": "KO"}),
            ("workflow filter", url, {"workflow": str(flows[1][0].pk)}),
            ("status + workflow", url, {"status": "CANCEL", "workflow": str(flows[0][0].pk)}),
            ("second page (cursor)", url, {"cursor": older.group(1) if older else ""}),
            ("search: invoice code", url, {"q": f"INV-{arguments.entries // 2:07d}"}),
            ("search: supplier name", url, {"q": "Supplier 17"}),
            ("search: tax ID", url, {"q": "ESB00000017"}),
            ("search: no match", url, {"q": "no such party"}),
            ("live row refresh", reverse("jobs:row", args=[some_job.pk]), {}),
            ("failed-jobs bell", reverse("jobs:bell"), {}),
        ]
        print(
            f"History, {arguments.jobs:,} jobs on {connection.vendor}; "
            f"{arguments.requests} requests per case (ms of server time)"
        )
        print(f"  setup: migrate {migrated - started:.1f} s, insert {filled - migrated:.1f} s")
        print(f"  {'case':<24} {'median':>8} {'p95':>8} {'rows':>6}")
        for name, path, params in cases:
            durations, rows = timed(client, path, params, arguments.requests)
            median, p95 = statistics.median(durations), percentile(durations, 0.95)
            print(f"  {name:<24} {median:>8.1f} {p95:>8.1f} {rows:>6}")
            if arguments.explain and path == url:
                jobs = selectors.filter_history(
                    Job.objects.in_workspace(workspace),
                    entries=Entry.objects.in_workspace(workspace),
                    q=params.get("q", ""),
                    status=params.get("status", ""),
                    workflow=params.get("workflow"),
                )
                plan = jobs.order_by("-created_at", "-id")[:51].explain()
                print("    " + plan.replace("\n", "\n    "))
        print(f"  total {time.perf_counter() - started:.1f} s; load average {os.getloadavg()}")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM jobs_job WHERE workspace_id = %s", [workspace.pk])
            cursor.execute("DELETE FROM silo_entry WHERE workspace_id = %s", [workspace.pk])
        workspace.delete()
        user.delete()


if __name__ == "__main__":
    main()
