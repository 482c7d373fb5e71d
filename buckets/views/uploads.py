"""Uploads: small files in one PUT; large files as S3 multipart uploads the browser feeds
part by part (see buckets/jobs/upload.py for the protocol).

Every JSON endpoint here answers JSON for every error, so the browser's code can tell a
permanent refusal (4xx: stop) from a passing fault (5xx: retry) without parsing pages.
"""

from __future__ import annotations

import fnmatch
import functools
import mimetypes
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import audit, encryption, gateway, jobs, names
from ..access import BucketAccess, get_bucket
from ..formparse import keeps_file_names, uploaded_name
from ..jobs import upload as uploads
from ..jobs.upload import UploadRoute
from ..models import Job, JobKind, Role
from .common import url_with


def encryption_choices(target) -> encryption.Choices:
    connection = target.connection
    return encryption.upload_choices(connection.provider, target.bucket_type,
                                     overrides=connection.detected_features or None,
                                     allow_api_only=target.access.team.allow_api_only)


def json_errors(view):
    """Turn every refusal of a JSON upload endpoint into JSON with a sentence."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse({"error": "You are signed out; sign in again and choose the file again."}, status=403)
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return JsonResponse({"error": "No such upload, bucket or connection (or it is not yours)."}, status=404)
        except PermissionDenied as exc:
            return JsonResponse({"error": str(exc) or "You may not upload here."}, status=403)
        except uploads.UploadClosed as exc:
            return JsonResponse({"error": str(exc), "cancelled": exc.cancelled, "closed": True}, status=409)
        except uploads.PartRefused as exc:
            return JsonResponse({"error": str(exc)}, status=413 if exc.too_large else 400)
        except uploads.PartDamaged as exc:
            return JsonResponse({"error": str(exc)}, status=502)  # a passing fault: the browser sends it again
        except jobs.BrokerUnavailable as exc:
            return JsonResponse({"error": str(exc)}, status=503)
        except gateway.S3Error as exc:
            # 5xx and time-outs are worth another try (the browser retries them); the rest is final.
            return JsonResponse({"error": str(exc)}, status=exc.status if 400 <= exc.status < 600 else 502)

    return wrapper


@dataclass
class _Queued:
    problem: str = ""

    def __bool__(self) -> bool:
        return not self.problem


def _enqueue(job: Job) -> _Queued:
    try:
        jobs.job_enqueue(job)
    except jobs.BrokerUnavailable as exc:
        return _Queued(str(exc))
    return _Queued()


def _guess_type(name: str, declared: str) -> str:
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@keeps_file_names  # a file's name as sent, whole: it is the key's last part (buckets/formparse.py)
@require_POST
def upload(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """The form upload: small files go to S3 in one PUT, large ones are staged as jobs."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    prefix = request.POST.get("prefix", "")
    files = request.FILES.getlist("files")
    paths = request.POST.getlist("paths")
    results = []
    try:
        chosen = encryption.parse(request.POST, encryption_choices(target))
    except encryption.EncryptionRefused as exc:
        # Nothing goes to the endpoint with encryption the bucket does not offer.
        files = []
        results.append({"key": "", "ok": False, "message": str(exc)})
    for index, uploaded in enumerate(files):
        # The key as the user gave it: a leading "/" or "//" is part of an S3 key, never dropped.
        relative = paths[index] if index < len(paths) and paths[index] else uploaded_name(uploaded)
        key = prefix + relative
        problem = names.key_problem(key)
        if problem:
            results.append({"key": key, "ok": False, "message": problem})
            continue
        # From the key: the page's script names every file part "file" (see uploads.js).
        content_type = _guess_type(key, uploaded.content_type or "")
        if uploaded.size > settings.UPLOAD_DIRECT_MAX_BYTES:
            results.append(_stage(request, target, key, uploaded, content_type, chosen))
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
        status = 200 if all(r["ok"] for r in results) else max(r.get("status", 400) for r in results if not r["ok"])
        return JsonResponse({"results": [{k: v for k, v in r.items() if k in ("key", "ok", "message")} for r in results]},
                            status=status)
    for r in results:
        (messages.success if r["ok"] else messages.error)(request, f"{r['key'] or 'Upload'}: {r['message']}")
    return redirect(url_with("browse", connection_id, bucket, prefix=prefix))


def _stage(request: HttpRequest, target: BucketAccess, key: str, uploaded, content_type: str, chosen) -> dict:
    """A large file of the no-JavaScript form: staged with its space reserved, then a job."""
    job = uploads.staged_job_create(team=target.access.team, user=request.user, connection=target.connection,
                                    bucket=target.bucket, key=key, size=uploaded.size, content_type=content_type,
                                    encryption=chosen)
    try:
        uploads.staged_file_write(job, uploaded)
    except uploads.StagingFull as exc:
        jobs.job_discard(job, message="Not staged: the staging disk is full")
        return {"key": key, "ok": False, "message": exc.strerror, "status": 507}
    queued = _enqueue(job)
    audit.record(request, "object.upload", connection=target.connection, bucket=target.bucket, key=key,
                 size=uploaded.size, job=job.pk)
    return {"key": key, "ok": True,
            "message": f"Queued as job #{job.pk}" if queued else f"Saved as job #{job.pk}; {queued.problem}"}


