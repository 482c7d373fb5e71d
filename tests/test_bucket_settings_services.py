"""The settings services without a server: parsing, provider constraints, answer shapes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.http import QueryDict

from buckets import bucket_settings, catalogue, gateway
from buckets.bucket_settings import Rejected, lifecycle_filter, shape_for


def shape(provider: str, bucket_type: str = "", *, region: str = "us-east-1", bucket: str = "b1",
          allow_api_only: bool = False, known: dict | None = None) -> bucket_settings.Shape:
    connection = SimpleNamespace(provider=provider, region=region)
    return shape_for(connection, bucket_type or catalogue.default_bucket_type(provider, region),
                     bucket, allow_api_only=allow_api_only, known_bucket_types=known)


def form(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        name = name.replace("__", "-")
        for item in value if isinstance(value, list) else [value]:
            data.appendlist(name, item)
    return data


# --- lifecycle answer shapes ----------------------------------------------------------------


def test_the_aws_and_filter_gives_prefix_and_every_tag() -> None:
    rule = {"Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "a", "Value": "1"},
                                                            {"Key": "b", "Value": "2"}]}}}
    assert lifecycle_filter(rule) == ("logs/", [{"key": "a", "value": "1"},
                                                {"key": "b", "value": "2"}], [])


def test_the_rgw_filter_with_the_prefix_beside_the_and_is_read_the_same() -> None:
    # What RGW 16.2 answered for And{Prefix: tmp/, Tags: [k, k2]} (measured).
    rule = {"Filter": {"Prefix": "tmp/", "And": {"Tags": [{"Key": "k", "Value": "v"},
                                                          {"Key": "k2", "Value": "v2"}]}}}
    assert lifecycle_filter(rule) == ("tmp/", [{"key": "k", "value": "v"},
                                               {"key": "k2", "value": "v2"}], [])


def test_the_rgw_filter_with_a_bare_prefix_and_tag_is_read_the_same() -> None:
    rule = {"Filter": {"Prefix": "tmp/", "Tag": {"Key": "k", "Value": "v"}}}
    assert lifecycle_filter(rule) == ("tmp/", [{"key": "k", "value": "v"}], [])


def test_a_legacy_top_level_prefix_and_a_single_tag_filter_are_understood() -> None:
    assert lifecycle_filter({"Prefix": "old/"}) == ("old/", [], [])
    assert lifecycle_filter({"Filter": {"Tag": {"Key": "x", "Value": "y"}}}) == (
        "", [{"key": "x", "value": "y"}], [])


def test_size_filters_are_read_into_the_form_not_reported_as_parts_it_cannot_edit() -> None:
    rule = {"Filter": {"And": {"Prefix": "a", "ObjectSizeGreaterThan": 5, "ObjectSizeLessThan": 3 * 1024**2}}}
    assert lifecycle_filter(rule) == ("a", [], [])
    value = bucket_settings.lifecycle_rule_value(rule)
    assert (value["size_greater_than"], value["size_greater_than_amount"], value["size_greater_than_unit"]) == (
        5, "5", "B")
    assert (value["size_less_than"], value["size_less_than_amount"], value["size_less_than_unit"]) == (
        3 * 1024**2, "3", "MiB")
    assert value["extra"] == []
    # A bare size filter (no And) is read too; a size the form cannot hold is named instead.
    assert bucket_settings.lifecycle_sizes({"Filter": {"ObjectSizeLessThan": 0}}) == ({"size_less_than": 0}, [])
    assert bucket_settings.lifecycle_sizes({"Filter": {"ObjectSizeLessThan": "lots"}}) == (
        {}, ["an unreadable ObjectSizeLessThan (lots)"])


def test_a_lifecycle_rule_read_back_keeps_every_action_the_form_edits() -> None:
    rule = bucket_settings.lifecycle_rule_value({
        "ID": "r", "Status": "Disabled", "Filter": {"Prefix": "p/"},
        "Expiration": {"Days": 30}, "NoncurrentVersionExpiration": {"NoncurrentDays": 5},
        "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}],
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}})
    assert (rule["enabled"], rule["expiration_days"], rule["noncurrent_days"]) == (False, 30, 5)
    assert (rule["transition_days"], rule["transition_class"], rule["abort_days"]) == (
        10, "GLACIER", 2)
    assert rule["extra"] == []


# --- parsing against constraints --------------------------------------------------------------


def test_a_lifecycle_form_becomes_the_filter_s3_expects() -> None:
    value = bucket_settings.lifecycle_parse(form(
        **{"rule-count": "3", "rule-0-prefix": "a/", "rule-0-tags": "k=v",
           "rule-0-expiration_days": "3", "rule-1-tags": "k=v", "rule-1-expiration_days": "4",
           "rule-2-prefix": "c/", "rule-2-abort_days": "1"}), shape("aws"))
    filters = [bucket_settings.lifecycle_s3_filter(r) for r in value["rules"]]
    assert filters == [{"And": {"Tags": [{"Key": "k", "Value": "v"}], "Prefix": "a/"}},
                       {"Tag": {"Key": "k", "Value": "v"}}, {"Prefix": "c/"}]


def test_aborting_uploads_cannot_be_combined_with_a_tag_filter() -> None:
    with pytest.raises(Rejected, match="cannot be combined with a tag filter"):
        bucket_settings.lifecycle_parse(form(**{"rule-count": "1", "rule-0-tags": "k=v",
                                                "rule-0-abort_days": "1"}), shape("aws"))


def test_spaces_lifecycle_refuses_tags_and_noncurrent_expiration_and_keeps_what_was_typed() -> None:
    with pytest.raises(Rejected) as refused:
        bucket_settings.lifecycle_parse(form(**{
            "rule-count": "1", "rule-0-id": "x", "rule-0-tags": "k=v",
            "rule-0-noncurrent_days": "3"}), shape("digitalocean"))
    assert len(refused.value.messages) == 2
    assert refused.value.value["rules"][0]["tags_text"] == "k=v"


def test_a_transition_needs_days_and_a_known_storage_class() -> None:
    with pytest.raises(Rejected, match="needs both a number of days and a storage class"):
        bucket_settings.lifecycle_parse(form(**{"rule-count": "1", "rule-0-transition_days": "3",
                                                "rule-0-transition_class": "COLD"}), shape("aws"))


def test_the_canned_acls_offered_follow_the_provider() -> None:
    assert shape("digitalocean").canned_acls == ("private", "public-read")
    assert "log-delivery-write" not in shape("ionos", "contract-owned").canned_acls
    assert "log-delivery-write" in shape("aws").canned_acls
    assert "log-delivery-write" not in shape("aws").object_canned_acls


def test_contract_owned_acl_grants_exclude_the_logging_group_but_allow_the_others() -> None:
    contract = shape("ionos", "contract-owned")
    value = bucket_settings.bucket_acl_parse(form(mode="grants", **{"group-AllUsers": "READ"}),
                                             contract)
    assert value["groups"][0] == {"name": "AllUsers", "label": "Everyone (public)",
                                  "permissions": ["READ"]}
    with pytest.raises(Rejected, match="Logging Group"):
        bucket_settings.bucket_acl_parse(form(mode="grants", **{"group-LogDelivery": "WRITE"}),
                                         contract)
    user_owned = shape("ionos", "user-owned")
    assert bucket_settings.bucket_acl_parse(
        form(mode="grants", **{"group-LogDelivery": "WRITE"}), user_owned)["groups"][2][
        "permissions"] == ["WRITE"]


def test_a_group_uri_is_not_accepted_as_a_canonical_user() -> None:
    with pytest.raises(Rejected, match="canonical user ID"):
        bucket_settings.bucket_acl_parse(form(**{
            "mode": "grants", "user-id": "http://acs.amazonaws.com/groups/s3/LogDelivery",
            "user-permission": "WRITE"}), shape("ionos", "contract-owned"))


def test_the_default_encryption_choices_follow_the_sse_modes() -> None:
    assert [m for m, _ in shape("ionos", "user-owned").sse_choices] == ["SSE-S3"]
    assert [m for m, _ in shape("ceph").sse_choices] == ["SSE-KMS"]
    with pytest.raises(Rejected):
        bucket_settings.encryption_parse(form(mode="SSE-KMS"), shape("ionos", "user-owned"))


def test_website_redirects_on_contract_owned_buckets_need_the_team_opt_in() -> None:
    data = form(enabled="on", index="index.html", redirect_host="example.com")
    with pytest.raises(Rejected, match="only through its API"):
        bucket_settings.website_parse(data, shape("ionos", "contract-owned"))
    opted_in = shape("ionos", "contract-owned", allow_api_only=True)
    assert bucket_settings.website_parse(data, opted_in)["redirect_host"] == "example.com"


def test_replication_destinations_follow_the_known_bucket_type() -> None:
    user_owned = shape("ionos", "user-owned", region="de", known={"dest": "contract-owned"})
    value = bucket_settings.replication_parse(form(**{
        "rule-count": "1", "rule-0-destination": "arn:aws:s3:::dest",
        "rule-0-dest_type": "contract-owned", "rule-0-dest_region": "eu-central-3"}), user_owned)
    assert value["rules"][0]["destination"] == "arn:aws:s3:::dest"
    with pytest.raises(Rejected, match="holds user-owned buckets only"):
        bucket_settings.replication_parse(form(**{
            "rule-count": "1", "rule-0-destination": "dest", "rule-0-dest_type": "contract-owned",
            "rule-0-dest_region": "de"}), user_owned)
    with pytest.raises(Rejected, match="replicate into itself"):
        bucket_settings.replication_parse(form(**{"rule-count": "1", "rule-0-destination": "b1"}),
                                          shape("aws"))


def test_tags_refuse_reserved_keys_duplicates_and_too_many() -> None:
    with pytest.raises(Rejected) as refused:
        bucket_settings.bucket_tags_parse(form(**{"tag-key": ["aws:x", "a", "a"],
                                                  "tag-value": ["1", "2", "3"]}), shape("aws"))
    assert len(refused.value.messages) == 2
    with pytest.raises(Rejected, match="At most 10 tags"):
        bucket_settings.object_tags_parse(form(**{"tag-key": [f"k{i}" for i in range(11)],
                                                  "tag-value": [""] * 11}), shape("aws"))


def test_object_lock_takes_days_or_years_but_not_both() -> None:
    with pytest.raises(Rejected, match="days or in years"):
        bucket_settings.object_lock_parse(form(mode="GOVERNANCE", days="1", years="1"),
                                          shape("aws"))
    assert bucket_settings.object_lock_parse(form(mode="COMPLIANCE", years="2"),
                                             shape("aws"))["years"] == 2


# --- sections ---------------------------------------------------------------------------------


def test_an_unsupported_section_is_refused_and_offers_no_snippet() -> None:
    spaces = shape("digitalocean")
    section = bucket_settings.section_new(
        "bucket_encryption", availability=catalogue.availability("digitalocean", "standard",
                                                                 "bucket_encryption"),
        shape=spaces, url="/x", can_edit=True, endpoint="https://nyc3.example")
    assert section.control == "absent" and section.snippets is None
    assert "Not supported by DigitalOcean Spaces for Spaces buckets." in (
        bucket_settings.section_refusal(section))


def test_an_api_only_section_carries_snippets_for_this_endpoint_and_bucket() -> None:
    contract = shape("ionos", "contract-owned", region="eu-central-3", bucket="reports")
    section = bucket_settings.section_new(
        "bucket_tagging", availability=catalogue.availability("ionos", "contract-owned",
                                                              "bucket_tagging"),
        shape=contract, url="/x", can_edit=True, endpoint="https://s3.eu-central-3.ionoscloud.com")
    assert section.control == "disabled"
    assert "--bucket reports" in section.snippets["aws"]
    assert "https://s3.eu-central-3.ionoscloud.com" in section.snippets["boto3"]
    assert "opted in" in bucket_settings.section_refusal(section)


def test_every_bucket_setting_belongs_to_exactly_one_tab() -> None:
    placed = [f for g in bucket_settings.GROUPS.values() for f in g.feature_ids]
    bucket_level = [f for f, s in bucket_settings.SETTINGS.items() if not s.object_level]
    assert sorted(placed) == sorted(bucket_level)


# --- detection ----------------------------------------------------------------------------------


def test_detection_maps_answers_to_states_and_leaves_denied_features_unknown(monkeypatch) -> None:
    asked = []

    def answer(connection, method, **params):
        asked.append((method, params))
        if method == "get_bucket_replication":
            raise gateway.NotImplementedByProvider("no", code="MethodNotAllowed")
        if method == "get_bucket_policy":
            raise gateway.AccessDenied("denied", code="AccessDenied")
        if method == "get_bucket_logging":
            raise gateway.Invalid("odd", code="Weird")
        return None if method.startswith("get_bucket_c") else {}

    monkeypatch.setattr(gateway, "get_config", answer)
    detection = bucket_settings.features_detect(connection=object(), bucket="b")
    assert detection.states["replication"] == "unsupported"
    assert "bucket_policy" not in detection.states
    assert "access_logging" not in detection.states
    assert detection.states["cors"] == "console"
    assert detection.answers["cors"] == "not configured"
    assert all(m.startswith(("get_", "list_", "head_")) for m, _ in asked)
    assert dict(asked)["list_objects_v2"]["MaxKeys"] == 1


def test_detection_stops_when_the_bucket_is_missing(monkeypatch) -> None:
    def missing(connection, method, **params):
        raise gateway.NotFound("gone", code="404")

    monkeypatch.setattr(gateway, "get_config", missing)
    with pytest.raises(bucket_settings.DetectionFailed, match="does not exist"):
        bucket_settings.features_detect(connection=object(), bucket="b")


def test_no_probe_is_a_change() -> None:
    assert all(m.startswith(("get_", "list_", "head_"))
               for m in catalogue.DETECT_PROBES.values())
