"""Object ownership: who owns uploaded objects, and whether ACLs apply at all."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from .model import OWNERSHIP_CHOICES, Rejected, Setting, Shape, Where


def ownership_read(where: Where) -> dict[str, Any]:
    answer = gateway.ownership_get(where.connection, where.bucket) or {}
    rules = (answer.get("OwnershipControls") or {}).get("Rules") or []
    return {"ownership": rules[0].get("ObjectOwnership", "") if rules else ""}


def ownership_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"ownership": str(data.get("ownership", ""))}
    if value["ownership"] not in dict(OWNERSHIP_CHOICES):
        raise Rejected(["Choose an object ownership setting."], value)
    return value


def ownership_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.ownership_put(where.connection, where.bucket, value["ownership"])


SETTING = Setting("object_ownership", ownership_read, ownership_parse, ownership_write,
                  save_label="Save object ownership")
