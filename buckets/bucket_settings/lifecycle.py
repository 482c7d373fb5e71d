"""Lifecycle rules: expire, transition and clean up objects by prefix, and by tags and object
size where the provider filters by them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import QueryDict

from .. import gateway
from .inputs import as_list, lines, number_field, rule_forms, rule_formset, rule_raw
from .model import (
    LIFECYCLE_ACTION_LABELS,
    LIFECYCLE_SIZE_UNITS,
    STORAGE_CLASSES,
    Rejected,
    Setting,
    Shape,
    Where,
)

LIFECYCLE_RULE_LIMIT = 1000  # S3 keeps at most 1,000 lifecycle rules per bucket
DAY_FIELDS = (("expiration_days", "Days until expiration"),
              ("noncurrent_days", "Days until noncurrent versions expire"),
              ("transition_days", "Days until transition"),
              ("noncurrent_transition_days", "Days until noncurrent transition"),
              ("abort_days", "Days until unfinished uploads are aborted"))
# ObjectSizeGreaterThan / ObjectSizeLessThan: S3 carries them as 64-bit integers of bytes, and
# compares strictly (greater than 100 spares an object of exactly 100 bytes).
S3_LONG_MAX = 2**63 - 1
SIZE_UNITS = LIFECYCLE_SIZE_UNITS
SIZE_FACTORS = {unit: factor for unit, _word, factor in SIZE_UNITS}
SIZE_WORDS = {unit: word for unit, word, _factor in SIZE_UNITS}
SIZE_FIELDS = (("size_greater_than", "ObjectSizeGreaterThan", "Only objects larger than"),
               ("size_less_than", "ObjectSizeLessThan", "Only objects smaller than"))


class LifecycleRuleForm(forms.Form):
    id = forms.CharField(required=False)
    enabled = forms.BooleanField(required=False)
    prefix = forms.CharField(required=False, strip=False)
    tags = forms.CharField(required=False, strip=False)
    expiration_days = forms.CharField(required=False)
    noncurrent_days = forms.CharField(required=False)
    transition_days = forms.CharField(required=False)
    transition_class = forms.CharField(required=False)
    noncurrent_transition_days = forms.CharField(required=False)
    noncurrent_transition_class = forms.CharField(required=False)
    abort_days = forms.CharField(required=False)
    # ObjectSizeGreaterThan / ObjectSizeLessThan: an amount and its unit (bytes when none is
    # sent, as scripts from before the unit helper post them).
    size_greater_than = forms.CharField(required=False)
    size_greater_than_unit = forms.CharField(required=False)
    size_less_than = forms.CharField(required=False)
    size_less_than_unit = forms.CharField(required=False)
    remove = forms.BooleanField(required=False)


LifecycleRules = rule_formset(LifecycleRuleForm, limit=LIFECYCLE_RULE_LIMIT)


def lifecycle_filter(rule: Mapping[str, Any]) -> tuple[str, list[dict[str, str]], list[str]]:
    """(prefix, tags, parts the form cannot edit) of a rule in any shape endpoints send.

    AWS sends ``Filter: {And: {Prefix, Tags}}``; RGW 16.2 sends the prefix beside the
    ``And`` (``Filter: {Prefix, And: {Tags}}``) or a bare ``Filter: {Prefix, Tag}``; old
    rules carry a top-level ``Prefix``. Object sizes are read by `lifecycle_sizes`.
    """
    flt = rule.get("Filter")
    prefix = str(rule.get("Prefix") or "")
    tags: list[dict[str, str]] = []
    extra: list[str] = []
    if isinstance(flt, Mapping):
        both = flt.get("And") if isinstance(flt.get("And"), Mapping) else {}
        prefix = str(flt.get("Prefix") or both.get("Prefix") or prefix)
        for tag in as_list(flt.get("Tag")) + as_list(both.get("Tags")) + as_list(both.get("Tag")):
            if isinstance(tag, Mapping) and "Key" in tag:
                item = {"key": str(tag["Key"]), "value": str(tag.get("Value", ""))}
                if item not in tags:
                    tags.append(item)
    return prefix, tags, extra


def lifecycle_sizes(rule: Mapping[str, Any]) -> tuple[dict[str, int], list[str]]:
    """({form field: bytes}, parts the form cannot edit) of a rule's object size filters,
    beside the prefix (``Filter: {ObjectSizeGreaterThan}``) or in the ``And``."""
    flt = rule.get("Filter")
    sizes: dict[str, int] = {}
    extra: list[str] = []
    if not isinstance(flt, Mapping):
        return sizes, extra
    both = flt.get("And") if isinstance(flt.get("And"), Mapping) else {}
    for name, s3_name, _what in SIZE_FIELDS:
        found = next((part[s3_name] for part in (flt, both) if part.get(s3_name) not in (None, "")), None)
        if found is None:
            continue
        try:
            number = int(found)
        except (TypeError, ValueError):
            number = -1
        if 0 <= number <= S3_LONG_MAX:
            sizes[name] = number
        else:
            extra.append(f"an unreadable {s3_name} ({str(found)[:40]})")
    return sizes, extra


def size_text(rule: Mapping[str, Any]) -> str:
    """"larger than 1,024 bytes and smaller than 5,242,880 bytes": a rule's sizes in words."""
    parts = [f"{what.removeprefix('Only objects ')} {rule[name]:,} bytes"
             for name, _s3_name, what in SIZE_FIELDS if rule.get(name) is not None]
    return " and ".join(parts)


