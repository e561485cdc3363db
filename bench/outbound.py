"""What do secrets, the SSRF guard, webhook.post and email.send cost per call?

    .venv/bin/python bench/outbound.py                 # SQLite in a temporary folder
    .venv/bin/python -m tests.services -- .venv/bin/python bench/outbound.py

Against real receivers on loopback (an HTTP server, an aiosmtpd server), it prints the
median and p95 of: revealing a secret (a query and a Fernet decryption); one POST
through ``workflows.outbound`` (resolve, check, pinned connection) next to the same
POST with a bare ``httpx.Client``; a whole one-step ``webhook.post`` job (signing,
the request, recording the outcome); a whole one-step ``email.send`` job with a PDF
attachment. Every job must end OK, or the bench fails.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup():
    folder = None
    if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
        folder = tempfile.TemporaryDirectory(prefix="outbound-bench-")
        os.environ["SQLITE_PATH"] = str(Path(folder.name) / "bench.sqlite3")
        os.environ["CONSOLE_MEDIA_ROOT"] = str(Path(folder.name) / "media")
    os.environ["CONSOLE_OUTBOUND_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return folder


def timed(label, count, action):
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    p95 = durations[max(0, int(len(durations) * 0.95) - 1)]
    print(f"{label:<44} median {statistics.median(durations):8.2f} ms   p95 {p95:8.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100)
    arguments = parser.parse_args()
    folder = setup()

    import httpx

    from console import secrets
    from console.models import Workspace
    from console.workspace_settings import update_settings
    from jobs import engine
    from jobs.services import create_job
    from silo.services import add_attachment, create_entry
    from tests.actions.receivers import HttpReceiver, SmtpReceiver
    from tests.conftest import load_gobl
    from workflows import outbound
    from workflows.services import create_workflow

    workspace = Workspace.objects.create(name=f"Outbound bench {time.time_ns()}")
    secrets.set_secret(workspace, "hooks", "whsec_YmVuY2gtc2lnbmluZy1rZXktMzItYnl0ZXM=")
    entry = create_entry(workspace, load_gobl("es-invoice-es-es-freelance.json"))[0]
    add_attachment(entry, "invoice.pdf", b"%PDF-1.4\n" + b"0" * 50_000, source="bench")
    calls = arguments.calls
    print(f"{calls} calls each, database: {os.environ.get('DATABASE_URL', 'SQLite')[:10]}")

    timed("secrets.reveal", calls, lambda: secrets.reveal(workspace, "hooks"))

    def job_of(step):
        workflow, _ = create_workflow(
            workspace, {"name": step["provider"], "schema": "bill/invoice", "steps": [step]}
        )

        def run():
            job, _ = create_job(workspace, workflow, entry=entry)
            done = engine.run_in_process(job)
            if done.status != "OK":
                raise SystemExit(f"{step['provider']} ended {done.status}: {done.faults}")

        return run

    with HttpReceiver() as receiver:
        body = b'{"type": "bench"}'
        with httpx.Client() as client:
            timed(
                "POST, bare httpx.Client (kept alive)",
                calls,
                lambda: client.post(receiver.url, content=body),
            )
        timed(
            "POST through workflows.outbound (guarded)",
            calls,
            lambda: outbound.request("POST", receiver.url, content=body),
        )
        hook = {
            "id": "hook",
            "provider": "webhook.post",
            "config": {"url": receiver.url, "secret": "hooks"},
        }
        timed("webhook.post job, one step, signed", calls, job_of(hook))

    with SmtpReceiver() as server:
        update_settings(
            workspace, smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none"
        )
        mail = {
            "id": "mail",
            "provider": "email.send",
            "config": {"to": "a@example.com", "attachments": ["*.pdf"]},
        }
        timed("email.send job, one step, 50 kB PDF", max(10, calls // 4), job_of(mail))
        if not server.messages:
            raise SystemExit("the SMTP server received nothing")

    if folder:
        folder.cleanup()


if __name__ == "__main__":
    main()
