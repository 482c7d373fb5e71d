"""The Jobs page: long operations with progress, cancel and retry."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from .. import audit, jobs
from ..access import memberships, require_membership
from ..models import Job, Role
from .common import render_page


def _get_job(request: HttpRequest, job_id: int, role: str = Role.VIEWER) -> Job:
    """A job of one of the user's teams, or 404."""
    teams = {m.team_id: m for m in memberships(request.user)}
    job = Job.objects.select_related("connection", "team", "user").filter(pk=job_id, team_id__in=teams).first()
    if job is None:
        raise Http404("No such job.")
    if not teams[job.team_id].has_role(role):
        raise PermissionDenied("This needs the editor role.")
    return job


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    rows = Job.objects.filter(team=membership.team).select_related("connection", "user")[:200]
    context = {"jobs": rows, "can_edit": membership.has_role(Role.EDITOR)}
    return render_page(request, "buckets/jobs.html", "table", context)


@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id)
    if request.headers.get("X-Job-Status"):
        return JsonResponse({
            "state": job.state, "state_label": job.get_state_display(), "message": job.message,
            "percent": job.percent, "finished": job.finished, "error": job.error,
            "bytes_done": job.bytes_done, "bytes_total": job.bytes_total,
        })
    can_edit = any(m.team_id == job.team_id and m.has_role(Role.EDITOR) for m in memberships(request.user))
    context = {"job": job, "can_edit": can_edit}
    if request.htmx:
        response = render(request, "buckets/job_detail.html#progress", context)
        if job.finished:
            # The final state is rendered once more, then the poll ends.
            stop = HttpResponseStopPolling()
            stop.content = response.content
            return stop
        return response
    return render(request, "buckets/job_detail.html", context)


@require_POST
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id, Role.EDITOR)
    if not job.finished:
        jobs.job_cancel(job)
        audit.record(request, "job.cancel", team=job.team, connection=job.connection, bucket=job.bucket, key=job.key, job=job.pk)
        messages.info(request, f"Job #{job.pk} cancelled." if job.finished else f"Cancelling job #{job.pk}.")
    return redirect("job_detail", job.pk)


@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id, Role.EDITOR)
    try:
        jobs.job_retry(job)
    except jobs.JobRefused as exc:
        messages.error(request, str(exc))
        return redirect("job_detail", job.pk)
    except jobs.BrokerUnavailable as exc:
        messages.error(request, str(exc))
    audit.record(request, "job.retry", team=job.team, connection=job.connection, bucket=job.bucket, key=job.key, job=job.pk)
    return redirect("job_detail", job.pk)


@require_POST
def job_discard(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id, Role.EDITOR)
    try:
        jobs.job_discard(job)
    except jobs.JobRefused as exc:
        messages.error(request, str(exc))
        return redirect("job_detail", job.pk)
    audit.record(request, "job.discard", team=job.team, connection=job.connection, bucket=job.bucket, key=job.key, job=job.pk)
    messages.info(request, f"Job #{job.pk} discarded.")
    return redirect("job_detail", job.pk)
