"""Faults between the console and its endpoints: silence, redirects, things that are not S3.

Tiny servers on 127.0.0.1 play the faulty endpoint, so the real botocore and urllib3 stack
meets real sockets: one accepts connections and never answers, one answers with a redirect
or an HTML page. The time to the user's message is measured, not assumed.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.request import Request, urlopen

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.models import Connection
from tests.test_connections import form_data


@pytest.fixture(autouse=True)
def fresh_limits():
    gateway.reset_limits()
    yield
    gateway.reset_limits()


class SilentServer:
    """Accepts every connection and never sends a byte (a hung endpoint or a black hole)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.stopped.set()
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def silent_connection(make_connection, team, silent):
    return make_connection(team, endpoint=silent.url, name="Silent")


class Misbehaving(BaseHTTPRequestHandler):
    """Answers every request the way `answer` says; counts what it saw."""

    status = 302
    headers_out: dict[str, str] = {}
    body = b""
    hits = 0

    def _answer(self):
        type(self).hits += 1
        self.send_response(self.status)
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

    def log_message(self, *args):
        pass


def answer(status: int, body: bytes = b"", **headers: str) -> None:
    Misbehaving.status, Misbehaving.body, Misbehaving.hits = status, body, 0
    Misbehaving.headers_out = {k.replace("_", "-"): v for k, v in headers.items()}


@pytest.fixture
def odd_connection(make_connection, team):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield make_connection(team, endpoint=f"http://127.0.0.1:{server.server_address[1]}", name="Odd")
    server.shutdown()
    server.server_close()


# --- a silent endpoint ------------------------------------------------------------------------


def test_saving_a_connection_to_a_silent_endpoint_answers_within_10_seconds(login, admin, silent, settings):
    client = login(admin)
    started = time.monotonic()
    saved = client.post(reverse("connection_create"), form_data(silent.url, name="Hung"))
    assert saved.status_code == 302
    page = client.get(saved["Location"])
    elapsed = time.monotonic() - started
    html = page.content.decode()
    assert elapsed < 10, f"the user waited {elapsed:.1f} s"
    assert f"did not answer in time (ListBuckets): nothing came within {settings.S3_DEADLINE:g} s" in html
    assert Connection.objects.filter(name="Hung").exists()
    print(f"silent endpoint: save + bucket list answered in {elapsed:.2f} s")


def test_retries_share_one_deadline_instead_of_adding_up(silent_connection, settings):
    settings.S3_DEADLINE, settings.S3_MAX_ATTEMPTS, settings.S3_READ_TIMEOUT = 1.5, 4, 15
    started = time.monotonic()
    with pytest.raises(gateway.TimedOut, match=r"did not answer in time \(ListBuckets\): nothing came within 1\.5 s"):
        gateway.list_buckets(silent_connection)
    assert time.monotonic() - started < 2.2


def test_one_page_shares_its_budget_across_calls(silent_connection, settings):
    settings.S3_DEADLINE = 1.0
    started = time.monotonic()
    with gateway.request_budget(1.5):
        with pytest.raises(gateway.TimedOut):
            gateway.list_buckets(silent_connection)
        with pytest.raises(gateway.TimedOut):
            gateway.head_bucket(silent_connection, "b")
        with pytest.raises(gateway.TimedOut, match="already waited"):
            gateway.head_bucket(silent_connection, "b")
    assert time.monotonic() - started < 2.0


def test_a_patient_call_waits_longer_than_a_web_call(silent_connection, settings):
    settings.S3_DEADLINE = 0.3
    started = time.monotonic()
    with gateway.patient(0.8), pytest.raises(gateway.TimedOut, match=r"within 0\.8 s"):
        gateway.list_buckets(silent_connection)
    assert 0.75 < time.monotonic() - started < 1.4
    started = time.monotonic()
    with pytest.raises(gateway.TimedOut, match=r"within 0\.6 s"):
        gateway.call(silent_connection, "list_buckets", timeout=0.6)
    assert 0.55 < time.monotonic() - started < 1.2


