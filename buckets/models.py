"""The console's own state: teams, connections, grants, jobs and the audit log.

Everything else (buckets, objects, their settings) lives in the object stores and is read
live through the gateway.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import catalogue
from .fields import EncryptedTextField


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # Lets this team run features its provider offers only through the API from the
    # console, labelled as such. Off by default: the documents say "API only".
    allow_api_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_membership_per_team")]
        ordering = ["team__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    def has_role(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


class AddressingStyle(models.TextChoices):
    PATH = "path", "Path style (endpoint/bucket/key)"
    VIRTUAL = "virtual", "Virtual hosted (bucket.endpoint/key)"


class SignatureVersion(models.TextChoices):
    V4 = "s3v4", "Signature Version 4"
    V2 = "s3", "Signature Version 2 (legacy)"


def provider_choices() -> list[tuple[str, str]]:
    return [(p.id, p.label) for p in catalogue.PROVIDERS.values()]


class Connection(models.Model):
    """An S3 endpoint with one set of keys, owned by a team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="connections")
    name = models.CharField(max_length=100)
    provider = models.CharField(max_length=30, choices=provider_choices, default="generic")
    region = models.CharField(max_length=64, default="us-east-1")
    # The bucket type of buckets this console does not know yet (see KnownBucket).
    bucket_type = models.CharField(max_length=40, blank=True)
    endpoint_url = models.CharField(max_length=300)
    access_key = EncryptedTextField()
    secret_key = EncryptedTextField()
    addressing_style = models.CharField(max_length=10, choices=AddressingStyle.choices, default=AddressingStyle.PATH)
    signature_version = models.CharField(max_length=10, choices=SignatureVersion.choices, default=SignatureVersion.V4)
    # What "Detect features" found: {feature_id: state}. Decides fully for generic providers.
    detected_features = models.JSONField(default=dict, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="unique_connection_name_per_team")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def provider_info(self) -> catalogue.Provider:
        return catalogue.get_provider(self.provider)

    @property
    def default_bucket_type(self) -> str:
        return self.bucket_type or catalogue.default_bucket_type(self.provider, self.region)


class Grant(models.Model):
    """Gives a team access to a connection, optionally only to some of its buckets.

    The owning team gets a grant too, so every access check walks the same path.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="grants")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="grants")
    # Empty: every bucket the keys can see. Otherwise only these names, which are also
    # what the bucket list shows when the keys may not call ListBuckets.
    buckets = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "team"], name="one_grant_per_team")]

    def __str__(self) -> str:
        return f"{self.team} → {self.connection}"

    def allows(self, bucket: str) -> bool:
        return not self.buckets or bucket in self.buckets


class KnownBucket(models.Model):
    """What the console knows about a bucket that S3 does not say: its bucket type."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="known_buckets")
    name = models.CharField(max_length=255)
    bucket_type = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "name"], name="one_record_per_bucket")]

    def __str__(self) -> str:
        return f"{self.name} ({self.bucket_type})"


class JobState(models.TextChoices):
    PENDING = "pending", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATES = (JobState.PENDING, JobState.RUNNING)
FINISHED_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class JobKind(models.TextChoices):
    UPLOAD = "upload", "Upload"
    DELETE_PREFIX = "delete_prefix", "Delete"
    EMPTY_BUCKET = "empty_bucket", "Empty bucket"
    COPY = "copy", "Copy"
    MOVE = "move", "Move"
    ABORT_UPLOADS = "abort_uploads", "Abort incomplete uploads"
    BUCKET_SIZE = "bucket_size", "Measure size"
    LIFECYCLE_PREVIEW = "lifecycle_preview", "Lifecycle preview"
    REPLICATION_SETUP = "replication_setup", "Set up replication"
    METADATA = "metadata", "Edit metadata"


class Job(models.Model):
    """A long operation run by a Celery worker; its progress and outcome live here."""

    kind = models.CharField(max_length=40, choices=JobKind.choices)
    # Written only by the job engine (buckets/jobs/engine.py).
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.PENDING)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="jobs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    connection = models.ForeignKey(Connection, null=True, on_delete=models.CASCADE, related_name="jobs")
    bucket = models.CharField(max_length=255, blank=True)
    key = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    bytes_done = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    items_done = models.IntegerField(default=0)
    items_total = models.IntegerField(default=0)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The engine's bookkeeping: when the job was meant to run and when the broker took it
    # (a job queued but never dispatched is re-sent), who runs it now and until when its
    # lease holds (a run whose lease lapsed is dead and is handed over), how often it ran.
    queued_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    run_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The last key a bulk job finished, so a new run resumes after it.
    checkpoint = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["team", "-created_at"]),
            models.Index(fields=["state", "lease_until"], name="job_state_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    @property
    def duration(self):
        if not self.started_at:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def percent(self) -> int:
        if self.bytes_total:
            return min(100, int(self.bytes_done * 100 / self.bytes_total))
        if self.items_total:
            return min(100, int(self.items_done * 100 / self.items_total))
        return 100 if self.state == JobState.SUCCEEDED else 0


class JobFailure(models.Model):
    """One item a bulk job could not do (a key and the reason), for the list, the CSV and
    "retry the failed ones"."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="failures")
    key = models.TextField()
    version_id = models.CharField(max_length=1024, blank=True)
    reason = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


class AuditEntry(models.Model):
    """One change someone made, or tried to make, through the console."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    team = models.ForeignKey(Team, null=True, on_delete=models.CASCADE, related_name="audit_entries")
    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    connection_name = models.CharField(max_length=100, blank=True)
    bucket = models.CharField(max_length=255, blank=True)
    key = models.TextField(blank=True)
    action = models.CharField(max_length=60)
    detail = models.JSONField(default=dict, blank=True)
    ok = models.BooleanField(default=True)
    message = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["team", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"
