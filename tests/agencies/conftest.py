"""The local AEAT for these tests, and a workspace set up to use it as an owner would."""

import pytest

from workflows.agencies.aeat import credentials
from workflows.agencies.aeat.local_server import LocalAEAT

ISSUER = "B12345674"
ISSUER_NAME = "Acme Ibérica SL"
P12_PASSWORD = "p12 password"


@pytest.fixture
def aeat(settings):
    """A local AEAT on loopback without a wait between submissions (the wait test sets
    its own), named by the operator's settings as the ``local`` environment."""
    with LocalAEAT(wait_seconds=0) as server:
        settings.AEAT_LOCAL_URL = server.url
        settings.AEAT_LOCAL_CA = server.ca_file
        yield server


def configure(workspace, aeat, *, nif=ISSUER, name=ISSUER_NAME, p12=None):
    """What the owner does on Settings > AEAT: issuer, environment, certificate."""
    current = credentials.settings_of(workspace)
    current.issuer_nif, current.issuer_name, current.environment = nif, name, "local"
    current.save()
    p12 = p12 or aeat.client_p12(nif, name, password=P12_PASSWORD)
    credentials.store_certificate(workspace, p12, P12_PASSWORD)
    return credentials.for_workspace(workspace)
