import uuid

from django.conf import settings
from django.db import models

from console.models import WorkspaceOwned


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROCESSING = "processing", "Processing"
    REGISTERED = "registered", "Registered"
    SENT = "sent", "Sent"
    COMPLETED = "completed", "Completed"
    ERROR = "error", "Error"
    VOID = "void", "Void"


class Entry(WorkspaceOwned):
    """One stored document. ``version`` guards every write (see ``silo.services``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(max_length=200, null=True, blank=True)
    schema = models.CharField(max_length=64)
    doc = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    meta = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    # Taken from the document on every save, for the list and its search.
    code = models.CharField(max_length=200, blank=True)
    supplier_name = models.CharField(max_length=300, blank=True)
    customer_name = models.CharField(max_length=300, blank=True)
    tax_ids = models.CharField(max_length=200, blank=True)
    total = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=8, blank=True)
    issue_date = models.CharField(max_length=20, blank=True)
    search_text = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "entries"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key"],
                condition=models.Q(key__isnull=False),
                name="entry_key_unique_per_workspace",
            )
        ]
        indexes = [
            # search_text rides along so that SQLite can test a search against the
            # index alone, reading the (large) row only for the entries it shows.
            models.Index(
                fields=["workspace", "-created_at", "-id", "search_text"], name="entry_newest"
            ),
            models.Index(fields=["workspace", "schema", "-created_at", "-id"], name="entry_schema"),
            models.Index(fields=["workspace", "state", "-created_at", "-id"], name="entry_state"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        if self.code:
            return self.code
        return self.supplier_name or self.key or str(self.id)[:8]


def attachment_path(attachment, filename):
    return (
        f"attachments/{attachment.workspace_id}/{attachment.entry_id}/{uuid.uuid4().hex}/{filename}"
    )


class Attachment(WorkspaceOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    mime = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=attachment_path, max_length=500)
    # The step that made it ("<job id>:<step id>"), so a rerun replaces its own file.
    source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return self.name

    @property
    def is_pdf(self):
        return self.mime == "application/pdf"


class Activity(WorkspaceOwned):
    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATE = "state", "State changed"
        EDIT = "edit", "Edited"
        ATTACHMENT = "attachment", "Attachment"
        JOB = "job", "Job"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="activity")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "activity"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.message


class Revision(WorkspaceOwned):
    """The document as it was before a change; ``number`` is the entry's version then."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    doc = models.JSONField()
    # Who replaced this document, and when.
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="revision_number_unique")
        ]

    def __str__(self):
        return f"Revision {self.number}"


class Sequence(WorkspaceOwned):
    """A numbered series (``sequence.assign``). ``next_value`` is taken under a row lock
    in the same transaction that writes the code, so numbers have no gaps."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=50, blank=True)
    padding = models.PositiveSmallIntegerField(default=4)
    yearly_reset = models.BooleanField(default=False)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    next_value = models.PositiveBigIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="sequence_name_unique")
        ]

    def __str__(self):
        return self.name
