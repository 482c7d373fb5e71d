"""Share links for awkward keys work from a real browser on Ceph RGW, which checks signatures.

A browser normalises `.` and `..` path segments (and `%2E`) before it sends a request, so a
link for `a/./b` must not carry those segments; the test proves both the failure and the fix.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from buckets import gateway

pytestmark = [pytest.mark.rgw, pytest.mark.browser]

AWKWARD_KEYS = [
    "with space.txt", "plus+sign.txt", "per%cent.txt", "hash#tag.txt", "what?.txt", "ünï/日本語.txt",
    "a/./b.txt", "a/../b.txt", "./x.txt", "x/.", "x/..", ".", "..", "/leading.txt", "double//slash.txt",
    "tilde~and'quote.txt", "dir/./../mixed.txt",
]


def share(client, connection, bucket, key) -> str:
    html = client.post(reverse("share_link", args=[connection.pk, bucket]), {"key": key, "expires": "3600"},
                       HTTP_HX_REQUEST="true").content.decode()
    match = re.search(r'id="share-url">([^<]+)<', html)
    assert match, html
    return unescape(match.group(1))


def test_every_awkward_key_downloads_through_its_share_link_in_chromium(
        login, viewer, rgw_connection, rgw_bucket, playwright_browser):
    client = login(viewer)
    context = playwright_browser.new_context()
    try:
        for key in AWKWARD_KEYS:
            body = f"bytes of {key}".encode()
            gateway.put_object(rgw_connection, rgw_bucket, key, body)
            url = share(client, rgw_connection, rgw_bucket, key)
            response = context.request.get(url)
            assert (key, response.status) == (key, 200), response.text()[:300]
            assert response.body() == body, key
    finally:
        context.close()


def test_a_link_that_kept_its_dot_segments_would_fail_in_a_browser(rgw_connection, rgw_bucket, playwright_browser):
    # Why the encoding exists: boto3's own link for a/./b.txt is refused once a browser has
    # normalised it (a proof that the test above exercises the real failure).
    gateway.put_object(rgw_connection, rgw_bucket, "a/./b.txt", b"x")
    raw = gateway.client(rgw_connection).generate_presigned_url(
        "get_object", Params={"Bucket": rgw_bucket, "Key": "a/./b.txt"}, ExpiresIn=300)
    context = playwright_browser.new_context()
    try:
        assert context.request.get(raw).status == 403
    finally:
        context.close()


def test_a_chromium_navigation_downloads_a_dot_segment_key(login, viewer, rgw_connection, rgw_bucket, playwright_browser):
    gateway.put_object(rgw_connection, rgw_bucket, "reports/../2026.csv", b"a,b\n")
    url = share(login(viewer), rgw_connection, rgw_bucket, "reports/../2026.csv")
    context = playwright_browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        with page.expect_download() as info:
            try:
                page.goto(url)
            except Exception:  # noqa: BLE001 - Chromium reports "Download is starting" as an error
                pass
        download = info.value
        assert open(download.path(), "rb").read() == b"a,b\n"
        assert download.suggested_filename == "2026.csv"
    finally:
        context.close()
