"""What each S3 provider offers, per bucket type, as data.

Views, forms, templates and tests read this module instead of branching on provider names.
Every row of the two provider documents in ``/work/shared/seeds`` (IONOS and DigitalOcean
Spaces) is encoded here with the document as its source; the Ceph rows come from what was
measured on RGW 16.2 (``S3_BACKENDS.md``). Pure Python: no Django models, no boto3, so the
gateway, the management command and plain unit tests can all import it.
"""

from __future__ import annotations

import json
import pprint
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote


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
    "policy_max_bytes": None,  # None: the provider publishes no limit
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

IONOS_SOURCE = "IONOS S3 API compatibility (seeds/000)"
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

# "Server-side encryption is used by default in the web interface" (seeds/000).
_IONOS_SSE = {"sse_modes": ("SSE-S3",), "sse_c": "api_only", "sse_default": "SSE-S3"}

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
            **_IONOS_SSE,
            "website_redirects": "api_only",
        },
        "user-owned": {
            "canned_acls": BASIC_CANNED_ACLS,
            "copy_requires_unencrypted": False,
            "cross_region_copy": False,
            "acl_logging_group_grantee": True,
            "replication_cross_region": True,
            "replication_target_types": ("user-owned", "contract-owned"),
            **_IONOS_SSE,
            "website_redirects": "console",
        },
    },
    source=IONOS_SOURCE,
)


# ---- DigitalOcean Spaces ---------------------------------------------------------------

DO_SOURCE = "DigitalOcean Spaces S3 compatibility (seeds/003)"
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
            "cross_region_copy": False,
            "upload_part_copy_cross_region": False,
            "lifecycle_tag_filters": False,
            "lifecycle_actions": ("expiration", "abort_incomplete_multipart_upload"),
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
            notifications=(C, "Targets (webhook, queue) must be configured on the server "
                              "first."),
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

CEPH_SOURCE = "Ceph 16.2 measured (S3_BACKENDS.md)"
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


# --------------------------------------------------------------------------------------
# API snippets: what to run when a feature is api_only here (or to script it anyway)
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Ctx:
    endpoint: str
    bucket: str
    region: str
    key: str

    @property
    def b(self) -> str:  # bucket, shell-quoted
        return shlex.quote(self.bucket)

    @property
    def k(self) -> str:  # key, shell-quoted
        return shlex.quote(self.key)

    @property
    def tail(self) -> str:
        parts = []
        if self.endpoint:
            parts.append(f"--endpoint-url {shlex.quote(self.endpoint)}")
        if self.region:
            parts.append(f"--region {shlex.quote(self.region)}")
        return (" " + " ".join(parts)) if parts else ""

    def client(self, service: str = "s3", name: str = "s3") -> str:
        return (
            f"{name} = boto3.client({service!r}, endpoint_url={self.endpoint or None!r}, "
            f"region_name={self.region or None!r})"
        )

    def py(self, body: str, *, imports: str = "", service: str = "s3") -> str:
        head = "import boto3\n" + (imports + "\n" if imports else "")
        return (
            f"{head}\n# Credentials come from the environment or ~/.aws/credentials.\n"
            f"{self.client(service, service)}\n{body}\n"
        )


def _j(doc: object) -> str:
    return shlex.quote(json.dumps(doc, separators=(",", ":")))


def _p(doc: object) -> str:
    return pprint.pformat(doc, width=88, sort_dicts=False)


def _create_bucket(c: _Ctx, extra: str = "") -> str:
    # us-east-1 is the one region where S3 refuses an explicit LocationConstraint.
    location = (
        f" --create-bucket-configuration LocationConstraint={shlex.quote(c.region)}"
        if c.region and c.region != "us-east-1" else ""
    )
    return f"aws s3api create-bucket --bucket {c.b}{location}{extra}{c.tail}"


def _create_bucket_py(c: _Ctx, extra: str = "") -> str:
    location = (
        f", CreateBucketConfiguration={{'LocationConstraint': {c.region!r}}}"
        if c.region and c.region != "us-east-1" else ""
    )
    return f"s3.create_bucket(Bucket={c.bucket!r}{location}{extra})"


