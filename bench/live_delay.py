"""How long from a step finishing in a worker to the browser showing it? And from a
job being created, or changing status, to History showing it?

    .venv/bin/python bench/live_delay.py [--steps 100] [--history-jobs 20]   # embedded
    .venv/bin/python -m tests.services -- .venv/bin/python bench/live_delay.py   # Redis

Starts the console as it runs for real: Daphne serving ``console.asgi`` and a
``jobworker`` (django-q2 cluster and clock) as separate processes. Embedded (no
``REDIS_URL``) that is a throwaway SQLite file, and the web process learns of changes
by polling the change feed; under ``tests.services`` it is PostgreSQL with
channels-redis, and the worker pushes each change after its commit.

Headless Chromium logs in and opens the page of a job whose workflow is ``--steps``
short ``delay.wait`` steps (so steps end one by one, a clock tick apart). A
MutationObserver records when each step first shows as OK in the live timeline; the
delay of a step is that moment minus the step's ``finished_at`` as the worker wrote it
(same machine, same clock). Prints the median, 95th percentile and maximum in ms.

Then History: 50 finished jobs fill its first page, History is open in one tab and
other pages in others (a waiting job's page, a second History), and ``--history-jobs``
jobs are created one after another from this process (as the API or a trigger in
another process would), each two short waits long. A MutationObserver on History
records when each job's row first appears and when it first shows each status; the
delays are those moments minus the ``at`` of the job's change rows (committed in
the same transaction as the change). Statuses a row skipped because the next one
came first (RUN and WAIT a few ms apart) are counted, not timed.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"

OBSERVE_HISTORY = """() => {
  window.rowSeen = {};
  const look = () => {
    const now = Date.now();
    for (const row of document.querySelectorAll("#jobs tr[data-job]")) {
      const seen = window.rowSeen[row.getAttribute("data-job")] ||= {};
      if (!("new" in seen)) seen.new = now;
      const badge = row.querySelector("[data-testid=job-status]");
      const status = badge ? badge.classList[1] : "";
      if (status && !(status in seen)) seen[status] = now;
    }
  };
  new MutationObserver(look).observe(document.body, {childList: true, subtree: true});
  look();
}"""

OBSERVE = """() => {
  window.shownAt = {};
  const look = () => {
    for (const li of document.querySelectorAll("li.step.OK[data-step]")) {
      const id = li.getAttribute("data-step");
      if (!(id in window.shownAt)) window.shownAt[id] = Date.now();
    }
  };
  new MutationObserver(look).observe(document.body, {childList: true, subtree: true});
  look();
}"""


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--wait", type=float, default=0.05, help="each step's delay.wait (s)")
    parser.add_argument("--history-jobs", type=int, default=20, help="jobs History watches")
    return parser.parse_args()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the web server exited")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the web server did not start")


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def watch_history(browser, page, workspace, count):
    """History open with 50 rows and other pages open; ``count`` jobs created one after
    another. Returns ``(jobs, rowSeen)``."""
    from jobs.models import Job
    from jobs.services import create_job
    from workflows.services import create_workflow

    filler, _ = create_workflow(
        workspace,
        {
            "name": "One step",
            "schema": "bill/invoice",
            "steps": [{"provider": "simulate.outcome", "config": {"status": "OK"}}],
        },
    )
    for number in range(50):
        create_job(workspace, filler, args={"filler": str(number)})
    long_wait, _ = create_workflow(
        workspace,
        {
            "name": "Waits ten minutes",
            "schema": "bill/invoice",
            "steps": [{"provider": "delay.wait", "config": {"seconds": 600}}],
        },
    )
    waiting, _ = create_job(workspace, long_wait, args={"open": "page"})
    from jobs import tasks

    tasks.wake_workers()
    deadline = time.monotonic() + 60
    while Job.objects.filter(workspace=workspace, status__in=("QUEUED", "RUN")).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the filler jobs did not finish")
        time.sleep(0.2)
    watched, _ = create_workflow(
        workspace,
        {
            "name": "Two short waits",
            "schema": "bill/invoice",
            "steps": [
                {"id": "first", "provider": "delay.wait", "config": {"seconds": 0.3}},
                {"id": "second", "provider": "delay.wait", "config": {"seconds": 0.3}},
            ],
        },
    )
    page.goto(f"/jobs/{waiting.pk}/")  # a job page listening
    other = page.context.new_page()
    other.goto("/jobs/")  # a second History
    history = page.context.new_page()
    frames = {}  # change id -> when History's socket received it (epoch ms)

    def on_frame(payload):
        message = json.loads(payload)
        for change in message.get("changes", []):
            frames.setdefault(change["change"], time.time() * 1000)

    history.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    history.goto("/jobs/")
    for tab in (page, other, history):
        tab.wait_for_function("document.documentElement.dataset.live === 'connected'")
    rows = history.locator("#jobs tr[data-job]").count()
    print(f"  History: {rows} rows shown, 3 pages open", flush=True)
    history.evaluate(OBSERVE_HISTORY)
    jobs = []
    for number in range(count):
        job, _ = create_job(workspace, watched, args={"history": str(number)})
        jobs.append(job)
        history.wait_for_function(
            f"(window.rowSeen['{job.pk}'] || {{}}).OK !== undefined", timeout=30_000
        )
        time.sleep(0.3)  # some quiet between jobs, as when operators start them
    return jobs, history.evaluate("window.rowSeen"), frames


def report_history(jobs, seen, frames):
    from jobs.models import Change

    new_rows, changes, skipped, to_socket = [], [], 0, []
    for job in jobs:
        shown = seen.get(str(job.pk), {})
        firsts = {}
        for change in Change.objects.filter(job_id=job.pk).order_by("id"):
            at = change.at.astimezone(UTC).timestamp() * 1000
            firsts.setdefault(change.status, at)
            if change.id in frames:
                to_socket.append(frames[change.id] - at)
        new_rows.append(shown["new"] - firsts["QUEUED"])
        for status, at in firsts.items():
            if status == "QUEUED":
                continue
            if status in shown:
                changes.append(shown[status] - at)
            else:
                skipped += 1
    print(
        f"  History, of which change written -> History's socket message (ms): median "
        f"{statistics.median(to_socket):.0f}, p95 {percentile(to_socket, 0.95):.0f}"
    )
    print(
        f"  History, new row (job created -> row shown, ms): median "
        f"{statistics.median(new_rows):.0f}, p95 {percentile(new_rows, 0.95):.0f}, "
        f"max {max(new_rows):.0f} ({len(new_rows)} jobs)"
    )
    print(
        f"  History, status change (change committed -> row shows it, ms): median "
        f"{statistics.median(changes):.0f}, p95 {percentile(changes, 0.95):.0f}, "
        f"max {max(changes):.0f} ({len(changes)} changes; {skipped} overtaken by the next)"
    )


def main():
    arguments = parse_arguments()
    folder = None
    if not os.environ.get("DATABASE_URL"):
        folder = tempfile.TemporaryDirectory(prefix="live-bench-")
        os.environ["SQLITE_PATH"] = str(Path(folder.name) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    os.environ.setdefault("CONSOLE_LOG_FORMAT", "text")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from console.models import Membership, Workspace
    from jobs.models import Change, Intent
    from jobs.services import create_job
    from workflows.services import create_workflow

    call_command("migrate", verbosity=0)
    tag = uuid.uuid4().hex[:8]
    password = uuid.uuid4().hex
    user = get_user_model().objects.create_user(f"bench-{tag}", password=password)
    workspace = Workspace.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.OWNER)
    steps = [
        {"id": f"s{n:03d}", "provider": "delay.wait", "config": {"seconds": arguments.wait}}
        for n in range(arguments.steps)
    ]
    workflow, _ = create_workflow(
        workspace, {"name": "Many short waits", "schema": "bill/invoice", "steps": steps}
    )
    mode = "Redis pushes" if os.environ.get("REDIS_URL") else "embedded relay (polling)"
    print(f"live delay, {arguments.steps} steps, {connection.vendor}, {mode}", flush=True)

    port = free_port()
    logs = (Path(folder.name if folder else tempfile.gettempdir()) / f"live-{tag}.log").open("w")
    web = subprocess.Popen(
        [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "console.asgi:application"],
        cwd=ROOT,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [str(BIN / "python"), "manage.py", "jobworker", "--tick", "0.05"],
        cwd=ROOT,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    # Playwright's sync API marks this thread as running an event loop; the ORM calls
    # here are plain blocking ones (as in tests/browser/conftest.py).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        wait_for_port(port, web)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_context(base_url=f"http://127.0.0.1:{port}").new_page()
            frames = {}  # change id -> when its message reached the browser (epoch ms)

            def on_frame(payload):
                message = json.loads(payload)
                for change in message.get("changes", []):
                    frames.setdefault(change["change"], time.time() * 1000)

            page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
            page.goto("/login/")
            page.get_by_label("Username").fill(user.username)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login/" not in url)

            settings.JOBS_WAKE_WORKERS = False  # queued, not yet running: open its page first
            job, _ = create_job(workspace, workflow, args={"bench": tag})
            page.goto(f"/jobs/{job.pk}/")
            page.wait_for_function("document.documentElement.dataset.live === 'connected'")
            page.evaluate(OBSERVE)
            from jobs import tasks

            started = time.monotonic()
            tasks.wake_workers()
            page.wait_for_function(
                f"Object.keys(window.shownAt).length >= {arguments.steps}",
                timeout=arguments.steps * 5000,
            )
            shown = page.evaluate("window.shownAt")
            elapsed = time.monotonic() - started
            history = (
                watch_history(browser, page, workspace, arguments.history_jobs)
                if arguments.history_jobs
                else None
            )
            browser.close()

        finished = {
            intent.step_id: intent.finished_at.astimezone(UTC).timestamp() * 1000
            for intent in Intent.objects.filter(job=job)
        }
        delays = [shown[step] - finished[step] for step in finished if step in shown]
        committed = {
            change.id: change.at.astimezone(UTC).timestamp() * 1000
            for change in Change.objects.filter(job_id=job.pk)
        }
        to_socket = [frames[i] - committed[i] for i in committed if i in frames]
        print(f"  {len(delays)} steps in {elapsed:.1f} s; load average {os.getloadavg()}")
        print(
            f"  of which change written -> socket message (ms): median "
            f"{statistics.median(to_socket):.0f}, p95 {percentile(to_socket, 0.95):.0f}"
        )
        print(
            f"  delay step finished -> DOM (ms): median {statistics.median(delays):.0f}, "
            f"p95 {percentile(delays, 0.95):.0f}, max {max(delays):.0f}, "
            f"min {min(delays):.0f}"
        )
        if history:
            report_history(*history)
    finally:
        for process in (worker, web):
            process.terminate()
        for process in (worker, web):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        logs.close()
        if folder is None:
            from jobs.models import Job

            Job.objects.filter(workspace=workspace).delete()
            workflow.delete()
            workspace.delete()
            user.delete()
        else:
            connection.close()
            folder.cleanup()


if __name__ == "__main__":
    main()
