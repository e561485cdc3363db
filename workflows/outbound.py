"""Every HTTP call a workflow makes to the outside goes through ``request`` here.

It is the SSRF guard: the host is resolved here, each address checked, and the
connection made to that checked address (the Host header and TLS name stay the
host's), so a name cannot resolve to a public address for the check and a private
one for the connection. Private, loopback, link-local and other non-global addresses
are refused unless the workspace allows them, or the address is in the
``OUTBOUND_ALLOWED_NETWORKS`` setting (the test suite allows its loopback receiver
that way). Redirects are followed here, hop by hop, each hop checked the same way.
Errors name the host, never the path or query, which may carry tokens.
"""

import functools
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pydantic_core import PydanticCustomError

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
MAX_RETRY_AFTER_S = 3600
USER_AGENT = "workflow-console"


class OutboundError(Exception):
    """The call did not give a response. ``transient`` ones are worth trying again."""

    transient = False

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class Refused(OutboundError):
    def __init__(self, message):
        super().__init__("blocked_address", message)


class Transient(OutboundError):
    transient = True


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str  # the last hop's URL, as asked for (not the address connected to)

    @property
    def host(self):
        return httpx.URL(self.url).host

    @property
    def retry_after(self):
        return parse_retry_after(self.headers.get("retry-after"))


