"""Keys up to S3's 1,024 bytes of UTF-8 through every upload path, a folder prefix and
multi-byte characters included, and a key over the limit refused with a sentence in the page:

- the no-JavaScript form, where the key's last part is the file name the browser sends in the
  part's headers (Django refused a part whose headers passed 1 KiB with a bare 400, and cut a
  name to 255 characters silently: buckets/formparse.py);
- the page's script, which sends the key in "paths" (a file, or a folder's file with its
  relative path) and a short part file name;
- the large-file protocol's start (the key in a form field).

The form is built by hand here, as a browser sends it: Django's test client would send the
name of a SimpleUploadedFile, which Django has already cut to 255 characters.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from buckets import formparse, gateway, names
from tests.test_browse_versions import s3_client

LIMIT = names.MAX_KEY_BYTES
BOUNDARY = "----console-test-boundary"
# One to four bytes in UTF-8, invisible and bidi characters, and what a header could misread.
CHARS = ["a", "Z", "7", " ", "-", ".", "_", "&", "amp;", "#", "%", "+", ",", "=", ";", "'", "(", "é", "ß", "ж",
         "中", "日", "€", "😀", "𝄞", "\u202e", "\u200b", "\u00a0", "~", "!"]
PROPERTY = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def fill(pieces: list[str], size: int) -> str:
    """Exactly `size` bytes of UTF-8: `pieces` over and over, topped up with "k"."""
    out, used, i = [], 0, 0
    while pieces and used < size:
        piece = pieces[i % len(pieces)]
        i += 1
        n = len(piece.encode())
        if used + n > size:
            break
        out.append(piece)
        used += n
    return "".join(out) + "k" * (size - used)


@st.composite
def keys(draw, low: int, high: int, folders_in_name: bool = False) -> tuple[str, str]:
    """(prefix, name) whose key, prefix + name, is `low`..`high` bytes of UTF-8; the prefix is
    a folder ("" or ending in "/"); the name has no "/" unless it is a folder upload's path."""
    size = draw(st.integers(low, high))
    pieces = draw(st.lists(st.sampled_from(CHARS + (["/"] if folders_in_name else [])), min_size=1, max_size=30))
    prefix_size = draw(st.sampled_from([0, 1, 2, 10, size // 2, size - 2, size - 1]))
    prefix = fill([p for p in pieces if p != "/"] + ["/"], prefix_size - 1) + "/" if prefix_size else ""
    name = fill(pieces, size - prefix_size)
    if name.startswith("/") and folders_in_name:
        name = "d" + name[1:]
    return prefix, name


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it (HTML: the name's `"`, CR and LF escaped)."""
    body = b""
    for name, value in fields:
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
    for field, filename, data in files:
        sent = filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        body += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{sent}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode(), f"multipart/form-data; boundary={BOUNDARY}"


def form_upload(client, conn, bucket, prefix: str, filename: str, data: bytes = b"hello", **headers):
    """The no-JavaScript form: a prefix and one file, its name as the browser sends it."""
    body, content_type = multipart([("prefix", prefix)], [("files", filename, data)])
    return client.generic("POST", reverse("upload", args=[conn.pk, bucket]), body, content_type=content_type, **headers)


def stored(conn, bucket, key: str) -> bytes:
    return b"".join(gateway.open_object(conn, bucket, key).body)


def page_after(client, response) -> str:
    assert response.status_code == 302, response.content[:500]
    return unescape(client.get(response["Location"]).content.decode())


def too_long(key: str) -> str:
    return f"The key is {len(key.encode())} bytes long in UTF-8; S3 allows at most {LIMIT}."


# --- the no-JavaScript form ---------------------------------------------------------------------


@PROPERTY
@given(key=keys(LIMIT - 40, LIMIT))
@example(key=("", "a" * 300 + ".txt"))  # cut to 255 characters before
@example(key=("", "é" * 510 + ".txt"))  # 1,024 bytes in the file name alone: a bare 400 before
@example(key=("deep/", "ключ-" * 100 + "k" * 119))
def test_the_form_uploads_every_key_up_to_the_limit_as_sent(login, editor, connection, bucket, key):
    prefix, name = key
    client = login(editor)
    response = form_upload(client, connection, bucket, prefix, name, (prefix + name).encode())
    assert f"{prefix + name}: Uploaded" in page_after(client, response)
    assert stored(connection, bucket, prefix + name) == (prefix + name).encode()


@PROPERTY
@given(key=keys(LIMIT + 1, LIMIT + 200))
@example(key=("", "é" * 512 + ".txt"))
def test_the_form_refuses_a_key_over_the_limit_with_a_sentence_in_the_page(login, editor, connection, bucket, key):
    prefix, name = key
    client = login(editor)
    page = page_after(client, form_upload(client, connection, bucket, prefix, name))
    assert too_long(prefix + name) in page
    with pytest.raises(gateway.NotFound):
        gateway.head_object(connection, bucket, prefix + name)


@pytest.mark.parametrize("name", ["a\\b.txt", "&amp;.txt", "tab\there.txt", "\u202etxt.exe", "zero\u200bwidth.txt",
                                  "..", "%22quoted%22.txt", "  spaced  .txt"])
def test_the_form_keeps_what_django_would_have_changed_in_a_file_name(login, editor, connection, bucket, name):
    client = login(editor)
    assert f"{name}: Uploaded" in page_after(client, form_upload(client, connection, bucket, "in/", name))
    assert stored(connection, bucket, "in/" + name) == b"hello"


def test_a_file_name_past_what_the_console_reads_gets_the_console_page_with_a_sentence(login, editor, connection, bucket):
    name = "n" * (formparse.PART_HEADER_MAX + 10)
    response = form_upload(login(editor), connection, bucket, "", name, HTTP_REFERER=f"http://testserver/c/{connection.pk}/b/{bucket}/")
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "A file name in this upload is longer than the console reads" in html and f"at most {LIMIT} bytes" in html
    assert "Sign out" in html and "Bad Request (400)" not in html  # the console's layout, not Django's bare page
    assert f'href="http://testserver/c/{connection.pk}/b/{bucket}/">Go back' in html
    json_answer = form_upload(login(editor), connection, bucket, "", name, HTTP_ACCEPT="application/json")
    assert json_answer.status_code == 400 and "longer than the console reads" in json_answer.json()["error"]


def test_a_large_file_with_a_long_name_is_staged_under_that_name(login, editor, connection, bucket, settings):
    """Past FILE_UPLOAD_MAX_MEMORY_SIZE Django writes the file to disk, suffixed with the name's
    extension: a long one made the temporary file's name too long for the filesystem."""
    from buckets import jobs
    from buckets.models import Job

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.UPLOAD_DIRECT_MAX_BYTES = 1024
    name = "x." + "é" * 400  # an 800-byte "extension"
    data = b"d" * 5000
    client = login(editor)
    assert re.search(r"(Queued|Saved) as job #\d+", page_after(client, form_upload(client, connection, bucket, "big/", name, data)))
    job = Job.objects.filter(key="big/" + name).latest("pk")
    jobs.job_run(job.pk)
    assert stored(connection, bucket, "big/" + name) == data


# --- the page's script: one file, or a folder's files by their relative paths ----------------------


def script_upload(client, conn, bucket, prefix: str, relative: str, data: bytes = b"hello"):
    return client.post(reverse("upload", args=[conn.pk, bucket]),
                       {"prefix": prefix, "paths": relative, "files": SimpleUploadedFile("file", data)},
                       HTTP_ACCEPT="application/json")


@PROPERTY
@given(key=keys(LIMIT - 40, LIMIT, folders_in_name=True))
def test_the_script_uploads_every_key_up_to_the_limit_folders_included(login, editor, connection, bucket, key):
    prefix, relative = key
    response = script_upload(login(editor), connection, bucket, prefix, relative)
    assert response.status_code == 200, response.content
    assert response.json()["results"] == [{"key": prefix + relative, "ok": True, "message": "Uploaded"}]
    assert stored(connection, bucket, prefix + relative) == b"hello"


@PROPERTY
@given(key=keys(LIMIT + 1, LIMIT + 200, folders_in_name=True))
def test_the_script_is_refused_a_key_over_the_limit_with_a_sentence(login, editor, connection, bucket, key):
    prefix, relative = key
    response = script_upload(login(editor), connection, bucket, prefix, relative)
    assert response.status_code == 400
    assert response.json()["results"][0]["message"] == too_long(prefix + relative)


@PROPERTY
@given(key=keys(LIMIT - 40, LIMIT + 40, folders_in_name=True))
def test_the_large_file_protocol_starts_every_key_up_to_the_limit_and_no_other(login, editor, connection, bucket, key):
    from buckets.models import Job

    full = "".join(key)
    response = login(editor).post(reverse("upload_start", args=[connection.pk, bucket]), {"key": full, "size": 6 * 1024 * 1024})
    if len(full.encode()) <= LIMIT:
        assert response.status_code == 200, response.content
        assert Job.objects.get(pk=response.json()["job"]).key == full
    else:
        assert response.status_code == 400 and response.json()["error"] == too_long(full)


def test_a_four_byte_character_key_of_exactly_the_limit_uploads_in_parts(login, editor, connection, bucket, settings):
    from tests.test_folder_upload_keys import multipart_upload

    key = "📁/" + "😀" * 254 + "kkk"  # 4 + 1 + 1,016 + 3 bytes
    assert len(key.encode()) == LIMIT
    data = multipart_upload(login(editor), connection, bucket, key, settings)
    assert stored(connection, bucket, key) == data


# --- over real HTTP: the live server, and Chromium with JavaScript off ----------------------------------


def signed_in_opener(live_server, user) -> tuple[urllib.request.OpenerDirector, str]:
    """A urllib opener signed in through the login form, and its CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    page = opener.open(live_server.url + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": user.username, "password": "pw-" + user.username,
                                   "csrfmiddlewaretoken": token}).encode()
    try:
        opener.open(urllib.request.Request(live_server.url + "/login/", data=data, headers={"Referer": live_server.url + "/login/"}))
    except urllib.error.HTTPError as exc:
        assert exc.code == 302, exc.read()[:500]
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    return opener, csrf


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_raw(opener, url: str, body: bytes, content_type: str, csrf: str, origin: str) -> tuple[int, str, str]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type, "X-CSRFToken": csrf,
                                                              "Referer": origin + "/", "Origin": origin})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def test_over_http_the_form_takes_a_1024_byte_key_and_explains_a_name_past_the_limit(live_server, editor, connection, bucket):
    opener, csrf = signed_in_opener(live_server, editor)
    url = live_server.url + reverse("upload", args=[connection.pk, bucket])
    prefix, name = "папка/", "файл-" * 111 + "k" * 10 + ".txt"  # 11 bytes, and 1,013 in the part's header
    assert len((prefix + name).encode()) == LIMIT
    body, content_type = multipart([("prefix", prefix)], [("files", name, b"over http")])
    status, location, _ = post_raw(opener, url, body, content_type, csrf, live_server.url)
    assert status == 302 and location.endswith(f"/c/{connection.pk}/b/{bucket}/?prefix=%D0%BF%D0%B0%D0%BF%D0%BA%D0%B0%2F")
    assert s3_client(connection).get_object(Bucket=bucket, Key=prefix + name)["Body"].read() == b"over http"
    body, content_type = multipart([("prefix", "")], [("files", "я" * 5000, b"x")])
    status, _, html = post_raw(opener, url, body, content_type, csrf, live_server.url)
    assert status == 400 and "A file name in this upload is longer than the console reads" in unescape(html)
    assert "Bad Request (400)" not in html


def test_in_chromium_without_javascript_the_form_uploads_a_1024_byte_key(playwright_browser, live_server, editor, connection, bucket):
    """The no-JavaScript path as a browser really sends it (Chromium's own multipart encoding)."""
    context = playwright_browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login/")
        page.fill("#id_username", editor.username)
        page.fill("#id_password", "pw-" + editor.username)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        prefix = "日本/"  # 7 bytes
        name = "報告書-" * 90 + "é" * 54 + "k😀.pdf"  # 1,017 bytes: 900 + 108 + 9
        key = prefix + name
        assert len(key.encode()) == LIMIT, len(key.encode())
        gateway.put_object(connection, bucket, prefix, b"", content_type="application/x-directory")
        for filename, ok in ((name, True), (name + "x", False)):
            page.goto(f"/c/{connection.pk}/b/{bucket}/?prefix={urllib.parse.quote(prefix)}")
            page.set_input_files("#file-input", files=[{"name": filename, "mimeType": "application/pdf", "buffer": b"%PDF-1.4 no js"}])
            page.get_by_role("button", name="Upload", exact=True).click()
            page.wait_for_load_state()
            flash = page.locator("#flash").inner_text()
            if ok:
                assert "Uploaded" in flash, flash
            else:
                assert too_long(prefix + filename) in flash, flash
        s3 = s3_client(connection)
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"%PDF-1.4 no js"
        assert {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]} == {prefix, key}
    finally:
        context.close()


# --- the console's 400 page for what Django refuses before any view --------------------------------


def test_a_malformed_form_gets_the_console_page_with_a_sentence(login, editor, connection, bucket):
    response = login(editor).generic("POST", reverse("upload", args=[connection.pk, bucket]), b"--x\r\nbroken",
                                     content_type="multipart/form-data; boundary=\u00e9")
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "The console could not read this form" in html and "Sign out" in html


def test_too_many_files_without_javascript_get_a_sentence(login, editor, connection, bucket, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    body, content_type = multipart([("prefix", "")], [("files", f"f{i}.txt", b"x") for i in range(4)])
    response = login(editor).generic("POST", reverse("upload", args=[connection.pk, bucket]), body, content_type=content_type)
    assert response.status_code == 400
    assert "Without JavaScript one upload sends at most 3 files" in unescape(response.content.decode())
    assert gateway.list_page(connection, bucket, prefix="", token="", page_size=10).objects == []


@pytest.mark.parametrize(("path", "status", "text"), [("/no/such/page/", 404, "Not found"),
                                                      ("/c/999999/", 404, "Not found"),
                                                      ("/connections/?q=a%00b", 400, "Bad request")])
def test_the_other_error_pages_are_the_consoles_too(login, editor, path, status, text):
    response = login(editor).get(path)
    assert response.status_code == status
    html = response.content.decode()
    assert f"<h1>{text}</h1>" in html and "S3 Console" in html and "Bad Request (400)" not in html


def test_a_forbidden_page_is_the_consoles(login, viewer, connection, bucket):
    response = login(viewer).post(reverse("create_folder", args=[connection.pk, bucket]), {"name": "x"})
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in response.content.decode() and "Sign out" in response.content.decode()


def test_every_error_handler_is_the_consoles():
    from console import urls

    assert urls.handler400 == "buckets.views.errors.bad_request"
    assert urls.handler403 == "buckets.views.errors.forbidden"
    assert urls.handler404 == "buckets.views.errors.not_found"
    assert urls.handler500 == "buckets.views.errors.server_error"
