"""The upload kind: a large file staged by the site, sent to S3 as a multipart upload."""

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
from django.db.models import F
from django.utils import timezone

from .. import gateway
from ..encryption import Encryption
from ..models import Job, JobKind, JobState
from . import engine
from .engine import JobCancelled, JobRun

log = logging.getLogger(__name__)


def staging_path(job: Job) -> Path:
    return Path(settings.UPLOAD_STAGING_DIR) / f"job-{job.pk}-{job.params['token']}.part"


def upload_job_create(
    *, team, user, connection, bucket: str, key: str, size: int, content_type: str, encryption: Encryption | None = None
) -> Job:
    job = engine.job_create(
        JobKind.UPLOAD, team=team, user=user, connection=connection, bucket=bucket, key=key, bytes_total=size,
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
    engine.job_note(job, params=job.params)
    return received


def upload_job_stage_file(job: Job, source) -> None:
    """Stage a file that arrived in one form POST (the no-JavaScript path)."""
    path = staging_path(job)
    with open(path, "wb") as fh:
        for chunk in source.chunks():
            fh.write(chunk)
    job.params["received"] = path.stat().st_size
    engine.job_note(job, params=job.params)


def upload_job_discard(job: Job) -> None:
    """Abort the S3 side and remove the staged bytes: nothing is left behind."""
    params = Job.objects.filter(pk=job.pk).values_list("params", flat=True).first() or job.params
    upload_id = params.get("upload_id")
    if upload_id and job.connection:
        try:
            gateway.multipart_abort(job.connection, job.bucket, job.key, upload_id)
        except gateway.S3Error as exc:
            log.warning("abort of upload job %s failed: %s", job.pk, exc)
    staging_path(job).unlink(missing_ok=True)
    if params.get("sse", {}).pop("customer_key", None):
        engine.job_note(job, params=params)


def upload_job_run(run: JobRun) -> None:
    """Stream the staged file into an S3 multipart upload, resuming a previous attempt."""
    job = run.job
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
        run.progress(params=job.params)
    run.progress(bytes_done=sum(min(part_size, size - (n - 1) * part_size) for n in done),
                 message=f"Uploading {count} part(s)")

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
                run.progress(bytes_done=F("bytes_done") + length)
        except BaseException:
            stop.set()
            for f in futures:
                f.cancel()
            raise
    run.check()
    etag = gateway.multipart_complete(conn, job.bucket, job.key, upload_id, done, head_extra=encryption.key_params())
    job.result = {"etag": etag, "parts": count, "size": size}
    path.unlink(missing_ok=True)
    run.progress(bytes_done=size, result=job.result, message="Uploaded")


def sweep_stale_uploads() -> dict:
    """Abort uploads nobody finished or discarded, and remove staging leftovers."""
    cutoff = timezone.now() - timezone.timedelta(hours=settings.UPLOAD_STALE_HOURS)
    uploads = Job.objects.filter(kind=JobKind.UPLOAD).select_related("connection")
    idle = uploads.filter(state__in=[JobState.PENDING, JobState.RUNNING], created_at__lt=cutoff)
    idle = idle.filter(heartbeat_at__isnull=True) | idle.filter(heartbeat_at__lt=cutoff)
    aborted = 0
    for job in idle:
        if engine.job_fail_unowned(job, "Abandoned: aborted by the stale-upload sweep"):
            upload_job_discard(job)
            aborted += 1
    # A failed upload keeps its parts for a retry, but not for ever.
    for job in uploads.filter(state=JobState.FAILED, finished_at__lt=cutoff):
        if job.params.get("discarded"):
            continue
        upload_job_discard(job)
        job.refresh_from_db(fields=["params"])
        job.params["discarded"] = True
        engine.job_note(job, params=job.params, message="Discarded by the stale-upload sweep")
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


engine.register(JobKind.UPLOAD, upload_job_run, cleanup=upload_job_discard, retry_after_cancel=False)
