"""The SSRF guard: which addresses are refused, that the connection goes to the address
that was checked while the Host header and the TLS name stay the host's, and how
Retry-After is read."""

import datetime
import ipaddress
import socket
import ssl
import threading
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.actions.receivers import HttpReceiver, certificate
from workflows import outbound


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(address):
    assert not outbound.permitted(ipaddress.ip_address(address))
    url = httpx.URL(f"http://[{address}]/" if ":" in address else f"http://{address}/")
    with pytest.raises(outbound.Refused, match="private"):
        outbound.checked_address(url)
    assert outbound.checked_address(url, allow_private=True)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(address):
    assert outbound.permitted(ipaddress.ip_address(address))


def test_a_name_resolving_to_loopback_is_refused_before_any_connection():
    with HttpReceiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1]
        with pytest.raises(outbound.Refused) as refused:
            outbound.request("GET", f"http://localhost:{port}/secret?token=abc")
    assert receiver.requests == []
    assert refused.value.code == "blocked_address"
    assert "token" not in str(refused.value)


def test_allowed_networks_open_exactly_those_addresses(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert outbound.permitted(ipaddress.ip_address("127.0.0.1"))
    assert not outbound.permitted(ipaddress.ip_address("127.0.0.2"))


def test_the_connection_goes_to_the_checked_address_with_the_hosts_name(settings, monkeypatch):
    """A name is resolved once, here; the request carries the name in its Host header."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    real = socket.getaddrinfo
    asked = []

    def resolve(host, *args, **kwargs):
        asked.append(host)
        if host == "hooks.example.test":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with HttpReceiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1]
        response = outbound.request("GET", f"http://hooks.example.test:{port}/x")

    assert response.status == 200 and response.host == "hooks.example.test"
    assert receiver.requests[0].headers["Host"] == f"hooks.example.test:{port}"
    # The name is looked up once, by the guard; the connection only "resolves" the IP.
    assert [host for host in asked if host != "127.0.0.1"] == ["hooks.example.test"]


def test_https_checks_the_certificate_against_the_host_name(settings, monkeypatch, tmp_path):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    files = certificate(tmp_path, "hooks.example.test")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files / "cert.pem", files / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    trusting = ssl.create_default_context(cafile=str(files / "ca.pem"))
    monkeypatch.setattr(outbound, "_tls", lambda: trusting)
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        name = "127.0.0.1" if host.endswith(".example.test") else host
        return real(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    try:
        ok = outbound.request("GET", f"https://hooks.example.test:{port}/")
        with pytest.raises(outbound.OutboundError) as wrong_name:
            outbound.request("GET", f"https://other.example.test:{port}/")
    finally:
        server.shutdown()
        server.server_close()

    assert ok.status == 204
    assert wrong_name.value.code == "network"


def test_redirects_are_followed_and_too_many_are_an_error(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    loop = [(302, {"Location": "/again"}, "")] * 6
    with HttpReceiver((303, {"Location": "/final"}, ""), (200, {}, "done")) as receiver:
        response = outbound.request("POST", receiver.url + "/start", content=b"{}")
    assert response.body == b"done"
    assert [(r.method, r.path) for r in receiver.requests] == [
        ("POST", "/start"),
        ("GET", "/final"),
    ]
    with HttpReceiver(*loop) as receiver, pytest.raises(outbound.OutboundError) as error:
        outbound.request("GET", receiver.url)
    assert error.value.code == "too_many_redirects"


def test_a_body_over_the_limit_is_refused(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with (
        HttpReceiver((200, {}, "x" * 5000)) as receiver,
        pytest.raises(outbound.OutboundError) as error,
    ):
        outbound.request("GET", receiver.url, max_bytes=1000)
    assert error.value.code == "too_large"


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "not a url", ""])
def test_only_http_urls(url):
    with pytest.raises(outbound.OutboundError) as error:
        outbound.request("GET", url)
    assert error.value.code == "invalid_url"


def test_retry_after_in_seconds_or_as_a_date():
    assert outbound.parse_retry_after("120") == 120
    assert outbound.parse_retry_after("99999999") == outbound.MAX_RETRY_AFTER_S
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=90)
    assert 80 < outbound.parse_retry_after(format_datetime(later, usegmt=True)) <= 90
    assert outbound.parse_retry_after("soon") is None
    assert outbound.parse_retry_after(None) is None


def test_a_bad_allowed_network_is_named(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/8", "intranet"]
    with pytest.raises(ImproperlyConfigured, match="'intranet' is not a network"):
        outbound.permitted(ipaddress.ip_address("10.1.1.1"))
