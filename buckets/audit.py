"""The audit log: one row for every change made, or attempted, through the console."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .models import AuditEntry, Connection, Team

ACTING_TEAM_ATTR = "_console_acting_team"


def client_ip(request: HttpRequest) -> str | None:
    """The user's address; behind a trusted proxy, the first X-Forwarded-For entry."""
    if settings.CONSOLE_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def record(
    request: HttpRequest | None,
    action: str,
    *,
    team: Team | None = None,
    connection: Connection | None = None,
    bucket: str = "",
    key: str = "",
    ok: bool = True,
    message: str = "",
    user=None,
    **detail: Any,
) -> AuditEntry:
    """File the entry under the team that acted; the owner of a shared connection gets a copy."""
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    # A caller naming the team files exactly that entry; otherwise the owner gets a copy.
    copy_to_owner = team is None
    if team is None and request is not None:
        team = getattr(request, ACTING_TEAM_ATTR, None)
    if team is None and connection is not None:
        team = connection.team
    fields = {
        "user": user,
        "username": getattr(user, "username", "") or "",
        "connection": connection,
        "connection_name": connection.name if connection else "",
        "bucket": bucket,
        "key": key,
        "action": action,
        "detail": detail,
        "ok": ok,
        "message": message[:2000],
        "ip": client_ip(request) if request is not None else None,
    }
    entry = AuditEntry.objects.create(team=team, **fields)
    if copy_to_owner and connection is not None and team is not None and connection.team_id != team.pk:
        AuditEntry.objects.create(team_id=connection.team_id, **fields)
    return entry
