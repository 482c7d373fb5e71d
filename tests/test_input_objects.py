"""Odd input to the object pages answers a message (400), and text previews are never mojibake."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.views.objects import preview_decode

KEY_VIEWS = [("object_detail", "get"), ("download", "get"), ("preview", "get"), ("versions", "get"),
             ("share_link", "post"), ("delete_version", "post")]


@pytest.mark.parametrize(("view", "method"), KEY_VIEWS)
@pytest.mark.parametrize(("key", "says"), [("", "The object key is empty."), ("k" * 1025, "at most 1024"),
                                           ("a\x00b", "NUL character")])
def test_a_key_s3_cannot_take_is_refused_with_a_message(login, editor, connection, bucket, view, method, key, says):
    url = reverse(view, args=[connection.pk, bucket])
    response = getattr(login(editor), method)(url, {"key": key, "version": "v1", "expires": "3600"})
    assert response.status_code == 400
    assert says in response.content.decode()


def test_an_empty_key_no_longer_answers_502(login, viewer, connection, bucket):
    assert login(viewer).get(reverse("object_detail", args=[connection.pk, bucket])).status_code == 400


def test_a_prefix_longer_than_any_key_and_a_forged_token_are_refused(login, viewer, connection, bucket):
    client = login(viewer)
    url = reverse("browse", args=[connection.pk, bucket])
    assert "at most 1024 bytes" in client.get(url, {"prefix": "é" * 600}).content.decode()
    assert client.get(url, {"token": "t" * 5000}).status_code == 400


@pytest.mark.parametrize("bucket_name", ["x" * 300, "a\x00b"])
def test_a_bucket_name_no_bucket_can_have_is_not_found(login, viewer, connection, bucket_name):
    assert login(viewer).get(reverse("browse", args=[connection.pk, bucket_name])).status_code == 404


def test_deleting_a_key_with_nul_is_refused_and_nothing_reaches_the_audit_log_broken(login, editor, connection, bucket):
    response = login(editor).post(reverse("delete_objects", args=[connection.pk, bucket]), {"keys": ["ok", "a\x00b"]})
    assert response.status_code == 400


def test_an_encoding_that_is_not_offered_is_refused(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "t.txt", b"x", content_type="text/plain")
    response = login(viewer).get(reverse("object_detail", args=[connection.pk, bucket]), {"key": "t.txt", "encoding": "rot13"})
    assert response.status_code == 400 and "offered encodings" in response.content.decode()


LATIN1 = "Grüße aus Köln, café déjà vu – naïve".encode("cp1252")


@pytest.mark.parametrize(("raw", "text", "how"), [
    (LATIN1, "Grüße aus Köln, café déjà vu – naïve", "assumed"),
    ("Grüße".encode(), "Grüße", "utf-8"),
    (b"\xef\xbb\xbfmit BOM \xc3\xa4", "mit BOM ä", "bom"),
    ("UTF-16 text".encode("utf-16"), "UTF-16 text", "bom"),
    (b"\x81\x8d only latin-1", "\x81\x8d only latin-1", "assumed"),
])
def test_previews_detect_the_encoding_and_say_how(raw, text, how):
    preview = preview_decode(raw, truncated=False)
    assert (preview.text, preview.how) == (text, how)


def test_a_multibyte_character_cut_at_the_preview_end_is_not_mojibake():
    raw = ("a" * 10 + "ä").encode()[:-1]
    preview = preview_decode(raw, truncated=True)
    assert (preview.text, preview.how) == ("a" * 10, "utf-8")


def test_a_declared_charset_is_used_when_the_bytes_fit_it():
    preview = preview_decode("Привет".encode("koi8-r"), truncated=False, declared="koi8_r")
    assert (preview.text, preview.how) == ("Привет", "declared")


def test_the_details_panel_shows_latin1_text_as_text_and_offers_other_encodings(login, viewer, connection, bucket):
    gateway.put_object(connection, bucket, "old.txt", LATIN1, content_type="text/plain")
    client = login(viewer)
    url = reverse("object_detail", args=[connection.pk, bucket])
    html = client.get(url, {"key": "old.txt"}).content.decode()
    assert "Grüße aus Köln" in html and "Ã" not in html
    assert "Not valid UTF-8: shown as Windows-1252 (Western European), which was assumed." in html
    assert '<option value="cp1251">' in html
    chosen = client.get(url, {"key": "old.txt", "encoding": "latin-1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "as you chose" in chosen and 'value="latin-1" selected' in chosen


@pytest.mark.browser
def test_snippet_lines_never_run_under_the_copy_button(browser_page, admin, make_connection, team, s3_endpoint, bucket):
    # DigitalOcean offers versioning only through its API, so its settings page shows snippets.
    spaces = make_connection(team, endpoint=s3_endpoint, provider="digitalocean", region="nyc3")
    page = browser_page(admin)
    page.set_viewport_size({"width": 900, "height": 900})
    page.goto(reverse("bucket_settings", args=[spaces.pk, bucket]))
    panel = page.locator(".snippet-panel.snippet-aws:visible").first
    panel.wait_for()
    button = panel.locator("button.copy").bounding_box()
    code = panel.locator("pre.snippet")
    box = code.bounding_box()
    assert button["y"] + button["height"] <= box["y"] + 1  # the button sits above the code
    assert code.evaluate("e => e.scrollWidth <= e.clientWidth")  # long lines wrap, none hidden
