"""Show object keys and file names as they are.

A key is bytes the user owns, and some of its characters do not show as themselves: a
right-to-left override (U+202E) makes `evil‮txt.exe` read "evilexe.txt" and reverses the
sentence around it, zero-width characters vanish, trailing spaces and tabs are lost in HTML.

- `{{ key|key }}` (HTML): the key in a `<bdi dir="ltr">`, so no character of it can reorder the
  text around it; every invisible, control, bidi or unusual space character as a visible
  `⟨U+202E⟩` mark with its name as a tooltip; leading and trailing whitespace marked.
- `{{ key|key_text }}` (plain text): the same escapes without markup, for attributes
  (`title`, `aria-label`), page titles and messages, where markup cannot go.

Hidden inputs and URLs keep the raw key: they carry data, not text for a reader.
"""

from __future__ import annotations

import html
import unicodedata

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Controls have no Unicode name; these are the ones a key plausibly carries.
_CONTROL_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x00": "NUL", "\x1b": "ESCAPE"}
_EDGE_SPACE = "␠"


def char_is_hidden(char: str) -> bool:
    """True for a character a reader would not see as itself: controls, format characters
    (bidi overrides and isolates, zero-width joiners, BOM), separators, unassigned and private
    code points, and every space but the plain one."""
    category = unicodedata.category(char)
    return category[0] == "C" or category in ("Zl", "Zp") or (category == "Zs" and char != " ")


def char_label(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`: the code point and, where it has one, its name."""
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".strip()


def _escape_mark(char: str) -> str:
    return "⟨TAB⟩" if char == "\t" else f"⟨U+{ord(char):04X}⟩"


def _plain(value: str) -> bool:
    """Nothing to mark: str.isprintable() is false exactly for what char_is_hidden() finds
    (categories C*, Zl, Zp and every Zs but the ASCII space), and it runs in C. Almost every key
    takes this path, so a page of 100 rows costs microseconds here, not tens of milliseconds."""
    return value.isprintable() and value[:1] != " " and value[-1:] != " "


def _pieces(value: str):
    """(kind, text) pieces of `value`: "text", "hidden" (one character) or "edge" (a plain space
    at the start or end, which a reader cannot see either)."""
    if _plain(value):
        if value:
            yield "text", value
        return
    lead = len(value) - len(value.lstrip(" "))
    trail = len(value) - len(value.rstrip(" ")) if value.strip(" ") else 0
    run = []
    for index, char in enumerate(value):
        edge = char == " " and (index < lead or index >= len(value) - trail)
        if edge or char_is_hidden(char):
            if run:
                yield "text", "".join(run)
                run = []
            yield ("edge" if edge else "hidden"), char
        else:
            run.append(char)
    if run:
        yield "text", "".join(run)


def key_text(value: object) -> str:
    """The key as plain text with every hidden character written as a visible escape."""
    out = []
    for kind, text in _pieces(str(value)):
        out.append(text if kind == "text" else _EDGE_SPACE if kind == "edge" else _escape_mark(text))
    return "".join(out)


def key_html(value: object) -> SafeString:
    """The key isolated in `<bdi>`, hidden characters as titled marks; all of it escaped."""
    value = str(value)
    if _plain(value):
        # html.escape makes the same five replacements as Django's escape, at a tenth of its cost.
        return mark_safe(f'<bdi class="key" dir="ltr">{html.escape(value)}</bdi>')  # noqa: S308 - escaped
    out = []
    for kind, text in _pieces(str(value)):
        if kind == "text":
            out.append(escape(text))
        elif kind == "edge":
            out.append('<span class="key-mark key-edge" title="U+0020 SPACE at the edge of the name">'
                       f"{_EDGE_SPACE}</span>")
        else:
            out.append(f'<span class="key-mark" title="{escape(char_label(text))}">{escape(_escape_mark(text))}</span>')
    return mark_safe(f'<bdi class="key" dir="ltr">{"".join(out)}</bdi>')  # noqa: S308 - every piece escaped above


register.filter("key", key_html, is_safe=True)
register.filter("key_text", key_text)
