"""The provider catalogue against the documents it encodes.

The IONOS and DigitalOcean tables below are copied from the two provider documents (seeds 000
and 003 of the shared notes), cell text included, so a catalogue that drifts from the documents
fails here. Imports only buckets.catalogue and buckets.snippets: it runs without Django settings.
"""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from buckets import catalogue
from buckets.catalogue import (
    DETECT_PROBES,
    FEATURES,
    PROVIDERS,
    Availability,
    State,
    availability,
    canned_acls,
    constraint,
    default_bucket_type,
)
from buckets.snippets import api_snippets

ROOT = Path(__file__).resolve().parent.parent
C, A, U = State.CONSOLE, State.API_ONLY, State.UNSUPPORTED

FEATURE_ORDER = [
    "bucket_crud", "object_crud", "object_copy", "multipart_upload", "presigned_url",
    "bucket_acl", "object_acl", "block_public_access", "bucket_policy", "cors", "versioning",
    "replication", "bucket_tagging", "object_tagging", "lifecycle", "access_logging",
    "bucket_encryption", "object_encryption", "website", "inventory", "object_lock",
    "legal_hold", "object_ownership", "iam", "sts", "mfa", "notifications", "request_payment",
    "metrics", "analytics", "accelerate", "object_query",
]

# ---------------------------------------------------------------------------------------
# IONOS (seeds/000): row label, contract-owned cell, user-owned cell, feature id,
# expected states (contract, user), expected constraints (contract, user).
# ---------------------------------------------------------------------------------------
_ENC = ("Yes, server-side encryption is used by default in the web interface. The encryption "
        "with customer-managed encryption keys is available through the API.")
_REPL_CONTRACT = (
    "Cross-regional bucket replication is not supported for contract-owned buckets but will "
    "be available soon. You can only replicate user-owned buckets to contract-owned buckets. "
    "This function is supported both through the DCD and the API."
)
IONOS_TABLE = [
    ("Bucket Create, Read, Update, Delete (CRUD)", "Yes", "Yes", "bucket_crud", (C, C), ({}, {})),
    ("Object CRUD", "Yes", "Yes", "object_crud", (C, C), ({}, {})),
    ("Object Copy", "Yes, only for buckets without encryption.",
     "Yes, cross-regional copying is not supported.", "object_copy", (C, C),
     ({"copy_requires_unencrypted": True},
      {"copy_requires_unencrypted": False, "cross_region_copy": False})),
    ("Multipart Uploads", "Yes", "Yes", "multipart_upload", (C, C), ({}, {})),
    ("Pre-Signed URLs", "Yes", "Yes", "presigned_url", (C, C), ({}, {})),
    ("Bucket ACLs", "Yes, but without the Logging Group.", "Yes", "bucket_acl", (C, C),
     ({"acl_logging_group_grantee": False}, {"acl_logging_group_grantee": True})),
    ("Object ACLs", "Yes", "Yes", "object_acl", (C, C), ({}, {})),
    ("Block Public Access", "Yes, only through the API.", "Yes, only through the API.",
     "block_public_access", (A, A), ({}, {})),
    ("Bucket Policy", "Yes", "Yes", "bucket_policy", (C, C), ({}, {})),
    ("CORS Configuration", "Yes", "Yes", "cors", (C, C), ({}, {})),
    ("Bucket Versioning", "Yes", "Yes", "versioning", (C, C), ({}, {})),
    ("Bucket Replication", _REPL_CONTRACT,
     "Yes, intraregional and cross-regional replication are supported.", "replication", (C, C),
     ({"replication_cross_region": False, "replication_target_types": ("contract-owned",)},
      {"replication_cross_region": True,
       "replication_target_types": ("user-owned", "contract-owned")})),
    ("Bucket Tagging", "Yes, only through the API.", "Yes, only through the API.",
     "bucket_tagging", (A, A), ({}, {})),
    ("Object Tagging", "Yes, only through the API.", "Yes, only through the API.",
     "object_tagging", (A, A), ({}, {})),
    ("Bucket Lifecycle", "Yes", "Yes", "lifecycle", (C, C), ({}, {})),
    ("Bucket Access Logging", "No", "Yes", "access_logging", (U, C), ({}, {})),
    ("Bucket Encryption Configuration", "Yes, only through the API.",
     "Yes, only through the API.", "bucket_encryption", (A, A), ({}, {})),
    ("Object Encryption", _ENC, _ENC, "object_encryption", (C, C),
     ({"sse_modes": ("SSE-S3",), "sse_c": "api_only"},
      {"sse_modes": ("SSE-S3",), "sse_c": "api_only"})),
    ("Bucket Website", "Yes, including support for redirects through the API reference.", "Yes",
     "website", (C, C), ({"website_redirects": "api_only"}, {"website_redirects": "console"})),
    ("Bucket Inventory", "No", "Yes, only through the API.", "inventory", (U, A), ({}, {})),
    ("Object Lock", "Yes", "Yes", "object_lock", (C, C), ({}, {})),
    ("Legal Hold", "Yes", "Yes", "legal_hold", (C, C), ({}, {})),
    ("Object Ownership", "No", "Yes", "object_ownership", (U, C), ({}, {})),
    ("Identity and Access Management (IAM)", "No, available in the near future.", "No", "iam",
     (U, U), ({}, {})),
    ("Security Token Service (STS)", "No", "No", "sts", (U, U), ({}, {})),
    ("Multi-factor Authentication", "No", "No", "mfa", (U, U), ({}, {})),
    ("Bucket Notifications", "No", "No", "notifications", (U, U), ({}, {})),
    ("Request Payment", "Yes", "No", "request_payment", (C, U), ({}, {})),
    ("Bucket Metrics", "No", "No", "metrics", (U, U), ({}, {})),
    ("Bucket Analytics", "No", "No", "analytics", (U, U), ({}, {})),
    ("Bucket Accelerate", "No", "No", "accelerate", (U, U), ({}, {})),
    ("Object Query", "Yes", "No", "object_query", (C, U), ({}, {})),
]
IONOS_TYPES = ("contract-owned", "user-owned")
IONOS_CELLS = [
    pytest.param(row[0], type_id, row[1 + i], row[3], row[4][i], row[5][i],
                 id=f"{type_id}: {row[0]}")
    for row in IONOS_TABLE
    for i, type_id in enumerate(IONOS_TYPES)
]