def size_shown(size: int | None) -> tuple[str, str]:
    """(amount, unit) for the form: the largest unit that holds a size exactly, else bytes."""
    if size is None:
        return "", "B"
    for unit, _word, factor in reversed(SIZE_UNITS):
        if size and size % factor == 0:
            return str(size // factor), unit
    return str(size), "B"


def lifecycle_rule_value(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One rule as the endpoint sent it, in the form's words."""
    prefix, tags, extra = lifecycle_filter(rule)
    sizes, unreadable = lifecycle_sizes(rule)
    extra += unreadable
    expiration = rule.get("Expiration") or {}
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    transitions = rule.get("Transitions") or []
    nc_transitions = rule.get("NoncurrentVersionTransitions") or []
    if expiration.get("Date"):
        extra.append("expiration on a date")
    if expiration.get("ExpiredObjectDeleteMarker"):
        extra.append("removal of expired delete markers")
    if noncurrent.get("NewerNoncurrentVersions"):
        extra.append("number of newer noncurrent versions kept")
    if len(transitions) > 1 or any(t.get("Date") for t in transitions):
        extra.append("more than one transition, or one on a date")
    if len(nc_transitions) > 1:
        extra.append("more than one noncurrent transition")
    first_t = transitions[0] if transitions else {}
    first_nt = nc_transitions[0] if nc_transitions else {}
    shown: dict[str, Any] = {}
    for name, _s3_name, _what in SIZE_FIELDS:
        amount, unit = size_shown(sizes.get(name))
        shown.update({name: sizes.get(name), f"{name}_amount": amount, f"{name}_unit": unit})
    return {
        "id": rule.get("ID", ""),
        "enabled": rule.get("Status", "Enabled") == "Enabled",
        "prefix": prefix,
        "tags": tags,
        "tags_text": "\n".join(f"{t['key']}={t['value']}" for t in tags),
        "expiration_days": expiration.get("Days") or "",
        "noncurrent_days": noncurrent.get("NoncurrentDays") or "",
        "transition_days": first_t.get("Days") or "",
        "transition_class": first_t.get("StorageClass", ""),
        "noncurrent_transition_days": first_nt.get("NoncurrentDays") or "",
        "noncurrent_transition_class": first_nt.get("StorageClass", ""),
        "abort_days": (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")
        or "",
        **shown,
        "has_size": bool(sizes),
        "size_text": size_text(shown),
        "extra": extra,
    }


def lifecycle_read(where: Where) -> dict[str, Any]:
    answer = gateway.lifecycle_get(where.connection, where.bucket) or {}
    return {"rules": [lifecycle_rule_value(rule) for rule in answer.get("Rules", [])]}


def _rule_actions(rule: Mapping[str, Any]) -> list[str]:
    actions = []
    if rule["expiration_days"]:
        actions.append("expiration")
    if rule["noncurrent_days"]:
        actions.append("noncurrent_version_expiration")
    if rule["transition_days"] or rule["transition_class"]:
        actions.append("transition")
    if rule["noncurrent_transition_days"] or rule["noncurrent_transition_class"]:
        actions.append("noncurrent_version_transition")
    if rule["abort_days"]:
        actions.append("abort_incomplete_multipart_upload")
    return actions


def _sizes_parse(rule: dict[str, Any], raw: Mapping[str, Any], label: str, shape: Shape,
                 errors: list[str]) -> None:
    """The rule's size filters in bytes (None where empty), refused with a sentence each where
    a number, a unit or the range is wrong, or where the provider takes no size filters."""
    for name, _s3_name, what in SIZE_FIELDS:
        amount = str(raw[name] or "").strip()
        unit = str(raw[f"{name}_unit"] or "").strip() or "B"
        rule.update({name: None, f"{name}_amount": amount, f"{name}_unit": unit})
        if not amount:
            continue
        factor = SIZE_FACTORS.get(unit)
        if factor is None:
            units = ", ".join(word for _unit, word, _factor in SIZE_UNITS)
            errors.append(f"{label}: the unit of “{what}” must be one of {units}, not “{unit[:20]}”.")
            continue
        # Less than 0 bytes matches nothing; greater than 0 bytes means "not empty".
        number = number_field(amount, f"{label}: {what} ({SIZE_WORDS[unit]})", errors,
                              minimum=1 if name == "size_less_than" else 0,
                              maximum=S3_LONG_MAX // factor)
        if number is not None:
            rule[name] = number * factor
    typed = rule["size_greater_than_amount"] or rule["size_less_than_amount"]
    refusal = shape.lifecycle_size_filters_refusal
    if typed and refusal:
        errors.append(f"{label}: {refusal} Remove the size from this rule (filter by prefix instead).")
    above, below = rule["size_greater_than"], rule["size_less_than"]
    if above is not None and below is not None and below - above < 2:
        errors.append(f"{label}: no object is larger than {above:,} bytes and smaller than "
                      f"{below:,} bytes, so the rule would match nothing; “Only objects smaller "
                      "than” must be above “Only objects larger than” (by more than one byte).")
    rule["has_size"] = above is not None or below is not None
    rule["size_text"] = size_text(rule)


def lifecycle_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    rules, errors = [], []
    provider = shape.provider.label
    for form in rule_forms(LifecycleRules, data):
        raw = rule_raw(form)
        tags_text = str(raw["tags"] or "")
        tags = []
        for line in lines(tags_text):
            key, _, val = line.partition("=")
            tags.append({"key": key.strip(), "value": val.strip()})
        rule = {
            "id": str(raw["id"] or "").strip(),
            "enabled": bool(raw["enabled"]),
            "prefix": str(raw["prefix"] or ""),
            "tags": tags,
            "tags_text": tags_text,
            "extra": [],
        }
        for name in ("expiration_days", "noncurrent_days", "transition_days",
                     "noncurrent_transition_days", "abort_days", "transition_class",
                     "noncurrent_transition_class"):
            rule[name] = str(raw[name] or "").strip()
        actions = _rule_actions(rule)
        sized = str(raw["size_greater_than"] or "").strip() or str(raw["size_less_than"] or "").strip()
        if raw["remove"] or not (rule["id"] or rule["prefix"] or tags or actions or sized):
            continue
        label = f"Rule “{rule['id'][:60]}”" if rule["id"] else f"Rule {len(rules) + 1}"
        for name, what in DAY_FIELDS:
            parsed = number_field(rule[name], f"{label}: {what}", errors)
            rule[name] = parsed if parsed is not None else rule[name]
        _sizes_parse(rule, raw, label, shape, errors)
        if tags and not shape.lifecycle_tag_filters:
            errors.append(f"{label}: tag-based lifecycle rules are not supported by {provider}.")
        if any(not t["key"] for t in tags):
            errors.append(f"{label}: each tag is key=value with a key.")
        for action in actions:
            if action not in shape.lifecycle_actions:
                allowed = ", ".join(LIFECYCLE_ACTION_LABELS[a].lower()
                                    for a in shape.lifecycle_actions)
                errors.append(f"{label}: {LIFECYCLE_ACTION_LABELS[action].lower()} is not "
                              f"offered by {provider} (only {allowed}).")
        if tags and "abort_incomplete_multipart_upload" in actions:
            errors.append(f"{label}: aborting unfinished uploads cannot be combined with a tag "
                          "filter (S3 refuses it).")
        for days, cls in (("transition_days", "transition_class"),
                          ("noncurrent_transition_days", "noncurrent_transition_class")):
            if (rule[days] or rule[cls]) and not (rule[days] and rule[cls] in STORAGE_CLASSES):
                errors.append(f"{label}: a transition needs both a number of days and a storage "
                              "class.")
        if not actions:
            errors.append(f"{label}: choose at least one action.")
        if len(rule["id"]) > 255:
            errors.append(f"{label}: the rule ID is longer than 255 characters.")
        rules.append(rule)
    ids = [r["id"] for r in rules if r["id"]]
    if len(ids) != len(set(ids)):
        errors.append("Rule IDs must be unique.")
    value = {"rules": rules}
    if errors:
        raise Rejected(errors, value)
    return value


def lifecycle_s3_filter(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The Filter S3 expects for a rule's prefix, tags and object sizes."""
    tags = [{"Key": t["key"], "Value": t["value"]} for t in rule["tags"]]
    sizes = {s3: int(rule[name]) for name, s3 in (("size_greater_than", "ObjectSizeGreaterThan"),
                                                   ("size_less_than", "ObjectSizeLessThan"))
             if rule.get(name) not in (None, "")}
    if not tags and not sizes:
        return {"Prefix": rule["prefix"]}
    if len(tags) + len(sizes) == 1 and not rule["prefix"]:
        return {"Tag": tags[0]} if tags else sizes
    both: dict[str, Any] = {**({"Tags": tags} if tags else {}), **sizes}
    if rule["prefix"]:
        both["Prefix"] = rule["prefix"]
    return {"And": both}


def lifecycle_s3_rules(value: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The S3 rule documents of a parsed value: what `lifecycle_write` PUTs, and what the
    preview of rules being edited predicts with (views/management.py)."""
    rules = []
    for n, rule in enumerate(value["rules"], start=1):
        item: dict[str, Any] = {
            "ID": rule["id"] or f"rule-{n}",
            "Status": "Enabled" if rule["enabled"] else "Disabled",
            "Filter": lifecycle_s3_filter(rule),
        }
        if rule["expiration_days"]:
            item["Expiration"] = {"Days": int(rule["expiration_days"])}
        if rule["noncurrent_days"]:
            item["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["noncurrent_days"])}
        if rule["transition_days"]:
            item["Transitions"] = [{"Days": int(rule["transition_days"]),
                                    "StorageClass": rule["transition_class"]}]
        if rule["noncurrent_transition_days"]:
            item["NoncurrentVersionTransitions"] = [{
                "NoncurrentDays": int(rule["noncurrent_transition_days"]),
                "StorageClass": rule["noncurrent_transition_class"]}]
        if rule["abort_days"]:
            item["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(rule["abort_days"])}
        rules.append(item)
    return rules


def lifecycle_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["rules"]:
        gateway.lifecycle_delete(where.connection, where.bucket)
        return
    gateway.lifecycle_put(where.connection, where.bucket, lifecycle_s3_rules(value))


SETTING = Setting("lifecycle", lifecycle_read, lifecycle_parse, lifecycle_write,
                  save_label="Save lifecycle rules", rule_formset=LifecycleRules)
