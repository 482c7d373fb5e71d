"""Copy, move and rename: a selection or whole prefixes, within a bucket, to another bucket,
or to a bucket of another connection.

The route is chosen once per job from the catalogue: a server-side copy (CopyObject, or
UploadPartCopy above MULTIPART_COPY_ABOVE) when both ends are one endpoint with one set of
keys and the provider copies between the two regions; otherwise the worker streams the bytes
(GET, then PUT or a multipart upload). Objects the provider will not copy server-side
(IONOS contract-owned: encrypted objects) are streamed one by one.

Metadata, content headers, tags and the storage class carry over on every route. A move
deletes the source only after the copy is verified: same size, and the ETag the copy
produced (or the source's MD5) is the one the destination now reports.
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from .. import catalogue, gateway
from ..models import Connection, JobKind
from . import bulk, engine
from .engine import JobRun

MiB = 1024 * 1024
# CopyObject takes at most 5 GiB; well below that a part-wise copy is also kinder to
# servers that assemble large copies silently for minutes.
MULTIPART_COPY_ABOVE = 1024 * MiB
COPY_PART = 512 * MiB
STREAM_PART = 8 * MiB
# One object copied server-side while the page waits (object_copy_now); larger ones, and
# every streamed copy, run as a job.
DIRECT_COPY_MAX = 128 * MiB
# Streams bigger than a part hold a part each in memory: at most this many at once.
_big_streams = threading.BoundedSemaphore(4)


class Conflict:
    OVERWRITE = "overwrite"
    SKIP = "skip"
    STOP = "stop"
    CHOICES = (("overwrite", "Overwrite what exists"), ("skip", "Skip objects that exist"),
               ("stop", "Stop at the first object that exists"))


@dataclass(frozen=True)
class Route:
    server_side: bool
    why: str


def copy_route(source: Connection, source_type: str, target: Connection, target_type: str) -> Route:
    """How objects travel from one bucket to another, and why, in words for the form."""
    same_keys = (source.endpoint_url.rstrip("/") == target.endpoint_url.rstrip("/")
                 and source.access_key == target.access_key)
    if not same_keys:
        return Route(False, "The destination is another endpoint or another set of keys, so the worker "
                            "streams each object (download, then upload).")
    if source.region != target.region and not catalogue.constraint(
            source.provider, source_type, "cross_region_copy", True):
        label = source.provider_info.label
        return Route(False, f"{label} does not copy between regions server-side ({source.region} → "
                            f"{target.region}), so the worker streams each object.")
    note = ""
    if catalogue.constraint(source.provider, source_type, "copy_requires_unencrypted", False):
        note = (f" {source.provider_info.label} copies only unencrypted objects server-side: encrypted ones "
                "are streamed through the worker.")
    return Route(True, "Server-side copy on the endpoint (no bytes pass through the console; "
                       f"objects above {MULTIPART_COPY_ABOVE // MiB} MiB are copied part by part).{note}")


def target_key_for(key: str, *, base: str, target_prefix: str, rename_to: str = "", renamed_prefix: str = "") -> str:
    """Where `key` lands: its path below the folder shown (`base`), under `target_prefix`; a
    rename replaces the one selected object's name, or the selected folder's."""
    if rename_to:
        if renamed_prefix:
            return target_prefix + rename_to.rstrip("/") + "/" + key[len(renamed_prefix):]
        return target_prefix + rename_to
    relative = key[len(base):] if key.startswith(base) else key
    return target_prefix + relative


class _ItemFailed(Exception):
    pass


class _Transfer:
    def __init__(self, run: JobRun):
        job = run.job
        p = job.params
        self.run = run
        self.move = job.kind == JobKind.MOVE
        self.src, self.src_bucket = job.connection, job.bucket
        self.dst = Connection.objects.get(pk=p["target_connection"])
        self.dst_bucket = p["target_bucket"]
        self.base = p.get("base", "")
        self.target_prefix = p.get("target_prefix", "")
        self.rename_to = p.get("rename_to", "")
        self.conflict = p.get("conflict", Conflict.OVERWRITE)
        self.server_side = bool(p.get("server_side"))
        self.unencrypted_only = bool(p.get("copy_requires_unencrypted"))
        _, prefixes = bulk.plan_of(p)
        self.renamed_prefix = prefixes[0] if self.rename_to and prefixes else ""

    def target_key(self, key: str) -> str:
        return target_key_for(key, base=self.base, target_prefix=self.target_prefix, rename_to=self.rename_to,
                              renamed_prefix=self.renamed_prefix)

    def one(self, item: gateway.ObjectSummary | str) -> tuple[str, int, str]:
        """("copied" | "skipped" | "failed", bytes, reason); a transient answer is tried again."""
        try:
            return bulk.persist(self._attempt, item)
        except gateway.Conflict:
            raise
        except (gateway.S3Error, _ItemFailed) as exc:
            return "failed", 0, str(exc)

    def _attempt(self, item: gateway.ObjectSummary | str) -> tuple[str, int, str]:
        listed = item if isinstance(item, gateway.ObjectSummary) and item.etag else None
        key = item if isinstance(item, str) else item.key
        target = self.target_key(key)
        if (self.dst.pk, self.dst_bucket, target) == (self.src.pk, self.src_bucket, key):
            return "skipped", 0, ""
        try:
            if self.conflict != Conflict.OVERWRITE and gateway.object_exists(self.dst, self.dst_bucket, target):
                if self.conflict == Conflict.SKIP:
                    return "skipped", 0, ""
                raise gateway.Conflict(f"“{target}” exists in {self.dst_bucket}; the job stopped there as asked. "
                                       "Retry with “overwrite” or “skip existing” to go on.")
            if listed is not None and self.server_side and not self.unencrypted_only:
                # CopyObject carries headers, metadata and tags itself; the listing gave size,
                # ETag and class, so no HEAD per object (it halved the rate of small copies).
                source = gateway.SourceObject(key=key, size=listed.size, etag=listed.etag,
                                              storage_class=listed.storage_class or "STANDARD",
                                              encryption="", headers={})
            else:
                source = gateway.copy_source_get(self.src, self.src_bucket, key, with_tags=not self.server_side)
            if self.server_side and not (self.unencrypted_only and source.encryption):
                expected = self._server_copy(source, target)
            else:
                if self.server_side:  # tags were left to CopyObject; this object streams instead
                    source = gateway.copy_source_get(self.src, self.src_bucket, key)
                expected = self._stream(source, target)
            self._verify(source, target, expected)
            if self.move:
                gateway.delete_object(self.src, self.src_bucket, key)
        except gateway.Unavailable:
            raise  # persist() tries the whole item again
        except gateway.Conflict:
            raise
        except (gateway.S3Error, _ItemFailed) as exc:
            return "failed", 0, str(exc)
        return "copied", source.size, ""

    def _server_copy(self, source: gateway.SourceObject, target: str) -> str:
        if source.size <= MULTIPART_COPY_ABOVE:
            return gateway.copy_object(self.dst, self.dst_bucket, target, source_bucket=self.src_bucket,
                                       source_key=source.key, storage_class=source.storage_class)
        # UploadPartCopy does not copy tags or headers: the upload is created with them.
        if not source.tags:
            source = gateway.copy_source_get(self.src, self.src_bucket, source.key)
        upload_id = gateway.multipart_create_like(self.dst, self.dst_bucket, target, source)
        try:
            parts: dict[int, str] = {}
            for number, first in enumerate(range(0, source.size, COPY_PART), 1):
                self.run.check()
                last = min(first + COPY_PART, source.size) - 1
                parts[number] = gateway.multipart_copy_part(self.dst, self.dst_bucket, target, upload_id, number,
                                                            source_bucket=self.src_bucket, source_key=source.key,
                                                            first=first, last=last)
            gateway.multipart_complete(self.dst, self.dst_bucket, target, upload_id, parts)
        except BaseException:
            gateway.multipart_abort(self.dst, self.dst_bucket, target, upload_id)
            raise
        return _multipart_etag(parts.values())

    def _stream(self, source: gateway.SourceObject, target: str) -> str:
        download = gateway.open_object(self.src, self.src_bucket, source.key)
        if source.size <= STREAM_PART:
            body = b"".join(download.body)
            gateway.put_object_like(self.dst, self.dst_bucket, target, body, source)
            digest = hashlib.md5(body, usedforsecurity=False).hexdigest()
            return source.etag if "-" not in source.etag and source.etag != digest else digest
        with _big_streams:
            upload_id = gateway.multipart_create_like(self.dst, self.dst_bucket, target, source)
            try:
                parts: dict[int, str] = {}
                buffer = bytearray()
                for chunk in download.body:
                    buffer += chunk
                    while len(buffer) >= STREAM_PART:
                        self.run.check()
                        n = len(parts) + 1
                        parts[n] = gateway.multipart_upload_part(self.dst, self.dst_bucket, target, upload_id, n,
                                                                 bytes(buffer[:STREAM_PART]))
                        del buffer[:STREAM_PART]
                if buffer or not parts:
                    n = len(parts) + 1
                    parts[n] = gateway.multipart_upload_part(self.dst, self.dst_bucket, target, upload_id, n,
                                                             bytes(buffer))
                gateway.multipart_complete(self.dst, self.dst_bucket, target, upload_id, parts)
            except BaseException:
                gateway.multipart_abort(self.dst, self.dst_bucket, target, upload_id)
                raise
        return _multipart_etag(parts.values())

    def _verify(self, source: gateway.SourceObject, target: str, expected_etag: str) -> None:
        if not self.move:
            return
        copied = gateway.head_object(self.dst, self.dst_bucket, target)
        if copied.size != source.size:
            raise _ItemFailed(f"The copy has {copied.size} bytes, the source {source.size}: the source was kept.")
        if expected_etag and copied.etag != expected_etag and copied.etag != source.etag:
            raise _ItemFailed(f"The copy's ETag {copied.etag} is not the expected {expected_etag}: the source was kept.")


def object_copy_now(*, source: Connection, source_bucket: str, key: str, target: Connection, target_bucket: str,
                    target_key: str, move: bool) -> str:
    """One object, server-side, while the page waits: CopyObject carries metadata, content
    headers and tags; the storage class is sent along. A move deletes the source only after
    HEAD of the copy shows its size and the ETag the copy produced. Returns the copy's ETag."""
    found = gateway.copy_source_get(source, source_bucket, key, with_tags=False)
    if found.size > DIRECT_COPY_MAX:
        raise gateway.Invalid(f"“{key}” is larger than {DIRECT_COPY_MAX // MiB} MiB: copy it as a job.")
    etag = gateway.copy_object(target, target_bucket, target_key, source_bucket=source_bucket, source_key=key,
                               storage_class=found.storage_class)
    if move:
        copied = gateway.head_object(target, target_bucket, target_key)
        if copied.size != found.size or (etag and copied.etag != etag and copied.etag != found.etag):
            raise gateway.Invalid(f"The copy of “{key}” does not match the source (size or ETag): the source was kept.")
        gateway.delete_object(source, source_bucket, key)
    return etag


