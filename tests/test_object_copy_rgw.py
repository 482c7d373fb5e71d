"""Copy, move and restore-this-version through the console on a real Ceph RGW 16.2, read
back with the gateway (RGW checks signatures and keeps storage classes for real)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.models import Job
from tests.conftest import empty_and_delete, unique_bucket_name


@pytest.fixture
def rgw_other_bucket(rgw_connection):
    name = unique_bucket_name("rgwdst")
    gateway.create_bucket(rgw_connection, name)
    yield name
    empty_and_delete(rgw_connection, name)


def test_one_object_is_copied_server_side_to_another_bucket_with_everything_it_carries(
        login, editor, rgw_connection, rgw_bucket, rgw_other_bucket):
    gateway.call(rgw_connection, "put_object", Bucket=rgw_bucket, Key="docs/a b.txt", Body=b"alpha",
                 ContentType="text/plain", CacheControl="no-cache", Metadata={"owner": "ada"},
                 Tagging="team=blue", StorageClass="STANDARD_IA")
    response = login(editor).post(reverse("object_copy", args=[rgw_connection.pk, rgw_bucket]), {
        "key": "docs/a b.txt", "op": "move", "target_connection": rgw_connection.pk, "target_bucket": rgw_other_bucket,
        "target_prefix": "kept/", "new_name": "a b.txt"})
    assert response.status_code == 302, response.content[:500]
    assert not Job.objects.exists()
    head = gateway.call(rgw_connection, "head_object", Bucket=rgw_other_bucket, Key="kept/a b.txt")
    assert (head["ContentType"], head["CacheControl"], head["Metadata"]) == ("text/plain", "no-cache", {"owner": "ada"})
    assert head["StorageClass"] == "STANDARD_IA"
    tags = gateway.call(rgw_connection, "get_object_tagging", Bucket=rgw_other_bucket, Key="kept/a b.txt")["TagSet"]
    assert tags == [{"Key": "team", "Value": "blue"}]
    assert gateway.list_page(rgw_connection, rgw_bucket, delimiter="").objects == []  # moved


def test_restore_this_version_on_rgw_makes_the_old_bytes_current_again(login, editor, rgw_connection, rgw_bucket):
    gateway.put_versioning(rgw_connection, rgw_bucket, True)
    first = gateway.call(rgw_connection, "put_object", Bucket=rgw_bucket, Key="report.csv", Body=b"v1",
                         ContentType="text/csv")["VersionId"]
    gateway.call(rgw_connection, "put_object", Bucket=rgw_bucket, Key="report.csv", Body=b"v2")
    gateway.delete_object(rgw_connection, rgw_bucket, "report.csv")  # a delete marker on top
    response = login(editor).post(reverse("restore_version", args=[rgw_connection.pk, rgw_bucket]),
                                  {"key": "report.csv", "version": first})
    assert response.status_code == 302
    assert b"".join(gateway.open_object(rgw_connection, rgw_bucket, "report.csv").body) == b"v1"
    assert gateway.head_object(rgw_connection, rgw_bucket, "report.csv").content_type == "text/csv"
    versions = gateway.list_versions(rgw_connection, rgw_bucket, "report.csv")
    assert len(versions) == 4 and versions[0].is_latest and not versions[0].is_delete_marker
