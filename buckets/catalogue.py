"""What each S3 provider offers, per bucket type, as data.

Views, forms, templates and tests read this module instead of branching on provider names.
Every row of the two provider documents (IONOS "S3 API Compatibility" and DigitalOcean "Spaces
S3 Compatibility", kept with the project's shared notes) is encoded here with the document as its
source; the Ceph rows come from what was measured on RGW 16.2. Pure Python: no Django models,
no boto3, so the gateway, the management command and plain unit tests can all import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

# Re-exported for callers that still read snippets through the catalogue; new code imports
# `buckets.snippets`. The snippets module imports nothing from here, so there is no circle.
from .snippets import api_snippets  # noqa: F401


class State(StrEnum):
    CONSOLE = "console"  # offered in this console
    API_ONLY = "api_only"  # the provider offers it only through its API: disabled, reason + snippet
    UNSUPPORTED = "unsupported"  # never sent to the endpoint, not offered


# Narrowing order for detection overrides: a detected result may only move a documented
# feature down this scale, never up, because a probe that answers 200 proves less than a
# provider's own statement that a feature is missing.
_RANK = {State.UNSUPPORTED: 0, State.API_ONLY: 1, State.CONSOLE: 2}


@dataclass(frozen=True)
class Feature:
    id: str
    label: str
    group: str  # "bucket" | "object" | "account"
    description: str
    s3_calls: tuple[str, ...]  # boto3 method names on `client`
    client: str = "s3"  # boto3 service the calls belong to (IAM and STS are separate APIs)


@dataclass(frozen=True)
class Availability:
    state: State
    note: str = ""
    source: str = ""

    @property
    def enabled(self) -> bool:
        return self.state == State.CONSOLE

    def usable(self, allow_api_only: bool) -> bool:
        """Whether the console may run it: offered here, or API-only and the team opted in."""
        return self.state == State.CONSOLE or (self.state == State.API_ONLY and allow_api_only)


@dataclass(frozen=True)
class Region:
    id: str
    label: str
    endpoint: str
    bucket_type: str  # which bucket type lives in this region ("" = the provider's default)


@dataclass(frozen=True)
class BucketType:
    id: str
    label: str
    description: str


@dataclass(frozen=True)
class Provider:
    id: str
    label: str
    bucket_types: tuple[BucketType, ...]
    regions: tuple[Region, ...]
    addressing_style: str  # "path" | "virtual"
    signature_versions: tuple[str, ...]  # first one is what the gateway should use
    matrix: dict[str, dict[str, Availability]]  # bucket type -> feature -> availability
    constraints: dict[str, dict[str, object]]  # bucket type -> constraint name -> value
    website_url: str = ""  # template with {bucket} and {region}
    source: str = ""
    note: str = ""  # provider-wide behaviour worth showing once (e.g. how it refuses calls)


# --------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------

_FEATURE_LIST = (
    Feature("bucket_crud", "Buckets", "bucket",
            "Create, list, inspect and delete buckets.",
            ("create_bucket", "head_bucket", "list_buckets", "get_bucket_location",
             "delete_bucket")),
    Feature("object_crud", "Objects", "object",
            "Upload, list, download and delete objects.",
            ("put_object", "get_object", "head_object", "list_objects_v2", "delete_object",
             "delete_objects")),
    Feature("object_copy", "Copy objects", "object",
            "Server-side copy of an object to another key or bucket.",
            ("copy_object",)),
    Feature("multipart_upload", "Multipart upload", "object",
            "Upload large objects in parts; list and abort unfinished uploads.",
            ("create_multipart_upload", "upload_part", "upload_part_copy",
             "complete_multipart_upload", "abort_multipart_upload", "list_multipart_uploads",
             "list_parts")),
    Feature("presigned_url", "Pre-signed URLs", "object",
            "Time-limited links that download or upload an object without credentials.",
            ("generate_presigned_url", "generate_presigned_post")),
    Feature("bucket_acl", "Bucket ACL", "bucket",
            "Canned ACLs and grants on a bucket.",
            ("get_bucket_acl", "put_bucket_acl")),
    Feature("object_acl", "Object ACL", "object",
            "Canned ACLs and grants on an object.",
            ("get_object_acl", "put_object_acl")),
    Feature("block_public_access", "Block public access", "bucket",
            "Bucket switches that refuse public ACLs and public policies.",
            ("get_public_access_block", "put_public_access_block",
             "delete_public_access_block")),
    Feature("bucket_policy", "Bucket policy", "bucket",
            "JSON access policy attached to a bucket.",
            ("get_bucket_policy", "put_bucket_policy", "delete_bucket_policy",
             "get_bucket_policy_status")),
    Feature("cors", "CORS", "bucket",
            "Cross-origin rules that let browsers on other sites use the bucket.",
            ("get_bucket_cors", "put_bucket_cors", "delete_bucket_cors")),
    Feature("versioning", "Versioning", "bucket",
            "Keep every version of every object; list and restore versions.",
            ("get_bucket_versioning", "put_bucket_versioning", "list_object_versions")),
    Feature("replication", "Replication", "bucket",
            "Copy new objects automatically to another bucket.",
            ("get_bucket_replication", "put_bucket_replication",
             "delete_bucket_replication")),
    Feature("bucket_tagging", "Bucket tags", "bucket",
            "Key/value tags on a bucket.",
            ("get_bucket_tagging", "put_bucket_tagging", "delete_bucket_tagging")),
    Feature("object_tagging", "Object tags", "object",
            "Key/value tags on an object.",
            ("get_object_tagging", "put_object_tagging", "delete_object_tagging")),
    Feature("lifecycle", "Lifecycle rules", "bucket",
            "Expire or transition objects and clean up unfinished uploads on a schedule.",
            ("get_bucket_lifecycle_configuration", "put_bucket_lifecycle_configuration",
             "delete_bucket_lifecycle")),
    Feature("access_logging", "Access logging", "bucket",
            "Write a log of requests to the bucket into another bucket.",
            ("get_bucket_logging", "put_bucket_logging")),
    Feature("bucket_encryption", "Default encryption", "bucket",
            "Encryption applied to every new object in the bucket.",
            ("get_bucket_encryption", "put_bucket_encryption", "delete_bucket_encryption")),
    Feature("object_encryption", "Object encryption", "object",
            "Server-side encryption chosen per upload (SSE-S3, SSE-KMS, SSE-C).",
            ("put_object", "get_object", "head_object", "copy_object")),
    Feature("website", "Static website", "bucket",
            "Serve the bucket as a website with index and error documents and redirects.",
            ("get_bucket_website", "put_bucket_website", "delete_bucket_website")),
    Feature("inventory", "Inventory", "bucket",
            "Scheduled listing reports of the bucket's objects.",
            ("get_bucket_inventory_configuration", "put_bucket_inventory_configuration",
             "list_bucket_inventory_configurations",
             "delete_bucket_inventory_configuration")),
    Feature("object_lock", "Object Lock", "bucket",
            "Write-once retention (governance or compliance) for a bucket's objects.",
            ("get_object_lock_configuration", "put_object_lock_configuration",
             "get_object_retention", "put_object_retention")),
    Feature("legal_hold", "Legal hold", "object",
            "Keep an object from deletion until the hold is lifted.",
            ("get_object_legal_hold", "put_object_legal_hold")),
    Feature("object_ownership", "Object ownership", "bucket",
            "Who owns uploaded objects, and whether ACLs apply at all.",
            ("get_bucket_ownership_controls", "put_bucket_ownership_controls",
             "delete_bucket_ownership_controls")),
    Feature("iam", "IAM users and policies", "account",
            "Users, access keys and identity policies.",
            ("list_users", "create_user", "create_access_key", "put_user_policy"),
            client="iam"),
    Feature("sts", "Temporary credentials (STS)", "account",
            "Short-lived credentials from the Security Token Service.",
            ("get_session_token", "assume_role", "get_caller_identity"),
            client="sts"),
    Feature("mfa", "Multi-factor authentication", "account",
            "MFA for the account and MFA delete on versioned buckets.",
            ("get_bucket_versioning", "put_bucket_versioning")),
    Feature("notifications", "Event notifications", "bucket",
            "Send an event to a topic or queue when objects change.",
            ("get_bucket_notification_configuration",
             "put_bucket_notification_configuration")),
    Feature("request_payment", "Requester pays", "bucket",
            "Make the requester, not the owner, pay for requests and transfer.",
            ("get_bucket_request_payment", "put_bucket_request_payment")),
    Feature("metrics", "Request metrics", "bucket",
            "Per-bucket request metrics configurations.",
            ("get_bucket_metrics_configuration", "put_bucket_metrics_configuration",
             "list_bucket_metrics_configurations", "delete_bucket_metrics_configuration")),
    Feature("analytics", "Storage class analytics", "bucket",
            "Access-pattern analysis to choose storage classes.",
            ("get_bucket_analytics_configuration", "put_bucket_analytics_configuration",
             "list_bucket_analytics_configurations",
             "delete_bucket_analytics_configuration")),
    Feature("accelerate", "Transfer acceleration", "bucket",
            "Faster long-distance transfers through edge locations.",
            ("get_bucket_accelerate_configuration", "put_bucket_accelerate_configuration")),
    Feature("object_query", "Object query (S3 Select)", "object",
            "Run SQL over a CSV, JSON or Parquet object on the server.",
            ("select_object_content",)),
)

FEATURES: dict[str, Feature] = {f.id: f for f in _FEATURE_LIST}

# Read-only probes for "Detect features". Only calls that take nothing but Bucket, and only
# GET/HEAD-backed ones: on moto a DELETE of metrics, analytics or inventory configuration
# deletes the whole bucket, so no probe may ever be a delete or a put.
# A 404 "no such configuration" answer means supported; NotImplemented, 405, 501 or
# 400 InvalidArgument means unsupported. Known false positives: RGW 16.2 answers
# get_bucket_encryption with 200 {} although PutBucketEncryption fails, and moto answers
# get_bucket_request_payment with a listing.
DETECT_PROBES: dict[str, str] = {
    "bucket_crud": "head_bucket",
    "object_crud": "list_objects_v2",
    "multipart_upload": "list_multipart_uploads",
    "bucket_acl": "get_bucket_acl",
    "block_public_access": "get_public_access_block",
    "bucket_policy": "get_bucket_policy",
    "cors": "get_bucket_cors",
    "versioning": "get_bucket_versioning",
    "replication": "get_bucket_replication",
    "bucket_tagging": "get_bucket_tagging",
    "lifecycle": "get_bucket_lifecycle_configuration",
    "access_logging": "get_bucket_logging",
    "bucket_encryption": "get_bucket_encryption",
    "website": "get_bucket_website",
    "inventory": "list_bucket_inventory_configurations",
    "object_lock": "get_object_lock_configuration",
    "object_ownership": "get_bucket_ownership_controls",
    "notifications": "get_bucket_notification_configuration",
    "request_payment": "get_bucket_request_payment",
    "metrics": "list_bucket_metrics_configurations",
    "analytics": "list_bucket_analytics_configurations",
    "accelerate": "get_bucket_accelerate_configuration",
}


# --------------------------------------------------------------------------------------
# Constraints
# --------------------------------------------------------------------------------------

AWS_CANNED_ACLS = (
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
)
BASIC_CANNED_ACLS = ("private", "public-read", "public-read-write", "authenticated-read")
ALL_LIFECYCLE_ACTIONS = (
    "expiration",
    "noncurrent_version_expiration",
    "transition",
    "noncurrent_version_transition",
    "abort_incomplete_multipart_upload",
)

# What a constraint means when a provider says nothing about it: S3's own behaviour. A
# provider entry only lists where it is narrower than S3, so an absent constraint never
# forbids anything the endpoint itself would still answer.
CONSTRAINT_DEFAULTS: dict[str, object] = {
    "canned_acls": BASIC_CANNED_ACLS,
    "acl_grants": True,  # arbitrary grantees, not only canned ACLs
    "acl_logging_group_grantee": True,
    "copy_requires_unencrypted": False,
    "cross_region_copy": True,
    "upload_part_copy_cross_region": True,
    "replication_cross_region": True,
    "lifecycle_tag_filters": True,
    "lifecycle_actions": ALL_LIFECYCLE_ACTIONS,
    "logging_target_must_differ": False,
    "sse_modes": ("SSE-S3",),
    "sse_c": "console",
    "sse_default": "",  # what the console's upload form encrypts with unless told otherwise
    "website_redirects": "console",
    "website_cdn": True,
    "list_objects_v1": True,
    # Uploads ask for a SHA-256 per part (S3's additional checksums) and send them where the
    # endpoint's CreateMultipartUpload answer says it keeps them; False: never asked, because
    # the provider's document does not name them and how it would treat them is not known.
    "part_checksums": True,
    # How the endpoint applies lifecycle rules where it differs from AWS's documentation
    # (buckets/lifecycle.py predicts with these; the preview warns where a filter is ignored).
    # lifecycle_size_filters: the endpoint applies ObjectSizeGreaterThan/LessThan as written
    # (False: it accepts them and ignores them, measured); lifecycle_size_filters_offered: the
    # provider's document offers them at all (False: the editor has no inputs for them).
    "lifecycle_size_filters": True,
    "lifecycle_size_filters_offered": True,
    "lifecycle_days_remove_expired_delete_markers": True,
    "lifecycle_transition_min_bytes": 0,
    # The provider document's own words on replication, quoted beside every refusal.
    "replication_sentence": "",
    "replication_filters": ("prefix", "tag"),
    # S3's own bucket policy limit (AWS: 20 KB); a provider documenting another says so.
    "policy_max_bytes": 20 * 1024,
}


# --------------------------------------------------------------------------------------
# Providers
# --------------------------------------------------------------------------------------

C, A, U = State.CONSOLE, State.API_ONLY, State.UNSUPPORTED

# A cell is a state, (state, note), or (state, note, source) when one row has its own source.
_Cell = State | tuple[State, str] | tuple[State, str, str]


def _column(source: str, cells: Mapping[str, _Cell]) -> dict[str, Availability]:
    """One bucket type's availability for every feature, in FEATURES order."""
    missing = FEATURES.keys() - cells.keys()
    extra = cells.keys() - FEATURES.keys()
    if missing or extra:
        raise ValueError(f"catalogue column is wrong: missing {missing}, unknown {extra}")
    column = {}
    for feature_id in FEATURES:
        cell = cells[feature_id]
        if isinstance(cell, tuple):
            column[feature_id] = Availability(cell[0], cell[1], cell[2] if len(cell) > 2 else source)
        else:
            column[feature_id] = Availability(cell, "", source)
    return column


