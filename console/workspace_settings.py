"""A workspace's settings for reaching the outside: read them, change them, and build
the SMTP connection ``email.send`` uses (the workspace's server, else Django's)."""

import smtplib

from django.conf import settings as django_settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend

from console import secrets
from console.models import WorkspaceSettings
from workflows import outbound

SMTP_TIMEOUT_S = 20  # below email.send's timeout_s, so a hung server is a transient failure


class RecordingEmailBackend(EmailBackend):
    """Django's SMTP backend, keeping ``refused``: the recipients the server refused
    while it accepted the message for the others (Django drops that answer).

    Given ``address`` (what the outbound guard checked), it connects there and not to
    whatever the host name resolves to a moment later; TLS still verifies the name.
    """

    refused: dict = {}

    def __init__(self, *args, address=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address

    @property
    def connection_class(self):
        backend, base = self, super().connection_class

        class Recording(base):
            def _get_socket(self, host, port, timeout):
                # smtplib's TLS (SMTP_SSL here, starttls later) names self._host, the host.
                return super()._get_socket(backend.address or host, port, timeout)

            def sendmail(self, *args, **kwargs):
                backend.refused = super().sendmail(*args, **kwargs) or {}
                return backend.refused

        return Recording


def settings_of(workspace):
    """The workspace's settings; defaults (unsaved) when it never changed them."""
    found = WorkspaceSettings.objects.filter(workspace=workspace).first()
    return found or WorkspaceSettings(workspace=workspace)


def update_settings(workspace, **values):
    allowed = {field.name for field in WorkspaceSettings._meta.fields} - {"workspace", "updated_at"}
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
    current = settings_of(workspace)
    for name, value in values.items():
        setattr(current, name, value)
    current.full_clean()
    current.save()
    return current


def allows_private_network(workspace):
    found = WorkspaceSettings.objects.filter(workspace=workspace, allow_private_network=True)
    return found.exists()


def smtp_connection(workspace):
    """``(connection, from_address)``: the workspace's SMTP server when it has a host,
    else Django's email backend; the workspace's from address in both cases, else
    ``DEFAULT_FROM_EMAIL``. Raises SecretError when the password secret is gone, and
    ``outbound.OutboundError`` when the host is private and the workspace does not
    allow that, or does not resolve."""
    current = settings_of(workspace)
    sender = current.smtp_from or django_settings.DEFAULT_FROM_EMAIL
    if not current.smtp_host:
        timeout = django_settings.EMAIL_TIMEOUT or SMTP_TIMEOUT_S
        return get_connection(timeout=timeout), sender
    security = current.smtp_security
    default_port = {"ssl": 465, "starttls": 587}.get(security, 25)
    port = current.smtp_port or default_port
    # A workspace's own server is an outbound address like a webhook's: the same guard.
    address = outbound.checked_host(current.smtp_host, port, current.allow_private_network)
    password = ""
    if current.smtp_password_secret:
        password = secrets.reveal(workspace, current.smtp_password_secret)
    connection = get_connection(
        "console.workspace_settings.RecordingEmailBackend",
        host=current.smtp_host,
        address=address,
        port=port,
        # "" and not None: None would borrow the global EMAIL_HOST_USER/PASSWORD.
        username=current.smtp_username,
        password=password,
        use_tls=security == WorkspaceSettings.Security.STARTTLS,
        use_ssl=security == WorkspaceSettings.Security.SSL,
        timeout=SMTP_TIMEOUT_S,
        fail_silently=False,
    )
    return connection, sender


def send_test_email(workspace, to):
    """Send a short email through the workspace's settings; returns ``(sent, message)``
    for the settings page. Failures are described, never raised."""
    try:
        connection, sender = smtp_connection(workspace)
        EmailMessage(
            subject="Test email from the workflow console",
            body=f"The SMTP settings of {workspace.name} work.\n",
            from_email=sender,
            to=[to],
            connection=connection,
        ).send()
    except secrets.SecretError as error:
        return False, f"SMTP password: {error}"
    except outbound.OutboundError as error:
        return False, error.message
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()))
        return False, f"The server refused {to}: {code} {_text(reply)}"
    except smtplib.SMTPResponseException as error:
        return False, f"The server answered {error.smtp_code} {_text(error.smtp_error)}"
    except (smtplib.SMTPException, OSError) as error:
        return False, f"Could not reach the SMTP server: {type(error).__name__}"
    return True, f"Sent a test email to {to} from {sender}."


def _text(reply):
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
