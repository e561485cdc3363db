"""email.send: a real SMTP server (aiosmtpd) on loopback receives the email with its
attachment; a 4xx is retried with the same Message-ID, a 5xx ends KO with the SMTP
code, and no recipient is KO no_recipient."""

import json
import socket
import ssl

import pytest
from django.core import mail

from console import secrets
from console.workspace_settings import RecordingEmailBackend, update_settings
from silo.services import add_attachment, create_entry
from tests.actions.receivers import SmtpReceiver, certificate, free_port
from tests.factories import load_gobl
from tests.jobs.flows import run_flow

PDF = b"%PDF-1.4\n% a tiny stand-in for the invoice's PDF\n"


pytestmark = pytest.mark.usefixtures("loopback_receivers")


@pytest.fixture
def workspace(alice):
    return alice.workspace


@pytest.fixture
def entry(workspace, invoice_doc):
    entry = create_entry(workspace, invoice_doc, key="inv-1")[0]
    add_attachment(entry, "SAMPLE-001.pdf", PDF, source="pdf.generate")
    add_attachment(entry, "notes.txt", b"internal", source="upload")
    return entry


def use_smtp(workspace, server, **extra):
    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "smtp_security": "none",
        "smtp_from": "Billing <billing@acme.test>",
        **extra,
    }
    update_settings(workspace, **values)


def send(**config):
    return {"id": "mail", "provider": "email.send", "config": config}


def events(job):
    return [(e.status, e.code) for e in job.intents.get(step_id="mail").events.order_by("index")]


def test_the_email_arrives_with_its_attachment_and_templated_text(workspace, entry):
    with SmtpReceiver() as server:
        use_smtp(workspace, server)
        job = run_flow(
            workspace,
            [
                send(
                    to="{{ args.to }}",
                    subject="Invoice {{ doc.code }}",
                    body="Dear customer, invoice {{ doc.code }} is attached.",
                    attachments=["*.pdf"],
                )
            ],
            entry=entry,
            args={"to": "customer@example.com"},
        )

    assert job.status == "OK", job.faults
    [(recipients, message)] = server.messages
    assert recipients == ["customer@example.com"]
    assert message["Subject"] == "Invoice SAMPLE-001"
    assert message["From"] == "Billing <billing@acme.test>"
    assert message["Message-ID"] == f"<{job.id}.mail@acme.test>"
    assert "invoice SAMPLE-001 is attached" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "SAMPLE-001.pdf"
    assert attachment.get_content() == PDF
    assert "SAMPLE-001.pdf" in job.intents.get().events.get().message


def test_a_4xx_is_retried_with_the_same_message_id(workspace, entry):
    with SmtpReceiver("451 4.3.0 Mailbox busy, try again") as server:
        use_smtp(workspace, server)
        job = run_flow(workspace, [send(to="a@example.com")], entry=entry)

    assert job.status == "OK"
    assert events(job) == [("RETRY", "451"), ("OK", "")]
    first, second = (message for _, message in server.messages)
    assert first["Message-ID"] == second["Message-ID"] == f"<{job.id}.mail@acme.test>"


def test_a_5xx_is_ko_with_the_smtp_code(workspace, entry):
    with SmtpReceiver("554 5.7.1 Rejected as spam") as server:
        use_smtp(workspace, server)
        job = run_flow(workspace, [send(to="a@example.com")], entry=entry)

    assert job.status == "KO"
    assert events(job) == [("KO", "554")]
    assert "Rejected as spam" in job.faults[0]["message"]
    assert len(server.messages) == 1


def test_refused_recipients_a_5xx_is_ko_a_4xx_is_retried(workspace, entry):
    refuse = {"gone@example.com": "550 5.1.1 No such user", "full@example.com": "452 4.2.2 Full"}
    with SmtpReceiver(refuse=refuse) as server:
        use_smtp(workspace, server)
        gone = run_flow(workspace, [send(to="gone@example.com")], entry=entry)
        step = {**send(to="full@example.com"), "retry": {"max_attempts": 2, "backoff_s": 0}}
        full = run_flow(workspace, [step], entry=entry)

    assert events(gone) == [("KO", "550")]
    assert "gone@example.com (550)" in gone.faults[0]["message"]
    assert events(full) == [("RETRY", "452"), ("KO", "452")]
    assert server.messages == []


def test_a_partly_refused_list_is_ok_partially_refused_and_not_sent_again(workspace, entry):
    with SmtpReceiver(refuse={"gone@example.com": "550 5.1.1 No such user"}) as server:
        use_smtp(workspace, server)
        job = run_flow(workspace, [send(to="a@example.com, gone@example.com")], entry=entry)

    assert events(job) == [("OK", "partially_refused")]
    message = job.intents.get().events.get().message
    assert "Sent to a@example.com" in message and "refused: gone@example.com (550)" in message
    [(recipients, _)] = server.messages
    assert recipients == ["a@example.com"]


def test_no_recipient_is_ko_no_recipient(workspace, entry):
    with SmtpReceiver() as server:
        use_smtp(workspace, server)
        defaulted = run_flow(workspace, [send()], entry=entry)  # this customer has no email
        templated = run_flow(workspace, [send(to="{{ args.missing }}")], entry=entry)

    assert events(defaulted) == [("KO", "no_recipient")]
    assert events(templated) == [("KO", "no_recipient")]
    assert server.messages == []


