"""In a browser: copy a file to another bucket from its details panel through the destination
picker, and rename a folder from the selection (a bulk job on a real worker)."""

from __future__ import annotations

import pytest

from buckets import gateway
from tests.conftest import empty_and_delete, unique_bucket_name
from tests.test_worker import worker_env, workers  # noqa: F401 - fixtures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_user_copies_a_file_to_another_bucket_from_the_details_panel(browser_page, editor, connection, bucket,
                                                                       make_connection, team, s3_endpoint):
    second = make_connection(team, endpoint=s3_endpoint, name="Second view of moto")
    target = unique_bucket_name("to")
    gateway.create_bucket(connection, target)
    try:
        gateway.put_object(connection, bucket, "notes.txt", b"hello")
        gateway.put_object(connection, target, "inbox/old.txt", b"old")
        page = browser_page(editor)
        page.goto(f"/c/{connection.pk}/b/{bucket}/object/?key=notes.txt")
        page.click("#copy-object")
        page.wait_for_selector("#object-copy-form")
        page.select_option("#picker-connection", str(second.pk))  # htmx: the buckets of that connection
        page.click(f".picker-bucket >> text={target}")
        page.click(".picker-folder >> text=inbox")
        page.wait_for_selector("#picker-location >> text=inbox")
        assert "at once" in page.inner_text("#picker-route")
        page.click("#object-copy-start")
        page.wait_for_url(lambda url: target in url)
        assert "Copied to" in page.content()
        assert b"".join(gateway.open_object(connection, target, "inbox/notes.txt").body) == b"hello"
        assert f"/c/{second.pk}/b/{target}/" in page.url
        assert page.console_problems == []
    finally:
        empty_and_delete(connection, target)


def test_a_user_renames_a_folder_from_the_selection(browser_page, editor, connection, bucket, workers):  # noqa: F811
    workers.start()
    for name in ("drafts/a.txt", "drafts/sub/b.txt", "other.txt"):
        gateway.put_object(connection, bucket, name, name.encode())
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/")
    page.check("input[name=keys][value='drafts/']")
    page.click("#move-selected")
    page.wait_for_selector("#transfer-form")
    page.fill("#rename_to", "final")
    page.click("#transfer-start")
    page.wait_for_selector("#job-outcome >> text=Finished", timeout=60_000)
    keys = sorted(o.key for o in gateway.list_page(connection, bucket, delimiter="").objects)
    assert keys == ["final/a.txt", "final/sub/b.txt", "other.txt"]
    assert page.console_problems == []
