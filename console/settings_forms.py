"""Forms of the workspace settings page: a secret, outbound calls, SMTP."""

from django import forms

from console import secrets
from console.models import WorkspaceSettings


class SecretForm(forms.Form):
    name = forms.CharField(max_length=100)
    # Write-only: never rendered back, not even after an error in the same form.
    value = forms.CharField(
        max_length=secrets.MAX_VALUE_LENGTH,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def clean_name(self):
        try:
            return secrets.validate_name(self.cleaned_data["name"])
        except secrets.SecretError as error:
            raise forms.ValidationError(str(error)) from None


class OutboundForm(forms.ModelForm):
    class Meta:
        model = WorkspaceSettings
        fields = ["allow_private_network"]
        labels = {"allow_private_network": "Allow private network addresses"}


class SmtpForm(forms.ModelForm):
    smtp_password_secret = forms.ChoiceField(required=False, label="Password (secret)")

    class Meta:
        model = WorkspaceSettings
        fields = [
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password_secret",
            "smtp_from",
        ]
        labels = {
            "smtp_host": "Host",
            "smtp_port": "Port",
            "smtp_security": "Security",
            "smtp_username": "Username",
            "smtp_from": "From address",
        }

    def __init__(self, *args, secret_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "(none)")] + [(name, name) for name in secret_names]
        current = self.instance.smtp_password_secret
        if current and current not in secret_names:  # deleted since: keep it visible
            choices.append((current, f"{current} (missing)"))
        self.fields["smtp_password_secret"].choices = choices
        self.fields["smtp_port"].widget.attrs.update(min=1, max=65535)

    def clean_smtp_port(self):
        port = self.cleaned_data.get("smtp_port")
        if port is not None and not 1 <= port <= 65535:
            raise forms.ValidationError("A port is between 1 and 65535.")
        return port

    def clean_smtp_from(self):
        value = self.cleaned_data.get("smtp_from", "").strip()
        if value:
            from email.utils import parseaddr

            address = parseaddr(value)[1]
            try:
                forms.EmailField().clean(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    "Expected an address like billing@example.com or "
                    "'Billing <billing@example.com>'."
                ) from None
        return value


class TestEmailForm(forms.Form):
    to = forms.EmailField(label="Send a test email to")
