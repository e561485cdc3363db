import uuid

from django.conf import settings
from django.db import models

from console.models import WorkspaceOwned


class Workflow(WorkspaceOwned):
    """A named definition; its content lives in immutable versions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    schema = models.CharField(max_length=64)
    current_version = models.PositiveIntegerField(default=0)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["workspace", "archived", "name"], name="workflow_list")]

    def __str__(self):
        return self.name

    def current(self):
        return self.versions.get(number=self.current_version)


class WorkflowVersion(WorkspaceOwned):
    # A UUID, never reused, because engines cache parsed versions by id.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # The canonical JSON (definition.Workflow.export()) without id and version.
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="one_version_number")
        ]

    def __str__(self):
        return f"{self.workflow} v{self.number}"

    def document(self):
        """The workflow JSON of this version, as exported."""
        return {"id": str(self.workflow_id), "version": self.number, **self.definition}


class Draft(WorkspaceOwned):
    """One user's unsaved edits of a workflow: kept across reloads, published by Save.

    ``base_version`` is the version the edits started from, so publishing over someone
    else's newer save is a conflict. The undo and redo stacks are DraftEdit rows, so an
    edit reads and writes one definition, not the whole history; the depths let the
    toolbar know what it can offer without loading them.
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField()
    base_version = models.PositiveIntegerField()
    undo_depth = models.PositiveIntegerField(default=0)
    redo_depth = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workflow", "user"], name="one_draft_per_user")
        ]

    def __str__(self):
        return f"{self.user}'s draft of {self.workflow}"


class DraftEdit(models.Model):
    """A definition on a draft's undo or redo stack; the highest position is the top."""

    class Stack(models.TextChoices):
        UNDO = "undo", "Undo"
        REDO = "redo", "Redo"

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="edits")
    stack = models.CharField(max_length=4, choices=Stack.choices)
    position = models.PositiveIntegerField()
    data = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["draft", "stack", "position"], name="draft_stack")]

    def __str__(self):
        return f"{self.stack} #{self.position} of {self.draft}"
