"""How fast is the silo list with many entries?

    .venv/bin/python bench/silo_list.py [--entries 100000] [--requests 20] [--explain]

Fills a workspace with entries made from the GOBL examples (each with its own code,
supplier name and tax ID), then times the list view through Django's test client,
logged in, as the server sees it: the first page, a supplier-name search, a tax-ID
search (one match: the worst case, every row is looked at), a state filter and the
second page through the cursor. Prints the median and 95th percentile per request.

Runs on a throwaway SQLite file unless ``DATABASE_URL`` or ``SQLITE_PATH`` is set;
on a configured database its workspace is removed again at the end. For PostgreSQL:
``.venv/bin/python -m tests.services -- .venv/bin/python bench/silo_list.py``.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATES = ["completed"] * 70 + ["sent"] * 15 + ["draft"] * 10 + ["error"] * 4 + ["void"]
SUPPLIER_NAMES = [
    f"{first} {second} {form}"
    for first in ("Northwind", "Contoso", "Initech", "Umbrella", "Globex")
    for second in ("Logistics", "Foods", "Software", "Textiles", "Energy")
    for form in ("S.L.", "GmbH", "SAS", "Ltd", "S.p.A.", "B.V.", "AB", "Oy")
]  # 200 names: a name search matches one entry in 200


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per case")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    return parser.parse_args()


def use_throwaway_database():
    if os.environ.get("DATABASE_URL") or os.environ.get("SQLITE_PATH"):
        return None
    folder = tempfile.TemporaryDirectory(prefix="silo-bench-")
    os.environ["SQLITE_PATH"] = str(Path(folder.name) / "bench.sqlite3")
    return folder


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def invoice_templates():
    import json

    from silo import documents

    folder = ROOT.parent / "shared" / "data" / "gobl"
    if not folder.is_dir():
        folder = ROOT / "shared" / "data" / "gobl"
    templates = []
    for path in sorted(folder.glob("*.json")):
        doc = json.loads(path.read_text())
        if documents.schema_of(doc) == "bill/invoice":
            templates.append(doc)
    return templates


def make_entries(workspace, count):
    """Insert ``count`` invoices, each a GOBL example with its own code, supplier name
    and supplier tax ID, with the indexed columns filled as ``create_entry`` fills them.

    Rows go in through ``executemany`` (``COPY`` on PostgreSQL), each document being
    its example's JSON with the varying values spliced in: the ORM's per-field
    preparation and a ``json.dumps`` per row would take most of the run. Entries are
    one second apart, the newest last.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from silo.models import Entry
    from silo.services import SEARCH_TEXT_LENGTH

    ops = connection.ops
    fields = Entry._meta.concrete_fields
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    columns = ", ".join(ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = ops.quote_name(Entry._meta.db_table)
    # Only the model's own table and column names are spliced in; values are parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608

    def db_uuid(value):
        return value if connection.features.has_native_uuid_field else value.hex

    def insert(cursor, rows):
        if connection.vendor != "postgresql":
            cursor.executemany(sql, rows)
            return
        # COPY is several times faster than INSERTs on PostgreSQL.
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)

    templates = [invoice_template(doc) for doc in invoice_templates()]
    start = timezone.now() - timedelta(seconds=count)
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        for number in range(count):
            text, indexed, country = templates[number % len(templates)]
            code, name = f"{number:07d}", SUPPLIER_NAMES[number % len(SUPPLIER_NAMES)]
            tax_code = f"B{number:08d}"
            doc = (
                text.replace('"@@CODE@@"', f'"{code}"')
                .replace('"@@NAME@@"', f'"{name}"')
                .replace('"@@TAX@@"', f'"{tax_code}"')
            )
            tax_ids = f"{country}{tax_code} {indexed['tax_ids']}".strip()
            search_text = f"bench-{code} {name} {indexed['customer_name']} {tax_ids}".lower()
            created_at = ops.adapt_datetimefield_value(start + timedelta(seconds=number))
            row = {
                **defaults,
                **indexed,
                "id": db_uuid(uuid.uuid4()),
                "workspace_id": db_uuid(workspace.pk),
                "schema": "bill/invoice",
                "doc": doc,
                "state": STATES[number % len(STATES)],
                "created_at": created_at,
                "updated_at": created_at,
                "code": f"BENCH-{code}",
                "supplier_name": name,
                "tax_ids": tax_ids,
                "search_text": search_text[:SEARCH_TEXT_LENGTH],
            }
            rows.append([row[field.attname] for field in fields])
            if len(rows) == 5000:
                insert(cursor, rows)
                rows = []
        if rows:
            insert(cursor, rows)


