from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from silo import documents
from silo.models import State
from silo.services import parse_document


class EntryFilterForm(forms.Form):
    """The list's search box and filters; an invalid value is ignored, not an error."""

    q = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Search code, party name or tax ID",
                "aria-label": "Search",
                "autocomplete": "off",
            }
        ),
    )
    schema = forms.ChoiceField(
        required=False,
        choices=[("", "All schemas")] + [(s, s) for s in documents.KNOWN_SCHEMAS],
        widget=forms.Select(attrs={"aria-label": "Schema"}),
    )
    state = forms.ChoiceField(
        required=False,
        choices=[("", "All states")] + State.choices,
        widget=forms.Select(attrs={"aria-label": "State"}),
    )
    cursor = forms.CharField(required=False, max_length=200)

    def filters(self):
        self.is_valid()
        return {name: self.cleaned_data.get(name) or "" for name in ("q", "schema", "state")}

    def cursor_value(self):
        self.is_valid()
        return self.cleaned_data.get("cursor") or ""


class UploadForm(forms.Form):
    """A GOBL JSON file, parsed and checked while cleaning: ``cleaned_data["doc"]``."""

    file = forms.FileField(label="GOBL JSON file")
    key = forms.CharField(
        label="Key (optional)",
        required=False,
        max_length=200,
        help_text="Uploading the same file again with the same key returns the first entry.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.SILO_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                "The file is %(size)s; the largest file the silo accepts is %(limit)s.",
                code="too_large",
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        try:
            self.cleaned_data["doc"], _ = parse_document(upload.read())
        except documents.DocumentError as error:
            raise forms.ValidationError(str(error), code="invalid_document") from error
        return upload

    @property
    def error_status(self):
        """413 when the file was too large, 400 for any other problem."""
        return 413 if self.has_error("file", code="too_large") else 400


class EntryEditForm(forms.Form):
    """State and meta of an entry, with the revision the user saw (``version``)."""

    state = forms.ChoiceField(choices=State.choices)
    meta = forms.CharField(
        label="Meta",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One key=value a line.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def for_entry(cls, entry):
        meta = "\n".join(f"{key}={value}" for key, value in (entry.meta or {}).items())
        return cls(initial={"state": entry.state, "meta": meta, "version": entry.version})

    def clean_meta(self):
        meta = {}
        for number, line in enumerate(self.cleaned_data["meta"].splitlines(), start=1):
            if not line.strip():
                continue
            key, equals, value = line.partition("=")
            key = key.strip()
            if not equals or not key:
                raise forms.ValidationError(f"Line {number} is not key=value: {line.strip()!r}.")
            if key in meta:
                raise forms.ValidationError(f"The key {key!r} appears twice.")
            meta[key] = value.strip()
        return meta

    def changes(self, entry):
        """The fields that differ from the entry, as ``update_entry`` takes them."""
        wanted = {"state": self.cleaned_data["state"], "meta": self.cleaned_data["meta"]}
        current = {"state": entry.state, "meta": entry.meta or {}}
        return {name: value for name, value in wanted.items() if value != current[name]}
