"""Bucket tags: up to 50 key/value pairs on the bucket."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from ._tags import tag_set, tags_parse, tags_value
from .model import Setting, Shape, Where

BUCKET_TAG_LIMIT = 50


def bucket_tags_read(where: Where) -> dict[str, Any]:
    return tags_value(gateway.bucket_tags_get(where.connection, where.bucket))


def bucket_tags_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    return tags_parse(data, BUCKET_TAG_LIMIT)


def bucket_tags_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["tags"]:
        gateway.bucket_tags_delete(where.connection, where.bucket)
        return
    gateway.bucket_tags_put(where.connection, where.bucket, tag_set(value))


SETTING = Setting("bucket_tagging", bucket_tags_read, bucket_tags_parse, bucket_tags_write,
                  save_label="Save bucket tags")