def _fill(default: _Cell, **cells: _Cell) -> dict[str, _Cell]:
    unknown = cells.keys() - FEATURES.keys()
    if unknown:
        raise ValueError(f"unknown features in catalogue: {unknown}")
    return {feature_id: cells.get(feature_id, default) for feature_id in FEATURES}


# ---- IONOS ---------------------------------------------------------------------------

# A source is what a user can look up: the document's title (neither document states its own
# address), never a file name of this project.
IONOS_SOURCE = "IONOS Object Storage documentation, “S3 API Compatibility”"
_IONOS_API = "IONOS offers this only through the S3 API, not in a web console."
_IONOS_NO_CONTRACT = "Not supported by IONOS for contract-owned buckets."
_IONOS_NO_USER = "Not supported by IONOS for user-owned buckets."
_IONOS_OBJECT_ENCRYPTION = (
    "Server-side encryption is used by default in the web interface. Encryption with "
    "customer-provided keys (SSE-C) is available only through the API."
)

# Rows in the order of the document's table: feature -> (contract-owned, user-owned).
_IONOS_ROWS: dict[str, tuple[_Cell, _Cell]] = {
    "bucket_crud": (C, C),
    "object_crud": (C, C),
    "object_copy": (
        (C, "Only for buckets without encryption."),
        (C, "Cross-regional copying is not supported."),
    ),
    "multipart_upload": (C, C),
    "presigned_url": (C, C),
    "bucket_acl": ((C, "Without the Logging Group as a grantee."), C),
    "object_acl": (C, C),
    "block_public_access": ((A, _IONOS_API), (A, _IONOS_API)),
    "bucket_policy": (C, C),
    "cors": (C, C),
    "versioning": (C, C),
    # The contract-owned cell: "Cross-regional bucket replication is not supported for
    # contract-owned buckets but will be available soon. You can only replicate user-owned
    # buckets to contract-owned buckets. This function is supported both through the DCD and
    # the API." It sits in the column of what contract-owned buckets support and ends with
    # "supported through the DCD", so replication is offered, limited to the same region and
    # to contract-owned destinations; a contract-owned bucket never replicates to a
    # user-owned one. Cross-region appears only for user-owned sources.
    "replication": (
        (C, "Only within the region and only to another contract-owned bucket: cross-regional "
            "replication is not supported for contract-owned buckets yet (IONOS: \"will be "
            "available soon\"). User-owned buckets can replicate to contract-owned buckets."),
        (C, "Intraregional and cross-regional replication are supported, to user-owned or "
            "contract-owned buckets."),
    ),
    "bucket_tagging": ((A, _IONOS_API), (A, _IONOS_API)),
    "object_tagging": ((A, _IONOS_API), (A, _IONOS_API)),
    "lifecycle": (C, C),
    "access_logging": ((U, _IONOS_NO_CONTRACT), C),
    "bucket_encryption": ((A, _IONOS_API), (A, _IONOS_API)),
    "object_encryption": ((C, _IONOS_OBJECT_ENCRYPTION), (C, _IONOS_OBJECT_ENCRYPTION)),
    "website": ((C, "Redirects are available only through the API."), C),
    "inventory": ((U, _IONOS_NO_CONTRACT), (A, _IONOS_API)),
    "object_lock": (C, C),
    "legal_hold": (C, C),
    "object_ownership": ((U, _IONOS_NO_CONTRACT), C),
    "iam": (
        (U, "Not supported for contract-owned buckets yet; IONOS: \"available in the near "
            "future\"."),
        (U, _IONOS_NO_USER),
    ),
    "sts": ((U, _IONOS_NO_CONTRACT), (U, _IONOS_NO_USER)),
    "mfa": ((U, _IONOS_NO_CONTRACT), (U, _IONOS_NO_USER)),
    "notifications": ((U, _IONOS_NO_CONTRACT), (U, _IONOS_NO_USER)),
    "request_payment": (C, (U, _IONOS_NO_USER)),
    "metrics": ((U, _IONOS_NO_CONTRACT), (U, _IONOS_NO_USER)),
    "analytics": ((U, _IONOS_NO_CONTRACT), (U, _IONOS_NO_USER)),
    "accelerate": ((U, _IONOS_NO_CONTRACT), (U, _IONOS_NO_USER)),
    "object_query": (C, (U, _IONOS_NO_USER)),
}

