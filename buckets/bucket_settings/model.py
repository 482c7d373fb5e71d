"""What every setting module shares: where a setting lives, what the provider allows there,
what a setting is, and how a refusal travels back to the form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import catalogue, gateway


@dataclass(frozen=True)
class Where:
    connection: gateway.Endpoint
    bucket: str
    key: str = ""
    version_id: str = ""


class Rejected(Exception):
    """The submitted settings are refused before any S3 call; `value` redisplays them."""

    def __init__(self, messages: list[str], value: dict[str, Any] | None = None) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.value = value


# --------------------------------------------------------------------------------------
# S3's fixed vocabularies, here so that templates find every choice on the Shape
# --------------------------------------------------------------------------------------

GROUP_URIS = {
    "AllUsers": "http://acs.amazonaws.com/groups/global/AllUsers",
    "AuthenticatedUsers": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "LogDelivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}
GROUP_LABELS = {
    "AllUsers": "Everyone (public)",
    "AuthenticatedUsers": "Any authenticated user",
    "LogDelivery": "Log delivery (Logging Group)",
}
PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")
STORAGE_CLASSES = ("STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER",
                   "DEEP_ARCHIVE")
REPLICATION_CLASSES = ("STANDARD", *STORAGE_CLASSES)
CORS_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
SSE_ALGORITHMS = {"SSE-S3": "AES256", "SSE-KMS": "aws:kms"}
LIFECYCLE_ACTION_LABELS = {
    "expiration": "Expire current versions",
    "noncurrent_version_expiration": "Expire noncurrent versions",
    "transition": "Transition current versions",
    "noncurrent_version_transition": "Transition noncurrent versions",
    "abort_incomplete_multipart_upload": "Abort incomplete multipart uploads",
}
# The units of the lifecycle editor's object size filters: (unit, word, bytes).
LIFECYCLE_SIZE_UNITS = (("B", "bytes", 1), ("KiB", "KiB", 1024), ("MiB", "MiB", 1024**2),
                        ("GiB", "GiB", 1024**3))
OWNERSHIP_CHOICES = (
    ("BucketOwnerEnforced", "Bucket owner enforced: ACLs are off, the bucket owner owns everything"),
    ("BucketOwnerPreferred", "Bucket owner preferred: ACLs apply; uploads with "
                             "bucket-owner-full-control become the owner's"),
    ("ObjectWriter", "Object writer: the uploading account owns the object"),
)
LOCK_MODES = (("GOVERNANCE", "Governance"), ("COMPLIANCE", "Compliance"))
BPA_FLAGS = (
    ("BlockPublicAcls", "Block new public ACLs"),
    ("IgnorePublicAcls", "Ignore existing public ACLs"),
    ("BlockPublicPolicy", "Block new public bucket policies"),
    ("RestrictPublicBuckets", "Restrict access to buckets with public policies"),
)


@dataclass(frozen=True)
class Shape:
    """What the provider allows for this bucket type: forms and validation read the same."""

    provider: catalogue.Provider
    bucket_type: str
    bucket: str
    region: str
    allow_api_only: bool = False
    known_bucket_types: Mapping[str, str] = field(default_factory=dict)

    def constraint(self, name: str) -> Any:
        return catalogue.constraint(self.provider.id, self.bucket_type, name)

    @property
    def bucket_type_label(self) -> str:
        return next((t.label for t in self.provider.bucket_types if t.id == self.bucket_type),
                    self.bucket_type)

    @property
    def canned_acls(self) -> tuple[str, ...]:
        acls = catalogue.canned_acls(self.provider.id, self.bucket_type)
        if not self.constraint("acl_logging_group_grantee"):
            acls = tuple(a for a in acls if a != "log-delivery-write")
        return acls

    @property
    def object_canned_acls(self) -> tuple[str, ...]:
        # log-delivery-write only means something on a bucket.
        return tuple(a for a in self.canned_acls if a != "log-delivery-write")

    @property
    def acl_grants(self) -> bool:
        return bool(self.constraint("acl_grants"))

    @property
    def acl_groups(self) -> list[tuple[str, str]]:
        names = list(GROUP_URIS)
        if not self.constraint("acl_logging_group_grantee"):
            names.remove("LogDelivery")
        return [(name, GROUP_LABELS[name]) for name in names]

    @property
    def lifecycle_tag_filters(self) -> bool:
        return bool(self.constraint("lifecycle_tag_filters"))

    @property
    def lifecycle_actions(self) -> tuple[str, ...]:
        return tuple(self.constraint("lifecycle_actions") or ())

    @property
    def lifecycle_size_filters_refusal(self) -> str:
        """Why the lifecycle editor takes no object size filters here; "" where it does.

        Two catalogue constraints: ``lifecycle_size_filters_offered`` (the document offers them)
        and ``lifecycle_size_filters`` (the endpoint applies them as written; Ceph RGW 16.2
        accepts them and ignores them, which deletes the small objects a rule seemed to spare).
        """
        label = self.provider.label
        cell = catalogue.availability(self.provider.id, self.bucket_type, "lifecycle")
        if not self.constraint("lifecycle_size_filters_offered"):
            why = f"{cell.source}: “{cell.note}”" if cell.note else cell.source
            return f"{label} does not offer object size filters in lifecycle rules ({why})."
        if not self.constraint("lifecycle_size_filters"):
            return (f"{label} ignores object size filters (ObjectSizeGreaterThan, "
                    "ObjectSizeLessThan): a rule that seems to spare small objects expires every "
                    f"object under its prefix, small ones too ({cell.source}).")
        return ""

    @property
    def logging_target_must_differ(self) -> bool:
        return bool(self.constraint("logging_target_must_differ"))

    @property
    def sse_choices(self) -> list[tuple[str, str]]:
        modes = self.constraint("sse_modes") or ()
        labels = {"SSE-S3": "SSE-S3 (keys managed by the provider, AES256)",
                  "SSE-KMS": "SSE-KMS (a key from the provider's KMS)"}
        # SSE-C needs the customer's key on every request, so it cannot be a bucket default.
        return [(mode, labels[mode]) for mode in modes if mode in SSE_ALGORITHMS]

    @property
    def website_redirects(self) -> str:
        return str(self.constraint("website_redirects") or "console")

    @property
    def redirects_editable(self) -> bool:
        return self.website_redirects == "console" or (
            self.website_redirects == "api_only" and self.allow_api_only)

    @property
    def website_url(self) -> str:
        return catalogue.website_endpoint(self.provider.id, self.bucket, self.region)

    @property
    def policy_max_bytes(self) -> int | None:
        value = self.constraint("policy_max_bytes")
        return int(value) if value else None

    @property
    def replication_cross_region(self) -> bool:
        return bool(self.constraint("replication_cross_region"))

    @property
    def replication_target_types(self) -> tuple[str, ...]:
        return tuple(self.constraint("replication_target_types") or ())

    @property
    def replication_target_type_choices(self) -> list[tuple[str, str]]:
        labels = {t.id: t.label for t in self.provider.bucket_types}
        return [(t, labels.get(t, t)) for t in self.replication_target_types]

    @property
    def offers_kms(self) -> bool:
        return any(mode == "SSE-KMS" for mode, _ in self.sse_choices)

    @property
    def acl_group_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.acl_groups)

    permissions = PERMISSIONS
    cors_methods = CORS_METHODS
    storage_classes = STORAGE_CLASSES
    lifecycle_size_units = LIFECYCLE_SIZE_UNITS
    replication_classes = REPLICATION_CLASSES
    ownership_choices = OWNERSHIP_CHOICES
    lock_modes = LOCK_MODES
    bpa_flags = BPA_FLAGS

    @property
    def replication_regions(self) -> list[tuple[str, str]]:
        if not self.replication_cross_region:
            region = catalogue.get_region(self.provider.id, self.region)
            return [(self.region, region.label if region else self.region)]
        return [(r.id, r.label) for r in self.provider.regions] or [(self.region, self.region)]


def shape_for(
    connection: Any,
    bucket_type: str,
    bucket: str,
    *,
    allow_api_only: bool = False,
    known_bucket_types: Mapping[str, str] | None = None,
) -> Shape:
    return Shape(
        provider=catalogue.get_provider(connection.provider),
        bucket_type=bucket_type,
        bucket=bucket,
        region=connection.region,
        allow_api_only=allow_api_only,
        known_bucket_types=dict(known_bucket_types or {}),
    )


# --------------------------------------------------------------------------------------
# A setting: one catalogue feature with the three functions that read, parse and write it
# --------------------------------------------------------------------------------------

Reader = Callable[[Where], dict[str, Any]]
Parser = Callable[[Any, Shape], dict[str, Any]]
Writer = Callable[[Where, dict[str, Any], Shape], None]


@dataclass(frozen=True)
class Setting:
    """One section of the settings pages.

    ``read(where)`` makes one S3 call (legal hold needs two) and answers a plain dict the
    template displays ("nothing configured" is a value too, never None); ``parse(data,
    shape)`` turns a submitted form into the same dict or raises `Rejected`, so a forged POST
    is stopped exactly as the form's shape would have stopped a person; ``write(where,
    value, shape)`` stores it. Without them the console offers no form ("not offered").
    """

    feature_id: str
    read: Reader | None = None
    parse: Parser | None = None
    write: Writer | None = None
    object_level: bool = False
    save_label: str = ""  # the button, in words a person expects ("Save CORS rules")
    slug: str = ""  # the URL segment; the feature id with dashes unless told
    rule_formset: Any = None  # the Django formset class of a rule editor, if it is one

    @property
    def feature(self) -> catalogue.Feature:
        return catalogue.FEATURES[self.feature_id]

    @property
    def offered(self) -> bool:
        return self.read is not None

    @property
    def template(self) -> str:
        return f"buckets/settings/{self.feature_id}.html"

    @property
    def url_name(self) -> str:
        return f"settings_{self.feature_id}"

    @property
    def path(self) -> str:
        """Where its view lives below a bucket's URL."""
        slug = self.slug or self.feature_id.replace("_", "-")
        return f"object-settings/{slug}/" if self.object_level else f"settings/{slug}/"