# --- the large-file protocol -------------------------------------------------------------------


def _cors_match(pattern: str, value: str) -> bool:
    """A CORS rule's origin or header pattern (one "*" wildcard at most), case-insensitive."""
    return pattern == "*" or fnmatch.fnmatchcase(value.lower(), pattern.lower().replace("[", "[[]"))


CHECKSUM_HEADER = "x-amz-checksum-sha256"


def upload_route(target: BucketAccess, origin: str, chosen: encryption.Encryption) -> tuple[UploadRoute, bool]:
    """DIRECT when the bucket's CORS lets this console's origin PUT parts to the endpoint;
    and whether the browser may send a part's SHA-256 header on that route (on DIRECT only
    where the same rule allows the header, else the browser's preflight would fail)."""
    if not settings.UPLOAD_DIRECT_ROUTE or chosen.customer_key or not origin:
        return UploadRoute.PROXY, True  # an SSE-C key must never be handed to the browser's URLs
    endpoint = urlsplit(target.connection.endpoint_url)
    if urlsplit(origin).scheme == "https" and endpoint.scheme != "https":
        return UploadRoute.PROXY, True  # the browser blocks http requests from an https page
    try:
        config = gateway.get_config(target.connection, "get_bucket_cors", Bucket=target.bucket, what="CORS") or {}
    except gateway.S3Error:
        return UploadRoute.PROXY, True  # cannot tell: the console's own route always works
    direct = None
    for rule in config.get("CORSRules", []):
        methods = {m.upper() for m in rule.get("AllowedMethods", [])}
        if "PUT" in methods and any(_cors_match(p, origin) for p in rule.get("AllowedOrigins", [])):
            if any(_cors_match(h, CHECKSUM_HEADER) for h in rule.get("AllowedHeaders", [])):
                return UploadRoute.DIRECT, True
            direct = direct or (UploadRoute.DIRECT, False)
    return direct or (UploadRoute.PROXY, True)


def direct_upload_origin(target: BucketAccess) -> str:
    """The origin the browser PUTs parts to on the direct route, for the page's CSP."""
    url = gateway.multipart_presign_part(target.connection, target.bucket, "k", "u", 1, expires=60)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def allow_direct_uploads(response: HttpResponse, target: BucketAccess) -> HttpResponse:
    """Let the page's script reach the endpoint (the direct route) under the strict CSP."""
    if not settings.UPLOAD_DIRECT_ROUTE:
        return response
    try:
        origin = direct_upload_origin(target)
    except gateway.S3Error:
        return response
    policy = dict(settings.SECURE_CSP)
    policy["connect-src"] = [*policy.get("connect-src", []), origin]
    response._csp_config = policy  # what django.views.decorators.csp.csp_override sets
    return response


