"""Versioning: enabled or suspended (S3 has no way back to "never enabled")."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from .model import Rejected, Setting, Shape, Where


def versioning_read(where: Where) -> dict[str, Any]:
    answer = gateway.versioning_config(where.connection, where.bucket) or {}
    return {"status": answer.get("Status", ""), "mfa_delete": answer.get("MFADelete", "")}


def versioning_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"status": data.get("status", ""), "mfa_delete": ""}
    if value["status"] not in ("Enabled", "Suspended"):
        raise Rejected(["Choose Enabled or Suspended."], value)
    return value


def versioning_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.put_versioning(where.connection, where.bucket, value["status"] == "Enabled")


SETTING = Setting("versioning", versioning_read, versioning_parse, versioning_write,
                  save_label="Save versioning")
