"""``manage.py local_aeat``: run the local test AEAT (VERI*FACTU and the VNifV2 census)
on this machine, for the demo and for trying workflows without the real AEAT.

    manage.py local_aeat --port 8443 --state var/local_aeat
    manage.py local_aeat --state var/local_aeat --issue B12345674 "Acme SL" acme.p12

The state directory keeps its test CA, its server certificate and what it received
(SQLite), so a restart keeps each issuer's chain. Point the console at it with
``AEAT_LOCAL_URL`` and ``AEAT_LOCAL_CA`` (printed at start); workspaces then offer the
"Local test AEAT" environment. ``--issue`` writes a client certificate (PKCS#12) of
its CA for a NIF, to upload in Settings > AEAT, and exits. (``make run`` starts it and
``demo_setup`` points the Demo workspace at it: ``workflows/agencies/demo.py``.)
"""

import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workflows.agencies.aeat.local_server import LocalAEAT


class Command(BaseCommand):
    help = "Run the local test AEAT (HTTPS with client certificates) or issue a certificate."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on")
        parser.add_argument("--port", type=int, default=8443, help="Port (0: any free one)")
        parser.add_argument("--state", default="var/local_aeat", help="State directory")
        parser.add_argument(
            "--wait", type=float, default=60, help="TiempoEsperaEnvio in seconds (default 60)"
        )
        parser.add_argument(
            "--issue",
            nargs=3,
            metavar=("NIF", "NAME", "FILE"),
            help="Write a client certificate (PKCS#12) for NIF to FILE and exit",
        )
        parser.add_argument(
            "--password", default="local-aeat", help="The issued PKCS#12's password"
        )

    def handle(self, *args, **options):
        state = Path(options["state"])
        aeat = LocalAEAT(
            state, host=options["host"], port=options["port"], wait_seconds=options["wait"]
        )
        if options["issue"]:
            nif, name, target = options["issue"]
            Path(target).write_bytes(aeat.client_p12(nif, name, password=options["password"]))
            self.stdout.write(
                f"Wrote {target}: a certificate for {nif} ({name}), password "
                f"{options['password']!r}, issued by {aeat.ca_file}."
            )
            return
        try:
            aeat.start()
        except OSError as error:
            where = f"{options['host']}:{options['port']}"
            raise CommandError(f"Cannot listen on {where}: {error}") from None
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        self.stdout.write(
            f"Local test AEAT at {aeat.url} (TiempoEsperaEnvio {aeat.wait_seconds:g} s)\n"
            f"  AEAT_LOCAL_URL={aeat.url}\n"
            f"  AEAT_LOCAL_CA={Path(aeat.ca_file).resolve()}\n"
            f"  control: {aeat.url}/control/status (any client certificate of its CA)"
        )
        self.stdout.flush()
        stopped.wait()
        aeat.stop()
        self.stdout.write("Local test AEAT stopped.")
