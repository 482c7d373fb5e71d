"""The Jobs page: long operations with progress, cancel and retry."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from .. import audit, jobs
from ..access import memberships, require_membership
from ..models import ACTIVE_STATES, Job, JobKind, JobState, Role
from .common import render_page

# Kinds whose failed items can run again as a job of their own.
RETRY_FAILED_KINDS = {JobKind.DELETE_PREFIX, JobKind.COPY, JobKind.MOVE, JobKind.ABORT_UPLOADS, JobKind.METADATA}


@dataclass
class JobFacts:
    """What the job center says about a job, computed from its row."""

    rate: str
    time_left: str
    outcome: str


def _per_second(amount: float, seconds: float) -> float:
    return amount / seconds if seconds > 0.5 else 0.0


def _span(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def job_facts(job: Job, failures: int) -> JobFacts:
    from django.template.defaultfilters import filesizeformat

    seconds = job.duration.total_seconds() if job.duration else 0.0
    byte_rate = _per_second(job.bytes_done, seconds)
    item_rate = _per_second(job.items_done, seconds)
    rate = " · ".join(filter(None, [f"{filesizeformat(byte_rate)}/s" if byte_rate else "",
                                    f"{item_rate:.1f} items/s" if item_rate else ""])) or "—"
    left = "—"
    if job.state == JobState.RUNNING:
        if job.bytes_total and byte_rate:
            left = _span(max(0, job.bytes_total - job.bytes_done) / byte_rate)
        elif job.items_total and item_rate:
            left = _span(max(0, job.items_total - job.items_done) / item_rate)
    return JobFacts(rate=rate, time_left=left, outcome=_outcome(job, failures))


def _outcome(job: Job, failures: int) -> str:
    failed_items = f" {failures} item(s) failed; they are listed below." if failures else ""
    if job.state == JobState.PENDING:
        return f"Waiting for a worker. {job.message}".strip()
    if job.state == JobState.RUNNING:
        return (f"Running: {job.message}." if job.message else "Running.") + failed_items
    if job.state == JobState.SUCCEEDED:
        return f"Finished: {job.message}." if job.message else "Finished."
    if job.state == JobState.CANCELLED:
        return f"Cancelled ({job.message}) after {job.items_done} item(s)." + failed_items
    return f"Failed: {job.error or job.message}" + failed_items


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
    rows = list(Job.objects.filter(team=membership.team).select_related("connection", "user")[:200])
    active = any(job.state in ACTIVE_STATES for job in rows)
    context = {"jobs": rows, "can_edit": membership.has_role(Role.EDITOR), "active": active}
    response = render_page(request, "buckets/jobs.html", "table", context)
    if request.htmx and not active:
        return _stop_polling(response)
    return response


def _stop_polling(response: HttpResponse) -> HttpResponse:
    # The last state is rendered once more, then the poll ends.
    stop = HttpResponseStopPolling()
    stop.content = response.content
    return stop


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
    failures = job.failures.count()
    context = {"job": job, "can_edit": can_edit, "facts": job_facts(job, failures), "failure_count": failures,
               "failures": job.failures.all()[:100], "can_retry_failed": job.kind in RETRY_FAILED_KINDS,
               "kind_label": JobKind(job.kind).label if job.kind in JobKind.values else job.kind}
    if request.htmx:
        response = render(request, "buckets/job_detail.html#progress", context)
        return _stop_polling(response) if job.finished else response
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


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    # A spreadsheet would run a cell that starts like a formula; keys are user content.
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


@require_GET
def job_failures_csv(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id)
    writer = csv.writer(_Echo())
    rows = [writer.writerow(["key", "version_or_upload_id", "reason", "at"])] + [
        writer.writerow([_cell(f.key), _cell(f.version_id), _cell(f.reason), f.at.isoformat()])
        for f in job.failures.all().iterator()]
    response = HttpResponse("".join(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="job-{job.pk}-failed.csv"'
    return response


@require_POST
def job_retry_failed(request: HttpRequest, job_id: int) -> HttpResponse:
    """A new job of the same kind over only the items this one could not do."""
    job = _get_job(request, job_id, Role.EDITOR)
    failures = list(job.failures.values_list("key", "version_id"))
    if job.kind not in RETRY_FAILED_KINDS or not failures:
        messages.error(request, "This job has no failed items to retry.")
        return redirect("job_detail", job.pk)
    if not job.finished:
        messages.error(request, "The job still runs; retry its failed items once it has ended.")
        return redirect("job_detail", job.pk)
    params = dict(job.params)
    params.pop("prefix", None)
    if job.kind == JobKind.ABORT_UPLOADS:
        params = {"uploads": [[key, upload_id] for key, upload_id in failures]}
    else:
        params["keys"] = sorted({key for key, _ in failures})
        if params.get("rename_to") and any(k.endswith("/") for k in job.params.get("keys", [])):
            # A renamed folder: its failed objects keep their place below the new name.
            params["base"] = job.params["keys"][0]
            params["target_prefix"] = params.get("target_prefix", "") + params["rename_to"].rstrip("/") + "/"
            params["rename_to"] = ""
    retry = jobs.job_create(JobKind(job.kind), team=job.team, user=request.user, connection=job.connection,
                            bucket=job.bucket, key=f"{len(failures)} failed item(s) of job #{job.pk}",
                            params=params, items_total=len(failures))
    audit.record(request, "job.retry_failed", team=job.team, connection=job.connection, bucket=job.bucket,
                 job=retry.pk, of=job.pk, count=len(failures))
    try:
        jobs.job_enqueue(retry)
    except jobs.BrokerUnavailable as exc:
        messages.error(request, f"Job #{retry.pk} was saved, but not started. {exc}")
    else:
        messages.info(request, f"The {len(failures)} failed item(s) run again as job #{retry.pk}.")
    return redirect("job_detail", retry.pk)
