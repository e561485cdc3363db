from django.conf import settings
from django.db import models

from console.models import WorkspaceOwned


class ApiToken(WorkspaceOwned):
    """A bearer token of one workspace. Only its SHA-256 is stored: the token itself
    is shown once, when it is created (see ``console.api.tokens``)."""

    class Role(models.TextChoices):
        """What a token may do: it belongs to the workspace, not to a person, so it acts
        with the role chosen when it was made, whoever made it (docs/api.md)."""

        EDITOR = "editor", "Editor (read and write)"
        VIEWER = "viewer", "Viewer (read only)"

    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EDITOR)
    prefix = models.CharField(max_length=16)
    sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None
