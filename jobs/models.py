import uuid

from django.conf import settings
from django.db import models

from console.models import WorkspaceOwned


class Status(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUN = "RUN", "Running"
    WAIT = "WAIT", "Waiting"
    OK = "OK", "OK"
    KO = "KO", "KO"
    CANCEL = "CANCEL", "Cancelled"


ACTIVE = (Status.QUEUED, Status.RUN, Status.WAIT)


class Job(WorkspaceOwned):
    """One run of a pinned workflow version on an entry and/or arguments.

    The engine's own queue: ``due_at`` says when a QUEUED or WAIT job may run next,
    and a worker running it holds a lease (``lease_token`` until ``lease_until``); a
    RUN job whose lease ran out lost its worker and is resumed by another one.
    ``position`` is where the job is in its definition (see ``jobs.engine``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workflow = models.ForeignKey(
        "workflows.Workflow", on_delete=models.PROTECT, related_name="jobs"
    )
    version = models.ForeignKey(
        "workflows.WorkflowVersion", on_delete=models.PROTECT, related_name="jobs"
    )
    entry = models.ForeignKey(
        "silo.Entry", null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    key = models.CharField(max_length=200, null=True, blank=True)
    args = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    trigger = models.CharField(max_length=200, default="manual")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    due_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    recoveries = models.PositiveSmallIntegerField(default=0)

    position = models.JSONField(default=dict, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)  # attempts of the current step so far
    current_intent = models.ForeignKey(
        "Intent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    intent_count = models.PositiveIntegerField(default=0)
    faults = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key"],
                condition=models.Q(key__isnull=False),
                name="job_key_unique_per_workspace",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="job_newest"),
            # History's status and workflow filters walk these instead of job_newest.
            models.Index(
                fields=["workspace", "status", "-created_at", "-id"], name="job_newest_by_status"
            ),
            models.Index(fields=["workflow", "-created_at", "-id"], name="job_newest_by_workflow"),
            models.Index(
                fields=["due_at"], name="job_due", condition=models.Q(status__in=["QUEUED", "WAIT"])
            ),
            models.Index(
                fields=["lease_until"], name="job_lease", condition=models.Q(status="RUN")
            ),
        ]

    def __str__(self):
        return f"{self.workflow_id} job {self.id}"

    @property
    def is_active(self):
        return self.status in ACTIVE


class Intent(models.Model):
    """One execution of one step in a job; each attempt is an Event."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="intents")
    seq = models.PositiveIntegerField()
    step_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=100)
    flow = models.CharField(max_length=8, default="main")  # "main" or "rescue"
    status = models.CharField(max_length=8, default=Status.RUN)
    code = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="one_intent_per_seq")]

    def __str__(self):
        return f"{self.job_id} #{self.seq} {self.step_id}"


class Event(models.Model):
    """One attempt of an intent. OK/KO end the intent; RETRY is a transient failure."""

    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="events")
    index = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=8)
    code = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["intent", "index"], name="one_outcome_per_attempt")
        ]

    def __str__(self):
        return f"{self.intent_id} attempt {self.index}: {self.status}"
