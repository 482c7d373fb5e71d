"""Reading and writing bucket and object settings through the gateway, shaped by the catalogue.

Every setting is one catalogue feature with three plain functions:

- ``read(where)``: one S3 call (legal hold needs two), answering a plain dict that forms
  display (``None`` never: "nothing configured" is a value too);
- ``parse(data, shape)``: a submitted form turned into the same dict, refused with
  `Rejected` when the provider's constraints forbid it, so a forged POST is stopped here
  exactly as the form's shape would have stopped a person;
- ``write(where, value, shape)``: the S3 call(s) that store the dict.

Views decide nothing about providers: they ask `section_new` what the control looks like
and `section_refusal` whether a POST may reach the endpoint at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import QueryDict

from . import catalogue, gateway
from .catalogue import State

# --------------------------------------------------------------------------------------
# Where a setting lives and what the provider allows there
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    connection: gateway.Endpoint
    bucket: str
    key: str = ""
    version_id: str = ""

    def object_params(self) -> dict[str, str]:
        params = {"Bucket": self.bucket, "Key": self.key}
        if self.version_id:
            params["VersionId"] = self.version_id
        return params


GROUP_URIS = {
    "AllUsers": "http://acs.amazonaws.com/groups/global/AllUsers",
    "AuthenticatedUsers": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "LogDelivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}
GROUP_LABELS = {
    "AllUsers": "Everyone (public)",
    "AuthenticatedUsers": "Any authenticated user",
    "LogDelivery": "Log delivery (Logging Group)",
}
PERMISSIONS = ("READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL")
STORAGE_CLASSES = ("STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER",
                   "DEEP_ARCHIVE")
SSE_ALGORITHMS = {"SSE-S3": "AES256", "SSE-KMS": "aws:kms"}
LIFECYCLE_ACTION_LABELS = {
    "expiration": "Expire current versions",
    "noncurrent_version_expiration": "Expire noncurrent versions",
    "transition": "Transition current versions",
    "noncurrent_version_transition": "Transition noncurrent versions",
    "abort_incomplete_multipart_upload": "Abort incomplete multipart uploads",
}
OWNERSHIP_CHOICES = (
    ("BucketOwnerEnforced", "Bucket owner enforced: ACLs are off, the bucket owner owns everything"),
    ("BucketOwnerPreferred", "Bucket owner preferred: ACLs apply; uploads with "
                             "bucket-owner-full-control become the owner's"),
    ("ObjectWriter", "Object writer: the uploading account owns the object"),
)
LOCK_MODES = (("GOVERNANCE", "Governance"), ("COMPLIANCE", "Compliance"))


@dataclass(frozen=True)
class Shape:
    """What the provider allows for this bucket type: forms and validation read the same."""

    provider: catalogue.Provider
    bucket_type: str
    bucket: str
    region: str
    allow_api_only: bool = False
    known_bucket_types: Mapping[str, str] = field(default_factory=dict)

    def constraint(self, name: str) -> Any:
        return catalogue.constraint(self.provider.id, self.bucket_type, name)

    @property
    def bucket_type_label(self) -> str:
        return next((t.label for t in self.provider.bucket_types if t.id == self.bucket_type),
                    self.bucket_type)

    @property
    def canned_acls(self) -> tuple[str, ...]:
        acls = catalogue.canned_acls(self.provider.id, self.bucket_type)
        if not self.constraint("acl_logging_group_grantee"):
            acls = tuple(a for a in acls if a != "log-delivery-write")
        return acls

    @property
    def object_canned_acls(self) -> tuple[str, ...]:
        # log-delivery-write only means something on a bucket.
        return tuple(a for a in self.canned_acls if a != "log-delivery-write")

    @property
    def acl_grants(self) -> bool:
        return bool(self.constraint("acl_grants"))

    @property
    def acl_groups(self) -> list[tuple[str, str]]:
        names = list(GROUP_URIS)
        if not self.constraint("acl_logging_group_grantee"):
            names.remove("LogDelivery")
        return [(name, GROUP_LABELS[name]) for name in names]

    @property
    def lifecycle_tag_filters(self) -> bool:
        return bool(self.constraint("lifecycle_tag_filters"))

    @property
    def lifecycle_actions(self) -> tuple[str, ...]:
        return tuple(self.constraint("lifecycle_actions") or ())

    @property
    def logging_target_must_differ(self) -> bool:
        return bool(self.constraint("logging_target_must_differ"))

    @property
    def sse_choices(self) -> list[tuple[str, str]]:
        modes = self.constraint("sse_modes") or ()
        labels = {"SSE-S3": "SSE-S3 (keys managed by the provider, AES256)",
                  "SSE-KMS": "SSE-KMS (a key from the provider's KMS)"}
        # SSE-C needs the customer's key on every request, so it cannot be a bucket default.
        return [(mode, labels[mode]) for mode in modes if mode in SSE_ALGORITHMS]

    @property
    def website_redirects(self) -> str:
        return str(self.constraint("website_redirects") or "console")

    @property
    def redirects_editable(self) -> bool:
        return self.website_redirects == "console" or (
            self.website_redirects == "api_only" and self.allow_api_only)

    @property
    def website_url(self) -> str:
        return catalogue.website_endpoint(self.provider.id, self.bucket, self.region)

    @property
    def policy_max_bytes(self) -> int | None:
        value = self.constraint("policy_max_bytes")
        return int(value) if value else None

    @property
    def replication_cross_region(self) -> bool:
        return bool(self.constraint("replication_cross_region"))

    @property
    def replication_target_types(self) -> tuple[str, ...]:
        return tuple(self.constraint("replication_target_types") or ())

    @property
    def replication_target_type_choices(self) -> list[tuple[str, str]]:
        labels = {t.id: t.label for t in self.provider.bucket_types}
        return [(t, labels.get(t, t)) for t in self.replication_target_types]

    @property
    def offers_kms(self) -> bool:
        return any(mode == "SSE-KMS" for mode, _ in self.sse_choices)

    @property
    def acl_group_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.acl_groups)

    # Fixed S3 vocabularies, here so that templates find every choice in one place.
    permissions = PERMISSIONS
    cors_methods = ("GET", "PUT", "POST", "DELETE", "HEAD")
    storage_classes = STORAGE_CLASSES
    replication_classes = ("STANDARD", *STORAGE_CLASSES)
    ownership_choices = OWNERSHIP_CHOICES
    lock_modes = LOCK_MODES

    @property
    def bpa_flags(self) -> tuple[tuple[str, str], ...]:
        return BPA_FLAGS

    @property
    def replication_regions(self) -> list[tuple[str, str]]:
        if not self.replication_cross_region:
            region = catalogue.get_region(self.provider.id, self.region)
            return [(self.region, region.label if region else self.region)]
        return [(r.id, r.label) for r in self.provider.regions] or [(self.region, self.region)]


def shape_for(
    connection: Any,
    bucket_type: str,
    bucket: str,
    *,
    allow_api_only: bool = False,
    known_bucket_types: Mapping[str, str] | None = None,
) -> Shape:
    return Shape(
        provider=catalogue.get_provider(connection.provider),
        bucket_type=bucket_type,
        bucket=bucket,
        region=connection.region,
        allow_api_only=allow_api_only,
        known_bucket_types=dict(known_bucket_types or {}),
    )


class Rejected(Exception):
    """The submitted settings are refused before any S3 call; `value` redisplays them."""

    def __init__(self, messages: list[str], value: dict[str, Any] | None = None) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.value = value


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _positive_int(raw: str | None, label: str, errors: list[str]) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        errors.append(f"{label} must be a whole number of at least 1.")
        return None
    return int(raw)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _rule_count(data: QueryDict, limit: int) -> int:
    raw = str(data.get("rule-count", "0"))
    return min(int(raw), limit) if raw.isdigit() else 0


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-_]{1,254}$")


def _bucket_from(text: str) -> str:
    """A bucket name from a name or an S3 bucket ARN."""
    text = text.strip()
    return text.rsplit(":", 1)[-1] if text.startswith("arn:") else text


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


# --------------------------------------------------------------------------------------
# Versioning
# --------------------------------------------------------------------------------------


def versioning_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_versioning", Bucket=where.bucket,
                                what="versioning") or {}
    return {"status": answer.get("Status", ""), "mfa_delete": answer.get("MFADelete", "")}


def versioning_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"status": data.get("status", ""), "mfa_delete": ""}
    if value["status"] not in ("Enabled", "Suspended"):
        raise Rejected(["Choose Enabled or Suspended."], value)
    return value


def versioning_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.call(where.connection, "put_bucket_versioning", feature_call=True, what="versioning",
                 Bucket=where.bucket, VersioningConfiguration={"Status": value["status"]})


# --------------------------------------------------------------------------------------
# CORS
# --------------------------------------------------------------------------------------

CORS_METHODS = Shape.cors_methods


def _cors_rule(origins: list[str], methods: list[str], headers: list[str], expose: list[str],
               max_age: object, rule_id: str) -> dict[str, Any]:
    return {"id": rule_id, "origins": origins, "methods": methods, "headers": headers,
            "expose": expose, "max_age": max_age, "origins_text": "\n".join(origins),
            "headers_text": "\n".join(headers), "expose_text": "\n".join(expose)}


def cors_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_cors", Bucket=where.bucket,
                                what="CORS") or {}
    rules = [
        _cors_rule(rule.get("AllowedOrigins", []), rule.get("AllowedMethods", []),
                   rule.get("AllowedHeaders", []), rule.get("ExposeHeaders", []),
                   rule.get("MaxAgeSeconds", ""), rule.get("ID", ""))
        for rule in answer.get("CORSRules", [])
    ]
    return {"rules": rules}


def cors_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    rules, errors = [], []
    for i in range(_rule_count(data, 100)):
        p = f"rule-{i}-"
        rule = _cors_rule(_lines(data.get(p + "origins")), data.getlist(p + "methods"),
                          _lines(data.get(p + "headers")), _lines(data.get(p + "expose")),
                          str(data.get(p + "max_age", "")).strip(),
                          str(data.get(p + "id", "")).strip())
        if data.get(p + "remove") or not (rule["origins"] or rule["methods"] or rule["headers"]):
            continue
        n = len(rules) + 1
        if not rule["origins"]:
            errors.append(f"Rule {n}: name at least one allowed origin (or * for any).")
        if not rule["methods"]:
            errors.append(f"Rule {n}: choose at least one method.")
        if set(rule["methods"]) - set(CORS_METHODS):
            errors.append(f"Rule {n}: methods are limited to {', '.join(CORS_METHODS)}.")
        if rule["max_age"] and not rule["max_age"].isdigit():
            errors.append(f"Rule {n}: max age is a number of seconds.")
        rules.append(rule)
    value = {"rules": rules}
    if errors:
        raise Rejected(errors, value)
    return value


def cors_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["rules"]:
        gateway.call(where.connection, "delete_bucket_cors", feature_call=True, what="CORS",
                     Bucket=where.bucket)
        return
    rules = []
    for rule in value["rules"]:
        item: dict[str, Any] = {"AllowedOrigins": rule["origins"], "AllowedMethods": rule["methods"]}
        if rule["id"]:
            item["ID"] = rule["id"]
        if rule["headers"]:
            item["AllowedHeaders"] = rule["headers"]
        if rule["expose"]:
            item["ExposeHeaders"] = rule["expose"]
        if str(rule["max_age"]).isdigit():
            item["MaxAgeSeconds"] = int(rule["max_age"])
        rules.append(item)
    gateway.call(where.connection, "put_bucket_cors", feature_call=True, what="CORS",
                 Bucket=where.bucket, CORSConfiguration={"CORSRules": rules})


# --------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------


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
        for tag in _as_list(flt.get("Tag")) + _as_list(both.get("Tags")) + _as_list(both.get("Tag")):
            if isinstance(tag, Mapping) and "Key" in tag:
                item = {"key": str(tag["Key"]), "value": str(tag.get("Value", ""))}
                if item not in tags:
                    tags.append(item)
        for part in (flt, both):
            for size in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
                if part.get(size) is not None:
                    extra.append(f"{size} filter")
    return prefix, tags, extra


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
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
    answer = gateway.get_config(where.connection, "get_bucket_lifecycle_configuration",
                                Bucket=where.bucket, what="lifecycle") or {}
    return {"rules": [_lifecycle_rule(rule) for rule in answer.get("Rules", [])]}


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
    for i in range(_rule_count(data, 1000)):
        p = f"rule-{i}-"
        tags_text = str(data.get(p + "tags", ""))
        tags = []
        for line in _lines(tags_text):
            key, _, val = line.partition("=")
            tags.append({"key": key.strip(), "value": val.strip()})
        rule = {
            "id": str(data.get(p + "id", "")).strip(),
            "enabled": data.get(p + "enabled") == "on",
            "prefix": str(data.get(p + "prefix", "")),
            "tags": tags,
            "tags_text": tags_text,
            "extra": [],
        }
        for name in ("expiration_days", "noncurrent_days", "transition_days",
                     "noncurrent_transition_days", "abort_days"):
            rule[name] = str(data.get(p + name, "")).strip()
        for name in ("transition_class", "noncurrent_transition_class"):
            rule[name] = str(data.get(p + name, "")).strip()
        actions = _rule_actions(rule)
        if data.get(p + "remove") or not (rule["id"] or rule["prefix"] or tags or actions):
            continue
        label = f"Rule “{rule['id']}”" if rule["id"] else f"Rule {len(rules) + 1}"
        for name, what in (("expiration_days", "Days until expiration"),
                           ("noncurrent_days", "Days until noncurrent versions expire"),
                           ("transition_days", "Days until transition"),
                           ("noncurrent_transition_days", "Days until noncurrent transition"),
                           ("abort_days", "Days until unfinished uploads are aborted")):
            parsed = _positive_int(rule[name], f"{label}: {what}", errors)
            rule[name] = parsed if parsed is not None else rule[name]
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


def _lifecycle_s3_filter(rule: Mapping[str, Any]) -> dict[str, Any]:
    tags = [{"Key": t["key"], "Value": t["value"]} for t in rule["tags"]]
    if not tags:
        return {"Prefix": rule["prefix"]}
    if len(tags) == 1 and not rule["prefix"]:
        return {"Tag": tags[0]}
    both: dict[str, Any] = {"Tags": tags}
    if rule["prefix"]:
        both["Prefix"] = rule["prefix"]
    return {"And": both}


def lifecycle_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["rules"]:
        gateway.call(where.connection, "delete_bucket_lifecycle", feature_call=True,
                     what="lifecycle", Bucket=where.bucket)
        return
    rules = []
    for n, rule in enumerate(value["rules"], start=1):
        item: dict[str, Any] = {
            "ID": rule["id"] or f"rule-{n}",
            "Status": "Enabled" if rule["enabled"] else "Disabled",
            "Filter": _lifecycle_s3_filter(rule),
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
    gateway.call(where.connection, "put_bucket_lifecycle_configuration", feature_call=True,
                 what="lifecycle", Bucket=where.bucket,
                 LifecycleConfiguration={"Rules": rules})


# --------------------------------------------------------------------------------------
# Bucket policy
# --------------------------------------------------------------------------------------


def policy_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_policy", Bucket=where.bucket,
                                what="bucket policy")
    return {"text": _pretty_json(answer["Policy"]) if answer and answer.get("Policy") else ""}


def policy_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    text = str(data.get("policy", "")).strip()
    value = {"text": text}
    if not text:
        return value
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise Rejected([f"The policy is not valid JSON: {exc}."], value) from exc
    if not isinstance(document, dict) or "Statement" not in document:
        raise Rejected(["A bucket policy is a JSON object with a Statement."], value)
    limit = shape.policy_max_bytes
    if limit and len(text.encode()) > limit:
        raise Rejected([f"{shape.provider.label} accepts policies up to {limit // 1024} KiB."],
                       value)
    return value


def policy_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["text"]:
        gateway.call(where.connection, "delete_bucket_policy", feature_call=True,
                     what="bucket policy", Bucket=where.bucket)
        return
    gateway.call(where.connection, "put_bucket_policy", feature_call=True, what="bucket policy",
                 Bucket=where.bucket, Policy=value["text"])


# --------------------------------------------------------------------------------------
# Tags (bucket and object)
# --------------------------------------------------------------------------------------


def _tags_value(answer: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"tags": [{"key": t["Key"], "value": t.get("Value", "")}
                     for t in (answer or {}).get("TagSet", [])]}


def _tags_parse(data: QueryDict, limit: int) -> dict[str, Any]:
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


def _tag_set(value: Mapping[str, Any]) -> dict[str, Any]:
    return {"TagSet": [{"Key": t["key"], "Value": t["value"]} for t in value["tags"]]}


def bucket_tags_read(where: Where) -> dict[str, Any]:
    return _tags_value(gateway.get_config(where.connection, "get_bucket_tagging",
                                          Bucket=where.bucket, what="bucket tags"))


def bucket_tags_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    return _tags_parse(data, 50)


def bucket_tags_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["tags"]:
        gateway.call(where.connection, "delete_bucket_tagging", feature_call=True,
                     what="bucket tags", Bucket=where.bucket)
        return
    gateway.call(where.connection, "put_bucket_tagging", feature_call=True, what="bucket tags",
                 Bucket=where.bucket, Tagging=_tag_set(value))


def object_tags_read(where: Where) -> dict[str, Any]:
    return _tags_value(gateway.get_config(where.connection, "get_object_tagging",
                                          what="object tags", **where.object_params()))


def object_tags_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    return _tags_parse(data, 10)


def object_tags_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["tags"]:
        gateway.call(where.connection, "delete_object_tagging", feature_call=True,
                     what="object tags", **where.object_params())
        return
    gateway.call(where.connection, "put_object_tagging", feature_call=True, what="object tags",
                 Tagging=_tag_set(value), **where.object_params())


# --------------------------------------------------------------------------------------
# ACLs (bucket and object)
# --------------------------------------------------------------------------------------

_URI_GROUPS = {uri: name for name, uri in GROUP_URIS.items()}


def _group_rows() -> dict[str, dict[str, Any]]:
    return {name: {"name": name, "label": GROUP_LABELS[name], "permissions": []}
            for name in GROUP_URIS}
_CANNED_GRANTS: dict[frozenset, str] = {
    frozenset(): "private",
    frozenset({("AllUsers", "READ")}): "public-read",
    frozenset({("AllUsers", "READ"), ("AllUsers", "WRITE")}): "public-read-write",
    frozenset({("AuthenticatedUsers", "READ")}): "authenticated-read",
    frozenset({("LogDelivery", "WRITE"), ("LogDelivery", "READ_ACP")}): "log-delivery-write",
}


def _acl_value(answer: Mapping[str, Any]) -> dict[str, Any]:
    owner = answer.get("Owner") or {}
    owner_id = owner.get("ID", "")
    shown, groups, users, others = [], _group_rows(), [], set()
    for grant in answer.get("Grants", []):
        grantee, permission = grant.get("Grantee") or {}, grant.get("Permission", "")
        group = _URI_GROUPS.get(grantee.get("URI", ""))
        if group:
            groups[group]["permissions"].append(permission)
            others.add((group, permission))
            label = GROUP_LABELS[group]
        elif grantee.get("ID") == owner_id and owner_id:
            label = f"Owner ({grantee.get('DisplayName') or owner.get('DisplayName') or owner_id})"
            if permission != "FULL_CONTROL":
                others.add(("owner", permission))
        else:
            label = grantee.get("DisplayName") or grantee.get("ID") or grantee.get(
                "EmailAddress", "?")
            users.append({"id": grantee.get("ID", ""), "permission": permission})
            others.add(("user", grantee.get("ID", "")))
        shown.append({"grantee": label, "permission": permission})
    return {
        "owner": owner.get("DisplayName") or owner_id,
        "grants": shown,
        "canned": _CANNED_GRANTS.get(frozenset(others), ""),
        "mode": "canned",
        "groups": list(groups.values()),
        "users": users,
    }


def _canned_parse(data: QueryDict, allowed: tuple[str, ...], shape: Shape,
                  value: dict[str, Any]) -> None:
    acl = str(data.get("acl", ""))
    value["canned"] = acl
    if acl not in allowed:
        raise Rejected([f"{shape.provider.label} offers only these canned ACLs here: "
                        f"{', '.join(allowed)}; “{acl}” is refused."], value)


def bucket_acl_read(where: Where) -> dict[str, Any]:
    return _acl_value(gateway.call(where.connection, "get_bucket_acl", feature_call=True,
                                   what="bucket ACL", Bucket=where.bucket))


def bucket_acl_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    mode = str(data.get("mode", "canned"))
    groups = _group_rows()
    value: dict[str, Any] = {"mode": mode, "canned": "", "grants": [], "owner": "",
                             "groups": list(groups.values()), "users": []}
    if mode == "canned":
        _canned_parse(data, shape.canned_acls, shape, value)
        return value
    if mode != "grants" or not shape.acl_grants:
        raise Rejected([f"{shape.provider.label} accepts only canned ACLs here "
                        f"({', '.join(shape.canned_acls)})."], value)
    errors = []
    allowed_groups = {name for name, _ in shape.acl_groups}
    for name in GROUP_URIS:
        permissions = [p for p in data.getlist(f"group-{name}") if p]
        groups[name]["permissions"] = permissions
        if permissions and name not in allowed_groups:
            errors.append(f"{shape.provider.label} does not allow the {GROUP_LABELS[name]} as a "
                          f"grantee on {shape.bucket_type_label.lower()}s.")
        if set(permissions) - set(PERMISSIONS):
            errors.append(f"Unknown permission for {GROUP_LABELS[name]}.")
    for user_id, permission in zip(data.getlist("user-id"), data.getlist("user-permission"),
                                   strict=False):
        if not user_id.strip():
            continue
        value["users"].append({"id": user_id.strip(), "permission": permission})
        if permission not in PERMISSIONS:
            errors.append(f"Choose a permission for {user_id.strip()}.")
        if user_id.strip() in _URI_GROUPS or user_id.strip().startswith("http"):
            errors.append("A canonical user ID is expected, not a group URI.")
    if errors:
        raise Rejected(errors, value)
    return value


def bucket_acl_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if value["mode"] == "canned":
        gateway.call(where.connection, "put_bucket_acl", feature_call=True, what="bucket ACL",
                     Bucket=where.bucket, ACL=value["canned"])
        return
    # A grant list replaces the whole ACL, so the owner's full control goes in explicitly.
    owner = gateway.call(where.connection, "get_bucket_acl", feature_call=True,
                         what="bucket ACL", Bucket=where.bucket)["Owner"]
    grants = [{"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]},
               "Permission": "FULL_CONTROL"}]
    for group in value["groups"]:
        grants += [{"Grantee": {"Type": "Group", "URI": GROUP_URIS[group["name"]]},
                    "Permission": p} for p in group["permissions"]]
    grants += [{"Grantee": {"Type": "CanonicalUser", "ID": u["id"]}, "Permission": u["permission"]}
               for u in value["users"]]
    gateway.call(where.connection, "put_bucket_acl", feature_call=True, what="bucket ACL",
                 Bucket=where.bucket, AccessControlPolicy={"Grants": grants, "Owner": owner})


def object_acl_read(where: Where) -> dict[str, Any]:
    return _acl_value(gateway.call(where.connection, "get_object_acl", feature_call=True,
                                   what="object ACL", **where.object_params()))


def object_acl_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value: dict[str, Any] = {"mode": "canned", "canned": "", "grants": [], "owner": "",
                             "groups": [], "users": []}
    _canned_parse(data, shape.object_canned_acls, shape, value)
    return value


def object_acl_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.call(where.connection, "put_object_acl", feature_call=True, what="object ACL",
                 ACL=value["canned"], **where.object_params())


# --------------------------------------------------------------------------------------
# Block public access
# --------------------------------------------------------------------------------------

BPA_FLAGS = (
    ("BlockPublicAcls", "Block new public ACLs"),
    ("IgnorePublicAcls", "Ignore existing public ACLs"),
    ("BlockPublicPolicy", "Block new public bucket policies"),
    ("RestrictPublicBuckets", "Restrict access to buckets with public policies"),
)


def bpa_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_public_access_block", Bucket=where.bucket,
                                what="block public access")
    flags = (answer or {}).get("PublicAccessBlockConfiguration", {})
    return {"flags": {name: bool(flags.get(name)) for name, _ in BPA_FLAGS},
            "configured": answer is not None}


def bpa_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    return {"flags": {name: data.get(name) == "on" for name, _ in BPA_FLAGS}, "configured": True}


def bpa_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.call(where.connection, "put_public_access_block", feature_call=True,
                 what="block public access", Bucket=where.bucket,
                 PublicAccessBlockConfiguration=value["flags"])


# --------------------------------------------------------------------------------------
# Default encryption
# --------------------------------------------------------------------------------------


def encryption_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_encryption", Bucket=where.bucket,
                                what="default encryption") or {}
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
        gateway.call(where.connection, "delete_bucket_encryption", feature_call=True,
                     what="default encryption", Bucket=where.bucket)
        return
    default: dict[str, Any] = {"SSEAlgorithm": SSE_ALGORITHMS[value["mode"]]}
    if value["mode"] == "SSE-KMS" and value["kms_key"]:
        default["KMSMasterKeyID"] = value["kms_key"]
    gateway.call(where.connection, "put_bucket_encryption", feature_call=True,
                 what="default encryption", Bucket=where.bucket,
                 ServerSideEncryptionConfiguration={
                     "Rules": [{"ApplyServerSideEncryptionByDefault": default}]})


# --------------------------------------------------------------------------------------
# Static website
# --------------------------------------------------------------------------------------


def website_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_website", Bucket=where.bucket,
                                what="static website")
    if answer is None:
        return {"enabled": False, "index": "index.html", "error": "", "redirect_host": "",
                "redirect_protocol": "", "routing_rules": ""}
    redirect_all = answer.get("RedirectAllRequestsTo") or {}
    rules = answer.get("RoutingRules")
    return {
        "enabled": True,
        "index": (answer.get("IndexDocument") or {}).get("Suffix", ""),
        "error": (answer.get("ErrorDocument") or {}).get("Key", ""),
        "redirect_host": redirect_all.get("HostName", ""),
        "redirect_protocol": redirect_all.get("Protocol", ""),
        "routing_rules": json.dumps(rules, indent=2) if rules else "",
    }


def website_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {
        "enabled": data.get("enabled") == "on",
        "index": str(data.get("index", "")).strip(),
        "error": str(data.get("error", "")).strip(),
        "redirect_host": str(data.get("redirect_host", "")).strip(),
        "redirect_protocol": str(data.get("redirect_protocol", "")).strip(),
        "routing_rules": str(data.get("routing_rules", "")).strip(),
    }
    if not value["enabled"]:
        return value
    errors = []
    wants_redirects = value["redirect_host"] or value["routing_rules"]
    if wants_redirects and not shape.redirects_editable:
        errors.append(f"{shape.provider.label} offers website redirects for "
                      f"{shape.bucket_type_label.lower()}s only through its API.")
    if value["redirect_protocol"] not in ("", "http", "https"):
        errors.append("The redirect protocol is http or https.")
    if not value["redirect_host"] and not value["index"]:
        errors.append("Name an index document (such as index.html).")
    if "/" in value["index"]:
        errors.append("The index document is a name without slashes (such as index.html).")
    if value["routing_rules"]:
        try:
            rules = json.loads(value["routing_rules"])
        except ValueError as exc:
            errors.append(f"Routing rules are not valid JSON: {exc}.")
        else:
            if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
                errors.append("Routing rules are a JSON list of rules.")
    if errors:
        raise Rejected(errors, value)
    return value


def website_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    if not value["enabled"]:
        gateway.call(where.connection, "delete_bucket_website", feature_call=True,
                     what="static website", Bucket=where.bucket)
        return
    config: dict[str, Any] = {}
    if value["redirect_host"]:
        config["RedirectAllRequestsTo"] = {"HostName": value["redirect_host"]}
        if value["redirect_protocol"]:
            config["RedirectAllRequestsTo"]["Protocol"] = value["redirect_protocol"]
    else:
        config["IndexDocument"] = {"Suffix": value["index"]}
        if value["error"]:
            config["ErrorDocument"] = {"Key": value["error"]}
        if value["routing_rules"]:
            config["RoutingRules"] = json.loads(value["routing_rules"])
        elif not shape.redirects_editable:
            # Redirects set through the provider's API must survive a save from a form
            # that cannot show them.
            current = gateway.get_config(where.connection, "get_bucket_website",
                                         Bucket=where.bucket, what="static website") or {}
            if current.get("RedirectAllRequestsTo"):
                raise Rejected(["This bucket redirects every request (set through the API); "
                                "change it through the API."], value)
            if current.get("RoutingRules"):
                config["RoutingRules"] = current["RoutingRules"]
    gateway.call(where.connection, "put_bucket_website", feature_call=True,
                 what="static website", Bucket=where.bucket, WebsiteConfiguration=config)


# --------------------------------------------------------------------------------------
# Access logging
# --------------------------------------------------------------------------------------


def logging_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_logging", Bucket=where.bucket,
                                what="access logging") or {}
    enabled = answer.get("LoggingEnabled") or {}
    return {"enabled": bool(enabled), "target_bucket": enabled.get("TargetBucket", ""),
            "target_prefix": enabled.get("TargetPrefix", "")}


def logging_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"enabled": data.get("enabled") == "on",
             "target_bucket": _bucket_from(str(data.get("target_bucket", ""))),
             "target_prefix": str(data.get("target_prefix", "")).strip()}
    if not value["enabled"]:
        return value
    errors = []
    if not _BUCKET_NAME.match(value["target_bucket"]):
        errors.append("Name the bucket that receives the logs.")
    elif shape.logging_target_must_differ and value["target_bucket"] == shape.bucket:
        errors.append(f"{shape.provider.label} needs the log target to be a different bucket "
                      "from the source.")
    if errors:
        raise Rejected(errors, value)
    return value


def logging_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    status: dict[str, Any] = {}
    if value["enabled"]:
        status["LoggingEnabled"] = {"TargetBucket": value["target_bucket"],
                                    "TargetPrefix": value["target_prefix"]}
    gateway.call(where.connection, "put_bucket_logging", feature_call=True, what="access logging",
                 Bucket=where.bucket, BucketLoggingStatus=status)


# --------------------------------------------------------------------------------------
# Object Lock (default retention) and legal hold
# --------------------------------------------------------------------------------------


_NO_LOCK = ("This bucket was created without Object Lock, and Object Lock can only be switched "
            "on when a bucket is created.")


def object_lock_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_object_lock_configuration",
                                Bucket=where.bucket, what="Object Lock") or {}
    config = answer.get("ObjectLockConfiguration") or {}
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    enabled = config.get("ObjectLockEnabled") == "Enabled"
    return {"enabled": enabled,
            "blocked": "" if enabled else _NO_LOCK,
            "mode": retention.get("Mode", ""),
            # moto reports the unused unit as 0.
            "days": retention.get("Days") or "", "years": retention.get("Years") or ""}


def object_lock_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"enabled": True, "mode": str(data.get("mode", "")),
             "days": str(data.get("days", "")).strip(), "years": str(data.get("years", "")).strip()}
    errors: list[str] = []
    if value["mode"] not in ("", *dict(LOCK_MODES)):
        errors.append("Choose governance, compliance or no default retention.")
    days = _positive_int(value["days"], "Days", errors)
    years = _positive_int(value["years"], "Years", errors)
    if value["mode"] and (days is None) == (years is None) and not errors:
        errors.append("Give the default retention in days or in years (one of them).")
    if errors:
        raise Rejected(errors, value)
    value["days"], value["years"] = days or "", years or ""
    return value


def object_lock_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    config: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    if value["mode"]:
        retention: dict[str, Any] = {"Mode": value["mode"]}
        retention["Days" if value["days"] else "Years"] = int(value["days"] or value["years"])
        config["Rule"] = {"DefaultRetention": retention}
    gateway.call(where.connection, "put_object_lock_configuration", feature_call=True,
                 what="Object Lock", Bucket=where.bucket, ObjectLockConfiguration=config)


def legal_hold_read(where: Where) -> dict[str, Any]:
    # Without Object Lock on the bucket the endpoints answer the hold GET with 400
    # InvalidRequest, which reads like "not implemented"; asking the bucket first is exact.
    lock = object_lock_read(where)
    if not lock["enabled"]:
        return {"lock_enabled": False, "status": "",
                "blocked": "This bucket was created without Object Lock, so its objects cannot "
                           "be put on legal hold."}
    answer = gateway.get_config(where.connection, "get_object_legal_hold", what="legal hold",
                                **where.object_params()) or {}
    return {"lock_enabled": True, "status": (answer.get("LegalHold") or {}).get("Status", "OFF")}


def legal_hold_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"lock_enabled": True, "status": str(data.get("status", ""))}
    if value["status"] not in ("ON", "OFF"):
        raise Rejected(["Choose on or off."], value)
    return value


def legal_hold_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.call(where.connection, "put_object_legal_hold", feature_call=True, what="legal hold",
                 LegalHold={"Status": value["status"]}, **where.object_params())


# --------------------------------------------------------------------------------------
# Replication
# --------------------------------------------------------------------------------------

REPLICATION_CLASSES = ("STANDARD", *STORAGE_CLASSES)


def replication_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_replication", Bucket=where.bucket,
                                what="replication") or {}
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
    for i in range(_rule_count(data, 100)):
        p = f"rule-{i}-"
        rule = {
            "id": str(data.get(p + "id", "")).strip(),
            "enabled": data.get(p + "enabled") == "on",
            "prefix": str(data.get(p + "prefix", "")),
            "destination": str(data.get(p + "destination", "")).strip(),
            "storage_class": str(data.get(p + "storage_class", "")),
            "delete_markers": data.get(p + "delete_markers") == "on",
            "dest_region": str(data.get(p + "dest_region", "") or shape.region),
            "dest_type": str(data.get(p + "dest_type", "")),
        }
        if data.get(p + "remove") or not (rule["destination"] or rule["id"] or rule["prefix"]):
            continue
        label = f"Rule “{rule['id']}”" if rule["id"] else f"Rule {len(rules) + 1}"
        target = _bucket_from(rule["destination"])
        if not _BUCKET_NAME.match(target):
            errors.append(f"{label}: name the destination bucket (a name or arn:aws:s3:::name).")
        elif target == shape.bucket:
            errors.append(f"{label}: a bucket cannot replicate into itself.")
        if rule["dest_region"] not in regions:
            errors.append(f"{label}: {shape.provider.label} does not replicate "
                          f"{shape.bucket_type_label.lower()}s to region {rule['dest_region']} "
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
        gateway.call(where.connection, "delete_bucket_replication", feature_call=True,
                     what="replication", Bucket=where.bucket)
        return
    # S3 answers a missing prerequisite with 400 InvalidRequest, which the gateway must read
    # as "not implemented" for RGW's sake; checking first keeps the two apart.
    if versioning_read(where)["status"] != "Enabled":
        raise Rejected(["Replication needs versioning enabled on this bucket (and on the "
                        "destination). Enable versioning first."], value)
    rules = []
    for n, rule in enumerate(value["rules"], start=1):
        target = _bucket_from(rule["destination"])
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
    gateway.call(where.connection, "put_bucket_replication", feature_call=True,
                 what="replication", Bucket=where.bucket,
                 ReplicationConfiguration={"Role": value["role"], "Rules": rules})


# --------------------------------------------------------------------------------------
# Requester pays and object ownership
# --------------------------------------------------------------------------------------


def request_payment_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_request_payment",
                                Bucket=where.bucket, what="requester pays") or {}
    return {"payer": answer.get("Payer") or "BucketOwner"}


def request_payment_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"payer": str(data.get("payer", ""))}
    if value["payer"] not in ("BucketOwner", "Requester"):
        raise Rejected(["Choose who pays: the bucket owner or the requester."], value)
    return value


def request_payment_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.call(where.connection, "put_bucket_request_payment", feature_call=True,
                 what="requester pays", Bucket=where.bucket,
                 RequestPaymentConfiguration={"Payer": value["payer"]})


def ownership_read(where: Where) -> dict[str, Any]:
    answer = gateway.get_config(where.connection, "get_bucket_ownership_controls",
                                Bucket=where.bucket, what="object ownership") or {}
    rules = (answer.get("OwnershipControls") or {}).get("Rules") or []
    return {"ownership": rules[0].get("ObjectOwnership", "") if rules else ""}


def ownership_parse(data: QueryDict, shape: Shape) -> dict[str, Any]:
    value = {"ownership": str(data.get("ownership", ""))}
    if value["ownership"] not in dict(OWNERSHIP_CHOICES):
        raise Rejected(["Choose an object ownership setting."], value)
    return value


def ownership_write(where: Where, value: dict[str, Any], shape: Shape) -> None:
    gateway.call(where.connection, "put_bucket_ownership_controls", feature_call=True,
                 what="object ownership", Bucket=where.bucket,
                 OwnershipControls={"Rules": [{"ObjectOwnership": value["ownership"]}]})


# --------------------------------------------------------------------------------------
# The registry: which feature is which section, on which page
# --------------------------------------------------------------------------------------

Reader = Callable[[Where], dict[str, Any]]
Parser = Callable[[Any, Shape], dict[str, Any]]
Writer = Callable[[Where, dict[str, Any], Shape], None]


@dataclass(frozen=True)
class Setting:
    feature_id: str
    url_name: str
    read: Reader | None = None  # None: the console offers no form ("not offered" row)
    parse: Parser | None = None
    write: Writer | None = None
    object_level: bool = False

    @property
    def feature(self) -> catalogue.Feature:
        return catalogue.FEATURES[self.feature_id]

    @property
    def offered(self) -> bool:
        return self.read is not None

    @property
    def template(self) -> str:
        return f"buckets/settings/{self.feature_id}.html"


def _s(feature_id: str, read: Reader | None = None, parse: Parser | None = None,
       write: Writer | None = None, *, object_level: bool = False) -> Setting:
    return Setting(feature_id, f"settings_{feature_id}", read, parse, write, object_level)


SETTINGS: dict[str, Setting] = {s.feature_id: s for s in (
    _s("versioning", versioning_read, versioning_parse, versioning_write),
    _s("bucket_tagging", bucket_tags_read, bucket_tags_parse, bucket_tags_write),
    _s("bucket_encryption", encryption_read, encryption_parse, encryption_write),
    _s("access_logging", logging_read, logging_parse, logging_write),
    _s("object_lock", object_lock_read, object_lock_parse, object_lock_write),
    _s("request_payment", request_payment_read, request_payment_parse, request_payment_write),
    _s("website", website_read, website_parse, website_write),
    _s("block_public_access", bpa_read, bpa_parse, bpa_write),
    _s("bucket_policy", policy_read, policy_parse, policy_write),
    _s("object_ownership", ownership_read, ownership_parse, ownership_write),
    _s("bucket_acl", bucket_acl_read, bucket_acl_parse, bucket_acl_write),
    _s("cors", cors_read, cors_parse, cors_write),
    _s("lifecycle", lifecycle_read, lifecycle_parse, lifecycle_write),
    _s("replication", replication_read, replication_parse, replication_write),
    # The console has no form for these; their rows say what the provider offers and how
    # to reach it. Nothing is ever sent for them: on moto a DELETE of a metrics, analytics
    # or inventory configuration deletes the whole bucket.
    _s("notifications"),
    _s("accelerate"),
    _s("inventory"),
    _s("metrics"),
    _s("analytics"),
    _s("object_query"),
    _s("object_tagging", object_tags_read, object_tags_parse, object_tags_write,
       object_level=True),
    _s("object_acl", object_acl_read, object_acl_parse, object_acl_write, object_level=True),
    _s("legal_hold", legal_hold_read, legal_hold_parse, legal_hold_write, object_level=True),
)}


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    feature_ids: tuple[str, ...]


GROUPS: dict[str, Group] = {g.id: g for g in (
    Group("properties", "Properties", ("versioning", "bucket_tagging", "bucket_encryption",
                                       "access_logging", "object_lock", "request_payment",
                                       "website", "notifications", "accelerate")),
    Group("permissions", "Permissions", ("block_public_access", "bucket_policy",
                                         "object_ownership", "bucket_acl", "cors")),
    Group("management", "Management", ("lifecycle", "replication", "inventory", "metrics",
                                       "analytics", "object_query")),
)}
OBJECT_FEATURES = ("object_tagging", "object_acl", "legal_hold")


def group_of(feature_id: str) -> Group:
    return next(g for g in GROUPS.values() if feature_id in g.feature_ids)


# --------------------------------------------------------------------------------------
# Sections: what one setting's control looks like for this user, provider and bucket type
# --------------------------------------------------------------------------------------

OPTED_IN_LABEL = "API-only at provider — run from the console"


def control_mode(availability: catalogue.Availability, allow_api_only: bool) -> str:
    """console | opted_in | api_only | unsupported."""
    if availability.state == State.API_ONLY:
        return "opted_in" if allow_api_only else "api_only"
    return availability.state.value


def type_phrase(shape: Shape) -> str:
    """"contract-owned" for "Contract-owned bucket", the id where the label says nothing."""
    label = shape.bucket_type_label.removesuffix(" bucket")
    if label.lower() == "bucket":
        return shape.bucket_type
    return label[0].lower() + label[1:] if len(shape.provider.bucket_types) > 1 else label


@dataclass
class Section:
    setting: Setting
    availability: catalogue.Availability
    shape: Shape
    mode: str
    url: str
    can_edit: bool
    snippets: dict[str, str] | None = None
    value: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    error: str = ""
    not_implemented: str = ""
    saved: bool = False

    @property
    def feature(self) -> catalogue.Feature:
        return self.setting.feature

    @property
    def dom_id(self) -> str:
        return f"setting-{self.setting.feature_id}"

    @property
    def offered(self) -> bool:
        return self.setting.offered and self.mode != "unsupported"

    @property
    def enabled(self) -> bool:
        return self.can_edit and self.mode in ("console", "opted_in") and not self.not_implemented

    @property
    def control(self) -> str:
        """What a person sees: enabled | readonly | disabled | absent | api (no form here)."""
        if self.mode == "unsupported":
            return "absent"
        if not self.setting.offered:
            return "api"
        if self.mode == "api_only":
            return "disabled"
        return "enabled" if self.can_edit else "readonly"

    @property
    def unsupported_text(self) -> str:
        return f"Not supported by {self.shape.provider.label} for {type_phrase(self.shape)} buckets."

    @property
    def unsupported_note(self) -> str:
        """The catalogue's note, unless it only repeats `unsupported_text` in other words."""
        note = self.availability.note
        return "" if note.lower().startswith("not supported by") else note

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.availability.state]

    @property
    def opted_in_label(self) -> str:
        return OPTED_IN_LABEL


