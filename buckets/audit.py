"""The audit log: one row for every change made, or attempted, through the console."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditEntry, Connection, Team

ACTING_TEAM_ATTR = "_console_acting_team"


def _address(value: str) -> str | None:
    """`value` as an IP address ("1.2.3.4", "1.2.3.4:5678", "[::1]:80"), or None."""
    value = value.strip()
    candidates = [value]
    if value.startswith("[") and "]" in value:
        candidates.append(value[1 : value.index("]")])
    elif value.count(":") == 1:
        candidates.append(value.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_ip(request: HttpRequest) -> str | None:
    """The user's address, for the audit log and for login throttling.

    Behind CONSOLE_PROXY_HOPS trusted proxies, the X-Forwarded-For entry the outermost of them
    appended: each proxy appends the address it was connected from, so with one proxy that is
    the last entry. Entries to the left of it are whatever the client sent, and trusting them
    gave an attacker unlimited password guesses and a forged address in the audit log.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if not settings.CONSOLE_BEHIND_PROXY:
        return remote
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if not entries:
        return remote
    # Fewer entries than hops: the request skipped an outer proxy; the first entry is then
    # the one the innermost proxy appended, still not the client's own writing.
    trusted = entries[-settings.CONSOLE_PROXY_HOPS] if len(entries) >= settings.CONSOLE_PROXY_HOPS else entries[0]
    return _address(trusted) or remote


class LoginThrottle(AxesDatabaseHandler):
    """django-axes' lock per username and address, plus a limit per account.

    The pair lock (CONSOLE_LOGIN_FAILURE_LIMIT failures) stops guessing from one address. An
    attacker with many addresses is stopped by the account limit: at most
    CONSOLE_LOGIN_ACCOUNT_LIMIT failures within the cool-off window, from all addresses
    together. The account limit does not apply from an address the account signed in from
    successfully within CONSOLE_LOGIN_KNOWN_ADDRESS_DAYS, so an attacker cannot lock the
    owner out from the owner's usual address (docs/security.md).
    """

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return account_throttled(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # axes shows its lockout page only when its own count says so; ours must too.
        if request is not None and not request.axes_locked_out and account_throttled(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials


def account_throttled(request: HttpRequest, credentials: dict | None) -> bool:
    username = get_client_username(request, credentials)
    if not username:
        return False
    now = timezone.now()
    failures = AccessAttempt.objects.filter(
        username=username, attempt_time__gte=now - timedelta(hours=settings.AXES_COOLOFF_TIME)
    ).aggregate(total=Sum("failures_since_start"))["total"] or 0
    if failures < settings.CONSOLE_LOGIN_ACCOUNT_LIMIT:
        return False
    known = AccessLog.objects.filter(
        username=username,
        ip_address=getattr(request, "axes_ip_address", None) or client_ip(request),
        attempt_time__gte=now - timedelta(days=settings.CONSOLE_LOGIN_KNOWN_ADDRESS_DAYS),
    ).exists()
    if known:
        return False
    request.console_account_throttled = True  # the lockout page explains which limit
    return True


def _storable(value: Any) -> Any:
    """`value` with NUL written as the text "\\x00": PostgreSQL stores no NUL in text or jsonb,
    and a hostile key must still leave its trace in the log rather than fail the request."""
    if isinstance(value, str):
        return value.replace("\x00", "\\x00")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


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
    fields = {name: _storable(value) for name, value in fields.items()}
    entry = AuditEntry.objects.create(team=team, **fields)
    if copy_to_owner and connection is not None and team is not None and connection.team_id != team.pk:
        AuditEntry.objects.create(team_id=connection.team_id, **fields)
    return entry
