"""What a person clicks, in Debian's chromium: sign in, create a bucket, upload, browse,
download and delete, with no script from a key ever running."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from buckets import gateway
from tests.conftest import empty_and_delete, unique_bucket_name

pytestmark = pytest.mark.browser

AWKWARD = "<img src=x onerror=alert(1)> #1 100%+ü 🚀.txt"


def test_a_user_creates_a_bucket_uploads_browses_downloads_and_deletes(browser_page, editor, connection, tmp_path):
    name = unique_bucket_name("ui")
    page = browser_page(editor)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.get_by_role("link", name=connection.name).click()
        page.get_by_role("link", name="Create bucket").click()
        page.fill("#id_name", "Bad_Name")
        page.wait_for_selector("#name-check .fail")
        page.fill("#id_name", name)
        page.wait_for_selector("#name-check .ok")
        page.get_by_role("button", name="Create bucket").click()
        page.wait_for_selector("h1.bucket-title")
        assert page.locator("h1.bucket-title").inner_text() == name

        page.fill("input[name=name]", "docs")
        page.get_by_role("button", name="Create folder").click()
        page.wait_for_selector("text=This folder is empty.")
        assert "prefix=docs%2F" in page.url

        page.set_input_files("#file-input", [
            {"name": "report 2026.txt", "mimeType": "text/plain", "buffer": b"quarterly numbers\n"},
            {"name": AWKWARD, "mimeType": "text/plain", "buffer": b"awkward but harmless\n"},
        ])
        page.wait_for_selector("#upload-list li:nth-child(2) .status.ok")
        page.wait_for_selector("#rows a.object-link >> text=report 2026.txt")
        assert page.locator("#rows a.object-link", has_text="alert(1)").count() == 1

        page.locator("#rows a.object-link", has_text="alert(1)").click()
        page.wait_for_selector("#details .object-key")
        assert page.locator("#details .object-key").inner_text() == "docs/" + AWKWARD
        with page.expect_download() as info:
            page.locator("#details").get_by_role("link", name="Download").click()
        download = info.value
        # Chrome itself replaces <> in file names; the header carries the exact name.
        assert download.suggested_filename == AWKWARD.replace("<", "_").replace(">", "_")
        path = tmp_path / "download.bin"
        download.save_as(path)
        assert path.read_bytes() == b"awkward but harmless\n"

        page.check("#select-all")
        assert page.locator("#selected-count").inner_text() == "2 selected"
        page.get_by_role("button", name="Delete selected").click()
        page.wait_for_selector("#modal[open] >> text=Delete 2 item(s)")
        page.locator("#modal").get_by_role("button", name="Delete").click()
        page.wait_for_selector("text=Deleted 2 object(s).")
        assert gateway.list_page(connection, name, prefix="docs/").objects == []
        assert dialogs == []
        assert page.console_problems == []
    finally:
        empty_and_delete(connection, name)


def test_load_more_appends_the_next_page_in_place(browser_page, viewer, connection, bucket, settings):
    settings.BROWSER_PAGE_SIZE = 10
    for i in range(25):
        gateway.put_object(connection, bucket, f"item-{i:03}.txt", b"x")
    page = browser_page(viewer)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    assert page.locator("#rows tr.object").count() == 10
    page.get_by_role("link", name="Load more").click()
    expect(page.locator("#rows tr.object")).to_have_count(20)
    page.get_by_role("link", name="Load more").click()
    expect(page.locator("#rows tr.object")).to_have_count(25)
    assert page.get_by_role("link", name="Load more").count() == 0
    # Sorting works on what is loaded: largest name first after two clicks.
    page.locator("th[data-sort=name]").click()
    page.locator("th[data-sort=name]").click()
    assert page.locator("#rows tr.object a").first.inner_text() == "item-024.txt"
    assert page.console_problems == []


def test_an_ionos_upload_from_the_browser_is_encrypted_by_default(browser_page, editor, make_connection, team, s3_endpoint):
    connection = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="eu-central-1", bucket_type="user-owned")
    name = unique_bucket_name("enc")
    gateway.create_bucket(connection, name)
    try:
        page = browser_page(editor)
        page.goto(f"/c/{connection.pk}/b/{name}/")
        expect(page.locator("select#sse")).to_have_value("SSE-S3")
        expect(page.locator("input[name=sse_customer_key]")).to_have_count(0)  # SSE-C: API only at IONOS
        page.set_input_files("#file-input", [{"name": "enc.txt", "mimeType": "text/plain", "buffer": b"x"}])
        page.wait_for_selector("#upload-list li .status.ok")
        assert gateway.head_object(connection, name, "enc.txt").encryption == "AES256"
        assert page.console_problems == []
    finally:
        empty_and_delete(connection, name)


def test_a_viewer_shares_a_link_and_browses_versions(browser_page, viewer, connection, bucket):
    import urllib.request

    gateway.put_versioning(connection, bucket, True)
    gateway.put_object(connection, bucket, "notes.txt", b"v1")
    gateway.put_object(connection, bucket, "notes.txt", b"v2")
    page = browser_page(viewer)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    page.locator("#rows a.object-link", has_text="notes.txt").click()
    page.wait_for_selector("#details .object-key")
    page.locator("#share-expires").select_option("86400")
    page.get_by_role("button", name="Create share link").click()
    url = page.locator("#share-url").inner_text()
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the loopback moto server
        assert response.read() == b"v2"
    page.locator("#details").get_by_role("link", name="Versions").click()
    expect(page.locator("table tbody tr")).to_have_count(2)
    assert page.locator("text=latest").count() == 1
    assert page.get_by_role("button", name="Delete version").count() == 0  # viewers only look
    assert page.console_problems == []