STATE_LABELS = {State.CONSOLE: "Console", State.API_ONLY: "API only",
                State.UNSUPPORTED: "Unsupported"}
STATE_CSS = {State.CONSOLE: "console", State.API_ONLY: "api-only", State.UNSUPPORTED: "unsupported"}


def section_new(
    feature_id: str,
    *,
    availability: catalogue.Availability,
    shape: Shape,
    url: str,
    can_edit: bool,
    endpoint: str,
    key: str = "",
) -> Section:
    """A section before anything is read: the catalogue alone decides its control."""
    mode = control_mode(availability, shape.allow_api_only)
    snippets = None
    if mode != "unsupported" and (mode == "api_only" or not SETTINGS[feature_id].offered):
        snippets = catalogue.api_snippets(feature_id, endpoint=endpoint, bucket=shape.bucket,
                                          region=shape.region, key=key)
    return Section(SETTINGS[feature_id], availability, shape, mode, url, can_edit, snippets)


def section_read(section: Section, where: Where) -> None:
    """Fill the section from the endpoint: one S3 call, never one for what is not offered."""
    if not section.offered or section.setting.read is None:
        return
    try:
        section.value = section.setting.read(where)
    except gateway.NotImplementedByProvider as exc:
        section.not_implemented = str(exc)
    except gateway.S3Error as exc:
        section.error = str(exc)


