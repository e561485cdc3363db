"""Server time of the workflows list, developer mode, the versions diff and the run panel.

    .venv/bin/python bench/workflows_list.py                      # SQLite in a temporary file
    .venv/bin/python -m tests.services -- .venv/bin/python bench/workflows_list.py   # PostgreSQL

The workspace has 200 workflows and 20,000 jobs spread over them (the list shows each
workflow's last run), 200 invoices (the run panel searches them), and one 100-step
workflow with two versions (developer mode and the diff). Requests go through Django's
test client (middleware, session, workspace check, view, templates, database): server
time without the network. Prints the median and the slowest of the runs, and the list's
query count, which must not grow with the number of workflows.
"""

import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = 20
WORKFLOWS = 200
JOBS = 20_000
ENTRIES = 200


def setup():
    folder = None
    if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
        folder = tempfile.TemporaryDirectory(prefix="workflows-list-bench-")
        os.environ["SQLITE_PATH"] = str(Path(folder.name) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return folder


def hundred_steps(name="Hundred", state="processing"):
    steps = [
        {"id": f"s{i}", "provider": "silo.state", "config": {"state": state}} for i in range(90)
    ]
    rescue = [
        {"id": f"r{i}", "provider": "silo.state", "config": {"state": "error"}} for i in range(10)
    ]
    return {"name": name, "schema": "bill/invoice", "steps": steps, "rescue": rescue}


def measure(name, call, results, status=200):
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == status, (name, response.status_code)
    results.append((name, statistics.median(times), max(times)))


def populate():
    from django.contrib.auth import get_user_model

    from console.models import Membership, Workspace
    from jobs.models import Job
    from silo.services import create_entry
    from workflows.services import create_workflow, save_version

    user = get_user_model().objects.create_user("bench", password="x")
    workspace = Workspace.objects.create(name="Bench")
    Membership.objects.create(user=user, workspace=workspace, role="owner")
    simple = {"name": "", "schema": "bill/invoice", "steps": [{"provider": "silo.state"}]}
    simple["steps"][0]["config"] = {"state": "sent"}
    workflows = [
        create_workflow(workspace, {**simple, "name": f"Workflow {n:03}"})[0]
        for n in range(WORKFLOWS)
    ]
    versions = {w.pk: w.current() for w in workflows}
    Job.objects.bulk_create(
        (
            Job(
                workspace=workspace,
                workflow=workflows[n % WORKFLOWS],
                version=versions[workflows[n % WORKFLOWS].pk],
                args={"n": str(n)},
                status="OK" if n % 7 else "KO",
            )
            for n in range(JOBS)
        ),
        batch_size=2000,
    )
    invoice = _invoice()
    for n in range(ENTRIES):
        doc = copy.deepcopy(invoice)
        doc["doc"]["code"] = f"BENCH-{n:05}"
        create_entry(workspace, doc)
    big, _ = create_workflow(workspace, hundred_steps())
    save_version(big, hundred_steps("Hundred v2", state="sent"), expected_version=1)

    return user, workspace, workflows, big


def main():
    folder = setup()
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from jobs.models import Job
    from silo.models import Entry
    from workflows import drafts, selectors
    from workflows.developer import pretty
    from workflows.models import Workflow

    # Setup in one transaction (SQLite syncs to disk once); requests keep one connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    with transaction.atomic():
        user, workspace, workflows, big = populate()

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    hx = {"HTTP_HX_REQUEST": "true"}
    client.get(reverse("workflows:list"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("workflows:list"))
    list_queries = len(queries)  # now: the next request_started resets the query log

    results = []
    measure(
        "workflows list: its one query alone",
        lambda: _ok(list(selectors.with_last_run(Workflow.objects.in_workspace(workspace)))),
        results,
    )
    measure("workflows list (full page)", lambda: client.get(reverse("workflows:list")), results)
    developer = reverse("workflows:developer", args=[big.pk])
    measure("developer mode (100 steps)", lambda: client.get(developer), results)
    text = pretty(big, drafts.load(big, user))
    measure(
        "developer mode apply (validate + store draft)",
        lambda: client.post(developer, {"json": text}),
        results,
        status=302,
    )
    versions_url = reverse("workflows:versions", args=[big.pk])
    measure(
        "versions diff v1 -> v2 (100 steps, htmx)",
        lambda: client.get(versions_url, {"a": 1, "b": 2, "diff": 1}, **hx),
        results,
    )
    run_panel = reverse("workflows:run_panel", args=[workflows[0].pk])
    measure("run panel (20 newest invoices)", lambda: client.get(run_panel, **hx), results)
    measure(
        "run panel search 'bench-00199'",
        lambda: client.get(run_panel, {"q": "bench-00199"}, **hx),
        results,
    )

    engine = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(
        f"Workflows screens, {WORKFLOWS} workflows, {Job.objects.count()} jobs, "
        f"{Entry.objects.count()} entries, {engine}, {RUNS} runs each (ms of server time)"
    )
    print(f"workflows list: {list_queries} queries for {WORKFLOWS} rows")
    print(f"{'request':48} {'median':>8} {'max':>8}")
    for name, median, slowest in results:
        print(f"{name:48} {median:8.1f} {slowest:8.1f}")
    Job.objects.filter(workspace=workspace).delete()
    Workflow.objects.filter(workspace=workspace).delete()
    workspace.delete()
    user.delete()
    if folder:
        folder.cleanup()


class _ok:
    status_code = 200

    def __init__(self, result):
        self.result = result


def _invoice():
    import json

    gobl = ROOT.parent / "shared" / "data" / "gobl" / "es-invoice-es-es-freelance.json"
    if not gobl.exists():
        gobl = ROOT / "shared" / "data" / "gobl" / "es-invoice-es-es-freelance.json"
    return json.loads(gobl.read_text())


if __name__ == "__main__":
    main()