# "Server-side encryption is used by default in the web interface" (IONOS_SOURCE).
_IONOS_SSE = {"sse_modes": ("SSE-S3",), "sse_c": "api_only", "sse_default": "SSE-S3",
              # The document does not name S3's additional checksums: the console sends none.
              "part_checksums": False}

# The document's replication row, word for word (quoted beside every refusal).
_IONOS_REPLICATION_CONTRACT = (
    "Cross-regional bucket replication is not supported for contract-owned buckets but will be "
    "available soon. You can only replicate user-owned buckets to contract-owned buckets. This "
    "function is supported both through the DCD and the API."
)
_IONOS_REPLICATION_USER = "Yes, intraregional and cross-regional replication are supported."

IONOS = Provider(
    id="ionos",
    label="IONOS Object Storage",
    bucket_types=(
        BucketType("contract-owned", "Contract-owned bucket",
                   "Owned by the contract; visible to every user the contract allows. "
                   "Regions eu-central-3, eu-central-4, us-central-1."),
        BucketType("user-owned", "User-owned bucket",
                   "Owned by the user who created it. Regions de, eu-central-2, eu-south-2."),
    ),
    regions=(
        Region("de", "Frankfurt (de, eu-central-1)", "https://s3.eu-central-1.ionoscloud.com",
               "user-owned"),
        Region("eu-central-2", "Berlin (eu-central-2)", "https://s3.eu-central-2.ionoscloud.com",
               "user-owned"),
        Region("eu-south-2", "Logroño (eu-south-2)", "https://s3.eu-south-2.ionoscloud.com",
               "user-owned"),
        Region("eu-central-3", "Berlin (eu-central-3)", "https://s3.eu-central-3.ionoscloud.com",
               "contract-owned"),
        Region("eu-central-4", "Frankfurt (eu-central-4)",
               "https://s3.eu-central-4.ionoscloud.com", "contract-owned"),
        Region("us-central-1", "Lenexa (us-central-1)", "https://s3.us-central-1.ionoscloud.com",
               "contract-owned"),
    ),
    addressing_style="path",
    signature_versions=("s3v4",),
    matrix={
        "contract-owned": _column(IONOS_SOURCE, {f: row[0] for f, row in _IONOS_ROWS.items()}),
        "user-owned": _column(IONOS_SOURCE, {f: row[1] for f, row in _IONOS_ROWS.items()}),
    },
    constraints={
        "contract-owned": {
            "canned_acls": BASIC_CANNED_ACLS,
            "copy_requires_unencrypted": True,
            "acl_logging_group_grantee": False,
            "replication_cross_region": False,
            "replication_target_types": ("contract-owned",),
            "replication_sentence": _IONOS_REPLICATION_CONTRACT,
            **_IONOS_SSE,
            "website_redirects": "api_only",
            # IONOS documents bucket policies up to 1 MB for contract-owned buckets.
            "policy_max_bytes": 1024 * 1024,
        },
        "user-owned": {
            "canned_acls": BASIC_CANNED_ACLS,
            "copy_requires_unencrypted": False,
            "cross_region_copy": False,
            "acl_logging_group_grantee": True,
            "replication_cross_region": True,
            "replication_target_types": ("user-owned", "contract-owned"),
            "replication_sentence": _IONOS_REPLICATION_USER,
            **_IONOS_SSE,
            "website_redirects": "console",
            # ... and up to 20 KB for user-owned buckets, as AWS.
            "policy_max_bytes": 20 * 1024,
        },
    },
    source=IONOS_SOURCE,
)


