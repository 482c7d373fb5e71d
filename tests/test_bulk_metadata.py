"""Edit metadata of a selection: the form, its refusals, and the job run in-process
(`jobs.job_run`) against moto over HTTP, read back with boto3.

Each object is copied onto itself; what the form keeps must survive as each object had it,
and so must its ACL (moto drops it on a copy: the console puts it back), tags and class.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from buckets import gateway, jobs, object_edit
from buckets.jobs import metadata
from buckets.models import AuditEntry, Job, JobKind, JobState
from tests.test_object_metadata import copies_seen

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
HEADER_NAMES = ("content_type", "cache_control", "content_disposition", "content_encoding", "content_language",
                "expires")


def change(keys: list[str], *, rows=(), prefix: str = "", confirm: bool = True, **fields) -> dict:
    """A POST of the selection's form: every header kept unless given as name=(choice, value)."""
    data: dict = {"keys": keys, "prefix": prefix, "meta_name": [n for n, _ in rows],
                  "meta_value": [v for _, v in rows]}
    if confirm:
        data["confirm"] = "yes"
    for name in HEADER_NAMES:
        choice, value = fields.pop(name, ("keep", ""))
        data[f"{name}_choice"], data[name] = choice, value
    data.update(fields)
    return data


def post(client, connection, bucket: str, data: dict):
    return client.post(reverse("bulk_metadata", args=[connection.pk, bucket]), data)


def run_last() -> Job:
    job = Job.objects.filter(kind=JobKind.METADATA).latest("created_at")
    jobs.job_run(job.pk)
    job.refresh_from_db()
    return job


def public(client, bucket: str, key: str) -> bool:
    grants = client.get_object_acl(Bucket=bucket, Key=key)["Grants"]
    return any(g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ" for g in grants)


def test_a_selection_and_a_folder_get_one_change_and_keep_what_was_not_changed(
        login, editor, connection, bucket) -> None:
    s3 = gateway.client(connection)
    s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=b"alpha", ContentType="text/plain",
                  CacheControl="max-age=60", ContentLanguage="en", Metadata={"owner": "ada", "stale": "1"},
                  Tagging="team=blue", ACL="public-read", StorageClass="STANDARD_IA")
    s3.put_object(Bucket=bucket, Key="docs/sub/b.csv", Body=b"b", ContentType="text/csv", Metadata={"keep": "1"})
    s3.put_object(Bucket=bucket, Key="top.txt", Body=b"t", ContentDisposition="attachment")
    s3.put_object(Bucket=bucket, Key="other.txt", Body=b"o", ContentType="text/plain", CacheControl="no-cache")
    response = post(login(editor), connection, bucket, change(
        ["docs/", "top.txt"], cache_control=("set", "max-age=600"), content_language=("remove", ""),
        expires=("set", "2031-02-03T04:05:06"), rows=[("owner", "ops"), ("new-row", "1")],
        meta_remove_names="stale, x-amz-meta-gone"))
    assert response.status_code == 302
    job = run_last()
    assert job.state == JobState.SUCCEEDED, job.error
    assert (job.items_done, job.items_total, job.result) == (3, 3, {"changed": 3, "failed_count": 0})
    head = s3.head_object(Bucket=bucket, Key="docs/a.txt")
    assert (head["ContentType"], head["CacheControl"]) == ("text/plain", "max-age=600")
    assert "ContentLanguage" not in head
    assert head["ExpiresString"] == "Mon, 03 Feb 2031 04:05:06 GMT"
    assert head["Metadata"] == {"owner": "ops", "new-row": "1"}
    assert head["StorageClass"] == "STANDARD_IA"
    assert s3.get_object_tagging(Bucket=bucket, Key="docs/a.txt")["TagSet"] == [{"Key": "team", "Value": "blue"}]
    assert public(s3, bucket, "docs/a.txt")
    nested = s3.head_object(Bucket=bucket, Key="docs/sub/b.csv")
    assert nested["ContentType"] == "text/csv" and nested["Metadata"] == {"keep": "1", "owner": "ops", "new-row": "1"}
    assert s3.head_object(Bucket=bucket, Key="top.txt")["ContentDisposition"] == "attachment"
    untouched = s3.head_object(Bucket=bucket, Key="other.txt")
    assert (untouched["CacheControl"], untouched["Metadata"]) == ("no-cache", {})
    entry = AuditEntry.objects.get(action="objects.metadata")
    assert entry.detail["job"] == job.pk and entry.detail["headers"] == ["CacheControl", "Expires"]
    assert entry.detail["remove"] == ["ContentLanguage"] and entry.detail["metadata_remove"] == ["stale", "gone"]
    page = login(editor).get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "Edit metadata" in page and "Finished: Changed the metadata of 3 objects." in page


