"""Requester pays: who pays for requests and transfer."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from .model import Rejected, Setting, Shape, Where


def request_payment_read(where: Where) -> dict[str, Any]:
    answer = gateway.request_payment_get(where.connection, where.bucket) or {}
    return {"payer": answer.get("Payer") or "BucketOwner"}


def request_payment_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"payer": str(data.get("payer", ""))}
    if value["payer"] not in ("BucketOwner", "Requester"):
        raise Rejected(["Choose who pays: the bucket owner or the requester."], value)
    return value


def request_payment_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.request_payment_put(where.connection, where.bucket, value["payer"])


SETTING = Setting("request_payment", request_payment_read, request_payment_parse,
                  request_payment_write, save_label="Save who pays")
