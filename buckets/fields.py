"""Model fields for secrets that are encrypted at rest (see buckets.crypto)."""

from __future__ import annotations

from typing import Any

from django.db import models

from buckets import crypto


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code only ever sees plaintext.

    Tokens are randomised, so lookups other than ``isnull`` and ``=""`` can never
    match: filter on another column instead. The empty string is stored as-is so
    "not set" needs no key to tell apart. ``dumpdata`` writes plaintext, because
    ``loaddata`` encrypts on save: treat fixtures as secrets.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
