"""Edit metadata of a selection on Ceph RGW, which enforces ACLs, drops tags on a copy onto
itself and answers HEAD of an SSE-C object without its key with 400. (Ceph RGW 16.2, like moto,
ignores CopySourceIfMatch: measured; tests/test_bulk_metadata.py plays an endpoint that honours it.)
The job runs in-process (`jobs.job_run`); tests/test_bulk_metadata_worker.py runs it on a worker."""

from __future__ import annotations

import os

import requests

from buckets import gateway
from buckets.jobs import metadata
from buckets.models import JobState
from tests.test_bulk_metadata import change, post, run_last


def test_a_versioned_folder_on_rgw_gets_the_change_and_keeps_its_tags_acl_and_other_metadata(
        login, editor, rgw_connection, rgw_bucket) -> None:
    gateway.put_versioning(rgw_connection, rgw_bucket, True)
    s3 = gateway.client(rgw_connection)
    s3.put_object(Bucket=rgw_bucket, Key="site/index.htm", Body=b"<p>hi</p>", ContentType="text/plain",
                  ACL="public-read", Tagging="stage=live&team=web", Metadata={"build": "7", "old": "x"})
    s3.put_object(Bucket=rgw_bucket, Key="site/app.js", Body=b"1;", ContentType="application/javascript",
                  Tagging="stage=live")
    post(login(editor), rgw_connection, rgw_bucket, change(
        ["site/"], cache_control=("set", "public, max-age=300"), rows=[("build", "8")], meta_remove_names="old"))
    job = run_last()
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result == {"changed": 2, "failed_count": 0}
    head = s3.head_object(Bucket=rgw_bucket, Key="site/index.htm")
    assert (head["ContentType"], head["CacheControl"], head["Metadata"]) == (
        "text/plain", "public, max-age=300", {"build": "8"})
    # RGW drops tags on a copy onto itself: the job put them back, on the new version.
    tags = s3.get_object_tagging(Bucket=rgw_bucket, Key="site/index.htm", VersionId=head["VersionId"])["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("stage", "live"), ("team", "web")]
    assert s3.get_object_tagging(Bucket=rgw_bucket, Key="site/app.js")["TagSet"] == [{"Key": "stage", "Value": "live"}]
    assert s3.head_object(Bucket=rgw_bucket, Key="site/app.js")["ContentType"] == "application/javascript"
    # RGW enforces ACLs: an anonymous GET proves the object is still public; the other stays private.
    anonymous = requests.get(f"{rgw_connection.endpoint_url}/{rgw_bucket}/site/index.htm", timeout=5)
    assert anonymous.status_code == 200 and anonymous.headers["Cache-Control"] == "public, max-age=300"
    assert requests.get(f"{rgw_connection.endpoint_url}/{rgw_bucket}/site/app.js", timeout=5).status_code == 403
    versions = s3.list_object_versions(Bucket=rgw_bucket, Prefix="site/index.htm")["Versions"]
    assert len(versions) == 2  # the copy wrote a new version; the old one stays


def test_sse_c_objects_are_listed_with_rgws_copy_rule_or_as_needing_their_key(
        login, editor, make_connection, team, rgw, rgw_connection, rgw_bucket) -> None:
    s3 = gateway.client(rgw_connection)
    s3.put_object(Bucket=rgw_bucket, Key="secret.bin", Body=b"x", SSECustomerAlgorithm="AES256",
                  SSECustomerKey=os.urandom(32))
    s3.put_object(Bucket=rgw_bucket, Key="open.txt", Body=b"x")
    client = login(editor)
    post(client, rgw_connection, rgw_bucket, change(["secret.bin", "open.txt"], content_type=("set", "text/plain")))
    job = run_last()
    assert job.state == JobState.FAILED
    reasons = dict(job.failures.values_list("key", "reason"))
    assert list(reasons) == ["secret.bin"] and "does not copy objects encrypted with a customer key" in reasons["secret.bin"]
    assert s3.head_object(Bucket=rgw_bucket, Key="open.txt")["ContentType"] == "text/plain"
    # Where the catalogue does not forbid copying SSE-C objects, the job still has no key.
    generic = make_connection(team, endpoint=rgw["endpoint"], access_key=rgw["access_key"],
                              secret_key=rgw["secret_key"], provider="generic")
    post(client, generic, rgw_bucket, change(["secret.bin"], content_type=("set", "text/plain")))
    job = run_last()
    assert [reason for _, reason in job.failures.values_list("key", "reason")] == [metadata.NEEDS_KEY]
