"""Wrong keys are called wrong keys, not "Access denied", on a real Ceph RGW.

This RGW answers a wrong secret and an unknown access key with a bare 403 AccessDenied on
every request (HEAD: a bare 403), exactly like a real denial. The console tells the two apart
with a bucket that cannot exist: valid keys get NoSuchBucket there.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from buckets import gateway

WRONG = "rejected the access key or secret key"


@pytest.fixture(autouse=True)
def fresh_verdicts():
    gateway.reset_limits()
    yield
    gateway.reset_limits()


@pytest.fixture(params=["wrong secret", "unknown access key"])
def wrong_keys(request, make_connection, team, rgw):
    access = rgw["access_key"] if request.param == "wrong secret" else "NOSUCHKEY0000000000"
    return make_connection(team, endpoint=rgw["endpoint"], access_key=access, secret_key="x" * 40,
                           provider="ceph", name="Wrong keys")


def test_every_kind_of_call_with_wrong_keys_says_the_keys_are_wrong(wrong_keys, rgw_bucket):
    for attempt in (
        lambda: gateway.list_buckets(wrong_keys),
        lambda: gateway.list_page(wrong_keys, rgw_bucket),
        lambda: gateway.head_bucket(wrong_keys, rgw_bucket),
        lambda: gateway.head_object(wrong_keys, rgw_bucket, "some-key"),
        lambda: gateway.get_versioning(wrong_keys, rgw_bucket),
    ):
        with pytest.raises(gateway.InvalidCredentials, match=WRONG):
            attempt()


def test_the_pages_say_the_keys_are_wrong_not_access_denied(login, viewer, admin, wrong_keys, rgw_bucket):
    client = login(viewer)
    for url in (reverse("bucket_list", args=[wrong_keys.pk]), reverse("browse", args=[wrong_keys.pk, rgw_bucket])):
        html = client.get(url).content.decode()
        assert WRONG in html, url
        assert "Access denied" not in html, url
    tested = login(admin).post(reverse("connection_test", args=[wrong_keys.pk])).content.decode()
    assert WRONG in tested


def test_the_verdict_is_remembered_so_a_page_asks_once_more_at_most(wrong_keys, rgw_bucket, monkeypatch):
    probes = []
    real = gateway._run

    def counting(conn, method, params, **kwargs):
        if str(params.get("Bucket", "")).startswith("console-probe-"):
            probes.append(method)
        return real(conn, method, params, **kwargs)

    monkeypatch.setattr(gateway, "_run", counting)
    for _ in range(3):
        with pytest.raises(gateway.InvalidCredentials):
            gateway.list_page(wrong_keys, rgw_bucket)
    assert len(probes) == 1


def test_valid_keys_that_a_bucket_policy_denies_still_read_access_denied(rgw_connection, rgw_bucket):
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": ["s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{rgw_bucket}"],
    }]}
    gateway.call(rgw_connection, "put_bucket_policy", Bucket=rgw_bucket, Policy=json.dumps(policy))
    try:
        with pytest.raises(gateway.AccessDenied) as denied:
            gateway.list_page(rgw_connection, rgw_bucket)
        assert not isinstance(denied.value, gateway.InvalidCredentials)
        assert "Access denied" in str(denied.value)
    finally:
        gateway.call(rgw_connection, "delete_bucket_policy", Bucket=rgw_bucket)


def test_right_keys_still_connect(login, admin, rgw_connection):
    html = login(admin).post(reverse("connection_test", args=[rgw_connection.pk])).content.decode()
    assert "Connected" in html
