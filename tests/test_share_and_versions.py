"""Share links (presigned GET) and object versions."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from html import unescape
from urllib.parse import quote

import pytest
from django.urls import reverse

from buckets import gateway


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback test servers only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def share(client, connection, bucket, key, expires="3600") -> str:
    html = client.post(reverse("share_link", args=[connection.pk, bucket]), {"key": key, "expires": expires},
                       HTTP_HX_REQUEST="true").content.decode()
    match = re.search(r'id="share-url">([^<]+)<', html)
    assert match, html
    return unescape(match.group(1))


def test_a_viewer_creates_a_share_link_that_downloads_the_object(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "shared/report #1.txt", b"numbers")
    url = share(login(viewer), connection, bucket, "shared/report #1.txt")
    assert fetch(url) == (200, b"numbers")


def test_an_expiry_that_is_not_offered_is_refused(login, viewer, connection, bucket):
    html = login(viewer).post(reverse("share_link", args=[connection.pk, bucket]), {"key": "k", "expires": "99999999"}).content.decode()
    assert "Choose one of the offered expiry times" in html


@pytest.mark.rgw
def test_a_share_link_on_rgw_works_and_a_tampered_one_is_refused(login, viewer, rgw_connection, rgw_bucket):
    gateway.put_object(rgw_connection, rgw_bucket, "a+b c%.txt", b"hello rgw")
    url = share(login(viewer), rgw_connection, rgw_bucket, "a+b c%.txt")
    assert fetch(url) == (200, b"hello rgw")
    tampered = url.replace(quote("a+b c%.txt", safe=""), "other.txt") if quote("a+b c%.txt", safe="") in url else url[:-4] + "0000"
    assert fetch(tampered)[0] == 403


@pytest.mark.rgw
def test_an_expired_share_link_on_rgw_is_refused(rgw_connection, rgw_bucket):
    gateway.put_object(rgw_connection, rgw_bucket, "short.txt", b"x")
    url = gateway.presigned_get(rgw_connection, rgw_bucket, "short.txt", expires=1)
    time.sleep(2.5)
    assert fetch(url)[0] == 403


@pytest.fixture
def versioned(connection, bucket):
    gateway.put_versioning(connection, bucket, True)
    gateway.put_object(connection, bucket, "doc.txt", b"first")
    gateway.put_object(connection, bucket, "doc.txt", b"second")
    gateway.put_object(connection, bucket, "doc.txt.bak", b"other key")
    return bucket


def test_the_versions_page_lists_each_version_of_exactly_that_key(login, viewer, connection, versioned):
    html = login(viewer).get(reverse("versions", args=[connection.pk, versioned]) + "?key=doc.txt").content.decode()
    versions = gateway.list_versions(connection, versioned, "doc.txt")
    assert len(versions) == 2
    for v in versions:
        assert v.version_id in html
    assert "latest" in html


def test_an_old_version_downloads_its_own_bytes(login, viewer, connection, versioned):
    oldest = gateway.list_versions(connection, versioned, "doc.txt")[-1]
    response = login(viewer).get(reverse("download", args=[connection.pk, versioned]) + f"?key=doc.txt&version={oldest.version_id}")
    assert b"".join(response.streaming_content) == b"first"


def test_an_editor_deletes_one_version_permanently(login, editor, connection, versioned):
    oldest = gateway.list_versions(connection, versioned, "doc.txt")[-1]
    response = login(editor).post(reverse("delete_version", args=[connection.pk, versioned]),
                                  {"key": "doc.txt", "version": oldest.version_id, "confirm": "yes"})
    assert response.status_code == 302
    assert [v.version_id for v in gateway.list_versions(connection, versioned, "doc.txt")] != []
    assert oldest.version_id not in [v.version_id for v in gateway.list_versions(connection, versioned, "doc.txt")]


def test_versions_are_not_offered_where_the_provider_has_them_only_through_its_api(login, viewer, make_connection, team, s3_endpoint, bucket):
    # DigitalOcean: "Bucket Versioning: supported only through the API" (seeds/003).
    do = make_connection(team, endpoint=s3_endpoint, provider="digitalocean", region="nyc3")
    html = login(viewer).get(reverse("versions", args=[do.pk, bucket]) + "?key=x").content.decode()
    assert "available only through the provider" in html


def test_deleting_a_version_asks_in_the_console_dialog_first_and_deletes_nothing_yet(login, editor, connection, versioned):
    oldest = gateway.list_versions(connection, versioned, "doc.txt")[-1]
    client = login(editor)
    page = client.get(reverse("versions", args=[connection.pk, versioned]) + "?key=doc.txt").content.decode()
    assert "data-confirm" not in page and 'hx-target="#modal"' in page
    dialog = client.post(reverse("delete_version", args=[connection.pk, versioned]),
                         {"key": "doc.txt", "version": oldest.version_id}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="modal-title"' in dialog and 'name="confirm" value="yes"' in dialog and oldest.version_id in dialog
    assert oldest.version_id in [v.version_id for v in gateway.list_versions(connection, versioned, "doc.txt")]
    without_js = client.post(reverse("delete_version", args=[connection.pk, versioned]),
                             {"key": "doc.txt", "version": oldest.version_id})
    assert without_js.status_code == 200 and "<html" in without_js.content.decode()
    assert oldest.version_id in [v.version_id for v in gateway.list_versions(connection, versioned, "doc.txt")]


def test_the_preview_of_an_old_version_shows_that_versions_bytes(login, viewer, connection, versioned):
    gateway.put_object(connection, versioned, "notes.txt", b"first", content_type="text/plain")
    gateway.put_object(connection, versioned, "notes.txt", b"second", content_type="text/plain")
    oldest = gateway.list_versions(connection, versioned, "notes.txt")[-1]
    html = login(viewer).get(reverse("object_detail", args=[connection.pk, versioned]),
                             {"key": "notes.txt", "version": oldest.version_id}).content.decode()
    assert '<pre class="preview-text">first</pre>' in html
