"""Encryption at rest. Keys always come from override_settings, so these tests
give the same result standalone and under the project's settings module."""

import django
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

if not settings.configured:  # standalone run (-p no:django)
    settings.configure(CONSOLE_ENCRYPTION_KEYS=[Fernet.generate_key().decode()])
    django.setup()

from buckets import crypto  # noqa: E402
from buckets.fields import EncryptedTextField  # noqa: E402

OLD = crypto.generate_key()
NEW = crypto.generate_key()
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(autouse=True)
def current_key():
    with override_settings(CONSOLE_ENCRYPTION_KEYS=[OLD]):
        yield


def test_round_trip():
    token = crypto.encrypt(SECRET)
    assert isinstance(token, str)
    assert crypto.decrypt(token) == SECRET
    assert crypto.decrypt(crypto.encrypt("")) == ""
    assert crypto.decrypt(crypto.encrypt("ünïcødé ✓")) == "ünïcødé ✓"


def test_token_does_not_contain_plaintext():
    token = crypto.encrypt(SECRET)
    assert SECRET not in token
    assert "EXAMPLEKEY" not in token
    # Randomised: the same plaintext never gives the same token.
    assert crypto.encrypt(SECRET) != token


def test_generate_key_is_a_fernet_key():
    key = crypto.generate_key()
    assert isinstance(key, str)
    Fernet(key)
    assert key != crypto.generate_key()


def test_decrypt_with_old_key_after_rotation_config():
    old_token = crypto.encrypt(SECRET)
    with override_settings(CONSOLE_ENCRYPTION_KEYS=[NEW, OLD]):
        assert crypto.decrypt(old_token) == SECRET
        new_token = crypto.encrypt(SECRET)
    # New tokens are made with the first key only.
    with override_settings(CONSOLE_ENCRYPTION_KEYS=[NEW]):
        assert crypto.decrypt(new_token) == SECRET
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(new_token)


def test_rotate_output_decrypts_with_only_the_new_key():
    old_token = crypto.encrypt(SECRET)
    with override_settings(CONSOLE_ENCRYPTION_KEYS=[NEW, OLD]):
        rotated = crypto.rotate(old_token)
    assert rotated != old_token
    with override_settings(CONSOLE_ENCRYPTION_KEYS=[NEW]):
        assert crypto.decrypt(rotated) == SECRET
        with pytest.raises(crypto.DecryptionFailed) as excinfo:
            crypto.decrypt(old_token)
    assert old_token not in str(excinfo.value)
    assert excinfo.value.__cause__ is None and excinfo.value.__suppress_context__


def test_keys_as_comma_separated_string():
    old_token = crypto.encrypt(SECRET)
    with override_settings(CONSOLE_ENCRYPTION_KEYS=f"{NEW}, {OLD}"):
        assert crypto.decrypt(old_token) == SECRET


@pytest.mark.parametrize("keys", [[], None, "", ["", "  "]])
def test_missing_keys(keys):
    with override_settings(CONSOLE_ENCRYPTION_KEYS=keys):
        for call in (crypto.encrypt, crypto.decrypt, crypto.rotate):
            with pytest.raises(crypto.SecretKeyMissing, match="CONSOLE_ENCRYPTION_KEYS"):
                call("anything")


def test_missing_setting_entirely():
    with override_settings():
        del settings.CONSOLE_ENCRYPTION_KEYS
        with pytest.raises(crypto.SecretKeyMissing):
            crypto.encrypt(SECRET)


def test_invalid_key_message_does_not_contain_the_key():
    bad = "not-a-fernet-key-but-maybe-a-secret"
    with override_settings(CONSOLE_ENCRYPTION_KEYS=[NEW, bad]):
        with pytest.raises(ImproperlyConfigured, match=r"CONSOLE_ENCRYPTION_KEYS\[1\]") as excinfo:
            crypto.encrypt(SECRET)
    assert bad not in str(excinfo.value)


def test_garbage_token_is_refused_cleanly():
    for token in ("garbage", "", "ünïcødé"):
        with pytest.raises(crypto.DecryptionFailed):
            crypto.decrypt(token)


def test_fingerprint_never_reveals_a_secret_key():
    masked = crypto.fingerprint(SECRET, "secret_key")
    assert masked == "••••••••"
    assert not set(masked) & set(SECRET)
    # Forgetting `kind` must fail safe.
    assert crypto.fingerprint(SECRET) == "••••••••"
    assert crypto.fingerprint("") == ""


def test_fingerprint_of_access_key_shows_last_four():
    assert crypto.fingerprint("AKIAIOSFODNN7EXAMPLE", "access_key") == "…MPLE"
    # Too short to show a quarter of it.
    assert crypto.fingerprint("AKIA", "access_key") == "••••••••"


# --- EncryptedTextField (without a database) ---------------------------------


def test_field_stores_token_and_returns_plaintext():
    field = EncryptedTextField()
    stored = field.get_prep_value(SECRET)
    assert stored != SECRET and SECRET not in stored
    assert field.from_db_value(stored, None, None) == SECRET


def test_field_keeps_empty_and_null():
    field = EncryptedTextField(null=True, blank=True)
    assert field.get_prep_value("") == ""
    assert field.get_prep_value(None) is None
    assert field.from_db_value("", None, None) == ""
    assert field.from_db_value(None, None, None) is None


def test_field_decrypt_error_does_not_leak_token():
    field = EncryptedTextField()
    stored = field.get_prep_value(SECRET)
    with override_settings(CONSOLE_ENCRYPTION_KEYS=[NEW]):
        with pytest.raises(crypto.DecryptionFailed) as excinfo:
            field.from_db_value(stored, None, None)
    assert stored not in str(excinfo.value) and SECRET not in str(excinfo.value)


def test_field_deconstructs_for_migrations():
    field = EncryptedTextField(blank=True, help_text="S3 secret")
    name, path, args, kwargs = field.deconstruct()
    assert path == "buckets.fields.EncryptedTextField"
    assert args == []
    assert kwargs == {"blank": True, "help_text": "S3 secret"}
    clone = EncryptedTextField(*args, **kwargs)
    assert clone.deconstruct()[1:] == (path, args, kwargs)