def _s_bucket_crud(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        _create_bucket(c),
        f"aws s3api head-bucket --bucket {c.b}{c.tail}",
        f"aws s3api list-buckets{c.tail}",
        "# the bucket must be empty before it can be deleted",
        f"aws s3api delete-bucket --bucket {c.b}{c.tail}",
    ])
    py = c.py("\n".join([
        _create_bucket_py(c),
        f"s3.head_bucket(Bucket={c.bucket!r})",
        'print([b["Name"] for b in s3.list_buckets()["Buckets"]])',
        f"s3.delete_bucket(Bucket={c.bucket!r})  # the bucket must be empty",
    ]))
    return cli, py


def _s_object_crud(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-object --bucket {c.b} --key {c.k} --body ./local-file{c.tail}",
        f"aws s3api list-objects-v2 --bucket {c.b}{c.tail}",
        f"aws s3api get-object --bucket {c.b} --key {c.k} ./downloaded{c.tail}",
        f"aws s3api delete-object --bucket {c.b} --key {c.k}{c.tail}",
    ])
    py = c.py("\n".join([
        f"s3.put_object(Bucket={c.bucket!r}, Key={c.key!r}, Body=b'hello')",
        f"for item in s3.list_objects_v2(Bucket={c.bucket!r}).get('Contents', []):",
        "    print(item['Key'], item['Size'])",
        f"print(s3.get_object(Bucket={c.bucket!r}, Key={c.key!r})['Body'].read())",
        f"s3.delete_object(Bucket={c.bucket!r}, Key={c.key!r})",
    ]))
    return cli, py


def _s_object_copy(c: _Ctx) -> tuple[str, str]:
    target = f"{c.key}.copy"
    # --copy-source must be URL-encoded; bucket names never need it, keys may.
    source = quote(f"{c.bucket}/{c.key}", safe="/")
    cli = (f"aws s3api copy-object --bucket {c.b} --key {shlex.quote(target)} "
           f"--copy-source {shlex.quote(source)}{c.tail}")
    py = c.py(f"s3.copy_object(Bucket={c.bucket!r}, Key={target!r}, "
              f"CopySource={{'Bucket': {c.bucket!r}, 'Key': {c.key!r}}})")
    return cli, py


def _s_multipart_upload(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        "# aws s3 cp switches to a multipart upload above 8 MiB",
        f"aws s3 cp ./large-file {shlex.quote(f's3://{c.bucket}/{c.key}')}{c.tail}",
        f"aws s3api list-multipart-uploads --bucket {c.b}{c.tail}",
        "# abort an unfinished upload (UploadId from the listing):",
        f"aws s3api abort-multipart-upload --bucket {c.b} --key {c.k} --upload-id UPLOAD_ID"
        f"{c.tail}",
    ])
    py = c.py("\n".join([
        f"s3.upload_file('large-file', {c.bucket!r}, {c.key!r}, "
        "Config=TransferConfig(multipart_threshold=8 * 1024 * 1024))",
        f"for upload in s3.list_multipart_uploads(Bucket={c.bucket!r}).get('Uploads', []):",
        "    print(upload['Key'], upload['UploadId'])",
    ]), imports="from boto3.s3.transfer import TransferConfig")
    return cli, py


def _s_presigned_url(c: _Ctx) -> tuple[str, str]:
    cli = f"aws s3 presign {shlex.quote(f's3://{c.bucket}/{c.key}')} --expires-in 3600{c.tail}"
    py = c.py(
        "url = s3.generate_presigned_url(\n"
        f"    'get_object', Params={{'Bucket': {c.bucket!r}, 'Key': {c.key!r}}}, ExpiresIn=3600\n"
        ")\nprint(url)"
    )
    return cli, py


