"""The upload kind: a large file becomes an S3 multipart upload without a copy on the console.

The browser's protocol (static/console/uploads.js speaks it, bench/upload_client.py too):

1. `upload_begin` creates the job and the S3 multipart upload at once (the UploadId is on
   the job from the first moment), and picks the route: DIRECT when the bucket's CORS lets
   this console's origin PUT, so the browser sends parts to the endpoint on presigned URLs;
   PROXY otherwise, so each part comes to the console and leaves again as one UploadPart
   (`upload_part_receive`: streamed on to a presigned part URL a slice at a time, so
   memory holds about a MiB per part in flight and nothing touches the disk).
   `upload_resumable` finds the same file's receiving job again after a reload, and
   `upload_stored_parts` tells the browser which parts the endpoint already has.
2. `upload_finish_request` refuses while any part is missing or has the wrong size (naming
   them), then hands the completion to a worker through the engine.
3. The worker (`upload_job_run`) completes the upload with all the time it needs, and after
   a time-out or error looks at the object before it reports anything.

The form upload without JavaScript keeps a STAGED route: the file is staged on disk with
its space reserved, then the worker sends it as parts.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import logging
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from .. import catalogue, gateway
from ..encryption import Encryption
from ..models import Job, JobKind, JobState
from . import engine
from .engine import JobCancelled, JobRun

log = logging.getLogger(__name__)
MIB = 1024 * 1024
MAX_PARTS = 10_000  # S3's limit per multipart upload
CHECKSUM_PART_MAX = 32 * MIB  # larger parts go without a checksum (see upload_begin)


class UploadRoute(models.TextChoices):
    DIRECT = "direct", "straight to the endpoint"
    PROXY = "proxy", "through the console"
    STAGED = "staged", "staged by the console"


class UploadClosed(Exception):
    """The upload no longer takes parts (cancelled, finishing or finished): a sentence."""

    def __init__(self, message: str, *, cancelled: bool = False) -> None:
        super().__init__(message)
        self.cancelled = cancelled


class PartRefused(ValueError):
    """A part that does not fit the plan (number, size)."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


class PartsMissing(Exception):
    def __init__(self, missing: list[int], part_count: int) -> None:
        shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
        super().__init__(f"{len(missing)} of {part_count} part(s) have not arrived (or arrived incomplete): {shown}.")
        self.missing = missing


class StagingFull(OSError):
    """The staging disk cannot hold this file now."""


class PartDamaged(Exception):
    """The endpoint found a part's bytes did not match the SHA-256 they came with: worth
    sending again (they changed on the way), so the browser is told to retry."""


def part_checksums_offered(connection, bucket_type: str) -> bool:
    """Whether an upload here asks the endpoint for a SHA-256 per part. Not where the catalogue
    says the provider is not known to keep them, and not with SigV2, which cannot sign the
    checksum header; elsewhere the endpoint's answer to CreateMultipartUpload decides."""
    if (connection.signature_version or "s3v4") != "s3v4":
        return False
    return bool(catalogue.constraint(connection.provider, bucket_type, "part_checksums", True))


def checksum_problem(value: str) -> str:
    """'' when `value` is a base64 SHA-256 (44 characters, 32 bytes), else a sentence."""
    try:
        ok = len(value) == 44 and value.isascii() and len(base64.b64decode(value, validate=True)) == 32
    except ValueError:
        ok = False
    return "" if ok else "A part's SHA-256 must be 32 bytes in base64 (44 characters)."


