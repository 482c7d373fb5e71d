"""The size kind: objects, bytes, versions and delete markers of a bucket or prefix, per
storage class, counted from the version listing (or the object listing where the provider
has no versions). The totals travel with the checkpoint, so a new run adds to them."""

from __future__ import annotations

from typing import Any

from .. import gateway
from ..models import Job, JobKind, JobState
from . import bulk, engine
from .engine import JobRun


def _empty() -> dict[str, Any]:
    return {"objects": 0, "bytes": 0, "versions": 0, "version_bytes": 0, "delete_markers": 0, "classes": {}}


def _add(totals: dict[str, Any], version: gateway.ObjectVersion, storage_class: str) -> None:
    if version.is_delete_marker:
        totals["delete_markers"] += 1
        return
    totals["versions"] += 1
    totals["version_bytes"] += version.size
    if version.is_latest:
        totals["objects"] += 1
        totals["bytes"] += version.size
        row = totals["classes"].setdefault(storage_class or "STANDARD", {"objects": 0, "bytes": 0})
        row["objects"] += 1
        row["bytes"] += version.size


def size_run(run: JobRun) -> None:
    job = run.job
    prefix = job.params.get("prefix", "")
    totals = job.result.get("partial", _empty()) if job.checkpoint else _empty()
    try:
        _count_versions(run, prefix, totals)
    except gateway.NotImplementedByProvider:
        _count_objects(run, prefix, totals)
    run.progress(result={**totals, "prefix": prefix}, items_done=totals["objects"], items_total=totals["objects"],
                 message=f"{bulk.plural(totals['objects'], 'object')}, {_human(totals['bytes'])}")


def _count_versions(run: JobRun, prefix: str, totals: dict[str, Any]) -> None:
    job = run.job
    key_marker, version_marker = job.checkpoint, ""
    # Versions of the key the next page may continue are held back until that key is done,
    # so the totals saved with a checkpoint cover exactly the keys up to it.
    pending: list[tuple[gateway.ObjectVersion, str]] = []
    while True:
        run.check()
        page = gateway.list_versions_page(job.connection, job.bucket, prefix=prefix, key_marker=key_marker,
                                          version_marker=version_marker)
        pending += [(v, page.storage_classes.get((v.key, v.version_id), "")) for v in page.versions]
        open_key = page.next_key_marker if page.truncated else None
        done = [(v, c) for v, c in pending if open_key is None or v.key < open_key]
        pending = [(v, c) for v, c in pending if open_key is not None and v.key >= open_key]
        for version, storage_class in done:
            _add(totals, version, storage_class)
        if done:
            run.checkpoint(done[-1][0].key, result={"partial": totals}, items_done=totals["objects"],
                           message=f"Counted {bulk.plural(totals['objects'], 'object')} so far")
        if not page.truncated:
            return
        key_marker, version_marker = page.next_key_marker, page.next_version_marker


def _count_objects(run: JobRun, prefix: str, totals: dict[str, Any]) -> None:
    job = run.job
    for _, objects in bulk.walk_objects(run, job.connection, job.bucket, {"keys": [prefix]}, ""):
        for obj in objects:
            _add(totals, gateway.ObjectVersion(obj.key, "null", True, False, obj.size, obj.last_modified),
                 obj.storage_class)
        run.progress(result={"partial": totals}, items_done=totals["objects"])


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def size_job_create(*, team, user, connection, bucket: str, prefix: str = ""):
    return engine.job_create(JobKind.BUCKET_SIZE, team=team, user=user, connection=connection, bucket=bucket,
                             key=prefix, params={"prefix": prefix})


def size_latest(connection, bucket: str, prefix: str = "") -> tuple[Job | None, Job | None]:
    """(the last finished measurement, a measurement still running) of a bucket or prefix."""
    jobs = Job.objects.filter(kind=JobKind.BUCKET_SIZE, connection=connection, bucket=bucket, key=prefix)
    done = jobs.filter(state=JobState.SUCCEEDED).order_by("-finished_at").first()
    running = jobs.filter(state__in=[JobState.PENDING, JobState.RUNNING]).order_by("-created_at").first()
    return done, running


engine.register(JobKind.BUCKET_SIZE, size_run)
