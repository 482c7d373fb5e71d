"""Lifecycle rules: expire, transition and clean up objects by prefix (and tags, where the
provider filters by tags)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import QueryDict

from .. import gateway
from .inputs import as_list, lines, number_field, rule_forms, rule_formset, rule_raw
from .model import LIFECYCLE_ACTION_LABELS, STORAGE_CLASSES, Rejected, Setting, Shape, Where

LIFECYCLE_RULE_LIMIT = 1000  # S3 keeps at most 1,000 lifecycle rules per bucket
DAY_FIELDS = (("expiration_days", "Days until expiration"),
              ("noncurrent_days", "Days until noncurrent versions expire"),
              ("transition_days", "Days until transition"),
              ("noncurrent_transition_days", "Days until noncurrent transition"),
              ("abort_days", "Days until unfinished uploads are aborted"))


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
    size_greater_than = forms.CharField(required=False)  # ObjectSizeGreaterThan, bytes
    size_less_than = forms.CharField(required=False)  # ObjectSizeLessThan, bytes
    remove = forms.BooleanField(required=False)


LifecycleRules = rule_formset(LifecycleRuleForm, limit=LIFECYCLE_RULE_LIMIT)


def lifecycle_filter(rule: Mapping[str, Any]) -> tuple[str, list[dict[str, str]], list[str]]:
    """(prefix, tags, parts the form cannot edit) of a rule in any shape endpoints send.

    AWS sends ``Filter: {And: {Prefix, Tags}}``; RGW 16.2 sends the prefix beside the
    ``And`` (``Filter: {Prefix, And: {Tags}}``) or a bare ``Filter: {Prefix, Tag}``; old
    rules carry a top-level ``Prefix``.
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
        for part in (flt, both):
            for size in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
                if part.get(size) is not None:
                    extra.append(f"{size} filter")
    return prefix, tags, extra


def lifecycle_rule_value(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One rule as the endpoint sent it, in the form's words."""
    prefix, tags, extra = lifecycle_filter(rule)
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
                     "noncurrent_transition_class", "size_greater_than", "size_less_than"):
            rule[name] = str(raw[name] or "").strip()
        actions = _rule_actions(rule)
        if raw["remove"] or not (rule["id"] or rule["prefix"] or tags or actions):
            continue
        label = f"Rule “{rule['id'][:60]}”" if rule["id"] else f"Rule {len(rules) + 1}"
        for name, what in DAY_FIELDS:
            parsed = number_field(rule[name], f"{label}: {what}", errors)
            rule[name] = parsed if parsed is not None else rule[name]
        for name, what in (("size_greater_than", "Only objects larger than (bytes)"),
                           ("size_less_than", "Only objects smaller than (bytes)")):
            parsed = number_field(rule[name], f"{label}: {what}", errors, minimum=0)
            rule[name] = parsed if parsed is not None else rule[name]
        if (rule["size_greater_than"] != "" or rule["size_less_than"] != "") and not shape.constraint(
                "lifecycle_size_filters"):
            # Catalogue data (measured on Ceph RGW 16.2): the endpoint stores the rule without
            # the size and expires the small objects under the prefix too.
            errors.append(f"{label}: {provider} ignores object size filters (ObjectSizeGreaterThan, "
                          "ObjectSizeLessThan), so this rule would expire every object under its "
                          "prefix, small ones too. Filter by prefix instead.")
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


def lifecycle_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["rules"]:
        gateway.lifecycle_delete(where.connection, where.bucket)
        return
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
    gateway.lifecycle_put(where.connection, where.bucket, rules)


SETTING = Setting("lifecycle", lifecycle_read, lifecycle_parse, lifecycle_write,
                  save_label="Save lifecycle rules", rule_formset=LifecycleRules)
