"""Failures at the edge: every botocore error becomes one of ours with a useful message.

A small HTTP server on loopback plays a misbehaving S3 endpoint (5xx, odd 4xx), so the
real botocore stack parses real responses.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from buckets import gateway


class Endpoint(BaseHTTPRequestHandler):
    status = 503
    code = "SlowDown"
    message = "Please reduce your request rate."
    hits = 0

    def _answer(self):
        type(self).hits += 1
        body = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{self.code}</Code>"
                + (f"<Message>{self.message}</Message>" if self.message else "") + "</Error>").encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def bad_endpoint(make_connection, team):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Endpoint.hits = 0
    yield make_connection(team, endpoint=f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


def answer(status: int, code: str, message: str = "") -> None:
    Endpoint.status, Endpoint.code, Endpoint.message = status, code, message


def test_a_503_is_unavailable_and_retried_only_as_configured(bad_endpoint, settings):
    answer(503, "SlowDown", "Please reduce your request rate.")
    with pytest.raises(gateway.Unavailable, match="answered 503 SlowDown"):
        gateway.list_buckets(bad_endpoint)
    assert Endpoint.hits == settings.S3_MAX_ATTEMPTS


def test_a_500_while_browsing_shows_a_message_not_an_error_page(login, viewer, bad_endpoint):
    answer(500, "InternalError", "We encountered an internal error.")
    response = login(viewer).get(reverse("browse", args=[bad_endpoint.pk, "some-bucket"]))
    html = response.content.decode()
    assert response.status_code == 502
    assert "answered 500 InternalError" in html and "Traceback" not in html


def test_a_403_is_access_denied(bad_endpoint):
    answer(403, "AccessDenied", "Access Denied")
    with pytest.raises(gateway.AccessDenied):
        gateway.list_page(bad_endpoint, "b")


@pytest.mark.parametrize("status, code", [(501, "NotImplemented"), (405, "MethodNotAllowed")])
def test_not_implemented_answers_say_the_provider_does_not_implement_it(bad_endpoint, status, code):
    answer(status, code, "")
    with pytest.raises(gateway.NotImplementedByProvider, match="does not implement"):
        gateway.call(bad_endpoint, "get_bucket_website", Bucket="b", feature_call=True)


def test_a_bare_400_invalid_argument_on_a_setting_reads_as_not_implemented(bad_endpoint):
    # Ceph RGW 16.2 answers unsupported subresources like this (S3_BACKENDS.md).
    answer(400, "InvalidArgument", "")
    with pytest.raises(gateway.NotImplementedByProvider):
        gateway.call(bad_endpoint, "put_bucket_accelerate_configuration", Bucket="b",
                     AccelerateConfiguration={"Status": "Enabled"}, feature_call=True)


def test_a_400_with_an_explanation_is_shown_as_the_endpoints_complaint(bad_endpoint):
    answer(400, "InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration")
    with pytest.raises(gateway.Invalid, match="Versioning must be"):
        gateway.call(bad_endpoint, "get_bucket_replication", Bucket="b", feature_call=True)


def test_a_bucket_that_vanished_is_not_found(bad_endpoint):
    answer(404, "NoSuchBucket", "The specified bucket does not exist")
    with pytest.raises(gateway.NotFound, match="does not exist"):
        gateway.list_page(bad_endpoint, "gone")


def test_a_client_is_never_built_without_keys(bad_endpoint):
    bad_endpoint.secret_key = ""
    with pytest.raises(gateway.InvalidCredentials):
        gateway.client(bad_endpoint)


def test_the_bucket_list_shows_the_granted_buckets_when_list_buckets_is_denied(login, viewer, bad_endpoint):
    # Per-bucket keys: the endpoint refuses ListBuckets; the grant names the buckets instead.
    from buckets.models import Grant

    answer(403, "AccessDenied", "Access Denied")
    Grant.objects.filter(connection=bad_endpoint).update(buckets=["alpha-reports", "beta-media"])
    html = login(viewer).get(reverse("bucket_list", args=[bad_endpoint.pk])).content.decode()
    assert "alpha-reports" in html and "beta-media" in html
    assert "Cannot list buckets" not in html


def test_without_a_grant_list_a_denied_list_buckets_is_explained(login, viewer, bad_endpoint):
    answer(403, "AccessDenied", "Access Denied")
    html = login(viewer).get(reverse("bucket_list", args=[bad_endpoint.pk])).content.decode()
    assert "Cannot list buckets" in html and "Access denied" in html


def test_a_request_botocore_refuses_to_send_is_bad_input_not_an_unavailable_endpoint(connection, bucket):
    # An empty key never leaves the machine: the user is told what was wrong with it (400).
    with pytest.raises(gateway.Invalid) as caught:
        gateway.head_object(connection, bucket, "")
    assert caught.value.status == 400 and "did not send" in str(caught.value)
