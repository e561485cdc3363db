"""Issue 12, finding 5: private addresses in disguise. IPv6 forms that carry an IPv4
address (NAT64, 6to4, Teredo, IPv4-compatible and -mapped) are judged by that IPv4
address, and the IANA special-purpose ranges that ``is_global`` lets through are
refused. A real listener (dual-stack, so ``::ffff:127.0.0.1`` would reach it) must
see no connection, and no connection is even attempted."""

import contextlib
import ipaddress
import socket
import threading

import pytest

from tests.jobs.flows import run_flow
from workflows import outbound

# Each form points at the loopback listener's IPv4 address or at the metadata service.
DISGUISED = {
    "NAT64 (64:ff9b::/96), loopback": "64:ff9b::7f00:1",
    "NAT64, metadata service": "64:ff9b::a9fe:a9fe",
    "local-use NAT64 (64:ff9b:1::/48)": "64:ff9b:1::a9fe:a9fe",
    "6to4 (2002::/16), loopback": "2002:7f00:1::1",
    "6to4, private": "2002:a00:1::1",
    "Teredo with a private client": "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    "IPv4-compatible, loopback": "::7f00:1",
    "IPv4-compatible, metadata service": "::a9fe:a9fe",
    "IPv4-mapped, loopback": "::ffff:127.0.0.1",
    "IPv4-mapped, metadata service": "::ffff:169.254.169.254",
}
SPECIAL_PURPOSE = ["192.0.0.9", "192.0.0.10", "192.88.99.1", "fec0::1", "5f00::1", "3fff::1"]


class Listener:
    """A TCP listener on every local address (IPv6 and IPv4) that counts connections."""

    def __init__(self):
        self.socket = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        self.socket.bind(("::", 0))
        self.socket.listen()
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.socket.accept()
                self.connections += 1
                connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.socket.close()


@pytest.fixture
def attempts(monkeypatch):
    """Every connection httpx tries to open (the real call is still made)."""
    seen = []
    real = socket.create_connection

    def spy(address, *args, **kwargs):
        seen.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    return seen


def test_the_listener_hears_a_mapped_address_when_the_guard_lets_it(settings, attempts):
    """The listener is real: let the loopback through and the disguise reaches it."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    # It answers nothing, so the call ends without a response.
    with Listener() as listener, pytest.raises(outbound.OutboundError):
        outbound.request("GET", f"http://[::ffff:127.0.0.1]:{listener.port}/", timeout=2)
    assert listener.connections == 1


@pytest.mark.parametrize("address", DISGUISED.values(), ids=DISGUISED.keys())
def test_a_disguised_private_address_is_refused_without_a_connection(address, attempts):
    assert not outbound.permitted(ipaddress.ip_address(address))
    with Listener() as listener, pytest.raises(outbound.Refused) as refused:
        outbound.request("GET", f"http://[{address}]:{listener.port}/latest/meta-data")
    assert refused.value.code == "blocked_address"
    assert listener.connections == 0
    assert attempts == []


@pytest.mark.parametrize("address", SPECIAL_PURPOSE)
def test_special_purpose_ranges_are_refused(address, attempts):
    assert not outbound.permitted(ipaddress.ip_address(address))
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    with pytest.raises(outbound.Refused):
        outbound.request("GET", url)
    assert attempts == []


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "8.8.8.8", "2606:4700::1111"],
)
def test_a_disguise_of_a_public_address_is_public(address):
    assert outbound.permitted(ipaddress.ip_address(address))


def test_a_webhook_to_nat64_metadata_ends_ko_blocked_address(alice, attempts):
    step = {
        "id": "hook",
        "provider": "webhook.post",
        "config": {"url": "http://[64:ff9b::a9fe:a9fe]/latest/meta-data"},
    }

    job = run_flow(alice.workspace, [step])

    intent = job.intents.get(step_id="hook")
    assert (intent.status, intent.code) == ("KO", "blocked_address")
    assert attempts == []