# ---- DigitalOcean Spaces ---------------------------------------------------------------

DO_SOURCE = "DigitalOcean documentation, “Spaces S3 Compatibility”"
_DO_NOT_LISTED = (
    "Not listed as supported in the Spaces S3 compatibility table; Spaces answers "
    "NotImplemented."
)
_DO_REGIONS = (
    ("nyc3", "New York"), ("sfo2", "San Francisco"), ("sfo3", "San Francisco"),
    ("ams3", "Amsterdam"), ("sgp1", "Singapore"), ("fra1", "Frankfurt"), ("syd1", "Sydney"),
    ("blr1", "Bangalore"), ("lon1", "London"), ("tor1", "Toronto"), ("atl1", "Atlanta"),
)

DIGITALOCEAN = Provider(
    id="digitalocean",
    label="DigitalOcean Spaces",
    bucket_types=(
        BucketType("standard", "Spaces bucket", "A Space: one bucket type in every region."),
    ),
    regions=tuple(
        Region(rid, f"{city} ({rid})", f"https://{rid}.digitaloceanspaces.com", "")
        for rid, city in _DO_REGIONS
    ),
    addressing_style="virtual",
    signature_versions=("s3v4", "s3"),
    matrix={
        "standard": _column(DO_SOURCE, _fill(
            (U, _DO_NOT_LISTED),
            # Not rows of the table, but a Space is a bucket and the table's own rows
            # (copy, ACLs, listing) presuppose creating buckets and storing objects.
            bucket_crud=(C, "Implied by the table: a Space is a bucket."),
            object_crud=(C, "Both ListObjects (legacy) and ListObjectsV2 are supported."),
            object_copy=(C, "Supported with CopyObject. Cross-region and cross-cluster copies "
                            "are not supported."),
            multipart_upload=(C, "UploadPartCopy is not supported across regions or "
                                 "clusters."),
            presigned_url=(C, "Supported with both Signature Version 2 and Version 4."),
            bucket_acl=(C, "Only the canned ACLs private and public-read."),
            object_acl=(C, "Only the canned ACLs private and public-read."),
            bucket_policy=(A, "Spaces supports bucket policies only through the API (not "
                              "configurable in the control panel)."),
            # The Preflight Requests row describes how Spaces answers OPTIONS, which only
            # exists when CORS rules are configured on the Space.
            cors=(C, "OPTIONS preflight requests need no permissions, but the bucket policy "
                     "or ACL must still allow the request that follows."),
            versioning=(A, "Spaces supports versioning only through the API (not "
                           "configurable in the control panel)."),
            lifecycle=(C, "Only time-based expiration and removing incomplete multipart "
                          "uploads. Tag-based lifecycle rules are not supported."),
            access_logging=(A, "Spaces supports access logging only through the API. The "
                               "source and destination buckets must be different."),
            bucket_encryption=(U, "Bucket-level encryption settings are not supported."),
            object_encryption=(C, "Only SSE-C (server-side encryption with customer-provided "
                                  "keys)."),
            website=(C, "Served at https://{bucket}.{region}-static.digitaloceanspaces.com. "
                        "CDN is not supported for bucket websites."),
        )),
    },
    constraints={
        "standard": {
            "canned_acls": ("private", "public-read"),
            "acl_grants": False,
            # The table does not name S3's additional checksums: the console sends none.
            "part_checksums": False,
            "cross_region_copy": False,
            "upload_part_copy_cross_region": False,
            "lifecycle_tag_filters": False,
            "lifecycle_actions": ("expiration", "abort_incomplete_multipart_upload"),
            # The Lifecycle row names time-based expiration and removing incomplete uploads,
            # nothing else; like every feature the table does not list, size filters are not
            # offered (and whether Spaces would apply or ignore them is not known).
            "lifecycle_size_filters_offered": False,
            # Replication is not a row of the table; the table ends with this one.
            "replication_sentence": "Unsupported S3 operations return a standard NotImplemented error.",
            "logging_target_must_differ": True,
            "sse_modes": ("SSE-C",),
            "sse_c": "console",
            "website_cdn": False,
            "list_objects_v1": True,
        },
    },
    website_url="https://{bucket}.{region}-static.digitaloceanspaces.com",
    source=DO_SOURCE,
    note="Unsupported S3 operations return a standard NotImplemented error.",
)


