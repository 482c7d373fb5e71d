"""The audit log page: team admins only, their team only, filters, pages and CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from buckets.models import AuditEntry
from buckets.views.audit_log import PAGE_SIZE, csv_cell

pytestmark = pytest.mark.django_db


def entry(team, action="object.upload", *, at=None, username="ada", connection_name="Store", bucket="photos",
          key="", ok=True, message="", **detail) -> AuditEntry:
    return AuditEntry.objects.create(
        team=team, action=action, at=at or datetime(2026, 11, 20, 12, 0, tzinfo=UTC), username=username,
        connection_name=connection_name, bucket=bucket, key=key, ok=ok, message=message, detail=detail,
    )


def rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_only_team_admins_read_the_audit_log(login, viewer, editor, admin):
    assert login(viewer).get(reverse("audit_log")).status_code == 403
    assert login(editor).get(reverse("audit_export")).status_code == 403
    assert login(admin).get(reverse("audit_log")).status_code == 200


def test_admins_see_only_their_own_teams_entries(login, admin, team, other_team):
    entry(team, key="ours.txt")
    theirs = entry(other_team, key="theirs.txt")
    client = login(admin)
    html = client.get(reverse("audit_log")).content.decode()
    assert "ours.txt" in html and "theirs.txt" not in html
    assert [r["key"] for r in rows(client.get(reverse("audit_export")))] == ["ours.txt"]
    assert client.get(reverse("audit_entry", args=[theirs.pk])).status_code == 404


def test_an_entry_shows_who_when_where_what_and_the_result(login, admin, team):
    e = entry(team, "bucket.settings", username="eddie", bucket="logs", ok=False, message="Access denied by the endpoint.",
              setting="versioning", value="Enabled")
    client = login(admin)
    html = client.get(reverse("audit_log")).content.decode()
    for text in ("eddie", "bucket.settings", "Store", "logs", "setting=versioning", "failed", "Access denied"):
        assert text in html
    detail = client.get(reverse("audit_entry", args=[e.pk])).content.decode()
    assert "&quot;setting&quot;: &quot;versioning&quot;" in detail
    partial = client.get(reverse("audit_entry", args=[e.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and 'id="modal-title"' in partial


def test_members_who_are_not_admins_get_403_for_an_entry_of_their_team(login, viewer, team):
    e = entry(team)
    assert login(viewer).get(reverse("audit_entry", args=[e.pk])).status_code == 403


@pytest.mark.parametrize("query, expected", [
    ({"user": "eddie"}, {"b"}),
    ({"action": "member.add"}, {"c"}),
    ({"connection": "Other store"}, {"d"}),
    ({"bucket": "logs"}, {"b"}),
    ({"result": "failed"}, {"d"}),
    ({"result": "ok"}, {"a", "b", "c"}),
    ({"since": "2026-11-19", "until": "2026-11-19"}, {"c"}),
    ({"since": "2026-11-20"}, {"a", "b", "d"}),
    ({"until": "2026-11-18"}, set()),
    ({"user": "eddie", "result": "failed"}, set()),
])
def test_filters_narrow_both_the_page_and_the_export(login, admin, team, query, expected):
    day = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    entry(team, key="a", at=day)
    entry(team, key="b", at=day + timedelta(hours=13, minutes=59), username="eddie", bucket="logs")
    entry(team, "member.add", key="c", at=day - timedelta(days=1), bucket="")
    entry(team, key="d", at=day + timedelta(days=1), connection_name="Other store", ok=False)
    client = login(admin)
    assert {r["key"] for r in rows(client.get(reverse("audit_export"), query))} == expected
    html = client.get(reverse("audit_log"), query, headers={"HX-Request": "true"}).content.decode()
    assert f"{len(expected)} entr" in html


def test_invalid_filters_show_an_error_instead_of_unfiltered_entries(login, admin, team):
    entry(team, key="a")
    client = login(admin)
    html = client.get(reverse("audit_log"), {"user": "<b>nobody</b>", "since": "yesterday"}).content.decode()
    assert "Fix the filters" in html
    assert "<b>nobody</b>" not in html
    assert rows(client.get(reverse("audit_export"), {"result": "maybe"})) == []


def test_the_log_is_paginated_newest_first(login, admin, team):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(PAGE_SIZE + 5):
        entry(team, key=f"k{n:03d}", at=start + timedelta(minutes=n))
    client = login(admin)
    first = client.get(reverse("audit_log")).content.decode()
    assert f"k{PAGE_SIZE + 4:03d}" in first and "k000" not in first
    assert "Page 1 of 2" in first
    second = client.get(reverse("audit_log"), {"page": 2}).content.decode()
    assert "k000" in second and f"k{PAGE_SIZE + 4:03d}" not in second


def test_the_csv_export_is_an_attachment_with_every_column(login, admin, team):
    entry(team, key="photo.jpg", size=12)
    response = login(admin).get(reverse("audit_export"))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    (row,) = rows(response)
    assert row["user"] == "ada" and row["team"] == "Blue team" and row["connection"] == "Store"
    assert row["bucket"] == "photos" and row["key"] == "photo.jpg" and row["result"] == "ok"
    assert row["detail"] == '{"size": 12}'


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(login, admin, team):
    entry(team, key="=HYPERLINK(\"http://evil.example\",\"x\")", bucket="+1", username="-2", message="@SUM(A1)")
    (row,) = rows(login(admin).get(reverse("audit_export")))
    assert row["key"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert (row["bucket"], row["user"], row["message"]) == ("'+1", "'-2", "'@SUM(A1)")


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""), (12, "12"),
])
def test_csv_cell_quotes_only_formula_starts(value, expected):
    assert csv_cell(value) == expected


def test_keys_and_messages_are_escaped_on_the_page(login, admin, team):
    entry(team, key='"><img src=x onerror=alert(1)>', message="<script>alert(1)</script>")
    html = login(admin).get(reverse("audit_log")).content.decode()
    assert "<img src=x" not in html and "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