def sections_read(sections: list[Section], where: Where) -> None:
    """Fill several sections at once: their S3 reads are independent, so they overlap.

    A settings page reads up to five subresources; one after another they cost five round
    trips (and, on Ceph RGW's keep-alive connections, a delayed-ACK stall of ~40 ms each).
    The reads touch no database, so threads are safe here.
    """
    readable = [s for s in sections if s.offered and s.setting.read is not None]
    if len(readable) <= 1:
        for section in readable:
            section_read(section, where)
        return
    with ThreadPoolExecutor(max_workers=min(6, len(readable))) as pool:
        list(pool.map(lambda section: section_read(section, where), readable))


def section_refusal(section: Section) -> str:
    """Why a change may not reach the endpoint at all, or ""."""
    label = section.feature.label
    if section.mode == "unsupported":
        note = f" {section.availability.note}" if section.availability.note else ""
        return f"{label}: {section.unsupported_text}{note}"
    if not section.setting.offered:
        return f"{label} is not managed in this console; use the provider's API."
    if section.mode == "api_only":
        return (f"{label}: {section.shape.provider.label} offers this only through its API, and "
                "your team has not opted in to running API-only features from the console.")
    return ""


def section_parse(section: Section, data: Any) -> dict[str, Any]:
    assert section.setting.parse is not None
    return section.setting.parse(data, section.shape)