def part_plan(size: int) -> tuple[int, int]:
    """(part size, part count): the configured size, more when 10,000 parts would not hold it."""
    part_size = max(settings.UPLOAD_PART_BYTES, 5 * MIB, -(-size // MAX_PARTS))
    part_size = -(-part_size // MIB) * MIB
    return part_size, max(1, -(-size // part_size))


def part_length(job: Job, number: int) -> int:
    part_size, count = int(job.params["part_size"]), int(job.params["part_count"])
    return part_size if number < count else job.bytes_total - part_size * (count - 1)


def receiving(job: Job) -> bool:
    """The browser may still send parts: nobody asked to finish or to cancel yet."""
    return job.state == JobState.PENDING and not job.cancel_requested and job.queued_at is None


def _closed(job: Job) -> UploadClosed:
    if job.cancel_requested or job.state == JobState.CANCELLED:
        return UploadClosed("This upload was cancelled.", cancelled=True)
    if job.finished:
        return UploadClosed(f"This upload has ended ({job.get_state_display()}).")
    return UploadClosed("This upload is being completed; it takes no more parts.")


# --- the browser's protocol ------------------------------------------------------------------


def upload_begin(*, team, user, connection, bucket: str, key: str, size: int, content_type: str,
                 encryption: Encryption, route: UploadRoute, fingerprint: str = "", checksum: bool = False) -> Job:
    """Create the S3 multipart upload and its job (receiving: PENDING, not queued).

    `checksum`: the browser will send a SHA-256 with every part; asked of the endpoint, and
    kept in params["checksum"] only when the endpoint said it keeps them."""
    part_size, count = part_plan(size)
    # To hash a part the browser holds it in memory (a Blob slice otherwise streams from disk):
    # with parts above CHECKSUM_PART_MAX (files above ~320 GB), eight in flight would be too much.
    checksum = checksum and part_size <= CHECKSUM_PART_MAX
    started = gateway.multipart_start(connection, bucket, key, content_type=content_type,
                                      extra=encryption.put_params(), checksum=checksum)
    return engine.job_create(
        JobKind.UPLOAD, team=team, user=user, connection=connection, bucket=bucket, key=key, bytes_total=size,
        params={"route": route, "upload_id": started.upload_id, "part_size": part_size, "part_count": count,
                "fingerprint": fingerprint[:500], "content_type": content_type, "sse": encryption.to_job(),
                "checksum": started.checksum},
        message=f"Receiving the file ({route.label})",
    )


def upload_resumable(*, job_id: int, user, connection, bucket: str, key: str, size: int, fingerprint: str,
                     encryption: Encryption, checksum: bool = False) -> Job | None:
    """The same file's upload of this user, still receiving, or None (then start afresh).
    An upload that keeps part checksums resumes only for a browser that sends them."""
    if not fingerprint:
        return None
    job = Job.objects.filter(pk=job_id, kind=JobKind.UPLOAD, user=user, connection=connection, bucket=bucket,
                             key=key, bytes_total=size, state=JobState.PENDING, queued_at__isnull=True,
                             cancel_requested=False).first()
    if job is None or job.params.get("fingerprint") != fingerprint or not job.params.get("upload_id"):
        return None
    if job.params.get("checksum") and not checksum:
        return None
    stored = Encryption.from_job(job.params.get("sse"))
    if (stored.mode, stored.kms_key_id, stored.customer_key) != (encryption.mode, encryption.kms_key_id,
                                                                 encryption.customer_key):
        return None  # the same bytes, but meant to be encrypted otherwise: a new upload
    return job


def upload_stored_parts(job: Job) -> dict[int, int]:
    """{part number: size} of the parts the endpoint holds that fit the plan."""
    parts = gateway.multipart_parts(job.connection, job.bucket, job.key, job.params["upload_id"])
    count = int(job.params["part_count"])
    return {n: p.size for n, p in parts.items() if n <= count and p.size == part_length(job, n)}


def upload_part_receive(job: Job, number: int, length: int, read, *, sha256: str = "") -> str:
    """Forward one part's bytes (`read(n)`, until `length`) as one UploadPart while they
    arrive; returns its ETag. `sha256`: the part's checksum from the browser, required by an
    upload that keeps them and then checked by the endpoint."""
    if not receiving(job):
        raise _closed(job)
    count = int(job.params["part_count"])
    if not 1 <= number <= count:
        raise PartRefused(f"Part numbers run from 1 to {count}.")
    expected = part_length(job, number)
    if length > expected:
        raise PartRefused(f"Part {number} is {expected} bytes; {length} were announced.", too_large=True)
    if length != expected:
        raise PartRefused(f"Part {number} must be {expected} bytes; {length} were sent.")
    sha256 = _part_checksum(job, number, sha256)
    encryption = Encryption.from_job(job.params.get("sse"))
    try:
        # Passed on while it arrives: a slice at a time in memory, nothing hashed here (the
        # endpoint checks the browser's SHA-256 where the upload keeps one).
        etag = gateway.multipart_upload_part_stream(job.connection, job.bucket, job.key, job.params["upload_id"],
                                                    number, read, expected, extra=encryption.key_params(),
                                                    timeout=settings.UPLOAD_PART_TIMEOUT, sha256=sha256)
    except gateway.BodyIncomplete as exc:
        raise PartRefused(f"Part {number} arrived incomplete ({exc.received} of {expected} bytes).") from None
    except gateway.S3Error as exc:
        job.refresh_from_db()
        if not receiving(job):
            raise _closed(job) from None  # cancelled meanwhile: the abort took the upload away
        if exc.code in gateway.DAMAGED_CODES:
            raise PartDamaged(f"Part {number} arrived damaged: its bytes do not match the SHA-256 your browser "
                              "computed, so the endpoint refused it; it is sent again.") from None
        raise
    _note_received(job, expected)
    return etag


def _part_checksum(job: Job, number: int, sha256: str) -> str:
    """The part's SHA-256 to sign and send: required where the upload keeps checksums, and
    never sent where it does not (an endpoint that makes plain uploads may refuse it)."""
    if not job.params.get("checksum"):
        return ""
    if not sha256:
        raise PartRefused(f"Part {number} came without its SHA-256; this upload checks every part.")
    if problem := checksum_problem(sha256):
        raise PartRefused(f"Part {number}: {problem}")
    return sha256


def upload_parts_sign(job: Job, numbers: list[int], *, received: int = 0,
                      sha256: list[str] | None = None) -> dict[int, str]:
    """Presigned UploadPart URLs for the DIRECT route; `received` is what the browser says
    it has sent so far (for the job page only: completion trusts ListParts alone). Where the
    upload keeps checksums, `sha256` gives each part's, in the order of `numbers`, and each
    URL then signs its part's x-amz-checksum-sha256 header."""
    if not receiving(job):
        raise _closed(job)
    if job.params.get("route") != UploadRoute.DIRECT:
        raise PartRefused("This upload goes through the console; it has no part URLs.")
    count = int(job.params["part_count"])
    if not numbers or any(not 1 <= n <= count for n in numbers) or len(numbers) > 100:
        raise PartRefused(f"Ask for 1 to 100 part numbers between 1 and {count}.")
    checksums: list[str] = []
    if job.params.get("checksum"):
        if len(sha256 or []) != len(numbers):
            raise PartRefused("This upload checks every part: give one SHA-256 per part number.")
        checksums = [_part_checksum(job, n, c) for n, c in zip(numbers, sha256 or [], strict=True)]
    if received:
        engine.job_note(job, bytes_done=min(max(0, received), job.bytes_total), heartbeat_at=timezone.now())
    return {n: gateway.multipart_presign_part(job.connection, job.bucket, job.key, job.params["upload_id"], n,
                                              expires=settings.UPLOAD_SIGN_SECONDS,
                                              sha256=checksums[i] if checksums else "")
            for i, n in enumerate(numbers)}


def _note_received(job: Job, length: int) -> None:
    # Bytes received, for the job page while the browser sends; heartbeat_at keeps the sweep
    # away from an upload that is still moving.
    engine.job_note(job, bytes_done=Least(F("bytes_done") + length, Value(job.bytes_total)),
                    heartbeat_at=timezone.now())


def upload_missing(job: Job) -> list[int]:
    stored = upload_stored_parts(job)
    return [n for n in range(1, int(job.params["part_count"]) + 1) if n not in stored]


def upload_finish_request(job: Job) -> None:
    """Check every part is on the endpoint, then hand the completion to a worker.

    Raises PartsMissing, UploadClosed or BrokerUnavailable (the job then stays queued and
    is sent again by jobs_recover). A second call while the first is queued sends nothing.
    """
    if job.queued_at is not None and job.state == JobState.PENDING and not job.cancel_requested:
        if job.dispatched_at is None:
            engine.job_enqueue(job)  # the broker did not take it last time: try once more
        return
    if not receiving(job):
        if job.state in (JobState.RUNNING, JobState.SUCCEEDED):
            return  # a duplicate finish: the one completion is under way or done
        raise _closed(job)
    missing = upload_missing(job)
    if missing:
        raise PartsMissing(missing, int(job.params["part_count"]))
    engine.job_note(job, bytes_done=job.bytes_total, message="Completing the upload on the endpoint")
    engine.job_enqueue(job)


# --- the worker's side -----------------------------------------------------------------------


def _expected_etag(parts: dict[int, gateway.StoredPart]) -> str:
    digests = b"".join(bytes.fromhex(parts[n].etag.strip('"')) for n in sorted(parts))
    return f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"


def _completed_object(job: Job, parts: dict[int, gateway.StoredPart] | None, encryption: Encryption):
    """The object this upload made, if the endpoint holds it: same size and, where the
    part ETags are MD5s, the multipart ETag they add up to; else made after the job began."""
    try:
        head = gateway.head_object(job.connection, job.bucket, job.key, extra=encryption.key_params())
    except gateway.S3Error:
        return None
    if head.size != job.bytes_total:
        return None
    if parts:
        try:
            if head.etag == _expected_etag(parts):
                return head
        except ValueError:
            pass  # not hex MD5s (some encryption modes): judge by the time below
    made_after = head.last_modified and head.last_modified >= job.created_at - timedelta(minutes=1)
    count = int(job.params.get("part_count") or 0)
    return head if made_after and (not count or head.etag.endswith(f"-{count}")) else None


def _complete(run: JobRun, parts: dict[int, gateway.StoredPart], encryption: Encryption) -> None:
    job = run.job
    # An upload that keeps part checksums gives them back (S3 requires it); never otherwise.
    sha256 = {n: p.sha256 for n, p in parts.items()} if job.params.get("checksum") else None
    try:
        etag = gateway.multipart_complete(job.connection, job.bucket, job.key, job.params["upload_id"],
                                          {n: p.etag for n, p in parts.items()}, head_extra=encryption.key_params(),
                                          timeout=settings.S3_COMPLETE_TIMEOUT, sha256=sha256)
    except gateway.S3Error as exc:
        # A time-out (or the error of a retry after one) says nothing about the outcome: the
        # server may have finished meanwhile. Look before reporting a failure.
        made = _completed_object(job, parts, encryption)
        if made is None:
            raise
        log.info("upload job %s: completion answered %s, but the object is there", job.pk, type(exc).__name__)
        etag = made.etag
    job.result = {"etag": etag, "parts": len(parts), "size": job.bytes_total}
    message = "Uploaded"
    if job.params.get("checksum"):
        job.result["checksum"] = job.params["checksum"]
        message = "Uploaded; every part went with the SHA-256 your browser computed, for the endpoint to check"
    run.progress(bytes_done=job.bytes_total, result=job.result, message=message)


def _run_parts(run: JobRun) -> None:
    """Complete an upload whose parts the browser sent (DIRECT or PROXY)."""
    job = run.job
    encryption = Encryption.from_job(job.params.get("sse"))
    try:
        parts = gateway.multipart_parts(job.connection, job.bucket, job.key, job.params["upload_id"])
    except gateway.NotFound:
        # An earlier run may have completed it just before its worker died.
        made = _completed_object(job, None, encryption)
        if made is None:
            raise gateway.Invalid("The multipart upload is gone from the endpoint (aborted, or removed by a "
                                  "lifecycle rule); upload the file again.") from None
        job.result = {"etag": made.etag, "parts": int(job.params["part_count"]), "size": job.bytes_total}
        run.progress(bytes_done=job.bytes_total, result=job.result, message="Uploaded")
        return
    count = int(job.params["part_count"])
    missing = [n for n in range(1, count + 1) if n not in parts or parts[n].size != part_length(job, n)]
    if missing:
        raise gateway.Invalid(str(PartsMissing(missing, count)) + " Upload the file again.")
    run.progress(bytes_done=job.bytes_total, message="Completing the upload on the endpoint")
    run.check()
    _complete(run, {n: parts[n] for n in range(1, count + 1)}, encryption)


def upload_job_run(run: JobRun) -> None:
    if run.job.params.get("route") == UploadRoute.STAGED:
        _run_staged(run)
    else:
        _run_parts(run)


def upload_job_discard(job: Job) -> None:
    """Abort the S3 side and remove staged bytes: nothing is left behind."""
    params = Job.objects.filter(pk=job.pk).values_list("params", flat=True).first() or job.params
    upload_id = params.get("upload_id")
    if upload_id and job.connection:
        try:
            gateway.multipart_abort(job.connection, job.bucket, job.key, upload_id)
        except gateway.S3Error as exc:
            log.warning("abort of upload job %s failed: %s", job.pk, exc)
    if params.get("token"):
        staging_path(job, params).unlink(missing_ok=True)
    if params.get("sse", {}).pop("customer_key", None):
        engine.job_note(job, params=params)


# --- the staged route (form upload without JavaScript) ---------------------------------------


def staging_path(job: Job, params: dict | None = None) -> Path:
    return Path(settings.UPLOAD_STAGING_DIR) / f"job-{job.pk}-{(params or job.params)['token']}.part"


def staged_job_create(*, team, user, connection, bucket: str, key: str, size: int, content_type: str,
                      encryption: Encryption | None = None) -> Job:
    part_size, count = part_plan(size)
    return engine.job_create(
        JobKind.UPLOAD, team=team, user=user, connection=connection, bucket=bucket, key=key, bytes_total=size,
        params={"route": UploadRoute.STAGED, "token": uuid.uuid4().hex, "content_type": content_type,
                "part_size": part_size, "part_count": count, "sse": (encryption or Encryption()).to_job()},
        message="Staging the file",
    )


def staged_file_write(job: Job, source) -> None:
    """Stage the form's file with its whole size reserved first (a sparse file would promise
    space the disk may not have); out of space removes the partial file at once."""
    path = staging_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "wb") as fh:
            if job.bytes_total:
                os.posix_fallocate(fh.fileno(), 0, job.bytes_total)
            for chunk in source.chunks():
                fh.write(chunk)
    except OSError as exc:
        path.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StagingFull(exc.errno, "The console's staging disk has no room for this file now; try again "
                                         "later or upload it with JavaScript on (that path needs no staging).") from exc
        raise
    engine.job_note(job, message="Staged; waiting for a worker")


def _run_staged(run: JobRun) -> None:
    try:
        _send_staged(run)
    except (engine.LeaseLost, JobCancelled):
        raise  # a successor needs the file / the engine's cleanup removes it
    except BaseException:
        # A failed upload gives its disk space back at once; the parts go too, since
        # without the staged file nothing could resume them.
        upload_job_discard(run.job)
        raise


def _send_staged(run: JobRun) -> None:
    """Stream the staged file into an S3 multipart upload, resuming a previous attempt."""
    job = run.job
    conn = job.connection
    path = staging_path(job)
    if not path.exists():
        raise gateway.Invalid("The staged file is gone; upload it again.")
    size = path.stat().st_size
    if size != job.bytes_total:
        raise gateway.Invalid(f"Only {size} of {job.bytes_total} bytes were staged; upload it again.")
    part_size, count = int(job.params["part_size"]), int(job.params["part_count"])
    encryption = Encryption.from_job(job.params.get("sse"))
    upload_id = job.params.get("upload_id")
    done: dict[int, gateway.StoredPart] = {}
    if upload_id:
        try:  # a redelivered task: keep what the endpoint already has
            done = {n: p for n, p in gateway.multipart_parts(conn, job.bucket, job.key, upload_id).items()
                    if n <= count and p.size == part_length(job, n)}
        except gateway.NotFound:
            upload_id = None
    if not upload_id:
        upload_id = gateway.multipart_create(conn, job.bucket, job.key, content_type=job.params.get("content_type", ""),
                                             extra=encryption.put_params())
        job.params["upload_id"] = upload_id
        run.progress(params=job.params)
    run.progress(bytes_done=sum(p.size for p in done.values()), message=f"Uploading {count} part(s)")
    stop = threading.Event()

    def send(number: int) -> tuple[int, gateway.StoredPart]:
        # Parts run in threads without touching the database; the loop below records them.
        if stop.is_set():
            raise JobCancelled()
        with open(path, "rb") as fh:
            fh.seek((number - 1) * part_size)
            data = fh.read(part_size)
        etag = gateway.multipart_upload_part(conn, job.bucket, job.key, upload_id, number, data,
                                             extra=encryption.key_params())
        return number, gateway.StoredPart(etag, len(data))

    todo = [n for n in range(1, count + 1) if n not in done]
    with ThreadPoolExecutor(max_workers=settings.UPLOAD_WORKER_CONCURRENCY) as pool:
        futures = [pool.submit(send, n) for n in todo]
        try:
            for future in as_completed(futures):
                number, part = future.result()
                done[number] = part
                run.progress(bytes_done=F("bytes_done") + part.size)
        except BaseException:
            stop.set()
            for f in futures:
                f.cancel()
            raise
    run.check()
    _complete(run, done, encryption)
    path.unlink(missing_ok=True)


# --- housekeeping ----------------------------------------------------------------------------


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
        live = {staging_path(j).name for j in uploads.filter(state__in=[JobState.PENDING, JobState.RUNNING])
                if j.params.get("token")}
        for entry in staging.iterdir():
            if entry.name not in live and time.time() - entry.stat().st_mtime > settings.UPLOAD_STALE_HOURS * 3600:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
    return {"aborted": aborted, "removed": removed}


engine.register(JobKind.UPLOAD, upload_job_run, cleanup=upload_job_discard, retry_after_cancel=False)
