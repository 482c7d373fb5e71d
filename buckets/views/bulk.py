"""Bulk work on a bucket: copy, move and rename, delete (current objects or every version),
empty a bucket, incomplete multipart uploads, size, and a selection as one zip.

Everything long runs as a job of the engine (buckets/jobs); these views resolve access,
check the form, create and enqueue the job, and send the user to it. The zip is the one
exception: it streams from the web process (buckets/jobs/archive.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import audit, gateway, jobs, names
from ..access import BucketAccess, get_bucket, team_connections
from ..jobs import archive, delete, size, transfer
from ..models import Job, JobKind, Role
from .common import render_page, s3_error_response, url_with


def _selection(request: HttpRequest) -> tuple[list[str], str]:
    keys = [k for k in dict.fromkeys(request.POST.getlist("keys")) if k]
    return keys, request.POST.get("prefix", "")


def _start(request: HttpRequest, job: Job, action: str, target: BucketAccess, **detail) -> HttpResponse:
    audit.record(request, action, connection=target.connection, bucket=target.bucket, key=job.key, job=job.pk, **detail)
    try:
        jobs.job_enqueue(job)
    except jobs.BrokerUnavailable as exc:
        messages.error(request, f"Job #{job.pk} was saved, but not started. {exc}")
    else:
        messages.info(request, f"{job.get_kind_display()} runs as job #{job.pk}.")
    return redirect("job_detail", job.pk)


def _refuse(request: HttpRequest, template: str, context: dict, problem: str) -> HttpResponse:
    return render(request, template, {**context, "problem": problem}, status=400)


# --- copy, move, rename ---------------------------------------------------------------------


@require_POST
def bulk_transfer(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    source = get_bucket(request, connection_id, bucket, Role.EDITOR)
    keys, base = _selection(request)
    op = JobKind.MOVE if request.POST.get("op") == "move" else JobKind.COPY
    if not keys:
        messages.error(request, "Select at least one object or folder to copy or move.")
        return redirect(url_with("browse", connection_id, bucket, prefix=base))
    choices = list(team_connections(source.access.team))
    context = {
        "connection": source.connection, "bucket": bucket, "keys": keys, "prefix": base, "op": op,
        "conflicts": transfer.Conflict.CHOICES, "routes": [
            (c, transfer.copy_route(source.connection, source.bucket_type, c, c.default_bucket_type)) for c in choices],
        "form": request.POST, "single": len(keys) == 1,
    }
    if request.POST.get("confirm") != "yes":
        return render(request, "buckets/bulk_transfer.html", context)
    try:
        target_id = int(request.POST.get("target_connection", ""))
    except ValueError:
        return _refuse(request, "buckets/bulk_transfer.html", context, "Choose a destination connection.")
    target_bucket = request.POST.get("target_bucket", "").strip() or bucket
    if problem := names.target_bucket_problem(target_bucket):
        return _refuse(request, "buckets/bulk_transfer.html", context, problem)
    target = get_bucket(request, target_id, target_bucket, Role.EDITOR)
    target_prefix = request.POST.get("target_prefix", "").lstrip("/")
    if target_prefix and not target_prefix.endswith("/"):
        target_prefix += "/"
    rename_to = request.POST.get("rename_to", "").strip() if len(keys) == 1 else ""
    conflict = request.POST.get("conflict", "")
    problem = _transfer_problem(source, target, keys, target_prefix, rename_to, conflict, base)
    if problem:
        return _refuse(request, "buckets/bulk_transfer.html", context, problem)
    route = transfer.copy_route(source.connection, source.bucket_type, target.connection, target.bucket_type)
    job = transfer.transfer_job_create(
        kind=op, team=source.access.team, user=request.user, connection=source.connection, bucket=bucket, keys=keys,
        base=base, target=target.connection, target_bucket=target.bucket, target_prefix=target_prefix,
        conflict=conflict, route=route, rename_to=rename_to,
        copy_requires_unencrypted=bool(_constraint(source, "copy_requires_unencrypted")))
    return _start(request, job, f"objects.{op}", source, target_bucket=target.bucket, count=len(keys),
                  server_side=route.server_side)


def _constraint(target: BucketAccess, name: str):
    from .. import catalogue

    return catalogue.constraint(target.connection.provider, target.bucket_type, name, None)


def _transfer_problem(source: BucketAccess, target: BucketAccess, keys: list[str], target_prefix: str,
                      rename_to: str, conflict: str, base: str) -> str:
    if conflict not in {c for c, _ in transfer.Conflict.CHOICES}:
        return "Choose what happens when an object exists at the destination."
    if rename_to and ("/" in rename_to.rstrip("/") or rename_to in {".", ".."}):
        return "A new name is one path segment, without “/”."
    for key in keys:
        if not key.startswith(base):
            return "The selection is not in the folder shown; reload the folder and select again."
    for key in keys:
        new_key = transfer.target_key_for(key, base=base, target_prefix=target_prefix, rename_to=rename_to,
                                          renamed_prefix=key if rename_to and key.endswith("/") else "")
        if problem := names.key_problem(new_key.rstrip("/") or "x"):
            return f"“{new_key}”: {problem}"
        same = source.connection.pk == target.connection.pk and source.bucket == target.bucket
        if same and key.endswith("/") and new_key.startswith(key):
            return f"“{key}” cannot be copied into itself (“{new_key}”): choose a folder outside it."
    return ""


# --- delete ---------------------------------------------------------------------------------


@require_POST
def bulk_delete(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    keys, base = _selection(request)
    if not keys:
        messages.error(request, "Select at least one object or folder to delete.")
        return redirect(url_with("browse", connection_id, bucket, prefix=base))
    try:
        versioning = gateway.get_versioning(target.connection, bucket)
    except gateway.S3Error:
        versioning = ""  # unknown: both choices stay offered, the endpoint decides
    context = {"connection": target.connection, "bucket": bucket, "keys": keys, "prefix": base,
               "versioning": versioning, "can_bypass": target.can(Role.ADMIN)}
    if request.POST.get("confirm") != "yes":
        return render(request, "buckets/bulk_delete.html", context)
    versions = request.POST.get("versions", "")
    if versions not in {"current", "all"}:
        return _refuse(request, "buckets/bulk_delete.html", context,
                       "Choose whether to delete the current objects or every version permanently.")
    bypass = request.POST.get("bypass_governance") == "yes"
    if bypass and not target.can(Role.ADMIN):
        return _refuse(request, "buckets/bulk_delete.html", context, "Only admins may bypass governance retention.")
    job = delete.delete_job_create(team=target.access.team, user=request.user, connection=target.connection,
                                   bucket=bucket, keys=keys, versions=versions, bypass_governance=bypass)
    return _start(request, job, "objects.delete", target, count=len(keys), versions=versions, bypass=bypass)


@require_http_methods(["GET", "POST"])
def bucket_empty(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """Empty a bucket (every version, delete marker and incomplete upload), then delete it."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    context = {"connection": target.connection, "bucket": bucket, "can_bypass": target.can(Role.ADMIN)}
    if request.method == "GET":
        return render(request, "buckets/bulk_empty.html", context)
    if request.POST.get("confirm_name", "").strip() != bucket:
        return _refuse(request, "buckets/bulk_empty.html", context,
                       f"Type the bucket name “{bucket}” exactly to confirm.")
    bypass = request.POST.get("bypass_governance") == "yes"
    if bypass and not target.can(Role.ADMIN):
        return _refuse(request, "buckets/bulk_empty.html", context, "Only admins may bypass governance retention.")
    job = delete.empty_bucket_job_create(team=target.access.team, user=request.user, connection=target.connection,
                                         bucket=bucket, delete_bucket=request.POST.get("delete_bucket") == "yes",
                                         bypass_governance=bypass)
    return _start(request, job, "bucket.empty", target, delete_bucket=job.params["delete_bucket"])


