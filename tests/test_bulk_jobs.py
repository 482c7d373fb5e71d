"""Bulk work through the console: the views start jobs, the jobs run in-process
(`jobs.job_run`), and what they did is read back from the endpoint."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from buckets import gateway, jobs
from buckets.models import Job, JobKind, JobState
from tests.conftest import empty_and_delete, unique_bucket_name


def run_last(kind: JobKind) -> Job:
    job = Job.objects.filter(kind=kind).latest("created_at")
    jobs.job_run(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def other_bucket(connection):
    name = unique_bucket_name("dst")
    gateway.create_bucket(connection, name)
    yield name
    empty_and_delete(connection, name)


def put(conn, bucket, key, body=b"x", **extra):
    gateway.call(conn, "put_object", Bucket=bucket, Key=key, Body=body, **extra)


def transfer(client, conn, bucket, keys, *, op="copy", prefix="", target_bucket="", target_prefix="",
             conflict="overwrite", rename_to="", target_connection=None):
    return client.post(reverse("bulk_transfer", args=[conn.pk, bucket]), {
        "keys": keys, "prefix": prefix, "op": op, "confirm": "yes", "conflict": conflict,
        "target_connection": (target_connection or conn).pk, "target_bucket": target_bucket or bucket,
        "target_prefix": target_prefix, "rename_to": rename_to})


def test_copying_a_selection_and_a_folder_carries_metadata_headers_tags_and_class(login, editor, connection, bucket, other_bucket):
    put(connection, bucket, "docs/a.txt", b"alpha", ContentType="text/plain", CacheControl="max-age=60",
        Metadata={"owner": "ada"}, Tagging="team=blue", StorageClass="STANDARD_IA")
    put(connection, bucket, "docs/sub/b.txt", b"beta")
    put(connection, bucket, "top.txt", b"top")
    response = transfer(login(editor), connection, bucket, ["docs/", "top.txt"], target_bucket=other_bucket,
                        target_prefix="copied")
    assert response.status_code == 302
    job = run_last(JobKind.COPY)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.params["server_side"] is True
    assert (job.items_done, job.items_total, job.result["copied"]) == (3, 3, 3)
    assert job.bytes_done == job.bytes_total == 12
    keys = sorted(o.key for o in gateway.list_page(connection, other_bucket, delimiter="").objects)
    assert keys == ["copied/docs/a.txt", "copied/docs/sub/b.txt", "copied/top.txt"]
    head = gateway.call(connection, "head_object", Bucket=other_bucket, Key="copied/docs/a.txt")
    assert (head["ContentType"], head["CacheControl"], head["Metadata"]) == ("text/plain", "max-age=60", {"owner": "ada"})
    assert head["StorageClass"] == "STANDARD_IA"
    tags = gateway.call(connection, "get_object_tagging", Bucket=other_bucket, Key="copied/docs/a.txt")["TagSet"]
    assert tags == [{"Key": "team", "Value": "blue"}]
    assert gateway.object_exists(connection, bucket, "docs/a.txt")  # a copy keeps the source


def test_moving_a_folder_removes_each_source_after_its_copy_is_verified(login, editor, connection, bucket):
    for i in range(5):
        put(connection, bucket, f"old/{i}.txt", f"body {i}".encode())
    transfer(login(editor), connection, bucket, ["old/"], op="move", target_prefix="new/")
    job = run_last(JobKind.MOVE)
    assert job.state == JobState.SUCCEEDED, job.error
    keys = sorted(o.key for o in gateway.list_page(connection, bucket, delimiter="").objects)
    assert keys == [f"new/old/{i}.txt" for i in range(5)]
    assert b"".join(gateway.open_object(connection, bucket, "new/old/3.txt").body) == b"body 3"


def test_renaming_one_object_and_one_folder_in_place(login, editor, connection, bucket):
    put(connection, bucket, "f/report.txt", b"r")
    put(connection, bucket, "f/pics/1.png", b"p")
    client = login(editor)
    transfer(client, connection, bucket, ["f/report.txt"], op="move", prefix="f/", target_prefix="f/",
             rename_to="final.txt")
    assert run_last(JobKind.MOVE).state == JobState.SUCCEEDED
    transfer(client, connection, bucket, ["f/pics/"], op="move", prefix="f/", target_prefix="f/", rename_to="images")
    assert run_last(JobKind.MOVE).state == JobState.SUCCEEDED
    keys = sorted(o.key for o in gateway.list_page(connection, bucket, delimiter="").objects)
    assert keys == ["f/final.txt", "f/images/1.png"]


def test_skip_existing_leaves_the_destination_alone_and_stop_ends_the_job(login, editor, connection, bucket, other_bucket):
    put(connection, bucket, "a.txt", b"new")
    put(connection, bucket, "b.txt", b"new")
    put(connection, other_bucket, "a.txt", b"old")
    client = login(editor)
    transfer(client, connection, bucket, ["a.txt", "b.txt"], target_bucket=other_bucket, conflict="skip")
    job = run_last(JobKind.COPY)
    assert job.state == JobState.SUCCEEDED and job.result == {"copied": 1, "skipped": 1, "failed_count": 0}
    assert b"".join(gateway.open_object(connection, other_bucket, "a.txt").body) == b"old"
    transfer(client, connection, bucket, ["a.txt"], target_bucket=other_bucket, conflict="stop")
    job = run_last(JobKind.COPY)
    assert job.state == JobState.FAILED and "exists" in job.error


def test_a_folder_cannot_be_copied_into_itself_and_bad_choices_answer_400(login, editor, connection, bucket):
    client = login(editor)
    response = transfer(client, connection, bucket, ["docs/"], target_prefix="docs/inner/")
    assert response.status_code == 400 and "into itself" in response.content.decode()
    response = transfer(client, connection, bucket, ["docs/"], conflict="explode")
    assert response.status_code == 400
    response = client.post(reverse("bulk_transfer", args=[connection.pk, bucket]),
                           {"keys": ["a"], "confirm": "yes", "target_connection": "x", "conflict": "skip"})
    assert response.status_code == 400
    assert not Job.objects.filter(kind=JobKind.COPY).exists()


def test_a_viewer_cannot_copy_but_may_download_a_zip(login, viewer, connection, bucket):
    response = transfer(login(viewer), connection, bucket, ["a.txt"], target_bucket=bucket, target_prefix="x/")
    assert response.status_code == 403


def test_copy_to_another_connection_streams_and_the_form_says_so(login, editor, connection, bucket, rgw_connection, rgw_bucket):
    put(connection, bucket, "s/one.bin", b"1" * 1000, Metadata={"k": "v"}, Tagging="a=b",
        ContentDisposition="attachment")
    client = login(editor)
    form = client.post(reverse("bulk_transfer", args=[connection.pk, bucket]), {"keys": ["s/"], "op": "copy"})
    assert "streams each object" in form.content.decode()
    transfer(client, connection, bucket, ["s/"], target_connection=rgw_connection, target_bucket=rgw_bucket)
    job = run_last(JobKind.COPY)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.params["server_side"] is False
    head = gateway.call(rgw_connection, "head_object", Bucket=rgw_bucket, Key="s/one.bin")
    assert head["ContentLength"] == 1000 and head["Metadata"] == {"k": "v"}
    assert head["ContentDisposition"] == "attachment"
    tags = gateway.call(rgw_connection, "get_object_tagging", Bucket=rgw_bucket, Key="s/one.bin")["TagSet"]
    assert tags == [{"Key": "a", "Value": "b"}]


def test_a_move_on_rgw_copies_server_side_with_the_storage_class(login, editor, rgw_connection, rgw_bucket):
    put(rgw_connection, rgw_bucket, "cold/x.bin", b"z" * 2048, StorageClass="STANDARD_IA", Tagging="t=1")
    transfer(login(editor), rgw_connection, rgw_bucket, ["cold/"], op="move", target_prefix="warm/")
    job = run_last(JobKind.MOVE)
    assert job.state == JobState.SUCCEEDED, job.error
    head = gateway.call(rgw_connection, "head_object", Bucket=rgw_bucket, Key="warm/cold/x.bin")
    assert head.get("StorageClass") == "STANDARD_IA"
    assert gateway.call(rgw_connection, "get_object_tagging", Bucket=rgw_bucket, Key="warm/cold/x.bin")["TagSet"] == [
        {"Key": "t", "Value": "1"}]
    assert not gateway.object_exists(rgw_connection, rgw_bucket, "cold/x.bin")


def test_multipart_server_side_copy_composes_parts_and_verifies(connection, bucket, monkeypatch, login, editor):
    from buckets.jobs import transfer as transfer_kind

    # Small parts stand in for the 5 GiB limit, so the part-wise path runs in a second.
    monkeypatch.setattr(transfer_kind, "MULTIPART_COPY_ABOVE", 6 * 1024 * 1024)
    monkeypatch.setattr(transfer_kind, "COPY_PART", 5 * 1024 * 1024)
    data = bytes(range(256)) * (48 * 1024)  # 12 MiB
    put(connection, bucket, "big.bin", data, Metadata={"m": "1"})
    transfer(login(editor), connection, bucket, ["big.bin"], op="move", target_prefix="moved/")
    job = run_last(JobKind.MOVE)
    assert job.state == JobState.SUCCEEDED, job.error
    assert b"".join(gateway.open_object(connection, bucket, "moved/big.bin").body) == data
    assert gateway.call(connection, "head_object", Bucket=bucket, Key="moved/big.bin")["Metadata"] == {"m": "1"}
    assert not gateway.object_exists(connection, bucket, "big.bin")


# --- delete -----------------------------------------------------------------------------------


def versioned(conn, bucket):
    gateway.put_versioning(conn, bucket, True)


def all_versions(conn, bucket):
    r = gateway.call(conn, "list_object_versions", Bucket=bucket)
    return r.get("Versions", []), r.get("DeleteMarkers", [])


def test_deleting_current_objects_of_a_versioned_bucket_leaves_delete_markers(login, editor, connection, bucket):
    versioned(connection, bucket)
    put(connection, bucket, "v/a", b"1")
    put(connection, bucket, "v/a", b"2")
    response = login(editor).post(reverse("bulk_delete", args=[connection.pk, bucket]),
                                  {"keys": ["v/"], "confirm": "yes", "versions": "current"})
    assert response.status_code == 302
    job = run_last(JobKind.DELETE_PREFIX)
    assert job.state == JobState.SUCCEEDED, job.error
    found, markers = all_versions(connection, bucket)
    assert len(found) == 2 and len(markers) == 1


def test_deleting_every_version_needs_an_explicit_choice_and_removes_them_all(login, editor, connection, bucket):
    versioned(connection, bucket)
    for body in (b"1", b"2", b"3"):
        put(connection, bucket, "keep/x", body)
    gateway.delete_object(connection, bucket, "keep/x")  # a delete marker too
    client = login(editor)
    response = client.post(reverse("bulk_delete", args=[connection.pk, bucket]), {"keys": ["keep/x"], "confirm": "yes"})
    assert response.status_code == 400 and "Choose" in response.content.decode()
    client.post(reverse("bulk_delete", args=[connection.pk, bucket]),
                {"keys": ["keep/x"], "confirm": "yes", "versions": "all"})
    job = run_last(JobKind.DELETE_PREFIX)
    assert job.state == JobState.SUCCEEDED and job.result["deleted"] == 4
    assert all_versions(connection, bucket) == ([], [])


def test_only_an_admin_may_ask_to_bypass_governance(login, editor, connection, bucket):
    response = login(editor).post(reverse("bulk_delete", args=[connection.pk, bucket]),
                                  {"keys": ["a"], "confirm": "yes", "versions": "all", "bypass_governance": "yes"})
    assert response.status_code == 400 and "Only admins" in response.content.decode()


@pytest.fixture
def locked_bucket(rgw_connection):
    name = unique_bucket_name("lock")
    gateway.create_bucket(rgw_connection, name, object_lock=True)
    yield name
    client = gateway.client(rgw_connection)
    for v in client.list_object_versions(Bucket=name).get("Versions", []):
        client.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"], BypassGovernanceRetention=True)
    empty_and_delete(rgw_connection, name)


def test_object_lock_on_rgw_fails_the_locked_version_with_its_reason_until_an_admin_bypasses(login, editor, admin, rgw_connection, locked_bucket):
    until = datetime.now(UTC) + timedelta(days=1)
    put(rgw_connection, locked_bucket, "l/held", b"1", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    put(rgw_connection, locked_bucket, "l/free", b"2")
    login(editor).post(reverse("bulk_delete", args=[rgw_connection.pk, locked_bucket]),
                       {"keys": ["l/"], "confirm": "yes", "versions": "all"})
    job = run_last(JobKind.DELETE_PREFIX)
    assert job.state == JobState.FAILED
    failures = list(job.failures.values_list("key", "reason"))
    assert [k for k, _ in failures] == ["l/held"] and "Object Lock" in failures[0][1]
    assert [v["Key"] for v in all_versions(rgw_connection, locked_bucket)[0]] == ["l/held"]
    response = login(admin).post(reverse("bulk_delete", args=[rgw_connection.pk, locked_bucket]),
                                 {"keys": ["l/"], "confirm": "yes", "versions": "all", "bypass_governance": "yes"})
    assert response.status_code == 302
    job = run_last(JobKind.DELETE_PREFIX)
    assert job.state == JobState.SUCCEEDED, job.error
    assert all_versions(rgw_connection, locked_bucket) == ([], [])


def test_emptying_a_bucket_needs_its_typed_name_then_removes_everything_and_the_bucket(login, editor, connection):
    name = unique_bucket_name("empty")
    gateway.create_bucket(connection, name)
    try:
        versioned(connection, name)
        put(connection, name, "a", b"1")
        put(connection, name, "a", b"2")
        gateway.delete_object(connection, name, "a")
        gateway.multipart_create(connection, name, "partial.bin")
        client = login(editor)
        assert "Empty and delete" in client.get(reverse("bucket_delete", args=[connection.pk, name])).content.decode()
        response = client.post(reverse("bucket_empty", args=[connection.pk, name]), {"confirm_name": "wrong"})
        assert response.status_code == 400
        client.post(reverse("bucket_empty", args=[connection.pk, name]), {"confirm_name": name, "delete_bucket": "yes"})
        job = run_last(JobKind.EMPTY_BUCKET)
        assert job.state == JobState.SUCCEEDED, job.error
        assert job.result["deleted"] == 3 and job.result["uploads_aborted"] == 1
        assert name not in [b.name for b in gateway.list_buckets(connection)]
    finally:
        empty_and_delete(connection, name)


# --- incomplete uploads, size, zip ----------------------------------------------------------------


def test_incomplete_uploads_are_listed_with_parts_and_aborted_by_selection_or_age(login, editor, connection, bucket):
    first = gateway.multipart_create(connection, bucket, "u/one.bin")
    gateway.multipart_upload_part(connection, bucket, "u/one.bin", first, 1, b"p" * 1000)
    second = gateway.multipart_create(connection, bucket, "u/two.bin")
    client = login(editor)
    page = client.get(reverse("multipart_uploads", args=[connection.pk, bucket])).content.decode()
    assert "u/one.bin" in page and "u/two.bin" in page and "1000" in page
    client.post(reverse("multipart_abort", args=[connection.pk, bucket]), {"uploads": [f"u/one.bin\n{first}"]})
    assert run_last(JobKind.ABORT_UPLOADS).state == JobState.SUCCEEDED
    assert [u.upload_id for u in gateway.multipart_pending(connection, bucket)] == [second]
    client.post(reverse("multipart_abort", args=[connection.pk, bucket]), {"older_than_days": "0"})
    assert run_last(JobKind.ABORT_UPLOADS).result["aborted"] == 1
    assert gateway.multipart_pending(connection, bucket) == []
    response = client.post(reverse("multipart_abort", args=[connection.pk, bucket]), {"older_than_days": "soon"})
    assert response.status_code == 302 and not Job.objects.filter(kind=JobKind.ABORT_UPLOADS, key__contains="soon").exists()


def test_the_size_job_counts_objects_versions_and_classes_and_the_bucket_page_shows_it(login, editor, connection, bucket):
    versioned(connection, bucket)
    put(connection, bucket, "a", b"12345")
    put(connection, bucket, "a", b"123")
    put(connection, bucket, "cold/b", b"1234567890", StorageClass="STANDARD_IA")
    gateway.delete_object(connection, bucket, "gone") if False else put(connection, bucket, "gone", b"1")
    gateway.delete_object(connection, bucket, "gone")
    client = login(editor)
    client.post(reverse("bucket_size", args=[connection.pk, bucket]))
    job = run_last(JobKind.BUCKET_SIZE)
    assert job.state == JobState.SUCCEEDED, job.error
    r = job.result
    assert (r["objects"], r["bytes"], r["versions"], r["delete_markers"]) == (2, 13, 4, 1)
    assert r["classes"] == {"STANDARD": {"objects": 1, "bytes": 3}, "STANDARD_IA": {"objects": 1, "bytes": 10}}
    panel = client.get(reverse("bucket_size", args=[connection.pk, bucket]), HTTP_HX_REQUEST="true").content.decode()
    assert "2 object(s)" in panel and "Measured" in panel and "STANDARD_IA" in panel


def test_a_selection_downloads_as_one_zip_with_safe_names(login, viewer, connection, bucket):
    put(connection, bucket, "pics/a.png", b"A" * 100)
    put(connection, bucket, "pics/deep/b.txt", b"B")
    put(connection, bucket, "pics/../../etc/evil", b"E")
    put(connection, bucket, "note.txt", b"N")
    response = login(viewer).post(reverse("bulk_zip", args=[connection.pk, bucket]),
                                  {"keys": ["pics/", "note.txt"], "prefix": ""})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert names == ["note.txt", "pics/a.png", "pics/deep/b.txt", "pics/etc/evil"]
    assert archive.read("pics/a.png") == b"A" * 100
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)
    response.close()


def test_a_zip_holds_small_objects_stored_and_large_ones_streamed_all_intact(login, viewer, connection, bucket):
    """Objects up to archive.WHOLE_BYTES go in as stored members with their CRC up front; larger
    ones stream through deflate level 0 with a data descriptor. Both read back byte-identical
    and pass zipfile's CRC check."""
    from buckets.jobs import archive

    whole = archive.WHOLE_BYTES
    sizes = {"empty": 0, "tiny": 1, "exact": whole, "one-more": whole + 1, "three": 3 * whole + 17}
    bodies = {name: bytes((i * 7 + len(name)) % 251 for i in range(size)) for name, size in sizes.items()}
    for name, body in bodies.items():
        put(connection, bucket, f"mix/{name}.bin", body)
    response = login(viewer).post(reverse("bulk_zip", args=[connection.pk, bucket]), {"keys": ["mix/"], "prefix": ""})
    assert response.status_code == 200
    zipped = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    response.close()
    assert zipped.testzip() is None
    methods = {info.filename: info.compress_type for info in zipped.infolist()}
    for name, body in bodies.items():
        assert zipped.read(f"mix/{name}.bin") == body
    assert methods["mix/exact.bin"] == zipfile.ZIP_STORED and methods["mix/tiny.bin"] == zipfile.ZIP_STORED
    assert methods["mix/one-more.bin"] == zipfile.ZIP_DEFLATED and methods["mix/three.bin"] == zipfile.ZIP_DEFLATED
