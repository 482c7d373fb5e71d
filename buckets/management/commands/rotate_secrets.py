"""`manage.py rotate_secrets`: re-encrypt every stored secret with the current key.

The procedure (docs/security.md):
1. Generate a key and put it FIRST in CONSOLE_ENCRYPTION_KEYS, keeping the old key(s)
   after it ("new,old"); restart web and workers. Everything stays readable, new
   secrets are written with the new key.
2. Run `manage.py rotate_secrets`. It re-encrypts every encrypted column of every row
   with the first key, all in one transaction; `--check` only counts what is left.
3. Remove the old key(s) from CONSOLE_ENCRYPTION_KEYS and restart again.

It reads and writes the stored tokens directly (never the plaintext through the ORM), and
prints model names, row ids and counts, never a secret or a token.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from buckets import crypto
from buckets.fields import EncryptedTextField


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with EncryptedTextField columns, and the names of those columns."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def raw_tokens(model: type[models.Model], names: list[str]):
    """(pk, {column: stored token}) for every row; the cast skips the field's decryption."""
    annotations = {f"raw_{name}": Cast(name, output_field=models.TextField()) for name in names}
    rows = model._base_manager.annotate(**annotations).values_list("pk", *annotations).order_by("pk")
    for pk, *tokens in rows.iterator():
        yield pk, dict(zip(names, tokens, strict=True))


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (connection keys) with the first key of "
        "CONSOLE_ENCRYPTION_KEYS, so older keys can be removed afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; count the secrets not yet encrypted with the first key (exit 1 if any).",
        )

    def handle(self, *args, check: bool = False, **options):
        try:
            keys = crypto._configured_keys()
        except crypto.SecretKeyMissing as exc:
            raise CommandError(str(exc)) from None
        current = Fernet(keys[0])
        rotated = stale = 0
        unreadable: list[str] = []
        with transaction.atomic():
            for model, names in encrypted_fields():
                label = model._meta.label
                for pk, tokens in raw_tokens(model, names):
                    updates = {}
                    for name, token in tokens.items():
                        if not token:
                            continue  # "" means "not set" and is stored as is
                        try:
                            current.decrypt(token.encode("ascii"))
                        except (InvalidToken, UnicodeError):
                            stale += 1
                        if check:
                            continue
                        try:
                            updates[name] = models.Value(crypto.rotate(token), output_field=models.TextField())
                        except crypto.DecryptionFailed:
                            unreadable.append(f"{label} #{pk} ({name})")
                    if updates:
                        model._base_manager.filter(pk=pk).update(**updates)
                        rotated += len(updates)
            if unreadable:
                # All or nothing: a half-rotated database is harder to reason about.
                transaction.set_rollback(True)
        if unreadable:
            raise CommandError(
                "Nothing was changed. These secrets cannot be decrypted with any key in "
                "CONSOLE_ENCRYPTION_KEYS (was their key removed too early?): " + ", ".join(unreadable)
            )
        if check:
            if stale:
                raise CommandError(f"{stale} secret(s) are not encrypted with the first key yet: run rotate_secrets.")
            self.stdout.write("Every secret is encrypted with the first key of CONSOLE_ENCRYPTION_KEYS.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Re-encrypted {rotated} secret(s) with the first key ({stale} were on an older key)."
        ))
        if len(keys) > 1:
            self.stdout.write(
                f"The other {len(keys) - 1} key(s) in CONSOLE_ENCRYPTION_KEYS are no longer needed by "
                "stored data: remove them and restart the web and worker processes."
            )