def invoice_template(envelope):
    """``(json text with @@CODE@@, @@NAME@@, @@TAX@@ to fill, its summary, country)``."""
    import json

    from silo import documents

    inner = envelope["doc"]
    country = (inner["supplier"].get("tax_id") or {}).get("country") or "ES"
    supplier = {**inner["supplier"], "name": "@@NAME@@"}
    supplier["tax_id"] = {"country": country, "code": "@@TAX@@"}
    doc = {**envelope, "doc": {**inner, "series": "BENCH", "code": "@@CODE@@"}}
    doc["doc"]["supplier"] = supplier
    indexed = documents.summary(envelope)
    indexed["tax_ids"] = documents.party_tax_id(inner.get("customer"))
    return json.dumps(doc, ensure_ascii=False), indexed, country


def timed(client, url, params, requests):
    client.get(url, params)  # warm up
    durations = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, params)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return durations, response.content.decode().count("data-entry="), response


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def explain(workspace, params):
    from silo import selectors
    from silo.models import Entry

    entries = selectors.search_entries(
        Entry.objects.in_workspace(workspace),
        query=params.get("q", ""),
        schema=params.get("schema", ""),
        state=params.get("state", ""),
    )
    return selectors.page_query(entries, params.get("cursor")).explain()


def main():
    arguments = parse_arguments()
    throwaway = use_throwaway_database()
    setup_django()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from console.models import Membership, Workspace

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()

    tag = uuid.uuid4().hex[:8]
    user = get_user_model().objects.create_user(f"bench-{tag}", password=uuid.uuid4().hex)
    workspace = Workspace.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    Membership.objects.create(user=user, workspace=workspace)
    try:
        if throwaway is not None:
            # Nothing to protect in a throwaway file: skip the write-ahead log and the
            # syncs while filling it, then go back to the settings' WAL for the timing.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=MEMORY")
                cursor.execute("PRAGMA synchronous=OFF")
        make_entries(workspace, arguments.entries)
        if throwaway is not None:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        filled = time.perf_counter()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE silo_entry")

        client = Client()
        client.force_login(user)
        url = reverse("silo:list")
        older = re.search(r"cursor=([\w-]+)", client.get(url).content.decode())
        target = arguments.entries // 2
        cases = [
            ("first page", {}),
            ("supplier name search", {"q": "Initech Energy"}),
            ("tax ID search (1 match)", {"q": f"B{target:08d}"}),
            ("state filter (error)", {"state": "error"}),
            ("second page (cursor)", {"cursor": older.group(1) if older else ""}),
        ]
        print(
            f"silo list, {arguments.entries:,} entries on {connection.vendor}; "
            f"{arguments.requests} requests per case (ms)"
        )
        print(f"  setup: migrate {migrated - started:.1f} s, insert {filled - migrated:.1f} s")
        print(f"  {'case':<26} {'median':>8} {'p95':>8} {'rows':>6}")
        for name, params in cases:
            durations, rows, _ = timed(client, url, params, arguments.requests)
            median, p95 = statistics.median(durations), percentile(durations, 0.95)
            print(f"  {name:<26} {median:>8.1f} {p95:>8.1f} {rows:>6}")
            if arguments.explain:
                print("    " + explain(workspace, params).replace("\n", "\n    "))
        print(f"  total {time.perf_counter() - started:.1f} s")
    finally:
        if throwaway is None:  # a configured database: leave it as it was
            workspace.delete()
            user.delete()
        else:
            connection.close()
            throwaway.cleanup()


if __name__ == "__main__":
    main()
