"""Large uploads: the browser's part protocol (proxy and direct), finish, resume, cancel, and
the worker's completion. These run the job in-process (jobs.job_run); tests/test_worker.py
runs the same path through a real Celery worker on Redis.
"""

from __future__ import annotations

import hashlib
import os
import threading

import pytest
import requests
from django.urls import reverse

from buckets import gateway, jobs
from buckets.jobs import upload
from buckets.models import Job, JobState

MB = 1024 * 1024


@pytest.fixture
def small_parts(settings, tmp_path):
    settings.UPLOAD_PART_BYTES = 5 * MB
    settings.UPLOAD_STAGING_DIR = tmp_path / "staging"
    return settings


def start(client, connection, bucket, key, size, **extra):
    response = client.post(reverse("upload_start", args=[connection.pk, bucket]), {"key": key, "size": size, **extra},
                           HTTP_ORIGIN=extra.pop("origin", "http://testserver"))
    assert response.status_code == 200, response.content
    return response.json()


def send_part(client, plan, data, number, body=None):
    size = plan["part_size"]
    chunk = data[(number - 1) * size : number * size] if body is None else body
    return client.post(plan["part_url"] + f"?n={number}", chunk, content_type="application/octet-stream")


def send_all(client, plan, data, numbers=None):
    for number in numbers or range(1, plan["part_count"] + 1):
        response = send_part(client, plan, data, number)
        assert response.status_code == 200, response.content


def finish(client, plan):
    return client.post(plan["finish_url"])


def stored(connection, bucket, key) -> bytes:
    return b"".join(gateway.open_object(connection, bucket, key).body)


def test_a_large_file_goes_through_the_console_part_by_part_and_becomes_one_object(login, editor, connection, bucket, small_parts):
    data = os.urandom(12 * MB + 123)
    client = login(editor)
    plan = start(client, connection, bucket, "big/файл #1.bin", len(data))
    assert (plan["route"], plan["part_size"], plan["part_count"]) == ("proxy", 5 * MB, 3)
    assert Job.objects.get(pk=plan["job"]).params["upload_id"]  # the multipart upload exists from the start
    send_all(client, plan, data)
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    job = Job.objects.get(pk=plan["job"])
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.bytes_done == len(data) and job.result["parts"] == 3 and job.result["etag"].endswith("-3")
    assert hashlib.sha256(stored(connection, bucket, "big/файл #1.bin")).digest() == hashlib.sha256(data).digest()
    assert not small_parts.UPLOAD_STAGING_DIR.exists() or not any(small_parts.UPLOAD_STAGING_DIR.iterdir())


def test_the_job_page_shows_the_bytes_received_while_parts_arrive(login, editor, connection, bucket, small_parts):
    data = os.urandom(11 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "moving.bin", len(data))
    send_all(client, plan, data, [2])
    status = client.get(plan["progress_url"], HTTP_X_JOB_STATUS="1").json()
    assert status["bytes_done"] == 5 * MB and status["state"] == "pending"
    assert "Receiving" in status["message"]


def test_finishing_while_parts_are_missing_is_refused_naming_them_and_stores_nothing(login, editor, connection, bucket, small_parts):
    # Issue 8.1: only the last part arrived; the object must never begin with zeros.
    data = os.urandom(12 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "half.bin", len(data))
    send_all(client, plan, data, [3])
    refused = finish(client, plan)
    assert refused.status_code == 409
    assert refused.json()["missing"] == [1, 2] and "2 of 3 part(s) have not arrived" in refused.json()["error"]
    with pytest.raises(gateway.NotFound):
        gateway.head_object(connection, bucket, "half.bin")
    send_all(client, plan, data, [1, 2])  # the browser sends what was named, then finishes
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert stored(connection, bucket, "half.bin") == data


def test_a_part_that_arrived_with_the_wrong_size_counts_as_missing(login, editor, connection, bucket, small_parts):
    data = os.urandom(11 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "short.bin", len(data))
    job = Job.objects.get(pk=plan["job"])
    # Straight to the endpoint, as a direct-route browser could: part 1 one MiB short.
    gateway.multipart_upload_part(connection, bucket, "short.bin", job.params["upload_id"], 1, data[: 4 * MB])
    send_all(client, plan, data, [2, 3])
    refused = finish(client, plan)
    assert refused.status_code == 409 and refused.json()["missing"] == [1]


