"""The Management tab's two long jobs: the lifecycle preview and the replication setup.

Each has a start (a POST that creates the job) and a page of its own that polls the job and
shows its outcome; the Jobs page links to the same job.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from .. import bucket_settings, catalogue, jobs, lifecycle
from ..access import BucketAccess, get_bucket, team_connections
from ..jobs import lifecycle_preview as preview_jobs
from ..jobs import replication
from ..models import Connection, Job, JobKind, KnownBucket, Role
from .common import audited

PREVIEW = "buckets/management/lifecycle_preview.html"
SETUP = "buckets/management/replication_setup.html"
RESULT = "buckets/management/replication_result.html"


def _job(target: BucketAccess, job_id: int, kind: JobKind) -> Job:
    """A job of this kind on this very bucket, started by the user's team, or 404."""
    job = Job.objects.filter(pk=job_id, kind=kind, team=target.access.team, connection=target.connection,
                             bucket=target.bucket).select_related("connection", "user").first()
    if job is None:
        raise Http404("No such job.")
    return job


def _shape(target: BucketAccess) -> bucket_settings.Shape:
    known = dict(KnownBucket.objects.filter(connection=target.connection).values_list("name", "bucket_type"))
    return bucket_settings.shape_for(target.connection, target.bucket_type, target.bucket,
                                     allow_api_only=target.access.team.allow_api_only, known_bucket_types=known)


