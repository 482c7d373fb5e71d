"""Bucket ACL: a canned ACL, or grants to groups and canonical users where the provider
allows them."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from ._grants import URI_GROUPS, acl_value, canned_parse, group_rows
from .model import GROUP_LABELS, GROUP_URIS, PERMISSIONS, Rejected, Setting, Shape, Where


def bucket_acl_read(where: Where) -> dict[str, Any]:
    return acl_value(gateway.bucket_acl_get(where.connection, where.bucket))


def bucket_acl_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    mode = str(data.get("mode", "canned"))
    groups = group_rows()
    value: dict[str, Any] = {"mode": mode, "canned": "", "grants": [], "owner": "",
                             "groups": list(groups.values()), "users": []}
    if mode == "canned":
        canned_parse(data, shape.canned_acls, shape, value)
        return value
    if mode != "grants" or not shape.acl_grants:
        raise Rejected([f"{shape.provider.label} accepts only canned ACLs here "
                        f"({', '.join(shape.canned_acls)})."], value)
    errors = []
    allowed_groups = {name for name, _ in shape.acl_groups}
    for name in GROUP_URIS:
        permissions = [p for p in data.getlist(f"group-{name}") if p]
        groups[name]["permissions"] = permissions
        if permissions and name not in allowed_groups:
            errors.append(f"{shape.provider.label} does not allow the {GROUP_LABELS[name]} as a "
                          f"grantee on {shape.bucket_type_label.lower()}s.")
        if set(permissions) - set(PERMISSIONS):
            errors.append(f"Unknown permission for {GROUP_LABELS[name]}.")
    for user_id, permission in zip(data.getlist("user-id"), data.getlist("user-permission"),
                                   strict=False):
        if not user_id.strip():
            continue
        value["users"].append({"id": user_id.strip(), "permission": permission})
        if permission not in PERMISSIONS:
            errors.append(f"Choose a permission for {user_id.strip()}.")
        if user_id.strip() in URI_GROUPS or user_id.strip().startswith("http"):
            errors.append("A canonical user ID is expected, not a group URI.")
    if errors:
        raise Rejected(errors, value)
    return value


def bucket_acl_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if value["mode"] == "canned":
        gateway.bucket_acl_put(where.connection, where.bucket, canned=value["canned"])
        return
    # A grant list replaces the whole ACL, so the owner's full control goes in explicitly.
    owner = gateway.bucket_acl_get(where.connection, where.bucket)["Owner"]
    grants = [{"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]},
               "Permission": "FULL_CONTROL"}]
    for group in value["groups"]:
        grants += [{"Grantee": {"Type": "Group", "URI": GROUP_URIS[group["name"]]},
                    "Permission": p} for p in group["permissions"]]
    grants += [{"Grantee": {"Type": "CanonicalUser", "ID": u["id"]}, "Permission": u["permission"]}
               for u in value["users"]]
    gateway.bucket_acl_put(where.connection, where.bucket,
                           policy={"Grants": grants, "Owner": owner})


SETTING = Setting("bucket_acl", bucket_acl_read, bucket_acl_parse, bucket_acl_write,
                  save_label="Save bucket ACL")