def state_from_ionos_cell(text: str) -> State | None:
    """The document's wording rule; None where a cell needs reading, not a rule."""
    if text.startswith("Yes, only through the API"):
        return A
    if text.startswith("No"):
        return U
    if text.startswith("Yes"):
        return C
    return None


def test_the_ionos_test_table_covers_every_feature_once() -> None:
    assert [row[3] for row in IONOS_TABLE] == FEATURE_ORDER


@pytest.mark.parametrize(("row", "type_id", "cell", "feature_id", "expected", "constraints"),
                         IONOS_CELLS)
def test_ionos_bucket_types_offer_each_feature_as_the_document_says(
    row: str, type_id: str, cell: str, feature_id: str, expected: State, constraints: dict
) -> None:
    got = availability("ionos", type_id, feature_id)
    assert got.state == expected, f"{row} ({type_id}): document says {cell!r}"
    assert got.source == "IONOS Object Storage documentation, “S3 API Compatibility”"
    for name, value in constraints.items():
        assert constraint("ionos", type_id, name) == value, f"{row}: {name}"


@pytest.mark.parametrize(("row", "type_id", "cell", "feature_id", "expected", "constraints"),
                         IONOS_CELLS)
def test_ionos_expectations_follow_the_wording_of_each_cell(
    row: str, type_id: str, cell: str, feature_id: str, expected: State, constraints: dict
) -> None:
    by_rule = state_from_ionos_cell(cell)
    if by_rule is None:
        # Only the contract-owned replication cell is prose; it ends with "supported both
        # through the DCD and the API".
        assert (row, type_id) == ("Bucket Replication", "contract-owned")
        assert "supported both through the DCD and the API" in cell
        return
    assert by_rule == expected


@pytest.mark.parametrize(("row", "type_id", "cell", "feature_id", "expected", "constraints"),
                         [p for p in IONOS_CELLS if p.values[2] not in ("Yes", "No")])
def test_ionos_conditions_in_a_cell_become_a_note(
    row: str, type_id: str, cell: str, feature_id: str, expected: State, constraints: dict
) -> None:
    assert availability("ionos", type_id, feature_id).note


