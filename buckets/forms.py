from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from . import catalogue, names, selectors
from .access import ConnectionAccess, feature_availability
from .models import (
    AddressingStyle,
    Connection,
    Grant,
    Membership,
    Role,
    SignatureVersion,
    Team,
    provider_choices,
)
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
    """A new bucket on the connection's endpoint, checked against the catalogue before any call.

    The endpoint creates in one region (`catalogue.creation_region`), which holds some bucket
    types; an option the provider does not offer, or offers only through its API to a team that
    has not opted in, is refused here so it never reaches the endpoint.
    """

    # Longer than S3 allows on purpose: a 64-character name must reach clean_name and be
    # refused with the rule, not cut to fit by the browser or refused with a generic length error.
    name = forms.CharField(max_length=names.MAX_LEGACY_BUCKET_CHARS)
    region = forms.CharField(max_length=64, required=False)
    bucket_type = forms.CharField(max_length=40, required=False)
    versioning = forms.BooleanField(required=False, label="Enable versioning")
    object_lock = forms.BooleanField(
        required=False, label="Enable Object Lock", help_text="Can only be chosen at creation; it turns on versioning."
    )

    def __init__(self, *args, access: ConnectionAccess, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        connection = access.connection
        self.region_info = catalogue.creation_region(
            connection.provider, endpoint_url=connection.endpoint_url, region=connection.region
        )
        self.bucket_types = catalogue.bucket_types_in(connection.provider, self.region_info)
        default_type = connection.default_bucket_type
        if default_type not in {bt.id for bt in self.bucket_types}:
            default_type = self.bucket_types[0].id
        self.initial.setdefault("region", self.region_info.id)
        self.initial.setdefault("bucket_type", default_type)

    @property
    def chosen_type(self) -> str:
        """The bucket type as the user last chose it, so a form error never resets it."""
        return str(self["bucket_type"].value() or self.initial["bucket_type"])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        problems = names.bucket_name_problems(name)
        if problems:
            raise forms.ValidationError(problems)
        return name

    def clean_region(self) -> str:
        region = self.cleaned_data["region"].strip() or self.region_info.id
        if region != self.region_info.id:
            raise forms.ValidationError(
                f"This connection's endpoint creates buckets in {self.region_info.label} only; "
                f"add a connection to the endpoint of {region} to create buckets there."
            )
        return region

    def clean_bucket_type(self) -> str:
        bucket_type = self.cleaned_data["bucket_type"] or self.access.connection.default_bucket_type
        if bucket_type not in {bt.id for bt in self.access.connection.provider_info.bucket_types}:
            raise forms.ValidationError("This provider has no such bucket type.")
        if bucket_type not in {bt.id for bt in self.bucket_types}:
            raise forms.ValidationError(
                f"{self.region_info.label} holds {self.region_info.bucket_type} buckets; "
                f"{bucket_type} buckets need a connection to a region that holds them."
            )
        return bucket_type

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.access.granted_buckets:
            self.add_error("name", "Your team's grant is limited to named buckets; ask an admin to create it.")
            return data
        refused = self._refused_option(data["bucket_type"], versioning=data["versioning"], object_lock=data["object_lock"])
        if refused:
            self.add_error(None, refused)
        return data

    def _refused_option(self, bucket_type: str, *, versioning: bool, object_lock: bool) -> str:
        """An unsupported option never reaches the endpoint; an API-only one needs the team opt-in."""
        for wanted, feature_id in ((versioning, "versioning"), (object_lock, "object_lock")):
            state = feature_availability(self.access.connection, bucket_type, feature_id)
            if not wanted or state.usable(self.access.team.allow_api_only):
                continue
            label = catalogue.FEATURES[feature_id].label
            if state.state == catalogue.State.UNSUPPORTED:
                return f"{label} is not supported for this bucket type. {state.note}"
            return f"{label} is available only through the provider's API. {state.note}"
        return ""


class FolderForm(forms.Form):
    name = forms.CharField(max_length=900)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip().strip("/")
        if not name:
            raise forms.ValidationError("Enter a folder name.")
        if "//" in name:
            raise forms.ValidationError("A folder name cannot contain empty segments (//).")
        return name


# --- teams, members and grants ---------------------------------------------------------

MAX_GRANT_BUCKETS = 500


class NewMemberFields(forms.Form):
    """Who joins a team: an existing user, or (site admins only) a new one."""

    username = forms.CharField(max_length=150)
    create_user = forms.BooleanField(required=False, label="Create this user (site admins)")
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Only for a new user; they sign in with it.",
    )

    def __init__(self, *args, can_create_users: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_create_users = can_create_users
        self.user = None
        if not can_create_users:
            del self.fields["create_user"]
            del self.fields["password"]

    def clean(self):
        data = super().clean()
        username = (data.get("username") or "").strip()
        if not username:
            return data
        User = get_user_model()
        existing = User.objects.filter(username=username).first()
        if data.get("create_user"):
            if existing is not None:
                self.add_error("username", "This user exists already; leave “Create this user” unticked.")
                return data
            try:
                User.username_validator(username)
            except ValidationError as exc:
                self.add_error("username", exc)
                return data
            password = data.get("password") or ""
            if not password:
                self.add_error("password", "A new user needs a password.")
                return data
            try:
                validate_password(password, user=User(username=username))
            except ValidationError as exc:
                self.add_error("password", exc)
        elif existing is None:
            hint = " Tick “Create this user” to add a new account." if self.can_create_users else " Ask a site admin to create the account."
            self.add_error("username", "There is no user with this username." + hint)
        else:
            self.user = existing
        data["username"] = username
        return data

    @property
    def new_password(self) -> str:
        """The password for a new account; empty when the username names an existing user."""
        if not self.cleaned_data.get("create_user"):
            return ""
        return self.cleaned_data.get("password") or ""


class MemberAddForm(NewMemberFields):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def clean(self):
        data = super().clean()
        if self.user is not None and Membership.objects.filter(team=self.team, user=self.user).exists():
            self.add_error("username", f"{self.user.username} is already a member of {self.team}.")
        return data


class TeamCreateForm(NewMemberFields):
    name = forms.CharField(max_length=100, label="Team name")
    field_order = ["name", "username", "create_user", "password"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, can_create_users=True, **kwargs)
        self.fields["username"].label = "First admin (username)"

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Team.objects.filter(name__iexact=name).exists():
            raise ValidationError("A team with this name exists already.")
        return name


class TeamOptionsForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["allow_api_only"]
        labels = {"allow_api_only": "Let this team use features its provider offers only through the API"}


def parse_bucket_names(text: str) -> list[str]:
    """Comma-, space- or line-separated bucket names, validated, in order, without repeats."""
    found = list(dict.fromkeys(part for part in re.split(r"[\s,;]+", text or "") if part))
    bad = [n for n in found if names.grant_bucket_problem(n)]
    if bad:
        shown = ", ".join(f"“{n[:70]}”" for n in bad[:5])
        raise ValidationError(f"Not a valid bucket name: {shown}. Use 3–255 letters, digits, dots, hyphens or underscores.")
    if len(found) > MAX_GRANT_BUCKETS:
        raise ValidationError(f"Name at most {MAX_GRANT_BUCKETS} buckets, or leave the field empty for all buckets.")
    return found


class GrantBucketsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "Empty: every bucket the keys can see"})

    def to_python(self, value):
        return parse_bucket_names(super().to_python(value))


