"""Access logging: a log of requests written into another (or the same) bucket."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from .inputs import bucket_from, target_bucket_problem
from .model import Rejected, Setting, Shape, Where


def logging_read(where: Where) -> dict[str, Any]:
    answer = gateway.logging_get(where.connection, where.bucket) or {}
    enabled = answer.get("LoggingEnabled") or {}
    return {"enabled": bool(enabled), "target_bucket": enabled.get("TargetBucket", ""),
            "target_prefix": enabled.get("TargetPrefix", "")}


def logging_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"enabled": data.get("enabled") == "on",
             "target_bucket": bucket_from(str(data.get("target_bucket", ""))),
             "target_prefix": str(data.get("target_prefix", "")).strip()}
    if not value["enabled"]:
        return value
    errors = []
    problem = target_bucket_problem(value["target_bucket"])
    if not value["target_bucket"]:
        errors.append("Name the bucket that receives the logs.")
    elif problem:
        errors.append(f"Target bucket: {problem}")
    elif shape.logging_target_must_differ and value["target_bucket"] == shape.bucket:
        errors.append(f"{shape.provider.label} needs the log target to be a different bucket "
                      "from the source.")
    if errors:
        raise Rejected(errors, value)
    return value


def logging_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    status: dict[str, Any] = {}
    if value["enabled"]:
        status["LoggingEnabled"] = {"TargetBucket": value["target_bucket"],
                                    "TargetPrefix": value["target_prefix"]}
    gateway.logging_put(where.connection, where.bucket, status)


SETTING = Setting("access_logging", logging_read, logging_parse, logging_write,
                  save_label="Save access logging")
