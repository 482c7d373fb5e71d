"""The job engine: one run at a time, leases that hand dead work over, a broker that goes away.

These commit (transactional_db) because runs race in threads, as two workers would.
The broker-down test starts a real process against a port where no broker listens.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from buckets import jobs
from buckets.jobs import engine
from buckets.models import Job, JobKind, JobState
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_kind(monkeypatch):
    """A kind whose runner takes a moment and counts how often it really ran."""
    calls = []
    gate = threading.Event()

    def run(job_run: engine.JobRun) -> None:
        calls.append(job_run.token)
        gate.wait(2)
        job_run.progress(message="done")

    monkeypatch.setitem(engine.KINDS, JobKind.DELETE_PREFIX, engine.KindSpec(run=run))
    return calls, gate


def make_job(team, editor, **fields) -> Job:
    return jobs.job_create(JobKind.DELETE_PREFIX, team=team, user=editor, bucket="b", key="p/",
                           params={"prefix": "p/"}, **fields)


def test_two_deliveries_of_one_job_at_once_run_it_once(team, editor, slow_kind):
    calls, gate = slow_kind
    job = make_job(team, editor)
    threads = [threading.Thread(target=jobs.job_run, args=(job.pk,)) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    gate.set()
    for t in threads:
        t.join(10)
    job.refresh_from_db()
    assert len(calls) == 1
    assert job.state == JobState.SUCCEEDED and job.attempts == 1


def test_a_late_second_delivery_never_touches_a_finished_job(team, editor, slow_kind):
    calls, gate = slow_kind
    gate.set()
    job = make_job(team, editor)
    jobs.job_run(job.pk)
    jobs.job_run(job.pk)  # the broker delivers the same task again
    job.refresh_from_db()
    assert len(calls) == 1 and job.state == JobState.SUCCEEDED and job.error == ""


def test_a_run_that_lost_its_lease_cannot_finish_the_job(team, editor, monkeypatch):
    def run(job_run: engine.JobRun) -> None:
        # Another worker took the job over meanwhile (its token replaces ours).
        Job.objects.filter(pk=job_run.job.pk).update(run_token="someone-else")
        job_run.progress(message="still here?")

    monkeypatch.setitem(engine.KINDS, JobKind.DELETE_PREFIX, engine.KindSpec(run=run))
    job = make_job(team, editor)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.run_token == "someone-else"
    assert job.message != "still here?"


def test_recover_hands_a_dead_workers_job_to_another_worker(team, editor):
    job = make_job(team, editor)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, run_token="dead", attempts=1,
                                         lease_until=timezone.now() - timedelta(seconds=1))
    assert jobs.jobs_recover()["handed_over"] == 1
    job.refresh_from_db()
    assert job.state == JobState.PENDING and job.dispatched_at is not None
    assert "handed to another worker" in job.message


def test_recover_fails_a_job_whose_workers_keep_dying(team, editor, settings):
    job = make_job(team, editor)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, run_token="dead", attempts=settings.JOB_MAX_ATTEMPTS,
                                         lease_until=timezone.now() - timedelta(seconds=1))
    assert jobs.jobs_recover()["failed"] == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "stopped 3 times" in job.error


def test_a_job_running_on_a_live_worker_is_left_alone(team, editor):
    job = make_job(team, editor)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, run_token="alive",
                                         lease_until=timezone.now() + timedelta(seconds=60))
    assert jobs.jobs_recover() == {"handed_over": 0, "failed": 0, "resent": 0}
    assert jobs.job_claim(job.pk) is None


def test_cancel_ends_a_job_whose_worker_is_gone_at_once(login, team, editor):
    job = make_job(team, editor)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, run_token="dead",
                                         lease_until=timezone.now() - timedelta(seconds=5))
    login(editor).post(reverse("job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.finished_at is not None


def test_cancel_asks_a_live_run_to_stop_and_it_ends_cancelled(team, editor, monkeypatch, settings):
    settings.JOB_LEASE_SECONDS = 2  # the heartbeat, which notices the cancel, beats every 0.5 s
    started = threading.Event()

    def run(job_run: engine.JobRun) -> None:
        started.set()
        for _ in range(100):
            time.sleep(0.1)
            job_run.check()

    monkeypatch.setitem(engine.KINDS, JobKind.DELETE_PREFIX, engine.KindSpec(run=run))
    job = make_job(team, editor)
    worker = threading.Thread(target=jobs.job_run, args=(job.pk,))
    worker.start()
    assert started.wait(5)
    jobs.job_cancel(job)
    assert job.state == JobState.RUNNING and job.message == "Cancelling…"
    worker.join(10)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED


def test_a_queued_job_the_broker_never_took_is_sent_again(team, editor):
    job = make_job(team, editor)
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(seconds=30), dispatched_at=None,
                                         celery_task_id="never-sent")
    assert jobs.jobs_recover()["resent"] == 1
    job.refresh_from_db()
    assert job.dispatched_at is not None and job.celery_task_id != "never-sent"


def test_retry_refuses_a_job_that_is_not_failed(login, team, editor):
    job = make_job(team, editor)
    jobs.job_enqueue(job)
    response = login(editor).post(reverse("job_retry", args=[job.pk]), follow=True)
    assert "Only a failed or cancelled job can be retried" in response.content.decode()


def test_a_cancelled_upload_cannot_be_retried(login, team, editor):
    job = jobs.job_create(JobKind.UPLOAD, team=team, user=editor, bucket="b", key="k")
    jobs.job_cancel(job)
    response = login(editor).post(reverse("job_retry", args=[job.pk]), follow=True)
    assert "cannot run again" in response.content.decode()
    assert Job.objects.get(pk=job.pk).state == JobState.CANCELLED


def test_job_state_is_written_only_by_the_engine():
    """No module but the engine updates Job.state (grep, so a new writer is caught)."""
    import re

    writes = re.compile(r"\.update\([^)]*\bstate=|\bjob\.state\s*=[^=]|update_fields=\[[^]]*\"state\"|"
                        r"Job\.objects\.create\([^)]*\bstate=")
    offenders = []
    for path in (ROOT / "buckets").rglob("*.py"):
        if path.name == "engine.py" or "migrations" in path.parts:
            continue
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in writes.finditer(path.read_text())]
    assert offenders == []


@pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
                    reason="NO POSTGRESQL: the broker-down test needs a database another process can see")
def test_with_the_broker_down_a_job_start_says_so_within_seconds_and_recover_sends_it_later(team, editor):
    """A real process whose broker URL points at a port where nothing listens."""
    job = make_job(team, editor)
    db = settings.DATABASES["default"]
    env = dict(os.environ,
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               CELERY_BROKER_URL="redis://127.0.0.1:9/0")
    script = (
        "import django, time; django.setup()\n"
        "from buckets import jobs\nfrom buckets.models import Job\n"
        f"job = Job.objects.get(pk={job.pk}); t = time.monotonic()\n"
        "try:\n    jobs.job_enqueue(job)\nexcept jobs.BrokerUnavailable as exc:\n"
        "    print(f'{time.monotonic() - t:.2f}', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    seconds, _, message = out.stdout.strip().partition(" ")
    assert message.startswith("The task queue did not answer"), out.stdout + out.stderr
    assert float(seconds) < 5
    job.refresh_from_db()
    assert job.state == JobState.PENDING and job.queued_at and job.dispatched_at is None
    assert "Waiting for the task queue" in job.message
    # The broker is back (this process has a working one): the periodic check sends it.
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(seconds=10))
    assert jobs.jobs_recover()["resent"] == 1
