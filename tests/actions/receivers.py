"""Real receivers on loopback for the outbound actions' tests.

``HttpReceiver`` answers each request with the next scripted response (status,
headers, body), then 200, and keeps every request it got; ``SmtpReceiver`` is an
aiosmtpd server (plain, or TLS from the first byte); ``certificate`` makes a CA and a
server certificate for a name, to prove TLS checks the name and not the address.
"""

import datetime
import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes


class HttpReceiver:
    def __init__(self, *responses, host="127.0.0.1"):
        self.responses = list(responses)
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.requests.append(
                    Received(self.command, self.path, dict(self.headers.items()), body)
                )
                status, headers, content = (
                    receiver.responses.pop(0) if receiver.responses else (200, {}, b"ok")
                )
                if isinstance(content, str):
                    content = content.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def free_port(host="127.0.0.1"):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class SmtpReceiver:
    """An aiosmtpd server on loopback. ``replies`` script the answers to DATA (then
    ``250``); ``refuse`` maps recipients to the answer to their RCPT TO; ``password``
    makes it require AUTH with user ``mailer``; ``ssl_context`` (a server context)
    makes it speak TLS from the first byte (SMTPS). Every message it got, accepted or
    not, is kept parsed in ``messages``."""

    def __init__(self, *replies, password=None, refuse=None, ssl_context=None):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.replies = list(replies)
        self.messages = []
        self.logins = []
        receiver = self

        refusals = dict(refuse or {})  # recipient -> reply to its RCPT TO

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
                if address in refusals:
                    return refusals[address]
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
                receiver.messages.append((envelope.rcpt_tos, parsed))
                return receiver.replies.pop(0) if receiver.replies else "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            receiver.logins.append(auth_data.login.decode())
            ok = auth_data.login == b"mailer" and auth_data.password == password.encode()
            return AuthResult(success=ok, handled=False)

        extra = {"authenticator": authenticator, "auth_required": True} if password else {}
        if ssl_context is not None:
            extra["ssl_context"] = ssl_context
        self.port = free_port()
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, auth_require_tls=False, **extra
        )

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def certificate(directory, name):
    """Write ``ca.pem`` and, signed by it, ``cert.pem``/``key.pem`` for ``name``;
    returns ``directory``."""
    now = datetime.datetime.now(datetime.UTC)

    def build(subject, issuer, key, signer, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            names = x509.SubjectAlternativeName([x509.DNSName(name)])
            builder = builder.add_extension(names, critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("Test CA", "Test CA", ca_key, ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = build(name, "Test CA", key, ca_key, False)
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return directory
