"""Folders and many files in Chromium: long keys through the page's one-PUT path, a folder of
nested files through the queue, and a refused file retried from the failure list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

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


def all_keys(connection, bucket) -> set[str]:
    keys, token = set(), ""
    while True:
        page = gateway.list_page(connection, bucket, delimiter="", token=token)
        keys |= {o.key for o in page.objects}
        if not page.next_token:
            return keys
        token = page.next_token


def test_a_folder_of_200_nested_files_uploads_with_its_paths_and_a_refused_file_is_retried(browser_page, editor, connection, bucket, tmp_path):
    root = tmp_path / "album"
    expected = set()
    for n in range(200):
        relative = f"album/{'raw' if n % 2 else 'jpg'}/{n % 7}/file-{n:03}{' refuse-me' if n == 123 else ''}.txt"
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {n}")
        expected.add("in/" + relative)
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/?prefix=in/")
    refused: list[str] = []

    def refuse_once(route):
        if b"refuse-me" in (route.request.post_data_buffer or b"") and not refused:
            refused.append(route.request.url)
            route.fulfill(status=400, content_type="application/json",
                          body='{"results": [{"key": "", "ok": false, "message": "Refused by the test server."}]}')
            return
        route.continue_()

    page.route("**/upload/", refuse_once)
    flight = {"now": 0, "most": 0}

    def sent(request):
        if request.url.endswith("/upload/"):
            flight["now"] += 1
            flight["most"] = max(flight["most"], flight["now"])

    def ended(request):
        if request.url.endswith("/upload/"):
            flight["now"] -= 1

    page.on("request", sent)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    page.set_input_files("#folder-input", str(root))
    expect(page.locator("#upload-counts")).to_have_text("199 of 200 uploaded · 1 failed", timeout=90_000)
    assert page.inner_text("#upload-failures").endswith(": Refused by the test server.")
    assert "refuse-me" in page.inner_text("#upload-failures")
    assert all_keys(connection, bucket) == expected - {k for k in expected if "refuse-me" in k}
    page.click("#retry-failed")
    expect(page.locator("#upload-counts")).to_have_text("200 of 200 uploaded", timeout=30_000)
    assert page.inner_text("#upload-failures") == ""
    assert page.is_hidden("#retry-failed")
    assert all_keys(connection, bucket) == expected
    assert page.locator("#upload-list li .status.ok").count() == 200
    assert 1 < flight["most"] <= 4  # the queue sends several files at once, never more than four
    assert [p for p in page.console_problems if "status of 400" not in p] == []  # the refusal itself is logged


def test_a_thousand_small_files_upload_without_freezing_the_page(browser_page, editor, connection, bucket):
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    # Long tasks (over 50 ms on the main thread) while the queue runs: a page that laid out
    # every row on its own, or redrew per file, shows them as seconds-long freezes.
    page.evaluate("""() => {
        window.longTasks = [];
        new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration)))
            .observe({ type: "longtask", buffered: false });
    }""")
    files = [{"name": f"many-{n:04}.txt", "mimeType": "text/plain", "buffer": b"x"} for n in range(1000)]
    page.set_input_files("#file-input", files)
    expect(page.locator("#upload-counts")).to_have_text("1000 of 1000 uploaded", timeout=240_000)
    longest = page.evaluate("() => Math.max(0, ...window.longTasks)")
    assert longest < 1000, f"the page froze for {longest:.0f} ms"
    assert page.locator("#upload-list li").count() == 1000
    assert len(all_keys(connection, bucket)) == 1000


def test_dropped_files_join_the_queue_and_upload_into_the_current_folder(browser_page, editor, connection, bucket):
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/?prefix=drop/")
    # A script-made DataTransfer has no file-system entries (webkitGetAsEntry() is null), so
    # this drives the plain-files branch; a real dropped folder takes the readEntries walk.
    dropped = page.evaluate_handle("""() => {
        const data = new DataTransfer();
        data.items.add(new File(["one"], "one.txt", { type: "text/plain" }));
        data.items.add(new File(["two"], "two.txt", { type: "text/plain" }));
        return data;
    }""")
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})
    expect(page.locator("#upload-counts")).to_have_text("2 of 2 uploaded")
    assert all_keys(connection, bucket) == {"drop/one.txt", "drop/two.txt"}
    assert page.console_problems == []
