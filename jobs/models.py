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
    # Set by jobs.bulk and jobs.triggers: the bulk run a job belongs to, and the job
    # whose change started this one (so a chain of triggers cannot loop).
    batch = models.ForeignKey(
        "Batch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        db_index=False,
    )
    cause = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
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
    # Where the job is: written at every step, so it has no index (an indexed column
    # that changes rules out PostgreSQL's in-place HOT update of the job) and no
    # database constraint (whose check on an intent's deletion would need that index).
    # An intent is only ever deleted with its job.
    current_intent = models.ForeignKey(
        "Intent",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
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
            # The bell's unread failures, and a bulk run's progress.
            models.Index(
                fields=["workspace", "completed_at"], name="job_ko", condition=models.Q(status="KO")
            ),
            models.Index(
                fields=["batch", "status"],
                name="job_batch",
                condition=models.Q(batch__isnull=False),
            ),
            # Deleting a job looks for the jobs it caused (the self-referencing FK).
            models.Index(
                fields=["cause"], name="job_cause", condition=models.Q(cause__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.workflow_id} job {self.id}"

    @property
    def is_active(self):
        return self.status in ACTIVE


class Intent(models.Model):
    """One execution of one step in a job; each attempt is an Event."""

    # (job, seq) is unique: that index serves the job's lookups, no second one is kept.
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="intents", db_index=False)
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

    # (intent, index) is unique: that index serves the intent's lookups.
    intent = models.ForeignKey(
        Intent, on_delete=models.CASCADE, related_name="events", db_index=False
    )
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


# --- Live updates, automatic runs, bulk runs, notifications ----------------------------


class Change(models.Model):
    """One committed change of a job: the feed that live pages follow (``jobs.live``).

    Ids grow with every change, so a browser that reconnects asks for the changes
    after the last id it saw. Old rows are pruned by the workers' clock.
    """

    id = models.BigAutoField(primary_key=True)
    workspace = models.ForeignKey(
        "console.Workspace", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    job_id = models.UUIDField(null=True, blank=True)  # none: a person changed the entry
    entry_id = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=8)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "id"], name="change_feed")]

    def __str__(self):
        return f"change {self.id}: job {self.job_id} {self.status}"


class Batch(WorkspaceOwned):
    """A bulk run: one workflow on every entry a silo filter matched."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workflow = models.ForeignKey(
        "workflows.Workflow", on_delete=models.PROTECT, related_name="batches"
    )
    filters = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"batch {self.id} of {self.total}"


class Trigger(WorkspaceOwned):
    """Runs a workflow by itself: when an entry of its schema is created or enters a
    state, or every ``every_minutes`` over the entries a saved silo filter matches."""

    class Kind(models.TextChoices):
        CREATED = "created", "When an entry is created"
        STATE = "state", "When an entry enters a state"
        SCHEDULE = "schedule", "On a schedule, over a silo filter"

    workflow = models.ForeignKey(
        "workflows.Workflow", on_delete=models.CASCADE, related_name="triggers"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=50, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    every_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["next_run_at"],
                name="trigger_due",
                condition=models.Q(kind="schedule", enabled=True),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} -> {self.workflow_id}"


class NotificationsSeen(WorkspaceOwned):
    """Until when a member has seen the workspace's failed jobs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_seen_mark_per_member")
        ]


class Worker(models.Model):
    """A ``jobworker`` process (one per worker machine), as its clock last reported it.

    The clock writes ``seen_at`` every few seconds; ``/health/workers`` calls a worker
    whose report is older than ``STALE_S`` stale. A clean stop removes the row.
    """

    STALE_S = 30

    name = models.CharField(max_length=200, primary_key=True)  # "<host>:<pid>"
    host = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    processes = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self):
        return self.name