def test_the_breaker_opens_after_three_timeouts_fails_fast_and_probes_after_the_cool_down(
    silent_connection, silent, settings
):
    settings.S3_DEADLINE, settings.S3_BREAKER_THRESHOLD, settings.S3_BREAKER_COOLDOWN = 0.4, 3, 30
    for _ in range(3):
        with pytest.raises(gateway.TimedOut):
            gateway.list_buckets(silent_connection)
    connections_before = len(silent.accepted)
    started = time.monotonic()
    with pytest.raises(gateway.CircuitOpen) as opened:
        gateway.list_buckets(silent_connection)
    assert time.monotonic() - started < 0.1
    assert "did not answer within 0.4 s, 3 time(s) in a row; the console stops trying it for 30 s" in str(opened.value)
    assert "UTC" in str(opened.value)
    time.sleep(0.05)
    assert len(silent.accepted) == connections_before  # failing fast sends nothing

    # After the cool-down one call probes; it times out again, so the breaker opens again.
    settings.S3_BREAKER_COOLDOWN = 0.2
    gateway._guard_for(silent_connection.endpoint_url).open_until = time.monotonic()
    with pytest.raises(gateway.TimedOut):
        gateway.list_buckets(silent_connection)
    with pytest.raises(gateway.CircuitOpen):
        gateway.list_buckets(silent_connection)


def test_an_answer_after_the_cool_down_closes_the_breaker(make_connection, team, s3_endpoint, settings):
    healthy = make_connection(team, endpoint=s3_endpoint)
    guard = gateway._guard_for(healthy.endpoint_url)
    guard.timeouts, guard.open_until = 3, time.monotonic() - 1  # as if it had timed out and cooled down
    gateway.list_buckets(healthy)
    assert guard.timeouts == 0 and not guard.open_until
    gateway.list_buckets(healthy)


def test_a_full_endpoint_tells_the_next_caller_it_is_busy(silent_connection, settings):
    settings.S3_DEADLINE, settings.S3_ENDPOINT_CONCURRENCY, settings.S3_ENDPOINT_QUEUE_SECONDS = 2.0, 2, 0.2
    gateway.client(silent_connection)  # built once, so both callers reach the socket at once
    waiting = [threading.Thread(target=lambda: pytest.raises(gateway.TimedOut, gateway.list_buckets, silent_connection))
               for _ in range(2)]
    for thread in waiting:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    with pytest.raises(gateway.EndpointBusy, match="is slow: 2 requests from this console already wait for it"):
        gateway.list_buckets(silent_connection)
    assert time.monotonic() - started < 0.5
    for thread in waiting:
        thread.join()


def session_cookie(user) -> str:
    from django.conf import settings as django_settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"


def signed_in_get(live_server, cookie: str, path: str) -> tuple[int, str, float]:
    """A real HTTP request to the threaded live server (no database use in this thread)."""
    started = time.monotonic()
    try:
        with urlopen(Request(live_server.url + path, headers={"Cookie": cookie}), timeout=30) as response:
            return response.status, response.read().decode(), time.monotonic() - started
    except Exception as exc:  # noqa: BLE001 - an HTTPError carries the page too
        body = exc.read().decode() if hasattr(exc, "read") else str(exc)
        return getattr(exc, "code", 0), body, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_while_ten_requests_hang_on_a_silent_endpoint_another_team_is_served_at_once(
    live_server, make_connection, team, other_team, viewer, outsider, silent, s3_endpoint, settings
):
    settings.S3_DEADLINE = 4.0
    hung = make_connection(team, endpoint=silent.url, name="Hung")
    healthy = make_connection(other_team, endpoint=s3_endpoint, name="Healthy")
    vera, oscar = session_cookie(viewer), session_cookie(outsider)
    hung_page, healthy_page = reverse("bucket_list", args=[hung.pk]), reverse("bucket_list", args=[healthy.pk])
    results: list[tuple[int, str, float]] = []
    hanging = [threading.Thread(target=lambda: results.append(signed_in_get(live_server, vera, hung_page)))
               for _ in range(10)]
    for thread in hanging:
        thread.start()
    time.sleep(1.0)  # every one of them now holds a thread of the site, or waits for a slot
    status, html, other_team_waited = signed_in_get(live_server, oscar, healthy_page)
    assert status == 200 and "Cannot list buckets" not in html
    assert other_team_waited < 1.5, f"the other team waited {other_team_waited:.2f} s"
    for thread in hanging:
        thread.join()
    assert len(results) == 10
    assert all(took < 10 for _, _, took in results), [round(t, 1) for _, _, t in results]
    messages = [html for _, html, _ in results]
    timed_out = sum("nothing came within 4 s" in m for m in messages)
    busy = sum("is slow: 8 requests from this console already wait for it" in m for m in messages)
    assert timed_out == 8 and busy == 2
    # Eight time-outs in a row opened the breaker: the next page fails fast with the reason.
    status, html, elapsed = signed_in_get(live_server, vera, hung_page)
    assert elapsed < 1.0 and "the console stops trying it for 30 s" in html
    print(f"other team served in {other_team_waited:.2f} s; breaker answered in {elapsed:.2f} s; hung pages in "
          f"{min(t for *_, t in results):.1f}-{max(t for *_, t in results):.1f} s")


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_never_followed_and_says_where_it_pointed(odd_connection, status):
    answer(status, Location="http://elsewhere.example/bucket")
    with pytest.raises(gateway.Redirected, match="redirected to http://elsewhere.example/bucket, which the console does not follow"):
        gateway.list_buckets(odd_connection)
    assert Misbehaving.hits == 1  # no re-sends, no region hunting
    answer(status, Location="http://elsewhere.example/bucket")
    with pytest.raises(gateway.Redirected):
        gateway.head_bucket(odd_connection, "some-bucket")
    assert Misbehaving.hits == 1


