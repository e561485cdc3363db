"""What does a call to the AEAT cost through the console's transport, against the
local test AEAT (mutual TLS on loopback)?

    .venv/bin/python bench/local_aeat.py [--calls 100] [--records 1000]

Prints the median and p95 of one census lookup (``census.check``: a new TLS connection
with the workspace's client certificate, the AEAT's schema check, the answer parsed),
and the time the local AEAT takes for one submission of ``--records`` chained records
(schema validation, each fingerprint recomputed, the chain checked, stored), end to
end through ``soap.call``. Every record must be accepted, or the bench fails. No
database: the credentials are built in memory.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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
    parser.add_argument("--records", type=int, default=1000)
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
    import django

    django.setup()
    from lxml import etree

    from tests.agencies import aeat_requests as build
    from workflows.agencies.aeat import census, certificates, soap
    from workflows.agencies.aeat.credentials import Credentials
    from workflows.agencies.aeat.local_server import SFR, LocalAEAT

    issuer = "B12345674"
    with LocalAEAT(wait_seconds=0) as aeat:
        certificate = certificates.load(aeat.client_p12(issuer, "Bench SL"), "local-aeat")
        caller = Credentials(
            "local", issuer, "Bench SL", certificate, aeat.verifactu_url, aeat.census_url,
            aeat.ca_file,
        )  # fmt: skip
        timed(
            "census lookup (mutual TLS, new connection)",
            arguments.calls,
            lambda: census.check(caller, issuer, "Bench SL"),
        )
        records, previous = [], None
        for number in range(arguments.records):
            xml, fingerprint = build.alta(issuer, f"B-{number:05d}", previous=previous)
            records.append(xml)
            previous = (f"B-{number:05d}", "13-09-2024", fingerprint)
        envelope = build.submission(issuer, "Bench SL", records)
        started = time.perf_counter()
        answer = etree.fromstring(
            soap.call(aeat.verifactu_url, envelope, credentials=caller, timeout=300)
        )
        elapsed = time.perf_counter() - started
        accepted = [
            line for line in answer.iter(f"{{{SFR}}}EstadoRegistro") if line.text == "Correcto"
        ]
        if len(accepted) != arguments.records:
            raise SystemExit(f"only {len(accepted)} of {arguments.records} records accepted")
        print(
            f"one submission of {arguments.records} records      {elapsed:8.2f} s"
            f"   ({arguments.records / elapsed:,.0f} records/s, {len(envelope) / 1e6:.1f} MB)"
        )


if __name__ == "__main__":
    main()
