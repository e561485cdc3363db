"""What the console keeps of its dealings with tax agencies (VERI*FACTU's chains)."""

from django.db import models

from console.models import Workspace


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