def _s_bucket_acl(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api get-bucket-acl --bucket {c.b}{c.tail}",
        f"aws s3api put-bucket-acl --bucket {c.b} --acl private{c.tail}",
    ])
    py = c.py(f"print(s3.get_bucket_acl(Bucket={c.bucket!r})['Grants'])\n"
              f"s3.put_bucket_acl(Bucket={c.bucket!r}, ACL='private')")
    return cli, py


def _s_object_acl(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api get-object-acl --bucket {c.b} --key {c.k}{c.tail}",
        f"aws s3api put-object-acl --bucket {c.b} --key {c.k} --acl private{c.tail}",
    ])
    py = c.py(f"print(s3.get_object_acl(Bucket={c.bucket!r}, Key={c.key!r})['Grants'])\n"
              f"s3.put_object_acl(Bucket={c.bucket!r}, Key={c.key!r}, ACL='private')")
    return cli, py


def _s_block_public_access(c: _Ctx) -> tuple[str, str]:
    config = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
              "RestrictPublicBuckets": True}
    cli = "\n".join([
        f"aws s3api put-public-access-block --bucket {c.b} "
        f"--public-access-block-configuration {_j(config)}{c.tail}",
        f"aws s3api get-public-access-block --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_public_access_block(\n    Bucket={c.bucket!r},\n"
              f"    PublicAccessBlockConfiguration={_p(config)},\n)\n"
              f"print(s3.get_public_access_block(Bucket={c.bucket!r}))")
    return cli, py


def _s_bucket_policy(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api get-bucket-policy --bucket {c.b}{c.tail}",
        "# policy.json: a JSON policy whose Resource names "
        f"arn:aws:s3:::{c.bucket} and arn:aws:s3:::{c.bucket}/*",
        f"aws s3api put-bucket-policy --bucket {c.b} --policy file://policy.json{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_policy(Bucket={c.bucket!r}, "
              "Policy=Path('policy.json').read_text())\n"
              f"print(s3.get_bucket_policy(Bucket={c.bucket!r})['Policy'])",
              imports="from pathlib import Path")
    return cli, py


def _s_cors(c: _Ctx) -> tuple[str, str]:
    config = {"CORSRules": [{"AllowedOrigins": ["https://example.com"],
                             "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"],
                             "MaxAgeSeconds": 3000}]}
    cli = "\n".join([
        f"aws s3api put-bucket-cors --bucket {c.b} --cors-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-cors --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_cors(Bucket={c.bucket!r}, CORSConfiguration={_p(config)})\n"
              f"print(s3.get_bucket_cors(Bucket={c.bucket!r})['CORSRules'])")
    return cli, py


def _s_versioning(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-bucket-versioning --bucket {c.b} "
        f"--versioning-configuration Status=Enabled{c.tail}",
        f"aws s3api get-bucket-versioning --bucket {c.b}{c.tail}",
        f"aws s3api list-object-versions --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_versioning(Bucket={c.bucket!r}, "
              "VersioningConfiguration={'Status': 'Enabled'})\n"
              f"print(s3.get_bucket_versioning(Bucket={c.bucket!r}).get('Status'))")
    return cli, py


def _s_replication(c: _Ctx) -> tuple[str, str]:
    config = {
        # AWS needs a real IAM role here; other providers accept any well-formed ARN.
        "Role": "arn:aws:iam::123456789012:role/replication",
        "Rules": [{"ID": "replicate-all", "Priority": 1, "Status": "Enabled", "Filter": {},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": f"arn:aws:s3:::{c.bucket}-replica"}}],
    }
    cli = "\n".join([
        "# versioning must be enabled on both buckets; replace the Role and destination ARNs",
        f"aws s3api put-bucket-replication --bucket {c.b} "
        f"--replication-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-replication --bucket {c.b}{c.tail}",
    ])
    py = c.py("# versioning must be enabled on both buckets\n"
              f"s3.put_bucket_replication(\n    Bucket={c.bucket!r},\n"
              f"    ReplicationConfiguration={_p(config)},\n)")
    return cli, py


def _s_bucket_tagging(c: _Ctx) -> tuple[str, str]:
    tags = {"TagSet": [{"Key": "team", "Value": "storage"}]}
    cli = "\n".join([
        f"aws s3api put-bucket-tagging --bucket {c.b} --tagging {_j(tags)}{c.tail}",
        f"aws s3api get-bucket-tagging --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_tagging(Bucket={c.bucket!r}, Tagging={_p(tags)})\n"
              f"print(s3.get_bucket_tagging(Bucket={c.bucket!r})['TagSet'])")
    return cli, py


def _s_object_tagging(c: _Ctx) -> tuple[str, str]:
    tags = {"TagSet": [{"Key": "team", "Value": "storage"}]}
    cli = "\n".join([
        f"aws s3api put-object-tagging --bucket {c.b} --key {c.k} --tagging {_j(tags)}{c.tail}",
        f"aws s3api get-object-tagging --bucket {c.b} --key {c.k}{c.tail}",
    ])
    py = c.py(f"s3.put_object_tagging(Bucket={c.bucket!r}, Key={c.key!r}, Tagging={_p(tags)})\n"
              f"print(s3.get_object_tagging(Bucket={c.bucket!r}, Key={c.key!r})['TagSet'])")
    return cli, py


def _s_lifecycle(c: _Ctx) -> tuple[str, str]:
    # Only expiration by age and aborting unfinished uploads, with a prefix filter: the
    # subset every provider here accepts (Spaces allows nothing more).
    config = {"Rules": [{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                         "Expiration": {"Days": 30},
                         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}
    cli = "\n".join([
        f"aws s3api put-bucket-lifecycle-configuration --bucket {c.b} "
        f"--lifecycle-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-lifecycle-configuration --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_lifecycle_configuration(\n    Bucket={c.bucket!r},\n"
              f"    LifecycleConfiguration={_p(config)},\n)")
    return cli, py


def _s_access_logging(c: _Ctx) -> tuple[str, str]:
    status = {"LoggingEnabled": {"TargetBucket": f"{c.bucket}-logs",
                                 "TargetPrefix": f"{c.bucket}/"}}
    cli = "\n".join([
        "# the target bucket must exist and be a different bucket from the source",
        f"aws s3api put-bucket-logging --bucket {c.b} --bucket-logging-status {_j(status)}"
        f"{c.tail}",
        f"aws s3api get-bucket-logging --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_logging(Bucket={c.bucket!r}, BucketLoggingStatus={_p(status)})\n"
              f"print(s3.get_bucket_logging(Bucket={c.bucket!r}).get('LoggingEnabled'))")
    return cli, py


def _s_bucket_encryption(c: _Ctx) -> tuple[str, str]:
    config = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    cli = "\n".join([
        f"aws s3api put-bucket-encryption --bucket {c.b} "
        f"--server-side-encryption-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-encryption --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_encryption(\n    Bucket={c.bucket!r},\n"
              f"    ServerSideEncryptionConfiguration={_p(config)},\n)")
    return cli, py


def _s_object_encryption(c: _Ctx) -> tuple[str, str]:
    url = shlex.quote(f"s3://{c.bucket}/{c.key}")
    cli = "\n".join([
        "# SSE-C: keep sse-c.key safe, the object cannot be read without it",
        "openssl rand -out sse-c.key 32",
        f"aws s3 cp ./local-file {url} --sse-c AES256 --sse-c-key fileb://sse-c.key{c.tail}",
        f"aws s3 cp {url} ./downloaded --sse-c AES256 --sse-c-key fileb://sse-c.key{c.tail}",
        "# SSE-S3, where the provider offers it:",
        f"aws s3api put-object --bucket {c.b} --key {c.k} --body ./local-file "
        f"--server-side-encryption AES256{c.tail}",
    ])
    py = c.py("\n".join([
        "sse_key = os.urandom(32)  # keep it safe: the object cannot be read without it",
        f"s3.put_object(Bucket={c.bucket!r}, Key={c.key!r}, Body=b'secret',",
        "              SSECustomerAlgorithm='AES256', SSECustomerKey=sse_key)",
        f"body = s3.get_object(Bucket={c.bucket!r}, Key={c.key!r},",
        "                     SSECustomerAlgorithm='AES256', SSECustomerKey=sse_key)['Body']",
    ]), imports="import os")
    return cli, py


def _s_website(c: _Ctx) -> tuple[str, str]:
    config = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}}
    cli = "\n".join([
        f"aws s3api put-bucket-website --bucket {c.b} --website-configuration {_j(config)}"
        f"{c.tail}",
        f"aws s3api get-bucket-website --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_website(Bucket={c.bucket!r}, WebsiteConfiguration={_p(config)})")
    return cli, py


def _s_inventory(c: _Ctx) -> tuple[str, str]:
    config = {"Id": "weekly", "IsEnabled": True, "IncludedObjectVersions": "Current",
              "Schedule": {"Frequency": "Weekly"},
              "Destination": {"S3BucketDestination": {
                  "Bucket": f"arn:aws:s3:::{c.bucket}-inventory", "Format": "CSV"}}}
    cli = "\n".join([
        f"aws s3api put-bucket-inventory-configuration --bucket {c.b} --id weekly "
        f"--inventory-configuration {_j(config)}{c.tail}",
        f"aws s3api list-bucket-inventory-configurations --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_inventory_configuration(\n    Bucket={c.bucket!r}, Id='weekly',\n"
              f"    InventoryConfiguration={_p(config)},\n)")
    return cli, py


def _s_object_lock(c: _Ctx) -> tuple[str, str]:
    config = {"ObjectLockEnabled": "Enabled",
              "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    cli = "\n".join([
        "# Object Lock can only be switched on when the bucket is created",
        _create_bucket(c, " --object-lock-enabled-for-bucket"),
        f"aws s3api put-object-lock-configuration --bucket {c.b} "
        f"--object-lock-configuration {_j(config)}{c.tail}",
        f"aws s3api get-object-lock-configuration --bucket {c.b}{c.tail}",
    ])
    py = c.py("\n".join([
        _create_bucket_py(c, ", ObjectLockEnabledForBucket=True"),
        f"s3.put_object_lock_configuration(\n    Bucket={c.bucket!r},\n"
        f"    ObjectLockConfiguration={_p(config)},\n)",
    ]))
    return cli, py


def _s_legal_hold(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-object-legal-hold --bucket {c.b} --key {c.k} --legal-hold Status=ON"
        f"{c.tail}",
        f"aws s3api get-object-legal-hold --bucket {c.b} --key {c.k}{c.tail}",
    ])
    py = c.py(f"s3.put_object_legal_hold(Bucket={c.bucket!r}, Key={c.key!r}, "
              "LegalHold={'Status': 'ON'})")
    return cli, py


def _s_object_ownership(c: _Ctx) -> tuple[str, str]:
    controls = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    cli = "\n".join([
        "# BucketOwnerEnforced switches ACLs off for the bucket",
        f"aws s3api put-bucket-ownership-controls --bucket {c.b} "
        f"--ownership-controls {_j(controls)}{c.tail}",
        f"aws s3api get-bucket-ownership-controls --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_ownership_controls(Bucket={c.bucket!r}, "
              f"OwnershipControls={_p(controls)})")
    return cli, py


def _s_iam(c: _Ctx) -> tuple[str, str]:
    user = f"{c.bucket}-reader"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{c.bucket}", f"arn:aws:s3:::{c.bucket}/*"]}]}
    cli = "\n".join([
        "# IAM is its own API. On AWS leave out --endpoint-url (IAM is global); stores that",
        "# offer it (Ceph RGW, MinIO's admin API differs) serve it on their own endpoint.",
        f"aws iam create-user --user-name {shlex.quote(user)}{c.tail}",
        f"aws iam put-user-policy --user-name {shlex.quote(user)} --policy-name read-bucket "
        f"--policy-document {_j(policy)}{c.tail}",
        f"aws iam create-access-key --user-name {shlex.quote(user)}{c.tail}",
    ])
    py = c.py("\n".join([
        f"iam.create_user(UserName={user!r})",
        f"iam.put_user_policy(UserName={user!r}, PolicyName='read-bucket',",
        f"                    PolicyDocument=json.dumps({_p(policy)}))",
    ]), imports="import json", service="iam")
    return cli, py


def _s_sts(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        "# STS is its own API; on AWS leave out --endpoint-url.",
        f"aws sts get-session-token --duration-seconds 3600{c.tail}",
        "# export AccessKeyId, SecretAccessKey and SessionToken from the answer as",
        "# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, then:",
        f"aws s3api list-objects-v2 --bucket {c.b}{c.tail}",
    ])
    py = c.py("\n".join([
        "creds = sts.get_session_token(DurationSeconds=3600)['Credentials']",
        "s3 = boto3.client(",
        f"    's3', endpoint_url={c.endpoint or None!r}, region_name={c.region or None!r},",
        "    aws_access_key_id=creds['AccessKeyId'],",
        "    aws_secret_access_key=creds['SecretAccessKey'],",
        "    aws_session_token=creds['SessionToken'],",
        ")",
        f"print(s3.list_objects_v2(Bucket={c.bucket!r}).get('KeyCount'))",
    ]), service="sts")
    return cli, py


def _s_mfa(c: _Ctx) -> tuple[str, str]:
    mfa = "arn:aws:iam::123456789012:mfa/root-account-mfa-device 123456"
    cli = "\n".join([
        "# Only the bucket owner's root credentials with their MFA device can change MFA delete;",
        "# --mfa is the device serial (ARN), a space, and the current code.",
        f"aws s3api put-bucket-versioning --bucket {c.b} "
        "--versioning-configuration Status=Enabled,MFADelete=Enabled "
        f"--mfa {shlex.quote(mfa)}{c.tail}",
        f"aws s3api get-bucket-versioning --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_versioning(\n    Bucket={c.bucket!r},\n"
              "    VersioningConfiguration={'Status': 'Enabled', 'MFADelete': 'Enabled'},\n"
              f"    MFA={mfa!r},  # device ARN, a space, the current code\n)")
    return cli, py


def _s_notifications(c: _Ctx) -> tuple[str, str]:
    config = {"TopicConfigurations": [{"TopicArn": "TOPIC_ARN",
                                       "Events": ["s3:ObjectCreated:*"]}]}
    topic = shlex.quote(f"{c.bucket}-events")
    cli = "\n".join([
        "# Topics come from SNS: on AWS use SNS's own endpoint; Ceph RGW serves SNS on the",
        "# storage endpoint. Put the TopicArn it prints in place of TOPIC_ARN.",
        f"aws sns create-topic --name {topic}{c.tail}",
        f"aws s3api put-bucket-notification-configuration --bucket {c.b} "
        f"--notification-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-notification-configuration --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_notification_configuration(\n    Bucket={c.bucket!r},\n"
              f"    NotificationConfiguration={_p(config)},\n)")
    return cli, py


def _s_request_payment(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-bucket-request-payment --bucket {c.b} "
        f"--request-payment-configuration Payer=Requester{c.tail}",
        f"aws s3api get-bucket-request-payment --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_request_payment(Bucket={c.bucket!r}, "
              "RequestPaymentConfiguration={'Payer': 'Requester'})")
    return cli, py


def _s_metrics(c: _Ctx) -> tuple[str, str]:
    config = {"Id": "EntireBucket"}
    cli = "\n".join([
        f"aws s3api put-bucket-metrics-configuration --bucket {c.b} --id EntireBucket "
        f"--metrics-configuration {_j(config)}{c.tail}",
        f"aws s3api list-bucket-metrics-configurations --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_metrics_configuration(Bucket={c.bucket!r}, Id='EntireBucket', "
              f"MetricsConfiguration={_p(config)})")
    return cli, py


def _s_analytics(c: _Ctx) -> tuple[str, str]:
    config = {"Id": "all-objects", "StorageClassAnalysis": {}}
    cli = "\n".join([
        f"aws s3api put-bucket-analytics-configuration --bucket {c.b} --id all-objects "
        f"--analytics-configuration {_j(config)}{c.tail}",
        f"aws s3api list-bucket-analytics-configurations --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_analytics_configuration(Bucket={c.bucket!r}, Id='all-objects', "
              f"AnalyticsConfiguration={_p(config)})")
    return cli, py


def _s_accelerate(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-bucket-accelerate-configuration --bucket {c.b} "
        f"--accelerate-configuration Status=Enabled{c.tail}",
        f"aws s3api get-bucket-accelerate-configuration --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_accelerate_configuration(Bucket={c.bucket!r}, "
              "AccelerateConfiguration={'Status': 'Enabled'})")
    return cli, py


def _s_object_query(c: _Ctx) -> tuple[str, str]:
    sql = "SELECT * FROM S3Object s LIMIT 10"
    input_ser = {"CSV": {"FileHeaderInfo": "USE"}, "CompressionType": "NONE"}
    output_ser = {"CSV": {}}
    cli = "\n".join([
        "# Ceph RGW 16.2 wants its own dialect instead: select * from stdin;",
        f"aws s3api select-object-content --bucket {c.b} --key {c.k} "
        f"--expression {shlex.quote(sql)} --expression-type SQL "
        f"--input-serialization {_j(input_ser)} --output-serialization {_j(output_ser)} "
        f"result.csv{c.tail}",
    ])
    py = c.py("\n".join([
        "answer = s3.select_object_content(",
        f"    Bucket={c.bucket!r}, Key={c.key!r}, Expression={sql!r}, ExpressionType='SQL',",
        f"    InputSerialization={_p(input_ser)}, OutputSerialization={_p(output_ser)},",
        ")",
        "for event in answer['Payload']:",
        "    if 'Records' in event:",
        "        print(event['Records']['Payload'].decode(), end='')",
    ]))
    return cli, py


_SNIPPETS: dict[str, Callable[[_Ctx], tuple[str, str]]] = {
    "bucket_crud": _s_bucket_crud,
    "object_crud": _s_object_crud,
    "object_copy": _s_object_copy,
    "multipart_upload": _s_multipart_upload,
    "presigned_url": _s_presigned_url,
    "bucket_acl": _s_bucket_acl,
    "object_acl": _s_object_acl,
    "block_public_access": _s_block_public_access,
    "bucket_policy": _s_bucket_policy,
    "cors": _s_cors,
    "versioning": _s_versioning,
    "replication": _s_replication,
    "bucket_tagging": _s_bucket_tagging,
    "object_tagging": _s_object_tagging,
    "lifecycle": _s_lifecycle,
    "access_logging": _s_access_logging,
    "bucket_encryption": _s_bucket_encryption,
    "object_encryption": _s_object_encryption,
    "website": _s_website,
    "inventory": _s_inventory,
    "object_lock": _s_object_lock,
    "legal_hold": _s_legal_hold,
    "object_ownership": _s_object_ownership,
    "iam": _s_iam,
    "sts": _s_sts,
    "mfa": _s_mfa,
    "notifications": _s_notifications,
    "request_payment": _s_request_payment,
    "metrics": _s_metrics,
    "analytics": _s_analytics,
    "accelerate": _s_accelerate,
    "object_query": _s_object_query,
}


def api_snippets(
    feature_id: str, *, endpoint: str, bucket: str, region: str, key: str = ""
) -> dict[str, str]:
    """Ready-to-run AWS CLI and boto3 code for the feature against this endpoint and bucket.

    Values are shell-quoted in the CLI text and Python literals in the boto3 text, so odd
    keys stay safe to paste. Credentials are never part of a snippet.
    """
    if feature_id not in _SNIPPETS:
        raise KeyError(f"unknown feature {feature_id!r}")
    ctx = _Ctx(endpoint=endpoint, bucket=bucket, region=region, key=key or "example.txt")
    cli, py = _SNIPPETS[feature_id](ctx)
    return {"aws": cli, "boto3": py}
