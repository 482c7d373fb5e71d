"""Bulk work on a bucket: copy, move and rename, delete (current objects or every version),
edit metadata, empty a bucket, incomplete multipart uploads, size, and a selection as one zip.

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

from .. import audit, gateway, jobs, names, object_edit
from ..access import BucketAccess, bucket_type_of, get_bucket, get_connection, team_connections
from ..jobs import archive, delete, metadata, size, transfer
from ..models import Job, JobKind, Role
from .common import bad_input, key_param, parent_prefix, render_page, s3_error_response, url_with


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


# --- edit metadata ----------------------------------------------------------------------------


@require_POST
def bulk_metadata(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """One change of content headers and user metadata over a selection, as a job."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    keys, base = _selection(request)
    if not keys:
        messages.error(request, "Select at least one object or folder to edit the metadata of.")
        return redirect(url_with("browse", connection_id, bucket, prefix=base))
    if problem := next(filter(None, (names.key_problem(k.rstrip("/") or "x") for k in keys)), ""):
        return bad_input(request, problem, title="Cannot edit the metadata")
    allow_api_only = target.access.team.allow_api_only
    encrypted = object_edit.bucket_encrypts(target.connection, bucket, target.bucket_type)
    context = {"connection": target.connection, "bucket": bucket, "keys": keys, "prefix": base,
               "rules": object_edit.HEADER_RULES_COMMON, "choices": object_edit.HEADER_CHOICES,
               "headers": _metadata_header_rows(request.POST), "rows": _metadata_rows(request.POST),
               "form": request.POST, "errors": [],
               "refusal": object_edit.bucket_refusal(target.connection, target.bucket_type,
                                                     allow_api_only=allow_api_only, bucket_encrypted=encrypted),
               "unencrypted_only": bool(_constraint(target, "copy_requires_unencrypted")),
               "sse_c_refusal": object_edit.sse_c_refusal(target.connection, target.bucket_type)}
    if request.POST.get("confirm") != "yes":
        return render(request, "buckets/bulk_metadata.html", context)
    if context["refusal"]:
        return _refuse(request, "buckets/bulk_metadata.html", context, context["refusal"])
    try:
        change = object_edit.metadata_change_parse(request.POST)
    except object_edit.EditRefused as exc:
        return render(request, "buckets/bulk_metadata.html", {**context, "errors": exc.errors}, status=400)
    job = metadata.metadata_job_create(team=target.access.team, user=request.user, connection=target.connection,
                                       bucket=bucket, bucket_type=target.bucket_type, keys=keys, change=change)
    return _start(request, job, "objects.metadata", target, count=len(keys), headers=sorted(change.headers),
                  remove=change.remove, metadata=sorted(change.metadata), metadata_remove=change.metadata_remove,
                  replace_metadata=change.replace_metadata)


def _metadata_header_rows(data) -> list[dict]:
    """Each content header's choice and value, as the form shows them (keep by default)."""
    form = object_edit.ContentHeadersForm()
    return [{"name": name, "label": label, "help": form.fields[name].help_text,
             "choice": data.get(f"{name}_choice", "keep"), "value": data.get(name, ""),
             "type": "datetime-local" if name == "expires" else "text"}
            for name, label, _ in (*object_edit.CONTENT_HEADERS, object_edit.EXPIRES)]


def _metadata_rows(data) -> list[tuple[str, str]]:
    rows = list(zip(data.getlist("meta_name"), data.getlist("meta_value"), strict=False))
    return [(n, v) for n, v in rows if n or v] + [("", "")] * object_edit.METADATA_ROWS_FREE


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
    if problem := names.prefix_problem(prefix):
        return bad_input(request, problem, title="This folder cannot be measured")
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



# --- one object: copy, move, rename (the details panel) -------------------------------------


def _editable_connections(source: BucketAccess) -> list:
    """Connections of the source's team the user may write to (the same membership decides)."""
    return list(team_connections(source.access.team)) if source.can(Role.EDITOR) else []


