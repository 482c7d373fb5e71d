"""Which settings exist, and on which page each one sits.

A new setting is a module in this package (read, parse, write and its `SETTING`), a
template of the same name under ``templates/buckets/settings/``, and one line below.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import (
    access_logging,
    block_public_access,
    bucket_acl,
    bucket_encryption,
    bucket_policy,
    bucket_tagging,
    cors,
    legal_hold,
    lifecycle,
    object_acl,
    object_lock,
    object_ownership,
    object_tagging,
    replication,
    request_payment,
    versioning,
    website,
)
from .model import Setting

SETTINGS: dict[str, Setting] = {s.feature_id: s for s in (
    versioning.SETTING,
    bucket_tagging.SETTING,
    bucket_encryption.SETTING,
    access_logging.SETTING,
    object_lock.SETTING,
    request_payment.SETTING,
    website.SETTING,
    block_public_access.SETTING,
    bucket_policy.SETTING,
    object_ownership.SETTING,
    bucket_acl.SETTING,
    cors.SETTING,
    lifecycle.SETTING,
    replication.SETTING,
    # The console has no form for these; their rows say what the provider offers and how
    # to reach it. Nothing is ever sent for them: on moto a DELETE of a metrics, analytics
    # or inventory configuration deletes the whole bucket.
    Setting("notifications"),
    Setting("accelerate"),
    Setting("inventory"),
    Setting("metrics"),
    Setting("analytics"),
    Setting("object_query"),
    object_tagging.SETTING,
    object_acl.SETTING,
    legal_hold.SETTING,
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
