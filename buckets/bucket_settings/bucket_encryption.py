"""Default encryption: what S3 applies to every new object of the bucket."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from .model import SSE_ALGORITHMS, Rejected, Setting, Shape, Where


def encryption_read(where: Where) -> dict[str, Any]:
    answer = gateway.default_encryption_get(where.connection, where.bucket) or {}
    # RGW 16.2 answers 200 with an empty configuration when nothing is set.
    rules = (answer.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
    by_algorithm = {v: k for k, v in SSE_ALGORITHMS.items()}
    return {"mode": by_algorithm.get(default.get("SSEAlgorithm", ""), "none"),
            "algorithm": default.get("SSEAlgorithm", ""),
            "kms_key": default.get("KMSMasterKeyID", "")}


def encryption_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"mode": str(data.get("mode", "none")), "algorithm": "",
             "kms_key": str(data.get("kms_key", "")).strip()}
    allowed = [mode for mode, _ in shape.sse_choices]
    if value["mode"] != "none" and value["mode"] not in allowed:
        raise Rejected([f"{shape.provider.label} offers {', '.join(allowed) or 'no'} default "
                        f"encryption here, not {value['mode']}."], value)
    return value


def encryption_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if value["mode"] == "none":
        gateway.default_encryption_delete(where.connection, where.bucket)
        return
    default: dict[str, Any] = {"SSEAlgorithm": SSE_ALGORITHMS[value["mode"]]}
    if value["mode"] == "SSE-KMS" and value["kms_key"]:
        default["KMSMasterKeyID"] = value["kms_key"]
    gateway.default_encryption_put(where.connection, where.bucket, default)


SETTING = Setting("bucket_encryption", encryption_read, encryption_parse, encryption_write,
                  save_label="Save default encryption")
