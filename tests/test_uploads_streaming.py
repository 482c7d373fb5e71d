"""The proxy route streams each part on to the endpoint (gateway.multipart_upload_part_stream):
memory stays at about a slice per part, and an endpoint that is silent, redirects, rejects the
keys or is not allowed any more gives the browser a JSON sentence within the part's deadline.
Real moto and Ceph RGW over HTTP; the faulty endpoints are tiny servers on 127.0.0.1.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
import tracemalloc

import pytest
from django.http import HttpRequest
from django.urls import reverse

from buckets import gateway, jobs
from buckets.jobs import upload
from buckets.models import Connection, Job, JobState
from tests import test_faults_endpoints, test_object_encryption, test_uploads
from tests.test_faults_endpoints import Misbehaving, SilentServer, answer
from tests.test_object_encryption import KEY_B64
from tests.test_uploads import finish, send_all, send_part, start, stored

MB = 1024 * 1024
# The fixtures those tests use, shared rather than copied.
small_parts = test_uploads.small_parts
odd_connection = test_faults_endpoints.odd_connection
spaces_on_rgw = test_object_encryption.spaces_on_rgw


@pytest.fixture(autouse=True)
def fresh_limits():
    gateway.reset_limits()
    yield
    gateway.reset_limits()


def point_at(connection, endpoint: str) -> None:
    """The endpoint changes under a running upload (it hangs, or another server answers)."""
    Connection.objects.filter(pk=connection.pk).update(endpoint_url=endpoint)


def test_a_proxied_part_of_16_mib_is_passed_on_with_about_a_mib_in_memory(login, editor, connection, bucket, small_parts):
    small_parts.UPLOAD_PART_BYTES = 16 * MB
    data = os.urandom(20 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "bounded.bin", len(data))
    assert (plan["part_size"], plan["part_count"]) == (16 * MB, 2)
    job = Job.objects.get(pk=plan["job"])
    browser = io.BytesIO(data[: 16 * MB])  # the request stream, made before measuring
    tracemalloc.start()
    try:
        upload.upload_part_receive(job, 1, 16 * MB, browser.read)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"tracemalloc peak while forwarding one 16 MiB part: {peak / MB:.2f} MiB")
    assert peak < 4 * MB, f"{peak / MB:.1f} MiB held for a 16 MiB part"
    send_all(client, plan, data, [2])
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert stored(connection, bucket, "bounded.bin") == data


def test_the_part_view_never_reads_the_whole_body(login, editor, connection, bucket, small_parts, monkeypatch):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "no-body.bin", len(data))

    def whole_body(request):
        raise AssertionError("request.body read: the part would sit in memory whole")

    monkeypatch.setattr(HttpRequest, "body", property(whole_body))
    send_all(client, plan, data)
    monkeypatch.undo()
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert stored(connection, bucket, "no-body.bin") == data


@pytest.mark.parametrize("part_mib", [5, 16])
def test_an_endpoint_silent_during_a_part_gets_the_browser_json_within_the_deadline(
        login, editor, connection, bucket, small_parts, settings, part_mib):
    # 5 MiB fits the sockets' buffers (the wait is for the answer); 16 MiB does not (the send stalls).
    small_parts.UPLOAD_PART_BYTES = part_mib * MB
    settings.UPLOAD_PART_TIMEOUT = 1.5
    data = os.urandom(part_mib * MB + 1)
    client = login(editor)
    plan = start(client, connection, bucket, "hung.bin", len(data))
    silent = SilentServer()
    try:
        point_at(connection, silent.url)
        started = time.monotonic()
        response = send_part(client, plan, data, 1)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    print(f"silent endpoint, {part_mib} MiB part: {response.status_code} after {elapsed:.2f} s")
    assert response.status_code == 504
    assert "did not answer in time (hung.bin part 1): nothing came within 1.5 s" in response.json()["error"]
    assert elapsed < 1.5 + 2.0
    assert Job.objects.get(pk=plan["job"]).state == JobState.PENDING  # the browser may try the part again


def test_a_redirect_during_a_part_is_reported_and_never_followed(login, editor, connection, bucket, small_parts, odd_connection):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "moved.bin", len(data))
    point_at(connection, odd_connection.endpoint_url)
    answer(307, Location="http://169.254.169.254/latest/meta-data/")
    response = send_part(client, plan, data, 1)
    assert response.status_code == 502
    assert "redirected to http://169.254.169.254/latest/meta-data/, which the console does not follow" in response.json()["error"]
    assert Misbehaving.hits == 1


def test_an_html_answer_to_a_part_says_the_url_is_not_s3(login, editor, connection, bucket, small_parts, odd_connection):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "html.bin", len(data))
    point_at(connection, odd_connection.endpoint_url)
    answer(404, b"<html><body>Not here</body></html>", Content_Type="text/html")
    response = send_part(client, plan, data, 1)
    assert response.status_code == 502 and "not an S3 endpoint" in response.json()["error"]


def test_a_part_to_an_address_no_longer_allowed_is_refused_at_connect_time(login, editor, connection, bucket, small_parts, settings):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "ssrf.bin", len(data))
    settings.CONSOLE_ENDPOINT_ALLOWLIST = []  # 127.0.0.1 was allowlisted when the upload began
    response = send_part(client, plan, data, 1)
    assert response.status_code == 400
    assert "resolves to a loopback address, which is not allowed" in response.json()["error"]


@pytest.mark.rgw
def test_on_rgw_a_part_cut_short_by_the_browser_stores_nothing(login, editor, rgw_connection, rgw_bucket, small_parts):
    data = os.urandom(11 * MB)
    client = login(editor)
    plan = start(client, rgw_connection, rgw_bucket, "cut.bin", len(data))
    job = Job.objects.get(pk=plan["job"])
    cut = io.BytesIO(data[: 3 * MB])  # the browser's connection ends after 3 of 5 MiB
    with pytest.raises(upload.PartRefused, match=r"Part 1 arrived incomplete \(3145728 of 5242880 bytes\)"):
        upload.upload_part_receive(job, 1, 5 * MB, cut.read)
    assert gateway.multipart_parts(rgw_connection, rgw_bucket, "cut.bin", job.params["upload_id"]) == {}
    send_all(client, plan, data)
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert stored(rgw_connection, rgw_bucket, "cut.bin") == data


@pytest.mark.rgw
def test_on_rgw_a_part_with_a_wrong_secret_key_says_the_keys_are_wrong(login, editor, rgw_connection, rgw_bucket, small_parts):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, rgw_connection, rgw_bucket, "keys.bin", len(data))
    connection = Connection.objects.get(pk=rgw_connection.pk)
    connection.secret_key = "not-the-secret"
    connection.save()
    response = send_part(client, plan, data, 1)
    assert response.status_code == 403
    # RGW answers a bare AccessDenied; the console asks once more, as for every call (docs/faults.md).
    assert "rejected the access key or secret key" in response.json()["error"]


@pytest.mark.rgw
def test_on_rgw_sse_c_parts_stream_with_their_key_and_only_that_key_reads_them(login, editor, spaces_on_rgw, small_parts):
    connection, bucket = spaces_on_rgw
    data = os.urandom(11 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "secret.bin", len(data), sse="SSE-C", sse_customer_key=KEY_B64)
    assert (plan["route"], plan["part_count"]) == ("proxy", 3)
    send_all(client, plan, data)
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert Job.objects.get(pk=plan["job"]).state == JobState.SUCCEEDED
    with pytest.raises(gateway.S3Error):
        gateway.head_object(connection, bucket, "secret.bin")  # no key: RGW refuses
    body = client.post(reverse("download", args=[connection.pk, bucket]), {"key": "secret.bin", "sse_customer_key": KEY_B64})
    assert b"".join(body.streaming_content) == data


def test_a_browser_that_stops_sending_mid_part_frees_the_endpoint_slot_after_the_part_timeout(
        login, editor, connection, bucket, small_parts, settings, rf):
    from buckets.views.uploads import _browser_silence_bounded

    settings.UPLOAD_PART_TIMEOUT = 1.0
    client = login(editor)
    plan = start(client, connection, bucket, "stalled.bin", 11 * MB)
    job = Job.objects.get(pk=plan["job"])
    browser, server_side = socket.socketpair()  # what gunicorn reads the body from
    request = rf.post("/")
    request.META["gunicorn.socket"] = server_side
    # One MiB, then nothing, with the connection still open.
    threading.Thread(target=browser.sendall, args=(os.urandom(MB),), daemon=True).start()
    started = time.monotonic()
    try:
        with _browser_silence_bounded(request, settings.UPLOAD_PART_TIMEOUT), \
                pytest.raises(upload.PartRefused, match=r"Part 1 arrived incomplete \(1048576 of 5242880 bytes\)"):
            upload.upload_part_receive(job, 1, 5 * MB, server_side.recv)
        assert server_side.gettimeout() is None  # gunicorn gets its socket back as it was
    finally:
        browser.close()
        server_side.close()
    assert time.monotonic() - started < 3
    guard = gateway._guard_for(connection.endpoint_url)
    free = [guard.slots.acquire(blocking=False) for _ in range(guard.size)]
    for _ in range(sum(free)):
        guard.slots.release()
    assert all(free), "the stalled part still holds an endpoint slot"
    assert gateway.multipart_parts(connection, bucket, "stalled.bin", job.params["upload_id"]) == {}
