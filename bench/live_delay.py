"""How long from a step finishing in a worker to the browser showing it?

    .venv/bin/python bench/live_delay.py [--steps 100]                 # embedded
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
            page = browser.new_page(base_url=f"http://127.0.0.1:{port}")
            frames = {}  # change id -> when its message reached the browser (epoch ms)

            def on_frame(payload):
                message = json.loads(payload)
                if "change" in message:
                    frames.setdefault(message["change"], time.time() * 1000)

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
