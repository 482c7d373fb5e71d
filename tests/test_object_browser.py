"""The object browser against a real S3 server (moto over HTTP): keys are the user's bytes."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from buckets import gateway

AWKWARD_KEYS = [
    "a+b",
    "a b",
    "100%",
    "#x",
    "?q",
    "a//b",
    "../x",
    "<script>alert(1)</script>",
    "emoji 🚀✨.txt",
    "ünï/cødé&=.txt",
    "é" * 512,  # 1024 bytes of UTF-8
]


def browse_url(connection, bucket, **query):
    base = reverse("browse", args=[connection.pk, bucket])
    return base + ("?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items()) if query else "")


def detail_url(connection, bucket, key):
    return reverse("object_detail", args=[connection.pk, bucket]) + "?key=" + quote(key, safe="")


def download_url(connection, bucket, key):
    return reverse("download", args=[connection.pk, bucket]) + "?key=" + quote(key, safe="")


@pytest.mark.parametrize("key", AWKWARD_KEYS, ids=lambda k: repr(k)[:20])
def test_an_awkward_key_uploads_lists_opens_downloads_and_deletes(login, editor, connection, bucket, key):
    client = login(editor)
    body = f"content of {key}".encode()
    folder, _, name = key.rpartition("/")
    prefix = folder + "/" if folder else ""
    response = client.post(
        reverse("upload", args=[connection.pk, bucket]),
        {"prefix": prefix, "files": SimpleUploadedFile(name or "x", body), "paths": name},
    )
    assert response.status_code == 302
    assert gateway.head_object(connection, bucket, key).size == len(body)

    listing = client.get(browse_url(connection, bucket, prefix=prefix))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert quote(key, safe="") in html

    detail = client.get(detail_url(connection, bucket, key))
    assert detail.status_code == 200
    assert str(len(body)) in detail.content.decode()

    download = client.get(download_url(connection, bucket, key))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == body
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"

    deleted = client.post(reverse("delete_objects", args=[connection.pk, bucket]), {"keys": [key], "confirm": "yes", "prefix": prefix})
    assert deleted.status_code == 302
    with pytest.raises(gateway.NotFound):
        gateway.head_object(connection, bucket, key)


def test_a_key_longer_than_1024_bytes_is_refused_with_a_clear_message(login, editor, connection, bucket):
    client = login(editor)
    response = client.post(
        reverse("upload", args=[connection.pk, bucket]),
        {"prefix": "d" * 1010 + "/", "files": SimpleUploadedFile("name-25-bytes-long.txt", b"x")},
        follow=True,
    )
    assert "S3 allows at most 1024" in response.content.decode()
    assert gateway.list_page(connection, bucket).objects == []


def test_a_zero_byte_folder_marker_is_listed_as_a_folder_and_opens(login, editor, connection, bucket):
    client = login(editor)
    response = client.post(reverse("create_folder", args=[connection.pk, bucket]), {"prefix": "", "name": "reports"})
    assert response.status_code == 302
    assert gateway.head_object(connection, bucket, "reports/").size == 0
    page = client.get(browse_url(connection, bucket)).content.decode()
    assert ">reports/</bdi></a>" in page  # the label, isolated as every key is
    inside = client.get(browse_url(connection, bucket, prefix="reports/"))
    assert "This folder is empty" in inside.content.decode()


def test_the_browser_pages_with_continuation_tokens_and_never_lists_the_whole_bucket(login, viewer, connection, bucket, settings):
    settings.BROWSER_PAGE_SIZE = 5
    for i in range(12):
        gateway.put_object(connection, bucket, f"file-{i:02}.txt", b"x")
    client = login(viewer)
    first = client.get(browse_url(connection, bucket)).content.decode()
    assert "file-00.txt" in first and "file-05.txt" not in first
    assert "Load more" in first
    page = gateway.list_page(connection, bucket, page_size=5)
    more = client.get(browse_url(connection, bucket, token=page.next_token), HTTP_HX_REQUEST="true")
    html = more.content.decode()
    assert "file-05.txt" in html and "file-00.txt" not in html
    assert "<html" not in html  # a fragment of rows, appended in place


def test_prefix_search_finds_keys_in_the_current_folder(login, viewer, connection, bucket):
    for key in ["logs/app-1.log", "logs/app-2.log", "logs/db-1.log", "top.txt"]:
        gateway.put_object(connection, bucket, key, b"x")
    client = login(viewer)
    html = client.get(browse_url(connection, bucket, prefix="logs/", q="app")).content.decode()
    assert "app-1.log" in html and "app-2.log" in html and "db-1.log" not in html


def test_the_details_panel_shows_metadata_and_escapes_it(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "doc.txt", b"<b>hello</b>", content_type="text/plain",
                       metadata={"owner": "<img src=x onerror=alert(1)>"})
    client = login(viewer)
    html = client.get(detail_url(connection, bucket, "doc.txt"), HTTP_HX_REQUEST="true").content.decode()
    assert "x-amz-meta-owner" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;hello&lt;/b&gt;" in html  # the text preview, escaped
    assert "<img src=x" not in html


def test_deleting_many_objects_asks_for_confirmation_first(login, editor, connection, bucket):
    for key in ["a.txt", "b.txt"]:
        gateway.put_object(connection, bucket, key, b"x")
    client = login(editor)
    url = reverse("delete_objects", args=[connection.pk, bucket])
    confirm = client.post(url, {"keys": ["a.txt", "b.txt"], "prefix": ""})
    assert confirm.status_code == 200
    assert "Delete 2 item(s)" in confirm.content.decode()
    assert len(gateway.list_page(connection, bucket).objects) == 2
    client.post(url, {"keys": ["a.txt", "b.txt"], "prefix": "", "confirm": "yes"})
    assert gateway.list_page(connection, bucket).objects == []


def test_a_viewer_cannot_upload_or_delete(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "keep.txt", b"x")
    client = login(viewer)
    upload = client.post(reverse("upload", args=[connection.pk, bucket]), {"files": SimpleUploadedFile("n.txt", b"x")})
    delete = client.post(reverse("delete_objects", args=[connection.pk, bucket]), {"keys": ["keep.txt"], "confirm": "yes"})
    assert upload.status_code == 403 and delete.status_code == 403
    assert [o.key for o in gateway.list_page(connection, bucket).objects] == ["keep.txt"]


def test_a_bucket_that_vanished_shows_a_message_not_an_error_page(login, viewer, connection):
    client = login(viewer)
    response = client.get(browse_url(connection, "gone-bucket-4242"))
    assert response.status_code == 404
    assert "does not exist" in response.content.decode()


def test_downloads_name_the_file_safely_for_any_utf8_name(login, viewer, connection, bucket):
    key = 'dir/naïve "quote";name.txt'
    gateway.put_object(connection, bucket, key, b"x")
    client = login(viewer)
    response = client.get(download_url(connection, bucket, key))
    disposition = response["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert "filename*=utf-8''" in disposition
    assert b"".join(response.streaming_content) == b"x"


def test_svg_and_html_objects_are_never_served_inline(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "x.svg", b"<svg onload=alert(1)>", content_type="image/svg+xml")
    gateway.put_object(connection, bucket, "x.html", b"<script>alert(1)</script>", content_type="text/html")
    client = login(viewer)
    for key in ["x.svg", "x.html"]:
        response = client.get(reverse("preview", args=[connection.pk, bucket]) + "?key=" + key)
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
        assert "sandbox" in response["Content-Security-Policy"]


def test_download_names_drop_control_characters():
    from buckets.views.objects import download_name

    assert download_name("a/b\r\nc.txt") == "bc.txt"
    assert download_name("folder/") == "folder"
    assert download_name("\x00") == "download"
