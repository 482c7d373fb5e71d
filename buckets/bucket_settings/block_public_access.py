"""Block public access: the four switches that refuse public ACLs and policies."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from .model import BPA_FLAGS, Setting, Shape, Where


def bpa_read(where: Where) -> dict[str, Any]:
    answer = gateway.public_access_block_get(where.connection, where.bucket)
    flags = (answer or {}).get("PublicAccessBlockConfiguration", {})
    return {"flags": {name: bool(flags.get(name)) for name, _ in BPA_FLAGS},
            "configured": answer is not None}


def bpa_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    return {"flags": {name: data.get(name) == "on" for name, _ in BPA_FLAGS}, "configured": True}


def bpa_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.public_access_block_put(where.connection, where.bucket, value["flags"])


SETTING = Setting("block_public_access", bpa_read, bpa_parse, bpa_write,
                  save_label="Save public access blocks")
