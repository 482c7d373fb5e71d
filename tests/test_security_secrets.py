"""Stored S3 secrets: encrypted at rest, rotatable, never shown, logged or echoed."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db
from django.db import models
from django.urls import reverse

from buckets import crypto
from buckets.models import AuditEntry, Connection

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzz-secret"
ACCESS = "AKIAROTATIONTEST0001"


def stored(pk: int) -> tuple[str, str]:
    """The tokens as they sit in the database."""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT access_key, secret_key FROM {Connection._meta.db_table} WHERE id = %s", [pk])
        return cursor.fetchone()


def run(*args) -> str:
    out = io.StringIO()
    call_command("rotate_secrets", *args, stdout=out, stderr=out)
    return out.getvalue()


# --- rotation -----------------------------------------------------------------------------


def test_rotate_secrets_re_encrypts_everything_so_the_old_key_can_go(make_connection, team, settings):
    settings.CONSOLE_ENCRYPTION_KEYS = [OLD]
    first = make_connection(team, endpoint="https://a.example", access_key=ACCESS, secret_key=SECRET)
    second = make_connection(team, endpoint="https://b.example", access_key="AKIASECOND", secret_key="second-secret")
    before = stored(first.pk)
    assert SECRET not in before[1]

    settings.CONSOLE_ENCRYPTION_KEYS = [NEW, OLD]
    with pytest.raises(CommandError, match="4 secret"):
        run("--check")
    output = run()
    assert "Re-encrypted 4 secret(s)" in output and "remove them" in output
    assert SECRET not in output and ACCESS not in output and before[1] not in output
    assert stored(first.pk) != before
    run("--check")

    settings.CONSOLE_ENCRYPTION_KEYS = [NEW]
    assert Connection.objects.get(pk=first.pk).secret_key == SECRET
    assert Connection.objects.get(pk=first.pk).access_key == ACCESS
    assert Connection.objects.get(pk=second.pk).secret_key == "second-secret"
    assert Fernet(NEW).decrypt(stored(first.pk)[1].encode()).decode() == SECRET


def test_without_rotation_dropping_the_old_key_makes_secrets_unreadable(make_connection, team, settings):
    settings.CONSOLE_ENCRYPTION_KEYS = [OLD]
    conn = make_connection(team, endpoint="https://a.example", secret_key=SECRET)
    settings.CONSOLE_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(crypto.DecryptionFailed) as failure:
        Connection.objects.get(pk=conn.pk)
    assert SECRET not in str(failure.value)


def test_rotation_is_all_or_nothing_when_a_secret_cannot_be_decrypted(make_connection, team, settings):
    settings.CONSOLE_ENCRYPTION_KEYS = [OLD]
    good = make_connection(team, endpoint="https://a.example", secret_key=SECRET)
    lost = make_connection(team, endpoint="https://b.example", secret_key="lost")
    # As if `lost` had been written with a key nobody kept.
    orphan = Fernet(Fernet.generate_key()).encrypt(b"lost").decode()
    Connection.objects.filter(pk=lost.pk).update(secret_key=models.Value(orphan, output_field=models.TextField()))
    before = stored(good.pk)
    settings.CONSOLE_ENCRYPTION_KEYS = [NEW, OLD]
    with pytest.raises(CommandError) as failure:
        run()
    assert f"buckets.Connection #{lost.pk} (secret_key)" in str(failure.value)
    assert orphan not in str(failure.value)
    assert stored(good.pk) == before  # nothing was changed


def test_rotation_leaves_empty_values_alone(make_connection, team, settings):
    settings.CONSOLE_ENCRYPTION_KEYS = [OLD]
    conn = make_connection(team, endpoint="https://a.example", secret_key=SECRET)
    Connection.objects.filter(pk=conn.pk).update(access_key="")
    settings.CONSOLE_ENCRYPTION_KEYS = [NEW, OLD]
    assert "Re-encrypted 1 secret(s)" in run()
    assert stored(conn.pk)[0] == ""


# --- never shown, logged or echoed --------------------------------------------------------


def form_data(endpoint: str, secret: str, **overrides) -> dict:
    data = {"name": "Logged?", "provider": "generic", "region": "us-east-1", "bucket_type": "",
            "endpoint_url": endpoint, "access_key": ACCESS, "secret_key": secret,
            "addressing_style": "path", "signature_version": "s3v4"}
    data.update(overrides)
    return data


def everything_logged(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or "", str(record.__dict__)]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


@pytest.fixture
def verbose_logs(caplog):
    """Everything at DEBUG, botocore included (the settings keep it at WARNING)."""
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "boto3", "urllib3", "django"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_creating_and_testing_a_connection_never_logs_or_echoes_the_secret(login, admin, s3_endpoint, verbose_logs):
    secret = "moto-secret-never-logged-5d1e"
    client = login(admin)
    responses = [client.post(reverse("connection_create"), form_data(s3_endpoint, secret))]
    conn = Connection.objects.get()
    responses += [
        client.post(reverse("connection_test", args=[conn.pk]), headers={"HX-Request": "true"}),
        client.get(reverse("connection_edit", args=[conn.pk])),
        client.get(reverse("connections")),
        client.get(reverse("bucket_list", args=[conn.pk])),
        client.post(reverse("connection_test_unsaved"), form_data(s3_endpoint, secret + "-typo")),
        # A failing test: nothing listens on port 9.
        client.post(reverse("connection_test_unsaved"), form_data("http://127.0.0.1:9", secret)),
        client.post(reverse("connection_edit", args=[conn.pk]), form_data(s3_endpoint, "", name="")),
    ]
    assert "refused or unreachable" in responses[-2].content.decode()
    # botocore's DEBUG output (requests, signing) was captured, and still holds no secret.
    assert any(r.name.startswith("botocore") for r in verbose_logs.records)
    for text in (secret, secret + "-typo"):
        assert text not in everything_logged(verbose_logs)
        for response in responses:
            assert text.encode() not in response.content
    assert secret not in str(list(AuditEntry.objects.values()))


@pytest.mark.rgw
def test_a_wrong_secret_on_rgw_is_reported_without_logging_or_echoing_it(login, admin, rgw, verbose_logs):
    wrong = "wrong-rgw-secret-never-logged-77aa"
    client = login(admin)
    data = form_data(rgw["endpoint"], wrong, access_key=rgw["access_key"])
    unsaved = client.post(reverse("connection_test_unsaved"), data, headers={"HX-Request": "true"})
    client.post(reverse("connection_create"), data)
    saved = client.post(reverse("connection_test", args=[Connection.objects.get().pk]), headers={"HX-Request": "true"})
    for response in (unsaved, saved):
        html = response.content.decode()
        assert "rejected the access key or secret key" in html
        assert wrong not in html and rgw["secret_key"] not in html
    logged = everything_logged(verbose_logs)
    assert wrong not in logged
    assert rgw["secret_key"] not in logged


def test_a_database_dump_holds_no_plaintext_secret(make_connection, team):
    conn = make_connection(team, endpoint="https://a.example", access_key=ACCESS, secret_key=SECRET)
    access_token, secret_token = stored(conn.pk)
    assert SECRET not in secret_token and ACCESS not in access_token
    assert secret_token.startswith("gAAAAA")


def test_a_team_a_connection_is_only_shared_with_cannot_sign_requests_elsewhere_with_its_secret(
    login, outsider, make_connection, team, other_team, monkeypatch
):
    from buckets import gateway
    from buckets.models import Grant

    conn = make_connection(team, endpoint="https://s3.blue.test", access_key="AKIABLUEOWNED01", secret_key=SECRET)
    Grant.objects.create(connection=conn, team=other_team)
    sent = []

    def fake_send(self, request):
        sent.append(request.url)
        raise gateway.Unavailable("stopped before the network")

    monkeypatch.setattr("botocore.endpoint.Endpoint._send", fake_send)
    response = login(outsider).post(reverse("connection_test_unsaved"), form_data(
        "http://127.0.0.1:9", "", connection_id=conn.pk, access_key="AKIABLUEOWNED01"))
    assert sent == []
    assert response.status_code in (403, 404)
