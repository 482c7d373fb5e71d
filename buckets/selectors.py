"""Read queries that feed the team, grant and audit pages. Nothing here writes a row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEntry, Connection, Grant, Membership, Role, Team


def team_members(team: Team) -> list[Membership]:
    return list(team.memberships.select_related("user").order_by("user__username"))


def team_connections_owned(team: Team) -> QuerySet[Connection]:
    return Connection.objects.filter(team=team).prefetch_related("grants__team").order_by("name")


def team_grants_received(team: Team) -> QuerySet[Grant]:
    """Grants of other teams' connections to `team`."""
    return (Grant.objects.filter(team=team).exclude(connection__team=team)
            .select_related("connection", "connection__team").order_by("connection__name"))


def teams_overview() -> list[dict]:
    """Every team with its member count and admins, for site admins."""
    teams = Team.objects.order_by("name").prefetch_related("memberships__user")
    return [
        {"team": t, "members": len(t.memberships.all()),
         "admins": [m.user.username for m in t.memberships.all() if m.role == Role.ADMIN]}
        for t in teams
    ]


def connection_grants(connection: Connection) -> list[Grant]:
    """The owning team's grant first, then the others by team name."""
    grants = list(connection.grants.select_related("team").order_by("created_at"))
    grants.sort(key=lambda g: (g.team_id != connection.team_id, g.team.name.lower()))
    return grants


def audit_filter_values(team: Team, field: str) -> list[str]:
    """The distinct non-empty values of `field` in the team's log, for the filter choices."""
    entries = AuditEntry.objects.filter(team=team).order_by()
    return [v for v in entries.values_list(field, flat=True).distinct().order_by(field) if v]


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    action: str = ""
    connection: str = ""
    bucket: str = ""
    result: str = ""  # "", "ok" or "failed"
    since: date | None = None
    until: date | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def audit_entries(team: Team, wanted: AuditFilter | None) -> QuerySet[AuditEntry]:
    """The team's entries, newest first, narrowed by `wanted`; none at all when it is None
    (an invalid filter shows nothing rather than everything)."""
    entries = AuditEntry.objects.filter(team=team).select_related("team")
    if wanted is None:
        return entries.none()
    if wanted.user:
        entries = entries.filter(username=wanted.user)
    if wanted.action:
        entries = entries.filter(action=wanted.action)
    if wanted.connection:
        entries = entries.filter(connection_name=wanted.connection)
    if wanted.bucket.strip():
        entries = entries.filter(bucket=wanted.bucket.strip())
    if wanted.result:
        entries = entries.filter(ok=wanted.result == "ok")
    if wanted.since:
        entries = entries.filter(at__gte=_start_of(wanted.since))
    if wanted.until:
        entries = entries.filter(at__lt=_start_of(wanted.until + timedelta(days=1)))
    return entries.order_by("-at", "-pk")
