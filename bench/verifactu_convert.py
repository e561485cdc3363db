"""VERI*FACTU conversion speed: GOBL invoices become chained, fingerprinted records.

    .venv/bin/python bench/verifactu_convert.py [--records 2000]

Pure CPU, no database: each record is built from one of the real GOBL examples (with
its own number), chained to the one before, fingerprinted and checked against the
AEAT's schemas, as ``verifactu.send`` does before anything is stored. Also times a full
1,000-record submission: building the SOAP request and validating it whole (what the
local AEAT does with every request it receives).
"""

import argparse
import copy
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

from workflows.agencies.aeat import schemas, verifactu  # noqa: E402

EXAMPLES = ROOT / "tests" / "agencies" / "gobl"


def documents(count):
    sources = [
        json.loads(path.read_text())
        for path in sorted(EXAMPLES.glob("*verifactu*.json"))
        if "no-preceding" not in path.name
    ]
    for number in range(count):
        doc = copy.deepcopy(sources[number % len(sources)])
        doc["doc"]["code"] = f"B{number:06d}"
        yield doc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    options = parser.parse_args()
    software = verifactu.Software()
    moment = datetime(2024, 11, 26, 5, tzinfo=ZoneInfo("Europe/Madrid"))
    schemas.schema()  # compiled once per process; not part of the per-record figure
    docs = list(documents(options.records))

    started = time.perf_counter()
    records, previous = [], None
    for doc in docs:
        record = verifactu.registration(
            doc, previous=previous, generated_at=moment, software=software
        )
        records.append(record)
        previous = record.as_previous()
    elapsed = time.perf_counter() - started
    print(
        f"registration (convert + chain + fingerprint + schema check): "
        f"{len(records) / elapsed:,.0f} records/s ({elapsed * 1000 / len(records):.2f} ms each)"
    )

    started = time.perf_counter()
    for record in records:
        schemas.validate(record.xml)
    check = time.perf_counter() - started
    print(f"  of which the schema check alone: {check * 1000 / len(records):.2f} ms per record")

    started = time.perf_counter()
    for record in records:
        verifactu.fingerprint(record.xml)
    elapsed = time.perf_counter() - started
    print(f"fingerprint recomputed from a record's XML: {len(records) / elapsed:,.0f} records/s")

    batch = records[:1000]
    started = time.perf_counter()
    request = verifactu.submission(batch, issuer=batch[0].issuer, issuer_name="Provide One S.L.")
    built = time.perf_counter() - started
    started = time.perf_counter()
    problems = schemas.validate(request)
    validated = time.perf_counter() - started
    if problems:
        raise SystemExit(f"the request does not validate: {problems[:3]}")
    print(
        f"submission of {len(batch)} records: built in {built * 1000:.1f} ms "
        f"({len(request) / 1e6:.1f} MB), validated whole in {validated * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
