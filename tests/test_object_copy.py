"""Copy, move and rename one object from its details panel, the destination picker, and
"restore this version": through the console, read back from the endpoint (moto)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import gateway, jobs
from buckets.models import AuditEntry, Job, JobKind, JobState
from tests.conftest import empty_and_delete, unique_bucket_name


@pytest.fixture
def other_bucket(connection):
    name = unique_bucket_name("dst")
    gateway.create_bucket(connection, name)
    yield name
    empty_and_delete(connection, name)


def put(conn, bucket, key, body=b"x", **extra):
    gateway.call(conn, "put_object", Bucket=bucket, Key=key, Body=body, **extra)


def copy(client, conn, bucket, key, *, op="copy", target=None, target_bucket="", target_prefix="", new_name="",
         overwrite=False):
    data = {"key": key, "op": op, "target_connection": (target or conn).pk, "target_bucket": target_bucket or bucket,
            "target_prefix": target_prefix, "new_name": new_name or key.rsplit("/", 1)[-1]}
    if overwrite:
        data["overwrite"] = "yes"
    return client.post(reverse("object_copy", args=[conn.pk, bucket]), data)


def keys_of(conn, bucket):
    return sorted(o.key for o in gateway.list_page(conn, bucket, delimiter="").objects)


def test_copying_one_object_to_another_bucket_runs_at_once_and_keeps_headers_metadata_tags_and_class(
        login, editor, connection, bucket, other_bucket):
    put(connection, bucket, "docs/a.txt", b"alpha", ContentType="text/plain", CacheControl="max-age=60",
        ContentDisposition="inline", Metadata={"owner": "ada"}, Tagging="team=blue", StorageClass="STANDARD_IA")
    response = copy(login(editor), connection, bucket, "docs/a.txt", target_bucket=other_bucket,
                    target_prefix="in/", new_name="b.txt")
    assert response.status_code == 302
    assert response.url == reverse("object_detail", args=[connection.pk, other_bucket]) + "?key=in%2Fb.txt"
    assert not Job.objects.exists()  # one object on one endpoint: no job
    head = gateway.call(connection, "head_object", Bucket=other_bucket, Key="in/b.txt")
    assert (head["ContentType"], head["CacheControl"], head["ContentDisposition"]) == (
        "text/plain", "max-age=60", "inline")
    assert head["Metadata"] == {"owner": "ada"}
    assert head["StorageClass"] == "STANDARD_IA"
    tags = gateway.call(connection, "get_object_tagging", Bucket=other_bucket, Key="in/b.txt")["TagSet"]
    assert tags == [{"Key": "team", "Value": "blue"}]
    assert keys_of(connection, bucket) == ["docs/a.txt"]  # a copy keeps the source
    assert AuditEntry.objects.filter(action="object.copy", key="docs/a.txt").exists()


def test_moving_one_object_deletes_the_source_only_after_the_copy(login, editor, connection, bucket, other_bucket):
    put(connection, bucket, "a.txt", b"alpha")
    response = copy(login(editor), connection, bucket, "a.txt", op="move", target_bucket=other_bucket)
    assert response.status_code == 302
    assert keys_of(connection, bucket) == []
    assert b"".join(gateway.open_object(connection, other_bucket, "a.txt").body) == b"alpha"


def test_renaming_in_place_keeps_the_folder_and_the_bytes(login, editor, connection, bucket):
    put(connection, bucket, "docs/old.txt", b"alpha", ContentType="text/plain")
    client = login(editor)
    page = client.get(reverse("object_copy", args=[connection.pk, bucket]), {"key": "docs/old.txt", "op": "rename"})
    assert page.status_code == 200
    assert b'name="target_prefix" value="docs/"' in page.content
    response = copy(client, connection, bucket, "docs/old.txt", op="rename", target_prefix="docs/",
                    new_name="new.txt")
    assert response.status_code == 302
    assert keys_of(connection, bucket) == ["docs/new.txt"]
    assert gateway.head_object(connection, bucket, "docs/new.txt").content_type == "text/plain"


def test_an_object_at_the_destination_is_kept_unless_overwrite_is_ticked(login, editor, connection, bucket):
    put(connection, bucket, "a.txt", b"new")
    put(connection, bucket, "b.txt", b"old")
    client = login(editor)
    refused = copy(client, connection, bucket, "a.txt", new_name="b.txt")
    assert refused.status_code == 400
    assert "Tick “Overwrite”" in refused.content.decode()
    assert b"".join(gateway.open_object(connection, bucket, "b.txt").body) == b"old"
    assert copy(client, connection, bucket, "a.txt", new_name="b.txt", overwrite=True).status_code == 302
    assert b"".join(gateway.open_object(connection, bucket, "b.txt").body) == b"new"


@pytest.mark.parametrize("new_name, message", [
    ("a/b", "one path segment"), ("..", "one path segment"), ("a.txt", "already is")])
def test_a_bad_destination_answers_400_with_a_sentence(login, editor, connection, bucket, new_name, message):
    put(connection, bucket, "a.txt")
    response = copy(login(editor), connection, bucket, "a.txt", new_name=new_name)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_missing_key_or_a_folder_answers_400(login, editor, connection, bucket):
    client = login(editor)
    url = reverse("object_copy", args=[connection.pk, bucket])
    assert client.get(url).status_code == 400
    assert client.get(url, {"key": "docs/"}).status_code == 400
    assert client.post(reverse("restore_version", args=[connection.pk, bucket]), {"key": "a"}).status_code == 400


def test_viewers_may_not_copy_and_outsiders_do_not_see_the_bucket(login, viewer, outsider, connection, bucket):
    put(connection, bucket, "a.txt")
    assert copy(login(viewer), connection, bucket, "a.txt", new_name="b.txt").status_code == 403
    assert copy(login(outsider), connection, bucket, "a.txt", new_name="b.txt").status_code == 404
    assert keys_of(connection, bucket) == ["a.txt"]


def test_the_details_panel_links_to_copy_for_editors_only(login, editor, viewer, connection, bucket):
    put(connection, bucket, "a.txt")
    url = reverse("object_detail", args=[connection.pk, bucket])
    assert b'id="copy-object"' in login(editor).get(url, {"key": "a.txt"}).content
    assert b'id="copy-object"' not in login(viewer).get(url, {"key": "a.txt"}).content


def test_the_picker_lists_the_buckets_of_a_connection_then_the_folders_of_a_bucket(
        login, editor, connection, bucket, other_bucket):
    put(connection, bucket, "a.txt")
    put(connection, other_bucket, "photos/2026/x.jpg")
    put(connection, other_bucket, "docs/y.txt")
    client = login(editor)
    url = reverse("destination_picker", args=[connection.pk, bucket])
    listing = client.get(url, {"key": "a.txt", "target_connection": connection.pk, "target_bucket": ""},
                         HTTP_HX_REQUEST="true").content.decode()
    assert other_bucket in listing and bucket in listing
    folders = client.get(url, {"key": "a.txt", "target_connection": connection.pk, "target_bucket": other_bucket},
                         HTTP_HX_REQUEST="true").content.decode()
    assert "📁 <bdi" in folders and "photos" in folders and "docs" in folders
    assert "at once" in folders  # one endpoint: the form says how it travels
    deeper = client.get(url, {"key": "a.txt", "target_connection": connection.pk, "target_bucket": other_bucket,
                              "target_prefix": "photos/"}).content.decode()
    assert "2026" in deeper and 'name="target_prefix" value="photos/"' in deeper
    refused = client.get(url, {"key": "a.txt", "target_connection": connection.pk, "target_bucket": "Bad..Name"})
    assert "Choose a bucket from the list." in refused.content.decode()


def test_contract_owned_ionos_streams_an_encrypted_object_as_a_job_and_the_form_says_so(
        login, editor, contract_owned):
    name = unique_bucket_name("ionos")
    gateway.create_bucket(contract_owned, name)
    try:
        put(contract_owned, name, "secret.bin", b"s" * 100, ServerSideEncryption="AES256")
        client = login(editor)
        form = client.get(reverse("object_copy", args=[contract_owned.pk, name]), {"key": "secret.bin"})
        assert "copies only unencrypted objects server-side" in form.content.decode()
        assert "the console streams the bytes itself" in form.content.decode()
        response = copy(client, contract_owned, name, "secret.bin", new_name="copy.bin")
        assert response.status_code == 302 and "/jobs/" in response.url
        job = Job.objects.get(kind=JobKind.COPY)
        assert job.params["copy_requires_unencrypted"] is True
        jobs.job_run(job.pk)
        job.refresh_from_db()
        assert job.state == JobState.SUCCEEDED, job.error
        assert b"".join(gateway.open_object(contract_owned, name, "copy.bin").body) == b"s" * 100
    finally:
        empty_and_delete(contract_owned, name)


def test_spaces_does_not_copy_across_regions_server_side_so_a_worker_streams_it(
        login, editor, spaces, make_connection, team, s3_endpoint):
    amsterdam = make_connection(team, endpoint=s3_endpoint, provider="digitalocean", region="ams3",
                                bucket_type="standard", name="Spaces ams3")
    source, target = unique_bucket_name("nyc"), unique_bucket_name("ams")
    gateway.create_bucket(spaces, source)
    gateway.create_bucket(amsterdam, target)
    try:
        put(spaces, source, "a.txt", b"alpha", ContentType="text/plain", Metadata={"k": "v"})
        client = login(editor)
        form = client.get(reverse("object_copy", args=[spaces.pk, source]), {
            "key": "a.txt", "target_connection": amsterdam.pk, "target_bucket": target}).content.decode()
        assert "does not copy between regions server-side" in form
        response = copy(client, spaces, source, "a.txt", target=amsterdam, target_bucket=target)
        assert response.status_code == 302 and "/jobs/" in response.url
        job = Job.objects.get(kind=JobKind.COPY)
        assert job.params["server_side"] is False
        jobs.job_run(job.pk)
        job.refresh_from_db()
        assert job.state == JobState.SUCCEEDED, job.error
        head = gateway.head_object(amsterdam, target, "a.txt")
        assert (head.content_type, head.metadata) == ("text/plain", {"k": "v"})
    finally:
        empty_and_delete(spaces, source)
        empty_and_delete(amsterdam, target)


def test_restore_this_version_copies_it_to_the_top_and_keeps_the_others(login, editor, connection, bucket):
    gateway.put_versioning(connection, bucket, True)
    first = gateway.call(connection, "put_object", Bucket=bucket, Key="a.txt", Body=b"one",
                         ContentType="text/plain", Metadata={"v": "1"})["VersionId"]
    put(connection, bucket, "a.txt", b"two")
    client = login(editor)
    versions_page = client.get(reverse("versions", args=[connection.pk, bucket]), {"key": "a.txt"}).content.decode()
    assert versions_page.count("Restore this version") == 1  # not on the latest
    response = client.post(reverse("restore_version", args=[connection.pk, bucket]),
                           {"key": "a.txt", "version": first})
    assert response.status_code == 302
    assert b"".join(gateway.open_object(connection, bucket, "a.txt").body) == b"one"
    head = gateway.head_object(connection, bucket, "a.txt")
    assert (head.content_type, head.metadata) == ("text/plain", {"v": "1"})
    assert len(gateway.list_versions(connection, bucket, "a.txt")) == 3


def test_a_copy_job_rides_out_a_transient_5xx_of_the_endpoint(login, editor, connection, bucket, other_bucket,
                                                              monkeypatch):
    from buckets.jobs import bulk, transfer

    put(connection, bucket, "big.bin", b"b" * 10)
    monkeypatch.setattr(transfer, "DIRECT_COPY_MAX", 5)  # this object runs as a job
    monkeypatch.setattr(bulk, "RETRY_PAUSES", (0.0, 0.0))
    real, calls = gateway.copy_object, []

    def flaky(*args, **kwargs):  # fault injection: the first CopyObject meets a 503
        calls.append(1)
        if len(calls) == 1:
            raise gateway.Unavailable("The endpoint answered 503 SlowDown; try again shortly.", code="SlowDown")
        return real(*args, **kwargs)

    monkeypatch.setattr(gateway, "copy_object", flaky)
    assert copy(login(editor), connection, bucket, "big.bin", target_bucket=other_bucket).status_code == 302
    job = Job.objects.get(kind=JobKind.COPY)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    assert len(calls) == 2
    assert gateway.head_object(connection, other_bucket, "big.bin").size == 10
