"""The bucket and object settings views against the moto server.

Requests that reach S3 are counted on the connection's own boto3 client (the gateway
caches one per endpoint and keys, and the views run in this process), so "refused before
any S3 call" is checked on the wire, not by patching.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.models import AuditEntry


@pytest.fixture
def sent_to_s3():
    """sent_to_s3(connection) -> a live list of (method, url) of every request S3 receives."""
    registered = []

    def watch(connection) -> list[tuple[str, str]]:
        seen: list[tuple[str, str]] = []
        events = gateway.client(connection).meta.events
        uid = f"test-{uuid.uuid4().hex}"
        events.register("before-send.s3", lambda request, **_: seen.append(
            (request.method, request.url)), unique_id=uid)
        registered.append((events, uid))
        return seen

    yield watch
    for events, uid in registered:
        events.unregister("before-send.s3", unique_id=uid)


@pytest.fixture
def aws(make_connection, team, s3_endpoint):
    """Every bucket feature is a console feature for AWS: the round trips run through it."""
    return make_connection(team, endpoint=s3_endpoint, provider="aws", region="us-east-1")


@pytest.fixture
def make_bucket(s3_endpoint):
    made = []

    def make(connection, *, lock: bool = False, objects: tuple[str, ...] = ()) -> str:
        name = f"set-{uuid.uuid4().hex[:12]}"
        gateway.create_bucket(connection, name, object_lock=lock)
        for key in objects:
            gateway.put_object(connection, name, key, b"hello")
        made.append((connection, name))
        return name

    yield make
    for connection, name in made:
        client = gateway.client(connection)
        locked = lock_of(client, name)
        for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
            for item in page.get("Versions", []):
                if locked:
                    client.put_object_legal_hold(Bucket=name, Key=item["Key"],
                                                 VersionId=item["VersionId"],
                                                 LegalHold={"Status": "OFF"})
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                client.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"],
                                     BypassGovernanceRetention=True)
        client.delete_bucket(Bucket=name)


def lock_of(client, name: str) -> bool:
    try:
        config = client.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    except Exception:
        return False
    return config.get("ObjectLockEnabled") == "Enabled"


def url(name: str, connection, bucket: str) -> str:
    return reverse(name, args=[connection.pk, bucket])


def section(html: str, feature_id: str) -> str:
    found = re.search(rf'<section class="card setting[^"]*" id="setting-{feature_id}".*?</section>',
                      html, re.S)
    assert found, f"no section for {feature_id}"
    return found.group(0)


def audit_rows(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("at"))


# --- refused before S3 ---------------------------------------------------------------------


def test_a_tag_filter_forged_into_a_spaces_lifecycle_rule_is_refused_without_an_s3_call(
    login, editor, spaces, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(spaces)
    seen = sent_to_s3(spaces)
    response = login(editor).post(url("settings_lifecycle", spaces, bucket), {
        "rule-count": "1", "rule-0-id": "tmp", "rule-0-enabled": "on", "rule-0-prefix": "tmp/",
        "rule-0-tags": "env=test", "rule-0-expiration_days": "7"})
    assert response.status_code == 400
    assert "tag-based lifecycle rules are not supported by DigitalOcean Spaces" in (
        response.content.decode())
    assert seen == []
    assert audit_rows("bucket.lifecycle.update")[-1].ok is False


def test_a_spaces_lifecycle_rule_with_a_transition_is_refused_without_an_s3_call(
    login, editor, spaces, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(spaces)
    seen = sent_to_s3(spaces)
    response = login(editor).post(url("settings_lifecycle", spaces, bucket), {
        "rule-count": "1", "rule-0-enabled": "on", "rule-0-transition_days": "30",
        "rule-0-transition_class": "GLACIER"})
    assert response.status_code == 400
    assert "transition current versions is not offered by DigitalOcean Spaces" in (
        response.content.decode())
    assert seen == []


@pytest.mark.parametrize("acl", ["public-read-write", "authenticated-read"])
def test_a_spaces_bucket_acl_other_than_private_or_public_read_is_refused_without_an_s3_call(
    login, editor, spaces, make_bucket, sent_to_s3, acl: str
) -> None:
    bucket = make_bucket(spaces)
    seen = sent_to_s3(spaces)
    response = login(editor).post(url("settings_bucket_acl", spaces, bucket),
                                  {"mode": "canned", "acl": acl})
    assert response.status_code == 400
    assert f"“{acl}” is refused" in response.content.decode()
    assert seen == []


def test_spaces_refuses_acl_grants_without_an_s3_call(
    login, editor, spaces, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(spaces)
    seen = sent_to_s3(spaces)
    response = login(editor).post(url("settings_bucket_acl", spaces, bucket),
                                  {"mode": "grants", "group-AllUsers": "READ"})
    assert response.status_code == 400
    assert seen == []


def test_the_logging_group_as_grantee_on_a_contract_owned_bucket_is_refused_without_an_s3_call(
    login, editor, contract_owned, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(contract_owned)
    seen = sent_to_s3(contract_owned)
    response = login(editor).post(url("settings_bucket_acl", contract_owned, bucket),
                                  {"mode": "grants", "group-LogDelivery": ["WRITE", "READ_ACP"]})
    assert response.status_code == 400
    assert "does not allow the Log delivery (Logging Group) as a grantee" in (
        response.content.decode())
    assert seen == []


def test_the_log_delivery_canned_acl_on_a_contract_owned_bucket_is_refused(
    login, editor, contract_owned, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(contract_owned)
    seen = sent_to_s3(contract_owned)
    response = login(editor).post(url("settings_bucket_acl", contract_owned, bucket),
                                  {"mode": "canned", "acl": "log-delivery-write"})
    assert response.status_code == 400
    assert seen == []


@pytest.mark.parametrize(("provider", "bucket_type", "region", "view", "data"), [
    ("digitalocean", "standard", "nyc3", "settings_bucket_encryption", {"mode": "SSE-S3"}),
    ("digitalocean", "standard", "nyc3", "settings_replication",
     {"rule-count": "1", "rule-0-destination": "elsewhere"}),
    ("digitalocean", "standard", "nyc3", "settings_block_public_access", {"BlockPublicAcls": "on"}),
    ("ionos", "contract-owned", "eu-central-3", "settings_access_logging",
     {"enabled": "on", "target_bucket": "logs"}),
    ("ionos", "contract-owned", "eu-central-3", "settings_object_ownership",
     {"ownership": "BucketOwnerEnforced"}),
    ("ionos", "user-owned", "de", "settings_request_payment", {"payer": "Requester"}),
    # The console never sends anything for these: moto deletes the bucket on their DELETE.
    ("ionos", "user-owned", "de", "settings_inventory", {"action": "delete"}),
    ("aws", "", "us-east-1", "settings_metrics", {"action": "delete"}),
    ("aws", "", "us-east-1", "settings_analytics", {}),
], ids=lambda v: v if isinstance(v, str) and v.startswith("settings_") else None)
def test_a_post_for_a_setting_that_is_not_offered_never_reaches_s3(
    login, editor, team, make_connection, s3_endpoint, make_bucket, sent_to_s3,
    provider: str, bucket_type: str, region: str, view: str, data: dict
) -> None:
    connection = make_connection(team, endpoint=s3_endpoint, provider=provider,
                                 bucket_type=bucket_type, region=region)
    bucket = make_bucket(connection)
    seen = sent_to_s3(connection)
    client = login(editor)
    response = client.post(url(view, connection, bucket), data)
    assert response.status_code == 400
    fragment = client.post(url(view, connection, bucket), data, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'class="alert error setting-errors"' in fragment.content.decode()
    assert seen == []
    assert AuditEntry.objects.filter(ok=False, bucket=bucket).count() == 2
    gateway.head_bucket(connection, bucket)  # still there


def test_an_api_only_setting_is_refused_until_the_team_opts_in(
    login, editor, team, contract_owned, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(contract_owned)
    seen = sent_to_s3(contract_owned)
    client = login(editor)
    target = url("settings_block_public_access", contract_owned, bucket)
    refused = client.post(target, {"BlockPublicAcls": "on"})
    assert refused.status_code == 400
    assert "has not opted in" in refused.content.decode()
    assert seen == []
    team.allow_api_only = True
    team.save()
    page = client.get(target).content.decode()
    assert "API-only at provider — run from the console" in page
    assert 'data-control="enabled"' in section(page, "block_public_access")
    assert client.post(target, {"BlockPublicAcls": "on", "IgnorePublicAcls": "on"}).status_code == 302
    stored = gateway.client(contract_owned).get_public_access_block(Bucket=bucket)
    assert stored["PublicAccessBlockConfiguration"]["IgnorePublicAcls"] is True
    assert stored["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is False


# --- round trips on moto -------------------------------------------------------------------


def test_versioning_is_enabled_and_suspended_through_the_console(
    login, editor, aws, make_bucket
) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    response = client.post(url("settings_versioning", aws, bucket), {"status": "Enabled"})
    assert response.status_code == 302
    assert response["Location"].endswith("/settings/properties/#setting-versioning")
    assert gateway.get_versioning(aws, bucket) == "Enabled"
    page = client.get(url("settings_versioning", aws, bucket)).content.decode()
    assert 'value="Enabled" checked' in page
    client.post(url("settings_versioning", aws, bucket), {"status": "Suspended"})
    assert gateway.get_versioning(aws, bucket) == "Suspended"
    entry = audit_rows("bucket.versioning.update")[-1]
    assert entry.ok and entry.bucket == bucket and entry.detail["status"] == "Suspended"


def test_cors_rules_are_written_read_back_and_removed(login, editor, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    target = url("settings_cors", aws, bucket)
    client.post(target, {"rule-count": "1", "rule-0-origins": "https://app.example\nhttps://b.example",
                         "rule-0-methods": ["GET", "PUT"], "rule-0-headers": "*",
                         "rule-0-expose": "ETag", "rule-0-max_age": "600"})
    rules = gateway.client(aws).get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rules[0]["AllowedOrigins"] == ["https://app.example", "https://b.example"]
    assert rules[0]["AllowedMethods"] == ["GET", "PUT"] and rules[0]["MaxAgeSeconds"] == 600
    page = section(client.get(target).content.decode(), "cors")
    assert "https://app.example\nhttps://b.example</textarea>" in page
    client.post(target, {"rule-count": "2", "rule-0-origins": "https://app.example",
                         "rule-0-methods": "GET", "rule-0-remove": "on"})
    assert gateway.get_config(aws, "get_bucket_cors", Bucket=bucket) is None


def test_a_cors_rule_without_methods_is_refused_with_the_reason(
    login, editor, aws, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(aws)
    seen = sent_to_s3(aws)
    response = login(editor).post(url("settings_cors", aws, bucket),
                                  {"rule-count": "1", "rule-0-origins": "*"})
    assert response.status_code == 400
    assert "choose at least one method" in response.content.decode()
    assert "*</textarea>" in response.content.decode()  # what was typed stays
    assert seen == []


def test_lifecycle_rules_with_prefix_and_tags_round_trip(login, editor, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    target = url("settings_lifecycle", aws, bucket)
    response = client.post(target, {
        "rule-count": "3",
        "rule-0-id": "logs", "rule-0-enabled": "on", "rule-0-prefix": "logs/",
        "rule-0-tags": "env=test\nteam=storage", "rule-0-expiration_days": "30",
        "rule-0-noncurrent_days": "7", "rule-0-transition_days": "10",
        "rule-0-transition_class": "GLACIER",
        "rule-1-id": "uploads", "rule-1-enabled": "on", "rule-1-abort_days": "2",
        "rule-2-id": "", "rule-2-prefix": ""})
    assert response.status_code == 302
    rules = {r["ID"]: r for r in
             gateway.client(aws).get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert rules["logs"]["Filter"] == {"And": {"Prefix": "logs/", "Tags": [
        {"Key": "env", "Value": "test"}, {"Key": "team", "Value": "storage"}]}}
    assert rules["uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 2}
    page = section(client.get(target).content.decode(), "lifecycle")
    assert 'value="logs/"' in page and "env=test\nteam=storage</textarea>" in page
    assert 'value="30"' in page and "<option selected>GLACIER</option>" in page
    client.post(target, {"rule-count": "2", "rule-0-id": "logs", "rule-0-remove": "on",
                         "rule-1-id": "uploads", "rule-1-remove": "on"})
    assert gateway.get_config(aws, "get_bucket_lifecycle_configuration", Bucket=bucket) is None


def test_a_spaces_lifecycle_rule_with_expiration_and_abort_is_accepted(
    login, editor, spaces, make_bucket
) -> None:
    bucket = make_bucket(spaces)
    response = login(editor).post(url("settings_lifecycle", spaces, bucket), {
        "rule-count": "1", "rule-0-id": "tmp", "rule-0-enabled": "on", "rule-0-prefix": "tmp/",
        "rule-0-expiration_days": "30", "rule-0-abort_days": "7"})
    assert response.status_code == 302
    rule = gateway.client(spaces).get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert rule["Filter"] == {"Prefix": "tmp/"} and rule["Expiration"] == {"Days": 30}


def test_bucket_tags_are_replaced_and_cleared(login, editor, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    target = url("settings_bucket_tagging", aws, bucket)
    client.post(target, {"tag-key": ["team", "cost", ""], "tag-value": ["storage", "42", ""]})
    tags = gateway.client(aws).get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("cost", "42"), ("team", "storage")]
    assert 'value="storage"' in client.get(target).content.decode()
    client.post(target, {"tag-key": ["", ""], "tag-value": ["", ""]})
    assert gateway.get_config(aws, "get_bucket_tagging", Bucket=bucket) is None


def test_a_bucket_policy_is_stored_shown_and_removed(login, editor, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    client = login(editor)
    target = url("settings_bucket_policy", aws, bucket)
    assert client.post(target, {"policy": json.dumps(policy)}).status_code == 302
    stored = json.loads(gateway.client(aws).get_bucket_policy(Bucket=bucket)["Policy"])
    assert stored["Statement"][0]["Action"] == "s3:GetObject"
    assert "&quot;s3:GetObject&quot;" in client.get(target).content.decode()
    client.post(target, {"policy": ""})
    assert gateway.get_config(aws, "get_bucket_policy", Bucket=bucket) is None


def test_a_malformed_policy_is_refused_before_s3(login, editor, aws, make_bucket, sent_to_s3) -> None:
    bucket = make_bucket(aws)
    seen = sent_to_s3(aws)
    response = login(editor).post(url("settings_bucket_policy", aws, bucket), {"policy": "{nope"})
    assert response.status_code == 400
    assert "not valid JSON" in response.content.decode()
    assert seen == []


def test_the_static_website_is_configured_with_redirect_rules_and_removed(
    login, editor, aws, make_bucket
) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    target = url("settings_website", aws, bucket)
    rules = [{"Condition": {"KeyPrefixEquals": "old/"}, "Redirect": {"ReplaceKeyPrefixWith": "new/"}}]
    client.post(target, {"enabled": "on", "index": "index.html", "error": "404.html",
                         "routing_rules": json.dumps(rules)})
    stored = gateway.client(aws).get_bucket_website(Bucket=bucket)
    assert stored["IndexDocument"] == {"Suffix": "index.html"}
    assert stored["ErrorDocument"] == {"Key": "404.html"}
    assert stored["RoutingRules"] == rules
    page = client.get(target).content.decode()
    assert 'name="enabled" checked' in page and "ReplaceKeyPrefixWith" in page
    client.post(target, {"index": "index.html"})
    assert gateway.get_config(aws, "get_bucket_website", Bucket=bucket) is None


def test_saving_a_contract_owned_website_keeps_redirects_set_through_the_api(
    login, editor, contract_owned, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(contract_owned)
    rules = [{"Condition": {"KeyPrefixEquals": "a/"}, "Redirect": {"ReplaceKeyPrefixWith": "b/"}}]
    gateway.client(contract_owned).put_bucket_website(Bucket=bucket, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "RoutingRules": rules})
    client = login(editor)
    target = url("settings_website", contract_owned, bucket)
    seen = sent_to_s3(contract_owned)
    forged = client.post(target, {"enabled": "on", "index": "home.html",
                                  "redirect_host": "evil.example"})
    assert forged.status_code == 400
    assert "only through its API" in forged.content.decode()
    assert seen == []
    assert client.post(target, {"enabled": "on", "index": "home.html"}).status_code == 302
    stored = gateway.client(contract_owned).get_bucket_website(Bucket=bucket)
    assert stored["IndexDocument"] == {"Suffix": "home.html"}
    assert stored["RoutingRules"] == rules


def test_block_public_access_encryption_and_ownership_round_trip(
    login, editor, aws, make_bucket
) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    client.post(url("settings_block_public_access", aws, bucket),
                {"BlockPublicAcls": "on", "BlockPublicPolicy": "on"})
    client.post(url("settings_bucket_encryption", aws, bucket), {"mode": "SSE-S3"})
    client.post(url("settings_object_ownership", aws, bucket), {"ownership": "BucketOwnerPreferred"})
    s3 = gateway.client(aws)
    flags = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert flags["BlockPublicAcls"] and flags["BlockPublicPolicy"] and not flags["IgnorePublicAcls"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerPreferred"}]
    page = client.get(reverse("bucket_settings_group", args=[aws.pk, bucket, "permissions"]))
    assert 'name="BlockPublicAcls" checked' in page.content.decode()
    client.post(url("settings_bucket_encryption", aws, bucket), {"mode": "none"})
    assert gateway.get_config(aws, "get_bucket_encryption", Bucket=bucket) is None


def test_canned_acls_and_group_grants_are_applied(login, editor, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    target = url("settings_bucket_acl", aws, bucket)
    client.post(target, {"mode": "canned", "acl": "public-read"})
    page = section(client.get(target).content.decode(), "bucket_acl")
    assert '<option value="public-read" selected>' in page
    client.post(target, {"mode": "grants", "group-AuthenticatedUsers": ["READ", "READ_ACP"]})
    grants = gateway.client(aws).get_bucket_acl(Bucket=bucket)["Grants"]
    assert {g["Permission"] for g in grants if g["Grantee"].get("URI", "").endswith(
        "AuthenticatedUsers")} == {"READ", "READ_ACP"}
    assert any(g["Permission"] == "FULL_CONTROL" and g["Grantee"].get("ID") for g in grants)


def test_access_logging_needs_a_target_that_accepts_logs_and_says_so(
    login, editor, aws, make_bucket
) -> None:
    source, target_bucket = make_bucket(aws), make_bucket(aws)
    client = login(editor)
    target = url("settings_access_logging", aws, source)
    refused = client.post(target, {"enabled": "on", "target_bucket": target_bucket})
    assert refused.status_code == 400
    assert "The endpoint refused" in refused.content.decode()
    client.post(url("settings_bucket_acl", aws, target_bucket),
                {"mode": "canned", "acl": "log-delivery-write"})
    response = client.post(target, {"enabled": "on", "target_bucket": target_bucket,
                                    "target_prefix": "logs/"})
    assert response.status_code == 302
    stored = gateway.client(aws).get_bucket_logging(Bucket=source)["LoggingEnabled"]
    assert stored == {"TargetBucket": target_bucket, "TargetPrefix": "logs/"}


def test_spaces_refuses_logging_into_the_same_bucket_even_after_opting_in(
    login, editor, team, spaces, make_bucket, sent_to_s3
) -> None:
    team.allow_api_only = True
    team.save()
    bucket = make_bucket(spaces)
    seen = sent_to_s3(spaces)
    response = login(editor).post(url("settings_access_logging", spaces, bucket),
                                  {"enabled": "on", "target_bucket": bucket})
    assert response.status_code == 400
    assert "different bucket from the source" in response.content.decode()
    assert seen == []


def test_object_lock_default_retention_is_set_on_a_bucket_created_with_lock(
    login, editor, aws, make_bucket
) -> None:
    locked, plain = make_bucket(aws, lock=True), make_bucket(aws)
    client = login(editor)
    response = client.post(url("settings_object_lock", aws, locked),
                           {"mode": "GOVERNANCE", "days": "3"})
    assert response.status_code == 302
    retention = gateway.client(aws).get_object_lock_configuration(Bucket=locked)[
        "ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "GOVERNANCE" and retention["Days"] == 3
    page = section(client.get(url("settings_object_lock", aws, plain)).content.decode(),
                   "object_lock")
    assert "created without Object Lock" in page and "<form" not in page


def test_replication_asks_for_versioning_first_and_then_is_stored(
    login, editor, aws, make_bucket
) -> None:
    source, replica = make_bucket(aws), make_bucket(aws)
    client = login(editor)
    target = url("settings_replication", aws, source)
    form = {"role": "arn:aws:iam::123456789012:role/replication", "rule-count": "1",
            "rule-0-id": "all", "rule-0-enabled": "on", "rule-0-destination": replica,
            "rule-0-dest_region": "us-east-1", "rule-0-delete_markers": "on"}
    first = client.post(target, form)
    assert first.status_code == 400
    assert "Enable versioning first" in first.content.decode()
    for name in (source, replica):
        client.post(url("settings_versioning", aws, name), {"status": "Enabled"})
    assert client.post(target, form).status_code == 302
    rule = gateway.client(aws).get_bucket_replication(Bucket=source)[
        "ReplicationConfiguration"]["Rules"][0]
    assert rule["Destination"]["Bucket"] == f"arn:aws:s3:::{replica}"
    assert rule["Status"] == "Enabled"  # moto answers DeleteMarkerReplication Disabled always
    assert f'value="arn:aws:s3:::{replica}"' in client.get(target).content.decode()


def test_a_contract_owned_bucket_cannot_replicate_to_a_user_owned_bucket_or_region(
    login, editor, contract_owned, make_bucket, sent_to_s3
) -> None:
    bucket = make_bucket(contract_owned)
    seen = sent_to_s3(contract_owned)
    client = login(editor)
    target = url("settings_replication", contract_owned, bucket)
    wrong_type = client.post(target, {"rule-count": "1", "rule-0-destination": "replica",
                                      "rule-0-dest_type": "user-owned",
                                      "rule-0-dest_region": "eu-central-3"})
    assert "replicate only to contract-owned buckets" in wrong_type.content.decode()
    wrong_region = client.post(target, {"rule-count": "1", "rule-0-destination": "replica",
                                        "rule-0-dest_type": "contract-owned",
                                        "rule-0-dest_region": "eu-central-4"})
    assert "cross-regional replication is not supported" in wrong_region.content.decode()
    assert seen == []


# --- object settings ----------------------------------------------------------------------


def test_object_tags_acl_and_legal_hold_are_changed_from_the_object_panel(
    login, editor, aws, make_bucket
) -> None:
    bucket = make_bucket(aws, lock=True, objects=("docs/a b&c.txt",))
    key = "docs/a b&c.txt"
    client = login(editor)
    panel = client.get(reverse("object_detail", args=[aws.pk, bucket]), {"key": key},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "/object-settings/?key=docs%2Fa%20b%26c.txt" in panel
    page = client.get(reverse("object_settings", args=[aws.pk, bucket]), {"key": key})
    assert page.status_code == 200
    query = "?key=docs%2Fa+b%26c.txt"
    client.post(reverse("settings_object_tagging", args=[aws.pk, bucket]) + query,
                {"tag-key": ["kind"], "tag-value": ["doc"]})
    client.post(reverse("settings_object_acl", args=[aws.pk, bucket]) + query,
                {"acl": "public-read"})
    response = client.post(reverse("settings_legal_hold", args=[aws.pk, bucket]) + query,
                           {"status": "ON"})
    assert response.status_code == 302 and "/object-settings/?key=" in response["Location"]
    s3 = gateway.client(aws)
    assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == [{"Key": "kind", "Value": "doc"}]
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers")
               for g in s3.get_object_acl(Bucket=bucket, Key=key)["Grants"])
    assert s3.get_object_legal_hold(Bucket=bucket, Key=key)["LegalHold"]["Status"] == "ON"
    entry = audit_rows("object.legal_hold.update")[-1]
    assert entry.key == key and entry.ok
    html = client.get(reverse("object_settings", args=[aws.pk, bucket]), {"key": key}).content.decode()
    assert 'value="doc"' in html and 'value="ON" checked' in html


def test_legal_hold_explains_a_bucket_without_object_lock(login, editor, aws, make_bucket) -> None:
    bucket = make_bucket(aws, objects=("a.txt",))
    html = login(editor).get(reverse("object_settings", args=[aws.pk, bucket]),
                             {"key": "a.txt"}).content.decode()
    hold = section(html, "legal_hold")
    assert "created without Object Lock" in hold and "<form" not in hold


def test_object_tags_on_ionos_are_api_only_with_a_snippet_naming_the_key(
    login, editor, contract_owned, make_bucket
) -> None:
    bucket = make_bucket(contract_owned, objects=("q3/report.csv",))
    html = login(editor).get(reverse("object_settings", args=[contract_owned.pk, bucket]),
                             {"key": "q3/report.csv"}).content.decode()
    tags = section(html, "object_tagging")
    assert 'data-control="disabled"' in tags
    assert "--key q3/report.csv" in tags and contract_owned.endpoint_url in tags


# --- htmx, roles, errors ------------------------------------------------------------------


def test_an_htmx_post_re_renders_only_the_section_with_the_new_state(
    login, editor, aws, make_bucket
) -> None:
    bucket = make_bucket(aws)
    response = login(editor).post(url("settings_versioning", aws, bucket), {"status": "Enabled"},
                                  HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card setting')
    assert "Saved." in html and 'value="Enabled" checked' in html


def test_a_viewer_sees_settings_read_only_and_cannot_post(login, viewer, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    client = login(viewer)
    html = client.get(reverse("bucket_settings_group",
                              args=[aws.pk, bucket, "properties"])).content.decode()
    versioning = section(html, "versioning")
    assert 'data-control="readonly"' in versioning
    assert '<fieldset class="setting-fields" disabled>' in versioning
    assert "Save " not in versioning
    assert "changing them needs the editor role" in html
    assert client.post(url("settings_versioning", aws, bucket),
                       {"status": "Enabled"}).status_code == 403
    assert gateway.get_versioning(aws, bucket) == ""


def test_someone_outside_the_team_gets_not_found(login, outsider, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    client = login(outsider)
    assert client.get(reverse("bucket_settings", args=[aws.pk, bucket])).status_code == 404
    assert client.post(url("settings_versioning", aws, bucket),
                       {"status": "Enabled"}).status_code == 404


def test_a_post_without_the_csrf_token_is_refused(editor, aws, make_bucket) -> None:
    from django.test import Client

    bucket = make_bucket(aws)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(url("settings_versioning", aws, bucket),
                       {"status": "Enabled"}).status_code == 403
    assert gateway.get_versioning(aws, bucket) == ""


def test_a_settings_page_reads_one_subresource_per_section_and_never_lists_the_bucket(
    login, editor, aws, make_bucket, sent_to_s3
) -> None:
    from buckets.bucket_settings import GROUPS, SETTINGS

    bucket = make_bucket(aws, objects=tuple(f"k{i}" for i in range(5)))
    client = login(editor)
    for group in GROUPS.values():
        seen = sent_to_s3(aws)
        assert client.get(reverse("bucket_settings_group",
                                  args=[aws.pk, bucket, group.id])).status_code == 200
        forms = [f for f in group.feature_ids if SETTINGS[f].offered]
        assert len(seen) == len(forms), group.id
        for method, sent in seen:
            assert method == "GET"
            assert "?" in sent and "list-type" not in sent, sent


def test_a_missing_bucket_shows_the_endpoint_message_not_a_server_error(
    login, editor, aws
) -> None:
    response = login(editor).get(reverse("bucket_settings_group",
                                         args=[aws.pk, "no-such-bucket-here", "permissions"]))
    assert response.status_code == 200
    assert "The endpoint refused" in response.content.decode()


def test_an_unknown_settings_group_is_not_found(login, editor, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    assert login(editor).get(reverse("bucket_settings_group",
                                     args=[aws.pk, bucket, "secrets"])).status_code == 404


def test_the_bucket_pages_link_to_settings_and_availability(login, editor, aws, make_bucket) -> None:
    bucket = make_bucket(aws)
    client = login(editor)
    browse = client.get(reverse("browse", args=[aws.pk, bucket])).content.decode()
    assert reverse("bucket_settings_group", args=[aws.pk, bucket, "permissions"]) in browse
    assert reverse("bucket_features", args=[aws.pk, bucket]) in browse
    listing = client.get(reverse("bucket_list", args=[aws.pk])).content.decode()
    assert reverse("connection_features", args=[aws.pk]) in listing
    assert reverse("bucket_settings", args=[aws.pk, bucket]) in listing