@pytest.mark.parametrize(("query", "body", "status", "text"), [
    ("n=0", b"x", 400, "Part numbers run from 1 to 3"),
    ("n=4", b"x", 400, "Part numbers run from 1 to 3"),
    ("n=abc", b"x", 400, "whole number"),
    ("n=①", b"x", 400, "whole number"),
    ("n=1", b"x" * (5 * MB + 1), 413, "5242880 bytes"),
    ("n=1", b"x" * 100, 400, "must be 5242880 bytes"),
])
def test_a_part_that_does_not_fit_the_plan_is_refused_with_json(login, editor, connection, bucket, small_parts, query, body, status, text):
    client = login(editor)
    plan = start(client, connection, bucket, "plan.bin", 11 * MB)
    response = client.post(plan["part_url"] + "?" + query, body, content_type="application/octet-stream")
    assert response.status_code == status
    assert text in response.json()["error"]


def test_a_second_finish_runs_one_completion(login, editor, connection, bucket, small_parts, monkeypatch):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "twice.bin", len(data))
    send_all(client, plan, data)
    completions = []
    real = gateway.multipart_complete
    monkeypatch.setattr(gateway, "multipart_complete", lambda *a, **k: completions.append(1) or real(*a, **k))
    assert finish(client, plan).status_code == 200
    assert finish(client, plan).status_code == 200  # a double click, or a retried request
    runs = [threading.Thread(target=jobs.job_run, args=(plan["job"],)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    jobs.job_run(plan["job"])  # and a late redelivery
    job = Job.objects.get(pk=plan["job"])
    assert job.state == JobState.SUCCEEDED and completions == [1]
    assert finish(client, plan).status_code == 200  # after the end, finish still says where the job is


def test_cancelling_while_a_part_is_in_flight_ends_cancelled_at_once_and_answers_409(login, editor, connection, bucket, small_parts, monkeypatch):
    data = os.urandom(11 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "cancel.bin", len(data))
    send_all(client, plan, data, [1])
    real = gateway.multipart_upload_part_stream

    def cancelled_meanwhile(*args, **kwargs):
        # Fault injection: the user presses Cancel while this part travels to the endpoint.
        assert login(editor).post(reverse("job_cancel", args=[plan["job"]])).status_code == 302
        return real(*args, **kwargs)

    monkeypatch.setattr(gateway, "multipart_upload_part_stream", cancelled_meanwhile)
    in_flight = send_part(client, plan, data, 2)
    assert in_flight.status_code == 409
    assert in_flight.json()["cancelled"] is True and "cancelled" in in_flight.json()["error"]
    job = Job.objects.get(pk=plan["job"])
    assert job.state == JobState.CANCELLED and job.message == "Cancelled" and not job.error
    monkeypatch.setattr(gateway, "multipart_upload_part_stream", real)
    later = send_part(client, plan, data, 3)
    assert later.status_code == 409 and later.json()["cancelled"] is True
    assert finish(client, plan).status_code == 409
    assert gateway.multipart_pending(connection, bucket) == []


def test_choosing_the_same_file_again_after_a_reload_resumes_from_the_stored_parts(login, editor, admin, connection, bucket, small_parts):
    data = os.urandom(12 * MB)
    client = login(editor)
    print_ = "browse|again.bin|12582912|again.bin|1700000000000"
    first = start(client, connection, bucket, "again.bin", len(data), fingerprint=print_)
    send_all(client, first, data, [1, 3])
    # The page reloads: localStorage still has the job id for this fingerprint.
    again = start(client, connection, bucket, "again.bin", len(data), fingerprint=print_, resume=first["job"])
    assert again["job"] == first["job"] and again["resumed"] is True
    assert again["parts"] == {"1": 5 * MB, "3": 2 * MB}
    # Another file, or another user holding the id, gets a new upload instead.
    other = start(client, connection, bucket, "again.bin", len(data), fingerprint=print_ + "x", resume=first["job"])
    stranger = start(login(admin), connection, bucket, "again.bin", len(data), fingerprint=print_, resume=first["job"])
    assert other["job"] != first["job"] and stranger["job"] != first["job"] and not stranger["parts"]
    send_all(client, again, data, [2])
    assert finish(client, again).status_code == 200
    jobs.job_run(again["job"])
    assert stored(connection, bucket, "again.bin") == data


def test_a_completion_that_times_out_although_the_object_was_made_reports_success(login, editor, connection, bucket, small_parts, monkeypatch):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "slow.bin", len(data))
    send_all(client, plan, data)
    finish(client, plan)
    real = gateway.multipart_complete

    def slow_server(*args, **kwargs):
        real(*args, **kwargs)  # the server finishes the object ...
        raise gateway.TimedOut("The endpoint did not answer within 600 s (slow.bin).")  # ... too late to say so

    monkeypatch.setattr(gateway, "multipart_complete", slow_server)
    jobs.job_run(plan["job"])
    job = Job.objects.get(pk=plan["job"])
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["etag"].endswith("-2") and stored(connection, bucket, "slow.bin") == data


def test_a_completion_that_times_out_without_an_object_fails_and_can_be_retried(login, editor, connection, bucket, small_parts, monkeypatch):
    data = os.urandom(6 * MB)
    client = login(editor)
    gateway.put_object(connection, bucket, "same-size.bin", os.urandom(len(data)))  # an older object, same size
    plan = start(client, connection, bucket, "same-size.bin", len(data))
    send_all(client, plan, data)
    finish(client, plan)
    real = gateway.multipart_complete

    def silent(*args, **kwargs):
        raise gateway.TimedOut("The endpoint did not answer within 600 s.")

    monkeypatch.setattr(gateway, "multipart_complete", silent)
    jobs.job_run(plan["job"])
    job = Job.objects.get(pk=plan["job"])
    assert job.state == JobState.FAILED and "did not answer" in job.error  # the old object is not mistaken for it
    monkeypatch.setattr(gateway, "multipart_complete", real)
    jobs.job_retry(job)
    jobs.job_run(job.pk)
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED
    assert stored(connection, bucket, "same-size.bin") == data


def test_a_run_taken_over_after_its_worker_completed_the_upload_reports_success(login, editor, connection, bucket, small_parts):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "handover.bin", len(data))
    send_all(client, plan, data)
    finish(client, plan)
    job = Job.objects.get(pk=plan["job"])
    # A first worker completed the upload and died before it could say so.
    parts = gateway.multipart_list_parts(connection, bucket, "handover.bin", job.params["upload_id"])
    gateway.multipart_complete(connection, bucket, "handover.bin", job.params["upload_id"], parts)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error