def _picker_context(request: HttpRequest, source: BucketAccess, data) -> dict:
    """Where the destination picker stands: a connection of the team, then a bucket, then a
    folder; each level lists what can be chosen below it. Errors of the endpoint are shown,
    not raised: the picker is a fragment of a form."""
    choices = _editable_connections(source)
    try:
        target_id = int(data.get("target_connection") or source.connection.pk)
    except ValueError:
        target_id = source.connection.pk
    target_conn = next((c for c in choices if c.pk == target_id), source.connection)
    target_bucket = data.get("target_bucket", source.bucket if target_conn.pk == source.connection.pk else "")
    target_prefix = data.get("target_prefix", "").lstrip("/")
    if target_prefix and not target_prefix.endswith("/"):
        target_prefix += "/"
    buckets: list[str] = []
    folders: list[tuple[str, str]] = []
    error = ""
    access = get_connection(request, target_conn.pk)
    if target_bucket and (names.target_bucket_problem(target_bucket) or not access.bucket_allowed(target_bucket)):
        error, target_bucket, target_prefix = "Choose a bucket from the list.", "", ""
    try:
        if target_bucket:
            page = gateway.list_page(target_conn, target_bucket, prefix=target_prefix, page_size=200)
            folders = [(f, f[len(target_prefix):].rstrip("/")) for f in page.folders]
        else:
            buckets = access.granted_buckets or [b.name for b in gateway.list_buckets(target_conn)]
    except gateway.S3Error as exc:
        error = str(exc)
    crumbs, walked = [], ""
    for part in target_prefix.rstrip("/").split("/") if target_prefix else []:
        walked += part + "/"
        crumbs.append((part, walked))
    route = None
    if target_bucket:
        route = transfer.copy_route(source.connection, source.bucket_type, target_conn,
                                    bucket_type_of(target_conn, target_bucket))
    return {"picker_connections": choices, "target_connection": target_conn, "target_bucket": target_bucket,
            "target_prefix": target_prefix, "picker_buckets": buckets, "picker_folders": folders,
            "picker_crumbs": crumbs, "picker_error": error, "route": route}