def version_restore(conn: Connection, bucket: str, key: str, version_id: str) -> str:
    """Copy a version to the top of its key, keeping its storage class; returns the new version id."""
    version = gateway.head_object(conn, bucket, key, version_id=version_id)
    return gateway.copy_version_to_top(conn, bucket, key, version_id, storage_class=version.storage_class)


def _multipart_etag(part_etags) -> str:
    parts = [bytes.fromhex(e.strip('"')) for e in part_etags]
    return hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest() + f"-{len(parts)}"


@bulk.patient_job
def transfer_run(run: JobRun) -> None:
    job = run.job
    work = _Transfer(run)
    counts = {k: int(job.result.get(k, 0)) for k in ("copied", "skipped", "failed_count")} if job.checkpoint \
        else {"copied": 0, "skipped": 0, "failed_count": 0}
    bytes_done = job.bytes_done if job.checkpoint else 0
    totals: dict[str, int] = {}
    counting = None
    if not job.checkpoint and not job.items_total:
        # Beside the copy, not before it: the totals only feed the rate and time left, and a
        # listing pass first made a 10,000-object copy wait seconds for nothing. The thread
        # only lists; the totals reach the row with the next checkpoint.
        counting = threading.Thread(target=contextvars.copy_context().run, args=(_count_quietly, run, totals),
                                    daemon=True, name=f"job-{job.pk}-count")
        counting.start()
    verb = "Moved" if work.move else "Copied"
    pages = (((pos, [o.key for o in objects]), objects) for pos, objects in
             bulk.prefetch(bulk.walk_objects(run, job.connection, job.bucket, job.params, job.checkpoint)))
    # Pages overlap (a barrier per page left the pool half idle at each page's end), except
    # where the first object that exists stops the job: then nothing runs beyond its page.
    depth = 1 if work.conflict == Conflict.STOP else 3
    for (pos, keys), answers in bulk.pipelined(pages, work.one, width=bulk.job_width(), depth=depth):
        for key, (status, size, reason) in zip(keys, answers, strict=True):
            if status == "failed":
                counts["failed_count"] += 1
                bulk.fail_once(run, key, reason)
            else:
                counts[status] += 1
                bytes_done += size
        counted = {f: totals.pop(f) for f in ("items_total", "bytes_total") if f in totals}
        run.checkpoint(pos.encode(), items_done=sum(counts.values()), bytes_done=bytes_done, result=dict(counts),
                       **counted,
                       message=f"{verb} {counts['copied']}, skipped {counts['skipped']}"
                               + (f", {counts['failed_count']} failed" if counts["failed_count"] else ""))
    if counting is not None:
        counting.join()
    message = f"{verb} {bulk.plural(counts['copied'], 'object')}"
    if counts["skipped"]:
        message += f", skipped {counts['skipped']} that existed"
    # Totals the count finished after the last checkpoint arrive here.
    run.progress(result=dict(counts), message=message, items_total=sum(counts.values()),
                 **{f: totals.pop(f) for f in ("bytes_total",) if f in totals})
    if counts["failed_count"]:
        raise gateway.Invalid(f"{bulk.plural(counts['failed_count'], 'object')} could not be "
                              f"{verb.lower()}; the job lists them with the reason.")


