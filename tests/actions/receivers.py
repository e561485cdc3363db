"""Real receivers on loopback for the outbound actions' tests.

``HttpReceiver`` answers each request with the next scripted response (status,
headers, body), then 200, and keeps every request it got; ``SmtpReceiver`` is an
aiosmtpd server.
"""

import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
    makes it require AUTH with user ``mailer``. Every message it
    got, accepted or not, is kept parsed in ``messages``."""

    def __init__(self, *replies, password=None, refuse=None):
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
        self.port = free_port()
        self.controller = Controller(
            Handler(), hostname="127.0.0.1", port=self.port, auth_require_tls=False, **extra
        )

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
