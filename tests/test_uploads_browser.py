"""Large uploads in Debian's chromium, as a person makes them: the network drops in the
middle, or the page reloads, and the upload goes on from the parts the endpoint holds.

The completion runs in-process (jobs.job_run) once the page has asked for it;
tests/test_worker.py drives the same page through a real Celery worker.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from buckets import gateway, jobs
from buckets.models import Job, JobState

pytestmark = pytest.mark.browser
MB = 1024 * 1024


@pytest.fixture
def parts_of_5_mib(settings):
    settings.UPLOAD_DIRECT_MAX_BYTES = 1 * MB
    settings.UPLOAD_PART_BYTES = 5 * MB
    return settings


def part_number(url: str) -> str:
    return parse_qs(urlsplit(url).query).get("n", [""])[0]


def complete_when_asked(page, key: str, timeout: float = 30) -> Job:
    """Play the worker: run the job once the page has finished sending (it is queued).

    Waits with page.wait_for_timeout, not time.sleep: Playwright's sync API runs the route
    handlers only while the test is inside one of its calls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.filter(kind="upload", key=key, queued_at__isnull=False).first()
        if job:
            jobs.job_run(job.pk)
            return Job.objects.get(pk=job.pk)
        page.wait_for_timeout(100)
    raise AssertionError("the page never asked to finish the upload")


def test_a_large_upload_survives_a_network_cut_and_finishes_byte_identical(browser_page, editor, connection, bucket, parts_of_5_mib, tmp_path):
    data = os.urandom(16 * MB + 3)  # four parts
    path = tmp_path / "cut.bin"
    path.write_bytes(data)
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    sent: list[str] = []
    cut = threading.Event()
    cut.set()

    def network(route):
        number = part_number(route.request.url)
        if cut.is_set() and number != "1":
            route.abort("internetdisconnected")  # the link is gone for every part after the first
            return
        sent.append(number)
        # The SHA-256 the page computed (crypto.subtle) is the part's own.
        body = route.request.post_data_buffer
        digests.append(route.request.headers.get("x-checksum-sha256") == base64.b64encode(hashlib.sha256(body).digest()).decode())
        route.continue_()

    digests: list[bool] = []
    page.route("**/uploads/*/part/*", network)
    with page.expect_response(lambda r: "/part/" in r.url and part_number(r.url) == "1" and r.status == 200):
        page.set_input_files("#file-input", str(path))
    page.context.set_offline(True)
    page.wait_for_timeout(1500)
    assert Job.objects.get(key="cut.bin").state == JobState.PENDING  # still receiving, nothing failed
    cut.clear()
    page.context.set_offline(False)
    job = complete_when_asked(page, "cut.bin")
    assert job.state == JobState.SUCCEEDED, job.error
    page.wait_for_selector("#upload-list li .status.ok", timeout=20_000)
    assert page.inner_text("#upload-list li .route") == "→ through the console · a SHA-256 with every part"
    assert sorted(sent) == ["1", "2", "3", "4"]  # each part arrived once: resumed, not restarted
    assert digests == [True] * 4 and job.params["checksum"] == "SHA256"
    assert b"".join(gateway.open_object(connection, bucket, "cut.bin").body) == data
    page.wait_for_selector("#rows a.object-link >> text=cut.bin")
    # Chromium logs each request that failed while the network was cut; nothing else may appear
    # (no CSP violation, no script error).
    problems = [p for p in page.console_problems if "ERR_INTERNET_DISCONNECTED" not in p]
    assert problems == [], problems


def test_choosing_the_same_file_after_a_reload_sends_only_the_missing_parts(browser_page, editor, connection, bucket, parts_of_5_mib, tmp_path):
    data = os.urandom(11 * MB)  # three parts
    path = tmp_path / "again.bin"
    path.write_bytes(data)  # a real file: the same lastModified both times, as a person's file has
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    sent: list[str] = []

    def only_the_first(route):
        if part_number(route.request.url) != "1":
            route.abort("internetdisconnected")
            return
        sent.append("1")
        route.continue_()

    page.route("**/uploads/*/part/*", only_the_first)
    with page.expect_response(lambda r: "/part/" in r.url and part_number(r.url) == "1" and r.status == 200):
        page.set_input_files("#file-input", str(path))
    # The blocking route stays until the reload: a retry of part 2 or 3 must not slip through
    # between an unroute and the reload (it did, under load). The route registered after the
    # reload runs first (Playwright runs matching routes newest first) and lets parts through.
    page.reload()  # the tab reloads before the other parts got through

    def counted(route):
        sent.append(part_number(route.request.url))
        route.continue_()

    page.route("**/uploads/*/part/*", counted)
    page.set_input_files("#file-input", str(path))
    page.wait_for_selector("#upload-list li .status >> text=Completing", timeout=20_000)
    job = complete_when_asked(page, "again.bin")
    assert job.state == JobState.SUCCEEDED, job.error
    assert Job.objects.filter(key="again.bin").count() == 1  # the same upload, resumed
    assert sorted(sent) == ["1", "2", "3"]
    page.wait_for_selector("#upload-list li .status.ok", timeout=20_000)
    assert b"".join(gateway.open_object(connection, bucket, "again.bin").body) == data
    assert [p for p in page.console_problems if "ERR_INTERNET_DISCONNECTED" not in p] == []


def test_a_direct_upload_from_the_page_sends_each_part_with_its_sha256_to_the_endpoint(browser_page, editor, connection, bucket, parts_of_5_mib, tmp_path, live_server):
    # The bucket's CORS lets the console's page PUT parts, with the checksum header, to moto.
    rule = {"AllowedOrigins": [live_server.url], "AllowedMethods": ["PUT"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}
    gateway.call(connection, "put_bucket_cors", Bucket=bucket, CORSConfiguration={"CORSRules": [rule]}, what=bucket)
    data = os.urandom(11 * MB)  # three parts
    path = tmp_path / "direct.bin"
    path.write_bytes(data)
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    checked: list[bool] = []

    def to_the_endpoint(route):
        request = route.request
        if request.method == "PUT":
            value = request.headers.get("x-amz-checksum-sha256")
            checked.append(value == base64.b64encode(hashlib.sha256(request.post_data_buffer).digest()).decode())
        route.continue_()

    page.route(connection.endpoint_url.rstrip("/") + "/**", to_the_endpoint)
    page.set_input_files("#file-input", str(path))
    job = complete_when_asked(page, "direct.bin")
    assert job.state == JobState.SUCCEEDED, job.error
    assert (job.params["route"], job.params["checksum"]) == ("direct", "SHA256")
    page.wait_for_selector("#upload-list li .status.ok", timeout=20_000)
    assert page.inner_text("#upload-list li .route") == "→ straight to the endpoint · a SHA-256 with every part"
    assert checked == [True] * 3
    assert b"".join(gateway.open_object(connection, bucket, "direct.bin").body) == data
    assert page.console_problems == []
