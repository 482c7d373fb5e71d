"""The audit log: who changed what, filterable, paginated and exportable as CSV.

Team admins read their current team's entries only; an entry of any other team answers
404 (403 for a member of that team without the admin role).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from ..access import require_membership
from ..models import AuditEntry, Membership, Role, Team

PAGE_SIZE = 50
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ["time", "user", "team", "connection", "bucket", "key", "action", "result", "message", "detail", "ip"]


def _choices(values, empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(v, v) for v in values if v]


class AuditFilterForm(forms.Form):
    user = forms.ChoiceField(required=False)
    action = forms.ChoiceField(required=False)
    connection = forms.ChoiceField(required=False)
    bucket = forms.CharField(required=False, max_length=255)
    result = forms.ChoiceField(required=False, choices=[("", "Any result"), ("ok", "Succeeded"), ("failed", "Failed")])
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        entries = AuditEntry.objects.filter(team=team).order_by()
        distinct = lambda field: entries.values_list(field, flat=True).distinct().order_by(field)  # noqa: E731
        self.fields["user"].choices = _choices(distinct("username"), "Anyone")
        self.fields["action"].choices = _choices(distinct("action"), "Any action")
        self.fields["connection"].choices = _choices(distinct("connection_name"), "Any connection")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data


def _start_of(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def filtered_entries(team: Team, form: AuditFilterForm) -> QuerySet[AuditEntry]:
    """The team's entries, newest first, narrowed by the valid filters of `form`."""
    entries = AuditEntry.objects.filter(team=team).select_related("team")
    if not form.is_valid():
        return entries.none()
    data = form.cleaned_data
    if data["user"]:
        entries = entries.filter(username=data["user"])
    if data["action"]:
        entries = entries.filter(action=data["action"])
    if data["connection"]:
        entries = entries.filter(connection_name=data["connection"])
    if data["bucket"].strip():
        entries = entries.filter(bucket=data["bucket"].strip())
    if data["result"]:
        entries = entries.filter(ok=data["result"] == "ok")
    if data["since"]:
        entries = entries.filter(at__gte=_start_of(data["since"]))
    if data["until"]:
        entries = entries.filter(at__lt=_start_of(data["until"] + timedelta(days=1)))
    return entries.order_by("-at", "-pk")


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request, Role.ADMIN)
    # Always bound: with no filters at all it is valid and shows everything.
    form = AuditFilterForm(request.GET, team=membership.team)
    page = Paginator(filtered_entries(membership.team, form), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "audit", "team": membership.team, "form": form, "page": page, "query": _query_without_page(request)}
    if request.htmx:
        return render(request, "buckets/audit_log.html#results", context)
    return render(request, "buckets/audit_log.html", context)


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text: formula-like values get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for e in entries.iterator(chunk_size=500):
        yield writer.writerow([csv_cell(v) for v in (
            e.at.isoformat(), e.username, e.team.name if e.team else "", e.connection_name, e.bucket, e.key,
            e.action, "ok" if e.ok else "failed", e.message,
            json.dumps(e.detail, sort_keys=True, ensure_ascii=False) if e.detail else "", e.ip or "",
        )])


@require_GET
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    membership = require_membership(request, Role.ADMIN)
    form = AuditFilterForm(request.GET, team=membership.team)
    entries = filtered_entries(membership.team, form)
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv; charset=utf-8")
    name = f"audit-{membership.team.pk}-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def audit_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = AuditEntry.objects.select_related("team").filter(pk=entry_id, team__isnull=False).first()
    membership = (
        Membership.objects.filter(user=request.user, team_id=entry.team_id).first() if entry is not None else None
    )
    if membership is None:
        raise Http404("No such audit entry.")
    if not membership.has_role(Role.ADMIN):
        raise PermissionDenied(f"The audit log of {entry.team} is for its admins.")
    context = {
        "nav": "audit",
        "entry": entry,
        "detail_json": json.dumps(entry.detail, indent=2, sort_keys=True, ensure_ascii=False) if entry.detail else "",
    }
    if request.htmx:
        return render(request, "buckets/audit_entry.html#dialog", context)
    return render(request, "buckets/audit_entry.html", context)
