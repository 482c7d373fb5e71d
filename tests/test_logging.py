"""Structured logs: one JSON line per request and per job step, escaped, without secrets."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest
import structlog
from django.urls import reverse

from buckets import gateway, logs
from buckets.logredact import RedactSecretsFilter
from buckets.models import Job, JobState
from tests import test_worker
from tests.conftest import ROOT
from tests.test_worker import wait_for

# The worker fixtures of tests/test_worker.py (a real Celery worker on Redis).
worker_env = test_worker.worker_env
workers = test_worker.workers


@pytest.fixture
def json_log():
    """The lines the console's JSON handler writes while the test runs, parsed."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.formatter("json"))
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines() -> list[dict]:
        raw = buffer.getvalue().splitlines()
        return [json.loads(line) for line in raw]  # every line must be one JSON object

    lines.text = buffer.getvalue
    yield lines
    root.removeHandler(handler)


def requests_of(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["event"] == "request_finished"]


def test_each_request_is_one_json_line_with_who_what_and_how_long(json_log, login, editor, team, connection, bucket):
    gateway.put_object(connection, bucket, "a.txt", b"x")
    response = login(editor).get(reverse("browse", args=[connection.pk, bucket]))
    assert response.status_code == 200
    [line] = requests_of(json_log())
    assert line["request"] == f"GET /c/{connection.pk}/b/{bucket}/"
    assert line["code"] == 200 and line["outcome"] == "ok" and line["level"] == "info"
    assert line["user_id"] == editor.pk and line["team_id"] == team.pk
    assert line["connection_id"] == connection.pk and line["bucket"] == bucket
    assert len(line["request_id"]) >= 32
    assert line["duration_ms"] > 0
    assert "request_started" not in {entry["event"] for entry in json_log()}


def test_a_refused_request_is_logged_as_refused(json_log, login, outsider, connection):
    response = login(outsider).get(reverse("bucket_list", args=[connection.pk]))
    assert response.status_code == 404
    [line] = requests_of(json_log())
    assert line["outcome"] == "refused" and line["code"] == 404 and line["level"] == "warning"


def test_object_keys_with_quotes_and_newlines_stay_inside_one_escaped_line(json_log, login, viewer, connection, bucket):
    key = 'odd "key"\n}{ \u2028 end'
    login(viewer).get(reverse("browse", args=[connection.pk, bucket]), {"prefix": key})
    text = json_log.text()
    assert text.count("\n") == len(json_log())  # no key broke a line
    [line] = requests_of(json_log())
    assert line["bucket"] == bucket and line["code"] == 200


def test_secrets_never_reach_the_log(json_log, login, admin, s3_endpoint):
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    login(admin).post(reverse("connection_create"), {
        "name": "Logged", "provider": "generic", "region": "us-east-1", "endpoint_url": s3_endpoint,
        "access_key": "AKIDLOGTEST", "secret_key": secret, "addressing_style": "path",
    })
    logging.getLogger("buckets.test").warning("signed GET ?X-Amz-Signature=abcdef0123&X-Amz-Credential=AKID/x")
    structlog.get_logger("buckets.test").info("connection_saved", secret_key=secret, extra={"password": "hunter2"})
    text = json_log.text()
    assert secret not in text and "hunter2" not in text and "abcdef0123" not in text
    assert "[redacted]" in text
    assert requests_of(json_log()), "the POST itself was logged"


def test_plain_lines_are_readable_and_json_is_the_production_default():
    record = logging.LogRecord("buckets", logging.INFO, __file__, 1, "uploaded %s", ("a.txt",), None)
    plain = logs.formatter("plain").format(record)
    assert "uploaded a.txt" in plain and not plain.startswith("{")
    with pytest.raises(ValueError, match="json or plain"):
        logs.logging_config("xml", "INFO")
    env = dict(os.environ, CONSOLE_EMBEDDED="0", DJANGO_SECRET_KEY="x" * 50, CONSOLE_LOG_FORMAT="")
    code = "import django; django.setup(); from django.conf import settings; print(settings.LOG_FORMAT)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "json"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_every_job_step_is_a_json_line_that_names_the_request_that_started_it(json_log, login, editor, team, connection, bucket, workers):
    workers.env["CONSOLE_LOG_FORMAT"] = "json"
    proc = workers.start()
    for i in range(3):
        gateway.put_object(connection, bucket, f"old/{i}.txt", b"x")
    response = login(editor).post(reverse("delete_objects", args=[connection.pk, bucket]),
                                  {"keys": ["old/"], "confirm": "yes", "prefix": ""})
    assert response.status_code == 302
    job = wait_for(lambda: Job.objects.filter(kind="delete_prefix", state=JobState.SUCCEEDED).first(), 60, "the job")
    [enqueue] = [line for line in requests_of(json_log()) if line["request"].startswith("POST")]
    log_path = workers.log_dir / "worker-0.log"

    def steps():
        found = []
        for raw in log_path.read_text().splitlines():
            if raw.startswith("{"):
                line = json.loads(raw)
                if line["event"] == "job_step" and line["job_id"] == job.pk:
                    found.append(line)
        return found if len(found) >= 2 else None

    running, finished = wait_for(steps, 10, "the job's log lines")
    assert proc.poll() is None
    assert running["state"] == "running" and running["attempt"] == 1
    assert finished["state"] == "succeeded" and finished["outcome"] == "ok"
    assert finished["duration_ms"] >= 0
    for line in (running, finished):
        assert line["kind"] == "delete_prefix"
        assert (line["user_id"], line["team_id"], line["connection_id"], line["bucket"]) == (
            editor.pk, team.pk, connection.pk, bucket)
        assert line["request_id"] == enqueue["request_id"]
