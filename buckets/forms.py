from __future__ import annotations

from django import forms
from django.conf import settings

from . import catalogue, names
from .models import AddressingStyle, Connection, SignatureVersion, provider_choices
from .netguard import EndpointRefused, validate_endpoint


def check_endpoint(url: str) -> str:
    allow = settings.CONSOLE_ENDPOINT_ALLOWLIST
    try:
        return validate_endpoint(url, allowed_hosts=allow, allow_http_hosts=allow)
    except EndpointRefused as exc:
        raise forms.ValidationError(str(exc)) from exc


class ConnectionForm(forms.ModelForm):
    secret_key = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        required=False,
        help_text="Write-only: it is stored encrypted and never shown again.",
    )
    access_key = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    class Meta:
        model = Connection
        fields = [
            "name",
            "provider",
            "region",
            "bucket_type",
            "endpoint_url",
            "access_key",
            "secret_key",
            "addressing_style",
            "signature_version",
        ]
        labels = {"endpoint_url": "Endpoint URL", "bucket_type": "Default bucket type"}
        help_texts = {
            "endpoint_url": "https:// URL of the S3 endpoint, e.g. https://s3.eu-central-3.ionoscloud.com",
            "bucket_type": "For providers with several bucket types (IONOS): the type of buckets on this endpoint.",
        }

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["provider"].widget = forms.Select(choices=provider_choices())
        types = [("", "Derived from the region")]
        for provider in catalogue.PROVIDERS.values():
            for bt in provider.bucket_types:
                if len(provider.bucket_types) > 1:
                    types.append((bt.id, f"{provider.label}: {bt.label}"))
        self.fields["bucket_type"] = forms.ChoiceField(choices=types, required=False, label="Default bucket type",
                                                       help_text=self.Meta.help_texts["bucket_type"])
        self.fields["addressing_style"].widget = forms.Select(choices=AddressingStyle.choices)
        self.fields["signature_version"].widget = forms.Select(choices=SignatureVersion.choices)
        if self.instance.pk:
            self.fields["secret_key"].help_text = "Leave empty to keep the stored secret key."
            self.initial["secret_key"] = ""
        else:
            self.fields["secret_key"].required = True

    def clean_endpoint_url(self) -> str:
        return check_endpoint(self.cleaned_data["endpoint_url"].strip())

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        qs = Connection.objects.filter(team=self.team, name=name)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        if self.team is not None and qs.exists():
            raise forms.ValidationError("Your team already has a connection with this name.")
        return name

    def clean(self):
        data = super().clean()
        provider = data.get("provider")
        bucket_type = data.get("bucket_type")
        if provider and bucket_type:
            valid = {bt.id for bt in catalogue.bucket_types(provider)}
            if bucket_type not in valid:
                self.add_error("bucket_type", "This provider has no such bucket type.")
        return data

    def save(self, commit: bool = True) -> Connection:
        secret = self.cleaned_data.get("secret_key")
        if not secret and self.instance.pk:
            # Keep the stored secret: the field is write-only.
            self.instance.secret_key = Connection.objects.get(pk=self.instance.pk).secret_key
        return super().save(commit=commit)


class BucketCreateForm(forms.Form):
    # Longer than S3 allows on purpose: a 64-character name must reach clean_name and be
    # refused with the rule, not cut to fit by the browser or refused with a generic length error.
    name = forms.CharField(max_length=names.MAX_LEGACY_BUCKET_CHARS)
    region = forms.CharField(max_length=64, required=False)
    bucket_type = forms.CharField(max_length=40, required=False)
    versioning = forms.BooleanField(required=False, label="Enable versioning")
    object_lock = forms.BooleanField(
        required=False, label="Enable Object Lock", help_text="Can only be chosen at creation; it turns on versioning."
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        problems = names.bucket_name_problems(name)
        if problems:
            raise forms.ValidationError(problems)
        return name


class FolderForm(forms.Form):
    name = forms.CharField(max_length=900)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip().strip("/")
        if not name:
            raise forms.ValidationError("Enter a folder name.")
        if "//" in name:
            raise forms.ValidationError("A folder name cannot contain empty segments (//).")
        return name