# ---- AWS -------------------------------------------------------------------------------

AWS_SOURCE = "AWS S3"
_AWS_NO_FORM = ("AWS's own console and its API configure this; this console has no form for it, "
                "so it is shown with the API call to use.")

_AWS_REGIONS = (
    ("us-east-1", "US East (N. Virginia)"),
    ("us-west-2", "US West (Oregon)"),
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("ap-southeast-1", "Asia Pacific (Singapore)"),
)

AWS = Provider(
    id="aws",
    label="Amazon S3",
    bucket_types=(
        BucketType("general-purpose", "General purpose bucket", "The standard S3 bucket."),
    ),
    regions=tuple(
        Region(rid, f"{name} ({rid})", f"https://s3.{rid}.amazonaws.com", "")
        for rid, name in _AWS_REGIONS
    ),
    addressing_style="virtual",
    # SigV2 is deprecated on S3 and refused in regions opened after 2014.
    signature_versions=("s3v4",),
    matrix={
        "general-purpose": _column(AWS_SOURCE, _fill(
            C,
            bucket_acl=(C, "New buckets disable ACLs (Object Ownership: bucket owner "
                           "enforced) until ownership controls allow them."),
            object_acl=(C, "Ignored while the bucket's Object Ownership is bucket owner "
                           "enforced."),
            iam=(A, "IAM is a separate AWS service with its own API."),
            sts=(A, "STS is a separate AWS service with its own API."),
            mfa=(A, "MFA delete can only be changed through the API with the root "
                    "account's MFA device."),
            object_query=(C, "Amazon S3 Select is closed to new AWS customers since July 2024; "
                             "existing customers can keep using it."),
            # AWS offers these in its own console; this console has no form for them, so the
            # feature pages must not say "Console" (tests/test_console_claims.py).
            accelerate=(A, _AWS_NO_FORM),
            analytics=(A, _AWS_NO_FORM),
            inventory=(A, _AWS_NO_FORM),
            metrics=(A, _AWS_NO_FORM),
            notifications=(A, _AWS_NO_FORM),
        )),
    },
    constraints={
        "general-purpose": {
            "canned_acls": AWS_CANNED_ACLS,
            "acl_grants": True,
            "sse_modes": ("SSE-S3", "SSE-KMS", "SSE-C"),
            "sse_c": "console",
            "lifecycle_actions": ALL_LIFECYCLE_ACTIONS,
            "policy_max_bytes": 20 * 1024,
            # Since September 2024 S3 does not transition objects smaller than 128 KB by default.
            "lifecycle_transition_min_bytes": 128 * 1024,
        },
    },
    source=AWS_SOURCE,
)


