"""The object browser: folders, paging, upload, download, details and delete.

Keys are bytes the user owns: they travel as query parameters (never in the URL path),
are escaped by the templates, and reach S3 exactly as typed.
"""

from __future__ import annotations

import mimetypes
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import audit, catalogue, encryption, gateway, services
from ..access import get_bucket
from ..forms import FolderForm
from ..models import Job, JobState, Role
from .common import breadcrumbs, parent_prefix, s3_error_response, url_with

# Served inline (for previews) only these, and only sandboxed; everything else downloads.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp"}
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-yaml", "application/yaml")
PREVIEW_BYTES = 16 * 1024


@require_GET
def browse(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    prefix = request.GET.get("prefix", "")
    search = request.GET.get("q", "")
    token = request.GET.get("token", "")
    try:
        page = gateway.list_page(
            target.connection,
            bucket,
            prefix=prefix + search,
            token=token,
            page_size=settings.BROWSER_PAGE_SIZE,
        )
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title=f"Cannot list “{bucket}”")
    for obj in page.objects:
        obj.label = obj.key[len(prefix):] or obj.key
    context = {
        "target": target,
        "connection": target.connection,
        "bucket": bucket,
        "prefix": prefix,
        "token": token,
        "folder_rows": [{"key": f, "label": f[len(prefix):] or f} for f in page.folders],
        # Reversed once here rather than for every row of the listing.
        "detail_base": reverse("object_detail", args=[connection_id, bucket]),
        "browse_base": reverse("browse", args=[connection_id, bucket]),
        "search": search,
        "page": page,
        "crumbs": breadcrumbs(prefix),
        "parent": parent_prefix(prefix) if prefix else None,
        "can_edit": target.can(Role.EDITOR),
        "more_url": url_with("browse", connection_id, bucket, prefix=prefix, q=search, token=page.next_token),
        "direct_max": settings.UPLOAD_DIRECT_MAX_BYTES,
        "encryption": _encryption_choices(target) if target.can(Role.EDITOR) else None,
        "encryption_snippets": _encryption_snippets(target),
        "chunk_bytes": settings.UPLOAD_CHUNK_BYTES,
        "folder_form": FolderForm(),
    }
    if request.htmx and token:
        return render(request, "buckets/browse.html#rows", context)
    if request.htmx and request.htmx.target == "listing":
        return render(request, "buckets/browse.html#listing", context)
    return render(request, "buckets/browse.html", context)


