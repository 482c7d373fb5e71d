"""The job engine: the only code that writes `Job.state`.

A job moves PENDING -> RUNNING -> SUCCEEDED | FAILED | CANCELLED, and every move is one
conditional UPDATE, so exactly one caller wins it:

- `job_enqueue` marks the job as wanted (`queued_at`) and hands it to the broker; when the
  broker is unreachable the job stays queued, the caller hears so at once, and
  `jobs_recover` sends it again later.
- `job_run` claims a PENDING job (or a RUNNING one whose lease lapsed) with a fresh run
  token. A second delivery of the same task loses the claim and does nothing.
- While it runs, a heartbeat thread renews the lease; a worker that dies stops renewing,
  and `jobs_recover` hands the job to another worker within a lease or two.
- Progress, checkpoints and the final state are written only while the run token still
  matches, so a run that lost its lease can never overwrite what its successor did.
- `job_cancel` ends a job that no live worker runs at once, and asks a running one to stop.

Kinds register a runner and an optional cleanup with `register`; see buckets/jobs/upload.py
and buckets/jobs/delete.py.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import gateway, logs
from ..models import ACTIVE_STATES, Job, JobFailure, JobKind, JobState

log = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised inside a runner when the user asked the job to stop."""


class LeaseLost(Exception):
    """Raised inside a runner whose job was taken over, cancelled or finished elsewhere."""


class BrokerUnavailable(Exception):
    """The task queue did not take the job; it stays queued and is sent again later."""


class JobRefused(Exception):
    """The job cannot make this move now (a sentence for the user)."""


Runner = Callable[["JobRun"], None]
Cleanup = Callable[[Job], None]


@dataclass(frozen=True)
class KindSpec:
    run: Runner
    cleanup: Cleanup | None = None
    # Whether a cancelled job can run again (an aborted upload cannot: its parts are gone).
    retry_after_cancel: bool = True


KINDS: dict[str, KindSpec] = {}


def register(kind: JobKind, run: Runner, *, cleanup: Cleanup | None = None, retry_after_cancel: bool = True) -> None:
    KINDS[kind] = KindSpec(run=run, cleanup=cleanup, retry_after_cancel=retry_after_cancel)


def _lease() -> timedelta:
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


# --- creating and sending -------------------------------------------------------------------


def job_create(kind: JobKind, *, team, user, connection=None, bucket: str = "", key: str = "",
               params: dict[str, Any] | None = None, message: str = "Queued", **totals: int) -> Job:
    return Job.objects.create(kind=kind, team=team, user=user, connection=connection, bucket=bucket, key=key,
                              params=params or {}, message=message, **totals)


def job_enqueue(job: Job) -> None:
    """Mark the job as wanted and hand it to a worker once the row is committed.

    Raises BrokerUnavailable when the broker does not take it; the job is still queued and
    `jobs_recover` sends it when the broker is back.
    """
    job.celery_task_id = uuid.uuid4().hex
    job.queued_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(celery_task_id=job.celery_task_id, queued_at=job.queued_at,
                                         dispatched_at=None)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _dispatch_quietly(job.pk, job.celery_task_id))
    else:
        _dispatch(job.pk, job.celery_task_id)


# The Celery task that runs a job (buckets/tasks.py). Sent by name: the engine knows the
# broker, not the module that imports it, so there is no import circle.
RUN_JOB_TASK = "buckets.tasks.run_job"


def _dispatch(job_id: int, task_id: str) -> None:
    from celery import current_app

    try:
        current_app.send_task(RUN_JOB_TASK, args=(job_id,), task_id=task_id, retry=False)
    except Exception as exc:  # kombu raises OperationalError, redis its own ConnectionError
        log.warning("job %s: the broker did not take it: %s", job_id, type(exc).__name__)
        Job.objects.filter(pk=job_id, state=JobState.PENDING).update(
            message="Waiting for the task queue: it did not answer; the job is sent again when it is back")
        raise BrokerUnavailable("The task queue did not answer, so no worker has this job yet. It stays "
                                "queued and starts when the queue is back; you can also cancel it.") from exc
    Job.objects.filter(pk=job_id, celery_task_id=task_id).update(dispatched_at=timezone.now())


def _dispatch_quietly(job_id: int, task_id: str) -> None:
    try:
        _dispatch(job_id, task_id)
    except BrokerUnavailable:
        pass  # recorded on the row; jobs_recover sends it again


# --- running --------------------------------------------------------------------------------


