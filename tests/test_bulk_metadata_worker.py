"""Edit metadata through a real Celery worker on Redis, against moto over HTTP: the job runs
to its end and boto3 reads back what it wrote; a worker killed in the middle hands the job
over and the next run resumes from its checkpoint."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.models import AuditEntry, Job, JobKind, JobState
from tests.conftest import empty_and_delete, unique_bucket_name
from tests.test_bulk_metadata import ALL_USERS, change
from tests.test_worker import SlowProxy, wait_for, worker_env, workers  # noqa: F401 - fixtures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def finished(job_id: int, timeout: float) -> Job:
    return wait_for(lambda: Job.objects.filter(pk=job_id, state__in=[JobState.SUCCEEDED, JobState.FAILED]).first(),
                    timeout, "the job to end")


def test_a_worker_edits_a_folder_and_a_file_and_boto3_reads_back_headers_metadata_tags_and_acl(
        login, editor, connection, bucket, workers) -> None:  # noqa: F811
    workers.start()
    s3 = gateway.client(connection)
    s3.put_object(Bucket=bucket, Key="img/a.png", Body=b"a", ContentType="image/png", Tagging="kind=logo",
                  ACL="public-read", Metadata={"owner": "ada", "draft": "1"}, StorageClass="STANDARD_IA")
    s3.put_object(Bucket=bucket, Key="img/deep/b.png", Body=b"b", ContentType="image/png",
                  ContentDisposition="inline")
    s3.put_object(Bucket=bucket, Key="readme.txt", Body=b"r", ContentType="text/plain", ContentEncoding="identity")
    s3.put_object(Bucket=bucket, Key="img-not-selected.png", Body=b"n", ContentType="image/png")
    response = login(editor).post(reverse("bulk_metadata", args=[connection.pk, bucket]), change(
        ["img/", "readme.txt"], cache_control=("set", "public, max-age=31536000"),
        content_encoding=("remove", ""), rows=[("team", "web")], meta_remove_names="draft"))
    assert response.status_code == 302
    job = Job.objects.get(kind=JobKind.METADATA)
    job = finished(job.pk, 60)
    assert job.state == JobState.SUCCEEDED, job.error
    assert (job.items_done, job.result["changed"], job.attempts) == (3, 3, 1)
    assert job.message == "Changed the metadata of 3 objects"
    head = s3.head_object(Bucket=bucket, Key="img/a.png")
    assert (head["ContentType"], head["CacheControl"]) == ("image/png", "public, max-age=31536000")
    assert head["Metadata"] == {"owner": "ada", "team": "web"} and head["StorageClass"] == "STANDARD_IA"
    assert s3.get_object_tagging(Bucket=bucket, Key="img/a.png")["TagSet"] == [{"Key": "kind", "Value": "logo"}]
    grants = s3.get_object_acl(Bucket=bucket, Key="img/a.png")["Grants"]
    assert any(g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ" for g in grants)
    deep = s3.head_object(Bucket=bucket, Key="img/deep/b.png")
    assert (deep["ContentDisposition"], deep["Metadata"]) == ("inline", {"team": "web"})
    readme = s3.head_object(Bucket=bucket, Key="readme.txt")
    assert "ContentEncoding" not in readme and readme["CacheControl"] == "public, max-age=31536000"
    assert "CacheControl" not in s3.head_object(Bucket=bucket, Key="img-not-selected.png")
    assert AuditEntry.objects.get(action="objects.metadata").detail["job"] == job.pk


def test_a_worker_killed_mid_edit_hands_over_and_the_job_resumes_from_its_checkpoint(
        login, editor, make_connection, team, s3_endpoint, connection, workers) -> None:  # noqa: F811
    bucket = unique_bucket_name("meta-kill")
    gateway.create_bucket(connection, bucket)
    # A slow link (each of the 16 connections at 40 kB/s) keeps the job going long enough to kill
    # it after its first checkpoint (1,000 keys), even where moto answers faster than here.
    proxy = SlowProxy(int(s3_endpoint.rsplit(":", 1)[1]), bytes_per_second=40_000)
    try:
        s3 = gateway.client(connection)
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"many/{i:05d}", Body=b"x",
                                                  ContentType="text/plain"), range(1200)))
        s3.put_object_tagging(Bucket=bucket, Key="many/01100", Tagging={"TagSet": [{"Key": "late", "Value": "1"}]})
        slow = make_connection(team, endpoint=f"http://127.0.0.1:{proxy.port}")
        first = workers.start()
        login(editor).post(reverse("bulk_metadata", args=[slow.pk, bucket]),
                           change(["many/"], content_type=("set", "text/markdown"), rows=[("pass", "2")]))
        job = Job.objects.get(kind=JobKind.METADATA)
        wait_for(lambda: Job.objects.get(pk=job.pk).checkpoint, 120, "a first checkpoint")
        workers.kill(first)
        first.wait()
        stopped = Job.objects.get(pk=job.pk)
        assert stopped.state == JobState.RUNNING and stopped.items_done < 1200
        workers.start()
        job = finished(job.pk, 180)
        assert job.state == JobState.SUCCEEDED, job.error
        assert job.attempts == 2
        assert stopped.checkpoint == "1\nmany/00999"
        assert (job.items_done, job.items_total, job.result) == (1200, 1200, {"changed": 1200, "failed_count": 0})

        def head(i: int) -> tuple[str, dict]:
            answer = s3.head_object(Bucket=bucket, Key=f"many/{i:05d}")
            return answer["ContentType"], answer["Metadata"]

        with ThreadPoolExecutor(16) as pool:
            # Both sides of the checkpoint and every 25th between (moto reads about 150 HEADs a second).
            sample = sorted({*range(0, 1200, 25), 998, 999, 1000, 1001, 1199})
            seen = dict(zip(sample, pool.map(head, sample), strict=True))
        assert [i for i, found in seen.items() if found != ("text/markdown", {"pass": "2"})] == []
        assert s3.get_object_tagging(Bucket=bucket, Key="many/01100")["TagSet"] == [{"Key": "late", "Value": "1"}]
    finally:
        proxy.close()
        empty_and_delete(connection, bucket)


@pytest.mark.browser
def test_a_user_selects_files_sets_a_header_for_all_and_watches_the_job_finish(
        browser_page, editor, connection, bucket, workers) -> None:  # noqa: F811
    workers.start()
    for name in ("one.txt", "two.txt", "three.txt"):
        gateway.put_object(connection, bucket, name, name.encode(), content_type="text/plain")
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    page.check("input[name=keys][value='one.txt']")
    page.check("input[name=keys][value='two.txt']")
    page.click("#metadata-selected")
    page.wait_for_selector("#bulk-metadata-form")
    assert "at most 2,048 bytes as S3 counts it" in page.inner_text("#header-rules")
    page.check("#header-cache_control input[value=set]")
    page.fill("#id_cache_control", "max-age=60")
    page.fill("#metadata-rows tbody tr:first-child input[name=meta_name]", "reviewed")
    page.fill("#metadata-rows tbody tr:first-child input[name=meta_value]", "yes")
    page.click("#bulk-metadata-start")
    page.wait_for_selector("#job-outcome >> text=Finished", timeout=60_000)
    assert "Changed the metadata of 2 objects" in page.inner_text("#job-outcome")
    assert "2 of 2" in page.inner_text("#job-facts")
    s3 = gateway.client(connection)
    for name in ("one.txt", "two.txt"):
        head = s3.head_object(Bucket=bucket, Key=name)
        assert (head["CacheControl"], head["Metadata"], head["ContentType"]) == ("max-age=60", {"reviewed": "yes"},
                                                                                 "text/plain")
    assert "CacheControl" not in s3.head_object(Bucket=bucket, Key="three.txt")
    assert page.console_problems == []
