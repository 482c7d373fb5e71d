"""Feature availability: what a provider offers per bucket type, and how to learn it.

The grid reads the catalogue with the connection's detected overrides applied, so it shows
exactly what the settings pages will offer. Detecting features and the team's opt-in for
API-only features are changes, so they are POSTs with an audit row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .. import audit, bucket_settings, catalogue, gateway
from ..access import (
    ConnectionAccess,
    current_membership,
    get_bucket,
    get_connection,
    require_membership,
)
from ..bucket_settings import STATE_CSS, STATE_LABELS
from ..catalogue import State
from ..models import Connection, Role
from ..names import target_bucket_problem

FEATURE_GROUPS = (("bucket", "Bucket features"), ("object", "Object features"),
                  ("account", "Account features"))
CONSTRAINT_LABELS = {
    "canned_acls": "Canned ACLs",
    "acl_grants": "ACL grants beyond canned ACLs",
    "acl_logging_group_grantee": "Logging Group as an ACL grantee",
    "copy_requires_unencrypted": "Object copy only without encryption",
    "cross_region_copy": "Cross-region object copy",
    "upload_part_copy_cross_region": "UploadPartCopy across regions",
    "replication_cross_region": "Cross-region replication",
    "replication_target_types": "Replication destinations",
    "lifecycle_tag_filters": "Tag filters in lifecycle rules",
    "lifecycle_actions": "Lifecycle actions",
    "lifecycle_size_filters": "Lifecycle size filters applied as written",
    "lifecycle_size_filters_offered": "Object size filters in lifecycle rules",
    "logging_target_must_differ": "Log target must differ from the source",
    "sse_modes": "Server-side encryption",
    "sse_c": "SSE-C (customer keys)",
    "copy_sse_c_objects": "Copying SSE-C objects",
    "website_redirects": "Website redirects",
    "website_cdn": "CDN for websites",
    "list_objects_v1": "ListObjects (v1)",
    "policy_max_bytes": "Bucket policy size limit",
    "notifications_clear_with_empty_put": "Clearing notifications with an empty PUT",
    "select_dialect": "S3 Select dialect",
}
DETECT_SESSION_KEY = "detect_answers_{}"


def _plain(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ", ".join(str(v).replace("_", " ") for v in value) or "none"
    if name == "policy_max_bytes" and isinstance(value, int):
        return f"{value // 1024} KiB"
    return {"api_only": "API only", "console": "console"}.get(str(value), str(value))


def _cell(availability: catalogue.Availability, **extra: object) -> dict:
    return {"availability": availability, "css": STATE_CSS[availability.state],
            "label": STATE_LABELS[availability.state], **extra}


def _grid(connection: Connection, highlight: str) -> list[dict]:
    provider = connection.provider_info
    overrides = connection.detected_features or None
    groups = []
    for group_id, label in FEATURE_GROUPS:
        rows = []
        for feature in catalogue.FEATURES.values():
            if feature.group != group_id:
                continue
            cells = []
            for bucket_type in provider.bucket_types:
                shown = catalogue.availability(provider.id, bucket_type.id, feature.id, overrides)
                documented = catalogue.availability(provider.id, bucket_type.id, feature.id)
                cells.append(_cell(shown, type=bucket_type, highlight=bucket_type.id == highlight,
                                   changed=shown != documented, documented=documented))
            detected = (connection.detected_features or {}).get(feature.id, "")
            rows.append({"feature": feature, "cells": cells,
                         "detected": STATE_LABELS.get(State(detected), "") if detected else "",
                         "probed": feature.id in catalogue.DETECT_PROBES})
        groups.append({"label": label, "rows": rows})
    return groups


def _constraints(provider: catalogue.Provider) -> list[dict]:
    return [
        {"type": bucket_type,
         "items": [(CONSTRAINT_LABELS.get(name, name.replace("_", " ")), _plain(name, value))
                   for name, value in provider.constraints.get(bucket_type.id, {}).items()]}
        for bucket_type in provider.bucket_types
    ]


def _comparison() -> dict:
    columns = [(p, t) for p in catalogue.PROVIDERS.values() for t in p.bucket_types]
    rows = []
    for feature in catalogue.FEATURES.values():
        cells = [_cell(p.matrix[t.id][feature.id], provider=p, type=t) for p, t in columns]
        rows.append({"feature": feature, "cells": cells})
    return {"providers": [(p, len(p.bucket_types)) for p in catalogue.PROVIDERS.values()],
            "columns": columns, "rows": rows}


def _opt_in(request: HttpRequest, access: ConnectionAccess | None) -> dict:
    membership = current_membership(request)
    team = access.team if access else (membership.team if membership else None)
    can_toggle = bool(membership and team and membership.team_id == team.pk
                      and membership.has_role(Role.ADMIN))
    return {"team": team, "can_toggle_api_only": can_toggle}


def _detect_buckets(access: ConnectionAccess) -> list[str]:
    if access.granted_buckets:
        return access.granted_buckets
    try:
        return [b.name for b in gateway.list_buckets(access.connection)]
    except gateway.S3Error:
        return []  # the form falls back to a text field


def _page(request: HttpRequest, access: ConnectionAccess, *, bucket: str = "",
          bucket_type: str = "") -> HttpResponse:
    connection = access.connection
    provider = connection.provider_info
    highlight = bucket_type
    can_detect = access.can(Role.EDITOR) and access.is_owner
    context = {
        "access": access,
        "connection": connection,
        "bucket": bucket,
        "tab": "features",
        "provider": provider,
        "highlight": highlight,
        "highlight_label": next((t.label for t in provider.bucket_types if t.id == highlight), ""),
        "grid": _grid(connection, highlight),
        "type_count": len(provider.bucket_types),
        "constraints": _constraints(provider),
        "comparison": _comparison(),
        "can_detect": can_detect,
        "detect_buckets": [bucket] if bucket else (_detect_buckets(access) if can_detect else []),
        "detect_answers": request.session.pop(DETECT_SESSION_KEY.format(connection.pk), None),
        "is_generic": provider.id == catalogue.GENERIC.id,
        "states": [(STATE_CSS[s], STATE_LABELS[s], _LEGEND[s]) for s in State],
        **_opt_in(request, access),
    }
    return render(request, "buckets/features.html", context)


_LEGEND = {
    State.CONSOLE: "offered in this console",
    State.API_ONLY: "the provider offers it only through its API: shown disabled with the "
                    "reason and a snippet, unless your team opted in",
    State.UNSUPPORTED: "not offered, and never sent to the endpoint",
}


@require_GET
def connection_features(request: HttpRequest, connection_id: int) -> HttpResponse:
    access = get_connection(request, connection_id)
    return _page(request, access)


@require_GET
def bucket_features(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    return _page(request, target.access, bucket=bucket, bucket_type=target.bucket_type)


@require_GET
def compare_features(request: HttpRequest) -> HttpResponse:
    require_membership(request)
    context = {"comparison": _comparison(), "compare_only": True,
               "states": [(STATE_CSS[s], STATE_LABELS[s], _LEGEND[s]) for s in State],
               **_opt_in(request, None)}
    return render(request, "buckets/features.html", context)


def _back(request: HttpRequest, connection_id: int) -> str:
    scope_bucket = request.POST.get("scope_bucket", "")
    # Only a name a bucket can carry: a "/" would make reverse() fail instead of a page.
    if scope_bucket and not target_bucket_problem(scope_bucket):
        return reverse("bucket_features", args=[connection_id, scope_bucket])
    return reverse("connection_features", args=[connection_id])


@require_POST
def detect_features(request: HttpRequest, connection_id: int) -> HttpResponse:
    target = get_bucket(request, connection_id, request.POST.get("bucket", ""), Role.EDITOR)
    connection = target.connection
    if not target.access.is_owner:
        raise PermissionDenied("Only the team that owns the connection detects its features.")
    if not target.bucket or target_bucket_problem(target.bucket):
        messages.error(request, "Choose a bucket to probe.")
        return redirect(_back(request, connection_id))
    try:
        detection = bucket_settings.features_detect(connection=connection, bucket=target.bucket)
    except bucket_settings.DetectionFailed as exc:
        audit.record(request, "connection.features.detect", connection=connection,
                     bucket=target.bucket, ok=False, message=str(exc))
        messages.error(request, f"Features were not detected: {exc}")
        return redirect(_back(request, connection_id))
    connection.detected_features = detection.states
    connection.detected_at = timezone.now()
    connection.save(update_fields=["detected_features", "detected_at", "updated_at"])
    counts = {state.value: list(detection.states.values()).count(state.value) for state in State}
    unknown = len(catalogue.DETECT_PROBES) - len(detection.states)
    audit.record(request, "connection.features.detect", connection=connection,
                 bucket=target.bucket, unknown=unknown, **counts)
    request.session[DETECT_SESSION_KEY.format(connection.pk)] = detection.answers
    messages.success(request, f"Probed “{target.bucket}”: {counts['console']} answered, "
                              f"{counts['unsupported']} not implemented, {unknown} unknown.")
    return redirect(_back(request, connection_id))


@require_POST
def detect_clear(request: HttpRequest, connection_id: int) -> HttpResponse:
    access = get_connection(request, connection_id, Role.EDITOR)
    if not access.is_owner:
        raise PermissionDenied("Only the team that owns the connection changes its features.")
    access.connection.detected_features = {}
    access.connection.detected_at = None
    access.connection.save(update_fields=["detected_features", "detected_at", "updated_at"])
    audit.record(request, "connection.features.clear", connection=access.connection)
    messages.success(request, "Detected features cleared: the catalogue alone decides again.")
    return redirect(_back(request, connection_id))