def test_an_aws_region_redirect_names_the_region(odd_connection):
    body = b"<?xml version='1.0'?><Error><Code>PermanentRedirect</Code><Message>Use the right endpoint</Message></Error>"
    answer(301, body, x_amz_bucket_region="eu-west-2", Content_Type="application/xml")
    with pytest.raises(gateway.Redirected, match="region eu-west-2"):
        gateway.list_page(odd_connection, "b")


@pytest.mark.parametrize("page", ["bucket_list", "browse"])
def test_a_redirecting_endpoint_gives_a_message_in_the_page_not_a_500(login, viewer, odd_connection, page):
    answer(307, Location="http://elsewhere.example/")
    args = [odd_connection.pk] if page == "bucket_list" else [odd_connection.pk, "some-bucket"]
    response = login(viewer).get(reverse(page, args=args))
    html = response.content.decode()
    assert response.status_code in {200, 502}
    assert "redirected to http://elsewhere.example/, which the console does not follow" in html
    assert Misbehaving.hits <= 2


# --- something that is not S3 -----------------------------------------------------------------

HTML = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>hi</body></html>"


@pytest.mark.parametrize("status, body, ctype", [
    (200, HTML, "text/html"),
    (404, HTML, "text/html"),
    (200, HTML, "application/octet-stream"),
    (403, b"<html><body>Forbidden by the firewall</body></html>", "text/html; charset=utf-8"),
    (200, b'{"status": "ok"}', "application/json"),
    (404, b"404 page not found\n", "text/plain"),
])
def test_a_server_that_is_not_s3_is_named_as_such(odd_connection, status, body, ctype):
    answer(status, body, Content_Type=ctype)
    with pytest.raises(gateway.NotS3Endpoint, match=f"answered {status} with .* instead of S3's XML: this URL is not an S3 endpoint"):
        gateway.list_buckets(odd_connection)
    assert Misbehaving.hits == 1


def test_a_proxy_error_page_is_a_temporary_failure_not_500_500(odd_connection, settings):
    answer(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", Content_Type="text/html")
    with pytest.raises(gateway.Unavailable, match="answered 502 with an error page that is not S3's"):
        gateway.list_buckets(odd_connection)
    assert Misbehaving.hits == settings.S3_MAX_ATTEMPTS


def test_an_html_object_is_still_an_object(connection, bucket):
    gateway.put_object(connection, bucket, "index.html", HTML, content_type="text/html")
    assert b"".join(gateway.open_object(connection, bucket, "index.html").body) == HTML
    assert gateway.head_object(connection, bucket, "index.html").content_type == "text/html"


def test_the_bucket_list_and_test_connection_say_it_is_not_an_s3_endpoint(login, admin, odd_connection):
    client = login(admin)
    answer(200, HTML, Content_Type="text/html")
    html = client.get(reverse("bucket_list", args=[odd_connection.pk])).content.decode()
    assert "this URL is not an S3 endpoint" in html and "500" not in html
    answer(200, HTML, Content_Type="text/html")
    html = client.post(reverse("connection_test", args=[odd_connection.pk])).content.decode()
    assert "this URL is not an S3 endpoint" in html