def _upload_job(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> Job:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    return get_object_or_404(Job.objects.select_related("connection"), pk=job_id, kind=JobKind.UPLOAD,
                             connection=target.connection, bucket=bucket, team=target.access.team)


def _job_urls(job: Job) -> dict:
    base = (job.connection_id, job.bucket, job.pk)
    return {"part_url": reverse("upload_part", args=base), "sign_url": reverse("upload_sign", args=base),
            "finish_url": reverse("upload_finish", args=base), "progress_url": reverse("job_detail", args=[job.pk]),
            "cancel_url": reverse("job_cancel", args=[job.pk])}


def _int(value: str | None, what: str) -> int:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise uploads.PartRefused(f"The {what} must be a whole number.")
    return int(text)


@login_not_required  # json_errors answers a signed-out browser in JSON, not with a redirect
@require_POST
@json_errors
def upload_start(request: HttpRequest, connection_id: int, bucket: str) -> JsonResponse:
    """Create the multipart upload (or find the same file's, to resume) and say how to send it."""
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    key = request.POST.get("key", "")
    if problem := names.key_problem(key):
        return JsonResponse({"error": problem}, status=400)
    size = _int(request.POST.get("size"), "file size")
    if size <= 0:
        return JsonResponse({"error": "The file is empty; empty files go through the form upload."}, status=400)
    try:
        chosen = encryption.parse(request.POST, encryption_choices(target))
    except encryption.EncryptionRefused as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    fingerprint = request.POST.get("fingerprint", "")[:500]
    # The browser offers a SHA-256 per part when it can compute one (crypto.subtle); any other
    # value is an offer this console does not know, and is treated as none.
    offered = request.POST.get("checksum", "").upper() == gateway.PART_CHECKSUM
    job = None
    if (resume := request.POST.get("resume", "")).isascii() and resume.isdigit() and len(resume) < 18:
        job = uploads.upload_resumable(job_id=int(resume), user=request.user, connection=target.connection,
                                       bucket=bucket, key=key, size=size, fingerprint=fingerprint, encryption=chosen,
                                       checksum=offered)
    stored: dict[int, int] = {}
    if job is not None:
        try:
            stored = uploads.upload_stored_parts(job)
        except gateway.NotFound:
            jobs.job_discard(job, message="Its multipart upload was gone; started again")
            job = None
    if job is None:
        route, header_allowed = upload_route(target, request.headers.get("Origin", ""), chosen)
        checksum = offered and header_allowed and uploads.part_checksums_offered(target.connection,
                                                                                 target.bucket_type)
        job = uploads.upload_begin(team=target.access.team, user=request.user, connection=target.connection,
                                   bucket=bucket, key=key, size=size, encryption=chosen, route=route,
                                   content_type=_guess_type(key, request.POST.get("content_type", "")),
                                   fingerprint=fingerprint, checksum=checksum)
    route = UploadRoute(job.params["route"])
    return JsonResponse({
        "job": job.pk, "route": route.value, "route_label": route.label, "resumed": bool(stored),
        # "SHA256": every part goes with its SHA-256 (a header, to the console or the endpoint).
        "checksum": job.params.get("checksum", ""),
        "part_size": job.params["part_size"], "part_count": job.params["part_count"],
        "parts": {str(n): s for n, s in sorted(stored.items())}, "concurrency": settings.UPLOAD_CONCURRENCY,
        **_job_urls(job),
    })


@login_not_required
@require_POST
@json_errors
def upload_part(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> JsonResponse:
    """One part's bytes (the request body, at most one part) forwarded as one UploadPart."""
    job = _upload_job(request, connection_id, bucket, job_id)
    number = _int(request.GET.get("n"), "part number")
    length = _int(request.headers.get("Content-Length"), "Content-Length")
    # request.read, not request.body: the bytes go on to the endpoint while they arrive.
    sha256 = request.headers.get("X-Checksum-SHA256", "").strip()
    with _browser_silence_bounded(request, settings.UPLOAD_PART_TIMEOUT):
        etag = uploads.upload_part_receive(job, number, length, request.read, sha256=sha256)
    return JsonResponse({"part": number, "etag": etag.strip('"')})


@contextmanager
def _browser_silence_bounded(request: HttpRequest, seconds: float):
    """gunicorn reads a body from a blocking socket without a timeout, and a streamed part holds
    an endpoint slot while it arrives: a browser that stops sending mid-part must not hold both
    for ever. Its silence ends the part after `seconds` (the endpoint then stores nothing)."""
    sock = request.META.get("gunicorn.socket")
    if sock is None or not hasattr(sock, "settimeout"):
        yield  # another server (the test client, runserver) keeps its own limits
        return
    before = sock.gettimeout()
    sock.settimeout(seconds)
    try:
        yield
    finally:
        sock.settimeout(before)


@login_not_required
@require_POST
@json_errors
def upload_sign(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> JsonResponse:
    """Presigned part URLs for the direct route, a batch at a time."""
    job = _upload_job(request, connection_id, bucket, job_id)
    numbers = [_int(n, "part number") for n in request.POST.getlist("n")]
    received = _int(request.POST.get("received") or "0", "byte count")
    urls = uploads.upload_parts_sign(job, numbers, received=received,
                                     sha256=[c.strip() for c in request.POST.getlist("sha256")])
    return JsonResponse({"urls": {str(n): url for n, url in urls.items()}})


@login_not_required
@require_POST
@json_errors
def upload_finish(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> JsonResponse:
    """Refuse while parts are missing (naming them); else a worker completes the upload."""
    job = _upload_job(request, connection_id, bucket, job_id)
    urls = {"job": job.pk, "progress_url": reverse("job_detail", args=[job.pk])}
    first = job.queued_at is None
    try:
        uploads.upload_finish_request(job)
    except uploads.PartsMissing as exc:
        return JsonResponse({"error": str(exc), "missing": exc.missing, **urls}, status=409)
    except jobs.BrokerUnavailable as exc:
        _audit_finish(request, job)
        return JsonResponse({"error": str(exc), "queued": True, **urls}, status=503)
    if first:
        _audit_finish(request, job)
    return JsonResponse(urls)


def _audit_finish(request: HttpRequest, job: Job) -> None:
    audit.record(request, "object.upload", connection=job.connection, bucket=job.bucket, key=job.key,
                 size=job.bytes_total, job=job.pk)


@require_POST
def discard_upload(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> HttpResponse:
    job = _upload_job(request, connection_id, bucket, job_id)
    try:
        jobs.job_discard(job)
    except jobs.JobRefused as exc:
        messages.error(request, str(exc))
    return redirect("job_detail", job.pk)