def test_contract_owned_buckets_offer_block_public_access_only_through_the_api() -> None:
    got = availability("ionos", "contract-owned", "block_public_access")
    assert got.state == State.API_ONLY
    assert not got.enabled
    assert "API" in got.note


def test_contract_owned_buckets_copy_objects_only_without_encryption() -> None:
    assert constraint("ionos", "contract-owned", "copy_requires_unencrypted") is True
    assert "without encryption" in availability("ionos", "contract-owned", "object_copy").note


def test_user_owned_buckets_cannot_copy_objects_across_regions() -> None:
    assert constraint("ionos", "user-owned", "cross_region_copy") is False
    assert "Cross-regional" in availability("ionos", "user-owned", "object_copy").note


def test_contract_owned_bucket_acls_cannot_grant_the_logging_group() -> None:
    assert constraint("ionos", "contract-owned", "acl_logging_group_grantee") is False
    assert constraint("ionos", "user-owned", "acl_logging_group_grantee") is True


def test_user_owned_buckets_replicate_across_regions_to_either_bucket_type() -> None:
    assert availability("ionos", "user-owned", "replication").enabled
    assert constraint("ionos", "user-owned", "replication_cross_region") is True
    assert "contract-owned" in constraint("ionos", "user-owned", "replication_target_types")


def test_contract_owned_buckets_replicate_only_within_the_region_to_contract_owned_buckets(
) -> None:
    got = availability("ionos", "contract-owned", "replication")
    assert got.enabled
    assert constraint("ionos", "contract-owned", "replication_cross_region") is False
    assert constraint("ionos", "contract-owned", "replication_target_types") == (
        "contract-owned",)
    assert "User-owned buckets can replicate to contract-owned buckets" in got.note


def test_ionos_encrypts_objects_with_sse_s3_in_the_console_and_sse_c_only_through_the_api(
) -> None:
    for type_id in IONOS_TYPES:
        assert availability("ionos", type_id, "object_encryption").enabled
        assert constraint("ionos", type_id, "sse_modes") == ("SSE-S3",)
        assert constraint("ionos", type_id, "sse_c") == "api_only"


def test_contract_owned_websites_set_redirects_only_through_the_api() -> None:
    assert constraint("ionos", "contract-owned", "website_redirects") == "api_only"
    assert constraint("ionos", "user-owned", "website_redirects") == "console"


def test_contract_owned_iam_is_said_to_come_in_the_near_future() -> None:
    assert "near future" in availability("ionos", "contract-owned", "iam").note


@pytest.mark.parametrize(("region", "endpoint", "bucket_type"), [
    ("de", "https://s3.eu-central-1.ionoscloud.com", "user-owned"),
    ("eu-central-2", "https://s3.eu-central-2.ionoscloud.com", "user-owned"),
    ("eu-south-2", "https://s3.eu-south-2.ionoscloud.com", "user-owned"),
    ("eu-central-3", "https://s3.eu-central-3.ionoscloud.com", "contract-owned"),
    ("eu-central-4", "https://s3.eu-central-4.ionoscloud.com", "contract-owned"),
    ("us-central-1", "https://s3.us-central-1.ionoscloud.com", "contract-owned"),
])
def test_each_ionos_region_hosts_one_bucket_type(
    region: str, endpoint: str, bucket_type: str
) -> None:
    found = catalogue.get_region("ionos", region)
    assert found is not None
    assert found.endpoint == endpoint
    assert default_bucket_type("ionos", region) == bucket_type


def test_ionos_offers_the_four_basic_canned_acls_for_both_bucket_types() -> None:
    for type_id in IONOS_TYPES:
        assert canned_acls("ionos", type_id) == (
            "private", "public-read", "public-read-write", "authenticated-read")