@require_GET
def destination_picker(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """The destination picker as an htmx fragment: connection, bucket, folders of the target."""
    source = get_bucket(request, connection_id, bucket, Role.EDITOR)
    key, problem = key_param(request.GET)
    if problem:
        return bad_input(request, problem, title="Cannot choose a destination")
    try:
        details = gateway.head_object(source.connection, bucket, key)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot choose a destination")
    context = {"connection": source.connection, "bucket": bucket, "key": key, "op": _op(request.GET),
               **_picker_context(request, source, request.GET)}
    context["plan"] = _single_plan(source, context, details)
    return render(request, "buckets/partials/destination_picker.html", context)


def _op(data) -> str:
    op = data.get("op", "copy")
    return op if op in {"copy", "move", "rename"} else "copy"


@require_http_methods(["GET", "POST"])
def object_copy(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """Copy, move or rename one object. Server-side and at once where the catalogue allows it
    on one endpoint; otherwise (another endpoint, a refused route, a large object) as a job."""
    source = get_bucket(request, connection_id, bucket, Role.EDITOR)
    data = request.POST if request.method == "POST" else request.GET
    key, problem = key_param(data)
    if problem or key.endswith("/"):
        return bad_input(request, problem or "Folders are copied from the browser's selection (Copy… / Move or "
                         "rename…), as a job.", title="Cannot copy the object")
    try:
        details = gateway.head_object(source.connection, bucket, key)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot copy the object")
    op = _op(data)
    name = key.rsplit("/", 1)[-1]
    if request.method == "GET" and op == "rename" and "target_prefix" not in data:
        data = {**data.dict(), "target_prefix": parent_prefix(key)}
    context = {"connection": source.connection, "bucket": bucket, "key": key, "details": details, "op": op,
               "new_name": data.get("new_name", name), "overwrite": data.get("overwrite") == "yes",
               "ops": (("copy", "Copy"), ("move", "Move"), ("rename", "Rename")),
               **_picker_context(request, source, data)}
    context["plan"] = _single_plan(source, context, details)
    if request.method == "GET":
        return render(request, "buckets/bulk_object_copy.html", context)
    if context["picker_error"] or not context["target_bucket"]:
        return _refuse(request, "buckets/bulk_object_copy.html", context,
                       context["picker_error"] or "Choose a destination bucket.")
    target = get_bucket(request, context["target_connection"].pk, context["target_bucket"], Role.EDITOR)
    new_name = context["new_name"].strip()
    if not new_name or "/" in new_name or new_name in {".", ".."}:
        return _refuse(request, "buckets/bulk_object_copy.html", context,
                       "A name is one path segment, without “/”.")
    new_key = context["target_prefix"] + new_name
    if problem := names.key_problem(new_key):
        return _refuse(request, "buckets/bulk_object_copy.html", context, f"“{new_key}”: {problem}")
    if (target.connection.pk, target.bucket, new_key) == (source.connection.pk, bucket, key):
        return _refuse(request, "buckets/bulk_object_copy.html", context,
                       "That is where the object already is: choose another folder, bucket or name.")
    kind = JobKind.COPY if op == "copy" else JobKind.MOVE
    plan = context["plan"]
    if plan["direct"]:
        try:
            if not context["overwrite"] and gateway.object_exists(target.connection, target.bucket, new_key):
                return _refuse(request, "buckets/bulk_object_copy.html", context,
                               f"“{new_key}” exists in {target.bucket}. Tick “Overwrite” to replace it.")
            transfer.object_copy_now(source=source.connection, source_bucket=bucket, key=key,
                                     target=target.connection, target_bucket=target.bucket, target_key=new_key,
                                     move=kind == JobKind.MOVE)
        except gateway.S3Error as exc:
            audit.record(request, f"object.{op}", connection=source.connection, bucket=bucket, key=key,
                         ok=False, message=str(exc))
            return s3_error_response(request, exc, title=f"The object was not {'copied' if op == 'copy' else 'moved'}")
        audit.record(request, f"object.{op}", connection=source.connection, bucket=bucket, key=key,
                     target_connection=target.connection.pk, target_bucket=target.bucket, target_key=new_key)
        done = {"copy": "Copied", "move": "Moved", "rename": "Renamed"}[op]
        messages.success(request, f"{done} to {target.bucket}/{new_key}.")
        return redirect(url_with("object_detail", target.connection.pk, target.bucket, key=new_key))
    job = transfer.transfer_job_create(
        kind=kind, team=source.access.team, user=request.user, connection=source.connection, bucket=bucket,
        keys=[key], base=parent_prefix(key), target=target.connection, target_bucket=target.bucket,
        target_prefix=context["target_prefix"], rename_to=new_name,
        conflict=transfer.Conflict.OVERWRITE if context["overwrite"] else transfer.Conflict.STOP,
        route=plan["route"], copy_requires_unencrypted=bool(_constraint(source, "copy_requires_unencrypted")))
    return _start(request, job, f"objects.{kind}", source, target_bucket=target.bucket, count=1,
                  server_side=plan["route"].server_side)


def _single_plan(source: BucketAccess, context: dict, details: gateway.ObjectDetails) -> dict:
    """How this one object would travel to the chosen bucket, in words for the form."""
    route = context["route"]
    if route is None:
        return {"direct": False, "route": None, "why": ""}
    refused = route.server_side and details.encryption and _constraint(source, "copy_requires_unencrypted")
    if not route.server_side or refused:
        why = (f"{source.connection.provider_info.label} copies only unencrypted objects server-side, and this one "
               "is encrypted: the console streams the bytes itself (a worker downloads and uploads them), as a job."
               if refused else route.why.replace("the worker streams", "the console streams the bytes itself: "
                                                  "a worker streams") + " It runs as a job.")
        return {"direct": False, "route": transfer.Route(False, why), "why": why}
    if details.size > transfer.DIRECT_COPY_MAX:
        why = ("Server-side copy on the endpoint, as a job: the object is larger than "
               f"{transfer.DIRECT_COPY_MAX // transfer.MiB} MiB, more than a page waits for.")
        return {"direct": False, "route": route, "why": why}
    return {"direct": True, "route": route,
            "why": "Server-side copy on the endpoint, at once (no bytes pass through the console)."}


@require_POST
def restore_version(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """Restore this version: copy it to the top of its own key (a new current version)."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    key, problem = key_param(request.POST)
    version_id = request.POST.get("version", "")
    if problem or not version_id:
        return bad_input(request, problem or "Choose a version to restore.", title="Cannot restore the version")
    back = url_with("versions", connection_id, bucket, key=key)
    try:
        details = gateway.head_object(target.connection, bucket, key, version_id=version_id)
        if details.encryption and _constraint(target, "copy_requires_unencrypted"):
            return bad_input(request, f"{target.connection.provider_info.label} copies only unencrypted objects, and "
                             "this version is encrypted: download it and upload it again instead.",
                             title="Cannot restore the version")
        if details.size > transfer.DIRECT_COPY_MAX:
            return bad_input(request, f"This version is larger than {transfer.DIRECT_COPY_MAX // transfer.MiB} MiB, "
                             "more than a page waits for; download it and upload it again instead.",
                             title="Cannot restore the version")
        transfer.version_restore(target.connection, bucket, key, version_id)
    except gateway.S3Error as exc:
        audit.record(request, "object.restore_version", connection=target.connection, bucket=bucket, key=key,
                     version=version_id, ok=False, message=str(exc))
        return s3_error_response(request, exc, title="The version was not restored")
    audit.record(request, "object.restore_version", connection=target.connection, bucket=bucket, key=key,
                 version=version_id)
    messages.success(request, f"Version {version_id} is the current version again (copied to the top).")
    return redirect(back)