def section_write(section: Section, where: Where) -> None:
    assert section.setting.write is not None and section.value is not None
    section.setting.write(where, section.value, section.shape)


def audit_detail(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A short record of what was asked for: scalars as they are, lists by their length."""
    detail: dict[str, Any] = {}
    for name, item in (value or {}).items():
        if isinstance(item, bool | int) or (isinstance(item, str) and len(item) <= 200):
            detail[name] = item
        elif isinstance(item, list | dict | str):
            detail[f"{name}_count" if not isinstance(item, str) else f"{name}_length"] = len(item)
    return detail


# --------------------------------------------------------------------------------------
# Detect features
# --------------------------------------------------------------------------------------

# Listing probes only need to know the call is answered; one item is enough.
_PROBE_PARAMS: dict[str, dict[str, int]] = {
    "list_objects_v2": {"MaxKeys": 1},
    "list_multipart_uploads": {"MaxUploads": 1},
}


@dataclass
class Detection:
    states: dict[str, str]  # feature id -> state, only for features with an answer
    answers: dict[str, str]  # feature id -> what the endpoint said
    at: datetime | None = None


class DetectionFailed(Exception):
    """The bucket or the endpoint could not be probed at all; nothing should be stored."""


def features_detect(*, connection: gateway.Endpoint, bucket: str) -> Detection:
    """Run the catalogue's read-only probes against one bucket and map the answers to states.

    Answered or "not configured" means the console can offer it; "not implemented" means
    unsupported; access denied proves nothing, so the feature stays unknown.
    """
    states: dict[str, str] = {}
    answers: dict[str, str] = {}
    for feature_id, method in catalogue.DETECT_PROBES.items():
        if not method.startswith(("get_", "list_", "head_")):
            raise ValueError(f"probe {method} is not a read")  # never a put or a delete
        try:
            answer = gateway.get_config(connection, method, Bucket=bucket, what=method,
                                        **_PROBE_PARAMS.get(method, {}))
        except gateway.NotImplementedByProvider as exc:
            states[feature_id] = State.UNSUPPORTED.value
            answers[feature_id] = f"not implemented ({exc.code or 'refused'})"
        except gateway.AccessDenied:
            answers[feature_id] = "access denied: left unknown"
        except gateway.NotFound as exc:
            if method == "head_bucket" or exc.code == "NoSuchBucket":
                raise DetectionFailed(f"The bucket “{bucket}” does not exist.") from exc
            states[feature_id] = State.CONSOLE.value
            answers[feature_id] = f"not configured ({exc.code})"
        except (gateway.Unavailable, gateway.InvalidCredentials, gateway.Refused) as exc:
            raise DetectionFailed(str(exc)) from exc
        except gateway.S3Error as exc:
            answers[feature_id] = f"unclear answer, left unknown: {exc}"
        else:
            states[feature_id] = State.CONSOLE.value
            answers[feature_id] = "not configured" if answer is None else "answered"
    return Detection(states, answers)
