"""What bucket tags and object tags share (their template is ``settings/_tags.html``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

from .model import Rejected


def tags_value(answer: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"tags": [{"key": t["Key"], "value": t.get("Value", "")}
                     for t in (answer or {}).get("TagSet", [])]}


def tags_parse(data: QueryDict, limit: int) -> dict[str, Any]:
    keys, values = data.getlist("tag-key"), data.getlist("tag-value")
    tags, errors = [], []
    for key, val in zip(keys, values + [""] * (len(keys) - len(values)), strict=False):
        key, val = key.strip(), val.strip()
        if not key and not val:
            continue
        if not key:
            errors.append(f"The tag with value “{val}” has no key.")
        elif key.lower().startswith("aws:"):
            errors.append(f"Tag keys starting with aws: are reserved ({key}).")
        if len(key) > 128 or len(val) > 256:
            errors.append(f"Tag “{key[:40]}”: keys are up to 128 and values up to 256 characters.")
        tags.append({"key": key, "value": val})
    names = [t["key"] for t in tags]
    if len(names) != len(set(names)):
        errors.append("Each tag key may appear only once.")
    if len(tags) > limit:
        errors.append(f"At most {limit} tags.")
    value = {"tags": tags}
    if errors:
        raise Rejected(errors, value)
    return value


def tag_set(value: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"Key": t["key"], "Value": t["value"]} for t in value["tags"]]
