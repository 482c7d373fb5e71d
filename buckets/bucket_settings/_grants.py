"""What bucket and object ACLs share (their template is ``settings/_grants.html``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

from .model import GROUP_LABELS, GROUP_URIS, Rejected, Shape

URI_GROUPS = {uri: name for name, uri in GROUP_URIS.items()}
_CANNED_GRANTS: dict[frozenset, str] = {
    frozenset(): "private",
    frozenset({("AllUsers", "READ")}): "public-read",
    frozenset({("AllUsers", "READ"), ("AllUsers", "WRITE")}): "public-read-write",
    frozenset({("AuthenticatedUsers", "READ")}): "authenticated-read",
    frozenset({("LogDelivery", "WRITE"), ("LogDelivery", "READ_ACP")}): "log-delivery-write",
}


def group_rows() -> dict[str, dict[str, Any]]:
    return {name: {"name": name, "label": GROUP_LABELS[name], "permissions": []}
            for name in GROUP_URIS}


def acl_value(answer: Mapping[str, Any]) -> dict[str, Any]:
    """An ACL as the form shows it: its grants, and the canned ACL it equals, if any."""
    owner = answer.get("Owner") or {}
    owner_id = owner.get("ID", "")
    shown, groups, users, others = [], group_rows(), [], set()
    for grant in answer.get("Grants", []):
        grantee, permission = grant.get("Grantee") or {}, grant.get("Permission", "")
        group = URI_GROUPS.get(grantee.get("URI", ""))
        if group:
            groups[group]["permissions"].append(permission)
            others.add((group, permission))
            label = GROUP_LABELS[group]
        elif grantee.get("ID") == owner_id and owner_id:
            label = f"Owner ({grantee.get('DisplayName') or owner.get('DisplayName') or owner_id})"
            if permission != "FULL_CONTROL":
                others.add(("owner", permission))
        else:
            label = grantee.get("DisplayName") or grantee.get("ID") or grantee.get(
                "EmailAddress", "?")
            users.append({"id": grantee.get("ID", ""), "permission": permission})
            others.add(("user", grantee.get("ID", "")))
        shown.append({"grantee": label, "permission": permission})
    return {
        "owner": owner.get("DisplayName") or owner_id,
        "grants": shown,
        "canned": _CANNED_GRANTS.get(frozenset(others), ""),
        "mode": "canned",
        "groups": list(groups.values()),
        "users": users,
    }


def canned_parse(data: QueryDict, allowed: tuple[str, ...], shape: Shape,
                 value: dict[str, Any]) -> None:
    acl = str(data.get("acl", ""))
    value["canned"] = acl
    if acl not in allowed:
        raise Rejected([f"{shape.provider.label} offers only these canned ACLs here: "
                        f"{', '.join(allowed)}; “{acl}” is refused."], value)
