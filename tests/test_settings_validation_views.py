"""Hostile and odd settings input against the moto server: a 400 with a message, nothing sent."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from buckets import bucket_settings, gateway
from buckets.models import AuditEntry
from tests.test_bucket_settings_views import aws, make_bucket, section, sent_to_s3, url  # noqa: F401


def lifecycle_form(**fields) -> dict:
    return {"rule-TOTAL_FORMS": "2", "rule-INITIAL_FORMS": "0", "rule-0-id": "r",
            "rule-0-enabled": "on", **fields}


@pytest.mark.parametrize("days", ["①", "²", "٣", "9" * 30])
def test_a_lifecycle_day_count_in_unicode_digits_or_too_big_is_a_400_with_a_message(
    login, editor, aws, make_bucket, sent_to_s3, days: str  # noqa: F811
) -> None:
    bucket = make_bucket(aws)
    seen = sent_to_s3(aws)
    response = login(editor).post(url("settings_lifecycle", aws, bucket),
                                  lifecycle_form(**{"rule-0-expiration_days": days}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Days until expiration must be" in html
    assert f'value="{days}"' in html  # what was typed stays in the form
    assert seen == []
    assert AuditEntry.objects.filter(action="bucket.lifecycle.update", ok=False).count() == 1


@pytest.mark.parametrize(("view", "data", "message"), [
    ("settings_object_lock", {"mode": "GOVERNANCE", "days": "①"}, "Days must be a whole number"),
    ("settings_object_lock", {"mode": "GOVERNANCE", "years": "101"}, "Years must be at most 100"),
    ("settings_cors", {"rule-TOTAL_FORMS": "1", "rule-INITIAL_FORMS": "0", "rule-0-origins": "*",
                       "rule-0-methods": "GET", "rule-0-max_age": "²"}, "max age (seconds) must be"),
    ("settings_cors", {"rule-TOTAL_FORMS": "①", "rule-INITIAL_FORMS": "0",
                       "rule-0-origins": "*", "rule-0-methods": "GET"}, "count of its rules"),
], ids=["lock-days", "lock-years", "cors-max-age", "rule-count"])
def test_every_numeric_settings_field_refuses_what_is_not_a_plain_number(
    login, editor, aws, make_bucket, sent_to_s3, view: str, data: dict, message: str  # noqa: F811
) -> None:
    bucket = make_bucket(aws, lock=view == "settings_object_lock")
    seen = sent_to_s3(aws)
    response = login(editor).post(url(view, aws, bucket), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert seen == [] or all(method == "GET" for method, _ in seen)  # at most a re-read


@pytest.mark.parametrize("origin", ["not a url", "ftp://x", "https://*.*.example.com"])
def test_a_cors_origin_that_is_not_an_origin_is_refused_before_s3(
    login, editor, aws, make_bucket, sent_to_s3, origin: str  # noqa: F811
) -> None:
    bucket = make_bucket(aws)
    seen = sent_to_s3(aws)
    response = login(editor).post(url("settings_cors", aws, bucket), {
        "rule-TOTAL_FORMS": "1", "rule-INITIAL_FORMS": "0", "rule-0-origins": origin,
        "rule-0-methods": "GET"})
    assert response.status_code == 400
    assert "Rule 1:" in response.content.decode()
    assert seen == []


def test_the_cors_editor_round_trips_through_the_formset_and_says_save_cors_rules(
    login, editor, aws, make_bucket  # noqa: F811
) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    target = url("settings_cors", aws, bucket)
    page = section(client.get(target).content.decode(), "cors")
    assert 'name="rule-TOTAL_FORMS" value="1"' in page and 'id="cors-rule-TOTAL_FORMS"' in page
    assert ">Save CORS rules</button>" in page
    response = client.post(target, {"rule-TOTAL_FORMS": "1", "rule-INITIAL_FORMS": "0",
                                    "rule-0-origins": "https://*.example.com\nhttp://localhost:8080",
                                    "rule-0-methods": ["GET", "HEAD"], "rule-0-max_age": "0"})
    assert response.status_code == 302
    rule = gateway.client(aws).get_bucket_cors(Bucket=bucket)["CORSRules"][0]
    assert rule["AllowedOrigins"] == ["https://*.example.com", "http://localhost:8080"]
    assert rule["MaxAgeSeconds"] == 0
    page = section(client.get(target).content.decode(), "cors")
    assert 'name="rule-TOTAL_FORMS" value="2"' in page and 'name="rule-INITIAL_FORMS" value="1"' in page
    assert 'name="rule-1-origins"' in page  # the blank rule to add one


def big_policy(bucket: str, size: int) -> str:
    statement = {"Sid": "", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*"}
    statement["Sid"] = "x" * (size - len(json.dumps({"Statement": [statement]})))
    return json.dumps({"Statement": [statement]})


@pytest.mark.parametrize(("provider", "bucket_type", "region"), [
    ("aws", "", "us-east-1"), ("ionos", "user-owned", "de"), ("generic", "", "us-east-1")])
def test_a_51_kb_policy_is_refused_where_the_limit_is_20_kb(
    login, editor, team, make_connection, s3_endpoint, make_bucket, sent_to_s3,  # noqa: F811
    provider: str, bucket_type: str, region: str
) -> None:
    connection = make_connection(team, endpoint=s3_endpoint, provider=provider,
                                 bucket_type=bucket_type, region=region)
    bucket = make_bucket(connection)
    seen = sent_to_s3(connection)
    response = login(editor).post(url("settings_bucket_policy", connection, bucket),
                                  {"policy": big_policy(bucket, 51 * 1024)})
    assert response.status_code == 400
    assert "accepts at most 20 KB (20,480 bytes)" in response.content.decode()
    assert seen == []


def test_a_contract_owned_bucket_takes_a_policy_up_to_1_mb(
    login, editor, contract_owned, make_bucket  # noqa: F811
) -> None:
    bucket = make_bucket(contract_owned)
    client = login(editor)
    target = url("settings_bucket_policy", contract_owned, bucket)
    assert client.post(target, {"policy": big_policy(bucket, 51 * 1024)}).status_code == 302
    refused = client.post(target, {"policy": big_policy(bucket, 1024 * 1024 + 1)})
    assert refused.status_code == 400
    assert "at most 1 MB" in refused.content.decode()


def test_a_policy_on_another_bucket_is_saved_with_a_warning(
    login, editor, aws, make_bucket  # noqa: F811
) -> None:
    bucket = make_bucket(aws)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::someone-elses-bucket/*"}]})
    client = login(editor)
    target = url("settings_bucket_policy", aws, bucket)
    fragment = client.post(target, {"policy": policy}, HTTP_HX_REQUEST="true").content.decode()
    assert "Saved." in fragment and "setting-warnings" in fragment
    assert "“someone-elses-bucket”, not in “" in fragment
    response = client.post(target, {"policy": policy}, follow=True)
    assert any("governs only its own bucket" in str(m) for m in response.context["messages"])


@pytest.mark.parametrize(("view", "data"), [
    ("settings_bucket_policy", {"policy": '{"Statement": ' + "[" * 3000 + "]" * 3000 + "}"}),
    ("settings_website", {"enabled": "on", "index": "index.html",
                          "routing_rules": "[" * 50_000 + "]" * 50_000}),
    ("settings_website", {"enabled": "on", "index": "index.html",
                          "routing_rules": json.dumps([{"Redirect": {"HostName": [[[[]]]]}}])}),
], ids=["deep-policy", "deep-routing-rules", "routing-rule-of-wrong-types"])
def test_json_boto3_or_python_cannot_take_is_a_400_with_a_message(
    login, editor, aws, make_bucket, sent_to_s3, view: str, data: dict  # noqa: F811
) -> None:
    bucket = make_bucket(aws)
    seen = sent_to_s3(aws)
    response = login(editor).post(url(view, aws, bucket), data)
    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode() or "takes text values" in (
        response.content.decode())
    assert seen == []


def test_a_control_character_is_refused_and_the_stored_tags_are_shown_again(
    login, editor, aws, make_bucket  # noqa: F811
) -> None:
    bucket = make_bucket(aws)
    gateway.bucket_tags_put(aws, bucket, [{"Key": "team", "Value": "blue"}])
    response = login(editor).post(url("settings_bucket_tagging", aws, bucket),
                                  {"tag-key": ["a\x00b"], "tag-value": ["x"]})
    assert response.status_code == 400
    html = section(response.content.decode(), "bucket_tagging")
    assert "U+0000" in html and 'value="blue"' in html


def test_every_setting_keeps_its_url_and_one_view_answers_them_all() -> None:
    from django.urls import resolve

    expected = {"settings_object_tagging": "object-settings/tags/",
                "settings_object_acl": "object-settings/acl/",
                "settings_legal_hold": "object-settings/legal-hold/",
                "settings_cors": "settings/cors/", "settings_bucket_policy": "settings/bucket-policy/",
                "settings_inventory": "settings/inventory/"}
    for name, tail in expected.items():
        assert reverse(name, args=[1, "b"]) == f"/c/1/b/b/{tail}"
    views = {resolve(reverse(s.url_name, args=[1, "b"])).func
             for s in bucket_settings.SETTINGS.values()}
    assert len(views) == 1


def test_a_not_offered_setting_still_answers_its_page_and_refuses_every_post(
    login, editor, aws, make_bucket, sent_to_s3  # noqa: F811
) -> None:
    bucket = make_bucket(aws)
    seen = sent_to_s3(aws)
    client = login(editor)
    assert client.get(url("settings_inventory", aws, bucket)).status_code == 200
    response = client.post(url("settings_inventory", aws, bucket), {"action": "delete"})
    assert response.status_code == 400
    assert "not managed in this console" in response.content.decode()
    assert seen == []
    gateway.head_bucket(aws, bucket)


def test_an_object_setting_saved_with_htmx_answers_only_its_section(
    login, editor, aws, make_bucket  # noqa: F811
) -> None:
    bucket = make_bucket(aws, objects=("a.txt",))
    response = login(editor).post(reverse("settings_object_tagging", args=[aws.pk, bucket])
                                  + "?key=a.txt", {"tag-key": ["k"], "tag-value": ["v"]},
                                  HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card setting') and "<html" not in html
    assert "Saved." in html and 'value="v"' in html and ">Save object tags</button>" in html
