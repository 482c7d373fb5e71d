""""Show versions" in the object browser: delete markers and older versions in place, restore."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.models import AuditEntry


def deleted_file(conn, bucket: str, key: str = "docs/report.txt") -> tuple[str, str]:
    """A versioned bucket where `key` had one version and was then deleted: (version, marker)."""
    gateway.put_versioning(conn, bucket, True)
    gateway.put_object(conn, bucket, key, b"the report")
    version = gateway.head_object(conn, bucket, key).version_id
    gateway.delete_object(conn, bucket, key)
    marker = next(v.version_id for v in gateway.list_versions(conn, bucket, key) if v.is_delete_marker)
    return version, marker


def listing(client, conn, bucket, **query) -> str:
    response = client.get(reverse("browse", args=[conn.pk, bucket]), query)
    assert response.status_code == 200, response.content[:500]
    return unescape(response.content.decode())


def check_marker_and_version_shown_only_with_the_toggle(client, conn, bucket):
    version, marker = deleted_file(conn, bucket)
    off = listing(client, conn, bucket, prefix="docs/")
    assert "Show versions" in off
    assert "Delete marker" not in off and version not in off
    on = listing(client, conn, bucket, prefix="docs/", versions="1")
    assert "Delete marker" in on and marker in on
    assert "Older version" in on and version in on
    assert "Hide versions" in on


def check_restore_makes_the_object_current_again(client, conn, bucket):
    version, marker = deleted_file(conn, bucket)
    url = reverse("restore_deleted", args=[conn.pk, bucket])
    asked = client.get(url, {"key": "docs/report.txt", "version": marker})
    assert asked.status_code == 200 and "Restore this deleted file?" in asked.content.decode()
    with pytest.raises(gateway.NotFound):
        gateway.head_object(conn, bucket, "docs/report.txt")
    done = client.post(url, {"key": "docs/report.txt", "version": marker, "confirm": "yes"})
    assert done.status_code == 302
    assert gateway.head_object(conn, bucket, "docs/report.txt").version_id == version
    assert AuditEntry.objects.filter(action="object.restore", key="docs/report.txt", ok=True).exists()


def test_a_deleted_file_shows_its_marker_and_older_version_only_with_versions_on(login, editor, connection, bucket):
    check_marker_and_version_shown_only_with_the_toggle(login(editor), connection, bucket)


def test_restoring_a_deleted_file_removes_its_delete_marker(login, editor, connection, bucket):
    check_restore_makes_the_object_current_again(login(editor), connection, bucket)


def test_an_editor_sees_restore_and_a_viewer_does_not(login, editor, viewer, connection, bucket):
    deleted_file(connection, bucket)
    assert ">Restore</a>" in listing(login(editor), connection, bucket, prefix="docs/", versions="1")


def test_a_viewer_cannot_restore(login, viewer, connection, bucket):
    _version, marker = deleted_file(connection, bucket)
    client = login(viewer)
    assert ">Restore</a>" not in listing(client, connection, bucket, prefix="docs/", versions="1")
    url = reverse("restore_deleted", args=[connection.pk, bucket])
    assert client.post(url, {"key": "docs/report.txt", "version": marker, "confirm": "yes"}).status_code == 403
    with pytest.raises(gateway.NotFound):
        gateway.head_object(connection, bucket, "docs/report.txt")


def test_restore_without_a_marker_is_refused_with_a_sentence(login, editor, connection, bucket):
    response = login(editor).post(reverse("restore_deleted", args=[connection.pk, bucket]),
                                  {"key": "a.txt", "confirm": "yes"})
    assert response.status_code == 400 and "Choose the delete marker" in response.content.decode()


def test_an_unversioned_bucket_offers_no_toggle(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "plain.txt", b"x")
    assert "Show versions" not in listing(login(viewer), connection, bucket)


def test_versions_page_with_load_more_and_folders_still_show(login, viewer, connection, bucket, settings):
    settings.BROWSER_PAGE_SIZE = 4
    gateway.put_versioning(connection, bucket, True)
    gateway.put_object(connection, bucket, "sub/inner.txt", b"x")
    for n in range(3):
        for generation in range(3):
            gateway.put_object(connection, bucket, f"f{n}.txt", f"{n}.{generation}".encode())
    client = login(viewer)
    seen: list[str] = []
    page = listing(client, connection, bucket, versions="1")
    pages = [page]
    for _ in range(10):
        seen += re.findall(r'data-version="([^"]+)"', page)
        more = re.search(r'hx-get="([^"]+)" hx-target="#load-more"', page)
        if not more:
            break
        response = client.get(unescape(more.group(1)), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="load-more")
        assert response.status_code == 200
        page = unescape(response.content.decode())
        pages.append(page)
    assert len(pages) > 2
    assert sum(page.count('class="folder-link"') for page in pages) == 1  # "sub/" once, as a folder
    expected = {v.version_id for n in range(3) for v in gateway.list_versions(connection, bucket, f"f{n}.txt")}
    assert len(expected) == 9
    assert set(seen) >= expected and len(seen) == len(set(seen))


def test_a_page_marker_longer_than_a_key_is_refused(login, viewer, connection, bucket):
    response = login(viewer).get(reverse("browse", args=[connection.pk, bucket]), {"versions": "1", "kmarker": "k" * 2000})
    assert response.status_code == 400


@pytest.mark.rgw
def test_on_rgw_a_deleted_file_shows_with_versions_on(login, editor, rgw_connection, rgw_bucket):
    check_marker_and_version_shown_only_with_the_toggle(login(editor), rgw_connection, rgw_bucket)


@pytest.mark.rgw
def test_on_rgw_restoring_removes_the_delete_marker(login, editor, rgw_connection, rgw_bucket):
    check_restore_makes_the_object_current_again(login(editor), rgw_connection, rgw_bucket)


def test_in_the_browser_an_editor_shows_versions_and_restores_a_deleted_file(browser_page, editor, connection, bucket):
    from playwright.sync_api import expect

    version, marker = deleted_file(connection, bucket)
    page = browser_page(editor)
    page.goto(f"/c/{connection.pk}/b/{bucket}/?prefix=docs/")
    expect(page.locator("tr.version")).to_have_count(0)
    page.get_by_role("link", name="Show versions").click()
    expect(page.locator(f'tr.delete-marker[data-version="{marker}"]')).to_have_count(1)
    expect(page.locator(f'tr.version[data-version="{version}"]')).to_contain_text("Older version")
    page.get_by_role("link", name="Restore").click()
    page.wait_for_selector("#modal[open] >> text=Restore this deleted file?")
    page.locator("#modal").get_by_role("button", name="Restore").click()
    page.wait_for_selector("text=is restored: its delete marker was removed.")
    expect(page.locator(f'tr.version[data-version="{version}"]')).to_contain_text("Current")
    assert gateway.head_object(connection, bucket, "docs/report.txt").version_id == version
    # Deleted again, and restored this time from the key's own versions page.
    gateway.delete_object(connection, bucket, "docs/report.txt")
    page.goto(f"/c/{connection.pk}/b/{bucket}/versions/?key=docs/report.txt")
    expect(page.locator("#deleted-note")).to_contain_text("This file is deleted")
    page.get_by_role("link", name="Restore deleted file").click()
    page.wait_for_selector("#modal[open] >> text=Restore this deleted file?")
    page.locator("#modal").get_by_role("button", name="Restore").click()
    page.wait_for_selector("text=is restored: its delete marker was removed.")
    assert "/versions/" in page.url
    expect(page.get_by_role("link", name="Restore deleted file")).to_have_count(0)
    assert gateway.head_object(connection, bucket, "docs/report.txt").version_id == version
    assert page.console_problems == []


# --- the same restore from the key's versions page ---------------------------------------------


def s3_client(conn):
    """A plain boto3 client of the endpoint, to read back what the console did."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=conn.endpoint_url, aws_access_key_id=conn.access_key,
                        aws_secret_access_key=conn.secret_key, region_name=conn.region or "us-east-1",
                        config=Config(s3={"addressing_style": "path"}))


