"""Object tags: up to 10 key/value pairs on one object version."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from .. import gateway
from ._tags import tag_set, tags_parse, tags_value
from .model import Setting, Shape, Where

OBJECT_TAG_LIMIT = 10


def object_tags_read(where: Where) -> dict[str, Any]:
    return tags_value(gateway.object_tags_get(where.connection, where.bucket, where.key,
                                              version_id=where.version_id))


def object_tags_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    return tags_parse(data, OBJECT_TAG_LIMIT)


def object_tags_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["tags"]:
        gateway.object_tags_delete(where.connection, where.bucket, where.key,
                                   version_id=where.version_id)
        return
    gateway.object_tags_put(where.connection, where.bucket, where.key, tag_set(value),
                            version_id=where.version_id)


SETTING = Setting("object_tagging", object_tags_read, object_tags_parse, object_tags_write,
                  object_level=True, slug="tags", save_label="Save object tags")
