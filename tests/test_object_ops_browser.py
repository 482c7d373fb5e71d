"""In a browser: edit an object's content type from its details panel, and run an Object Query
and download its result as CSV (the two steps of the object-operations browser test that the
copy, rename and restore tests do not cover)."""

from __future__ import annotations

import csv
import io

import pytest

from buckets import gateway
from tests.conftest import empty_and_delete, unique_bucket_name

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"name,city,age\nada,London,36\nalan,Wilmslow,41\ngrace,Arlington,85\n"


def test_a_user_edits_a_content_type_from_the_details_panel(browser_page, editor, connection, bucket):
    gateway.put_object(connection, bucket, "report.bin", b"%PDF-1.4 hello", content_type="application/octet-stream")
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/object/?key=report.bin")
    page.get_by_role("link", name="Metadata").click()
    page.wait_for_selector("#metadata-form")
    page.fill("#id_content_type", "application/pdf")
    page.get_by_role("button", name="Save metadata").click()
    page.wait_for_load_state()
    assert gateway.head_object(connection, bucket, "report.bin").content_type == "application/pdf"
    assert b"".join(gateway.open_object(connection, bucket, "report.bin").body) == b"%PDF-1.4 hello"
    assert page.console_problems == []


def test_a_user_runs_a_query_and_downloads_its_result(browser_page, viewer, contract_owned):
    name = unique_bucket_name("qb")
    gateway.create_bucket(contract_owned, name)
    try:
        gateway.put_object(contract_owned, name, "people.csv", CSV, content_type="text/csv")
        page = browser_page(viewer)
        page.goto(f"/c/{contract_owned.pk}/b/{name}/object/?key=people.csv")
        page.get_by_role("link", name="Query").first.click()
        page.wait_for_selector("#query-sql")
        page.fill("#query-sql", "SELECT * FROM S3Object s")
        page.get_by_role("button", name="Run query").click()
        page.wait_for_selector("#query-table >> text=grace")
        assert "3 rows" in page.inner_text("#query-result")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
        assert [r[0] for r in rows[-3:]] == ["ada", "alan", "grace"]
        assert page.console_problems == []
    finally:
        empty_and_delete(contract_owned, name)
