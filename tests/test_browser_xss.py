"""Hostile keys and contents in a real browser: nothing runs, everything reads as text.

Objects whose keys and bytes are XSS payloads go in through the upload form and the
gateway; then the object browser, the details panel, the object page, the previews,
the versions view (when it exists) and the audit log are opened in chromium. No dialog
may open and the console must stay free of errors, CSP violations included.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Error as PlaywrightError

from buckets import gateway

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(2)</script><text y='20'>svg</text></svg>")
HTML = b"<!doctype html><html><body onload=alert(1)><script>alert(document.cookie)</script></body></html>"
# Through the gateway: key -> (bytes, content type).
HOSTILE = {
    SCRIPT: (SCRIPT.encode(), "text/html"),  # the "/" makes a folder "<script>alert(1)<"
    "evil.svg": (SVG, "image/svg+xml"),
    "evil.html": (HTML, "text/html"),
    "fake.png": (HTML, "image/png"),
    'x" onmouseover="alert(1).txt': (IMG.encode(), "text/plain"),
}
UPLOADED = IMG + ".txt"  # through the upload form


def url(name: str, connection, bucket, key: str | None = None) -> str:
    base = reverse(name, args=[connection.pk, bucket])
    return base + ("?key=" + quote(key, safe="") if key is not None else "")


def open_download(page, address: str):
    """Navigate to an attachment: the browser must download it, not render it."""
    with page.expect_download() as info:
        try:
            page.goto(address)
        except PlaywrightError as exc:  # "Download is starting" aborts the navigation
            assert "Download is starting" in str(exc) or "net::ERR_ABORTED" in str(exc)
    return info.value


def test_xss_payloads_in_keys_and_contents_never_run_and_read_as_text(browser_page, admin, connection, bucket):
    gateway.put_versioning(connection, bucket, True)
    for key, (body, content_type) in HOSTILE.items():
        gateway.put_object(connection, bucket, key, body, content_type=content_type)
    page = browser_page(admin)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # The object browser, with one more hostile name arriving through the upload form.
    page.goto(url("browse", connection, bucket))
    page.set_input_files("#file-input", [{"name": UPLOADED, "mimeType": "text/html", "buffer": SCRIPT.encode()}])
    page.wait_for_selector("#upload-list li .status.ok")
    link = page.locator("#rows a.object-link", has_text="onerror=alert(1)")
    link.wait_for()
    assert link.inner_text() == UPLOADED
    assert page.locator("#rows a.folder-link", has_text="<script>alert(1)<").count() == 1
    assert page.locator("#rows img").count() == 0
    page.locator("#rows a.object-link", has_text="onmouseover").hover()

    # The details panel of each object, swapped in by htmx.
    def open_panel(key: str) -> None:
        page.locator("#rows a.object-link", has_text=key).first.click()
        page.wait_for_function("key => document.querySelector('#details .object-key')?.textContent === key", arg=key)
        assert page.locator("#details svg, #details iframe, #details object, #details embed").count() == 0

    for key in [UPLOADED, "evil.svg", "fake.png", 'x" onmouseover="alert(1).txt', "evil.html"]:
        open_panel(key)
    assert "<script>alert(document.cookie)</script>" in page.locator("#details pre.preview-text").inner_text()

    # The folder named like a script tag, and the object page of its object.
    page.locator("#rows a.folder-link", has_text="<script>alert(1)<").click()
    page.wait_for_selector("#rows a.object-link >> text=script>")
    page.goto(url("object_detail", connection, bucket, SCRIPT))
    assert page.locator("h2.object-key").inner_text() == SCRIPT
    assert SCRIPT in page.locator("pre.preview-text").inner_text()

    # Previews: a raster type renders in its own sandboxed document; SVG and HTML only
    # ever download. Chrome's image viewer then may not even apply its own inline style.
    viewer_page = page.context.new_page()
    viewer_page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    refused = []
    viewer_page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    viewer_page.goto(url("preview", connection, bucket, "fake.png"))
    viewer_page.wait_for_timeout(200)
    assert all("Content Security Policy directive 'default-src 'none''" in text for text in refused), refused
    viewer_page.close()
    for key in ("evil.svg", "evil.html"):
        download = open_download(page, url("preview", connection, bucket, key))
        assert download.suggested_filename == key
        download = open_download(page, url("download", connection, bucket, key))
        assert download.suggested_filename == key

    # The versions view of an object, where it exists.
    try:
        versions_url = reverse("versions", args=[connection.pk, bucket])
    except NoReverseMatch:
        versions_url = None
    for key in ([UPLOADED, SCRIPT, "evil.html"] if versions_url else []):
        page.goto(versions_url + "?key=" + quote(key, safe=""))
        page.wait_for_load_state()
        assert page.locator("img[src=x], script:not([src])").count() == 0
        assert key in page.locator("main").inner_text()

    # The audit log shows the uploaded key as text.
    page.goto(reverse("audit_log"))
    assert page.locator("table.audit", has_text=IMG).count() == 1
    page.locator("table.audit a").first.click()
    page.wait_for_selector("#modal[open] .audit-entry")
    assert IMG in page.locator("#modal .audit-entry").inner_text()

    page.wait_for_timeout(300)  # let any deferred handler (onload, onerror) fire if it could
    assert dialogs == []
    assert page.console_problems == []