# ---------------------------------------------------------------------------------------
# DigitalOcean Spaces (seeds/003): row label, note text, feature id, state, constraints.
# ---------------------------------------------------------------------------------------
DO_TABLE = [
    ("Object Copy", "Supported with `CopyObject`. Cross-region and cross-cluster copies are "
     "not supported.", "object_copy", C, {"cross_region_copy": False}),
    ("Multipart Uploads", "Supported for large objects. `UploadPartCopy` is not supported "
     "across regions or clusters.", "multipart_upload", C,
     {"upload_part_copy_cross_region": False}),
    ("Presigned URLs", "Supported with both Signature Version 2 and Version 4.",
     "presigned_url", C, {}),
    ("Bucket Policies", "Supported only through the API (not configurable in the control "
     "panel).", "bucket_policy", A, {}),
    ("Bucket Versioning", "Supported only through the API (not configurable in the control "
     "panel).", "versioning", A, {}),
    ("Bucket Lifecycle", "Supported for time-based expiration and removing incomplete "
     "multipart uploads. Tag-based lifecycle rules are not supported.", "lifecycle", C,
     {"lifecycle_tag_filters": False,
      "lifecycle_actions": ("expiration", "abort_incomplete_multipart_upload"),
      # Not among what the row names, like every feature the table does not list.
      "lifecycle_size_filters_offered": False}),
    ("Bucket Access Logging", "Supported only through the API. The source and destination "
     "buckets must be different.", "access_logging", A, {"logging_target_must_differ": True}),
    ("Object Encryption", "Supported with SSE-C (server-side encryption with "
     "customer-provided keys).", "object_encryption", C, {"sse_modes": ("SSE-C",)}),
    ("Object Encryption", "Bucket-level encryption settings are not supported.",
     "bucket_encryption", U, {}),
    ("Bucket Websites", "Supported at `https://[bucket-name].[region]-static."
     "digitaloceanspaces.com`. CDN is not supported for bucket websites.", "website", C,
     {"website_cdn": False}),
    ("List Objects", "Both `ListObjects` (legacy) and `ListObjectsV2` are supported.",
     "object_crud", C, {"list_objects_v1": True}),
    ("Preflight Requests", "`OPTIONS` preflight requests require no permissions, but the "
     "bucket policy or ACL must still allow the subsequent request.", "cors", C, {}),
    ("Access Control Lists (ACLs)", "Only two ACLs are available: private, public-read",
     "bucket_acl", C, {"canned_acls": ("private", "public-read"), "acl_grants": False}),
    ("Access Control Lists (ACLs)", "Only two ACLs are available: private, public-read",
     "object_acl", C, {"canned_acls": ("private", "public-read"), "acl_grants": False}),
]
DO_NOT_IN_THE_DOCUMENT = [
    "replication", "bucket_tagging", "object_tagging", "inventory", "object_lock",
    "legal_hold", "object_ownership", "iam", "sts", "mfa", "notifications", "request_payment",
    "metrics", "analytics", "accelerate", "object_query", "block_public_access",
]


@pytest.mark.parametrize(("row", "text", "feature_id", "expected", "constraints"), [
    pytest.param(*row, id=f"{row[0]} -> {row[2]}") for row in DO_TABLE
])
def test_spaces_offers_each_feature_as_the_document_says(
    row: str, text: str, feature_id: str, expected: State, constraints: dict
) -> None:
    got = availability("digitalocean", "standard", feature_id)
    assert got.state == expected, f"{row}: document says {text!r}"
    assert got.source == "DigitalOcean documentation, “Spaces S3 Compatibility”"
    for name, value in constraints.items():
        assert constraint("digitalocean", "standard", name) == value, f"{row}: {name}"


@pytest.mark.parametrize("feature_id", DO_NOT_IN_THE_DOCUMENT)
def test_spaces_does_not_offer_what_its_table_does_not_list(feature_id: str) -> None:
    got = availability("digitalocean", "standard", feature_id)
    assert got.state == State.UNSUPPORTED
    assert "NotImplemented" in got.note


def test_every_spaces_feature_is_either_a_document_row_or_marked_as_not_listed() -> None:
    covered = {row[2] for row in DO_TABLE} | set(DO_NOT_IN_THE_DOCUMENT)
    assert set(FEATURES) - covered == {"bucket_crud"}
    assert availability("digitalocean", "standard", "bucket_crud").enabled


def test_spaces_signs_with_sigv4_and_still_accepts_sigv2() -> None:
    assert PROVIDERS["digitalocean"].signature_versions == ("s3v4", "s3")


def test_spaces_says_unsupported_calls_answer_not_implemented() -> None:
    assert "NotImplemented" in PROVIDERS["digitalocean"].note


