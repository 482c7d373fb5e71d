"""A logging filter that blanks anything looking like a credential."""

from __future__ import annotations

import logging
import re

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


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not stop logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
