"""Replication rules: copy new objects into another bucket, where the provider lets this
bucket type replicate (region and destination type come from the catalogue)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from .. import catalogue, gateway
from .inputs import bucket_from, rule_forms, rule_formset, rule_raw, target_bucket_problem
from .lifecycle import lifecycle_filter
from .model import REPLICATION_CLASSES, Rejected, Setting, Shape, Where
from .versioning import versioning_read

REPLICATION_RULE_LIMIT = 100


class ReplicationRuleForm(forms.Form):
    id = forms.CharField(required=False)
    enabled = forms.BooleanField(required=False)
    prefix = forms.CharField(required=False, strip=False)
    destination = forms.CharField(required=False)
    storage_class = forms.CharField(required=False)
    delete_markers = forms.BooleanField(required=False)
    dest_region = forms.CharField(required=False)
    dest_type = forms.CharField(required=False)
    remove = forms.BooleanField(required=False)


ReplicationRules = rule_formset(ReplicationRuleForm, limit=REPLICATION_RULE_LIMIT)


def replication_read(where: Where) -> dict[str, Any]:
    answer = gateway.replication_get(where.connection, where.bucket) or {}
    config = answer.get("ReplicationConfiguration") or {}
    rules = []
    for rule in config.get("Rules", []):
        prefix, _tags, _extra = lifecycle_filter(rule)
        destination = rule.get("Destination") or {}
        rules.append({
            "id": rule.get("ID", ""),
            "enabled": rule.get("Status") == "Enabled",
            "prefix": prefix,
            "destination": destination.get("Bucket", ""),
            "storage_class": destination.get("StorageClass", ""),
            "delete_markers": (rule.get("DeleteMarkerReplication") or {}).get("Status")
            == "Enabled",
            "dest_region": "",
            "dest_type": "",
        })
    return {"role": config.get("Role", ""), "rules": rules}


def replication_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    rules, errors = [], []
    regions = dict(shape.replication_regions)
    allowed_types = shape.replication_target_types
    for form in rule_forms(ReplicationRules, data):
        raw = rule_raw(form)
        rule = {
            "id": str(raw["id"] or "").strip(),
            "enabled": bool(raw["enabled"]),
            "prefix": str(raw["prefix"] or ""),
            "destination": str(raw["destination"] or "").strip(),
            "storage_class": str(raw["storage_class"] or ""),
            "delete_markers": bool(raw["delete_markers"]),
            "dest_region": str(raw["dest_region"] or shape.region),
            "dest_type": str(raw["dest_type"] or ""),
        }
        if raw["remove"] or not (rule["destination"] or rule["id"] or rule["prefix"]):
            continue
        label = f"Rule “{rule['id'][:60]}”" if rule["id"] else f"Rule {len(rules) + 1}"
        target = bucket_from(rule["destination"])
        problem = target_bucket_problem(target)
        if target == shape.bucket:
            errors.append(f"{label}: a bucket cannot replicate into itself.")
        elif not target:
            errors.append(f"{label}: name the destination bucket (a name or arn:aws:s3:::name).")
        elif problem:
            errors.append(f"{label}: destination bucket: {problem}")
        if rule["dest_region"] not in regions:
            errors.append(f"{label}: {shape.provider.label} does not replicate "
                          f"{shape.bucket_type_label.lower()}s to region {rule['dest_region'][:60]} "
                          f"(cross-regional replication is not supported here).")
        if allowed_types:
            known = shape.known_bucket_types.get(target, "")
            chosen = rule["dest_type"] or known
            if chosen not in allowed_types or (known and known != chosen):
                errors.append(f"{label}: {shape.bucket_type_label.lower()}s replicate only to "
                              f"{' or '.join(allowed_types)} buckets.")
            region = catalogue.get_region(shape.provider.id, rule["dest_region"])
            if region and region.bucket_type and chosen and region.bucket_type != chosen:
                errors.append(f"{label}: {rule['dest_region']} holds {region.bucket_type} "
                              "buckets only.")
        if rule["storage_class"] and rule["storage_class"] not in REPLICATION_CLASSES:
            errors.append(f"{label}: unknown storage class.")
        rules.append(rule)
    value = {"role": str(data.get("role", "")).strip(), "rules": rules}
    if errors:
        raise Rejected(errors, value)
    return value


def replication_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["rules"]:
        gateway.replication_delete(where.connection, where.bucket)
        return
    # S3 answers a missing prerequisite with 400 InvalidRequest, which reads like a refusal
    # of the rules themselves; checking first says what is really missing.
    if versioning_read(where)["status"] != "Enabled":
        raise Rejected(["Replication needs versioning enabled on this bucket (and on the "
                        "destination). Enable versioning first."], value)
    rules = []
    for n, rule in enumerate(value["rules"], start=1):
        target = bucket_from(rule["destination"])
        destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{target}"}
        if rule["storage_class"]:
            destination["StorageClass"] = rule["storage_class"]
        rules.append({
            "ID": rule["id"] or f"replicate-{n}",
            "Priority": n,
            "Status": "Enabled" if rule["enabled"] else "Disabled",
            "Filter": {"Prefix": rule["prefix"]},
            "DeleteMarkerReplication": {"Status": "Enabled" if rule["delete_markers"]
                                        else "Disabled"},
            "Destination": destination,
        })
    gateway.replication_put(where.connection, where.bucket,
                            {"Role": value["role"], "Rules": rules})


SETTING = Setting("replication", replication_read, replication_parse, replication_write,
                  save_label="Save replication rules", rule_formset=ReplicationRules)