def test_spaces_serves_websites_from_the_static_host_without_cdn() -> None:
    assert catalogue.website_endpoint("digitalocean", "site", "ams3") == (
        "https://site.ams3-static.digitaloceanspaces.com")
    assert "CDN is not supported" in availability("digitalocean", "standard", "website").note


def test_spaces_uses_virtual_host_addressing_in_every_documented_region() -> None:
    spaces = PROVIDERS["digitalocean"]
    assert spaces.addressing_style == "virtual"
    assert [r.id for r in spaces.regions] == [
        "nyc3", "sfo2", "sfo3", "ams3", "sgp1", "fra1", "syd1", "blr1", "lon1", "tor1", "atl1"]
    for region in spaces.regions:
        assert region.endpoint == f"https://{region.id}.digitaloceanspaces.com"
    assert [t.id for t in spaces.bucket_types] == ["standard"]
    assert spaces.bucket_types[0].label == "Spaces bucket"


# ---------------------------------------------------------------------------------------
# Ceph RGW 16.2, AWS, MinIO, generic
# ---------------------------------------------------------------------------------------
CEPH_FAILED = ["replication", "access_logging", "bucket_encryption", "inventory",
               "object_ownership", "metrics", "analytics", "accelerate"]


@pytest.mark.parametrize("feature_id", CEPH_FAILED)
def test_ceph_does_not_offer_what_rgw_16_2_failed(feature_id: str) -> None:
    got = availability("ceph", "standard", feature_id)
    assert got.state == State.UNSUPPORTED
    assert got.source == "Measured on Ceph RGW 16.2"


def test_ceph_encrypts_objects_with_sse_c_and_sse_kms_because_it_ignores_sse_s3() -> None:
    assert availability("ceph", "standard", "object_encryption").enabled
    assert constraint("ceph", "standard", "sse_modes") == ("SSE-C", "SSE-KMS")
    assert "ignored" in availability("ceph", "standard", "object_encryption").note


def test_ceph_leaves_notifications_and_its_own_select_dialect_to_the_api() -> None:
    assert availability("ceph", "standard", "notifications").state == State.API_ONLY
    assert availability("ceph", "standard", "object_query").state == State.API_ONLY


def test_aws_offers_everything_but_the_separate_account_services_in_the_console() -> None:
    # The account services are separate AWS APIs; the five bucket features have no form in
    # this console, so they are shown with their API call rather than claimed as "Console".
    no_form = ("accelerate", "analytics", "inventory", "metrics", "notifications")
    for feature_id in FEATURES:
        expected = A if feature_id in ("iam", "sts", "mfa", *no_form) else C
        assert availability("aws", "general-purpose", feature_id).state == expected
    assert canned_acls("aws", "general-purpose") == catalogue.AWS_CANNED_ACLS
    assert constraint("aws", "general-purpose", "policy_max_bytes") == 20 * 1024


@pytest.mark.parametrize("feature_id", [
    "request_payment", "accelerate", "inventory", "metrics", "analytics", "website",
    "object_ownership",
])
def test_minio_does_not_offer_what_it_does_not_implement(feature_id: str) -> None:
    assert availability("minio", "standard", feature_id).state == State.UNSUPPORTED


def test_minio_manages_users_and_tokens_through_its_admin_api() -> None:
    assert availability("minio", "standard", "iam").state == State.API_ONLY
    assert availability("minio", "standard", "sts").state == State.API_ONLY
    assert availability("minio", "standard", "replication").enabled
    assert PROVIDERS["minio"].addressing_style == "path"


GENERIC_CORE = ["bucket_crud", "object_crud", "object_copy", "multipart_upload",
                "presigned_url", "bucket_acl", "object_acl", "bucket_policy", "cors",
                "versioning", "lifecycle", "object_tagging", "bucket_tagging"]


def test_a_generic_endpoint_offers_only_core_features_until_detection() -> None:
    for feature_id in FEATURES:
        got = availability("generic", "standard", feature_id)
        if feature_id in GENERIC_CORE:
            assert got.enabled
        else:
            assert got.state == State.UNSUPPORTED
            assert got.note == "Unknown for a generic endpoint: run Detect features."