class GrantForm(forms.Form):
    buckets = GrantBucketsField(
        required=False,
        label="Only these buckets",
        help_text="Bucket names separated by commas or new lines. Empty: every bucket the connection's keys can see.",
    )


class ShareForm(GrantForm):
    team_name = forms.CharField(max_length=100, label="Team", help_text="The exact name of the team to share with.")
    field_order = ["team_name", "buckets"]

    def __init__(self, *args, connection: Connection, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = connection
        self.team = None

    def clean_team_name(self) -> str:
        name = self.cleaned_data["team_name"].strip()
        team = Team.objects.filter(name__iexact=name).first()
        if team is None:
            raise ValidationError("There is no team with this name.")
        if Grant.objects.filter(connection=self.connection, team=team).exists():
            raise ValidationError(f"The connection is already shared with {team}; change that grant below.")
        self.team = team
        return name


# --- the audit log ----------------------------------------------------------------------


def _choices(values, empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(v, v) for v in values if v]


class AuditFilterForm(forms.Form):
    """The audit log's filters; the choices are the values the team's log holds."""

    user = forms.ChoiceField(required=False)
    action = forms.ChoiceField(required=False)
    connection = forms.ChoiceField(required=False)
    bucket = forms.CharField(required=False, max_length=255)
    result = forms.ChoiceField(required=False, choices=[("", "Any result"), ("ok", "Succeeded"), ("failed", "Failed")])
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = _choices(selectors.audit_filter_values(team, "username"), "Anyone")
        self.fields["action"].choices = _choices(selectors.audit_filter_values(team, "action"), "Any action")
        self.fields["connection"].choices = _choices(selectors.audit_filter_values(team, "connection_name"),
                                                     "Any connection")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data

    def wanted(self) -> selectors.AuditFilter | None:
        """The filter to apply, or None when the form is invalid (then nothing is shown)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return selectors.AuditFilter(user=data["user"], action=data["action"], connection=data["connection"],
                                     bucket=data["bucket"], result=data["result"], since=data["since"],
                                     until=data["until"])