class JobRun:
    """What a runner gets: its job, and the only ways to report on it."""

    def __init__(self, job: Job, token: str):
        self.job = job
        self.token = token
        self._cancel = threading.Event()
        self._lost = threading.Event()

    def _mine(self):
        return Job.objects.filter(pk=self.job.pk, run_token=self.token, state=JobState.RUNNING)

    def progress(self, **fields: Any) -> None:
        """Record progress (bytes_done, items_done, totals, message, result, params)."""
        fields["heartbeat_at"] = timezone.now()
        fields["lease_until"] = fields["heartbeat_at"] + _lease()
        if not self._mine().update(**fields):
            self._lost.set()
        self.check()

    def checkpoint(self, key: str, **fields: Any) -> None:
        """Everything up to `key` is done: a new run resumes after it."""
        self.job.checkpoint = key
        self.progress(checkpoint=key, **fields)

    def fail_item(self, key: str, reason: str, version_id: str = "") -> None:
        JobFailure.objects.create(job_id=self.job.pk, key=key, reason=reason[:2000], version_id=version_id or "")

    def check(self) -> None:
        """Stop here when the user cancelled, or another run owns the job now."""
        if self._lost.is_set():
            raise LeaseLost()
        if self._cancel.is_set():
            raise JobCancelled()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _beat(self, stop: threading.Event) -> None:
        # Renews the lease while the runner waits on long S3 calls, and notices a cancel.
        interval = max(0.5, settings.JOB_LEASE_SECONDS / 4)
        while not stop.wait(interval):
            try:
                now = timezone.now()
                if not self._mine().update(heartbeat_at=now, lease_until=now + _lease()):
                    self._lost.set()
                    return
                if Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists():
                    self._cancel.set()
            except Exception:  # noqa: BLE001 - a database blip must not kill the job's thread
                log.warning("job %s: heartbeat failed", self.job.pk, exc_info=True)
            finally:
                from django.db import connection

                connection.close()


