"""The moto S3 server, keeping the object size filters of lifecycle rules as AWS does.

moto (5.2.1, and its main branch as of this writing) stores a rule with
``ObjectSizeGreaterThan`` / ``ObjectSizeLessThan`` but answers GetBucketLifecycleConfiguration
without them, so no round trip of a size filter can be read back from it. This wrapper keeps
each stored rule's sizes beside moto's own model and adds them to the answer, where AWS puts
them: in the ``Filter`` itself or in its ``And``. Everything else is moto's.

Run like ``moto_server``: ``python tests/moto_lifecycle_sizes.py -H 127.0.0.1 -p PORT``
(tests/test_lifecycle_editor.py starts it). The canary test there says when moto has caught
up and this file can go.
"""

from __future__ import annotations

import sys
from typing import Any

from moto.s3 import models, responses
from moto.server import main

SIZES = ("ObjectSizeGreaterThan", "ObjectSizeLessThan")
_set_lifecycle = models.FakeBucket.set_lifecycle
_get_bucket_lifecycle = responses.S3Response.get_bucket_lifecycle


def _sizes(part: Any) -> dict[str, int]:
    return {name: int(part[name]) for name in SIZES if isinstance(part, dict) and part.get(name) is not None}


def set_lifecycle(self, rules: list[dict[str, Any]]) -> None:
    kept = []
    for rule in rules:  # before moto's parser, which rewrites parts of the rule
        flt = rule.get("Filter") if isinstance(rule.get("Filter"), dict) else {}
        kept.append((_sizes(flt), _sizes(flt.get("And"))))
    _set_lifecycle(self, rules)
    for stored, sizes in zip(self.rules, kept, strict=True):
        stored.kept_sizes = sizes


def get_bucket_lifecycle(self):
    stored = self.backend.get_bucket_lifecycle(self.bucket_name) or []
    serialized = self.serialized

    def with_sizes(action_result):
        result = action_result.result
        for rule, shown in zip(stored, result.get("Rules", []) if isinstance(result, dict) else [],
                               strict=False):
            top, both = getattr(rule, "kept_sizes", ({}, {}))
            if top or both:
                flt = shown.setdefault("Filter", {})
                flt.update(top)
                if both:
                    flt.setdefault("And", {}).update(both)
        return serialized(action_result)

    self.serialized = with_sizes
    try:
        return _get_bucket_lifecycle(self)
    finally:
        del self.serialized


models.FakeBucket.set_lifecycle = set_lifecycle
responses.S3Response.get_bucket_lifecycle = get_bucket_lifecycle

if __name__ == "__main__":
    sys.exit(main())
