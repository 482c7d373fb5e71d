"""Bucket policy: a JSON document, checked for form and for the provider's size limit."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from django.http import QueryDict

from .. import gateway
from .inputs import as_list, json_document, pretty_json
from .model import Rejected, Setting, Shape, Where


def policy_read(where: Where) -> dict[str, Any]:
    text = gateway.policy_get(where.connection, where.bucket)
    return {"text": pretty_json(text) if text else ""}


def policy_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    text = str(data.get("policy", "")).strip()
    value: dict[str, Any] = {"text": text, "warnings": []}
    if not text:
        return value
    # Before parsing: a document over the limit is refused whatever it says.
    limit, size = shape.policy_max_bytes, len(text.encode())
    if limit and size > limit:
        raise Rejected([f"The policy is {size:,} bytes; {shape.provider.label} accepts at most "
                        f"{size_text(limit)} ({limit:,} bytes) on "
                        f"{shape.bucket_type_label.lower()}s."], value)
    document, problem = json_document(text, "The policy")
    if problem:
        raise Rejected([problem], value)
    if not isinstance(document, dict) or "Statement" not in document:
        raise Rejected(["A bucket policy is a JSON object with a Statement."], value)
    value["warnings"] = foreign_resources(document, shape)
    return value


def policy_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["text"]:
        gateway.policy_delete(where.connection, where.bucket)
        return
    gateway.policy_put(where.connection, where.bucket, value["text"])


def foreign_resources(document: dict[str, Any], shape: Shape) -> list[str]:
    """A warning for every statement whose Resource is in another bucket than this one.

    Not a refusal: the endpoint decides (AWS refuses such a policy, others may ignore the
    statement), but a person who pasted a policy from another bucket should know.
    """
    statements = document.get("Statement")
    warnings = []
    for n, statement in enumerate(as_list(statements), start=1):
        if not isinstance(statement, dict):
            continue
        for resource in as_list(statement.get("Resource")):
            bucket = _s3_bucket(resource)
            if bucket and not fnmatchcase(shape.bucket, bucket):
                warnings.append(f"Statement {n}: the resource “{resource}” is in the bucket "
                                f"“{bucket}”, not in “{shape.bucket}”. A bucket policy governs "
                                "only its own bucket, so this statement may be refused or have "
                                "no effect.")
    return warnings


def size_text(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit:,} bytes"


def _s3_bucket(resource: object) -> str:
    """The bucket (or bucket pattern) of an S3 ARN, "" for anything else."""
    if not isinstance(resource, str):
        return ""
    parts = resource.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "s3":
        return ""
    return parts[5].split("/", 1)[0]


SETTING = Setting("bucket_policy", policy_read, policy_parse, policy_write,
                  save_label="Save bucket policy")
