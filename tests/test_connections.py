"""Connections: add, edit, delete and "Test connection", with every failure explained."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from django.urls import reverse

from buckets.models import Connection, Grant
from tests.conftest import free_port


def form_data(endpoint: str, **overrides) -> dict:
    data = {
        "name": "My endpoint",
        "provider": "generic",
        "region": "us-east-1",
        "bucket_type": "",
        "endpoint_url": endpoint,
        "access_key": "AKIAEXAMPLE",
        "secret_key": "very-secret-value-123",
        "addressing_style": "path",
        "signature_version": "s3v4",
    }
    data.update(overrides)
    return data


def test_an_admin_adds_a_connection_with_encrypted_keys(login, admin, team, s3_endpoint):
    response = login(admin).post(reverse("connection_create"), form_data(s3_endpoint))
    assert response.status_code == 302
    connection = Connection.objects.get(name="My endpoint")
    assert connection.team == team
    assert Grant.objects.filter(connection=connection, team=team).exists()
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT access_key, secret_key FROM buckets_connection WHERE id = %s", [connection.pk])
        stored = cursor.fetchone()
    assert "very-secret-value-123" not in stored[1]
    assert connection.secret_key == "very-secret-value-123"


def test_the_secret_key_is_write_only_and_kept_when_left_empty(login, admin, connection):
    client = login(admin)
    page = client.get(reverse("connection_edit", args=[connection.pk])).content.decode()
    assert "test-secret" not in page
    response = client.post(
        reverse("connection_edit", args=[connection.pk]),
        form_data(connection.endpoint_url, name="Renamed", access_key="test-key", secret_key=""),
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.name == "Renamed" and connection.secret_key == "test-secret"


def test_an_editor_may_not_add_connections(login, editor, s3_endpoint):
    response = login(editor).post(reverse("connection_create"), form_data(s3_endpoint))
    assert response.status_code == 403
    assert not Connection.objects.exists()


def test_deleting_a_connection_leaves_the_buckets_alone(login, admin, connection, bucket):
    from buckets import gateway

    response = login(admin).post(reverse("connection_delete", args=[connection.pk]))
    assert response.status_code == 302
    assert not Connection.objects.filter(pk=connection.pk).exists()
    probe = Connection(endpoint_url=connection.endpoint_url, access_key="k", secret_key="s", region="us-east-1",
                       addressing_style="path", signature_version="s3v4")
    assert bucket in [b.name for b in gateway.list_buckets(probe)]


def test_test_connection_reports_the_bucket_count(login, viewer, connection, bucket):
    html = login(viewer).post(reverse("connection_test", args=[connection.pk])).content.decode()
    assert "Connected" in html


def test_a_refused_port_gives_a_clear_message(login, admin, make_connection, team):
    connection = make_connection(team, endpoint=f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    html = login(admin).post(reverse("connection_test", args=[connection.pk])).content.decode()
    assert "Could not connect to the endpoint" in html
    assert time.monotonic() - started < 10


@pytest.fixture
def silent_server():
    """Accepts connections and never answers: a host that hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_a_host_that_never_answers_gives_a_clear_message_within_ten_seconds(login, admin, make_connection, team, silent_server):
    connection = make_connection(team, endpoint=f"http://127.0.0.1:{silent_server}")
    started = time.monotonic()
    html = login(admin).post(reverse("connection_test", args=[connection.pk])).content.decode()
    elapsed = time.monotonic() - started
    assert "did not answer in time" in html
    assert elapsed < 10


def test_a_tls_error_gives_a_clear_message(login, admin, make_connection, team, s3_endpoint):
    # https to a plain-HTTP server: the handshake fails.
    connection = make_connection(team, endpoint=s3_endpoint.replace("http://", "https://"))
    html = login(admin).post(reverse("connection_test", args=[connection.pk])).content.decode()
    assert "TLS handshake" in html or "Could not connect" in html


@pytest.mark.rgw
def test_wrong_keys_on_a_real_endpoint_say_so(login, admin, make_connection, team, rgw):
    connection = make_connection(team, endpoint=rgw["endpoint"], access_key=rgw["access_key"], secret_key="wrong-secret")
    html = login(admin).post(reverse("connection_test", args=[connection.pk])).content.decode()
    assert "rejected the access key or secret key" in html
    assert "wrong-secret" not in html


@pytest.mark.rgw
def test_an_unknown_access_key_on_a_real_endpoint_says_so(login, admin, make_connection, team, rgw):
    connection = make_connection(team, endpoint=rgw["endpoint"], access_key="NOSUCHKEY0000", secret_key="x")
    html = login(admin).post(reverse("connection_test", args=[connection.pk])).content.decode()
    assert "rejected the access key or secret key" in html


@pytest.mark.rgw
def test_the_right_keys_on_a_real_endpoint_connect(login, admin, rgw_connection):
    html = login(admin).post(reverse("connection_test", args=[rgw_connection.pk])).content.decode()
    assert "Connected" in html


def test_testing_unsaved_form_values_works_before_saving(login, admin, s3_endpoint):
    html = login(admin).post(reverse("connection_test_unsaved"), form_data(s3_endpoint)).content.decode()
    assert "Connected" in html
    assert not Connection.objects.exists()


def test_an_endpoint_on_a_private_address_is_refused_unless_allowlisted(login, admin, settings):
    settings.CONSOLE_ENDPOINT_ALLOWLIST = []
    response = login(admin).post(reverse("connection_create"), form_data("http://127.0.0.1:9"))
    assert response.status_code == 200
    assert not Connection.objects.exists()
    assert "https" in response.content.decode() or "loopback" in response.content.decode()


