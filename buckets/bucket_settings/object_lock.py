"""Object Lock: the default retention of a bucket created with Object Lock."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from .inputs import number_field
from .model import LOCK_MODES, Rejected, Setting, Shape, Where

# S3 caps a default retention at 100 years, whichever unit it is given in.
MAX_RETENTION_DAYS = 36500
MAX_RETENTION_YEARS = 100

NO_LOCK = ("This bucket was created without Object Lock, and Object Lock can only be switched "
           "on when a bucket is created.")


def object_lock_read(where: Where) -> dict[str, Any]:
    answer = gateway.object_lock_get(where.connection, where.bucket) or {}
    config = answer.get("ObjectLockConfiguration") or {}
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    enabled = config.get("ObjectLockEnabled") == "Enabled"
    return {"enabled": enabled,
            "blocked": "" if enabled else NO_LOCK,
            "mode": retention.get("Mode", ""),
            # moto reports the unused unit as 0.
            "days": retention.get("Days") or "", "years": retention.get("Years") or ""}


def object_lock_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"enabled": True, "mode": str(data.get("mode", "")),
             "days": str(data.get("days", "")).strip(), "years": str(data.get("years", "")).strip()}
    errors: list[str] = []
    if value["mode"] not in ("", *dict(LOCK_MODES)):
        errors.append("Choose governance, compliance or no default retention.")
    days = number_field(value["days"], "Days", errors, maximum=MAX_RETENTION_DAYS)
    years = number_field(value["years"], "Years", errors, maximum=MAX_RETENTION_YEARS)
    if value["mode"] and (days is None) == (years is None) and not errors:
        errors.append("Give the default retention in days or in years (one of them).")
    if errors:
        raise Rejected(errors, value)
    value["days"], value["years"] = days or "", years or ""
    return value


def object_lock_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    config: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    if value["mode"]:
        retention: dict[str, Any] = {"Mode": value["mode"]}
        retention["Days" if value["days"] else "Years"] = int(value["days"] or value["years"])
        config["Rule"] = {"DefaultRetention": retention}
    gateway.object_lock_put(where.connection, where.bucket, config)


SETTING = Setting("object_lock", object_lock_read, object_lock_parse, object_lock_write,
                  save_label="Save default retention")