def test_an_unknown_provider_is_treated_as_a_generic_endpoint() -> None:
    assert catalogue.get_provider("who-knows") is PROVIDERS["generic"]
    assert availability("who-knows", "standard", "website").state == State.UNSUPPORTED


def test_detection_decides_every_feature_for_a_generic_endpoint() -> None:
    overrides = {"website": "console", "versioning": "unsupported"}
    assert availability("generic", "standard", "website", overrides).enabled
    assert availability("generic", "standard", "versioning", overrides).state == U
    assert catalogue.matrix("generic", "standard", overrides)["website"].enabled


def test_detection_can_only_narrow_a_documented_provider() -> None:
    overrides = {"block_public_access": "console", "versioning": "unsupported",
                 "access_logging": "console"}
    assert availability("ionos", "contract-owned", "block_public_access", overrides).state == A
    assert availability("ionos", "contract-owned", "access_logging", overrides).state == U
    narrowed = availability("ionos", "contract-owned", "versioning", overrides)
    assert narrowed.state == U
    assert narrowed.note


def test_detection_values_that_are_not_states_are_ignored() -> None:
    got = availability("generic", "standard", "website", {"website": "maybe"})
    assert got.state == State.UNSUPPORTED


def test_an_empty_or_stale_bucket_type_reads_as_the_default_type() -> None:
    assert availability("ionos", "", "access_logging").state == U  # contract-owned first
    assert availability("generic", "user-owned", "cors").enabled
    assert default_bucket_type("ionos") == "contract-owned"
    assert default_bucket_type("digitalocean", "nyc3") == "standard"


def test_an_unknown_feature_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        availability("aws", "general-purpose", "teleport")


def test_a_constraint_the_provider_does_not_state_follows_s3() -> None:
    assert constraint("aws", "general-purpose", "cross_region_copy") is True
    assert constraint("aws", "general-purpose", "no_such_thing") is None
    assert constraint("aws", "general-purpose", "no_such_thing", default=7) == 7


# ---------------------------------------------------------------------------------------
# Shape of the whole catalogue
# ---------------------------------------------------------------------------------------

def test_features_keep_the_documented_order_and_groups() -> None:
    assert list(FEATURES) == FEATURE_ORDER
    for feature_id, feature in FEATURES.items():
        assert feature.id == feature_id
        assert feature.group in ("bucket", "object", "account")
        assert feature.label and feature.description and feature.s3_calls
    assert {f.id for f in FEATURES.values() if f.group == "account"} == {"iam", "sts", "mfa"}


def test_the_catalogue_has_exactly_the_six_providers() -> None:
    assert list(PROVIDERS) == ["ionos", "digitalocean", "aws", "minio", "ceph", "generic"]


@pytest.mark.parametrize("provider_id", list(PROVIDERS))
def test_every_provider_rates_every_feature_for_every_bucket_type(provider_id: str) -> None:
    provider = PROVIDERS[provider_id]
    type_ids = [t.id for t in provider.bucket_types]
    assert list(provider.matrix) == type_ids
    assert list(provider.constraints) == type_ids
    for type_id in type_ids:
        assert list(provider.matrix[type_id]) == FEATURE_ORDER
        for feature_id, got in provider.matrix[type_id].items():
            assert isinstance(got, Availability)
            assert isinstance(got.state, State)
            assert got.source, f"{provider_id}/{type_id}/{feature_id} names no source"
            if got.state != State.CONSOLE:
                assert got.note, f"{provider_id}/{type_id}/{feature_id} gives no reason"
        assert canned_acls(provider_id, type_id)
        assert "private" in canned_acls(provider_id, type_id)
    assert provider.addressing_style in ("path", "virtual")
    assert provider.signature_versions[0] == "s3v4"
    assert provider.regions
    for region in provider.regions:
        assert region.bucket_type in ("", *type_ids)


@pytest.mark.parametrize("provider_id", list(PROVIDERS))
def test_every_source_is_something_a_user_can_look_up_not_a_file_of_this_project(provider_id: str) -> None:
    provider = PROVIDERS[provider_id]
    sources = {provider.source} | {a.source for column in provider.matrix.values() for a in column.values()}
    for source in sources:
        for internal in ("seeds/", ".md", ".txt", "/work/", "S3_BACKENDS"):
            assert internal not in source, f"{provider_id}: {source!r} names an internal file"



