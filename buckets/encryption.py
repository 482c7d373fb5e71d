"""Server-side encryption of uploads, as the catalogue allows it per provider and bucket type.

IONOS encrypts with SSE-S3 by default in its web interface and offers customer keys
(SSE-C) only through its API; DigitalOcean Spaces offers SSE-C only. The upload form is
built from these choices, and a POST asking for anything else never reaches the endpoint.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from . import catalogue, crypto

LABELS = {
    "": "No server-side encryption",
    "SSE-S3": "SSE-S3 (keys managed by the provider, AES-256)",
    "SSE-KMS": "SSE-KMS (a key in the provider's KMS)",
    "SSE-C": "SSE-C (your own key)",
}


class EncryptionRefused(ValueError):
    """The request asked for encryption this bucket does not offer; the message says why."""


@dataclass
class Choices:
    modes: list[str]  # offered in the form, "" (none) first
    default: str
    sse_c_api_only: bool = False  # SSE-C exists, but only through the provider's API
    note: str = ""

    @property
    def options(self) -> list[tuple[str, str]]:
        return [(mode, LABELS[mode]) for mode in self.modes]


def upload_choices(provider: str, bucket_type: str, *, overrides: dict | None, allow_api_only: bool) -> Choices:
    availability = catalogue.availability(provider, bucket_type, "object_encryption", overrides=overrides)
    if not availability.usable(allow_api_only):
        return Choices([""], "", note=availability.note)
    modes = [m for m in catalogue.constraint(provider, bucket_type, "sse_modes", ()) if m in LABELS]
    sse_c = catalogue.constraint(provider, bucket_type, "sse_c", "console")
    sse_c_api_only = sse_c == "api_only" and not allow_api_only
    if sse_c == "console" or (sse_c == "api_only" and allow_api_only):
        if "SSE-C" not in modes:
            modes.append("SSE-C")
    elif "SSE-C" in modes:
        modes.remove("SSE-C")
    default = str(catalogue.constraint(provider, bucket_type, "sse_default", "") or "")
    return Choices(["", *modes], default if default in modes else "", sse_c_api_only, availability.note)


def parse_customer_key(text: str) -> bytes:
    """A 256-bit key given as base64 (44 characters) or hex (64 characters)."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        raise EncryptionRefused("An SSE-C key is 32 bytes (256 bits), written as base64 or as 64 hex digits.")
    return raw


@dataclass
class Encryption:
    mode: str = ""
    kms_key_id: str = ""
    customer_key: bytes = field(default=b"", repr=False)

    def put_params(self) -> dict[str, Any]:
        """For PutObject and CreateMultipartUpload."""
        if self.mode == "SSE-S3":
            return {"ServerSideEncryption": "AES256"}
        if self.mode == "SSE-KMS":
            return {"ServerSideEncryption": "aws:kms", **({"SSEKMSKeyId": self.kms_key_id} if self.kms_key_id else {})}
        return self.key_params()

    def key_params(self) -> dict[str, Any]:
        """For every request that touches an SSE-C object's bytes (parts, HEAD, GET)."""
        if self.mode == "SSE-C":
            return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": self.customer_key}
        return {}

    def to_job(self) -> dict[str, str]:
        """For the job row; the customer key only ever encrypted, and removed when done."""
        stored = {"mode": self.mode, "kms_key_id": self.kms_key_id}
        if self.customer_key:
            stored["customer_key"] = crypto.encrypt(base64.b64encode(self.customer_key).decode())
        return stored

    @classmethod
    def from_job(cls, stored: dict | None) -> Encryption:
        stored = stored or {}
        key = stored.get("customer_key")
        return cls(stored.get("mode", ""), stored.get("kms_key_id", ""),
                   base64.b64decode(crypto.decrypt(key)) if key else b"")


def parse(data: Any, choices: Choices) -> Encryption:
    """The encryption a form asked for, if this bucket offers it."""
    mode = str(data.get("sse", choices.default) or "")
    if mode not in choices.modes:
        if mode == "SSE-C" and choices.sse_c_api_only:
            raise EncryptionRefused("Customer-provided keys (SSE-C) are available only through the provider's API.")
        raise EncryptionRefused(f"{LABELS.get(mode, mode)} is not offered for this bucket.")
    encryption = Encryption(mode)
    if mode == "SSE-KMS":
        encryption.kms_key_id = str(data.get("sse_kms_key_id", "")).strip()
    if mode == "SSE-C":
        encryption.customer_key = parse_customer_key(str(data.get("sse_customer_key", "")))
    return encryption
