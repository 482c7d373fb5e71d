"""The audit log: who changed what, filterable, paginated and exportable as CSV.

Team admins read their current team's entries only; an entry of any other team answers
404 (403 for a member of that team without the admin role).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from .. import selectors
from ..access import require_membership
from ..forms import AuditFilterForm
from ..models import AuditEntry, Membership, Role
from .common import render_page

PAGE_SIZE = 50
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ["time", "user", "team", "connection", "bucket", "key", "action", "result", "message", "detail", "ip"]


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request, Role.ADMIN)
    # Always bound: with no filters at all it is valid and shows everything.
    form = AuditFilterForm(request.GET, team=membership.team)
    page = Paginator(selectors.audit_entries(membership.team, form.wanted()), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "audit", "team": membership.team, "form": form, "page": page, "query": _query_without_page(request)}
    return render_page(request, "buckets/audit_log.html", "results", context)


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
    entries = selectors.audit_entries(membership.team, form.wanted())
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
    return render_page(request, "buckets/audit_entry.html", "dialog", context)
