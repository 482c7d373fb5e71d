"""Keys as the user gave them, up to S3's 1,024 bytes of UTF-8, through every upload path:
the form upload (one PUT) and the multipart start, on moto and on Ceph RGW."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from buckets import gateway, jobs

MB = 1024 * 1024
KEY_1024 = "deep/" + "ключ-" * 100 + "k" * 119  # 5 + 900 (Cyrillic: 2 bytes a letter) + 119 bytes
KEY_1025 = KEY_1024 + "x"
assert len(KEY_1024.encode()) == 1024


@pytest.fixture(params=["moto", "rgw"])
def endpoint(request):
    """(connection, bucket) on moto and on the real RGW."""
    if request.param == "moto":
        return request.getfixturevalue("connection"), request.getfixturevalue("bucket")
    return request.getfixturevalue("rgw_connection"), request.getfixturevalue("rgw_bucket")


def form_upload(client, connection, bucket, prefix, path, body=b"hello"):
    return client.post(reverse("upload", args=[connection.pk, bucket]),
                       {"prefix": prefix, "paths": path, "files": SimpleUploadedFile("file", body, "application/octet-stream")},
                       HTTP_ACCEPT="application/json")


def multipart_upload(client, connection, bucket, key, settings):
    settings.UPLOAD_PART_BYTES = 5 * MB
    data = os.urandom(5 * MB + 7)
    response = client.post(reverse("upload_start", args=[connection.pk, bucket]), {"key": key, "size": len(data)},
                           HTTP_ORIGIN="http://testserver")
    assert response.status_code == 200, response.content
    plan = response.json()
    for number in (1, 2):
        part = client.post(plan["part_url"] + f"?n={number}", data[(number - 1) * 5 * MB : number * 5 * MB],
                           content_type="application/octet-stream")
        assert part.status_code == 200, part.content
    assert client.post(plan["finish_url"]).status_code == 200
    jobs.job_run(plan["job"])
    return data


def test_a_1024_byte_key_uploads_in_one_put(login, editor, endpoint):
    connection, bucket = endpoint
    response = form_upload(login(editor), connection, bucket, "deep/", KEY_1024.removeprefix("deep/"))
    assert response.status_code == 200, response.content
    assert b"".join(gateway.open_object(connection, bucket, KEY_1024).body) == b"hello"


def test_a_1025_byte_key_is_refused_in_one_put_with_a_sentence(login, editor, endpoint):
    connection, bucket = endpoint
    response = form_upload(login(editor), connection, bucket, "deep/", KEY_1025.removeprefix("deep/"))
    assert response.status_code == 400
    assert response.json()["results"][0]["message"] == "The key is 1025 bytes long in UTF-8; S3 allows at most 1024."


def test_a_1024_byte_key_uploads_in_parts(login, editor, endpoint, settings):
    connection, bucket = endpoint
    data = multipart_upload(login(editor), connection, bucket, KEY_1024, settings)
    assert b"".join(gateway.open_object(connection, bucket, KEY_1024).body) == data


def test_a_1025_byte_key_is_refused_at_the_multipart_start_with_a_sentence(login, editor, endpoint):
    connection, bucket = endpoint
    response = login(editor).post(reverse("upload_start", args=[connection.pk, bucket]), {"key": KEY_1025, "size": 6 * MB})
    assert response.status_code == 400
    assert response.json()["error"] == "The key is 1025 bytes long in UTF-8; S3 allows at most 1024."


@pytest.mark.parametrize(("prefix", "path", "key"), [("", "/lead.txt", "/lead.txt"), ("a/", "/b.txt", "a//b.txt"),
                                                     ("/", "c.txt", "/c.txt"), ("", "//two.txt", "//two.txt")])
def test_a_leading_slash_is_kept_in_one_put(login, editor, endpoint, prefix, path, key):
    connection, bucket = endpoint
    response = form_upload(login(editor), connection, bucket, prefix, path)
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["key"] == key
    assert b"".join(gateway.open_object(connection, bucket, key).body) == b"hello"


def test_a_leading_slash_is_kept_in_parts(login, editor, endpoint, settings):
    connection, bucket = endpoint
    data = multipart_upload(login(editor), connection, bucket, "/slash/big.bin", settings)
    assert b"".join(gateway.open_object(connection, bucket, "/slash/big.bin").body) == data


def test_the_content_type_is_guessed_from_the_key_not_the_parts_file_name(login, editor, connection, bucket):
    response = form_upload(login(editor), connection, bucket, "", "page.html")
    assert response.status_code == 200
    assert gateway.head_object(connection, bucket, "page.html").content_type == "text/html"