@require_GET
def object_detail(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    key = request.GET.get("key", "")
    version_id = request.GET.get("version", "")
    try:
        details = gateway.head_object(target.connection, bucket, key, version_id=version_id)
    except gateway.Invalid as exc:
        if exc.code != "400":
            return s3_error_response(request, exc, title="Cannot read the object")
        # A bare 400 to HEAD is how S3 says the object needs its customer key (SSE-C).
        context = {"connection": target.connection, "bucket": bucket, "key": key, "folder": parent_prefix(key),
                   "version": version_id, "sse_c_required": True, "can_edit": target.can(Role.EDITOR)}
        template = "buckets/object_detail.html#sse_c" if request.htmx else "buckets/object_detail.html"
        return render(request, template, context)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot read the object")
    preview_text = None
    preview_image = details.content_type in INLINE_TYPES and details.size > 0
    if details.content_type.startswith(TEXT_TYPES) and 0 < details.size:
        try:
            raw = gateway.read_head(target.connection, bucket, key, PREVIEW_BYTES)
            preview_text = raw.decode("utf-8", errors="replace")
        except gateway.S3Error:
            preview_text = None
    context = {
        "target": target,
        "connection": target.connection,
        "bucket": bucket,
        "details": details,
        "key": key,
        "folder": parent_prefix(key),
        "preview_text": preview_text,
        "preview_truncated": details.size > PREVIEW_BYTES,
        "preview_image": preview_image,
        "can_edit": target.can(Role.EDITOR),
        "download_url": url_with("download", connection_id, bucket, key=key, version=version_id),
        "preview_url": url_with("preview", connection_id, bucket, key=key, version=version_id),
        "versions_url": url_with("versions", connection_id, bucket, key=key),
        "share_expiries": SHARE_EXPIRIES,
    }
    if request.htmx:
        return render(request, "buckets/object_detail.html#panel", context)
    return render(request, "buckets/object_detail.html", context)


def download_name(key: str) -> str:
    """A file name for Content-Disposition: the last segment, without control characters."""
    name = key.rstrip("/").rsplit("/", 1)[-1] or "download"
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return name.strip() or "download"


def _stream(request: HttpRequest, connection_id: int, bucket: str, *, inline_types: set[str]) -> HttpResponse:
    """Stream an object's bytes: inline only for `inline_types`, sandboxed, never sniffed.

    An SSE-C object's key arrives in a POST body, never in the URL, and is not kept.
    """
    target = get_bucket(request, connection_id, bucket)
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("key", "")
    extra: dict = {}
    if request.method == "POST":
        try:
            extra = encryption.Encryption("SSE-C", customer_key=encryption.parse_customer_key(
                data.get("sse_customer_key", ""))).key_params()
        except encryption.EncryptionRefused as exc:
            return s3_error_response(request, gateway.Invalid(str(exc)), title="Cannot decrypt the object")
    try:
        obj = gateway.open_object(target.connection, bucket, key, version_id=data.get("version", ""), extra=extra)
    except gateway.Invalid as exc:
        if extra:
            exc = gateway.Invalid(f"The endpoint refused the key: it is not the one this object was encrypted with ({exc}).")
        return s3_error_response(request, exc, title="Cannot read the object")
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot read the object")
    inline = obj.content_type in inline_types
    response = StreamingHttpResponse(obj.body, content_type=obj.content_type if inline else "application/octet-stream")
    response["Content-Length"] = str(obj.size)
    response["Content-Disposition"] = content_disposition_header(not inline, download_name(key))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def download(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    return _stream(request, connection_id, bucket, inline_types=set())


@require_GET
def preview(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """Raster images inline for the details panel; anything else as an attachment."""
    return _stream(request, connection_id, bucket, inline_types=INLINE_TYPES)


@require_POST
def create_folder(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    prefix = request.POST.get("prefix", "")
    form = FolderForm(request.POST)
    back = url_with("browse", connection_id, bucket, prefix=prefix)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["name"]))
        return redirect(back)
    key = f"{prefix}{form.cleaned_data['name']}/"
    problem = services.key_problem(key)
    if problem:
        messages.error(request, problem)
        return redirect(back)
    try:
        gateway.put_object(target.connection, bucket, key, b"", content_type="application/x-directory")
    except gateway.S3Error as exc:
        audit.record(request, "folder.create", connection=target.connection, bucket=bucket, key=key, ok=False, message=str(exc))
        return s3_error_response(request, exc, title="The folder was not created")
    audit.record(request, "folder.create", connection=target.connection, bucket=bucket, key=key)
    messages.success(request, f"Folder “{form.cleaned_data['name']}” created.")
    return redirect(url_with("browse", connection_id, bucket, prefix=key))


def _guess_type(name: str, declared: str) -> str:
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@require_POST
def upload(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """The form upload: small files go to S3 in one PUT, large ones become upload jobs."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    prefix = request.POST.get("prefix", "")
    files = request.FILES.getlist("files")
    paths = request.POST.getlist("paths")
    results = []
    try:
        chosen = encryption.parse(request.POST, _encryption_choices(target))
    except encryption.EncryptionRefused as exc:
        # Nothing goes to the endpoint with encryption the bucket does not offer.
        files = []
        results.append({"key": "", "ok": False, "message": str(exc)})
    for index, uploaded in enumerate(files):
        relative = paths[index] if index < len(paths) and paths[index] else uploaded.name
        key = prefix + relative.lstrip("/")
        problem = services.key_problem(key)
        if problem:
            results.append({"key": key, "ok": False, "message": problem})
            continue
        content_type = _guess_type(uploaded.name, uploaded.content_type or "")
        if uploaded.size > settings.UPLOAD_DIRECT_MAX_BYTES:
            job = services.upload_job_create(
                team=target.access.team, user=request.user, connection=target.connection,
                bucket=bucket, key=key, size=uploaded.size, content_type=content_type, encryption=chosen,
            )
            services.upload_job_stage_file(job, uploaded)
            services.job_enqueue(job)
            audit.record(request, "object.upload", connection=target.connection, bucket=bucket, key=key, size=uploaded.size, job=job.pk)
            results.append({"key": key, "ok": True, "message": f"Queued as job #{job.pk}", "job": job})
            continue
        try:
            gateway.put_object(target.connection, bucket, key, uploaded, content_type=content_type,
                               extra=chosen.put_params())
        except gateway.S3Error as exc:
            audit.record(request, "object.upload", connection=target.connection, bucket=bucket, key=key, ok=False, message=str(exc))
            results.append({"key": key, "ok": False, "message": str(exc)})
        else:
            audit.record(request, "object.upload", connection=target.connection, bucket=bucket, key=key, size=uploaded.size)
            results.append({"key": key, "ok": True, "message": "Uploaded"})
    if not files and not results:
        results.append({"key": "", "ok": False, "message": "Choose at least one file."})
    if request.htmx or request.headers.get("Accept") == "application/json":
        return JsonResponse({"results": [{k: v for k, v in r.items() if k != "job"} for r in results]},
                            status=200 if all(r["ok"] for r in results) else 400)
    for r in results:
        (messages.success if r["ok"] else messages.error)(request, f"{r['key'] or 'Upload'}: {r['message']}")
    return redirect(url_with("browse", connection_id, bucket, prefix=prefix))


@require_POST
def upload_start(request: HttpRequest, connection_id: int, bucket: str) -> JsonResponse:
    """Announce a large file; its bytes follow in chunks to `upload_chunk`."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    key = request.POST.get("key", "")
    problem = services.key_problem(key)
    try:
        size = int(request.POST.get("size", ""))
    except ValueError:
        size = -1
    if problem or size <= 0:
        return JsonResponse({"error": problem or "The file size is missing."}, status=400)
    try:
        chosen = encryption.parse(request.POST, _encryption_choices(target))
    except encryption.EncryptionRefused as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if size > services.disk_free_bytes() - 512 * 1024 * 1024:
        return JsonResponse({"error": "The console's staging disk has no room for this file now."}, status=507)
    job = services.upload_job_create(
        team=target.access.team, user=request.user, connection=target.connection, bucket=bucket,
        key=key, size=size, content_type=_guess_type(key, request.POST.get("content_type", "")),
        encryption=chosen,
    )
    return JsonResponse({"job": job.pk, "chunk": settings.UPLOAD_CHUNK_BYTES})


def _upload_job(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> Job:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    return get_object_or_404(Job, pk=job_id, kind="upload", connection=target.connection, bucket=bucket, team=target.access.team)


@require_POST
def upload_chunk(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> JsonResponse:
    job = _upload_job(request, connection_id, bucket, job_id)
    try:
        offset = int(request.GET.get("offset", ""))
        received = services.upload_job_write_chunk(job, offset, request.body)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"received": received})


@require_POST
def upload_finish(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> JsonResponse:
    job = _upload_job(request, connection_id, bucket, job_id)
    received = int(job.params.get("received", 0))
    if received != job.bytes_total:
        return JsonResponse({"error": f"Only {received} of {job.bytes_total} bytes arrived."}, status=400)
    job.message = "Queued"
    job.save(update_fields=["message"])
    services.job_enqueue(job)
    audit.record(request, "object.upload", connection=job.connection, bucket=bucket, key=job.key, size=job.bytes_total, job=job.pk)
    return JsonResponse({"job": job.pk, "progress_url": url_with("job_detail", job.pk)})


@require_http_methods(["POST"])
def delete_objects(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """Confirm, then delete the selected objects; selected folders become a bulk job."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    prefix = request.POST.get("prefix", "")
    keys = [k for k in request.POST.getlist("keys") if k]
    folders = [k for k in keys if k.endswith("/")]
    objects = [k for k in keys if not k.endswith("/")]
    back = url_with("browse", connection_id, bucket, prefix=prefix)
    if not keys:
        messages.error(request, "Select at least one object to delete.")
        return redirect(back)
    if request.POST.get("confirm") != "yes":
        context = {"connection": target.connection, "bucket": bucket, "prefix": prefix, "objects": objects, "folders": folders, "count": len(keys)}
        template = "buckets/delete_confirm.html#dialog" if request.htmx else "buckets/delete_confirm.html"
        return render(request, template, context)
    if objects:
        try:
            deleted, errors = gateway.delete_objects(target.connection, bucket, objects)
        except gateway.S3Error as exc:
            audit.record(request, "object.delete", connection=target.connection, bucket=bucket, ok=False, message=str(exc), keys=objects[:100])
            return s3_error_response(request, exc, title="Nothing was deleted")
        audit.record(request, "object.delete", connection=target.connection, bucket=bucket, ok=not errors,
                     key=objects[0] if len(objects) == 1 else "", keys=objects[:100], count=len(deleted), errors=len(errors))
        if deleted:
            messages.success(request, f"Deleted {len(deleted)} object(s).")
        for key, message in list(errors.items())[:10]:
            messages.error(request, f"{key}: {message}")
    for folder in folders:
        job = Job.objects.create(
            kind="delete_prefix", team=target.access.team, user=request.user, connection=target.connection,
            bucket=bucket, key=folder, params={"prefix": folder}, message="Queued",
        )
        services.job_enqueue(job)
        audit.record(request, "folder.delete", connection=target.connection, bucket=bucket, key=folder, job=job.pk)
        messages.info(request, f"Deleting folder “{folder}” and everything in it as job #{job.pk}.")
    if request.htmx:
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(back)
    return redirect(back)


@require_POST
def discard_upload(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> HttpResponse:
    job = _upload_job(request, connection_id, bucket, job_id)
    if job.state in {JobState.PENDING, JobState.FAILED}:
        services.upload_job_discard(job)
        job.state = JobState.CANCELLED
        job.message = "Discarded"
        job.save(update_fields=["state", "message"])
    return redirect("job_detail", job.pk)


SHARE_EXPIRIES = {"3600": "1 hour", "86400": "1 day", "604800": "7 days (the SigV4 maximum)"}


@require_POST
def share_link(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """A presigned GET link; viewers may share what they may download."""
    target = get_bucket(request, connection_id, bucket)
    key = request.POST.get("key", "")
    expires = request.POST.get("expires", "3600")
    context = {"connection": target.connection, "bucket": bucket, "key": key, "expiries": SHARE_EXPIRIES}
    availability = target.availability("presigned_url")
    if not availability.usable(target.access.team.allow_api_only):
        context["error"] = f"Share links are not available here. {availability.note}"
    elif expires not in SHARE_EXPIRIES:
        context["error"] = "Choose one of the offered expiry times."
    else:
        try:
            context["url"] = gateway.presigned_get(
                target.connection, bucket, key, expires=int(expires),
                disposition=content_disposition_header(True, download_name(key)),
            )
            context["expires_label"] = SHARE_EXPIRIES[expires]
            audit.record(request, "object.share", connection=target.connection, bucket=bucket, key=key, expires=int(expires))
        except gateway.S3Error as exc:
            context["error"] = str(exc)
    template = "buckets/share.html#result" if request.htmx else "buckets/share.html"
    return render(request, template, context)


@require_GET
def versions(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    key = request.GET.get("key", "")
    availability = target.availability("versioning")
    allowed = availability.usable(target.access.team.allow_api_only)
    context = {
        "target": target, "connection": target.connection, "bucket": bucket, "key": key,
        "folder": parent_prefix(key), "availability": availability, "allowed": allowed,
        "can_edit": target.can(Role.EDITOR), "versions": [], "error": None,
    }
    if allowed:
        try:
            context["versions"] = gateway.list_versions(target.connection, bucket, key)
        except gateway.S3Error as exc:
            context["error"] = exc
    template = "buckets/versions.html#list" if request.htmx else "buckets/versions.html"
    return render(request, template, context)


@require_POST
def delete_version(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    key = request.POST.get("key", "")
    version_id = request.POST.get("version", "")
    back = url_with("versions", connection_id, bucket, key=key)
    if not version_id:
        messages.error(request, "Choose a version to delete.")
        return redirect(back)
    try:
        gateway.delete_object(target.connection, bucket, key, version_id=version_id)
    except gateway.S3Error as exc:
        audit.record(request, "object.version.delete", connection=target.connection, bucket=bucket, key=key,
                     ok=False, message=str(exc), version=version_id)
        return s3_error_response(request, exc, title="The version was not deleted")
    audit.record(request, "object.version.delete", connection=target.connection, bucket=bucket, key=key, version=version_id)
    messages.success(request, f"Version {version_id} deleted permanently.")
    return redirect(back)


def _encryption_choices(target) -> encryption.Choices:
    connection = target.connection
    return encryption.upload_choices(connection.provider, target.bucket_type,
                                     overrides=connection.detected_features or None,
                                     allow_api_only=target.access.team.allow_api_only)


def _encryption_snippets(target) -> dict[str, str]:
    connection = target.connection
    return catalogue.api_snippets("object_encryption", endpoint=connection.endpoint_url, bucket=target.bucket,
                                  region=connection.region, key="path/to/object")
