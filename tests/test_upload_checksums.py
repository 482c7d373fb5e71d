"""A SHA-256 with every part of a large upload (S3's additional checksums): the browser hashes
each part (crypto.subtle), the console asks the endpoint to keep a checksum per part, and every
part then goes with its SHA-256, signed into the part's URL, so the endpoint refuses bytes that
changed on the way. Only where the endpoint said so at CreateMultipartUpload: Ceph RGW 16.2
ignores the request and its uploads go on as before; IONOS, DigitalOcean and SigV2 are never
asked. moto keeps the algorithm (and with it completes the upload from per-part checksums
instead of copying the whole object once more) but checks no value: the values are checked on
RGW, which verifies the signature that covers them, and a refusal comes from a fake endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import os

import pytest
import requests
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from buckets import gateway, jobs
from buckets.jobs import upload
from buckets.models import Connection, Job, JobState
from tests import test_faults_endpoints, test_uploads
from tests.test_faults_endpoints import answer
from tests.test_uploads import finish, start, stored

MB = 1024 * 1024
small_parts = test_uploads.small_parts
odd_connection = test_faults_endpoints.odd_connection
ORIGIN = "http://console.example:8000"


def sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def part(plan, data, number) -> bytes:
    size = plan["part_size"]
    return data[(number - 1) * size : number * size]


def send_checked(client, plan, data, number, value=None):
    chunk = part(plan, data, number)
    headers = {} if value == "" else {"HTTP_X_CHECKSUM_SHA256": value or sha256(chunk)}
    return client.post(plan["part_url"] + f"?n={number}", chunk, content_type="application/octet-stream", **headers)


def upload_algorithm(connection, bucket, key) -> str | None:
    """What the endpoint recorded for the multipart upload (moto lists it)."""
    listed = gateway.call(connection, "list_multipart_uploads", Bucket=bucket, what=bucket)
    return next(u.get("ChecksumAlgorithm") for u in listed["Uploads"] if u["Key"] == key)


def test_a_proxied_upload_sends_every_part_with_its_sha256_and_completes(login, editor, connection, bucket, small_parts):
    data = os.urandom(12 * MB + 5)
    client = login(editor)
    plan = start(client, connection, bucket, "checked.bin", len(data), checksum="SHA256")
    assert (plan["route"], plan["checksum"]) == ("proxy", "SHA256")
    assert upload_algorithm(connection, bucket, "checked.bin") == "SHA256"
    for number in (1, 2, 3):
        response = send_checked(client, plan, data, number)
        assert response.status_code == 200, response.content
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    job = Job.objects.get(pk=plan["job"])
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["checksum"] == "SHA256" and "SHA-256 your browser computed" in job.message
    assert stored(connection, bucket, "checked.bin") == data
    head = gateway.call(connection, "head_object", Bucket=bucket, Key="checked.bin", ChecksumMode="ENABLED", what="k")
    assert head.get("ChecksumSHA256")  # the object carries the checksum the parts made


def test_a_browser_that_offers_no_checksum_gets_a_plain_upload(login, editor, connection, bucket, small_parts):
    client = login(editor)
    plan = start(client, connection, bucket, "plain.bin", 6 * MB)
    assert plan["checksum"] == ""
    assert upload_algorithm(connection, bucket, "plain.bin") is None
    odd = start(client, connection, bucket, "odd.bin", 6 * MB, checksum="CRC64NVME")  # an offer the console does not know
    assert odd["checksum"] == "" and upload_algorithm(connection, bucket, "odd.bin") is None


@pytest.mark.parametrize("value", [
    "",  # none at all
    "abc",
    "!" * 44,
    base64.b64encode(b"x" * 31).decode().ljust(44, "="),  # not 32 bytes
    base64.b64encode(b"x" * 33).decode(),
    "é" * 44,
    sha256(b"x")[:-1] + " ",
])
def test_a_part_without_a_well_formed_sha256_is_refused_before_anything_reaches_the_endpoint(
        login, editor, connection, bucket, small_parts, value):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "refused.bin", len(data), checksum="SHA256")
    response = send_checked(client, plan, data, 1, value)
    assert response.status_code == 400
    assert "SHA-256" in response.json()["error"]
    assert gateway.multipart_parts(connection, bucket, "refused.bin", Job.objects.get(pk=plan["job"]).params["upload_id"]) == {}


@hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=60))
def test_checksum_problem_accepts_exactly_the_base64_of_32_bytes(value):
    try:
        raw = base64.b64decode(value, validate=True)
        good = len(value) == 44 and value.isascii() and len(raw) == 32
    except ValueError:
        good = False
    assert (upload.checksum_problem(value) == "") is good
    assert upload.checksum_problem(sha256(value.encode())) == ""


@pytest.mark.parametrize("fixture", ["contract_owned", "spaces"])
def test_providers_whose_documents_do_not_name_checksums_are_never_asked(login, editor, request, small_parts, fixture):
    connection = request.getfixturevalue(fixture)
    from tests.conftest import empty_and_delete, unique_bucket_name

    name = unique_bucket_name()
    gateway.create_bucket(connection, name)
    try:
        client = login(editor)
        plan = start(client, connection, name, "k.bin", 6 * MB, checksum="SHA256")
        assert plan["checksum"] == ""
        assert upload_algorithm(connection, name, "k.bin") is None  # not even asked
    finally:
        empty_and_delete(connection, name)


def test_a_sigv2_connection_is_never_asked_for_checksums(login, editor, connection, bucket, small_parts):
    Connection.objects.filter(pk=connection.pk).update(signature_version="s3")
    plan = start(login(editor), connection, bucket, "v2.bin", 6 * MB, checksum="SHA256")
    assert plan["checksum"] == ""


def test_an_endpoint_that_finds_a_part_damaged_gets_it_sent_again(login, editor, connection, bucket, small_parts, odd_connection):
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "damaged.bin", len(data), checksum="SHA256")
    Connection.objects.filter(pk=connection.pk).update(endpoint_url=odd_connection.endpoint_url)
    answer(400, b"<?xml version='1.0'?><Error><Code>BadDigest</Code><Message>The SHA256 you specified did not match "
                b"the calculated checksum.</Message></Error>", Content_Type="application/xml")
    response = send_checked(client, plan, data, 1)
    assert response.status_code == 502  # a passing fault: the browser's code retries it
    assert "arrived damaged" in response.json()["error"] and "sent again" in response.json()["error"]


def test_an_upload_that_keeps_checksums_resumes_only_for_a_browser_that_sends_them(login, editor, connection, bucket, small_parts):
    data = os.urandom(11 * MB)
    client = login(editor)
    first = start(client, connection, bucket, "again.bin", len(data), checksum="SHA256", fingerprint="f")
    assert send_checked(client, first, data, 1).status_code == 200
    same = start(client, connection, bucket, "again.bin", len(data), checksum="SHA256", fingerprint="f",
                 resume=first["job"])
    assert same["job"] == first["job"] and same["resumed"] and same["checksum"] == "SHA256"
    other = start(client, connection, bucket, "again.bin", len(data), fingerprint="f", resume=first["job"])
    assert other["job"] != first["job"] and other["checksum"] == ""


# --- the direct route: the browser PUTs to the endpoint with the signed checksum header ---------


def cors(connection, bucket, headers):
    rule = {"AllowedOrigins": [ORIGIN], "AllowedMethods": ["PUT"], "AllowedHeaders": headers, "ExposeHeaders": ["ETag"]}
    gateway.call(connection, "put_bucket_cors", Bucket=bucket, CORSConfiguration={"CORSRules": [rule]}, what=bucket)


def test_a_direct_upload_signs_each_part_with_its_sha256(login, editor, connection, bucket, small_parts):
    cors(connection, bucket, ["x-amz-checksum-*"])
    data = os.urandom(11 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "direct.bin", len(data), checksum="SHA256", origin=ORIGIN)
    assert (plan["route"], plan["checksum"]) == ("direct", "SHA256")
    assert client.post(plan["sign_url"], {"n": [1]}).status_code == 400  # no checksum: no URL
    assert client.post(plan["sign_url"], {"n": [1, 2], "sha256": [sha256(b"")]}).status_code == 400
    for number in (1, 2, 3):
        chunk = part(plan, data, number)
        url = client.post(plan["sign_url"], {"n": [number], "sha256": [sha256(chunk)]}).json()["urls"][str(number)]
        assert "x-amz-checksum-sha256" in url.lower()  # a signed header, not a value in the query
        assert sha256(chunk) not in requests.utils.unquote(url)
        put = requests.put(url, data=chunk, headers={"Origin": ORIGIN, "x-amz-checksum-sha256": sha256(chunk)}, timeout=10)
        assert put.status_code == 200, put.text
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert Job.objects.get(pk=plan["job"]).state == JobState.SUCCEEDED
    assert stored(connection, bucket, "direct.bin") == data


def test_a_direct_route_whose_cors_does_not_allow_the_header_goes_without_checksums(login, editor, connection, bucket, small_parts):
    cors(connection, bucket, ["content-type"])
    plan = start(login(editor), connection, bucket, "nohdr.bin", 6 * MB, checksum="SHA256", origin=ORIGIN)
    assert (plan["route"], plan["checksum"]) == ("direct", "")


# --- Ceph RGW: 16.2 keeps no checksums; what the console signs, RGW verifies -------------------


@pytest.mark.rgw
def test_on_rgw_16_an_offered_checksum_is_not_kept_and_the_upload_goes_on_as_before(login, editor, rgw_connection, rgw_bucket, small_parts):
    data = os.urandom(11 * MB)
    client = login(editor)
    plan = start(client, rgw_connection, rgw_bucket, "rgw.bin", len(data), checksum="SHA256")
    assert plan["checksum"] == ""  # RGW 16.2 ignored ChecksumAlgorithm: a plain upload
    for number in (1, 2, 3):
        assert send_checked(client, plan, data, number).status_code == 200  # a header sent anyway is not passed on
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert Job.objects.get(pk=plan["job"]).state == JobState.SUCCEEDED
    assert stored(rgw_connection, rgw_bucket, "rgw.bin") == data


@pytest.mark.rgw
def test_on_rgw_the_checksum_header_is_signed_into_streamed_and_presigned_parts(rgw_connection, rgw_bucket):
    data = os.urandom(5 * MB)
    upload_id = gateway.multipart_create(rgw_connection, rgw_bucket, "signed.bin")
    try:
        chunks = iter([data[i : i + MB] for i in range(0, len(data), MB)])
        etag = gateway.multipart_upload_part_stream(rgw_connection, rgw_bucket, "signed.bin", upload_id, 1,
                                                    lambda n: next(chunks, b""), len(data), sha256=sha256(data))
        assert etag.strip('"') == hashlib.md5(data).hexdigest()  # RGW checks signatures: it was signed right
        url = gateway.multipart_presign_part(rgw_connection, rgw_bucket, "signed.bin", upload_id, 2, expires=60,
                                             sha256=sha256(data))
        assert requests.put(url, data=data, headers={"x-amz-checksum-sha256": sha256(data)}, timeout=10).status_code == 200
        # The header is part of the signature: a URL used without it, or with another value, is refused.
        assert requests.put(url, data=data, timeout=10).status_code == 403
        assert requests.put(url, data=data, headers={"x-amz-checksum-sha256": sha256(b"x")}, timeout=10).status_code == 403
    finally:
        gateway.multipart_abort(rgw_connection, rgw_bucket, "signed.bin", upload_id)


def test_parts_too_large_to_hash_in_the_browser_go_without_checksums(login, editor, connection, bucket, settings):
    settings.UPLOAD_PART_BYTES = upload.CHECKSUM_PART_MAX + MB  # the plan a file of ~330 GB would get
    plan = start(login(editor), connection, bucket, "huge.bin", 3 * settings.UPLOAD_PART_BYTES, checksum="SHA256")
    assert plan["checksum"] == "" and upload_algorithm(connection, bucket, "huge.bin") is None


def test_an_endpoint_that_refuses_the_checksum_request_gets_a_plain_upload(login, editor, connection, bucket, small_parts, monkeypatch):
    """Fault injection on top of moto: CreateMultipartUpload with ChecksumAlgorithm answers 400."""
    real_call = gateway.call

    def refusing(conn, operation, **params):
        if operation == "create_multipart_upload" and "ChecksumAlgorithm" in params:
            raise gateway.Invalid("Unknown header x-amz-checksum-algorithm", code="InvalidArgument")
        return real_call(conn, operation, **params)

    monkeypatch.setattr(gateway, "call", refusing)
    data = os.urandom(6 * MB)
    client = login(editor)
    plan = start(client, connection, bucket, "refusing.bin", len(data), checksum="SHA256")
    assert plan["checksum"] == "" and upload_algorithm(connection, bucket, "refusing.bin") is None
    for number in range(1, plan["part_count"] + 1):
        assert send_checked(client, plan, data, number).status_code == 200
    assert finish(client, plan).status_code == 200
    jobs.job_run(plan["job"])
    assert Job.objects.get(pk=plan["job"]).state == JobState.SUCCEEDED
    assert stored(connection, bucket, "refusing.bin") == data
