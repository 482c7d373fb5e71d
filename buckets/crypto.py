"""Encryption at rest for stored S3 credentials.

The keys live in ``settings.CONSOLE_ENCRYPTION_KEYS`` and deliberately not in
SECRET_KEY: SECRET_KEY gets rotated for session/CSRF reasons and must not make
every stored credential unreadable, and a leaked SECRET_KEY should not also
unlock the credentials.

Rotation: put a new key first and keep the old ones after it. Everything stays
readable; :func:`rotate` re-encrypts a token with the new key, after which the old
key can be dropped.
"""

from __future__ import annotations

import functools
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "DecryptionFailed",
    "SecretKeyMissing",
    "decrypt",
    "encrypt",
    "fingerprint",
    "generate_key",
    "rotate",
]

SECRET_MASK = "••••••••"


class SecretKeyMissing(RuntimeError):
    """No encryption key is configured."""


class DecryptionFailed(ValueError):
    """A stored value cannot be decrypted with any configured key."""


def _configured_keys() -> tuple[str, ...]:
    # Read at call time, not import time, so override_settings and settings
    # loaded after this module is imported both work.
    raw = getattr(settings, "CONSOLE_ENCRYPTION_KEYS", None) or ()
    if isinstance(raw, str | bytes):
        # Convenience for a value passed straight through from an environment
        # variable: "new,old".
        raw = raw.decode() if isinstance(raw, bytes) else raw
        raw = raw.split(",")
    keys = tuple(k.decode() if isinstance(k, bytes) else str(k) for k in raw)
    keys = tuple(k.strip() for k in keys if k and k.strip())
    if not keys:
        raise SecretKeyMissing(
            "No encryption key configured: set CONSOLE_ENCRYPTION_KEYS to a list of Fernet "
            "keys (the first one encrypts, the others can still decrypt). Generate one with "
            "`python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    return keys


@functools.lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for index, key in enumerate(keys):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # The index, never the key, so the message is safe to log.
            raise ImproperlyConfigured(
                f"CONSOLE_ENCRYPTION_KEYS[{index}] is not a valid Fernet key "
                "(expected 32 url-safe base64-encoded bytes)."
            ) from None
    return MultiFernet(fernets)


def _current() -> MultiFernet:
    return _multifernet(_configured_keys())


def encrypt(plaintext: str) -> str:
    """Encrypt ``plaintext`` with the current (first) key; returns a Fernet token."""
    return _current().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token made with any of the configured keys."""
    try:
        return _current().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        # `from None`: the cause would carry the token into tracebacks.
        raise DecryptionFailed(
            "A stored secret cannot be decrypted with any key in CONSOLE_ENCRYPTION_KEYS "
            "(was the key it was encrypted with removed?)."
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt ``token`` with the current (first) key."""
    try:
        return _current().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise DecryptionFailed(
            "A stored secret cannot be decrypted with any key in CONSOLE_ENCRYPTION_KEYS, "
            "so it cannot be re-encrypted."
        ) from None


def generate_key() -> str:
    """A new random key suitable for CONSOLE_ENCRYPTION_KEYS."""
    return Fernet.generate_key().decode("ascii")


def fingerprint(value: str, kind: Literal["access_key", "secret_key"] = "secret_key") -> str:
    """A display-safe stand-in for a credential.

    Access key IDs are identifiers, so the last four characters are shown
    ("…ABCD") to tell keys apart. Secret keys never show any character.
    The default is the secret-key behaviour, so forgetting ``kind`` fails safe.
    An empty value gives "" so the UI can still say "not set".
    """
    if not value:
        return ""
    if kind == "access_key" and len(value) >= 8:
        return f"…{value[-4:]}"
    # Short access keys: four characters would be too much of the whole.
    return SECRET_MASK
