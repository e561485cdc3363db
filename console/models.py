import uuid

from django.conf import settings
from django.db import models
from django.utils.text import slugify


class Workspace(models.Model):
    """A tenant: every workflow, entry, job, token and secret belongs to one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="workspaces"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:100] or uuid.uuid4().hex[:12]
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A person in a workspace, with a role (SPEC section 2): an owner does everything,
    members, settings, secrets and tokens included; an editor changes workflows, runs
    jobs and edits entries; a viewer reads everything and changes nothing."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        EDITOR = "editor", "Editor"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most every few minutes by the pages (console.workspaces), for the
    # members list's "last activity".
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_membership_per_user")
        ]

    def __str__(self):
        return f"{self.user} in {self.workspace}"

    def allows(self, role):
        """Whether this membership's role is ``role`` or above it."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


ROLE_RANK = {Membership.Role.VIEWER: 0, Membership.Role.EDITOR: 1, Membership.Role.OWNER: 2}


class WorkspaceQuerySet(models.QuerySet):
    def in_workspace(self, workspace):
        return self.filter(workspace=workspace)


class WorkspaceOwned(models.Model):
    """Base of every product model: it carries its workspace, and the only way views
    reach it is ``Model.objects.in_workspace(...)`` (see ``console.workspaces``)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        abstract = True


class Secret(WorkspaceOwned):
    """A named secret (a webhook signing key, an SMTP password), encrypted at rest.

    Workflow config names a secret; only ``console.secrets.reveal`` ever decrypts it,
    at the moment an action needs it. The value is never shown, exported or logged.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    ciphertext = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="one_secret_per_name")
        ]

    def __str__(self):
        return self.name


class WorkspaceSettings(models.Model):
    """How a workspace reaches the outside: private addresses, and its own SMTP server.

    Empty SMTP fields fall back to Django's global ``EMAIL_*`` settings.
    """

    class Security(models.TextChoices):
        STARTTLS = "starttls", "STARTTLS"
        SSL = "ssl", "SSL/TLS"
        NONE = "none", "None (plain text)"

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, primary_key=True, related_name="settings"
    )
    allow_private_network = models.BooleanField(
        default=False,
        help_text="Let webhooks and fetches reach private, loopback and link-local addresses.",
    )
    smtp_host = models.CharField(max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(null=True, blank=True)
    smtp_username = models.CharField(max_length=255, blank=True)
    smtp_password_secret = models.CharField(max_length=100, blank=True)
    smtp_from = models.CharField(max_length=255, blank=True)
    smtp_security = models.CharField(
        max_length=16, choices=Security.choices, default=Security.STARTTLS
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Settings of {self.workspace}"


class Invitation(models.Model):
    """An owner's invitation to join a workspace with a role, sent as a signed link that
    expires (``console.members``). Used once: accepting it makes the membership."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(
        max_length=16, choices=Membership.Role.choices, default=Membership.Role.EDITOR
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} to {self.workspace}"
