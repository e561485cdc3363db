"""VERI*FACTU: how fast records are chained, and how many invoices one issuer registers
per minute through the local AEAT with its default 60 s wait between submissions.

    .venv/bin/python -m tests.services -- .venv/bin/python bench/verifactu.py
    .venv/bin/python bench/verifactu.py            # SQLite: chaining with one thread only

1. Chaining: threads convert invoices (``RegistroAlta``, checked against the AEAT's
   schema) and append them to one issuer's chain, each under the chain's lock; the run
   checks the chain has no fork and no gap.
2. Registering: N invoices, one job each ("Send VERI*FACTU"), run by engine threads
   like a jobworker's, against the local AEAT over mutual TLS with its 60 s
   ``TiempoEsperaEnvio``. One request per invoice would register one invoice a minute;
   batching sends up to 1,000 records per request, so the figure is the batching's.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ISSUER = "B98602642"  # the supplier of the GOBL examples
NAME = "Provide One S.L."
PASSWORD = "bench"  # noqa: S105 - a certificate of a throwaway local CA


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500, help="records per chaining case")
    parser.add_argument("--threads", default="1,8", help="chaining threads (PostgreSQL)")
    parser.add_argument("--invoices", type=int, default=1500, help="invoices to register")
    parser.add_argument("--workers", type=int, default=4, help="engine threads")
    parser.add_argument("--wait", type=float, default=60, help="the AEAT's wait, seconds")
    return parser.parse_args()


def setup():
    folder = None
    if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
        folder = tempfile.TemporaryDirectory(prefix="verifactu-bench-")
        os.environ["SQLITE_PATH"] = str(Path(folder.name) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.JOBS_WAKE_WORKERS = False  # the engine threads below are the workers
    call_command("migrate", verbosity=0)
    return folder


def invoice(number):
    from tests.agencies.verifactu_samples import invoice as sample

    return sample(code=f"{number:06d}")


def chain_case(workspace, records, threads, first):
    """Append ``records`` records from ``threads`` threads; returns (seconds, whole)."""
    from django.db import connection

    from tests.agencies.verifactu_samples import SOFTWARE
    from workflows.agencies import chain
    from workflows.agencies.aeat import verifactu
    from workflows.agencies.models import Record

    found = chain.find_chain(workspace, ISSUER, NAME)
    docs = [invoice(first + n) for n in range(records)]
    chunks = [docs[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def build(doc):
        def made(head, at):
            previous = None
            if head is not None:
                previous = verifactu.Previous(
                    ISSUER, head.num_series, head.issue_date, head.fingerprint
                )
            return verifactu.registration(
                doc, previous=previous, generated_at=at, software=SOFTWARE
            )

        return made

    def work(chunk):
        try:
            start.wait()
            for doc in chunk:
                chain.append(found, build=build(doc), environment="local")
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    rows = list(
        Record.objects.filter(chain=found)
        .order_by("seq")
        .values_list("seq", "fingerprint", "previous_fingerprint")
    )
    whole = [r[0] for r in rows] == list(range(1, len(rows) + 1)) and all(
        after[2] == before[1] for before, after in zip(rows, rows[1:], strict=False)
    )
    return elapsed, whole


class EngineThread(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()

    def run(self):
        from django.db import connection

        from jobs import engine

        try:
            while not self.stopping.is_set():
                claimed = engine.claim()
                if claimed is None:
                    self.stopping.wait(0.05)
                else:
                    engine.run(*claimed)
        finally:
            connection.close()


def register_case(workspace, invoices, workers, wait):
    """Register ``invoices`` invoices, one job each; returns (seconds, submissions, ok)."""
    from django.conf import settings

    from jobs.models import Job, Status
    from jobs.services import create_job
    from silo.services import create_entry
    from workflows.agencies.aeat import credentials
    from workflows.agencies.aeat.local_server import LocalAEAT
    from workflows.agencies.models import Submission
    from workflows.services import create_workflow

    with LocalAEAT(wait_seconds=wait) as aeat:
        settings.AEAT_LOCAL_URL, settings.AEAT_LOCAL_CA = aeat.url, aeat.ca_file
        current = credentials.settings_of(workspace)
        current.issuer_nif, current.issuer_name, current.environment = ISSUER, NAME, "local"
        current.save()
        credentials.store_certificate(
            workspace, aeat.client_p12(ISSUER, NAME, password=PASSWORD), PASSWORD
        )
        workflow, _ = create_workflow(
            workspace,
            {
                "name": "Register",
                "schema": "bill/invoice",
                "steps": [{"id": "send", "provider": "verifactu.send", "config": {}}],
            },
        )
        entries = [create_entry(workspace, invoice(n))[0] for n in range(invoices)]
        threads = [EngineThread() for _ in range(workers)]
        began = time.perf_counter()
        for entry in entries:
            create_job(workspace, workflow, entry=entry)
        for thread in threads:
            thread.start()
        jobs = Job.objects.filter(workflow=workflow)
        while jobs.filter(status__in=(Status.QUEUED, Status.RUN, Status.WAIT)).exists():
            time.sleep(0.5)
        elapsed = time.perf_counter() - began
        for thread in threads:
            thread.stopping.set()
        for thread in threads:
            thread.join()
        ok = jobs.filter(status=Status.OK).count()
        sizes = list(
            Submission.objects.filter(chain__workspace=workspace)
            .order_by("created_at")
            .values_list("size", flat=True)
        )
        held = len(aeat.held(ISSUER))
    return elapsed, sizes, ok, held


def main():
    arguments = parse_arguments()
    folder = setup()
    from django.db import connection

    from console.models import Workspace

    postgres = connection.vendor == "postgresql"
    thread_counts = [int(n) for n in arguments.threads.split(",")] if postgres else [1]
    print(f"database: {connection.vendor}")
    try:
        first = 0
        for threads in thread_counts:
            workspace = Workspace.objects.create(name=f"chain bench {threads}")
            elapsed, whole = chain_case(workspace, arguments.records, threads, first)
            first += arguments.records
            rate = arguments.records / elapsed
            print(
                f"chaining  threads={threads:>2}  {rate:6.0f} records/s "
                f"({elapsed * 1000 / arguments.records:.2f} ms each)  "
                f"no fork, no gap: {'yes' if whole else 'NO'}"
            )
        workspace = Workspace.objects.create(name="register bench")
        elapsed, sizes, ok, held = register_case(
            workspace, arguments.invoices, arguments.workers, arguments.wait
        )
        print(
            f"registering  {arguments.invoices} invoices, one issuer, AEAT wait "
            f"{arguments.wait:g} s, {arguments.workers} engine threads: {elapsed:.1f} s, "
            f"{arguments.invoices / elapsed * 60:.0f} invoices/min "
            f"(one request per invoice: {60 / max(arguments.wait, 1):.0f}/min)"
        )
        print(f"  submissions (records each): {sizes}; jobs OK: {ok}; AEAT holds: {held}")
    finally:
        if folder:
            folder.cleanup()


if __name__ == "__main__":
    main()
