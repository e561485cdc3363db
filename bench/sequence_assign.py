"""How many codes per second can sequence.assign hand out from one series, and what does
contention cost?

    .venv/bin/python -m tests.services -- .venv/bin/python bench/sequence_assign.py
    .venv/bin/python bench/sequence_assign.py            # SQLite: one thread only

Each code is taken under the series' row lock and written into the entry's document
(with the replaced document kept as a revision) in one transaction, so every writer of
a series waits for the one before it: throughput is bounded by one commit at a time.
Threads assign codes to their own entries from one shared series, then from one series
each (no contention), and the run checks the shared series has no gap or duplicate.
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


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", type=int, default=200, help="codes per case")
    parser.add_argument("--threads", default="1,16")
    return parser.parse_args()


def setup():
    folder = None
    if not os.environ.get("DATABASE_URL") and not os.environ.get("SQLITE_PATH"):
        folder = tempfile.TemporaryDirectory(prefix="sequence-bench-")
        os.environ["SQLITE_PATH"] = str(Path(folder.name) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return folder


def uncoded_invoice():
    import json

    from tests.conftest import GOBL_DIR

    doc = json.loads((GOBL_DIR / "es-invoice-es-es-freelance.json").read_text())
    del doc["doc"]["code"]
    return doc


def run_case(workspace, doc, codes, threads, shared):
    from django.db import connection

    from silo.models import Entry
    from silo.sequences import assign_code
    from silo.services import create_entry

    entries = [create_entry(workspace, doc)[0] for _ in range(codes)]
    chunks = [entries[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def work(index, chunk):
        try:
            start.wait()
            for entry in chunk:
                assign_code(entry, "shared" if shared else f"own-{threads}-{index}", padding=6)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(chunks)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    assigned = sorted(
        Entry.objects.filter(pk__in=[e.pk for e in entries]).values_list("code", flat=True)
    )
    return elapsed, assigned


def main():
    arguments = parse_arguments()
    folder = setup()
    from django.db import connection

    from console.models import Workspace

    postgres = connection.vendor == "postgresql"
    thread_counts = [int(n) for n in arguments.threads.split(",")] if postgres else [1]
    print(f"database: {connection.vendor}; {arguments.codes} codes per case")
    workspace = Workspace.objects.create(name="sequence bench")
    doc = uncoded_invoice()
    taken = 0
    try:
        for threads in thread_counts:
            for shared in (True, False):
                elapsed, codes = run_case(workspace, doc, arguments.codes, threads, shared)
                rate, each = len(codes) / elapsed, elapsed * 1000 / len(codes)
                series = "one series" if shared else "own series"
                line = f"threads={threads:>3} {series}  {rate:6.0f} codes/s ({each:.2f} ms each)"
                if shared:
                    expected = [f"{n:06d}" for n in range(taken + 1, taken + len(codes) + 1)]
                    line += "  gap-free, unique: " + ("yes" if codes == expected else "NO")
                    taken += len(codes)
                print(line)
    finally:
        workspace.delete()
        if folder:
            folder.cleanup()


if __name__ == "__main__":
    main()
