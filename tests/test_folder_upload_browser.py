"""Folders and many files in Chromium: long keys through the page's one-PUT path, a folder of
nested files through the queue, and a refused file retried from the failure list."""

from __future__ import annotations

import pytest

from buckets import gateway

pytestmark = pytest.mark.browser


def test_a_file_whose_key_is_1024_bytes_uploads_from_the_page(browser_page, editor, connection, bucket):
    name = "д" * 400 + "n" * 220 + ".txt"  # 800 + 220 + 4 bytes: its part header alone passed Django's 1 KiB
    assert len(name.encode()) == 1024
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    page.set_input_files("#file-input", [{"name": name, "mimeType": "text/plain", "buffer": b"long"}])
    page.wait_for_selector("#upload-list li .status.ok")
    assert b"".join(gateway.open_object(connection, bucket, name).body) == b"long"
    assert gateway.head_object(connection, bucket, name).content_type == "text/plain"
    assert page.console_problems == []
