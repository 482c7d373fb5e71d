"""Previews in the details panel: JSON indented, CSV as a table, media and PDF in the sandbox, byte ranges."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from buckets import gateway
from buckets.views import previews

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
    gateway.put_object(connection, bucket, "paper.pdf", make_pdf(["Paper"]), content_type="application/pdf")
    page = browser_page(viewer)
    for key, selector, attribute in (("clip.webm", "video#preview-media", "src"),
                                     ("paper.pdf", "iframe#preview-pdf", "data-pdf-source")):
        page.goto(f"/c/{connection.pk}/b/{bucket}/")
        page.get_by_role("link", name=key).click()
        element = page.locator(selector)
        expect(element).to_have_count(1)
        src = element.get_attribute(attribute)
        assert src.startswith(f"/c/{connection.pk}/b/{bucket}/preview/") and "key=" in src
        page.wait_for_timeout(500)  # the media element and the frame make their requests
    expect(page.locator("iframe#preview-pdf")).to_have_attribute("data-pdf-state", "shown")  # opened from the panel (htmx)
    assert page.console_problems == []


# --- PDF: PDF.js in a sandboxed frame, fed by range requests -----------------------------------------


def make_pdf(texts: list[str], *, padding: int = 0) -> bytes:
    """A real PDF, one page per text (Helvetica, not embedded); `padding` bytes of an object no page
    uses sit between the pages and the cross-reference table at the end, as a large image would."""
    count = len(texts)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count)), count),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(texts):
        content = f"BT /F1 36 Tf 30 90 Td ({text}) Tj ET".encode()
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i))
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    if padding:
        objects.append(b"<< /Length %d >>\nstream\n" % padding + b"\x00" * padding + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def check_ranges_of_a_pdf_and_an_mp4_come_206_with_the_sandbox_headers(client, conn, bucket):
    pdf = make_pdf(["One", "Two"], padding=300_000)
    gateway.put_object(conn, bucket, "paper.pdf", pdf, content_type="application/pdf")
    gateway.put_object(conn, bucket, "clip.mp4", BODY, content_type="video/mp4")
    for key, body, media_type in (("paper.pdf", pdf, "application/pdf"), ("clip.mp4", BODY, "video/mp4")):
        size = len(body)
        for view in ("preview", "download"):
            for header, begin, end in (("bytes=0-1023", 0, 1023), (f"bytes={size - 700}-", size - 700, size - 1),
                                       ("bytes=-300", size - 300, size - 1), ("bytes=5000-5999", 5000, 5999)):
                response, got = ranged(client, conn, bucket, key, header, view)
                assert response.status_code == 206, (key, view, header)
                assert got == body[begin:end + 1]
                assert response["Content-Range"] == f"bytes {begin}-{end}/{size}"
                assert response["Content-Length"] == str(end - begin + 1) and response["Accept-Ranges"] == "bytes"
                csp = response["Content-Security-Policy"]
                assert csp.startswith("sandbox;") and "default-src 'none'" in csp
                assert response["X-Content-Type-Options"] == "nosniff"
                assert response["Cache-Control"] == "private, no-store"
                if view == "preview":
                    assert response["Content-Type"] == media_type and response["Content-Disposition"].startswith("inline")
                else:
                    assert response["Content-Type"] == "application/octet-stream"
                    assert response["Content-Disposition"].startswith("attachment")
                framed = view == "preview" and key == "paper.pdf"  # as before: only a PDF, only by the console
                assert ("frame-ancestors 'self'" if framed else "frame-ancestors 'none'") in csp
                assert response["X-Frame-Options"] == ("SAMEORIGIN" if framed else "DENY")


def test_ranges_of_a_pdf_and_an_mp4_are_answered_206_with_the_sandbox_headers(login, viewer, connection, bucket):
    check_ranges_of_a_pdf_and_an_mp4_come_206_with_the_sandbox_headers(login(viewer), connection, bucket)


@pytest.mark.rgw
def test_on_rgw_ranges_of_a_pdf_and_an_mp4_are_answered_206_with_the_sandbox_headers(login, viewer, rgw_connection, rgw_bucket):
    check_ranges_of_a_pdf_and_an_mp4_come_206_with_the_sandbox_headers(login(viewer), rgw_connection, rgw_bucket)


def test_the_pdf_frame_is_the_sandboxed_viewer_fed_from_the_preview_url(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "paper.pdf", make_pdf(["Hi"]), content_type="application/pdf")
    client = login(viewer)
    html = detail(client, connection, bucket, "paper.pdf")
    frame = re.search(r'<iframe class="preview-pdf" id="preview-pdf" src="([^"]+)" sandbox="([^"]*)" '
                      r'data-pdf-source="([^"]+)" data-pdf-max="(\d+)"', html)
    assert frame, html
    assert frame.group(1) == reverse("pdf_viewer")
    assert frame.group(2) == "allow-scripts"  # no allow-same-origin: the frame's origin is opaque
    assert frame.group(3) == reverse("preview", args=[connection.pk, bucket]) + "?key=paper.pdf"
    assert int(frame.group(4)) == settings.PREVIEW_PDF_MAX_BYTES
    page = client.get(reverse("pdf_viewer"))
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert csp.startswith("sandbox allow-scripts;") and "allow-same-origin" not in csp
    for directive in ("default-src 'none'", "script-src 'self' 'nonce-", "connect-src 'none'", "worker-src 'none'",
                      "object-src 'none'", "form-action 'none'", "base-uri 'none'", "frame-ancestors 'self'"):
        assert directive in csp
    assert page["X-Frame-Options"] == "SAMEORIGIN"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_the_viewers_scripts_load_without_the_session_and_nothing_else_does(client, db):
    for name, media_type in (("pdf.min.mjs", "text/javascript"), ("pdf.worker.min.mjs", "text/javascript"),
                             ("viewer.mjs", "text/javascript"), ("viewer.css", "text/css")):
        response = client.get(reverse("pdf_viewer") + name)  # signed out, as the opaque origin asks
        assert response.status_code == 200 and response["Content-Type"] == media_type
        assert response["Access-Control-Allow-Origin"] == "*" and response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == (previews.ASSET_DIR / name).read_bytes()
    for name in ("LICENSE.pdfjs", "README.md", "..%2Fviews%2Fpreviews.py", "pdf.mjs"):
        response = client.get(reverse("pdf_viewer") + name)
        assert response.status_code == 404  # not a file of the viewer
    assert client.get(reverse("pdf_viewer")).status_code == 302  # the page itself: signed in only


def test_an_image_larger_than_a_preview_reads_is_not_previewed(login, viewer, connection, bucket, settings):
    settings.PREVIEW_IMAGE_MAX_BYTES = 1000
    gateway.put_object(connection, bucket, "small.png", b"\x89PNG" + b"x" * 900, content_type="image/png")
    gateway.put_object(connection, bucket, "large.png", b"\x89PNG" + b"x" * 2000, content_type="image/png")
    client = login(viewer)
    assert 'class="preview-img"' in detail(client, connection, bucket, "small.png")
    large = detail(client, connection, bucket, "large.png")
    assert 'class="preview-img"' not in large and "more than a preview reads" in large


def pdf_frame(page):
    return next(f for f in page.frames if f.url.endswith("/preview/pdf/"))


def test_in_chromium_a_large_pdf_renders_in_its_sandbox_from_a_few_ranges(browser_page, viewer, connection, bucket):
    texts = ["First page", "Second page", "Third page"]
    pdf = make_pdf(texts, padding=20 * 1024 * 1024)
    gateway.put_object(connection, bucket, "big paper.pdf", pdf, content_type="application/pdf")
    page = browser_page(viewer)
    asked = []
    page.on("response", lambda r: asked.append((r.request.headers.get("range"), r.status, r.headers.get("content-range")))
            if "/preview/?" in r.url else None)
    page.goto(f"/c/{connection.pk}/b/{bucket}/object/?key=big%20paper.pdf")
    frame_element = page.locator("iframe#preview-pdf")
    expect(frame_element).to_have_attribute("data-pdf-state", "shown", timeout=30_000)
    viewer_frame = pdf_frame(page)
    expect(page.frame_locator("iframe#preview-pdf").locator("#status")).to_have_text("3 pages")
    canvases = page.frame_locator("iframe#preview-pdf").locator("canvas[data-rendered='1']")
    expect(canvases).to_have_count(3)
    # Drawn: the first page has dark pixels (its text) on white.
    dark = viewer_frame.evaluate("""() => {
        const c = document.querySelector("canvas[data-page='1']");
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 100 && d[i + 3] > 0) n++; return n; }""")
    assert dark > 500
    assert page.console_problems == []
    # Sandboxed: an opaque origin, out of the console page's reach, and the console out of its reach.
    assert viewer_frame.evaluate("() => self.origin") == "null"
    assert page.evaluate("() => document.getElementById('preview-pdf').contentDocument") is None
    assert viewer_frame.evaluate("() => { try { return String(window.parent.document.cookie) } catch (e) { return 'refused' } }") == "refused"
    assert viewer_frame.evaluate("() => fetch('/connections/').then(() => 'fetched', () => 'refused')") == "refused"
    assert page.console_problems and all("Content Security Policy" in p for p in page.console_problems), page.console_problems  # that fetch
    # Read by ranges, never whole: a few hundred KiB of a 20 MiB file.
    assert asked and all(r and status == 206 and cr for r, status, cr in asked), asked
    assert int(frame_element.get_attribute("data-pdf-read")) < 1024 * 1024 < len(pdf)


def test_in_chromium_a_pdf_that_needs_more_than_the_bound_says_so_in_the_frame(browser_page, viewer, connection, bucket, settings):
    settings.PREVIEW_PDF_MAX_BYTES = 300 * 1024
    gateway.put_object(connection, bucket, "paper.pdf", make_pdf(["Hi"], padding=2 * 1024 * 1024), content_type="application/pdf")
    page = browser_page(viewer)
    page.goto(f"/c/{connection.pk}/b/{bucket}/object/?key=paper.pdf")
    expect(page.locator("iframe#preview-pdf")).to_have_attribute("data-pdf-state", "failed", timeout=30_000)
    status = page.frame_locator("iframe#preview-pdf").locator("#status")
    expect(status).to_contain_text("This PDF cannot be shown here: its first pages need more than 300 KiB of it")
    assert int(page.locator("iframe#preview-pdf").get_attribute("data-pdf-read")) <= 300 * 1024
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
