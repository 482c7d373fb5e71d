"""Object ACL: a canned ACL on one object version."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from ._grants import acl_value, canned_parse
from .model import Setting, Shape, Where


def object_acl_read(where: Where) -> dict[str, Any]:
    return acl_value(gateway.object_acl_get(where.connection, where.bucket, where.key,
                                            version_id=where.version_id))


def object_acl_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value: dict[str, Any] = {"mode": "canned", "canned": "", "grants": [], "owner": "",
                             "groups": [], "users": []}
    canned_parse(data, shape.object_canned_acls, shape, value)
    return value


def object_acl_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.object_acl_put(where.connection, where.bucket, where.key, value["canned"],
                           version_id=where.version_id)


SETTING = Setting("object_acl", object_acl_read, object_acl_parse, object_acl_write,
                  object_level=True, slug="acl", save_label="Save object ACL")
