"""Multi-step operations, as plain functions the views and the Celery tasks call."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import gateway
from .encryption import Encryption
from .models import Job, JobState

log = logging.getLogger(__name__)

MAX_KEY_BYTES = 1024


class JobCancelled(Exception):
    pass


def key_problem(key: str) -> str:
    """Why S3 would refuse this key, as a sentence; empty when it is fine."""
    if not key:
        return "The object key is empty."
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        return f"The key is {size} bytes long in UTF-8; S3 allows at most {MAX_KEY_BYTES}."
    return ""


# --- staging for large uploads ------------------------------------------------------------


def staging_path(job: Job) -> Path:
    return Path(settings.UPLOAD_STAGING_DIR) / f"job-{job.pk}-{job.params['token']}.part"


def upload_job_create(
    *, team, user, connection, bucket: str, key: str, size: int, content_type: str, encryption: Encryption | None = None
) -> Job:
    job = Job.objects.create(
        kind="upload",
        team=team,
        user=user,
        connection=connection,
        bucket=bucket,
        key=key,
        bytes_total=size,
        params={
            "token": uuid.uuid4().hex,
            "content_type": content_type,
            "received": 0,
            "parts": {},
            "sse": (encryption or Encryption()).to_job(),
        },
        message="Receiving the file",
    )
    path = staging_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(0)
    return job


def upload_job_write_chunk(job: Job, offset: int, data: bytes) -> int:
    """Write one chunk at its offset; a retried chunk simply overwrites itself."""
    if job.finished or job.state != JobState.PENDING:
        raise ValueError("This upload is no longer receiving data.")
    if offset < 0 or offset + len(data) > job.bytes_total:
        raise ValueError("The chunk does not fit the announced file size.")
    path = staging_path(job)
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)
    received = max(int(job.params.get("received", 0)), offset + len(data))
    job.params["received"] = received
    Job.objects.filter(pk=job.pk).update(params=job.params)
    return received


def upload_job_stage_file(job: Job, source) -> None:
    """Stage a file that arrived in one form POST (the no-JavaScript path)."""
    path = staging_path(job)
    with open(path, "wb") as fh:
        for chunk in source.chunks():
            fh.write(chunk)
    job.params["received"] = path.stat().st_size
    job.save(update_fields=["params"])


def upload_job_discard(job: Job) -> None:
    """Abort the S3 side and remove the staged bytes: nothing is left behind."""
    upload_id = job.params.get("upload_id")
    if upload_id and job.connection:
        try:
            gateway.multipart_abort(job.connection, job.bucket, job.key, upload_id)
        except gateway.S3Error as exc:
            log.warning("abort of upload job %s failed: %s", job.pk, exc)
    staging_path(job).unlink(missing_ok=True)
    if job.params.get("sse", {}).pop("customer_key", None):
        Job.objects.filter(pk=job.pk).update(params=job.params)


def _progress(job: Job, **fields) -> None:
    fields["heartbeat_at"] = timezone.now()
    Job.objects.filter(pk=job.pk).update(**fields)


def _check_cancel(job: Job) -> None:
    if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
        raise JobCancelled()


def upload_job_run(job: Job) -> None:
    """Stream the staged file into an S3 multipart upload, resuming a previous attempt."""
    conn = job.connection
    path = staging_path(job)
    if not path.exists():
        raise gateway.Invalid("The staged file is gone; upload it again.")
    size = path.stat().st_size
    if size != job.bytes_total:
        raise gateway.Invalid(f"Only {size} of {job.bytes_total} bytes arrived; upload it again.")
    part_size = max(settings.UPLOAD_PART_BYTES, 5 * 1024 * 1024, -(-size // 10000))
    count = max(1, -(-size // part_size))
    encryption = Encryption.from_job(job.params.get("sse"))
    upload_id = job.params.get("upload_id")
    done: dict[int, str] = {}
    if upload_id:
        # A redelivered task: keep what the endpoint already has.
        try:
            done = gateway.multipart_list_parts(conn, job.bucket, job.key, upload_id)
        except gateway.NotFound:
            upload_id = None
    if not upload_id:
        upload_id = gateway.multipart_create(
            conn, job.bucket, job.key, content_type=job.params.get("content_type", ""), extra=encryption.put_params()
        )
        job.params["upload_id"] = upload_id
        Job.objects.filter(pk=job.pk).update(params=job.params)
    _progress(job, bytes_done=sum(min(part_size, size - (n - 1) * part_size) for n in done), message=f"Uploading {count} part(s)")

    stop = threading.Event()

    def send(number: int) -> tuple[int, str, int]:
        # Parts run in threads without touching the database; the loop below records them.
        if stop.is_set():
            raise JobCancelled()
        with open(path, "rb") as fh:
            fh.seek((number - 1) * part_size)
            data = fh.read(part_size)
        etag = gateway.multipart_upload_part(
            conn, job.bucket, job.key, upload_id, number, data, extra=encryption.key_params()
        )
        return number, etag, len(data)

    todo = [n for n in range(1, count + 1) if n not in done]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(send, n) for n in todo]
        try:
            for future in as_completed(futures):
                number, etag, length = future.result()
                done[number] = etag
                _progress(job, bytes_done=F("bytes_done") + length)
                _check_cancel(job)
        except BaseException:
            stop.set()
            for f in futures:
                f.cancel()
            raise
    _check_cancel(job)
    etag = gateway.multipart_complete(conn, job.bucket, job.key, upload_id, done, head_extra=encryption.key_params())
    job.result = {"etag": etag, "parts": count, "size": size}
    path.unlink(missing_ok=True)
    _progress(job, bytes_done=size, result=job.result, message="Uploaded")


def delete_prefix_run(job: Job) -> None:
    """Delete every object under a prefix, page by page (a bulk job)."""
    conn = job.connection
    prefix = job.params["prefix"]
    deleted = 0
    failed: dict[str, str] = {}
    token = ""
    while True:
        _check_cancel(job)
        page = gateway.list_page(conn, job.bucket, prefix=prefix, token=token, page_size=1000, delimiter="")
        keys = [o.key for o in page.objects]
        if keys:
            ok, errors = gateway.delete_objects(conn, job.bucket, keys)
            deleted += len(ok)
            failed.update(errors)
        _progress(job, items_done=deleted, message=f"Deleted {deleted} object(s)")
        if not page.next_token:
            break
        token = page.next_token
    job.result = {"deleted": deleted, "failed": dict(list(failed.items())[:50]), "failed_count": len(failed)}
    _progress(job, result=job.result, message=f"Deleted {deleted} object(s)" + (f", {len(failed)} failed" if failed else ""))
    if failed:
        raise gateway.Invalid(f"{len(failed)} object(s) could not be deleted.")


RUNNERS = {"upload": upload_job_run, "delete_prefix": delete_prefix_run}
CLEANUPS = {"upload": upload_job_discard}


def job_cleanup(job: Job) -> None:
    """Undo what a job left half done (an upload's S3 parts and staged bytes)."""
    cleanup = CLEANUPS.get(job.kind)
    if cleanup is not None:
        cleanup(job)


def job_enqueue(job: Job) -> None:
    """Hand the job to a worker once the row is committed, so the worker can see it."""
    from .tasks import run_job

    job.celery_task_id = uuid.uuid4().hex
    Job.objects.filter(pk=job.pk).update(celery_task_id=job.celery_task_id)
    transaction.on_commit(lambda: run_job.apply_async((job.pk,), task_id=job.celery_task_id))


def job_run(job_id: int) -> None:
    """Run a job to its end, recording the outcome. Safe to call again on redelivery."""
    job = Job.objects.select_related("connection").filter(pk=job_id).first()
    if job is None:
        log.warning("job %s no longer exists; nothing to do", job_id)
        return
    if job.finished:
        return
    if job.cancel_requested:
        _finish(job, JobState.CANCELLED, message="Cancelled before it started")
        job_cleanup(job)
        return
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started_at=job.started_at or timezone.now(), heartbeat_at=timezone.now())
    try:
        RUNNERS[job.kind](job)
    except JobCancelled:
        job_cleanup(job)
        _finish(job, JobState.CANCELLED, message="Cancelled")
    except gateway.S3Error as exc:
        _finish(job, JobState.FAILED, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - the job row must record every failure
        log.exception("job %s failed", job.pk)
        _finish(job, JobState.FAILED, error=f"Unexpected failure: {type(exc).__name__}")
    else:
        _finish(job, JobState.SUCCEEDED)


def _finish(job: Job, state: str, *, message: str | None = None, error: str = "") -> None:
    fields = {"state": state, "finished_at": timezone.now(), "error": error}
    params = Job.objects.filter(pk=job.pk).values_list("params", flat=True).first() or {}
    if params.get("sse", {}).get("customer_key") and state != JobState.FAILED:
        # A customer's SSE-C key is kept no longer than the upload needs it (a failed job
        # keeps it, encrypted, so Retry can resume; discarding or the sweep removes it).
        params["sse"].pop("customer_key")
        fields["params"] = params
    if message is not None:
        fields["message"] = message
    Job.objects.filter(pk=job.pk).update(**fields)


def sweep_stale_uploads() -> dict:
    """Abort uploads nobody finished or discarded, and remove staging leftovers."""
    cutoff = timezone.now() - timezone.timedelta(hours=settings.UPLOAD_STALE_HOURS)
    uploads = Job.objects.filter(kind="upload").select_related("connection")
    idle = uploads.filter(state__in=[JobState.PENDING, JobState.RUNNING], created_at__lt=cutoff)
    idle = idle.filter(heartbeat_at__isnull=True) | idle.filter(heartbeat_at__lt=cutoff)
    aborted = 0
    for job in idle:
        upload_job_discard(job)
        _finish(job, JobState.FAILED, error="Abandoned: aborted by the stale-upload sweep")
        aborted += 1
    # A failed upload keeps its parts for a retry, but not for ever.
    for job in uploads.filter(state=JobState.FAILED, finished_at__lt=cutoff):
        if job.params.get("discarded"):
            continue
        upload_job_discard(job)
        job.params["discarded"] = True
        Job.objects.filter(pk=job.pk).update(params=job.params, message="Discarded by the stale-upload sweep")
        aborted += 1
    removed = 0
    staging = Path(settings.UPLOAD_STAGING_DIR)
    if staging.exists():
        live = {staging_path(j).name for j in uploads.filter(state__in=[JobState.PENDING, JobState.RUNNING])}
        for entry in staging.iterdir():
            if entry.name not in live and time.time() - entry.stat().st_mtime > settings.UPLOAD_STALE_HOURS * 3600:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
    return {"aborted": aborted, "removed": removed}


def disk_free_bytes() -> int:
    staging = Path(settings.UPLOAD_STAGING_DIR)
    staging.mkdir(parents=True, exist_ok=True)
    stat = os.statvfs(staging)
    return stat.f_bavail * stat.f_frsize
