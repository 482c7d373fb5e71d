"""The delete kind: every object under a prefix, page by page, resuming after its checkpoint."""

from __future__ import annotations

from .. import gateway
from ..models import JobKind
from . import engine
from .engine import JobRun


def delete_prefix_run(run: JobRun) -> None:
    job = run.job
    conn = job.connection
    prefix = job.params["prefix"]
    deleted = int(job.result.get("deleted", 0)) if job.checkpoint else 0
    failed = 0
    token = ""
    start_after = job.checkpoint
    while True:
        run.check()
        page = gateway.list_page(conn, job.bucket, prefix=prefix, token=token, page_size=1000, delimiter="",
                                 start_after=start_after if not token else "")
        keys = [o.key for o in page.objects]
        if keys:
            ok, errors = gateway.delete_objects(conn, job.bucket, keys)
            deleted += len(ok)
            failed += len(errors)
            for key, reason in errors.items():
                run.fail_item(key, reason)
            run.checkpoint(keys[-1], items_done=deleted, result={"deleted": deleted, "failed_count": failed},
                           message=f"Deleted {deleted} object(s)")
        if not page.next_token:
            break
        token = page.next_token
    result = {"deleted": deleted, "failed_count": failed}
    run.progress(result=result, message=f"Deleted {deleted} object(s)" + (f", {failed} failed" if failed else ""))
    if failed:
        raise gateway.Invalid(f"{failed} object(s) could not be deleted; the job lists them.")


def delete_prefix_job_create(*, team, user, connection, bucket: str, prefix: str):
    return engine.job_create(JobKind.DELETE_PREFIX, team=team, user=user, connection=connection, bucket=bucket,
                             key=prefix, params={"prefix": prefix})


engine.register(JobKind.DELETE_PREFIX, delete_prefix_run)