def _start(request: HttpRequest, job: Job, page: str) -> HttpResponse:
    try:
        jobs.job_enqueue(job)
    except jobs.BrokerUnavailable:
        pass  # the page says the job waits for the queue; jobs_recover sends it later
    url = reverse(page, args=[job.connection_id, job.bucket, job.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _poll(request: HttpRequest, template: str, part: str, context: dict[str, Any]) -> HttpResponse:
    if not request.htmx:
        return render(request, template, context)
    response = render(request, f"{template}#{part}", context)
    if context["job"].finished:
        stop = HttpResponseStopPolling()
        stop.content = response.content
        return stop
    return response


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    context = {"title": "Cannot preview", "error": message}
    if request.htmx:
        # htmx does not swap a 400 body; the message goes to the flash area instead.
        response = render(request, "buckets/error.html#message", context)
        response["HX-Retarget"] = "#flash"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "buckets/error.html", context, status=400)


# --- lifecycle preview ----------------------------------------------------------------------


def editor_rules(value: dict[str, Any]) -> list[dict[str, Any]]:
    """The S3 documents the lifecycle editor would PUT for its parsed value: the very builder
    `lifecycle_write` uses, so the preview sees the same Filter (prefix, tags, object sizes,
    And) that saving would send."""
    return bucket_settings.lifecycle_s3_rules(value)


@require_POST
def lifecycle_preview_start(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    if not target.availability("lifecycle").usable(target.access.team.allow_api_only):
        return _refuse(request, f"{target.connection.provider_info.label} does not offer lifecycle rules here.")
    source = "saved" if request.POST.get("source") == "saved" else "draft"
    documents: list[dict[str, Any]] = []
    if source == "draft":
        try:
            documents = editor_rules(bucket_settings.lifecycle_parse(request.POST, _shape(target)))
            lifecycle.rules_from_s3(documents)
        except bucket_settings.Rejected as exc:
            return _refuse(request, "The rules cannot be previewed: " + " ".join(exc.messages))
        except lifecycle.RuleError as exc:
            return _refuse(request, f"The rules cannot be previewed: {exc}")
    with audited(request, "lifecycle.preview", connection=target.connection, bucket=bucket, source=source):
        job = preview_jobs.lifecycle_preview_job_create(team=target.access.team, user=request.user,
                                                             connection=target.connection, bucket=bucket,
                                                             source=source, rules=documents)
    return _start(request, job, "lifecycle_preview")


HORIZON_LABELS = {"now": "Due now", "7": "7 days", "30": "30 days", "90": "90 days", "365": "365 days"}
CHART_HEIGHT = 60


def preview_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per rule and action: the tallies, and bars (heights in SVG units) for the timeline."""
    rows = []
    peak = max([t["count"]["365"] for actions in result.get("effects", {}).values() for t in actions.values()] or [1])
    summaries = {r["id"]: r["summary"] for r in result.get("rules", [])}
    for rule_id, actions in result.get("effects", {}).items():
        for action, tally in actions.items():
            bars = []
            for n, (name, _days) in enumerate(lifecycle.HORIZONS):
                height = round(CHART_HEIGHT * tally["count"][name] / peak) if peak else 0
                bars.append({"label": HORIZON_LABELS[name], "count": tally["count"][name], "bytes": tally["bytes"][name],
                             "x": 4 + n * 28, "y": CHART_HEIGHT - height, "height": height})
            rows.append({"rule": rule_id, "summary": summaries.get(rule_id, ""), "action": action,
                         "action_label": lifecycle.ACTION_LABELS[lifecycle.Action(action)], "bars": bars,
                         "samples": tally.get("samples", [])})
    return rows


@require_GET
def lifecycle_preview(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    job = _job(target, job_id, JobKind.LIFECYCLE_PREVIEW)
    context = {"job": job, "connection": target.connection, "bucket": bucket, "result": job.result,
               "rows": preview_rows(job.result), "horizons": HORIZON_LABELS.values(),
               "csv_ready": job.finished and preview_jobs.csv_path(job).exists()}
    return _poll(request, PREVIEW, "results", context)


@require_GET
def lifecycle_preview_csv(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    job = _job(target, job_id, JobKind.LIFECYCLE_PREVIEW)
    path = preview_jobs.csv_path(job)
    if not job.finished or not path.exists():
        raise Http404("The preview has no CSV (yet).")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"lifecycle-preview-{job.pk}.csv",
                        content_type="text/csv")


# --- replication setup ----------------------------------------------------------------------


class ReplicationSetupForm(forms.Form):
    target_connection = forms.TypedChoiceField(coerce=int, label="Destination connection")
    target_bucket = forms.CharField(max_length=63, label="Destination bucket")
    filter_kind = forms.ChoiceField(choices=replication.FilterKind.CHOICES, initial="none", label="Replicate")
    prefix = forms.CharField(required=False, strip=False, max_length=1024)
    tag_key = forms.CharField(required=False, max_length=128)
    tag_value = forms.CharField(required=False, max_length=256)
    delete_markers = forms.BooleanField(required=False, label="Replicate delete markers")
    backfill = forms.BooleanField(required=False, label="Copy the objects that already exist")
    enable_versioning = forms.BooleanField(
        required=False, label="Enable versioning on either bucket where it is off (it cannot be switched off again, "
                              "only suspended)")
    probe_seconds = forms.IntegerField(min_value=1, max_value=3600, initial=replication.DEFAULT_PROBE_SECONDS,
                                       label="Wait for the probe object (seconds)")
    role = forms.CharField(required=False, max_length=2048, label="Role ARN (AWS)")

    def __init__(self, *args, connections: list[Connection], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_connection"].choices = [(c.pk, c.name) for c in connections]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("filter_kind")
        if kind == replication.FilterKind.PREFIX and not data.get("prefix"):
            self.add_error("prefix", "Name the prefix, or replicate every object.")
        if kind == replication.FilterKind.TAG and not data.get("tag_key"):
            self.add_error("tag_key", "Name the tag key, or replicate every object.")
        return data


def _setup_context(target: BucketAccess, form: ReplicationSetupForm, refusals=()) -> dict[str, Any]:
    connection = target.connection
    return {"connection": connection, "bucket": target.bucket, "form": form, "refusals": refusals,
            "availability": target.availability("replication"),
            "sentence": catalogue.constraint(connection.provider, target.bucket_type, "replication_sentence"),
            "source": catalogue.get_provider(connection.provider).source}


@require_http_methods(["GET", "POST"])
def replication_setup(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    connections = list(team_connections(target.access.team))
    form = ReplicationSetupForm(request.POST or None, connections=connections,
                                initial={"target_connection": target.connection.pk})
    if request.method != "POST":
        return render(request, SETUP, _setup_context(target, form))
    if not form.is_valid():
        return render(request, SETUP, _setup_context(target, form), status=400)
    data = form.cleaned_data
    try:
        dest = get_bucket(request, data["target_connection"], data["target_bucket"], Role.EDITOR)
    except (Http404, PermissionDenied):
        form.add_error("target_bucket", "Your team may not write to that bucket on that connection.")
        return render(request, SETUP, _setup_context(target, form), status=400)
    source = replication.End(target.connection, bucket, target.bucket_type)
    destination = replication.End(dest.connection, dest.bucket, dest.bucket_type)
    refusals = replication.replication_pair_check(source=source, destination=destination,
                                                  filter_kind=data["filter_kind"],
                                                  allow_api_only=target.access.team.allow_api_only)
    if refusals:
        return render(request, SETUP, _setup_context(target, form, refusals), status=400)
    with audited(request, "replication.setup", connection=target.connection, bucket=bucket,
                 destination=f"{dest.connection.name}/{dest.bucket}"):
        job = replication.replication_job_create(
            team=target.access.team, user=request.user, source=source, destination=destination,
            filter_kind=data["filter_kind"], prefix=data["prefix"], tag_key=data["tag_key"],
            tag_value=data["tag_value"], delete_markers=data["delete_markers"], backfill=data["backfill"],
            enable_versioning=data["enable_versioning"], probe_seconds=data["probe_seconds"], role=data["role"])
    return _start(request, job, "replication_result")


@require_GET
def replication_result(request: HttpRequest, connection_id: int, bucket: str, job_id: int) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket)
    job = _job(target, job_id, JobKind.REPLICATION_SETUP)
    destination = Connection.objects.filter(pk=job.params.get("target_connection")).first()
    context = {"job": job, "connection": target.connection, "bucket": bucket, "result": job.result,
               "destination": destination, "target_bucket": job.params.get("target_bucket", "")}
    return _poll(request, RESULT, "outcome", context)