def job_claim(job_id: int) -> JobRun | None:
    """Take the job for this run, or None when it is not runnable (or someone else runs it)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    runnable = Q(state=JobState.PENDING) | Q(state=JobState.RUNNING) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    won = Job.objects.filter(runnable, pk=job_id, cancel_requested=False).update(
        state=JobState.RUNNING, run_token=token, lease_until=now + _lease(), heartbeat_at=now,
        started_at=Coalesce("started_at", now), attempts=F("attempts") + 1, error="",
    )
    if not won:
        return None
    job = Job.objects.select_related("connection", "team", "user").get(pk=job_id)
    logs.job_step(job, JobState.RUNNING)  # the log line of this step (buckets/logs.py)
    return JobRun(job, token)


def job_run(job_id: int) -> None:
    """Run a job to its end, recording the outcome. Safe to call twice: one caller wins."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        log.warning("job %s no longer exists; nothing to do", job_id)
        return
    if job.cancel_requested and job.state in ACTIVE_STATES:
        _end_unowned(job, JobState.CANCELLED, "Cancelled before it started")
        return
    run = job_claim(job_id)
    if run is None:
        return
    stop = threading.Event()
    beat = threading.Thread(target=run._beat, args=(stop,), daemon=True, name=f"job-{job_id}-lease")
    beat.start()
    try:
        # Nobody waits in a browser for a job: its S3 calls get the worker's long deadlines.
        with gateway.patient():
            KINDS[run.job.kind].run(run)
    except LeaseLost:
        log.warning("job %s: another run owns it now; this one stops", job_id)
    except JobCancelled:
        _cleanup(run.job)
        _finish(run, JobState.CANCELLED, message="Cancelled")
    except gateway.S3Error as exc:
        _finish(run, JobState.FAILED, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - the job row must record every failure
        log.exception("job %s failed", job_id)
        _finish(run, JobState.FAILED, error=f"Unexpected failure: {type(exc).__name__}")
    else:
        _finish(run, JobState.SUCCEEDED)
    finally:
        stop.set()
        beat.join(timeout=5)


def _scrub_params(job_id: int, state: str) -> dict | None:
    """A customer's SSE-C key is kept no longer than the job needs it (a failed job keeps
    it, encrypted, so Retry can resume; discarding or the sweep removes it)."""
    params = Job.objects.filter(pk=job_id).values_list("params", flat=True).first() or {}
    if params.get("sse", {}).get("customer_key") and state != JobState.FAILED:
        params["sse"].pop("customer_key")
        return params
    return None


def _finish(run: JobRun, state: str, *, message: str | None = None, error: str = "") -> bool:
    fields: dict[str, Any] = {"state": state, "finished_at": timezone.now(), "error": error, "lease_until": None}
    if message is not None:
        fields["message"] = message
    if (params := _scrub_params(run.job.pk, state)) is not None:
        fields["params"] = params
    ended = bool(run._mine().update(**fields))
    if ended:
        logs.job_step(run.job, state, error=error)
    return ended


def _end_unowned(job: Job, state: str, message: str, error: str = "") -> bool:
    """End a job no live run owns (never started, or its worker is gone)."""
    now = timezone.now()
    free = Q(state=JobState.PENDING) | Q(state=JobState.RUNNING) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    fields: dict[str, Any] = {"state": state, "finished_at": now, "message": message, "error": error,
                              "run_token": "", "lease_until": None}
    if (params := _scrub_params(job.pk, state)) is not None:
        fields["params"] = params
    ended = bool(Job.objects.filter(free, pk=job.pk).update(**fields))
    if ended:
        logs.job_step(job, state, error=error)
    if ended and state == JobState.CANCELLED:
        _cleanup(job)
    return ended


def _cleanup(job: Job) -> None:
    spec = KINDS.get(job.kind)
    if spec and spec.cleanup:
        try:
            spec.cleanup(job)
        except Exception:  # noqa: BLE001 - cleanup is best effort; the sweep catches the rest
            log.warning("job %s: cleanup failed", job.pk, exc_info=True)


# --- what users do with a job ---------------------------------------------------------------


def job_cancel(job: Job) -> None:
    """Cancel in any state: a job no live worker runs ends now, a running one is asked to stop."""
    if job.finished:
        return
    Job.objects.filter(pk=job.pk, state__in=ACTIVE_STATES).update(cancel_requested=True)
    if not _end_unowned(job, JobState.CANCELLED, "Cancelled"):
        Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(message="Cancelling…")
    job.refresh_from_db()


def job_retry(job: Job) -> None:
    """Run a failed (or cancelled) job again, from its checkpoint. Raises JobRefused."""
    spec = KINDS.get(job.kind)
    if job.state == JobState.CANCELLED and spec and not spec.retry_after_cancel:
        raise JobRefused("A cancelled upload cannot run again: its parts were removed. Upload the file again.")
    if job.state == JobState.PENDING and job.queued_at and not job.dispatched_at:
        job_enqueue(job)  # never reached a worker: send it again
        return
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise JobRefused("Only a failed or cancelled job can be retried.")
    moved = Job.objects.filter(pk=job.pk, state=job.state).update(
        state=JobState.PENDING, error="", finished_at=None, cancel_requested=False, run_token="",
        lease_until=None, message="Queued again",
    )
    if not moved:
        raise JobRefused("The job changed meanwhile; reload the page.")
    job.refresh_from_db()
    job_enqueue(job)


def job_discard(job: Job, message: str = "Discarded") -> None:
    """Give up a job that is not running: undo what it left (parts, staged bytes) and end it."""
    if job.state == JobState.RUNNING and not _end_unowned(job, JobState.CANCELLED, message):
        raise JobRefused("The job is running; cancel it first.")
    if job.state in (JobState.PENDING, JobState.FAILED):
        moved = Job.objects.filter(pk=job.pk, state=job.state).update(
            state=JobState.CANCELLED, message=message, finished_at=job.finished_at or timezone.now(),
            cancel_requested=True, lease_until=None)
        if moved:
            _cleanup(job)
            if (params := _scrub_params(job.pk, JobState.CANCELLED)) is not None:
                Job.objects.filter(pk=job.pk).update(params=params)
    job.refresh_from_db()


def job_fail_unowned(job: Job, error: str, message: str | None = None) -> bool:
    """Mark a job nobody runs as failed (the stale-upload sweep)."""
    fields_message = message if message is not None else job.message
    return _end_unowned(job, JobState.FAILED, fields_message, error=error)


def job_note(job: Job, **fields: Any) -> None:
    """Record facts about a job that is not running (bytes received by the site, a message).

    Never the state: that is the engine's alone.
    """
    fields.pop("state", None)
    Job.objects.filter(pk=job.pk).update(**fields)


# --- recovering from dead workers and a lost broker -----------------------------------------


def jobs_recover() -> dict[str, int]:
    """Hand over jobs whose worker died, and send again jobs the broker never took.

    Runs every minute (Celery beat) and when a worker starts.
    """
    now = timezone.now()
    handed = failed = resent = 0
    dead = Job.objects.filter(state=JobState.RUNNING).filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True))
    for job in dead:
        if job.cancel_requested:
            _end_unowned(job, JobState.CANCELLED, "Cancelled (its worker had stopped)")
        elif job.attempts >= settings.JOB_MAX_ATTEMPTS:
            if _end_unowned(job, JobState.FAILED, job.message,
                            error=f"The worker running this job stopped {job.attempts} times; it was not tried again."):
                failed += 1
        elif Job.objects.filter(pk=job.pk, state=JobState.RUNNING, run_token=job.run_token).update(
                state=JobState.PENDING, run_token="", lease_until=None,
                message="Its worker stopped answering; handed to another worker"):
            handed += 1
            _send_again(job)
    stuck = now - timedelta(seconds=settings.JOB_REDISPATCH_SECONDS)
    waiting = Job.objects.filter(state=JobState.PENDING, queued_at__isnull=False, cancel_requested=False).filter(
        Q(dispatched_at__isnull=True, queued_at__lt=now - timedelta(seconds=5)) | Q(dispatched_at__lt=stuck))
    for job in waiting:
        if _send_again(job):
            resent += 1
    return {"handed_over": handed, "failed": failed, "resent": resent}


def _send_again(job: Job) -> bool:
    try:
        job_enqueue(job)
    except BrokerUnavailable:
        return False
    return True
