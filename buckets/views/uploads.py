"""Uploads: small files in one PUT, large files in chunks that become an upload job."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from .. import audit, encryption, gateway, jobs, names
from ..access import get_bucket
from ..jobs import upload as staged
from ..models import Job, JobKind, Role
from .common import url_with


def encryption_choices(target) -> encryption.Choices:
    connection = target.connection
    return encryption.upload_choices(connection.provider, target.bucket_type,
                                     overrides=connection.detected_features or None,
                                     allow_api_only=target.access.team.allow_api_only)


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


@require_POST
def upload(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    """The form upload: small files go to S3 in one PUT, large ones become upload jobs."""
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
        relative = paths[index] if index < len(paths) and paths[index] else uploaded.name
        key = prefix + relative.lstrip("/")
        problem = names.key_problem(key)
        if problem:
            results.append({"key": key, "ok": False, "message": problem})
            continue
        content_type = _guess_type(uploaded.name, uploaded.content_type or "")
        if uploaded.size > settings.UPLOAD_DIRECT_MAX_BYTES:
            job = staged.upload_job_create(
                team=target.access.team, user=request.user, connection=target.connection,
                bucket=bucket, key=key, size=uploaded.size, content_type=content_type, encryption=chosen,
            )
            staged.upload_job_stage_file(job, uploaded)
            queued = _enqueue(job)
            audit.record(request, "object.upload", connection=target.connection, bucket=bucket, key=key, size=uploaded.size, job=job.pk)
            results.append({"key": key, "ok": True, "job": job,
                            "message": f"Queued as job #{job.pk}" if queued else f"Saved as job #{job.pk}; {queued.problem}"})
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
    problem = names.key_problem(key)
    try:
        size = int(request.POST.get("size", ""))
    except ValueError:
        size = -1
    if problem or size <= 0:
        return JsonResponse({"error": problem or "The file size is missing."}, status=400)
    try:
        chosen = encryption.parse(request.POST, encryption_choices(target))
    except encryption.EncryptionRefused as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if size > staged.disk_free_bytes() - 512 * 1024 * 1024:
        return JsonResponse({"error": "The console's staging disk has no room for this file now."}, status=507)
    job = staged.upload_job_create(
        team=target.access.team, user=request.user, connection=target.connection, bucket=bucket,
        key=key, size=size, content_type=_guess_type(key, request.POST.get("content_type", "")),
        encryption=chosen,
    )
    return JsonResponse({"job": job.pk, "chunk": settings.UPLOAD_CHUNK_BYTES})


def _upload_job(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> Job:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    return get_object_or_404(Job, pk=job_id, kind=JobKind.UPLOAD, connection=target.connection, bucket=bucket,
                             team=target.access.team)


@require_POST
def upload_chunk(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> JsonResponse:
    job = _upload_job(request, connection_id, bucket, job_id)
    try:
        offset = int(request.GET.get("offset", ""))
        received = staged.upload_job_write_chunk(job, offset, request.body)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"received": received})


@require_POST
def upload_finish(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> JsonResponse:
    job = _upload_job(request, connection_id, bucket, job_id)
    received = int(job.params.get("received", 0))
    if received != job.bytes_total:
        return JsonResponse({"error": f"Only {received} of {job.bytes_total} bytes arrived."}, status=400)
    audit.record(request, "object.upload", connection=job.connection, bucket=bucket, key=job.key, size=job.bytes_total, job=job.pk)
    try:
        jobs.job_enqueue(job)
    except jobs.BrokerUnavailable as exc:
        return JsonResponse({"error": str(exc), "job": job.pk, "progress_url": url_with("job_detail", job.pk)}, status=503)
    return JsonResponse({"job": job.pk, "progress_url": url_with("job_detail", job.pk)})




@require_POST
def discard_upload(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> HttpResponse:
    job = _upload_job(request, connection_id, bucket, job_id)
    try:
        jobs.job_discard(job)
    except jobs.JobRefused as exc:
        messages.error(request, str(exc))
    return redirect("job_detail", job.pk)