def test_every_upload_endpoint_answers_json_for_every_refusal(client, login, editor, viewer, outsider, connection, bucket, small_parts):
    plan = start(login(editor), connection, bucket, "json.bin", 6 * MB)
    start_url = reverse("upload_start", args=[connection.pk, bucket])
    cases = [
        (client.post(start_url, {"key": "k", "size": 1}), 403),  # signed out
        (login(viewer).post(start_url, {"key": "k", "size": 1}), 403),
        (login(outsider).post(start_url, {"key": "k", "size": 1}), 404),
        (login(outsider).post(plan["part_url"] + "?n=1", b"x", content_type="application/octet-stream"), 404),
        (login(outsider).post(plan["finish_url"]), 404),
        (login(editor).post(start_url, {"key": "k", "size": "a lot"}), 400),
        (login(editor).post(start_url, {"key": "", "size": 10}), 400),
        (login(editor).post(start_url, {"key": "k", "size": 0}), 400),
        (login(editor).post(reverse("upload_finish", args=[connection.pk, bucket, 10**9])), 404),
        (login(editor).post(plan["sign_url"], {"n": 1}), 400),  # a proxy-route upload has no part URLs
    ]
    for response, status in cases:
        assert response.status_code == status, response.content
        assert response["Content-Type"] == "application/json" and response.json()["error"]


