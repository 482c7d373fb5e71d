"""gateway.stream_object: the zip's GET on a presigned URL over kept-alive pinned connections.
It must fail as every other call fails (deadline, redirects, non-S3 answers, SSRF, S3 errors)
and give back exactly the object's bytes, reusing connections only when a body was read whole."""

from __future__ import annotations

import os
import time

import pytest

from buckets import gateway
from buckets.models import Connection
from tests import test_faults_endpoints
from tests.test_faults_endpoints import Misbehaving, SilentServer, answer

odd_connection = test_faults_endpoints.odd_connection


@pytest.fixture(autouse=True)
def fresh_limits():
    gateway.reset_limits()
    gateway._idle_wires.clear()
    yield
    gateway.reset_limits()
    gateway._idle_wires.clear()


def _idle() -> int:
    return sum(len(v) for v in gateway._idle_wires.values())


def test_objects_read_whole_and_the_connection_is_kept_for_the_next(connection, bucket):
    bodies = {f"k{i}": os.urandom(300_000 + i) for i in range(3)}
    for key, body in bodies.items():
        gateway.put_object(connection, bucket, key, body)
    for key, body in bodies.items():
        got = gateway.stream_object(connection, bucket, key)
        assert got.size == len(body) and b"".join(got.body) == body
    assert _idle() <= 1  # one connection served them one after another (where the server keeps it alive)


@pytest.mark.rgw
def test_on_rgw_one_kept_alive_connection_serves_one_object_after_another(rgw_connection, rgw_bucket, monkeypatch):
    for i in range(4):
        gateway.put_object(rgw_connection, rgw_bucket, f"k{i}", os.urandom(200_000))
    made = []
    real = gateway._PinnedHTTPConnection.connect
    monkeypatch.setattr(gateway._PinnedHTTPConnection, "connect", lambda self: made.append(1) or real(self))
    for i in range(4):
        assert len(b"".join(gateway.stream_object(rgw_connection, rgw_bucket, f"k{i}").body)) == 200_000
    assert len(made) == 1 and _idle() == 1


def test_a_body_left_half_read_closes_its_connection(connection, bucket):
    gateway.put_object(connection, bucket, "big", os.urandom(2_000_000))
    got = gateway.stream_object(connection, bucket, "big")
    next(got.body)
    got.body.close()
    assert _idle() == 0


def test_a_missing_key_is_not_found(connection, bucket):
    with pytest.raises(gateway.NotFound):
        gateway.stream_object(connection, bucket, "no/such/key")


def test_a_silent_endpoint_times_out_within_the_deadline(connection, bucket):
    silent = SilentServer()
    try:
        Connection.objects.filter(pk=connection.pk).update(endpoint_url=silent.url)
        connection.refresh_from_db()
        started = time.monotonic()
        with pytest.raises(gateway.TimedOut):
            gateway.stream_object(connection, bucket, "x", timeout=1.0)
        assert time.monotonic() - started < 3.0
    finally:
        silent.close()


def test_a_redirect_is_reported_and_never_followed(odd_connection):
    answer(307, Location="http://169.254.169.254/latest/meta-data/")
    with pytest.raises(gateway.Redirected, match="169.254.169.254"):
        gateway.stream_object(odd_connection, "b", "k")
    assert Misbehaving.hits == 1


def test_an_html_error_page_says_the_url_is_not_s3(odd_connection):
    answer(404, b"<html><body>Not here</body></html>", Content_Type="text/html")
    with pytest.raises(gateway.NotS3Endpoint):
        gateway.stream_object(odd_connection, "b", "k")


def test_a_200_is_an_object_whatever_it_holds_as_with_open_object(odd_connection):
    answer(200, b"<html><body>hello</body></html>", Content_Type="text/html")
    ours = b"".join(gateway.stream_object(odd_connection, "b", "page.html").body)
    assert ours == b"".join(gateway.open_object(odd_connection, "b", "page.html").body)


def test_an_address_no_longer_allowed_is_refused_at_connect_time(connection, bucket, settings):
    gateway.put_object(connection, bucket, "k", b"x")
    settings.CONSOLE_ENDPOINT_ALLOWLIST = []
    with pytest.raises(gateway.Refused, match="loopback"):
        gateway.stream_object(connection, bucket, "k")


# --- CopyObject, sent the same way -------------------------------------------------------------


def test_a_copy_carries_metadata_and_tags_and_answers_the_etag(connection, bucket):
    gateway.put_object(connection, bucket, "src", b"hello", content_type="text/csv", metadata={"m": "1"},
                       extra={"Tagging": "t=1"})
    etag = gateway.copy_object(connection, bucket, "dst", source_bucket=bucket, source_key="src")
    copied = gateway.head_object(connection, bucket, "dst")
    assert etag and copied.etag == etag and (copied.content_type, copied.metadata) == ("text/csv", {"m": "1"})
    assert gateway.object_tag_map(connection, bucket, "dst") == {"t": "1"}


def test_a_copy_of_a_key_that_needs_quoting_arrives_under_its_name(connection, bucket):
    key = "dir/é 名 +&?#%.txt"
    gateway.put_object(connection, bucket, key, b"x")
    gateway.copy_object(connection, bucket, "copy/" + key, source_bucket=bucket, source_key=key)
    assert b"".join(gateway.open_object(connection, bucket, "copy/" + key).body) == b"x"


def test_a_copy_of_a_missing_source_is_not_found(connection, bucket):
    with pytest.raises(gateway.NotFound):
        gateway.copy_object(connection, bucket, "dst", source_bucket=bucket, source_key="no-such-key")


def test_an_error_inside_a_200_answer_is_an_error(odd_connection):
    answer(200, b'<?xml version="1.0"?><Error><Code>InternalError</Code><Message>copy broke</Message></Error>',
           Content_Type="application/xml")
    with pytest.raises(gateway.S3Error, match="InternalError"):
        gateway.copy_object(odd_connection, "b", "k", source_bucket="b", source_key="s")


def test_a_copy_redirect_is_reported_and_never_followed(odd_connection):
    answer(307, Location="http://169.254.169.254/")
    with pytest.raises(gateway.Redirected):
        gateway.copy_object(odd_connection, "b", "k", source_bucket="b", source_key="s")
    assert Misbehaving.hits == 1


@pytest.mark.rgw
def test_on_rgw_a_copy_keeps_headers_and_tags(rgw_connection, rgw_bucket):
    gateway.put_object(rgw_connection, rgw_bucket, "src", b"hello", content_type="text/csv", metadata={"m": "1"},
                       extra={"Tagging": "t=1"})
    gateway.copy_object(rgw_connection, rgw_bucket, "dst", source_bucket=rgw_bucket, source_key="src",
                        storage_class="STANDARD_IA")
    copied = gateway.head_object(rgw_connection, rgw_bucket, "dst")
    assert (copied.content_type, copied.metadata, copied.storage_class) == ("text/csv", {"m": "1"}, "STANDARD_IA")
