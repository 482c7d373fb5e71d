"""The delete kinds: a selection or prefixes, their current objects or all their versions,
and emptying a whole bucket (then deleting it). Each page is checkpointed, so a new run
goes on after the last key done.

In a versioned bucket, deleting current objects leaves delete markers (the versions stay);
"all versions" deletes every version and marker permanently. Object Lock decides per
version: a protected one is listed as failed with the endpoint's reason. Governance
retention is bypassed only when an admin asked for it (the view checks the role).
"""

from __future__ import annotations

from typing import Any

from .. import gateway
from ..models import JobKind
from . import bulk, engine
from .engine import JobRun

# DeleteObjects requests in flight per job, over the pages being worked on (bulk.pipelined),
# each of DELETE_BATCH keys; a page of 1,000 keys is 4 requests.
DELETE_WIDTH = 8
DELETE_BATCH = 250


def _chunks[T](items: list[T]) -> list[list[T]]:
    return [items[i : i + DELETE_BATCH] for i in range(0, len(items), DELETE_BATCH)]


def _counts(job) -> dict[str, int]:
    keep = ("deleted", "failed_count", "uploads_aborted")
    return {k: int(job.result.get(k, 0)) for k in keep} if job.checkpoint else dict.fromkeys(keep, 0)


def _delete_current(run: JobRun, counts: dict[str, int], params: dict[str, Any]) -> None:
    job = run.job
    conn = job.connection

    def delete(chunk: list[str]):
        return bulk.persist(gateway.delete_objects, conn, job.bucket, chunk)

    pages = ((pos, _chunks([o.key for o in objects]))
             for pos, objects in bulk.prefetch(bulk.walk_objects(run, conn, job.bucket, params, job.checkpoint)))
    for pos, answers in bulk.pipelined(pages, delete, width=DELETE_WIDTH):
        for ok, errors in answers:
            counts["deleted"] += len(ok)
            counts["failed_count"] += len(errors)
            for key, reason in errors.items():
                bulk.fail_once(run, key, reason)
        _checkpoint(run, pos, counts)


def _delete_versions(run: JobRun, counts: dict[str, int], params: dict[str, Any], *, bypass: bool) -> None:
    job = run.job
    conn = job.connection

    def delete(chunk: list[tuple[str, str]]):
        return bulk.persist(gateway.delete_versions, conn, job.bucket, chunk, bypass_governance=bypass)

    pages = bulk.walk_versions(run, conn, job.bucket, params, job.checkpoint)
    batches = ((pos, _chunks([(v.key, v.version_id) for v in versions])) for pos, versions in bulk.prefetch(pages))
    for pos, answers in bulk.pipelined(batches, delete, width=DELETE_WIDTH):
        for ok, errors in answers:
            counts["deleted"] += len(ok)
            counts["failed_count"] += len(errors)
            for (key, version_id), reason in errors.items():
                bulk.fail_once(run, key, reason, version_id)
        _checkpoint(run, pos, counts)


def _checkpoint(run: JobRun, pos: bulk.Position, counts: dict[str, int]) -> None:
    failed = counts["failed_count"]
    run.checkpoint(pos.encode(), items_done=counts["deleted"] + failed, result=dict(counts),
                   message=f"Deleted {counts['deleted']}" + (f", {failed} failed" if failed else ""))


def _finish(run: JobRun, counts: dict[str, int], what: str) -> None:
    failed = counts["failed_count"]
    message = f"Deleted {bulk.plural(counts['deleted'], what)}" + (f"; {failed} could not be deleted" if failed else "")
    run.progress(result=dict(counts), message=message, items_total=counts["deleted"] + failed)
    if failed:
        raise gateway.Invalid(f"{bulk.plural(failed, 'item')} could not be deleted; the job lists them with the reason.")


@bulk.patient_job
def delete_run(run: JobRun) -> None:
    counts = _counts(run.job)
    if run.job.params.get("versions") == "all":
        _delete_versions(run, counts, run.job.params, bypass=bool(run.job.params.get("bypass_governance")))
        _finish(run, counts, "version")
    else:
        _delete_current(run, counts, run.job.params)
        _finish(run, counts, "object")


@bulk.patient_job
def empty_bucket_run(run: JobRun) -> None:
    """Every version, delete marker and incomplete upload; then the bucket, when asked."""
    job = run.job
    conn = job.connection
    counts = _counts(job)
    everything = {"keys": [""]}
    if not job.checkpoint.startswith("uploads"):
        try:
            _delete_versions(run, counts, everything, bypass=bool(job.params.get("bypass_governance")))
        except gateway.NotImplementedByProvider:
            # No version listing here (versioning unsupported): the current objects are all.
            _delete_current(run, counts, everything)
        run.checkpoint("uploads", result=dict(counts), message="Aborting incomplete uploads")
    counts["uploads_aborted"] = abort_all(run, conn, job.bucket)
    if counts["failed_count"]:
        _finish(run, counts, "version")
    if job.params.get("delete_bucket"):
        gateway.delete_bucket(conn, job.bucket)
        from ..models import KnownBucket

        KnownBucket.objects.filter(connection=conn, name=job.bucket).delete()
        run.progress(result={**counts, "bucket_deleted": 1},
                     message=f"Emptied ({bulk.plural(counts['deleted'], 'version')} and "
                             f"{bulk.plural(counts['uploads_aborted'], 'incomplete upload')}) and deleted the bucket")
    else:
        _finish(run, counts, "version")