@pytest.mark.django_db(transaction=True)  # the engine sends at once outside a transaction, as in a request
def test_a_broker_that_is_down_at_finish_gets_a_clear_message_and_the_job_stays_queued(login, editor, connection, bucket, small_parts, monkeypatch):
    from kombu.exceptions import OperationalError

    from console.celery import app

    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "broker.bin", len(data))
    send_all(client, plan, data)

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", down)  # what publishing hits when Redis is gone
    refused = finish(client, plan)
    assert refused.status_code == 503 and refused.json()["queued"] is True
    assert "task queue did not answer" in refused.json()["error"]
    job = Job.objects.get(pk=plan["job"])
    assert job.state == JobState.PENDING and job.queued_at and not job.dispatched_at
    assert send_part(client, plan, data, 1).status_code == 409  # finishing: no more parts
    monkeypatch.undo()
    jobs.job_run(job.pk)  # what jobs_recover's re-send leads to
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED


def direct_put(plan, client, data, numbers, origin):
    urls = client.post(plan["sign_url"], {"n": list(numbers), "received": 0}).json()["urls"]
    for number in numbers:
        size = plan["part_size"]
        response = requests.put(urls[str(number)], data=data[(number - 1) * size : number * size],
                                headers={"Origin": origin}, timeout=10)
        assert response.status_code == 200, response.text
        assert response.headers.get("Access-Control-Allow-Origin") in (origin, "*")


