"""The object browser's rows are written by Python (buckets/templatetags/listing.py) for speed;
they must say exactly what the template said, for every key a user can have."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from django.template import engines
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from buckets import gateway
from buckets.templatetags import listing

# The markup the template wrote before the rows moved to Python, kept here as the reference.
REFERENCE = engines["django"].from_string("""{% load keys %}
{% for folder in folder_rows %}
  <tr class="folder" data-name="{{ folder.label }}" data-size="-1" data-modified="">
    <td class="check"><input type="checkbox" name="keys" value="{{ folder.key }}" aria-label="Select folder {{ folder.label|key_text }}"></td>
    <td><a class="folder-link" href="{{ browse_base }}?prefix={{ folder.key|urlencode:'' }}"><svg class="icon" viewBox="0 0 16 16" aria-hidden="true"><path d="M1.5 3h4.2l1.5 1.6h7.3v8.9h-13z"/></svg>{{ folder.label|key }}</a></td>
    <td class="num muted">—</td><td class="muted">—</td><td class="muted">Folder</td>
  </tr>
{% endfor %}
{% for obj in objects %}
  <tr class="object" data-name="{{ obj.label }}" data-size="{{ obj.size }}" data-modified="{{ obj.last_modified|date:'c' }}">
    <td class="check"><input type="checkbox" name="keys" value="{{ obj.key }}" aria-label="Select {{ obj.key|key_text }}"></td>
    <td><a class="object-link" href="{{ detail_base }}?key={{ obj.key|urlencode:'' }}" hx-get="{{ detail_base }}?key={{ obj.key|urlencode:'' }}" hx-target="#details" hx-push-url="false">{{ obj.label|key }}</a></td>
    <td class="num" title="{{ obj.size }} bytes">{{ obj.size|filesizeformat }}</td>
    <td>{{ obj.last_modified|date:"Y-m-d H:i:s" }}</td>
    <td>{{ obj.storage_class }}</td>
  </tr>
{% endfor %}""")
NEW = engines["django"].from_string(
    "{% load listing %}{% folder_rows folder_rows browse_base %}{% object_rows objects detail_base %}")


def _normal(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _both(keys, when, sizes, storage="STANDARD"):
    objects = [SimpleNamespace(key="p/" + k, label=k, size=s, last_modified=when, storage_class=storage)
               for k, s in zip(keys, sizes, strict=True)]
    folders = [{"key": f"p/{k}/", "label": f"{k}/"} for k in keys]
    context = {"objects": objects, "folder_rows": folders, "detail_base": "/c/1/b/x&y/object/",
               "browse_base": "/c/1/b/x&y/"}
    return _normal(REFERENCE.render(context)), _normal(NEW.render(context))


HOSTILE = ["a.txt", "evil\u202etxt.exe", " lead", "trail ", "<script>&\"'", "dir/é 名.bin", "tab\tx",
           "a%2Fb?c=d&e", "zero\u200bwidth", "", "\x00nul", "\u2028line"]


def test_hostile_keys_render_as_the_template_did():
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    before, after = _both(HOSTILE, when, [i * 1234567 for i in range(len(HOSTILE))])
    assert before == after


@settings(max_examples=150, deadline=None)
@given(keys=st.lists(st.text(max_size=40), min_size=1, max_size=5),
       when=st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1, 1, 1), timezones=st.just(dt.UTC))),
       size=st.integers(min_value=0, max_value=2**63), storage=st.sampled_from(["STANDARD", "GLACIER", "", None]))
def test_any_key_date_and_size_render_as_the_template_did(keys, when, size, storage):
    before, after = _both(keys, when, [size] * len(keys), storage)
    assert before == after


def test_another_time_zone_is_honoured_as_the_template_did():
    with timezone.override("Asia/Kolkata"):
        before, after = _both(["x"], dt.datetime(2026, 1, 2, 23, 59, 59, tzinfo=dt.UTC), [1])
    assert before == after and "2026-01-03 05:29:59" in after


class _Conn:
    pk, endpoint_url, access_key, region = 1, "http://127.0.0.1:9", "k", "us-east-1"


def test_ever_versioned_asks_once_and_forgets_on_put(monkeypatch):
    asked = []
    monkeypatch.setattr(gateway, "get_versioning", lambda conn, bucket: asked.append(bucket) or "")
    monkeypatch.setattr(gateway, "call", lambda *a, **k: {})
    conn = _Conn()
    assert not gateway.ever_versioned(conn, "b1") and not gateway.ever_versioned(conn, "b1")
    assert asked == ["b1"]
    gateway.put_versioning(conn, "b1", True)
    monkeypatch.setattr(gateway, "get_versioning", lambda conn, bucket: asked.append(bucket) or "Enabled")
    assert gateway.ever_versioned(conn, "b1") and gateway.ever_versioned(conn, "b1")
    assert asked == ["b1", "b1"]
    gateway.delete_bucket(conn, "b1")
    monkeypatch.setattr(gateway, "get_versioning", lambda conn, bucket: asked.append(bucket) or "")
    assert not gateway.ever_versioned(conn, "b1")


@settings(max_examples=400, deadline=None)
@given(size=st.one_of(st.integers(min_value=-(2**63), max_value=2**63),
                      st.sampled_from([0, 1, 1023, 1024, 1025, 1048575, 1048576, 1 << 30, (1 << 50) - 1, 1 << 50,
                                       int(1.25 * 1024), int(1.35 * 1024), 10239, 10240 * 1024 - 1])))
def test_sizes_are_written_as_filesizeformat_writes_them(size):
    from django.template.defaultfilters import filesizeformat

    assert listing._size_english(size) == filesizeformat(size)
