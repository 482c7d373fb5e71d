"""Operator commands: add a connection from a shell, list and sweep stale uploads."""

from __future__ import annotations

import io
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from buckets import gateway
from buckets.jobs import upload
from buckets.management.commands.addconnection import Command as AddConnection
from buckets.models import AuditEntry, Connection, Grant, Job, JobKind, JobState

SECRET = "test-secret-from-stdin-3b9f"


def add(*args, stdin: str | None = SECRET + "\n", monkeypatch=None, **options) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    call_command("addconnection", *args, stdout=out, **options)
    return out.getvalue()


def test_a_connection_added_from_the_shell_reads_its_secret_from_stdin_and_works(team, s3_endpoint, monkeypatch, capsys):
    output = add(team.name, "Shell moto", "--endpoint", s3_endpoint, "--access-key", "test-key", "--test",
                 monkeypatch=monkeypatch)
    connection = Connection.objects.get(name="Shell moto")
    assert connection.team == team and connection.secret_key == SECRET
    assert Grant.objects.filter(connection=connection, team=team).exists()
    assert "The keys work" in output and SECRET not in output + capsys.readouterr().out
    assert AuditEntry.objects.filter(action="connection.create", connection=connection).exists()
    gateway.list_buckets(connection)  # usable as saved


def test_the_secret_can_come_from_a_file(team, s3_endpoint, tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file-77\n")
    add(team.name, "From file", "--endpoint", s3_endpoint, "--access-key", "k", "--secret-file", str(secret_file),
        stdin=None)
    assert Connection.objects.get(name="From file").secret_key == "from-a-file-77"


def test_there_is_no_way_to_pass_the_secret_as_an_argument():
    parser = AddConnection().create_parser("manage.py", "addconnection")
    takes_value = {a.dest for a in parser._actions if a.nargs != 0}
    assert "secret_key" not in takes_value and "secret" not in takes_value
    with pytest.raises(TypeError, match="Unknown option"):
        call_command("addconnection", "t", "n", endpoint="https://x", access_key="k", secret_key="s")


def test_a_terminal_without_a_secret_source_is_told_how_to_give_one(team, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    with pytest.raises(CommandError, match="never as an argument"):
        call_command("addconnection", team.name, "x", endpoint="https://s3.example.com", access_key="k")


def test_the_endpoint_guard_and_the_catalogue_apply_as_on_the_page(team, monkeypatch):
    with pytest.raises(CommandError, match="endpoint_url"):
        add(team.name, "Private", "--endpoint", "http://10.1.2.3:9000", "--access-key", "k", monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="bucket_type"):
        add(team.name, "Odd type", "--endpoint", "https://s3.eu-central-3.ionoscloud.com", "--access-key", "k",
            "--provider", "ionos", "--region", "eu-central-3", "--bucket-type", "nonsense", monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="no team"):
        add("Nobody", "X", "--endpoint", "https://s3.example.com", "--access-key", "k", monkeypatch=monkeypatch)
    with pytest.raises(CommandError, match="empty"):
        add(team.name, "Empty", "--endpoint", "https://s3.example.com", "--access-key", "k", stdin="\n",
            monkeypatch=monkeypatch)
    assert not Connection.objects.exists()


def test_wrong_keys_are_refused_before_anything_is_saved_with_test(team, s3_endpoint, monkeypatch):
    monkeypatch.setattr(gateway, "test_connection", lambda conn: (_ for _ in ()).throw(gateway.InvalidCredentials("wrong keys")))
    with pytest.raises(CommandError, match="wrong keys"):
        add(team.name, "Bad", "--endpoint", s3_endpoint, "--access-key", "k", "--test", monkeypatch=monkeypatch)
    assert not Connection.objects.exists()


@pytest.fixture
def stale_upload(team, editor, connection, settings, tmp_path):
    settings.UPLOAD_STAGING_DIR = tmp_path
    old = timezone.now() - timedelta(hours=settings.UPLOAD_STALE_HOURS + 1)
    job = Job.objects.create(kind=JobKind.UPLOAD, state=JobState.PENDING, team=team, user=editor,
                             connection=connection, bucket="b", key="old/movie.mkv", params={"token": "t0k"},
                             created_at=old)
    upload.staging_path(job).write_bytes(b"x" * 1234)
    return job


def test_open_uploads_are_listed_with_their_age_and_staged_bytes(stale_upload, team, editor, connection):
    fresh = Job.objects.create(kind=JobKind.UPLOAD, state=JobState.RUNNING, team=team, user=editor,
                               connection=connection, bucket="b", key="new.bin")
    out = io.StringIO()
    call_command("uploads", "list", stdout=out)
    text = out.getvalue()
    assert "'old/movie.mkv'" in text and "'new.bin'" in text and "1234" in text
    assert "2 open upload(s)" in text
    out = io.StringIO()
    call_command("uploads", "list", "--stale", stdout=out)
    assert "'new.bin'" not in out.getvalue() and f"{fresh.pk}" not in out.getvalue().split("\n", 1)[1][:6]


def test_the_sweep_aborts_stale_uploads_and_frees_their_staging(stale_upload):
    path = upload.staging_path(stale_upload)
    out = io.StringIO()
    call_command("uploads", "sweep", stdout=out)
    assert "1 upload(s) aborted" in out.getvalue()
    stale_upload.refresh_from_db()
    assert stale_upload.state == JobState.FAILED and "sweep" in stale_upload.error
    assert not path.exists()
    out = io.StringIO()
    call_command("uploads", "list", "--stale", stdout=out)
    assert "No open uploads" in out.getvalue() or "'old/movie.mkv'" in out.getvalue()
