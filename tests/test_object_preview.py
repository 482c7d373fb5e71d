"""Previews in the details panel: JSON indented, CSV as a table, media and PDF in the sandbox, byte ranges."""

from __future__ import annotations

import json
from html import unescape

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from buckets import gateway

BODY = bytes(range(256)) * 64  # 16 KiB, every byte value


def detail(client, conn, bucket, key) -> str:
    response = client.get(reverse("object_detail", args=[conn.pk, bucket]), {"key": key})
    assert response.status_code == 200
    return unescape(response.content.decode())


def ranged(client, conn, bucket, key, header: str, view: str = "preview"):
    response = client.get(reverse(view, args=[conn.pk, bucket]), {"key": key}, HTTP_RANGE=header)
    return response, b"".join(response.streaming_content) if response.streaming else response.content


def check_a_range_is_answered_206_with_its_bytes(client, conn, bucket):
    gateway.put_object(conn, bucket, "clip.mp4", BODY, content_type="video/mp4")
    for view in ("preview", "download"):
        response, body = ranged(client, conn, bucket, "clip.mp4", "bytes=100-299", view)
        assert response.status_code == 206
        assert body == BODY[100:300]
        assert response["Content-Range"] == f"bytes 100-299/{len(BODY)}"
        assert response["Content-Length"] == "200" and response["Accept-Ranges"] == "bytes"
        assert response["Content-Security-Policy"].startswith("sandbox") and response["X-Content-Type-Options"] == "nosniff"
    response, body = ranged(client, conn, bucket, "clip.mp4", "bytes=-10")
    assert response.status_code == 206 and body == BODY[-10:]
    response, _ = ranged(client, conn, bucket, "clip.mp4", f"bytes={len(BODY) + 5}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(BODY)}"


def test_a_range_request_is_answered_206_with_the_right_bytes(login, viewer, connection, bucket):
    check_a_range_is_answered_206_with_its_bytes(login(viewer), connection, bucket)


@pytest.mark.rgw
def test_on_rgw_a_range_request_is_answered_206_with_the_right_bytes(login, viewer, rgw_connection, rgw_bucket):
    check_a_range_is_answered_206_with_its_bytes(login(viewer), rgw_connection, rgw_bucket)


def test_without_a_range_the_whole_object_comes_with_accept_ranges(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "clip.mp4", BODY, content_type="video/mp4")
    response, body = ranged(login(viewer), connection, bucket, "clip.mp4", "bytes=1-2, 5-6")  # several: answered whole
    assert response.status_code == 200 and body == BODY and response["Accept-Ranges"] == "bytes"


def test_json_is_shown_indented(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "conf.json", json.dumps({"name": "demo", "list": [1, 2]}).encode(),
                       content_type="application/json")
    html = detail(login(viewer), connection, bucket, "conf.json")
    assert 'id="preview-json"' in html
    assert '{\n  "name": "demo",\n  "list": [\n    1,' in html


def test_json_that_does_not_parse_is_shown_as_text_with_the_reason(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "bad.json", b'{"name": <b>', content_type="application/json")
    response = login(viewer).get(reverse("object_detail", args=[connection.pk, bucket]), {"key": "bad.json"})
    html = response.content.decode()
    assert "preview-json" not in html and "not valid JSON" in html
    assert '<pre class="preview-text">{&quot;name&quot;: &lt;b&gt;</pre>' in html


def test_deeply_nested_json_does_not_break_the_panel(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "deep.json", b"[" * 8000 + b"]" * 8000, content_type="application/json")
    html = detail(login(viewer), connection, bucket, "deep.json")
    assert "Shown as text" in html


def test_json_longer_than_the_preview_is_shown_as_text(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "big.json", json.dumps(list(range(10000))).encode(), content_type="application/json")
    html = detail(login(viewer), connection, bucket, "big.json")
    assert "preview-json" not in html and "first 16 KiB" in html


def test_csv_is_shown_as_a_table_of_its_first_rows(login, viewer, connection, bucket):
    rows = "name,count\n" + "".join(f"item {i},{i}\n" for i in range(2000))
    gateway.put_object(connection, bucket, "data.csv", rows.encode(), content_type="text/csv")
    html = detail(login(viewer), connection, bucket, "data.csv")
    assert 'id="preview-csv"' in html
    assert '<th scope="col">name</th><th scope="col">count</th>' in html
    assert "<td>item 48</td><td>48</td>" in html and "item 49," not in html
    assert "The first 50 row(s) of the first 16 KiB" in html


def test_a_video_plays_and_a_pdf_shows_from_the_preview_url_without_csp_violations(browser_page, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "clip.webm", BODY, content_type="video/webm")
    gateway.put_object(connection, bucket, "paper.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    page = browser_page(viewer)
    for key, selector in (("clip.webm", "video#preview-media"), ("paper.pdf", "iframe#preview-pdf")):
        page.goto(f"/c/{connection.pk}/b/{bucket}/")
        page.get_by_role("link", name=key).click()
        element = page.locator(selector)
        expect(element).to_have_count(1)
        src = element.get_attribute("src")
        assert src.startswith(f"/c/{connection.pk}/b/{bucket}/preview/") and "key=" in src
        page.wait_for_timeout(500)  # the media element and the frame make their requests
    assert page.console_problems == []


def test_only_a_pdf_preview_may_be_framed_and_only_by_the_console(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "paper.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    gateway.put_object(connection, bucket, "clip.mp4", BODY, content_type="video/mp4")
    client = login(viewer)
    pdf = client.get(reverse("preview", args=[connection.pk, bucket]), {"key": "paper.pdf"})
    assert pdf["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in pdf["Content-Security-Policy"]
    assert pdf["Content-Security-Policy"].startswith("sandbox") and pdf["Content-Disposition"].startswith("inline")
    for view, key in (("preview", "clip.mp4"), ("download", "paper.pdf")):
        other = client.get(reverse(view, args=[connection.pk, bucket]), {"key": key})
        assert other["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in other["Content-Security-Policy"]