def test_as_json_gives_a_state_and_a_note_for_every_feature() -> None:
    data = catalogue.as_json()
    assert list(data) == list(PROVIDERS)
    assert data["ionos"]["contract-owned"]["block_public_access"]["state"] == "api_only"
    for provider_id, types in data.items():
        assert list(types) == [t.id for t in PROVIDERS[provider_id].bucket_types]
        for features in types.values():
            assert list(features) == FEATURE_ORDER
            for cell in features.values():
                assert set(cell) == {"state", "note"}
                assert cell["state"] in {s.value for s in State}
    json.dumps(data)


def test_the_table_lists_every_feature_for_the_chosen_provider() -> None:
    table = catalogue.as_table("ionos")
    assert "contract-owned" in table and "user-owned" in table
    assert "Spaces" not in table
    for feature_id in FEATURES:
        assert f"({feature_id})" in table


# ---------------------------------------------------------------------------------------
# API snippets and detection probes
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("feature_id", FEATURE_ORDER)
def test_every_feature_has_a_cli_and_a_boto3_snippet_for_the_endpoint_and_bucket(
    feature_id: str,
) -> None:
    snippets = api_snippets(feature_id, endpoint="https://s3.eu-central-3.ionoscloud.com",
                            bucket="team-reports", region="eu-central-3", key="q1/sales.csv")
    assert set(snippets) == {"aws", "boto3"}
    for text in snippets.values():
        assert "https://s3.eu-central-3.ionoscloud.com" in text
        assert "team-reports" in text
    assert "aws " in snippets["aws"]
    assert "--endpoint-url https://s3.eu-central-3.ionoscloud.com" in snippets["aws"]
    compile(snippets["boto3"], f"<{feature_id}>", "exec")
    assert "import boto3" in snippets["boto3"]
    for line in snippets["aws"].splitlines():
        if not line.startswith("#"):
            shlex.split(line)


def test_snippets_quote_odd_keys_for_the_shell_and_for_python() -> None:
    key = "it's a \"key\" $HOME.txt"
    snippets = api_snippets("object_tagging", endpoint="https://e.example", bucket="b",
                            region="r", key=key)
    first = next(line for line in snippets["aws"].splitlines() if line.startswith("aws"))
    assert key in shlex.split(first)
    assert repr(key) in snippets["boto3"]


def test_snippets_never_carry_credentials() -> None:
    for feature_id in FEATURES:
        text = "".join(api_snippets(feature_id, endpoint="https://e.example", bucket="b",
                                    region="r").values())
        assert "aws_secret_access_key=" not in text.replace(
            "aws_secret_access_key=creds['SecretAccessKey']", "")


def test_detect_probes_are_read_only_calls_of_their_feature() -> None:
    assert DETECT_PROBES
    for feature_id, method in DETECT_PROBES.items():
        assert feature_id in FEATURES
        assert method.startswith(("get_", "list_", "head_")), method
        assert "delete" not in method and "put" not in method
        assert method in FEATURES[feature_id].s3_calls


def test_detection_never_touches_metrics_analytics_or_inventory_deletes() -> None:
    # moto deletes the whole bucket on these.
    for method in DETECT_PROBES.values():
        assert not method.startswith("delete_")
    assert DETECT_PROBES["metrics"] == "list_bucket_metrics_configurations"
    assert DETECT_PROBES["analytics"] == "list_bucket_analytics_configurations"
    assert DETECT_PROBES["inventory"] == "list_bucket_inventory_configurations"


# ---------------------------------------------------------------------------------------
# The management command
# ---------------------------------------------------------------------------------------

def test_the_capabilities_command_runs_without_a_database() -> None:
    script = (
        "import django\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['buckets'])\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('capabilities', format='json', provider='digitalocean')\n"
        "call_command('capabilities')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data, _, table = done.stdout.partition("\n}\n")
    assert list(json.loads(data + "\n}")) == ["digitalocean"]
    assert "IONOS Object Storage [ionos]" in table


def test_manage_py_capabilities_prints_the_catalogue_as_json() -> None:
    done = subprocess.run([sys.executable, "manage.py", "capabilities", "--format", "json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == catalogue.as_json()
