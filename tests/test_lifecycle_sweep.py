"""Preview CSVs under <staging>/lifecycle-previews/ do not pile up: they go with a discarded or
deleted job, and after a day, by the hourly sweep."""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings as django_settings

from buckets import gateway, jobs, tasks
from buckets.jobs import lifecycle_preview
from buckets.models import Job, JobState

pytestmark = pytest.mark.django_db

RULES = [{"ID": "all", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]


@pytest.fixture(autouse=True)
def staging(settings, tmp_path):
    settings.UPLOAD_STAGING_DIR = tmp_path / "staging"


def _preview(team, editor, connection, bucket) -> Job:
    gateway.put_object(connection, bucket, "k", b"1")
    job = lifecycle_preview.lifecycle_preview_job_create(team=team, user=editor, connection=connection, bucket=bucket,
                                                         source="draft", rules=RULES)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and lifecycle_preview.csv_path(job).exists()
    return job


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_deleted_preview_job_takes_its_csv_with_it(team, editor, connection, bucket,
                                                     django_capture_on_commit_callbacks):
    job = _preview(team, editor, connection, bucket)
    path = lifecycle_preview.csv_path(job)
    with django_capture_on_commit_callbacks(execute=True):
        Job.objects.filter(pk=job.pk).delete()
    assert not path.exists()


def test_deleting_the_connection_removes_the_csvs_of_its_previews(team, editor, connection, bucket,
                                                                  django_capture_on_commit_callbacks):
    job = _preview(team, editor, connection, bucket)
    path = lifecycle_preview.csv_path(job)
    gateway.delete_object(connection, bucket, "k")
    with django_capture_on_commit_callbacks(execute=True):
        connection.delete()  # the job rows go by cascade
    assert not Job.objects.filter(pk=job.pk).exists() and not path.exists()


def test_a_discarded_preview_leaves_no_file(team, editor, connection, bucket):
    job = lifecycle_preview.lifecycle_preview_job_create(team=team, user=editor, connection=connection, bucket=bucket,
                                                         source="draft", rules=RULES)
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED)  # a run that died mid-walk
    part = lifecycle_preview.csv_path(job).with_suffix(".part")
    part.parent.mkdir(parents=True)
    part.write_text("rule,action\n")
    job.refresh_from_db()
    jobs.job_discard(job)
    assert job.state == JobState.CANCELLED and not part.exists()


def test_the_sweep_removes_what_is_a_day_old_and_keeps_a_fresh_preview(team, editor, connection, bucket):
    old = _preview(team, editor, connection, bucket)
    fresh = _preview(team, editor, connection, bucket)
    _age(lifecycle_preview.csv_path(old), 24 * 3600 + 60)
    assert lifecycle_preview.lifecycle_previews_sweep() == {"removed": 1, "kept": 1}
    assert not lifecycle_preview.csv_path(old).exists() and lifecycle_preview.csv_path(fresh).exists()


def test_the_sweep_removes_orphans_and_leftovers_at_once_but_never_a_running_preview(team, editor, connection,
                                                                                     bucket):
    folder = lifecycle_preview.previews_dir()
    folder.mkdir(parents=True)
    (folder / "999999.csv").write_text("rule\n")  # its job is gone
    failed = lifecycle_preview.lifecycle_preview_job_create(team=team, user=editor, connection=connection,
                                                            bucket=bucket, source="saved")
    Job.objects.filter(pk=failed.pk).update(state=JobState.FAILED)
    lifecycle_preview.csv_path(failed).with_suffix(".part").write_text("rule\n")  # half written
    running = lifecycle_preview.lifecycle_preview_job_create(team=team, user=editor, connection=connection,
                                                             bucket=bucket, source="saved")
    Job.objects.filter(pk=running.pk).update(state=JobState.RUNNING)
    writing = lifecycle_preview.csv_path(running).with_suffix(".part")
    writing.write_text("rule\n")
    _age(writing, 3 * 24 * 3600)  # a long walk is still a walk
    (folder / "notes.txt").write_text("not ours")
    assert tasks.sweep_lifecycle_previews() == {"removed": 2, "kept": 1}
    assert sorted(p.name for p in folder.iterdir()) == sorted([writing.name, "notes.txt"])


def test_the_sweep_runs_hourly_from_beat_and_copes_without_a_folder():
    entry = django_settings.CELERY_BEAT_SCHEDULE["sweep-lifecycle-previews"]
    assert entry == {"task": "buckets.tasks.sweep_lifecycle_previews", "schedule": 3600}
    assert lifecycle_preview.lifecycle_previews_sweep() == {"removed": 0, "kept": 0}
