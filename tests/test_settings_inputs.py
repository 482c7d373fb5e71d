"""What the settings forms accept, without a server: origins, numbers, JSON, sizes, formsets."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.http import QueryDict

from buckets import bucket_settings, catalogue
from buckets.bucket_settings import Rejected, origin_problem, shape_for, whole_number
from buckets.bucket_settings.inputs import json_depth, json_document, unsendable_field


def shape(provider: str, bucket_type: str = "", *, region: str = "us-east-1",
          bucket: str = "b1") -> bucket_settings.Shape:
    connection = SimpleNamespace(provider=provider, region=region)
    return shape_for(connection, bucket_type or catalogue.default_bucket_type(provider, region),
                     bucket)


def form(**fields) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            data.appendlist(name.replace("__", "-"), item)
    return data


def rules(**fields) -> QueryDict:
    """A rule editor's POST with the formset's management form, as the page sends it."""
    return form(**{"rule-TOTAL_FORMS": "2", "rule-INITIAL_FORMS": "1", **fields})


# --- CORS origins --------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [
    "*", "https://app.example.com", "http://localhost:8080", "https://*.example.com",
    "http://*", "https://[2001:db8::1]:8443", "HTTPS://App.Example.com",
])
def test_an_origin_of_scheme_host_and_port_or_a_single_wildcard_is_accepted(origin: str) -> None:
    assert origin_problem(origin) == ""


@pytest.mark.parametrize(("origin", "reason"), [
    ("not a url", "is not an origin"),
    ("ftp://x", "is not an origin"),
    ("app.example.com", "is not an origin"),
    ("https://app.example.com/path", "is not an origin"),
    ("javascript:alert(1)", "is not an origin"),
    ("https://*.*.example.com", "has 2 wildcards"),
    ("*://*.example.com", "has 2 wildcards"),
    ("https://app.example.com:99999", "not between 1 and 65535"),
])
def test_anything_else_is_refused_with_the_reason(origin: str, reason: str) -> None:
    assert reason in origin_problem(origin)


def test_a_cors_form_with_bad_origins_names_each_of_them_and_keeps_what_was_typed() -> None:
    with pytest.raises(Rejected) as refused:
        bucket_settings.cors_parse(rules(**{"rule-0-origins": "not a url\nftp://x\nhttps://ok.example",
                                            "rule-0-methods": "GET"}), shape("aws"))
    assert len(refused.value.messages) == 2
    assert all(m.startswith("Rule 1: “") for m in refused.value.messages)
    assert refused.value.value["rules"][0]["origins_text"] == "not a url\nftp://x\nhttps://ok.example"


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["①", "²", "٣", "３", "1²", "-1", "1.5", "1e3", "0x10", " ", "7\n8"])
def test_a_number_is_only_ascii_digits(raw: str) -> None:
    number, problem = whole_number(raw)
    assert number is None
    assert problem == "" if not raw.strip() else "digits 0-9" in problem


@pytest.mark.parametrize("raw", ["2147483648", "9" * 30, "1" * 5000])
def test_a_huge_number_is_refused_with_the_limit(raw: str) -> None:
    assert whole_number(raw) == (None, "must be at most 2,147,483,647")


def test_a_number_within_bounds_is_read_with_surrounding_space() -> None:
    assert whole_number(" 30 ") == (30, "")
    assert whole_number("0") == (None, "must be at least 1")
    assert whole_number("0", minimum=0) == (0, "")


@pytest.mark.parametrize(("field", "label"), [
    ("expiration_days", "Days until expiration"), ("noncurrent_days", "noncurrent versions expire"),
    ("transition_days", "Days until transition"), ("abort_days", "unfinished uploads"),
])
def test_every_lifecycle_day_field_refuses_unicode_digits_with_its_name(field: str, label: str) -> None:
    with pytest.raises(Rejected) as refused:
        bucket_settings.lifecycle_parse(rules(**{f"rule-0-{field}": "①",
                                                 "rule-0-transition_class": "GLACIER"}),
                                        shape("aws"))
    assert any(label in m and "digits 0-9" in m for m in refused.value.messages)


def test_object_lock_refuses_more_than_a_hundred_years() -> None:
    with pytest.raises(Rejected, match="at most 36,500"):
        bucket_settings.object_lock_parse(form(mode="GOVERNANCE", days="36501"), shape("aws"))
    with pytest.raises(Rejected, match="Years must be a whole number"):
        bucket_settings.object_lock_parse(form(mode="GOVERNANCE", years="²"), shape("aws"))
    assert bucket_settings.object_lock_parse(form(mode="GOVERNANCE", years="100"),
                                             shape("aws"))["years"] == 100


def test_a_cors_max_age_takes_zero_but_not_superscripts() -> None:
    value = bucket_settings.cors_parse(rules(**{"rule-0-origins": "*", "rule-0-methods": "GET",
                                                "rule-0-max_age": "0"}), shape("aws"))
    assert value["rules"][0]["max_age"] == 0
    with pytest.raises(Rejected, match="max age"):
        bucket_settings.cors_parse(rules(**{"rule-0-origins": "*", "rule-0-methods": "GET",
                                            "rule-0-max_age": "6²"}), shape("aws"))


# --- JSON documents -----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 5000, 100_000])
def test_a_deeply_nested_document_is_refused_not_a_recursion_error(depth: int) -> None:
    document, problem = json_document("[" * depth + "]" * depth, "The policy")
    assert document is None and "nested too deeply" in problem


def test_the_depth_of_a_real_policy_is_small() -> None:
    policy = {"Statement": [{"Condition": {"StringEquals": {"aws:SourceVpce": ["v"]}}}]}
    assert json_depth(policy) == 6


def test_a_deep_policy_and_deep_routing_rules_are_refused_by_their_forms() -> None:
    deep = '{"Statement": ' + "[" * 3000 + "]" * 3000 + "}"
    with pytest.raises(Rejected, match="nested too deeply"):
        bucket_settings.policy_parse(form(policy=deep), shape("aws"))
    with pytest.raises(Rejected, match="nested too deeply"):
        bucket_settings.website_parse(form(enabled="on", index="i.html",
                                           routing_rules="[" * 3000 + "]" * 3000), shape("aws"))


@pytest.mark.parametrize(("rules_text", "reason"), [
    ("[{}]", "needs a Redirect object"),
    ('[{"Redirect": {"HostName": 5}}]', "takes text values"),
    ('[{"Redirect": {"Hostname": "x"}}]', "takes text values"),
    ('[{"Condition": [], "Redirect": {}}]', "takes text values"),
    ('[{"Redirect": {}, "When": {}}]', "not When"),
    ('{"Redirect": {}}', "a JSON list of rules"),
])
def test_routing_rules_boto3_would_refuse_are_refused_with_a_message(rules_text: str, reason: str) -> None:
    with pytest.raises(Rejected, match=reason):
        bucket_settings.website_parse(form(enabled="on", index="i.html", routing_rules=rules_text),
                                      shape("aws"))


# --- bucket policy limits and resources ---------------------------------------------------


def policy_of(size: int, bucket: str = "b1") -> str:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*", "Sid": ""}
    text = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    statement["Sid"] = "x" * (size - len(text))
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.mark.parametrize(("provider", "bucket_type", "limit"), [
    ("aws", "", 20 * 1024),
    ("ionos", "user-owned", 20 * 1024),
    ("ionos", "contract-owned", 1024 * 1024),
    ("digitalocean", "", 20 * 1024),
    ("minio", "", 20 * 1024),
    ("generic", "", 20 * 1024),
])
def test_the_policy_limit_comes_from_the_catalogue(provider: str, bucket_type: str, limit: int) -> None:
    where = shape(provider, bucket_type)
    assert where.policy_max_bytes == limit
    assert bucket_settings.policy_parse(form(policy=policy_of(limit)), where)["text"]
    with pytest.raises(Rejected) as refused:
        bucket_settings.policy_parse(form(policy=policy_of(limit + 1)), where)
    assert f"{limit + 1:,} bytes" in refused.value.messages[0]
    assert ("1 MB" if limit == 1024 * 1024 else "20 KB") in refused.value.messages[0]


def test_the_size_is_counted_in_bytes_of_utf8() -> None:
    text = policy_of(20 * 1024).replace("xx", "é", 1)  # one character, two bytes: same size
    assert len(text.encode()) == 20 * 1024
    assert bucket_settings.policy_parse(form(policy=text), shape("aws"))["text"] == text


def test_a_statement_naming_another_bucket_is_a_warning_not_a_refusal() -> None:
    policy = {"Statement": [
        {"Effect": "Allow", "Resource": "arn:aws:s3:::b1/*"},
        {"Effect": "Allow", "Resource": ["arn:aws:s3:::other", "arn:aws:s3:::other/*"]},
        {"Effect": "Allow", "Resource": "arn:aws:s3:::b*"},
        {"Effect": "Allow", "Resource": "arn:aws:sqs:eu:1:queue"},
        {"Effect": "Allow", "Resource": "*"},
    ]}
    value = bucket_settings.policy_parse(form(policy=json.dumps(policy)), shape("aws"))
    assert len(value["warnings"]) == 2
    assert value["warnings"][0].startswith("Statement 2: the resource “arn:aws:s3:::other”")


# --- rule formsets -------------------------------------------------------------------------


def test_rule_editors_read_the_formsets_management_form() -> None:
    value = bucket_settings.lifecycle_parse(form(**{
        "rule-TOTAL_FORMS": "2", "rule-INITIAL_FORMS": "0", "rule-0-prefix": "a/",
        "rule-0-expiration_days": "3", "rule-1-prefix": "b/", "rule-1-abort_days": "1"}),
        shape("aws"))
    assert [r["prefix"] for r in value["rules"]] == ["a/", "b/"]


def test_rules_beyond_the_total_form_count_are_not_read() -> None:
    value = bucket_settings.cors_parse(form(**{
        "rule-TOTAL_FORMS": "1", "rule-0-origins": "*", "rule-0-methods": "GET",
        "rule-1-origins": "*", "rule-1-methods": "PUT"}), shape("aws"))
    assert len(value["rules"]) == 1


@pytest.mark.parametrize("count", [None, "", "①", "many", "-1"])
def test_a_missing_or_bad_rule_count_is_refused_rather_than_read_as_no_rules(count) -> None:
    data = form(**{"rule-0-origins": "*", "rule-0-methods": "GET"})
    if count is not None:
        data["rule-TOTAL_FORMS"] = count
    with pytest.raises(Rejected, match="rule-TOTAL_FORMS"):
        bucket_settings.cors_parse(data, shape("aws"))


def test_a_huge_rule_count_reads_no_more_than_the_limit() -> None:
    value = bucket_settings.replication_parse(form(**{
        "rule-TOTAL_FORMS": "9" * 30, "rule-0-destination": "dest-bucket"}), shape("aws"))
    assert len(value["rules"]) == 1


def test_the_page_shows_the_management_form_and_one_blank_rule() -> None:
    section = bucket_settings.section_new(
        "lifecycle", availability=catalogue.availability("aws", "general-purpose", "lifecycle"),
        shape=shape("aws"), url="/x", can_edit=True, endpoint="https://s3.example")
    section.value = {"rules": [{"id": "keep"}]}
    editor = section.rule_editor
    assert editor.management_form["TOTAL_FORMS"].value() == 2
    assert editor.management_form["INITIAL_FORMS"].value() == 1
    assert [(r.prefix, r.blank) for r in editor.rows] == [("rule-0", False), ("rule-1", True)]
    assert editor.rows[0].rule == {"id": "keep"}


def test_a_field_with_a_control_character_is_named_before_anything_is_parsed() -> None:
    assert "U+0001" in unsendable_field(form(**{"tag-key": "a\x01b"}))
    assert unsendable_field(form(**{"tag-key": "tab\tand\nnewline"})) == ""


# --- words -------------------------------------------------------------------------------


def test_save_buttons_say_what_is_saved_and_keep_acronyms() -> None:
    labels = {fid: s.save_label for fid, s in bucket_settings.SETTINGS.items() if s.offered}
    assert labels["cors"] == "Save CORS rules"
    assert labels["bucket_acl"] == "Save bucket ACL"
    assert labels["lifecycle"] == "Save lifecycle rules"
    assert all(label.startswith("Save ") for label in labels.values())
    assert "cors" not in " ".join(labels.values())


def test_the_refusal_of_an_unsupported_setting_does_not_repeat_itself() -> None:
    contract = shape("ionos", "contract-owned", region="eu-central-3")
    section = bucket_settings.section_new(
        "access_logging",
        availability=catalogue.availability("ionos", "contract-owned", "access_logging"),
        shape=contract, url="/x", can_edit=True, endpoint="https://s3.example")
    refusal = bucket_settings.section_refusal(section)
    assert refusal == ("Access logging: Not supported by IONOS Object Storage for "
                       "contract-owned buckets.")
    assert refusal.lower().count("not supported") == 1
