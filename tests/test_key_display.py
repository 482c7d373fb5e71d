"""Keys are shown as they are: bidi controls and invisible characters visibly, whitespace at
the edges marked, every key isolated from the text around it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.templatetags.keys import key_html, key_text

RLO = "\u202e"
TRICKY_KEYS = {
    f"evil{RLO}txt.exe": "evil⟨U+202E⟩txt.exe",
    "trailing  ": "trailing␠␠",
    " leading": "␠leading",
    "tab\there": "tab⟨TAB⟩here",
    "zero\u200bwidth": "zero⟨U+200B⟩width",
    "bom\ufeffin": "bom⟨U+FEFF⟩in",
    "nbsp\u00a0gap": "nbsp⟨U+00A0⟩gap",
    "isolate\u2066x\u2069": "isolate⟨U+2066⟩x⟨U+2069⟩",
    "line\u2028sep": "line⟨U+2028⟩sep",
    "inner  spaces": "inner  spaces",
    "plain/ünïcödé/日本.txt": "plain/ünïcödé/日本.txt",
}


@pytest.mark.parametrize(("key", "shown"), TRICKY_KEYS.items())
def test_every_hidden_character_of_a_key_is_written_out_visibly(key, shown):
    assert key_text(key) == shown


def test_the_html_form_isolates_the_key_names_each_mark_and_escapes_everything():
    html = key_html(f"<b>x</b>{RLO}&")
    assert html.startswith('<bdi class="key" dir="ltr">') and html.endswith("</bdi>")
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&amp;" in html and "<b>" not in html
    assert 'title="U+202E RIGHT-TO-LEFT OVERRIDE"' in html
    assert RLO not in html


def test_a_key_of_only_spaces_is_all_marks():
    assert key_text("   ") == "␠␠␠"


@pytest.fixture
def tricky(connection, bucket):
    for key in (f"docs/evil{RLO}txt.exe", "docs/trailing  ", "docs/tab\there"):
        gateway.put_object(connection, bucket, key, b"x", content_type="text/plain")
    return bucket


def test_the_listing_details_and_delete_dialog_show_no_raw_override(login, editor, connection, tricky):
    client = login(editor)
    key = f"docs/evil{RLO}txt.exe"
    listing = client.get(reverse("browse", args=[connection.pk, tricky]), {"prefix": "docs/"}).content.decode()
    details = client.get(reverse("object_detail", args=[connection.pk, tricky]), {"key": key}).content.decode()
    dialog = client.post(reverse("delete_objects", args=[connection.pk, tricky]), {"keys": [key]},
                         HTTP_HX_REQUEST="true").content.decode()
    for html in (listing, details, dialog):
        assert "⟨U+202E⟩" in html
        # The raw character may travel only in form values and URLs, never as text to read.
        visible = html.replace(f'value="{key}"', "")
        assert f">{RLO}" not in visible and f"evil{RLO}txt" not in visible.split("<bdi", 1)[-1].split("</bdi>", 1)[0]
    assert 'value="docs/evil\u202etxt.exe"' in dialog  # the delete still names the real key
    assert "trailing␠␠" in listing.replace('<span class="key-mark key-edge" title="U+0020 SPACE at the edge of the name">', "").replace("</span>", "")


@pytest.mark.browser
def test_a_browser_renders_tricky_keys_visibly_in_the_list_details_and_delete_dialog(browser_page, editor, connection, tricky):
    page = browser_page(editor)
    page.goto(reverse("browse", args=[connection.pk, tricky]) + "?prefix=docs/")
    row = page.locator("a.object-link", has_text="evil")
    assert row.inner_text() == "evil⟨U+202E⟩txt.exe"
    assert page.locator("a.object-link", has_text="trailing").inner_text() == "trailing␠␠"
    assert page.locator("a.object-link", has_text="tab").inner_text() == "tab⟨TAB⟩here"
    # Isolated: the key's box does not reorder the text after it.
    assert row.locator("bdi").evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
    row.click()
    heading = page.locator("#details h2.object-key")
    heading.wait_for()
    assert heading.inner_text() == "docs/evil⟨U+202E⟩txt.exe"
    assert RLO not in page.locator("#details").inner_text()
    page.locator("#details button", has_text="Delete").click()
    dialog = page.locator("#modal")
    dialog.locator("li").first.wait_for()
    assert dialog.locator("li").first.inner_text() == "docs/evil⟨U+202E⟩txt.exe"
    assert RLO not in dialog.inner_text()
    assert not page.console_problems


def test_the_fast_path_for_plain_keys_agrees_with_the_rule_for_every_code_point():
    # _plain() uses str.isprintable(); it must find exactly what char_is_hidden() finds.
    from buckets.templatetags.keys import char_is_hidden

    assert [hex(c) for c in range(0x110000) if (not chr(c).isprintable()) != char_is_hidden(chr(c))] == []