def test_left_out_recipients_default_to_the_customers_email(workspace):
    entry = create_entry(workspace, load_gobl("ae-invoice-ae-ae-stnr.json"))[0]
    with SmtpReceiver() as server:
        use_smtp(workspace, server)
        job = run_flow(workspace, [send()], entry=entry)

    assert job.status == "OK"
    [(recipients, message)] = server.messages
    assert recipients == ["email@sample.ae"]
    assert message["Subject"].startswith(f"Invoice {entry.code}")


def test_a_missing_attachment_is_ko_and_nothing_is_sent(workspace, entry):
    with SmtpReceiver() as server:
        use_smtp(workspace, server)
        job = run_flow(workspace, [send(to="a@example.com", attachments=["*.xml"])], entry=entry)

    assert events(job) == [("KO", "missing_attachment")]
    assert server.messages == []


def test_an_unreachable_server_is_transient_then_ko(workspace, entry):
    update_settings(workspace, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_security="none")
    step = {**send(to="a@example.com"), "retry": {"max_attempts": 2, "backoff_s": 0}}
    job = run_flow(workspace, [step], entry=entry)

    assert events(job) == [("RETRY", "network"), ("KO", "network")]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_password_comes_from_a_secret_and_stays_secret(workspace, entry):
    password = "s3cret-smtp-pass"
    secrets.set_secret(workspace, "smtp", password)
    with SmtpReceiver(password=password) as server:
        use_smtp(workspace, server, smtp_username="mailer", smtp_password_secret="smtp")
        sent = run_flow(workspace, [send(to="a@example.com")], entry=entry)
        secrets.set_secret(workspace, "smtp", "a wrong one")
        refused = run_flow(workspace, [send(to="a@example.com")], entry=entry)

    assert sent.status == "OK"
    assert len(server.messages) == 1
    assert events(refused) == [("KO", "535")]
    everything = json.dumps(
        [e.message for e in refused.intents.get().events.all()] + refused.faults
    )
    assert password not in everything and "a wrong one" not in everything


def test_a_private_smtp_host_needs_the_workspace_to_allow_it(settings, workspace, entry):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with SmtpReceiver() as server:
        use_smtp(workspace, server)
        refused = run_flow(workspace, [send(to="a@example.com")], entry=entry)
        update_settings(workspace, allow_private_network=True)
        allowed = run_flow(workspace, [send(to="a@example.com")], entry=entry)

    assert events(refused) == [("KO", "blocked_address")]
    assert events(allowed) == [("OK", "")]
    assert len(server.messages) == 1


def test_the_smtp_host_is_reached_at_the_checked_address_and_tls_checks_its_name(
    workspace, entry, monkeypatch, tmp_path
):
    """The guard resolves the host once and the connection goes to that address, so a
    name that answers differently a moment later (DNS rebinding) gains nothing; the
    TLS certificate is still checked against the host's name."""
    files = certificate(tmp_path, "mail.example.test")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(files / "cert.pem", files / "key.pem")
    trusting = ssl.create_default_context(cafile=str(files / "ca.pem"))
    monkeypatch.setattr(RecordingEmailBackend, "ssl_context", trusting)
    real, looked_up = socket.getaddrinfo, []

    def resolve(host, *args, **kwargs):
        if not host.endswith(".example.test"):
            return real(host, *args, **kwargs)
        looked_up.append(host)
        if looked_up.count(host) > 1:  # a rebinding name: elsewhere the second time
            raise socket.gaierror(socket.EAI_NONAME, "moved")
        return real("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    step = {**send(to="a@example.com"), "retry": {"max_attempts": 1}}
    with SmtpReceiver(ssl_context=server_tls) as server:
        use_smtp(workspace, server, smtp_host="mail.example.test", smtp_security="ssl")
        sent = run_flow(workspace, [step], entry=entry)
        update_settings(workspace, smtp_host="other.example.test")
        wrong_name = run_flow(workspace, [step], entry=entry)

    assert events(sent) == [("OK", "")]
    assert len(server.messages) == 1
    assert looked_up == ["mail.example.test", "other.example.test"]
    assert events(wrong_name) == [("KO", "network")]


def test_a_missing_password_secret_is_ko(workspace, entry):
    update_settings(workspace, smtp_host="127.0.0.1", smtp_password_secret="gone")
    job = run_flow(workspace, [send(to="a@example.com")], entry=entry)
    assert events(job) == [("KO", "missing_secret")]


def test_without_workspace_smtp_the_global_email_backend_sends(workspace, entry):
    update_settings(workspace, smtp_from="Acme billing <billing@acme.test>")
    job = run_flow(
        workspace, [send(to="a@example.com", attachments=["SAMPLE-001.pdf"])], entry=entry
    )

    assert job.status == "OK"
    [message] = mail.outbox
    assert message.to == ["a@example.com"]
    assert message.from_email == "Acme billing <billing@acme.test>"
    assert message.extra_headers["Message-ID"] == f"<{job.id}.mail@acme.test>"
    assert message.attachments[0][0] == "SAMPLE-001.pdf"
