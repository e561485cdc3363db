"""Server time of the canvas editor's interactions on a 100-step workflow.

    .venv/bin/python bench/editor.py                      # SQLite in a temporary file
    .venv/bin/python -m tests.services -- .venv/bin/python bench/editor.py   # PostgreSQL

The workflow has 100 steps: 80 in the main flow (every fourth with an exception holding
one step) and 20 in rescue. The user's draft starts with a full undo stack, the worst
case for reading and writing the draft. Each interaction is sent through Django's test
client (the whole request: middleware, session, workspace check, view, templates,
database), so the figures are server time without the network. Prints the median and
the slowest of the runs of each interaction.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUNS = 20


def setup():
    folder = None
    if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
        folder = tempfile.TemporaryDirectory(prefix="editor-bench-")
        os.environ["SQLITE_PATH"] = str(Path(folder.name) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return folder


def hundred_steps():
    def state(step_id, value="processing"):
        return {"id": step_id, "provider": "silo.state", "config": {"state": value}}

    main = []
    for i in range(80):
        step = state(f"s{i}")
        if i % 4 == 0 and len(main) + sum(len(s.get("next", [])) for s in main) < 80:
            step["next"] = [
                {"status": "KO", "code": "no_entry", "steps": [state(f"e{i}", "error")]}
            ]
        main.append(step)
    count = sum(1 + len(s.get("next", [])) for s in main)
    while count > 80:  # keep the main flow at 80 steps, nested ones included
        main.pop()
        count = sum(1 + len(s.get("next", [])) for s in main)
    rescue = [state(f"r{i}", "error") for i in range(100 - count)]
    return {"name": "Hundred", "schema": "bill/invoice", "steps": main, "rescue": rescue}


def measure(name, call, results):
    """Wall time and this process's CPU time per call: on a busy machine the CPU time
    is what the server itself spends, the wall time adds waiting for a core."""
    wall, cpu = [], []
    for _ in range(RUNS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (name, response.status_code)
    results.append((name, statistics.median(wall), max(wall), statistics.median(cpu)))


def main():
    folder = setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from console.models import Membership, Workspace
    from workflows import drafts, editing, tree
    from workflows.models import Workflow
    from workflows.services import create_workflow

    user = get_user_model().objects.create_user("bench", password="x")
    workspace = Workspace.objects.create(name="Bench")
    Membership.objects.create(user=user, workspace=workspace, role="owner")
    workflow, _ = create_workflow(workspace, hundred_steps())
    data = drafts.load(workflow, user)
    for i in range(drafts.UNDO_LIMIT + 1):  # a full undo stack
        data = editing.set_details(data, name=f"Hundred {i}", description="")
        drafts.store(workflow, user, data)
    steps = sum(1 for _ in tree.walk(data))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    hx = {"HTTP_HX_REQUEST": "true"}

    def url(name, **kwargs):
        return reverse(f"workflows:{name}", kwargs={"workflow_id": workflow.pk, **kwargs})

    results = []
    measure("open the editor (full page)", lambda: client.get(url("edit")), results)
    measure(
        "open the catalogue",
        lambda: client.get(url("edit_catalogue") + "?list=steps&index=40", **hx),
        results,
    )
    measure(
        "open a step's config form",
        lambda: client.get(url("edit_step") + "?address=steps[10]", **hx),
        results,
    )

    def insert_then_delete():
        client.post(
            url("edit_insert"), {"list": "steps", "index": 40, "provider": "silo.state"}, **hx
        )
        return client.post(
            url("edit_do", operation="delete"),
            {"address": "steps[40]"},
            **hx,
        )

    measure("insert a step + delete it (2 requests)", insert_then_delete, results)
    measure(
        "apply a config form",
        lambda: client.post(
            url("edit_step"),
            {"address": "steps[10]", "name": "Ten", "state": "sent"},
            **hx,
        ),
        results,
    )
    measure(
        "move a step down",
        lambda: client.post(
            url("edit_do", operation="down"),
            {"address": "steps[5]"},
            **hx,
        ),
        results,
    )
    measure(
        "add a condition",
        lambda: client.post(
            url("edit_block"),
            {"address": "steps[1]", "status": "OK", "code": "x"},
            **hx,
        ),
        results,
    )
    measure("undo", lambda: client.post(url("edit_undo"), **hx), results)
    measure("redo", lambda: client.post(url("edit_redo"), **hx), results)

    def save():
        drafts.store(
            workflow,
            user,
            editing.set_details(
                drafts.load(workflow, user), name=f"S{time.time()}", description=""
            ),
        )
        return client.post(url("edit_save"), **hx)

    measure("save (publish a version; includes one store)", save, results)

    engine = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"Canvas editor, {steps}-step workflow, {engine}, {RUNS} runs each (ms of server time)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'interaction':48} {'median':>8} {'max':>8} {'cpu med':>8}")
    for name, median, slowest, cpu in results:
        print(f"{name:48} {median:8.1f} {slowest:8.1f} {cpu:8.1f}")
    Workflow.objects.filter(pk=workflow.pk).delete()
    workspace.delete()
    user.delete()
    if folder:
        folder.cleanup()


if __name__ == "__main__":
    main()