# ---- MinIO -----------------------------------------------------------------------------

MINIO_SOURCE = "MinIO"
_MINIO_NO = "Not implemented by MinIO."

MINIO = Provider(
    id="minio",
    label="MinIO",
    bucket_types=(BucketType("standard", "Bucket", "A MinIO bucket."),),
    regions=(Region("us-east-1", "Server region (us-east-1)", "", ""),),
    addressing_style="path",
    signature_versions=("s3v4",),
    matrix={
        "standard": _column(MINIO_SOURCE, _fill(
            C,
            # MinIO answers the ACL calls but only with a fixed owner grant: access is
            # governed by policies, so offering ACL editing would mislead.
            bucket_acl=(U, "MinIO does not implement ACLs; use bucket policies."),
            object_acl=(U, "MinIO does not implement ACLs; use bucket policies."),
            block_public_access=(U, _MINIO_NO),
            replication=(C, "Needs versioning on both buckets and a remote target created "
                            "with the MinIO admin API (mc admin bucket remote add)."),
            access_logging=(U, "MinIO has no bucket access logging; it sends audit logs to "
                               "webhooks configured on the server."),
            bucket_encryption=(C, "Needs a KMS (KES) configured on the server."),
            object_encryption=(C, "SSE-S3 and SSE-KMS need a KMS on the server; SSE-C needs "
                                  "TLS."),
            website=(U, "MinIO does not serve static websites."),
            inventory=(U, _MINIO_NO),
            object_ownership=(U, _MINIO_NO),
            iam=(A, "Users and policies are managed through the MinIO admin API (mc admin)."),
            sts=(A, "MinIO serves STS (AssumeRole and identity-provider flows) on its own "
                    "API."),
            mfa=(U, _MINIO_NO),
            notifications=(A, "Targets (webhook, queue) must be configured on the server "
                              "first; this console has no form for notification rules."),
            request_payment=(U, _MINIO_NO),
            metrics=(U, "MinIO exposes Prometheus metrics instead of S3 metrics "
                        "configurations."),
            analytics=(U, _MINIO_NO),
            accelerate=(U, _MINIO_NO),
            object_query=(C, "S3 Select is deprecated in recent MinIO releases."),
        )),
    },
    constraints={
        "standard": {
            "canned_acls": ("private",),
            "acl_grants": False,
            "sse_modes": ("SSE-S3", "SSE-KMS", "SSE-C"),
            "sse_c": "console",
        },
    },
    source=MINIO_SOURCE,
)


# ---- Ceph RGW --------------------------------------------------------------------------

CEPH_SOURCE = "Measured on Ceph RGW 16.2"
_CEPH_NOT_MEASURED = "Ceph RGW documentation (not measured)"
_CEPH_FAILS = "Fails on Ceph RGW 16.2 (measured)."