def versions_page(client, conn, bucket, key, **headers) -> str:
    response = client.get(reverse("versions", args=[conn.pk, bucket]), {"key": key}, **headers)
    assert response.status_code == 200, response.content[:500]
    return unescape(response.content.decode())


def check_restore_from_the_versions_page(client, conn, bucket):
    version, marker = deleted_file(conn, bucket)
    page = versions_page(client, conn, bucket, "docs/report.txt")
    assert "This file is deleted" in page
    link = re.search(r'<a class="btn small restore-deleted" href="([^"]+)" hx-get="([^"]+)" hx-target="#modal" data-modal>'
                     r"Restore deleted file</a>", page)
    assert link, page
    assert link.group(1) == link.group(2) and "from=versions" in link.group(1) and marker in link.group(1)
    # The link opens the confirmation dialog (htmx) or its page (no JavaScript); nothing changes yet.
    dialog = unescape(client.get(link.group(1), HTTP_HX_REQUEST="true").content.decode())
    assert 'id="modal-title">Restore this deleted file?' in dialog and "<html" not in dialog
    assert 'name="from" value="versions"' in dialog and 'name="confirm" value="yes"' in dialog
    assert "/versions/?key=docs%2Freport.txt" in dialog  # Cancel goes back to the versions page
    whole = client.get(link.group(1))
    assert whole.status_code == 200 and "<html" in whole.content.decode()
    s3 = s3_client(conn)
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key="docs/report.txt")
    done = client.post(reverse("restore_deleted", args=[conn.pk, bucket]),
                       {"key": "docs/report.txt", "version": marker, "confirm": "yes", "from": "versions"})
    assert done.status_code == 302
    assert done["Location"] == reverse("versions", args=[conn.pk, bucket]) + "?key=docs%2Freport.txt"
    head = s3.head_object(Bucket=bucket, Key="docs/report.txt")
    assert head["VersionId"] == version
    assert s3.get_object(Bucket=bucket, Key="docs/report.txt")["Body"].read() == b"the report"
    assert marker not in {m["VersionId"] for m in s3.list_object_versions(Bucket=bucket, Prefix="docs/").get("DeleteMarkers", [])}
    entry = AuditEntry.objects.get(action="object.restore", key="docs/report.txt")
    assert entry.ok and entry.detail.get("version") == marker
    after = versions_page(client, conn, bucket, "docs/report.txt")
    assert "is restored: its delete marker was removed." in after
    assert "Restore deleted file" not in after and "This file is deleted" not in after


