"""A workspace's settings for reaching the outside: read them, change them, and build
the SMTP connection ``email.send`` uses (the workspace's server, else Django's)."""

from django.conf import settings as django_settings
from django.core.mail import get_connection

from console import secrets
from console.models import WorkspaceSettings

SMTP_TIMEOUT_S = 20  # below email.send's timeout_s, so a hung server is a transient failure


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
    ``DEFAULT_FROM_EMAIL``. Raises SecretError when the password secret is gone."""
    current = settings_of(workspace)
    sender = current.smtp_from or django_settings.DEFAULT_FROM_EMAIL
    if not current.smtp_host:
        timeout = django_settings.EMAIL_TIMEOUT or SMTP_TIMEOUT_S
        return get_connection(timeout=timeout), sender
    password = ""
    if current.smtp_password_secret:
        password = secrets.reveal(workspace, current.smtp_password_secret)
    security = current.smtp_security
    default_port = {"ssl": 465, "starttls": 587}.get(security, 25)
    connection = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=current.smtp_host,
        port=current.smtp_port or default_port,
        # "" and not None: None would borrow the global EMAIL_HOST_USER/PASSWORD.
        username=current.smtp_username,
        password=password,
        use_tls=security == WorkspaceSettings.Security.STARTTLS,
        use_ssl=security == WorkspaceSettings.Security.SSL,
        timeout=SMTP_TIMEOUT_S,
        fail_silently=False,
    )
    return connection, sender