@pytest.mark.rgw
def test_on_rgw_the_browser_sends_parts_straight_to_the_endpoint_where_cors_allows_it(login, editor, rgw_connection, rgw_bucket, small_parts):
    origin = "http://console.example:8000"
    rule = {"AllowedOrigins": [origin], "AllowedMethods": ["PUT", "GET"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}
    gateway.call(rgw_connection, "put_bucket_cors", Bucket=rgw_bucket, CORSConfiguration={"CORSRules": [rule]})
    data = os.urandom(11 * MB + 7)
    client = login(editor)
    elsewhere = start(client, rgw_connection, rgw_bucket, "x.bin", len(data), origin="http://other.example")
    assert elsewhere["route"] == "proxy"
    plan = start(client, rgw_connection, rgw_bucket, "direct.bin", len(data), origin=origin)
    assert plan["route"] == "direct" and plan["route_label"] == "straight to the endpoint"
    # The preflight the browser makes first: RGW enforces CORS.
    url = client.post(plan["sign_url"], {"n": 1}).json()["urls"]["1"]
    preflight = requests.options(url, headers={"Origin": origin, "Access-Control-Request-Method": "PUT"}, timeout=10)
    assert preflight.status_code == 200
    direct_put(plan, client, data, [1, 2, 3], origin)
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    job = Job.objects.get(pk=plan["job"])
    assert job.state == JobState.SUCCEEDED, job.error
    assert stored(rgw_connection, rgw_bucket, "direct.bin") == data


@pytest.mark.rgw
def test_on_rgw_parts_go_through_the_console_when_cors_does_not_allow_the_origin(login, editor, rgw_connection, rgw_bucket, small_parts):
    data = os.urandom(11 * MB)
    client = login(editor)
    plan = start(client, rgw_connection, rgw_bucket, "proxy.bin", len(data))
    assert plan["route"] == "proxy"
    send_all(client, plan, data, [3, 1])
    assert finish(client, plan).json()["missing"] == [2]
    send_all(client, plan, data, [2])
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert stored(rgw_connection, rgw_bucket, "proxy.bin") == data


def test_the_browse_page_lets_its_script_reach_the_endpoint_for_direct_uploads(login, editor, viewer, connection, bucket):
    page = login(editor).get(reverse("browse", args=[connection.pk, bucket]))
    origin = connection.endpoint_url.rstrip("/")
    assert origin in page["Content-Security-Policy"].split("connect-src", 1)[1].split(";")[0]
    assert "uploads.js" in page.content.decode()
    read_only = login(viewer).get(reverse("browse", args=[connection.pk, bucket]))
    assert origin not in read_only["Content-Security-Policy"]


# --- the form upload without JavaScript: staged, with its space reserved ----------------------


def test_the_form_upload_without_javascript_stages_a_large_file_as_a_job(login, editor, connection, bucket, small_parts, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_DIRECT_MAX_BYTES = MB
    data = os.urandom(6 * MB)
    response = login(editor).post(reverse("upload", args=[connection.pk, bucket]),
                                  {"prefix": "", "files": SimpleUploadedFile("form.bin", data)})
    assert response.status_code == 302
    job = Job.objects.get(kind="upload", key="form.bin")
    assert upload.staging_path(job).stat().st_blocks * 512 >= len(data)  # reserved, not sparse
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    assert stored(connection, bucket, "form.bin") == data
    assert not upload.staging_path(job).exists()


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_full_staging_disk_refuses_with_507_and_leaves_no_partial_file(login, editor, connection, bucket, small_parts, settings, monkeypatch, accept):
    import errno

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_DIRECT_MAX_BYTES = MB

    def full(fd, offset, length):
        os.write(fd, b"x" * 1000)  # a partial write first, as a filling disk gives
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(upload.os, "posix_fallocate", full)
    response = login(editor).post(reverse("upload", args=[connection.pk, bucket]),
                                  {"prefix": "", "files": SimpleUploadedFile("full.bin", os.urandom(2 * MB))},
                                  HTTP_ACCEPT=accept)
    if accept == "application/json":
        assert response.status_code == 507
        assert "staging disk has no room" in response.json()["results"][0]["message"]
    else:
        assert response.status_code == 302  # back to the folder, with the sentence as a message
    assert not any(small_parts.UPLOAD_STAGING_DIR.iterdir())
    assert Job.objects.get(key="full.bin").state == JobState.CANCELLED


def test_a_failed_staged_upload_gives_its_disk_space_back_at_once(login, editor, make_connection, team, small_parts, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_DIRECT_MAX_BYTES = MB
    broken = make_connection(team, endpoint="http://127.0.0.1:9", buckets=["gone"])  # nothing listens there
    login(editor).post(reverse("upload", args=[broken.pk, "gone"]),
                       {"prefix": "", "files": SimpleUploadedFile("lost.bin", os.urandom(2 * MB))})
    job = Job.objects.get(key="lost.bin")
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert not upload.staging_path(job).exists()


def test_a_failed_upload_can_be_discarded_leaving_nothing_behind(login, editor, connection, bucket, small_parts):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "discard.bin", len(data))
    send_all(client, plan, data, [1])
    Job.objects.filter(pk=plan["job"]).update(state=JobState.FAILED, error="endpoint went away")
    response = client.post(reverse("upload_discard", args=[connection.pk, bucket, plan["job"]]))
    assert response.status_code == 302
    assert Job.objects.get(pk=plan["job"]).state == JobState.CANCELLED
    assert gateway.multipart_pending(connection, bucket) == []


def test_the_sweep_aborts_abandoned_uploads_and_staging_leftovers(login, editor, connection, bucket, small_parts):
    import datetime

    plan = start(login(editor), connection, bucket, "stale.bin", 6 * MB)
    old = Job.objects.get(pk=plan["job"]).created_at - datetime.timedelta(days=2)
    Job.objects.filter(pk=plan["job"]).update(created_at=old)
    small_parts.UPLOAD_STAGING_DIR.mkdir(parents=True)
    leftover = small_parts.UPLOAD_STAGING_DIR / "orphan.part"
    leftover.write_bytes(b"x")
    os.utime(leftover, (0, 0))
    assert upload.sweep_stale_uploads() == {"aborted": 1, "removed": 1}
    assert gateway.multipart_pending(connection, bucket) == []
    assert not leftover.exists()
    assert Job.objects.get(pk=plan["job"]).state == JobState.FAILED


def test_the_sweep_leaves_an_old_upload_alone_while_its_parts_keep_arriving(login, editor, connection, bucket, small_parts):
    import datetime

    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "slow-link.bin", len(data))
    old = Job.objects.get(pk=plan["job"]).created_at - datetime.timedelta(days=2)
    Job.objects.filter(pk=plan["job"]).update(created_at=old)
    send_all(client, plan, data, [1])
    assert upload.sweep_stale_uploads()["aborted"] == 0


def test_the_sweep_also_discards_failed_uploads_nobody_retried(login, editor, connection, bucket, small_parts):
    import datetime

    plan = start(login(editor), connection, bucket, "failed.bin", 6 * MB)
    job = Job.objects.get(pk=plan["job"])
    long_ago = job.created_at - datetime.timedelta(days=2)
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, finished_at=long_ago, created_at=long_ago)
    assert upload.sweep_stale_uploads()["aborted"] == 1
    assert gateway.multipart_pending(connection, bucket) == []
    assert upload.sweep_stale_uploads()["aborted"] == 0  # once is enough
