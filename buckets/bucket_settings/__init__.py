"""Bucket and object settings: read, parsed and written through the gateway, shaped by the
catalogue.

The rooms of this package:

- one module per setting, named like its template under ``templates/buckets/settings/``
  (``cors.py`` ↔ ``cors.html``): its ``<noun>_read/_parse/_write`` functions and its
  `Setting`; ``_tags.py`` and ``_grants.py`` hold what two settings share, as the
  templates ``_tags.html`` and ``_grants.html`` do;
- `model`: `Where`, `Shape` (what the provider allows), `Setting`, `Rejected`;
- `inputs`: reading typed input (whole numbers, JSON, bucket names, rule formsets);
- `registry`: every setting and the page it sits on; the settings URLs are made from it;
- `sections`: what one setting's control looks like for a user, and whether a POST may
  reach the endpoint;
- `detection`: the read-only probes of "Detect features".

Callers import from here (``from buckets import bucket_settings``).
"""

from .access_logging import logging_parse, logging_read, logging_write
from .block_public_access import bpa_parse, bpa_read, bpa_write
from .bucket_acl import bucket_acl_parse, bucket_acl_read, bucket_acl_write
from .bucket_encryption import encryption_parse, encryption_read, encryption_write
from .bucket_policy import policy_parse, policy_read, policy_write
from .bucket_tagging import bucket_tags_parse, bucket_tags_read, bucket_tags_write
from .cors import cors_parse, cors_read, cors_write, origin_problem
from .detection import Detection, DetectionFailed, features_detect
from .inputs import whole_number
from .legal_hold import legal_hold_parse, legal_hold_read, legal_hold_write
from .lifecycle import (
    lifecycle_filter,
    lifecycle_parse,
    lifecycle_read,
    lifecycle_rule_value,
    lifecycle_s3_filter,
    lifecycle_s3_rules,
    lifecycle_sizes,
    lifecycle_write,
)
from .model import (
    BPA_FLAGS,
    GROUP_LABELS,
    GROUP_URIS,
    PERMISSIONS,
    STORAGE_CLASSES,
    Rejected,
    Setting,
    Shape,
    Where,
    shape_for,
)
from .object_acl import object_acl_parse, object_acl_read, object_acl_write
from .object_lock import object_lock_parse, object_lock_read, object_lock_write
from .object_ownership import ownership_parse, ownership_read, ownership_write
from .object_tagging import object_tags_parse, object_tags_read, object_tags_write
from .registry import GROUPS, OBJECT_FEATURES, SETTINGS, Group, group_of
from .replication import replication_parse, replication_read, replication_write
from .request_payment import request_payment_parse, request_payment_read, request_payment_write
from .sections import (
    OPTED_IN_LABEL,
    STATE_CSS,
    STATE_LABELS,
    Section,
    audit_detail,
    control_mode,
    section_new,
    section_parse,
    section_read,
    section_refusal,
    section_write,
    sections_read,
    type_phrase,
)
from .versioning import versioning_parse, versioning_read, versioning_write
from .website import website_parse, website_read, website_write

__all__ = [
    "BPA_FLAGS", "GROUPS", "GROUP_LABELS", "GROUP_URIS", "OBJECT_FEATURES", "OPTED_IN_LABEL",
    "PERMISSIONS", "SETTINGS", "STATE_CSS", "STATE_LABELS", "STORAGE_CLASSES", "Detection",
    "DetectionFailed", "Group", "Rejected", "Section", "Setting", "Shape", "Where",
    "audit_detail", "bpa_parse", "bpa_read", "bpa_write", "bucket_acl_parse", "bucket_acl_read",
    "bucket_acl_write", "bucket_tags_parse", "bucket_tags_read", "bucket_tags_write",
    "control_mode", "cors_parse", "cors_read", "cors_write", "encryption_parse",
    "encryption_read", "encryption_write", "features_detect", "group_of", "legal_hold_parse",
    "legal_hold_read", "legal_hold_write", "lifecycle_filter", "lifecycle_parse",
    "lifecycle_read", "lifecycle_rule_value", "lifecycle_s3_filter", "lifecycle_s3_rules",
    "lifecycle_sizes", "lifecycle_write",
    "logging_parse", "logging_read", "logging_write", "object_acl_parse", "object_acl_read",
    "object_acl_write", "object_lock_parse", "object_lock_read", "object_lock_write",
    "object_tags_parse", "object_tags_read", "object_tags_write", "origin_problem",
    "ownership_parse", "ownership_read", "ownership_write", "policy_parse", "policy_read",
    "policy_write", "replication_parse", "replication_read", "replication_write",
    "request_payment_parse", "request_payment_read", "request_payment_write", "section_new",
    "section_parse", "section_read", "section_refusal", "section_write", "sections_read",
    "shape_for", "type_phrase", "versioning_parse", "versioning_read", "versioning_write",
    "website_parse", "website_read", "website_write", "whole_number",
]
