"""Liveness and readiness probes, with a real Redis broker and a real Celery worker.

Readiness must fail when the broker or every worker is gone, and liveness must hold then:
an orchestrator restarts on liveness, and restarting web containers would not bring a
broker back.
"""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.db.migrations.recorder import MigrationRecorder

from buckets import health
from buckets.models import Role
from tests import test_worker

# The worker fixtures of tests/test_worker.py (a real Celery worker on Redis).
worker_env = test_worker.worker_env
workers = test_worker.workers

JSON = {"HTTP_ACCEPT": "application/json"}


def test_liveness_answers_without_sign_in_and_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


def test_liveness_is_not_redirected_to_https_so_a_plain_http_probe_works(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/live/").status_code == 200
    assert client.get("/login/").status_code == 301


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_readiness_passes_with_the_database_the_broker_a_worker_and_room_in_staging(client, workers, settings):
    settings.UPLOAD_STAGING_DIR.mkdir(parents=True)
    settings.HEALTH_STAGING_MIN_FREE_MB = 1
    workers.start()
    response = client.get("/health/ready/", **JSON)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body.values()) == {"OK"}
    names = " ".join(body)
    for check in ("Database", "Redis", "Ping", "StagingSpace", "Migrations"):
        assert check in names


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_readiness_fails_and_liveness_holds_when_no_worker_answers(client, worker_env, settings):
    response = client.get("/health/ready/", **JSON)
    assert response.status_code == 503
    assert any("workers unavailable" in value for value in response.json().values()), response.json()
    assert client.get("/health/live/").status_code == 200


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_readiness_fails_and_liveness_holds_when_the_broker_is_gone(client, workers, settings):
    workers.start()
    # A broker address where nothing listens: the console can no longer hand out jobs.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    response = client.get("/health/ready/", **JSON)
    assert response.status_code == 503
    redis_result = next(value for key, value in response.json().items() if key.startswith("Redis"))
    assert "Unable to connect to Redis" in redis_result
    assert client.get("/health/live/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_readiness_says_the_staging_volume_is_missing(client, settings, tmp_path):
    settings.UPLOAD_STAGING_DIR = tmp_path / "not-mounted"
    response = client.get("/health/ready/", **JSON)
    assert response.status_code == 503
    staging = next(value for key, value in response.json().items() if key.startswith("StagingSpace"))
    assert "missing or not writable" in staging


def test_staging_check_warns_below_the_free_space_floor(tmp_path):
    check = health.StagingSpace(path=tmp_path, max_disk_usage_percent=None, min_free_bytes=1 << 60)
    with pytest.raises(health.ServiceWarning, match="MiB free in staging"):
        check.run()


def test_migration_check_names_a_migration_that_is_not_applied(db, monkeypatch):
    monkeypatch.setattr(health, "_MIGRATED", set())
    health.Migrations().run()  # all applied: passes
    monkeypatch.setattr(health, "_MIGRATED", set())
    recorder = MigrationRecorder(db_connection)
    latest = recorder.migration_qs.filter(app="buckets").order_by("-id").first()
    latest.delete()  # rolled back with the test's transaction
    with pytest.raises(health.ServiceUnavailable, match=f"buckets.{latest.name}"):
        health.Migrations().run()


# --- the admin page of endpoint reachability (not a probe) ----------------------------------


def test_team_admins_see_which_connections_answer(login, admin, connection, make_connection, team):
    from tests.conftest import free_port

    dead = make_connection(team, endpoint=f"http://127.0.0.1:{free_port()}", name="Switched off")
    page = login(admin).get("/status/connections/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Embedded moto" in text and "Switched off" in text
    assert text.count("badge console\">Reachable") == 1
    assert text.count("badge unsupported\">Unreachable") == 1
    assert dead.endpoint_url in text


def test_endpoint_status_is_for_team_admins_only(login, editor, outsider, connection):
    assert login(editor).get("/status/connections/").status_code == 403
    # The outsider administers another team: only that team's connections appear.
    page = login(outsider).get("/status/connections/")
    assert page.status_code == 200 and "Embedded moto" not in page.content.decode()


def test_readiness_does_not_ask_s3_endpoints(settings):
    names = [type(check).__name__ for check in health.readiness_checks()]
    assert not any("S3" in name or "Connection" in name for name in names)
    assert Role.ADMIN  # the page above is the place for endpoints