def abort_all(run: JobRun, conn, bucket: str) -> int:
    aborted = 0
    key_marker = upload_marker = ""
    while True:
        run.check()
        page = gateway.multipart_uploads_page(conn, bucket, key_marker=key_marker, upload_marker=upload_marker)
        bulk.in_parallel(page.uploads, lambda u: gateway.multipart_abort(conn, bucket, u.key, u.upload_id))
        aborted += len(page.uploads)
        if not page.truncated:
            return aborted
        key_marker, upload_marker = page.next_key_marker, page.next_upload_marker


def delete_job_create(*, team, user, connection, bucket: str, keys: list[str], versions: str = "current",
                      bypass_governance: bool = False):
    params: dict[str, Any] = {"keys": keys, "versions": versions, "bypass_governance": bypass_governance}
    label = keys[0] if len(keys) == 1 else f"{len(keys)} items"
    files = [k for k in keys if not bulk.is_prefix(k)]
    return engine.job_create(JobKind.DELETE_PREFIX, team=team, user=user, connection=connection, bucket=bucket,
                             key=label, params=params, items_total=len(files) if len(files) == len(keys) else 0)


def delete_prefix_job_create(*, team, user, connection, bucket: str, prefix: str):
    return engine.job_create(JobKind.DELETE_PREFIX, team=team, user=user, connection=connection, bucket=bucket,
                             key=prefix, params={"prefix": prefix})


def empty_bucket_job_create(*, team, user, connection, bucket: str, delete_bucket: bool,
                            bypass_governance: bool = False):
    return engine.job_create(JobKind.EMPTY_BUCKET, team=team, user=user, connection=connection, bucket=bucket,
                             params={"delete_bucket": delete_bucket, "bypass_governance": bypass_governance})


engine.register(JobKind.DELETE_PREFIX, delete_run)
engine.register(JobKind.EMPTY_BUCKET, empty_bucket_run)


# --- incomplete multipart uploads ------------------------------------------------------------


@bulk.patient_job
def abort_uploads_run(run: JobRun) -> None:
    """Abort chosen incomplete uploads, or every one started more than N days ago."""
    from datetime import timedelta

    from django.utils import timezone

    job = run.job
    conn = job.connection
    chosen = [tuple(u) for u in job.params.get("uploads", [])]
    older_than = job.params.get("older_than_days")
    aborted = int(job.result.get("aborted", 0)) if job.checkpoint else 0
    failed = 0

    def abort(upload: tuple[str, str]) -> str:
        try:
            gateway.multipart_abort(conn, job.bucket, upload[0], upload[1])
        except gateway.S3Error as exc:
            return str(exc)
        return ""

    def record(batch: list[tuple[str, str]]) -> None:
        nonlocal aborted, failed
        for (key, upload_id), reason in zip(batch, bulk.in_parallel(batch, abort), strict=True):
            if reason:
                failed += 1
                bulk.fail_once(run, key, reason, upload_id)
            else:
                aborted += 1

    if older_than is None:
        done = int(job.checkpoint or 0)
        for start in range(done, len(chosen), bulk.PAGE):
            batch = chosen[start : start + bulk.PAGE]
            record(batch)
            run.checkpoint(str(start + len(batch)), items_done=aborted + failed, result={"aborted": aborted},
                           message=f"Aborted {aborted}")
    else:
        cutoff = timezone.now() - timedelta(days=float(older_than))
        key_marker, upload_marker = (job.checkpoint.split("\n", 1) + [""])[:2] if job.checkpoint else ("", "")
        while True:
            run.check()
            page = gateway.multipart_uploads_page(conn, job.bucket, key_marker=key_marker, upload_marker=upload_marker)
            record([(u.key, u.upload_id) for u in page.uploads if u.initiated and u.initiated < cutoff])
            if not page.truncated:
                break
            key_marker, upload_marker = page.next_key_marker, page.next_upload_marker
            run.checkpoint(f"{key_marker}\n{upload_marker}", items_done=aborted + failed,
                           result={"aborted": aborted}, message=f"Aborted {aborted}")
    run.progress(result={"aborted": aborted, "failed_count": failed}, items_total=aborted + failed,
                 message=f"Aborted {bulk.plural(aborted, 'incomplete upload')}")
    if failed:
        raise gateway.Invalid(f"{bulk.plural(failed, 'upload')} could not be aborted; the job lists them.")


def abort_uploads_job_create(*, team, user, connection, bucket: str, uploads: list[tuple[str, str]] | None = None,
                             older_than_days: float | None = None):
    params: dict[str, Any] = {"uploads": [list(u) for u in uploads or []]}
    if older_than_days is not None:
        params["older_than_days"] = older_than_days
    label = f"older than {older_than_days:g} days" if older_than_days is not None else \
        (uploads[0][0] if uploads and len(uploads) == 1 else f"{len(uploads or [])} uploads")
    return engine.job_create(JobKind.ABORT_UPLOADS, team=team, user=user, connection=connection, bucket=bucket,
                             key=label, params=params, items_total=len(uploads or []))


engine.register(JobKind.ABORT_UPLOADS, abort_uploads_run)
