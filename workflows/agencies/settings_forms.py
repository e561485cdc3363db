"""Forms of Settings > AEAT: the issuer and environment, and the certificate upload."""

from django import forms
from stdnum.es import nif as spanish_nif

from workflows.agencies.aeat import certificates, credentials
from workflows.agencies.models import AeatSettings


class IssuerForm(forms.ModelForm):
    # Longer than a NIF: "ES B-1234567-4" as people type it is cleaned to B12345674.
    issuer_nif = forms.CharField(
        max_length=20,
        label="Issuer NIF",
        help_text="The NIF that issues the invoices (ObligadoEmision).",
    )

    class Meta:
        model = AeatSettings
        fields = ["issuer_nif", "issuer_name", "environment"]
        labels = {
            "issuer_nif": "Issuer NIF",
            "issuer_name": "Issuer name",
            "environment": "AEAT environment",
        }
        help_texts = {
            "issuer_nif": "The NIF that issues the invoices (ObligadoEmision).",
            "issuer_name": "As the AEAT's census knows it.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offered = credentials.endpoints()
        self.fields["environment"].choices = [
            (value, label) for value, label in AeatSettings.Environment.choices if value in offered
        ]
        self.fields["issuer_nif"].required = True
        self.fields["issuer_name"].required = True

    def clean_issuer_nif(self):
        typed = self.cleaned_data["issuer_nif"].replace("-", "").replace(".", "")
        value = "".join(typed.split()).upper().removeprefix("ES")
        if not spanish_nif.is_valid(value):
            raise forms.ValidationError(
                f"{value} is not a valid Spanish NIF (9 characters with a check digit, "
                "like B12345674)."
            )
        return value


class CertificateForm(forms.Form):
    file = forms.FileField(
        label="Certificate file (.p12 or .pfx)",
        widget=forms.ClearableFileInput(attrs={"accept": ".p12,.pfx,application/x-pkcs12"}),
    )
    # Write-only: never rendered back, not even after an error in the same form.
    password = forms.CharField(
        label="Certificate password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        if upload.size > certificates.MAX_SIZE:
            raise forms.ValidationError(
                f"The file is larger than {certificates.MAX_SIZE // 1024} KB: a PKCS#12 "
                "certificate is a few kilobytes."
            )
        data = upload.read()
        try:
            certificate = certificates.load(data, cleaned.get("password", ""))
        except certificates.CertificateError as error:
            raise forms.ValidationError(str(error)) from None
        if certificate.expired():
            raise forms.ValidationError(
                f"This certificate expired on {certificate.not_after:%Y-%m-%d}: the AEAT "
                "refuses it. Upload a current one."
            )
        cleaned["p12"] = data
        cleaned["certificate"] = certificate
        return cleaned