_CEPH_COLUMN = _column(CEPH_SOURCE, _fill(
    C,
    object_copy=(C, "CopySourceIfMatch is not enforced; copying an SSE-C object answers 501 "
                    "NotImplemented."),
    multipart_upload=(C, "CompleteMultipartUpload returns an empty ETag; HEAD the object "
                         "afterwards."),
    block_public_access=(C, "BlockPublicAcls refuses every PutObject; RestrictPublicBuckets "
                            "is ignored."),
    replication=(U, _CEPH_FAILS + " PutBucketReplication answers 405."),
    lifecycle=(C, "RGW returns an And{Prefix, Tags} filter as {Prefix, Tag}; both shapes are "
                  "read."),
    access_logging=(U, _CEPH_FAILS + " PutBucketLogging answers 405."),
    bucket_encryption=(U, _CEPH_FAILS + " PutBucketEncryption answers 400 InvalidArgument."),
    object_encryption=(C, "SSE-C and SSE-KMS only: SSE-S3 (AES256) is accepted but silently "
                          "ignored."),
    inventory=(U, _CEPH_FAILS),
    object_ownership=(U, _CEPH_FAILS),
    iam=(A, "RGW serves an IAM API for users' roles and policies; not measured here.",
         _CEPH_NOT_MEASURED),
    sts=(A, "RGW serves STS (AssumeRole, GetSessionToken); not measured here.",
         _CEPH_NOT_MEASURED),
    mfa=(A, "RGW supports MFA delete with TOTP tokens created by radosgw-admin; not measured "
            "here.", _CEPH_NOT_MEASURED),
    notifications=(A, "Topics must be created through the SNS API on the same endpoint, and an "
                      "empty configuration cannot clear notifications."),
    metrics=(U, _CEPH_FAILS),
    analytics=(U, _CEPH_FAILS),
    accelerate=(U, _CEPH_FAILS),
    object_query=(A, "RGW 16.2 accepts only its own dialect (select ... from stdin;), not AWS's "
                     "FROM S3Object."),
))

CEPH = Provider(
    id="ceph",
    label="Ceph RADOS Gateway",
    bucket_types=(BucketType("standard", "Bucket", "An RGW bucket."),),
    regions=(Region("us-east-1", "Default zone group (us-east-1)", "", ""),),
    addressing_style="path",
    # SigV2 header auth fails for bucket-level calls in path style; SigV2 presigned URLs work.
    signature_versions=("s3v4", "s3"),
    matrix={"standard": _CEPH_COLUMN},
    constraints={
        "standard": {
            # RGW rejects log-delivery-write; aws-exec-read is AWS-specific.
            "canned_acls": ("private", "public-read", "public-read-write",
                            "authenticated-read", "bucket-owner-read",
                            "bucket-owner-full-control"),
            "sse_modes": ("SSE-C", "SSE-KMS"),
            "sse_c": "console",
            "copy_sse_c_objects": False,
            "notifications_clear_with_empty_put": False,
            "select_dialect": "rgw",
            # Measured with a 10-second lifecycle day: an And{Prefix, ObjectSizeGreaterThan}
            # rule expired the 1- and 2-byte objects under the prefix too, and a delete marker
            # whose only version was gone stayed under an Expiration Days rule.
            "lifecycle_size_filters": False,
            "lifecycle_days_remove_expired_delete_markers": False,
            "replication_sentence": "RGW 16.2 answers PutBucketReplication with 405 MethodNotAllowed (measured).",
        },
    },
    source=CEPH_SOURCE,
    note="Not implemented calls come back as 400 InvalidArgument or 405 MethodNotAllowed, "
         "not 501.",
)


# ---- Generic ---------------------------------------------------------------------------

GENERIC_SOURCE = "Generic S3 (conservative default)"
_GENERIC_UNKNOWN = "Unknown for a generic endpoint: run Detect features."
_GENERIC_CORE = (
    "bucket_crud", "object_crud", "object_copy", "multipart_upload", "presigned_url",
    "bucket_acl", "object_acl", "bucket_policy", "cors", "versioning", "lifecycle",
    "object_tagging", "bucket_tagging",
)

GENERIC = Provider(
    id="generic",
    label="Other S3-compatible endpoint",
    bucket_types=(BucketType("standard", "Bucket", "A bucket on an S3-compatible endpoint."),),
    regions=(Region("us-east-1", "us-east-1", "", ""),),
    addressing_style="path",
    signature_versions=("s3v4",),
    matrix={
        "standard": _column(GENERIC_SOURCE, _fill(
            (U, _GENERIC_UNKNOWN), **dict.fromkeys(_GENERIC_CORE, C),
        )),
    },
    constraints={"standard": {"canned_acls": BASIC_CANNED_ACLS}},
    source=GENERIC_SOURCE,
)

PROVIDERS: dict[str, Provider] = {
    p.id: p for p in (IONOS, DIGITALOCEAN, AWS, MINIO, CEPH, GENERIC)
}


# --------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------

def get_provider(provider_id: str) -> Provider:
    """The provider, or the conservative generic one for an id the catalogue does not know."""
    return PROVIDERS.get(provider_id, GENERIC)


def get_region(provider_id: str, region_id: str) -> Region | None:
    return next((r for r in get_provider(provider_id).regions if r.id == region_id), None)


def creation_region(provider_id: str, *, endpoint_url: str, region: str) -> Region:
    """The one region a connection's endpoint creates buckets in.

    A region-specific endpoint refuses any other LocationConstraint ("incompatible for the
    region specific endpoint"), so the console offers only this one: the catalogue region
    whose endpoint the connection uses, else the catalogue region of the connection's region,
    else that region as the connection names it (a proxy, a test server, an unknown zone).
    """
    provider = get_provider(provider_id)
    host = urlsplit(endpoint_url or "").hostname or ""
    for candidate in provider.regions:
        if host and candidate.endpoint and urlsplit(candidate.endpoint).hostname == host:
            return candidate
    return get_region(provider.id, region) or Region(region, region, "", "")