def request(
    method,
    url,
    *,
    allow_private=False,
    headers=None,
    content=None,
    timeout=10.0,
    max_bytes=10 * 1024 * 1024,
    client_certificate=None,
    trust=None,
):
    """Send one request, following redirects; returns a ``Response`` or raises
    ``OutboundError``. ``timeout`` bounds the whole call, redirects included.

    ``client_certificate`` (a ``workflows.agencies.aeat.certificates.ClientCertificate``
    or anything with its ``load_into(ssl_context)``) is presented to servers that ask
    for one (the AEAT authenticates submissions that way); a server that refuses it
    ends the call with ``certificate_refused``, which waiting does not fix. ``trust`` is
    a CA file the operator configured for a server whose certificate is not from a
    public CA (the local AEAT): only that CA is trusted for the call."""
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": USER_AGENT, **(headers or {})}
    target = _parse(url)
    tls = (
        _tls()
        if client_certificate is None and trust is None
        else _client_tls(client_certificate, trust)
    )
    with httpx.Client(verify=tls, trust_env=False, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            response = _send(
                client, method, target, headers, content, deadline, max_bytes, allow_private
            )
            location = response.headers.get("location")
            if response.status not in REDIRECTS or not location:
                return response
            following = _parse(str(target.join(location)))
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, content = "GET", None
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            if _origin(following) != _origin(target):
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            target = following
    raise OutboundError(
        "too_many_redirects", f"{target.host} redirected more than {MAX_REDIRECTS} times."
    )


@functools.cache
def _tls():
    """One TLS context for every call: loading the CA bundle costs tens of milliseconds."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


@functools.lru_cache(maxsize=32)
def _client_tls(client_certificate, trust):
    """A TLS context with a client certificate and/or another trust anchor. Kept per
    (certificate, CA file): building one reads a CA bundle and a key, and every call of
    a batch or a census lookup uses the same pair."""
    if trust:
        context = ssl.create_default_context(cafile=str(trust))
    else:
        import certifi

        context = ssl.create_default_context(cafile=certifi.where())
    if client_certificate is not None:
        client_certificate.load_into(context)
    return context


def _parse(url):
    try:
        target = httpx.URL(str(url).strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise OutboundError("invalid_url", "The URL is not valid.") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise OutboundError("invalid_url", "The URL must be an http:// or https:// address.")
    return target


def check_url_field(value):
    """For config models: a plain URL must be http(s); a template is checked at run time."""
    text = value.strip()
    if "{{" not in text and not text.lower().startswith(("http://", "https://")):
        raise PydanticCustomError(
            "invalid_url", "expected an http:// or https:// URL (or a template)"
        )
    return text


def _origin(url):
    return (url.scheme, url.host, url.port)


def _send(client, method, target, headers, content, deadline, max_bytes, allow_private):
    address = checked_address(target, allow_private)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Transient("timeout", f"{target.host} did not answer in time.")
    pinned = target.copy_with(host=address)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    built = client.build_request(
        method,
        pinned,
        headers={**headers, "Host": _host_header(target)},
        content=content,
        timeout=httpx.Timeout(remaining),
        extensions=extensions,
    )
    try:
        response = client.send(built, stream=True)
        try:
            body = _read(response, max_bytes, deadline, target)
        finally:
            response.close()
    except httpx.TimeoutException:
        raise Transient("timeout", f"{target.host} did not answer in time.") from None
    except httpx.TransportError as error:
        refused = _certificate_refused(error)
        if refused:
            raise OutboundError(
                "certificate_refused", f"{target.host} refused the client certificate ({refused})."
            ) from None
        reason = type(error).__name__
        raise Transient("network", f"Could not reach {target.host}: {reason}.") from None
    return Response(response.status_code, response.headers, body, str(target))


# TLS alerts a server sends about the certificate the client presented (or did not).
CLIENT_CERTIFICATE_ALERTS = (
    "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "SSLV3_ALERT_CERTIFICATE_REVOKED",
    "TLSV1_ALERT_UNKNOWN_CA",
    "TLSV1_ALERT_ACCESS_DENIED",
)


def _certificate_refused(error):
    """The alert's name when the server refused our client certificate, else ""."""
    seen = error
    while seen is not None:
        text = str(seen).upper()
        for alert in CLIENT_CERTIFICATE_ALERTS:
            if alert in text:
                return alert.split("ALERT_", 1)[1].lower().replace("_", " ")
        seen = seen.__cause__ or seen.__context__
    return ""


def _read(response, max_bytes, deadline, target):
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise OutboundError("too_large", f"{target.host} sent more than {max_bytes} bytes.")
        if time.monotonic() > deadline:
            raise Transient("timeout", f"{target.host} did not finish answering in time.")
        chunks.append(chunk)
    return b"".join(chunks)


def _host_header(target):
    default = {"http": 80, "https": 443}[target.scheme]
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port in (None, default) else f"{host}:{target.port}"


def checked_address(target, allow_private=False):
    """The first address of ``target``'s host this call may connect to; raises Refused."""
    port = target.port or {"http": 80, "https": 443}[target.scheme]
    return checked_host(target.host, port, allow_private)


def checked_host(host, port, allow_private=False):
    """The first address of ``host`` that may be reached; raises Refused (or Transient
    when the name does not resolve). Also guards a workspace's own SMTP server."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Transient("dns", f"The name {host} could not be resolved.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    for address in addresses:
        if allow_private or permitted(address):
            return str(address)
    raise Refused(
        f"{host} is a private, loopback or link-local address ({addresses[0]}); "
        "this workspace does not allow calls to private networks."
    )


# IPv6 forms that carry an IPv4 address and, through a translator or relay (or the
# host's own stack), reach it: what is judged is that IPv4 address.
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated "::a.b.c.d"

# IANA special-purpose ranges that are not globally reachable but that Python 3.11's
# ``is_global`` lets through (or may, in other patch releases).
SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",  # IETF protocol assignments (3.11 counts some as global)
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # the former 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "240.0.0.0/4",  # reserved, and the limited broadcast
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): its layout is the operator's
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo's own relays among them)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # segment routing (SRv6) SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # the former site-local
    )
)


def _carried_ipv4(address):
    """The IPv4 addresses an IPv6 address leads to (mapped, compatible, NAT64, 6to4,
    Teredo's server and client), or ``[]`` for a plain address."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    if address in IPV4_COMPATIBLE or address in NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour:
        return [address.sixtofour]
    if address.teredo:
        return list(address.teredo)
    return []


def permitted(address):
    """Whether an address may be called without the workspace's private-network opt-in.

    An IPv6 form that carries an IPv4 address is judged by that address (a NAT64
    ``64:ff9b::a9fe:a9fe`` is the metadata service 169.254.169.254 on a NAT64
    network); the IANA special-purpose ranges are refused even where ``is_global``
    says otherwise."""
    if any(address in network for network in allowed_networks()):
        return True
    carried = _carried_ipv4(address)
    if carried:
        return all(permitted(ipv4) for ipv4 in carried)
    if any(address in network for network in SPECIAL_PURPOSE if network.version == address.version):
        return False
    return address.is_global and not address.is_multicast


def allowed_networks():
    networks = []
    for text in getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", ()):
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"OUTBOUND_ALLOWED_NETWORKS: {text!r} is not a network like 10.0.0.0/8"
            ) from None
    return networks


def parse_retry_after(value):
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), capped; or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_S))
