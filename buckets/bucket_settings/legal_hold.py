"""Legal hold: on or off for one object version, on buckets with Object Lock."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from .model import Rejected, Setting, Shape, Where
from .object_lock import object_lock_read


def legal_hold_read(where: Where) -> dict[str, Any]:
    # Without Object Lock on the bucket the endpoints answer the hold GET with 400
    # InvalidRequest, which reads like "not implemented"; asking the bucket first is exact.
    lock = object_lock_read(where)
    if not lock["enabled"]:
        return {"lock_enabled": False, "status": "",
                "blocked": "This bucket was created without Object Lock, so its objects cannot "
                           "be put on legal hold."}
    answer = gateway.legal_hold_get(where.connection, where.bucket, where.key,
                                    version_id=where.version_id) or {}
    return {"lock_enabled": True, "status": (answer.get("LegalHold") or {}).get("Status", "OFF")}


def legal_hold_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"lock_enabled": True, "status": str(data.get("status", ""))}
    if value["status"] not in ("ON", "OFF"):
        raise Rejected(["Choose on or off."], value)
    return value


def legal_hold_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.legal_hold_put(where.connection, where.bucket, where.key, value["status"],
                           version_id=where.version_id)


SETTING = Setting("legal_hold", legal_hold_read, legal_hold_parse, legal_hold_write,
                  object_level=True, slug="legal-hold", save_label="Save legal hold")
