"""Edit metadata: one change of content headers and user metadata over a selection or prefixes.

Each object is read (HEAD), the change applied to its own headers and metadata
(`object_edit.MetadataChange.apply`), and it is rewritten as one object's Metadata page
rewrites it (`object_edit.metadata_rewrite`): CopyObject onto itself with
MetadataDirective=REPLACE and CopySourceIfMatch, ACL, tags, storage class and encryption
kept. Pages are checkpointed like the other bulk kinds, so a new run goes on after the
last key done.

What the provider's copy rule forbids for an object (an encrypted one where only unencrypted
objects are copied, one above 5 GiB) is listed as a failure with that reason, and so is an
object encrypted with a customer key (SSE-C): a job holds no customer keys.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from .. import gateway, object_edit
from ..models import JobKind
from . import bulk, engine
from .engine import JobRun

NEEDS_KEY = ("This object is encrypted with a customer-provided key (SSE-C), and a job does not hold "
             "customer keys: edit it alone on its Metadata page, giving its key there.")
CHANGED_MEANWHILE = ("The object changed after the job read it (a newer write); the job left that write as "
                     "it is. Retry the failed ones to edit the object as it is now.")


class _Edit:
    def __init__(self, run: JobRun):
        job = run.job
        self.conn, self.bucket = job.connection, job.bucket
        self.bucket_type = job.params["bucket_type"]
        self.change = object_edit.MetadataChange.from_params(job.params["change"])
        self.allow_api_only = job.team.allow_api_only
        self.bucket_encrypted = object_edit.bucket_encrypts(self.conn, self.bucket, self.bucket_type)

    def one(self, item: gateway.ObjectSummary) -> str:
        """"" when the object was rewritten, else why not."""
        try:
            source = bulk.persist(gateway.object_headers_get, self.conn, self.bucket, item.key)
        except gateway.Invalid as exc:
            # A bare 400 to HEAD is how S3 asks for an object's customer key.
            if exc.code == "400":
                return object_edit.sse_c_refusal(self.conn, self.bucket_type) or NEEDS_KEY
            return str(exc)
        except gateway.NotFound:
            return "The object no longer exists (deleted after it was selected or listed)."
        except gateway.S3Error as exc:
            return str(exc)
        refusal = object_edit.metadata_refusal(self.conn, self.bucket_type, source, allow_api_only=self.allow_api_only,
                                               bucket_encrypted=self.bucket_encrypted)
        if refusal or source.customer_algorithm:
            return refusal or NEEDS_KEY
        try:
            object_edit.metadata_rewrite(connection=self.conn, bucket=self.bucket, bucket_type=self.bucket_type,
                                         source=source, edit=self.change.apply(source),
                                         allow_api_only=self.allow_api_only, bucket_encrypted=self.bucket_encrypted,
                                         attempt=bulk.persist)
        except object_edit.EditRefused as exc:
            return " ".join(exc.errors)
        except gateway.S3Error as exc:
            return CHANGED_MEANWHILE if exc.code == "PreconditionFailed" else str(exc)
        return ""


def _counts(job) -> dict[str, int]:
    keep = ("changed", "failed_count")
    return {k: int(job.result.get(k, 0)) for k in keep} if job.checkpoint else dict.fromkeys(keep, 0)


def _progress(counts: dict[str, int]) -> str:
    failed = counts["failed_count"]
    return f"Changed {counts['changed']}" + (f", {failed} failed" if failed else "")


@bulk.patient_job
def metadata_run(run: JobRun) -> None:
    job = run.job
    work = _Edit(run)
    counts = _counts(job)
    totals: dict[str, int] = {}
    counting = None
    _, prefixes = bulk.plan_of(job.params)
    if prefixes and not job.checkpoint:
        # Beside the work, as a copy counts (buckets/jobs/transfer.py): the total only feeds
        # "n of m" and the time left, and reaches the row with the next checkpoint.
        counting = threading.Thread(target=contextvars.copy_context().run, args=(_count_quietly, run, totals),
                                    daemon=True, name=f"job-{job.pk}-count")
        counting.start()
    for pos, objects in bulk.prefetch(bulk.walk_objects(run, job.connection, job.bucket, job.params, job.checkpoint)):
        for item, reason in zip(objects, bulk.in_parallel(objects, work.one), strict=True):
            if reason:
                counts["failed_count"] += 1
                bulk.fail_once(run, item.key, reason)
            else:
                counts["changed"] += 1
        counted = {"items_total": totals.pop("items_total")} if "items_total" in totals else {}
        run.checkpoint(pos.encode(), items_done=sum(counts.values()), result=dict(counts), message=_progress(counts),
                       **counted)
    if counting is not None:
        counting.join()
    failed = counts["failed_count"]
    message = f"Changed the metadata of {bulk.plural(counts['changed'], 'object')}"
    if failed:
        message += f"; {failed} could not be changed"
    run.progress(result=dict(counts), message=message, items_total=sum(counts.values()))
    if failed:
        raise gateway.Invalid(f"The metadata of {bulk.plural(failed, 'object')} could not be changed; the job "
                              "lists them with the reason.")


def _count_quietly(run: JobRun, totals: dict[str, int]) -> None:
    job = run.job
    keys, prefixes = bulk.plan_of(job.params)
    items = len(keys)
    try:
        for _, objects in bulk.walk_objects(run, job.connection, job.bucket, {"keys": prefixes}, ""):
            items += len(objects)
    except Exception:  # noqa: BLE001 - the total is a courtesy; the work itself reports its errors
        return
    totals["items_total"] = items


def metadata_job_create(*, team, user, connection, bucket: str, bucket_type: str, keys: list[str],
                        change: object_edit.MetadataChange):
    params: dict[str, Any] = {"keys": keys, "bucket_type": bucket_type, "change": change.as_params()}
    label = keys[0] if len(keys) == 1 else f"{len(keys)} items"
    files = [k for k in keys if not bulk.is_prefix(k)]
    return engine.job_create(JobKind.METADATA, team=team, user=user, connection=connection, bucket=bucket,
                             key=label, params=params, items_total=len(files) if len(files) == len(keys) else 0)


engine.register(JobKind.METADATA, metadata_run)