# --- incomplete multipart uploads -----------------------------------------------------------


@require_GET
def multipart_uploads(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    marker = request.GET.get("after", "")
    key_marker, _, upload_marker = marker.partition("\n")
    try:
        page = gateway.multipart_uploads_page(target.connection, bucket, key_marker=key_marker,
                                              upload_marker=upload_marker, page_size=100)
        sizes = jobs_bulk_sizes(target, page.uploads)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title=f"Cannot list the incomplete uploads of “{bucket}”")
    rows = [{"upload": u, "parts": p, "bytes": b} for u, (p, b) in zip(page.uploads, sizes, strict=True)]
    context = {"connection": target.connection, "bucket": bucket, "rows": rows, "can_edit": target.can(Role.EDITOR),
               "next": f"{page.next_key_marker}\n{page.next_upload_marker}" if page.truncated else ""}
    return render(request, "buckets/bulk_uploads.html", context)


def jobs_bulk_sizes(target: BucketAccess, uploads: list[gateway.IncompleteUpload]) -> list[tuple[int, int]]:
    from ..jobs import bulk

    def one(u: gateway.IncompleteUpload) -> tuple[int, int]:
        try:
            return gateway.multipart_parts_size(target.connection, target.bucket, u.key, u.upload_id)
        except gateway.NotFound:
            return 0, 0  # finished or aborted meanwhile
    return bulk.in_parallel(uploads, one)


