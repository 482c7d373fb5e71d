"""Object Lock retention of one object through the console.

Ceph RGW enforces Object Lock, so the rules are checked there: a governance retention is
extended by an editor, shortened only by an admin who asks for the bypass header (RGW refuses
the same request without it), and compliance retention is never shortened. moto answers
GetObjectRetention with 500, so it serves the refusal paths that never reach the endpoint.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.models import AuditEntry


def page_url(connection, bucket: str) -> str:
    return reverse("object_retention", args=[connection.pk, bucket])


def stamp(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}"


def retention_of(connection, bucket: str, key: str) -> dict:
    return gateway.client(connection).get_object_retention(Bucket=bucket, Key=key)["Retention"]


@pytest.fixture
def aws(make_connection, team, s3_endpoint):
    """An AWS profile on moto: the catalogue offers Object Lock, so only the bucket decides."""
    return make_connection(team, endpoint=s3_endpoint, provider="aws", region="us-east-1")


@pytest.fixture
def locked_bucket():
    """locked_bucket(connection) -> a bucket created with Object Lock, emptied with the bypass header."""
    made = []

    def make(connection) -> str:
        name = f"lock-{uuid.uuid4().hex[:12]}"
        gateway.create_bucket(connection, name, object_lock=True)
        made.append((connection, name))
        return name

    yield make
    for connection, name in made:
        client = gateway.client(connection)
        for _ in range(30):  # a compliance date set by a test may still lie a few seconds ahead
            try:
                for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
                    for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                        client.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"],
                                             BypassGovernanceRetention=True)
                client.delete_bucket(Bucket=name)
                break
            except Exception:  # noqa: BLE001 - retried until the retention has run out
                time.sleep(1)


def test_governance_is_extended_by_an_editor_and_shortened_only_by_an_admin_who_asks_on_rgw(
        login, editor, admin, rgw_connection, locked_bucket) -> None:
    bucket = locked_bucket(rgw_connection)
    gateway.put_object(rgw_connection, bucket, "keep.txt", b"x")
    now = datetime.now(UTC)
    one_day, two_days, one_hour = now + timedelta(days=1), now + timedelta(days=2), now + timedelta(hours=1)
    as_editor, as_admin = login(editor), login(admin)

    response = as_editor.post(page_url(rgw_connection, bucket),
                              {"key": "keep.txt", "mode": "GOVERNANCE", "retain_until": stamp(one_day)})
    assert response.status_code == 302
    assert retention_of(rgw_connection, bucket, "keep.txt")["Mode"] == "GOVERNANCE"
    assert as_editor.post(page_url(rgw_connection, bucket),
                          {"key": "keep.txt", "mode": "GOVERNANCE", "retain_until": stamp(two_days)}).status_code == 302
    assert retention_of(rgw_connection, bucket, "keep.txt")["RetainUntilDate"] >= two_days.replace(microsecond=0)

    refused = as_editor.post(page_url(rgw_connection, bucket),
                             {"key": "keep.txt", "mode": "GOVERNANCE", "retain_until": stamp(one_hour)})
    assert refused.status_code == 400 and "Only an admin can shorten it" in refused.content.decode()
    not_asked = as_admin.post(page_url(rgw_connection, bucket),
                              {"key": "keep.txt", "mode": "GOVERNANCE", "retain_until": stamp(one_hour)})
    assert not_asked.status_code == 400 and "Bypass governance retention" in not_asked.content.decode()
    # RGW itself refuses the shortening without the header ...
    with pytest.raises(gateway.S3Error):
        gateway.object_retention_put(rgw_connection, bucket, "keep.txt", mode="GOVERNANCE", until=one_hour)
    assert retention_of(rgw_connection, bucket, "keep.txt")["RetainUntilDate"] >= two_days.replace(microsecond=0)

    # ... and takes it from an admin who asked for the bypass.
    bypassed = as_admin.post(page_url(rgw_connection, bucket), {
        "key": "keep.txt", "mode": "GOVERNANCE", "retain_until": stamp(one_hour), "bypass_governance": "on"})
    assert bypassed.status_code == 302
    assert retention_of(rgw_connection, bucket, "keep.txt")["RetainUntilDate"] < one_day
    entry = AuditEntry.objects.filter(action="object.retention.update").order_by("-at").first()
    assert entry.ok and entry.detail["bypass_governance"] is True and entry.user == admin


def test_compliance_warns_before_sending_and_nothing_shortens_it_on_rgw(
        login, editor, admin, rgw_connection, locked_bucket) -> None:
    bucket = locked_bucket(rgw_connection)
    gateway.put_object(rgw_connection, bucket, "sealed.txt", b"x")
    as_editor, as_admin = login(editor), login(admin)
    page = as_editor.get(page_url(rgw_connection, bucket), {"key": "sealed.txt"}).content.decode()
    assert "Compliance mode cannot be undone" in page

    until = datetime.now(UTC) + timedelta(seconds=8)
    unconfirmed = as_editor.post(page_url(rgw_connection, bucket),
                                 {"key": "sealed.txt", "mode": "COMPLIANCE", "retain_until": stamp(until)})
    assert unconfirmed.status_code == 400 and "tick the box to confirm" in unconfirmed.content.decode()
    assert gateway.object_retention_get(rgw_connection, bucket, "sealed.txt").mode == ""  # nothing was sent

    assert as_editor.post(page_url(rgw_connection, bucket), {
        "key": "sealed.txt", "mode": "COMPLIANCE", "retain_until": stamp(until),
        "confirm_compliance": "on"}).status_code == 302
    assert retention_of(rgw_connection, bucket, "sealed.txt")["Mode"] == "COMPLIANCE"
    earlier = until - timedelta(seconds=4)
    for data in ({"mode": "COMPLIANCE", "confirm_compliance": "on"}, {"mode": "GOVERNANCE"}):
        refused = as_admin.post(page_url(rgw_connection, bucket), {
            "key": "sealed.txt", "retain_until": stamp(earlier), "bypass_governance": "on", **data})
        assert refused.status_code == 400 and "nothing can shorten it" in refused.content.decode()
    with pytest.raises(gateway.S3Error):  # RGW refuses it even with the bypass header
        gateway.object_retention_put(rgw_connection, bucket, "sealed.txt", mode="COMPLIANCE", until=earlier,
                                     bypass_governance=True)
    assert retention_of(rgw_connection, bucket, "sealed.txt")["Mode"] == "COMPLIANCE"


def test_a_bucket_without_object_lock_offers_no_retention_and_sends_nothing(
        login, editor, aws, bucket) -> None:
    connection = aws
    gateway.put_object(connection, bucket, "a.txt", b"x")
    client = login(editor)
    page = client.get(page_url(connection, bucket), {"key": "a.txt"})
    assert "created without Object Lock" in page.content.decode() and 'id="retention-form"' not in page.content.decode()
    refused = client.post(page_url(connection, bucket), {
        "key": "a.txt", "mode": "GOVERNANCE", "retain_until": stamp(datetime.now(UTC) + timedelta(days=1))})
    assert refused.status_code == 400
    assert not AuditEntry.objects.filter(action="object.retention.update").exists()


def test_where_the_catalogue_does_not_offer_object_lock_the_page_says_why(login, editor, spaces) -> None:
    # Refused from the catalogue alone: no bucket needs to exist, as nothing is asked of the endpoint.
    page = login(editor).get(page_url(spaces, "any-space"), {"key": "a.txt"}).content.decode()
    assert "Object Lock is not offered for this bucket" in page and "Spaces" in page


def test_bad_retention_input_is_refused_with_messages_on_moto(login, editor, aws, locked_bucket) -> None:
    connection = aws
    bucket = locked_bucket(connection)
    client = login(editor)
    page = client.get(page_url(connection, bucket), {"key": "a.txt"}).content.decode()
    assert "The endpoint did not say" in page  # moto answers GetObjectRetention with 500
    cases = [
        ({"mode": "FOREVER", "retain_until": stamp(datetime.now(UTC) + timedelta(days=1))}, "Choose governance"),
        ({"mode": "GOVERNANCE", "retain_until": "soon"}, "is not a date and time"),
        ({"mode": "GOVERNANCE", "retain_until": "2001-01-01T00:00"}, "must lie in the future"),
        ({"mode": "GOVERNANCE", "retain_until": "2999-01-01T00:00"}, "at most 36,500 days"),
        ({"mode": "GOVERNANCE", "retain_until": stamp(datetime.now(UTC) + timedelta(days=1)),
          "bypass_governance": "on"}, "Only an admin may bypass"),
    ]
    for data, message in cases:
        response = client.post(page_url(connection, bucket), {"key": "a.txt", **data})
        assert response.status_code == 400 and message in response.content.decode(), message


def test_a_viewer_cannot_reach_the_retention_page(login, viewer, connection, bucket) -> None:
    assert login(viewer).get(page_url(connection, bucket), {"key": "a.txt"}).status_code == 403
    assert login(viewer).post(page_url(connection, bucket), {"key": "a.txt"}).status_code == 403