def bucket_types_in(provider_id: str, region: Region) -> tuple[BucketType, ...]:
    """The bucket types a region can hold: its own type, or every type when it names none."""
    types = get_provider(provider_id).bucket_types
    return tuple(bt for bt in types if not region.bucket_type or bt.id == region.bucket_type) or types


def bucket_types(provider_id: str) -> tuple[BucketType, ...]:
    return get_provider(provider_id).bucket_types


def default_bucket_type(provider_id: str, region_id: str = "") -> str:
    """The bucket type that lives in the region, else the provider's first type."""
    provider = get_provider(provider_id)
    region = get_region(provider.id, region_id) if region_id else None
    if region is not None and region.bucket_type:
        return region.bucket_type
    return provider.bucket_types[0].id


def _bucket_type_id(provider: Provider, bucket_type: str) -> str:
    # A connection may carry an empty or stale type (provider changed to generic, say):
    # the default type is a safer answer for a page than an exception.
    return bucket_type if bucket_type in provider.matrix else provider.bucket_types[0].id


def _as_state(value: object) -> State | None:
    if isinstance(value, Availability):
        return value.state
    try:
        return State(str(value))
    except ValueError:
        return None


DETECT_SOURCE = "Detect features on this endpoint"
_DETECTED_NOTE = {
    State.CONSOLE: "Detect features found this endpoint answers it.",
    State.API_ONLY: "Detect features marked it as available only through the API.",
    State.UNSUPPORTED: "Detect features found this endpoint does not implement it.",
}
_NARROWED_NOTE = (
    "The provider documents it, but this endpoint refused it when features were detected."
)


def availability(
    provider_id: str,
    bucket_type: str,
    feature_id: str,
    overrides: Mapping[str, object] | None = None,
) -> Availability:
    """How `feature_id` is offered for buckets of `bucket_type` at this provider.

    `overrides` holds what "Detect features" found on the endpoint ({feature_id: state}).
    For the generic provider it decides; for a known provider it can only narrow (a
    documented feature that the endpoint refuses becomes unsupported), never widen.
    """
    if feature_id not in FEATURES:
        raise KeyError(f"unknown feature {feature_id!r}")
    provider = get_provider(provider_id)
    base = provider.matrix[_bucket_type_id(provider, bucket_type)][feature_id]
    detected = _as_state(overrides.get(feature_id)) if overrides else None
    if detected is None:
        return base
    if provider.id == GENERIC.id:
        return Availability(detected, _DETECTED_NOTE[detected], DETECT_SOURCE)
    if _RANK[detected] < _RANK[base.state]:
        return Availability(detected, _NARROWED_NOTE, DETECT_SOURCE)
    return base


def matrix(
    provider_id: str, bucket_type: str, overrides: Mapping[str, object] | None = None
) -> dict[str, Availability]:
    return {fid: availability(provider_id, bucket_type, fid, overrides) for fid in FEATURES}


def constraint(provider_id: str, bucket_type: str, name: str, default: object = None) -> object:
    """A constraint's value; when the provider states none, `default`, else S3's behaviour."""
    provider = get_provider(provider_id)
    values = provider.constraints.get(_bucket_type_id(provider, bucket_type), {})
    if name in values:
        return values[name]
    if default is not None:
        return default
    return CONSTRAINT_DEFAULTS.get(name)


def canned_acls(provider_id: str, bucket_type: str) -> tuple[str, ...]:
    value = constraint(provider_id, bucket_type, "canned_acls")
    return tuple(str(acl) for acl in value) if isinstance(value, tuple | list) else ()


def website_endpoint(provider_id: str, bucket: str, region: str) -> str:
    """The public website URL of a bucket, or "" where the provider has no fixed pattern."""
    template = get_provider(provider_id).website_url
    return template.format(bucket=bucket, region=region) if template else ""


def as_json() -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    return {
        pid: {
            type_id: {fid: {"state": a.state.value, "note": a.note} for fid, a in column.items()}
            for type_id, column in provider.matrix.items()
        }
        for pid, provider in PROVIDERS.items()
    }


_CELL_LABEL = {State.CONSOLE: "console", State.API_ONLY: "API only", State.UNSUPPORTED: "-"}


def as_table(provider_id: str | None = None) -> str:
    """A plain-text grid of every feature per bucket type, with the constraints below."""
    providers = [get_provider(provider_id)] if provider_id else list(PROVIDERS.values())
    blocks = []
    for provider in providers:
        types = [t.id for t in provider.bucket_types]
        first = max(len(f"{f.label} ({f.id})") for f in FEATURES.values())
        widths = [max(len(t), 9) for t in types]
        lines = [f"{provider.label} [{provider.id}]  source: {provider.source}"]
        if provider.note:
            lines.append(f"  {provider.note}")
        lines.append("  ".join(["feature".ljust(first)] + [t.ljust(w) for t, w in
                                                             zip(types, widths, strict=True)]))
        lines.append("  ".join(["-" * first] + ["-" * w for w in widths]))
        for feature in FEATURES.values():
            cells = [_CELL_LABEL[provider.matrix[t][feature.id].state].ljust(w)
                     for t, w in zip(types, widths, strict=True)]
            lines.append("  ".join([f"{feature.label} ({feature.id})".ljust(first), *cells]))
        for type_id in types:
            values = provider.constraints.get(type_id, {})
            shown = "; ".join(f"{k}={_plain(v)}" for k, v in values.items())
            lines.append(f"constraints {type_id}: {shown or 'none'}")
        blocks.append("\n".join(line.rstrip() for line in lines))
    return "\n\n".join(blocks) + "\n"


def _plain(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "()"
    return str(value)

