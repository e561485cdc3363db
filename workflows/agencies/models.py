"""What the console keeps of its dealings with tax agencies (VERI*FACTU's chains)."""

from django.db import models

from console.models import Workspace, WorkspaceOwned


class AeatSettings(models.Model):
    """A workspace's dealings with the AEAT: who issues (NIF and name), which of the
    AEAT's environments it talks to, and what its certificate is.

    The certificate itself (the PKCS#12 file and its password) is a workspace secret,
    encrypted like the others (``credentials.CERTIFICATE_SECRET``); these fields only
    describe it, for the settings page, without decrypting anything.
    """

    class Environment(models.TextChoices):
        PRODUCTION = "production", "Production (real submissions)"
        TEST = "test", "Test (the AEAT's pre-production service)"
        LOCAL = "local", "Local test AEAT (this machine)"

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, primary_key=True, related_name="aeat_settings"
    )
    issuer_nif = models.CharField(max_length=9, blank=True)
    issuer_name = models.CharField(max_length=120, blank=True)
    environment = models.CharField(
        max_length=16, choices=Environment.choices, default=Environment.TEST
    )
    certificate_subject = models.CharField(max_length=1000, blank=True)
    certificate_issuer = models.CharField(max_length=1000, blank=True)
    certificate_nif = models.CharField(max_length=9, blank=True)
    certificate_not_before = models.DateTimeField(null=True, blank=True)
    certificate_not_after = models.DateTimeField(null=True, blank=True)
    certificate_fingerprint = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "AEAT settings"
        verbose_name_plural = "AEAT settings"

    def __str__(self):
        return f"AEAT settings of {self.workspace}"

    @property
    def has_certificate(self):
        return bool(self.certificate_fingerprint)


class Chain(WorkspaceOwned):
    """One issuer's chain of VERI*FACTU records in a workspace.

    Its row is the chain's head and its lock: appending locks it (``select_for_update``
    on PostgreSQL; SQLite's write lock does the same), so records are chained one after
    the other however many jobs append at once. It also carries the AEAT's flow control
    (``next_send_at``) and the one submission in flight (``sending``).
    """

    issuer = models.CharField(max_length=20)  # the NIF, as in IDEmisorFactura
    issuer_name = models.CharField(max_length=120)
    length = models.PositiveIntegerField(default=0)
    head = models.ForeignKey(
        "Record", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    next_send_at = models.DateTimeField(null=True, blank=True)
    sending = models.ForeignKey(
        "Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "issuer"], name="one_chain_per_issuer")
        ]

    def __str__(self):
        return f"{self.issuer} {self.issuer_name}"


class Record(WorkspaceOwned):
    """One record of a chain (a registration or a cancellation), final once made.

    ``xml`` is the ``RegistroAlta``/``RegistroAnulacion`` as generated: every send and
    resend uses these bytes, so a retry can never make a new time or fingerprint.
    """

    class Kind(models.TextChoices):
        ALTA = "alta", "Registration"
        ANULACION = "anulacion", "Cancellation"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        UNCERTAIN = "uncertain", "Uncertain"  # sent (or maybe sent); no answer known
        ACCEPTED = "accepted", "Accepted"
        ACCEPTED_WITH_ERRORS = "accepted_with_errors", "Accepted with errors"
        REJECTED = "rejected", "Rejected"

    chain = models.ForeignKey(Chain, on_delete=models.RESTRICT, related_name="records")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    entry = models.ForeignKey(
        "silo.Entry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    num_series = models.CharField(max_length=60)
    issue_date = models.DateField()
    total = models.CharField(max_length=40, blank=True)
    fingerprint = models.CharField(max_length=64)
    previous_fingerprint = models.CharField(max_length=64, blank=True)
    generated_at = models.DateTimeField()
    xml = models.BinaryField()
    environment = models.CharField(max_length=20)  # where it was sent: the QR's address
    state = models.CharField(max_length=24, choices=State.choices, default=State.PENDING)
    code = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    duplicate = models.BooleanField(default=False)
    submission = models.ForeignKey(
        "Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    answer_xml = models.BinaryField(blank=True, default=b"")  # its RespuestaLinea
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="no_fork_in_a_chain"),
        ]
        indexes = [
            models.Index(fields=["chain", "state", "seq"], name="record_state"),
            models.Index(fields=["entry"], name="record_entry"),
        ]

    def __str__(self):
        return f"{self.chain.issuer} #{self.seq} {self.num_series}"

    @property
    def answered(self):
        return self.state in FINAL_STATES

    @property
    def issue_date_text(self):
        return self.issue_date.strftime("%d-%m-%Y")


FINAL_STATES = (
    Record.State.ACCEPTED,
    Record.State.ACCEPTED_WITH_ERRORS,
    Record.State.REJECTED,
)


class Submission(WorkspaceOwned):
    """One request to the AEAT with up to 1,000 records of a chain, and its answer.

    While it is in flight the chain points at it until ``lease_until``: a sender that
    died leaves its records uncertain, and the next sender asks the AEAT about them
    (``ConsultaFactuSistemaFacturacion``) before sending anything again.
    """

    class State(models.TextChoices):
        SENDING = "sending", "Sending"
        ANSWERED = "answered", "Answered"
        FAILED = "failed", "Not answered"

    chain = models.ForeignKey(Chain, on_delete=models.CASCADE, related_name="submissions")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    lease_until = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    size = models.PositiveIntegerField(default=0)
    request = models.BinaryField(blank=True, default=b"")
    answer = models.BinaryField(blank=True, default=b"")
    status = models.CharField(max_length=40, blank=True)  # EstadoEnvio, or the failure
    message = models.TextField(blank=True)
    wait_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
