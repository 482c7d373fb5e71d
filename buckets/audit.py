"""The audit log: one row for every change made, or attempted, through the console."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import AuditEntry, Connection, Team


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
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if team is None and connection is not None:
        team = connection.team
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    return AuditEntry.objects.create(
        user=user,
        username=getattr(user, "username", "") or "",
        team=team,
        connection=connection,
        connection_name=connection.name if connection else "",
        bucket=bucket,
        key=key,
        action=action,
        detail=detail,
        ok=ok,
        message=message[:2000],
        ip=ip or None,
    )
