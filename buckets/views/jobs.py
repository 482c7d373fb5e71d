"""The Jobs page: long operations with progress, cancel and retry."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from .. import audit, services
from ..access import memberships, require_membership
from ..models import Job, JobState, Role


def _get_job(request: HttpRequest, job_id: int, role: str = Role.VIEWER) -> Job:
    """A job of one of the user's teams, or 404."""
    teams = {m.team_id: m for m in memberships(request.user)}
    job = Job.objects.select_related("connection", "team").filter(pk=job_id, team_id__in=teams).first()
    if job is None:
        raise Http404("No such job.")
    if not teams[job.team_id].has_role(role):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("This needs the editor role.")
    return job


@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    jobs = Job.objects.filter(team=membership.team).select_related("connection", "user")[:200]
    context = {"jobs": jobs, "can_edit": membership.has_role(Role.EDITOR)}
    if request.htmx:
        return render(request, "buckets/jobs.html#table", context)
    return render(request, "buckets/jobs.html", context)


@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id)
    if request.headers.get("X-Job-Status"):
        return JsonResponse({
            "state": job.state, "state_label": job.get_state_display(), "message": job.message,
            "percent": job.percent, "finished": job.finished, "error": job.error,
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
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        if job.state == JobState.PENDING and not job.celery_task_id:
            # No worker will ever see it (an upload still receiving chunks): clean up here.
            services.job_cleanup(job)
            Job.objects.filter(pk=job.pk).update(state=JobState.CANCELLED, finished_at=timezone.now(), message="Cancelled")
        audit.record(request, "job.cancel", team=job.team, connection=job.connection, bucket=job.bucket, key=job.key, job=job.pk)
        messages.info(request, f"Cancelling job #{job.pk}.")
    return redirect("job_detail", job.pk)


@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id, Role.EDITOR)
    if job.state != JobState.FAILED:
        messages.error(request, "Only a failed job can be retried.")
        return redirect("job_detail", job.pk)
    Job.objects.filter(pk=job.pk).update(
        state=JobState.PENDING, error="", finished_at=None, cancel_requested=False, message="Queued again"
    )
    job.refresh_from_db()
    services.job_enqueue(job)
    audit.record(request, "job.retry", team=job.team, connection=job.connection, bucket=job.bucket, key=job.key, job=job.pk)
    return redirect("job_detail", job.pk)