def test_the_versions_page_of_a_deleted_file_restores_it_after_the_dialog(login, editor, connection, bucket):
    check_restore_from_the_versions_page(login(editor), connection, bucket)


@pytest.mark.rgw
def test_on_rgw_the_versions_page_of_a_deleted_file_restores_it(login, editor, rgw_connection, rgw_bucket):
    check_restore_from_the_versions_page(login(editor), rgw_connection, rgw_bucket)


def test_the_versions_page_offers_no_restore_for_a_file_that_is_not_deleted(login, editor, connection, bucket):
    gateway.put_versioning(connection, bucket, True)
    gateway.put_object(connection, bucket, "live.txt", b"one")
    gateway.put_object(connection, bucket, "live.txt", b"two")
    page = versions_page(login(editor), connection, bucket, "live.txt")
    assert "Restore this version" in page
    assert "Restore deleted file" not in page and "This file is deleted" not in page


def test_a_viewer_is_not_offered_and_is_refused_the_restore_from_the_versions_page(login, viewer, connection, bucket):
    _version, marker = deleted_file(connection, bucket)
    client = login(viewer)
    page = versions_page(client, connection, bucket, "docs/report.txt")
    assert "This file is deleted" in page and "Restore deleted file" not in page
    url = reverse("restore_deleted", args=[connection.pk, bucket])
    query = {"key": "docs/report.txt", "version": marker, "from": "versions"}
    assert client.get(url, query).status_code == 403
    assert client.get(url, query, HTTP_HX_REQUEST="true").status_code == 403
    assert client.post(url, {**query, "confirm": "yes"}).status_code == 403
    with pytest.raises(gateway.NotFound):
        gateway.head_object(connection, bucket, "docs/report.txt")


def test_the_restore_from_the_versions_page_needs_the_csrf_token(editor, connection, bucket):
    from django.test import Client

    version, marker = deleted_file(connection, bucket)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    url = reverse("restore_deleted", args=[connection.pk, bucket])
    form = {"key": "docs/report.txt", "version": marker, "from": "versions", "confirm": "yes"}
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        refused = client.post(url, form, **headers)
        assert refused.status_code == 403 and b"CSRF" in refused.content
    with pytest.raises(gateway.NotFound):
        gateway.head_object(connection, bucket, "docs/report.txt")
    dialog = client.get(url, {k: v for k, v in form.items() if k != "confirm"}).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', dialog).group(1)
    assert client.post(url, {**form, "csrfmiddlewaretoken": token}).status_code == 302
    assert gateway.head_object(connection, bucket, "docs/report.txt").version_id == version


def test_a_restore_from_anywhere_but_the_versions_page_goes_back_to_the_listing(login, editor, connection, bucket):
    _version, marker = deleted_file(connection, bucket)
    done = login(editor).post(reverse("restore_deleted", args=[connection.pk, bucket]),
                              {"key": "docs/report.txt", "version": marker, "confirm": "yes", "from": "https://elsewhere.test/"})
    assert done.status_code == 302
    assert done["Location"] == reverse("browse", args=[connection.pk, bucket]) + "?prefix=docs%2F&versions=1"