@require_POST
def multipart_abort(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    back = url_with("multipart_uploads", connection_id, bucket)
    chosen = [tuple(v.split("\n", 1)) for v in request.POST.getlist("uploads") if "\n" in v]
    older = request.POST.get("older_than_days", "").strip()
    if older:
        try:
            days = float(older)
        except ValueError:
            days = -1
        if not 0 <= days <= 36500:
            messages.error(request, "Days must be a number from 0 to 36500.")
            return redirect(back)
        job = delete.abort_uploads_job_create(team=target.access.team, user=request.user,
                                              connection=target.connection, bucket=bucket, older_than_days=days)
    elif chosen:
        job = delete.abort_uploads_job_create(team=target.access.team, user=request.user,
                                              connection=target.connection, bucket=bucket, uploads=chosen)
    else:
        messages.error(request, "Select at least one upload, or give a number of days.")
        return redirect(back)
    return _start(request, job, "uploads.abort", target, count=len(chosen), older_than_days=older)


# --- size -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def bucket_size(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """GET: the last measurement (a fragment of the bucket page). POST: measure again."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR if request.method == "POST" else Role.VIEWER)
    prefix = request.POST.get("prefix", request.GET.get("prefix", ""))
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    if request.method == "POST":
        job = size.size_job_create(team=target.access.team, user=request.user, connection=target.connection,
                                   bucket=bucket, prefix=prefix)
        return _start(request, job, "bucket.size", target)
    done, running = size.size_latest(target.connection, bucket, prefix)
    context = {"connection": target.connection, "bucket": bucket, "prefix": prefix, "done": done,
               "running": running, "can_edit": target.can(Role.EDITOR),
               "classes": sorted((done.result.get("classes") or {}).items()) if done else []}
    return render_page(request, "buckets/bulk_size.html", "panel", context)


# --- zip ------------------------------------------------------------------------------------


@require_POST
def bulk_zip(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    keys, base = _selection(request)
    if not keys:
        messages.error(request, "Select at least one object or folder to download.")
        return redirect(url_with("browse", connection_id, bucket, prefix=base))
    if not archive.zip_slot_take():
        return s3_error_response(request, gateway.EndpointBusy(
            "Too many zip downloads run on this server right now; try again in a minute.", code="Busy"),
            title="The zip was not started")
    stream = archive.ZipStream(target.connection, bucket, keys, base=base)
    audit.record(request, "objects.zip", connection=target.connection, bucket=bucket, count=len(keys),
                 key=keys[0] if len(keys) == 1 else "")
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, archive.zip_name(bucket, keys, base))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

