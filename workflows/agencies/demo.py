"""The demo workspace's VERI*FACTU: its AEAT settings point at the local test AEAT.

``make run`` starts the local test AEAT (``manage.py local_aeat``) beside the console and
sets ``AEAT_LOCAL_URL``/``AEAT_LOCAL_CA``; ``demo_setup`` then calls
``use_local_aeat``, which makes the issuer of the demo's Spanish invoices the
workspace's issuer, chooses the "Local test AEAT" environment and stores a client
certificate the local AEAT's CA issued for it. A newcomer can then run "Spain:
VERI*FACTU" on a demo invoice and see the AEAT's answer, the chain and the QR.
"""

from pathlib import Path

from django.conf import settings

from workflows.agencies.aeat import credentials
from workflows.agencies.aeat.local_server import LocalAEAT

# The supplier of the GOBL examples with es-verifactu extensions that load_gobl loads.
ISSUER = "B98602642"
ISSUER_NAME = "Provide One S.L."
PASSWORD = "local-aeat"  # noqa: S105 - a test certificate of a local test CA


def use_local_aeat(workspace):
    """Point ``workspace`` at the local test AEAT; returns False when there is none
    (``AEAT_LOCAL_URL`` unset) or it already is (idempotent)."""
    if not settings.AEAT_LOCAL_URL or not settings.AEAT_LOCAL_CA:
        return False
    current = credentials.settings_of(workspace)
    if current.environment == "local" and current.issuer_nif and current.has_certificate:
        return False
    aeat = LocalAEAT(Path(settings.AEAT_LOCAL_CA).parent)  # its CA, made on first use
    try:
        p12 = aeat.client_p12(ISSUER, ISSUER_NAME, password=PASSWORD)
    finally:
        aeat.stop()  # never started: this only closes its store
    current.issuer_nif, current.issuer_name = ISSUER, ISSUER_NAME
    current.environment = "local"
    current.save()
    credentials.store_certificate(workspace, p12, PASSWORD)
    return True