def _count_quietly(run: JobRun, totals: dict[str, int]) -> None:
    try:
        totals.update(_count(run))
    except Exception:  # noqa: BLE001, S110 - totals are a courtesy; the copy itself reports its errors
        pass


def _count(run: JobRun) -> dict[str, int]:
    """The totals, for the job center's rate and time left: a listing, no DB writes."""
    job = run.job
    keys, _ = bulk.plan_of(job.params)
    items = total = 0
    for _, objects in bulk.walk_objects(run, job.connection, job.bucket, {**job.params, "keys": [
            k for k in job.params.get("keys", []) if bulk.is_prefix(k)]}, ""):
        items += len(objects)
        total += sum(o.size for o in objects)
    sizes = bulk.in_parallel(keys, lambda k: _size_or_zero(job.connection, job.bucket, k))
    return {"items_total": items + len(keys), "bytes_total": total + sum(sizes)}


def _size_or_zero(conn, bucket: str, key: str) -> int:
    try:
        return gateway.head_object(conn, bucket, key).size
    except gateway.S3Error:
        return 0


def transfer_job_create(*, kind: JobKind, team, user, connection, bucket: str, keys: list[str], base: str,
                        target: Connection, target_bucket: str, target_prefix: str, conflict: str,
                        route: Route, copy_requires_unencrypted: bool, rename_to: str = ""):
    params: dict[str, Any] = {
        "keys": keys, "base": base, "target_connection": target.pk, "target_bucket": target_bucket,
        "target_prefix": target_prefix, "conflict": conflict, "rename_to": rename_to,
        "server_side": route.server_side, "copy_requires_unencrypted": copy_requires_unencrypted,
    }
    label = keys[0] if len(keys) == 1 else f"{len(keys)} items"
    return engine.job_create(kind, team=team, user=user, connection=connection, bucket=bucket,
                             key=f"{label} → {target_bucket}/{target_prefix}{rename_to}", params=params)


engine.register(JobKind.COPY, transfer_run)
engine.register(JobKind.MOVE, transfer_run)
