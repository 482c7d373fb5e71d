"""A logging filter that blanks anything looking like a credential."""

from __future__ import annotations

import logging
import re
from typing import Any

PATTERNS = [
    # SigV4/SigV2 Authorization headers and presigned query strings.
    (re.compile(r"(AWS4-HMAC-SHA256 Credential=)[^,\s]+"), r"\1[redacted]"),
    (re.compile(r"(Signature=)[0-9a-fA-F]+"), r"\1[redacted]"),
    (re.compile(r"(X-Amz-Signature=)[^&\s]+"), r"\1[redacted]"),
    (re.compile(r"(X-Amz-Credential=)[^&\s]+"), r"\1[redacted]"),
    (re.compile(r"(AWS [A-Z0-9]{16,}:)[^\s'\"]+"), r"\1[redacted]"),
    (re.compile(r"((?:secret_key|secret|aws_secret_access_key|password)['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+", re.I), r"\1[redacted]"),
    # Fernet tokens of stored secrets.
    (re.compile(r"gAAAAA[0-9A-Za-z_\-=]{20,}"), "[redacted-token]"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# Context keys whose names merely look like secrets.
SAFE_FIELDS = {"request_id"}
# Fields whose value is a credential whatever it looks like.
SECRET_FIELDS = re.compile(r"secret|password|passwd|token|authorization|customer_key|credential|cookie|session", re.I)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: "[redacted]" if SECRET_FIELDS.search(str(k)) else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def redact_event(logger: Any, method: str, event: dict) -> dict:
    """structlog processor: blank credentials in every field of a structured log line."""
    return {k: "[redacted]" if SECRET_FIELDS.search(k) and k not in SAFE_FIELDS else _scrub(v) for k, v in event.items()}


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            return True  # a structlog event: redact_event scrubs it field by field
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