def test_replacing_all_user_metadata_leaves_only_the_rows_given(login, editor, connection, bucket) -> None:
    s3 = gateway.client(connection)
    s3.put_object(Bucket=bucket, Key="a", Body=b"x", Metadata={"one": "1", "two": "2"})
    s3.put_object(Bucket=bucket, Key="b", Body=b"x", Metadata={"three": "3"})
    client = login(editor)
    post(client, connection, bucket, change(["a", "b"], rows=[("only", "Zürich")], meta_replace_all="yes"))
    assert run_last().state == JobState.SUCCEEDED
    for key in ("a", "b"):
        assert s3.head_object(Bucket=bucket, Key=key)["Metadata"] == {"only": "=?UTF-8?B?WsO8cmljaA==?="}
    post(client, connection, bucket, change(["a"], meta_replace_all="yes"))
    assert run_last().state == JobState.SUCCEEDED
    assert s3.head_object(Bucket=bucket, Key="a")["Metadata"] == {}


def test_the_form_shows_the_selection_the_choices_and_the_rules_before_anything_is_sent(
        login, editor, connection, bucket) -> None:
    copies = copies_seen(connection)
    response = post(login(editor), connection, bucket, {"keys": ["docs/", "a.txt"], "prefix": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Edit the metadata of 2 item(s)" in html and "folder: everything under it" in html
    assert html.count("Keep as is") == 6 and 'name="meta_replace_all"' in html
    assert "lowercase letters a–z, digits and hyphens" in html and "at most 2,048 bytes as S3 counts it" in html
    assert "customer key (SSE-C) are listed as failures" in html
    assert copies == [] and not Job.objects.exists()


def test_bad_values_answer_400_with_a_message_each_and_neither_a_job_nor_a_copy(
        login, editor, connection, bucket) -> None:
    gateway.put_object(connection, bucket, "a.txt", b"x", content_type="text/plain")
    copies = copies_seen(connection)
    response = post(login(editor), connection, bucket, change(
        ["a.txt"], content_type=("set", "täxt/plain"), content_language=("set", "en_US!"),
        expires=("set", "next tuesday"), cache_control=("set", ""), content_encoding=("explode", "gzip"),
        rows=[("Upper", "1"), ("dup", "1"), ("dup", "2"), ("", "orphan"), ("both", "1")],
        meta_remove_names="both Bad_Name"))
    assert response.status_code == 400
    html = response.content.decode()
    for message in ("Content-Type may hold printable US-ASCII only", "is not a list of language tags",
                    "is not a date", "Cache-Control is to be set, but no value is given",
                    "Choose keep, set or remove for Content-Encoding", "“Upper” may hold only lowercase letters",
                    "“dup” appears twice", "has no name", "“both” is both set and removed",
                    "“Bad_Name” may hold only lowercase letters"):
        assert message in html
    assert 'value="täxt/plain"' in html  # what was typed is shown again
    assert copies == [] and not Job.objects.exists()
    assert gateway.head_object(connection, bucket, "a.txt").content_type == "text/plain"


def test_a_form_that_changes_nothing_or_too_much_metadata_is_refused(login, editor, connection, bucket) -> None:
    client = login(editor)
    nothing = post(client, connection, bucket, change(["a.txt"]))
    assert nothing.status_code == 400 and "Nothing would change" in nothing.content.decode()
    big = post(client, connection, bucket, change(["a.txt"], rows=[("big", "x" * 2000), ("more", "y" * 60)]))
    assert big.status_code == 400 and "comes to 2,067 bytes as S3 counts it" in big.content.decode()
    assert not Job.objects.exists()


def test_a_selected_key_s3_could_not_take_is_a_400_not_a_job(login, editor, connection, bucket) -> None:
    client = login(editor)
    for key in ("bad\x00key", "x" * 1100):
        response = post(client, connection, bucket, change(["ok.txt", key], content_type=("set", "text/html")))
        assert response.status_code == 400
    assert not Job.objects.exists()


def test_metadata_that_would_outgrow_two_kilobytes_on_one_object_fails_that_object_only(
        login, editor, connection, bucket) -> None:
    s3 = gateway.client(connection)
    s3.put_object(Bucket=bucket, Key="full", Body=b"x", Metadata={"old": "o" * 1500})
    s3.put_object(Bucket=bucket, Key="light", Body=b"x")
    post(login(editor), connection, bucket, change(["full", "light"], rows=[("add", "a" * 600)]))
    job = run_last()
    assert job.state == JobState.FAILED and job.result == {"changed": 1, "failed_count": 1}
    assert [(f.key, "would come to 2,106 bytes" in f.reason) for f in job.failures.all()] == [("full", True)]
    assert s3.head_object(Bucket=bucket, Key="full")["Metadata"] == {"old": "o" * 1500}
    assert s3.head_object(Bucket=bucket, Key="light")["Metadata"] == {"add": "a" * 600}


def test_a_viewer_gets_403_and_no_toolbar_button(login, viewer, editor, connection, bucket) -> None:
    gateway.put_object(connection, bucket, "a.txt", b"x", content_type="text/plain")
    as_viewer = login(viewer)
    assert post(as_viewer, connection, bucket, change(["a.txt"], content_type=("set", "text/html"))
                ).status_code == 403
    assert post(as_viewer, connection, bucket, {"keys": ["a.txt"]}).status_code == 403
    assert 'id="metadata-selected"' not in as_viewer.get(reverse("browse", args=[connection.pk, bucket])).content.decode()
    assert 'id="metadata-selected"' in login(editor).get(reverse("browse", args=[connection.pk, bucket])).content.decode()
    assert not Job.objects.exists()
    assert gateway.head_object(connection, bucket, "a.txt").content_type == "text/plain"


def test_ionos_contract_owned_lists_encrypted_objects_as_failures_and_retries_only_those(
        login, editor, contract_owned) -> None:
    name = f"co-{uuid.uuid4().hex[:10]}"
    gateway.create_bucket(contract_owned, name)
    s3 = gateway.client(contract_owned)
    s3.put_object(Bucket=name, Key="e.txt", Body=b"x", ServerSideEncryption="AES256", ContentType="text/plain")
    s3.put_object(Bucket=name, Key="plain.txt", Body=b"x", ContentType="text/plain")
    client = login(editor)
    form = post(client, contract_owned, name, {"keys": ["e.txt", "plain.txt"]}).content.decode()
    assert "copies objects only in buckets without encryption: encrypted objects are listed as failures" in form
    copies = copies_seen(contract_owned)
    post(client, contract_owned, name, change(["e.txt", "plain.txt"], content_type=("set", "text/html")))
    job = run_last()
    assert job.state == JobState.FAILED and "could not be changed" in job.error
    failures = list(job.failures.values_list("key", "reason"))
    assert [k for k, _ in failures] == ["e.txt"]
    assert "copies objects only in buckets without encryption" in failures[0][1]
    assert "this object is encrypted" in failures[0][1]
    assert copies == ["copy"]  # the encrypted one was refused before anything was sent
    assert s3.head_object(Bucket=name, Key="e.txt")["ContentType"] == "text/plain"
    assert s3.head_object(Bucket=name, Key="plain.txt")["ContentType"] == "text/html"
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "Retry the 1 failed" in page and "1 item(s) failed" in page
    client.post(reverse("job_retry_failed", args=[job.pk]))
    retry = Job.objects.filter(kind=JobKind.METADATA).latest("created_at")
    assert retry.pk != job.pk and retry.params["keys"] == ["e.txt"] and retry.params["change"] == job.params["change"]


def test_where_detection_found_no_server_side_copy_the_form_refuses_before_a_job(
        login, editor, connection, bucket) -> None:
    connection.detected_features = {"object_copy": "unsupported"}
    connection.save()
    client = login(editor)
    shown = post(client, connection, bucket, {"keys": ["a.txt"]})
    assert shown.status_code == 200 and "copying is not offered here" in shown.content.decode()
    refused = post(client, connection, bucket, change(["a.txt"], content_type=("set", "text/html")))
    assert refused.status_code == 400 and "copying is not offered here" in refused.content.decode()
    assert not Job.objects.exists()


def test_an_object_over_the_single_copy_limit_and_a_vanished_key_are_listed_with_their_reason(
        login, editor, connection, bucket, monkeypatch) -> None:
    # A 10-byte limit stands in for 5 GiB, so the refusal runs without a 5 GiB object.
    monkeypatch.setattr(object_edit, "COPY_MAX_BYTES", 10)
    gateway.put_object(connection, bucket, "big.bin", b"x" * 11)
    gateway.put_object(connection, bucket, "small.bin", b"x")
    post(login(editor), connection, bucket, change(["big.bin", "gone.bin", "small.bin"],
                                                   cache_control=("set", "no-store")))
    job = run_last()
    reasons = dict(job.failures.values_list("key", "reason"))
    assert sorted(reasons) == ["big.bin", "gone.bin"]
    assert "needs a multipart copy" in reasons["big.bin"] and "no longer exists" in reasons["gone.bin"]
    assert gateway.client(connection).head_object(Bucket=bucket, Key="small.bin")["CacheControl"] == "no-store"


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


def answered(status: int, code: str, url: str):
    """An endpoint's error answer, parsed by the real botocore stack (fault injection)."""
    from botocore.awsrequest import AWSResponse, HeadersDict

    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{code}</Message></Error>"
    return AWSResponse(url, status, HeadersDict({"Content-Type": "application/xml"}), _Body(body.encode()))


def test_an_object_written_while_the_job_ran_is_left_as_the_newer_write_made_it(
        login, editor, connection, bucket) -> None:
    s3 = gateway.client(connection)
    s3.put_object(Bucket=bucket, Key="busy.txt", Body=b"old", ContentType="text/plain")

    def someone_writes_first(request, **_):
        # Between the job's HEAD and its CopyObject another program writes the object, and the
        # endpoint answers the copy's CopySourceIfMatch as AWS does (moto and RGW ignore it).
        s3.put_object(Bucket=bucket, Key="busy.txt", Body=b"newer", ContentType="application/x-newer")
        return answered(412, "PreconditionFailed", request.url)

    s3.meta.events.register("before-send.s3.CopyObject", someone_writes_first, unique_id="busy-writer")
    try:
        post(login(editor), connection, bucket, change(["busy.txt"], content_type=("set", "text/html")))
        job = run_last()
    finally:
        s3.meta.events.unregister("before-send.s3.CopyObject", unique_id="busy-writer")
    assert list(job.failures.values_list("key", "reason")) == [("busy.txt", metadata.CHANGED_MEANWHILE)]
    assert s3.head_object(Bucket=bucket, Key="busy.txt")["ContentType"] == "application/x-newer"
    page = login(editor).get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "changed after the job read it" in page


def test_a_busy_moment_after_the_copy_is_waited_out_and_the_tags_read_before_it_go_back(
        login, editor, connection, bucket, settings) -> None:
    s3 = gateway.client(connection)
    s3.put_object(Bucket=bucket, Key="t.txt", Body=b"x", Tagging="keep=me")
    busy: list[str] = []

    def slow_down_once(request, **_):
        # Every attempt of the first call (botocore's own retries included) answers 503: the job
        # tries that one call again, and does not read the tags again (RGW would have none left).
        if len(busy) < settings.S3_MAX_ATTEMPTS:
            busy.append("503")
            return answered(503, "SlowDown", request.url)
        return None

    s3.meta.events.register("before-send.s3.PutObjectTagging", slow_down_once, unique_id="slow-tags")
    try:
        post(login(editor), connection, bucket, change(["t.txt"], content_type=("set", "text/html")))
        job = run_last()
    finally:
        s3.meta.events.unregister("before-send.s3.PutObjectTagging", unique_id="slow-tags")
    assert job.state == JobState.SUCCEEDED, job.error
    assert busy == ["503"] * settings.S3_MAX_ATTEMPTS
    assert s3.get_object_tagging(Bucket=bucket, Key="t.txt")["TagSet"] == [{"Key": "keep", "Value": "me"}]
    assert s3.head_object(Bucket=bucket, Key="t.txt")["ContentType"] == "text/html"


def test_a_run_resumes_after_its_checkpoint_and_keeps_the_counts_so_far(login, editor, connection, bucket) -> None:
    for key in ("a", "b", "c", "d"):
        gateway.put_object(connection, bucket, f"f/{key}", b"x", content_type="text/plain")
    post(login(editor), connection, bucket, change(["f/"], content_type=("set", "text/html")))
    job = Job.objects.get(kind=JobKind.METADATA)
    # A run that stopped after "f/b" (its worker died): the next one goes on after it.
    Job.objects.filter(pk=job.pk).update(checkpoint="1\nf/b", result={"changed": 2, "failed_count": 0}, items_done=2)
    job = run_last()
    assert job.state == JobState.SUCCEEDED, job.error
    assert (job.items_done, job.result["changed"]) == (4, 4)
    types = {k: gateway.head_object(connection, bucket, f"f/{k}").content_type for k in "abcd"}
    assert types == {"a": "text/plain", "b": "text/plain", "c": "text/html", "d": "text/html"}


def test_the_browser_toolbar_offers_edit_metadata_to_editors(login, editor, connection, bucket) -> None:
    gateway.put_object(connection, bucket, "a.txt", b"x")
    html = login(editor).get(reverse("browse", args=[connection.pk, bucket])).content.decode()
    assert f'formaction="{reverse("bulk_metadata", args=[connection.pk, bucket])}"' in html


@pytest.mark.parametrize("stored", ["not a date"])
def test_an_unreadable_stored_expires_is_not_silently_dropped(stored, connection) -> None:
    source = gateway.ObjectHeaders(key="k", size=1, etag="", version_id="", storage_class="STANDARD", encryption="",
                                   kms_key_id="", customer_algorithm="", headers={}, expires=stored, metadata={})
    kept = object_edit.MetadataChange(headers={"CacheControl": "no-cache"})
    with pytest.raises(object_edit.EditRefused, match="choose to set or to remove Expires"):
        kept.apply(source)
    removed = object_edit.MetadataChange(remove=["Expires"]).apply(source)
    assert "Expires" not in removed.headers


def test_a_stored_value_that_is_not_ascii_is_not_sent_back_changed() -> None:
    # As another program may have stored it; HTTP headers carry it in as Latin-1 text.
    source = gateway.ObjectHeaders(key="k", size=1, etag="", version_id="", storage_class="STANDARD", encryption="",
                                   kms_key_id="", customer_algorithm="", headers={"ContentDisposition": "inline; é"},
                                   expires="", metadata={"city": "ZÃ¼rich", "plain": "1"})
    with pytest.raises(object_edit.EditRefused, match="stored Content-Disposition, x-amz-meta-city holds"):
        object_edit.MetadataChange(headers={"CacheControl": "no-cache"}).apply(source)
    fixed = object_edit.MetadataChange(headers={"ContentDisposition": "inline"}, metadata={"city": "Zurich"}
                                       ).apply(source)
    assert fixed.headers["ContentDisposition"] == "inline"
    assert fixed.metadata == {"city": "Zurich", "plain": "1"}
