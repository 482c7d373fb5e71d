"""Large uploads: chunks to staging, then a multipart upload that resumes or aborts cleanly.

These run the job in-process (jobs.job_run); tests/test_worker.py runs the same path
through a real Celery worker on Redis.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from django.urls import reverse

from buckets import gateway, jobs
from buckets.jobs import upload
from buckets.models import Job, JobState

MB = 1024 * 1024


@pytest.fixture
def small_parts(settings, tmp_path):
    settings.UPLOAD_CHUNK_BYTES = 2 * MB
    settings.UPLOAD_PART_BYTES = 5 * MB
    settings.UPLOAD_STAGING_DIR = tmp_path / "staging"
    return settings


def chunked_upload(client, connection, bucket, key, data, chunk=2 * MB):
    start = client.post(reverse("upload_start", args=[connection.pk, bucket]), {"key": key, "size": len(data)})
    assert start.status_code == 200, start.content
    job_id = start.json()["job"]
    for offset in range(0, len(data), chunk):
        response = client.post(
            reverse("upload_chunk", args=[connection.pk, bucket, job_id]) + f"?offset={offset}",
            data[offset : offset + chunk],
            content_type="application/octet-stream",
        )
        assert response.status_code == 200, response.content
    return job_id


def test_a_large_file_arrives_in_chunks_and_becomes_a_multipart_object(login, editor, connection, bucket, small_parts):
    data = os.urandom(12 * MB + 123)
    client = login(editor)
    job_id = chunked_upload(client, connection, bucket, "big/файл #1.bin", data)
    finish = client.post(reverse("upload_finish", args=[connection.pk, bucket, job_id]))
    assert finish.status_code == 200
    jobs.job_run(job_id)
    job = Job.objects.get(pk=job_id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.bytes_done == len(data) and job.result["parts"] == 3
    assert job.result["etag"].endswith("-3")
    body = b"".join(gateway.open_object(connection, bucket, "big/файл #1.bin").body)
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    assert not upload.staging_path(job).exists()


def test_a_retried_chunk_overwrites_itself(login, editor, connection, bucket, small_parts):
    data = os.urandom(5 * MB)
    client = login(editor)
    job_id = chunked_upload(client, connection, bucket, "retry.bin", data)
    # The browser retries the second chunk after a network error: same offset, same bytes.
    client.post(reverse("upload_chunk", args=[connection.pk, bucket, job_id]) + f"?offset={2 * MB}",
                data[2 * MB : 4 * MB], content_type="application/octet-stream")
    client.post(reverse("upload_finish", args=[connection.pk, bucket, job_id]))
    jobs.job_run(job_id)
    assert b"".join(gateway.open_object(connection, bucket, "retry.bin").body) == data


def test_finishing_before_all_bytes_arrived_is_refused(login, editor, connection, bucket, small_parts):
    client = login(editor)
    start = client.post(reverse("upload_start", args=[connection.pk, bucket]), {"key": "half.bin", "size": 4 * MB})
    job_id = start.json()["job"]
    client.post(reverse("upload_chunk", args=[connection.pk, bucket, job_id]) + "?offset=0", b"x" * MB,
                content_type="application/octet-stream")
    finish = client.post(reverse("upload_finish", args=[connection.pk, bucket, job_id]))
    assert finish.status_code == 400
    assert "Only 1048576 of 4194304 bytes arrived" in finish.json()["error"]


def test_a_chunk_past_the_announced_size_is_refused(login, editor, connection, bucket, small_parts):
    client = login(editor)
    job_id = client.post(reverse("upload_start", args=[connection.pk, bucket]), {"key": "k", "size": 10}).json()["job"]
    response = client.post(reverse("upload_chunk", args=[connection.pk, bucket, job_id]) + "?offset=5", b"x" * 6,
                           content_type="application/octet-stream")
    assert response.status_code == 400


def test_a_redelivered_job_resumes_with_the_parts_already_sent(login, editor, connection, bucket, small_parts):
    data = os.urandom(11 * MB)
    client = login(editor)
    job_id = chunked_upload(client, connection, bucket, "resume.bin", data)
    client.post(reverse("upload_finish", args=[connection.pk, bucket, job_id]))
    job = Job.objects.get(pk=job_id)
    # A first worker created the upload and sent part 1, then died.
    upload_id = gateway.multipart_create(connection, bucket, "resume.bin")
    gateway.multipart_upload_part(connection, bucket, "resume.bin", upload_id, 1, data[: 5 * MB])
    job.params["upload_id"] = upload_id
    Job.objects.filter(pk=job_id).update(params=job.params, state=JobState.RUNNING)
    jobs.job_run(job_id)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.params["upload_id"] == upload_id
    assert b"".join(gateway.open_object(connection, bucket, "resume.bin").body) == data


def test_a_failed_upload_can_be_discarded_leaving_nothing_behind(login, editor, connection, bucket, small_parts):
    data = os.urandom(6 * MB)
    client = login(editor)
    job_id = chunked_upload(client, connection, bucket, "discard.bin", data)
    job = Job.objects.get(pk=job_id)
    upload_id = gateway.multipart_create(connection, bucket, "discard.bin")
    job.params["upload_id"] = upload_id
    Job.objects.filter(pk=job_id).update(params=job.params, state=JobState.FAILED, error="endpoint went away")
    response = client.post(reverse("upload_discard", args=[connection.pk, bucket, job_id]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert not upload.staging_path(job).exists()
    assert gateway.multipart_pending(connection, bucket) == []


def test_a_cancelled_upload_aborts_the_multipart_upload(login, editor, connection, bucket, small_parts):
    data = os.urandom(6 * MB)
    client = login(editor)
    job_id = chunked_upload(client, connection, bucket, "cancel.bin", data)
    client.post(reverse("upload_finish", args=[connection.pk, bucket, job_id]))
    client.post(reverse("job_cancel", args=[job_id]))
    jobs.job_run(job_id)
    job = Job.objects.get(pk=job_id)
    assert job.state == JobState.CANCELLED
    assert gateway.multipart_pending(connection, bucket) == []
    with pytest.raises(gateway.NotFound):
        gateway.head_object(connection, bucket, "cancel.bin")


def test_the_sweep_aborts_abandoned_uploads_and_staging_leftovers(editor, team, connection, bucket, small_parts):
    job = upload.upload_job_create(team=team, user=editor, connection=connection, bucket=bucket,
                                     key="stale.bin", size=10, content_type="")
    upload_id = gateway.multipart_create(connection, bucket, "stale.bin")
    job.params["upload_id"] = upload_id
    old = job.created_at - __import__("datetime").timedelta(days=2)
    Job.objects.filter(pk=job.pk).update(params=job.params, created_at=old)
    leftover = small_parts.UPLOAD_STAGING_DIR / "orphan.part"
    leftover.write_bytes(b"x")
    os.utime(leftover, (0, 0))
    result = upload.sweep_stale_uploads()
    assert result == {"aborted": 1, "removed": 1}
    assert gateway.multipart_pending(connection, bucket) == []
    assert not leftover.exists()
    assert Job.objects.get(pk=job.pk).state == JobState.FAILED


def test_the_form_upload_without_javascript_stages_a_large_file_as_a_job(login, editor, connection, bucket, small_parts, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_DIRECT_MAX_BYTES = MB
    data = os.urandom(2 * MB)
    response = login(editor).post(reverse("upload", args=[connection.pk, bucket]),
                                  {"prefix": "", "files": SimpleUploadedFile("form.bin", data)})
    assert response.status_code == 302
    job = Job.objects.get(kind="upload", key="form.bin")
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    assert b"".join(gateway.open_object(connection, bucket, "form.bin").body) == data


def test_the_sweep_also_discards_failed_uploads_nobody_retried(editor, team, connection, bucket, small_parts):
    import datetime

    job = upload.upload_job_create(team=team, user=editor, connection=connection, bucket=bucket,
                                     key="failed.bin", size=10, content_type="")
    job.params["upload_id"] = gateway.multipart_create(connection, bucket, "failed.bin")
    long_ago = job.created_at - datetime.timedelta(days=2)
    Job.objects.filter(pk=job.pk).update(params=job.params, state=JobState.FAILED, finished_at=long_ago, created_at=long_ago)
    assert upload.sweep_stale_uploads()["aborted"] == 1
    assert gateway.multipart_pending(connection, bucket) == []
    assert not upload.staging_path(job).exists()
    assert upload.sweep_stale_uploads()["aborted"] == 0  # once is enough


def test_cancelling_an_upload_that_is_still_receiving_chunks_removes_its_staged_bytes(login, editor, connection, bucket, small_parts):
    client = login(editor)
    job_id = client.post(reverse("upload_start", args=[connection.pk, bucket]), {"key": "half.bin", "size": 4 * MB}).json()["job"]
    client.post(reverse("upload_chunk", args=[connection.pk, bucket, job_id]) + "?offset=0", b"x" * MB,
                content_type="application/octet-stream")
    job = Job.objects.get(pk=job_id)
    assert upload.staging_path(job).exists()
    client.post(reverse("job_cancel", args=[job_id]))
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert not upload.staging_path(job).exists()
    later = client.post(reverse("upload_chunk", args=[connection.pk, bucket, job_id]) + f"?offset={MB}", b"x" * MB,
                        content_type="application/octet-stream")
    assert later.status_code == 400
