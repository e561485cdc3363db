"""``email.send``: an email through Django's email framework, with chosen attachments.

It goes out through the workspace's SMTP server when its settings name one, else
through Django's configured backend (``EMAIL_*`` settings). The ``Message-ID`` is
made from the step's idempotency key, so every attempt of a step sends the same one
and a receiver can recognise a repeat. SMTP 4xx and connection failures are
transient (retried); 5xx is ``KO`` with the SMTP code.
"""

import fnmatch
import re
import smtplib
import socket
from email.utils import getaddresses, parseaddr

from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage
from django.core.validators import validate_email
from pydantic import Field

from console import secrets
from console.workspace_settings import smtp_connection
from silo import documents
from workflows import outbound
from workflows.actions.base import Action, ActionConfig, Outcome, TryLater, unanswered
from workflows.actions.registry import register

TITLES = {"bill/invoice": "Invoice", "bill/payment": "Payment", "bill/order": "Order"}


class EmailConfig(ActionConfig):
    to: str = Field(
        "",
        description="Recipients, comma-separated; may be templates. Left out: the "
        "customer's email addresses in the document",
    )
    cc: str = ""
    bcc: str = ""
    reply_to: str = ""
    subject: str = Field("", description="Empty: the document's type, code and supplier")
    body: str = Field("", description="Plain text; may use templates: {{ doc.code }}")
    attachments: list[str] = Field(
        default_factory=list,
        description="Names of the entry's attachments to attach; patterns like *.pdf work",
    )


def message_id(idempotency_key, sender):
    """``<job.step@domain>``: the same for every attempt of the step."""
    local = re.sub(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]", ".", idempotency_key.replace(":", "."))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{local}@{domain}>"


def addresses(text):
    return [address for _, address in getaddresses([text.replace(";", ",")]) if address]


def customer_addresses(doc):
    customer = documents.body(doc).get("customer") or {}
    emails = customer.get("emails") if isinstance(customer, dict) else None
    return [e["addr"] for e in emails or [] if isinstance(e, dict) and e.get("addr")]


@register
class SendEmail(Action):
    id = "email.send"
    name = "Send email"
    group = "Delivery"
    description = (
        "Sends an email with chosen attachments through the workspace's SMTP server "
        "(or the console's). Recipients, subject and text may be templates."
    )
    codes = (
        "no_recipient",
        "invalid_recipient",
        "missing_attachment",
        "blocked_address",
        "partially_refused",
        "550",
        "554",
    )
    max_attempts = 5
    backoff_s = 30.0
    timeout_s = 30
    Config = EmailConfig

    def run(self, context):
        config = context.config
        entry = context.entry
        doc = entry.doc if entry else {}
        # Only a step that names no recipients at all mails the customer: a To template
        # that renders empty is "no recipient", not a silent change of addressee.
        configured = "to" in context.step.config
        to = addresses(config.to) if configured else customer_addresses(doc)
        cc, bcc, reply_to = addresses(config.cc), addresses(config.bcc), addresses(config.reply_to)
        if not to and not cc and not bcc:
            return Outcome.ko("no_recipient", "No recipient: the To, Cc and Bcc lists are empty.")
        for address in to + cc + bcc + reply_to:
            try:
                validate_email(address)
            except ValidationError:
                return Outcome.ko("invalid_recipient", f"{address!r} is not an email address.")
        files, missing = attachments_of(entry, config.attachments)
        if missing:
            return Outcome.ko(
                "missing_attachment", f"The entry has no attachment matching {missing!r}."
            )
        try:
            connection, sender = smtp_connection(context.workspace)
        except secrets.SecretError as error:
            return Outcome.ko("missing_secret", f"SMTP password: {error}")
        except outbound.OutboundError as error:
            return unanswered(error)
        message = EmailMessage(
            subject=config.subject or default_subject(entry),
            body=config.body or default_body(entry),
            from_email=sender,
            to=to,
            cc=cc,
            bcc=bcc,
            reply_to=reply_to,
            headers={"Message-ID": message_id(context.idempotency_key, sender)},
            connection=connection,
        )
        for attachment in files:
            with attachment.file.open("rb") as handle:
                message.attach(attachment.name, handle.read(), attachment.mime)
        try:
            message.send()
        except BadHeaderError:
            return Outcome.ko("invalid_header", "The subject or an address has a line break.")
        except smtplib.SMTPRecipientsRefused as error:
            return refused(error.recipients)
        except smtplib.SMTPResponseException as error:
            return smtp_failure(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:  # connection lost, refused, timed out
            code = "timeout" if isinstance(error, socket.timeout | TimeoutError) else "network"
            reason = type(error).__name__
            raise TryLater(code, f"The SMTP server could not be reached: {reason}") from None
        names = ", ".join(a.name for a in files)
        refused_now = getattr(connection, "refused", None) or {}
        accepted = [a for a in to + cc if a not in refused_now]
        sent = f"Sent to {', '.join(accepted) or 'Bcc recipients'}" + (
            f" with {names}" if names else ""
        )
        if refused_now:  # not retried: the others already have it
            listed = ", ".join(f"{a} ({code})" for a, (code, _) in refused_now.items())
            return Outcome.ok("partially_refused", f"{sent}; refused: {listed}")
        return Outcome.ok(message=sent)


def attachments_of(entry, patterns):
    """The entry's attachments matching ``patterns``, and the first pattern matching none."""
    if not patterns:
        return [], None
    available = list(entry.attachments.order_by("created_at")) if entry else []
    chosen = []
    for pattern in patterns:
        matches = [a for a in available if fnmatch.fnmatch(a.name, pattern)]
        if not matches:
            return [], pattern
        chosen.extend(a for a in matches if a not in chosen)
    return chosen, None


def smtp_failure(code, text):
    reply = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    message = f"The SMTP server answered {code} {reply}".strip()[:400]
    if 400 <= code < 500:
        raise TryLater(str(code), message)
    return Outcome.ko(str(code), message)


def refused(recipients):
    """All recipients refused: transient if any refusal was a 4xx, else KO."""
    codes = sorted(code for code, _ in recipients.values())
    transient = [c for c in codes if 400 <= c < 500]
    listed = ", ".join(f"{address} ({code})" for address, (code, _) in recipients.items())
    if transient:
        raise TryLater(str(transient[0]), f"Recipients deferred: {listed}")
    return Outcome.ko(str(codes[-1]), f"Recipients refused: {listed}")


def default_subject(entry):
    if entry is None:
        return "Message from the workflow console"
    title = TITLES.get(entry.schema, "Document")
    supplier = f" from {entry.supplier_name}" if entry.supplier_name else ""
    return f"{title} {entry.code}{supplier}".replace("  ", " ")


def default_body(entry):
    if entry is None:
        return "This message was sent by a workflow.\n"
    lines = [f"{default_subject(entry)}."]
    if entry.total:
        lines.append(f"Total: {entry.total} {entry.currency}".rstrip())
    return "\n".join(lines) + "\n"
