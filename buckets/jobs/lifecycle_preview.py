"""The lifecycle preview kind: walk every version, delete marker and unfinished upload of a
bucket and say, per rule, what a rule set would expire, transition or abort, and when.

The rule set is the saved one (read when the job runs) or one being edited (S3 rule
documents made from the editor's fields, carried in the job's params). The semantics live
in buckets/lifecycle.py; this module lists, reads tags where a rule needs them, tallies and
writes the CSV of every affected version. Memory stays bounded: one page of versions (plus
the versions of the key that straddles two pages), the tallies and a few sample keys.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.utils import timezone

from .. import catalogue, gateway, lifecycle
from ..access import bucket_type_of
from ..models import ACTIVE_STATES, Job, JobKind, JobState
from . import bulk, engine
from .engine import JobRun

PAGE = 1000
SAMPLES = 10  # keys shown per rule and action
TAG_READS_IN_FLIGHT = 8  # GetObjectTagging calls at once, when a rule filters by tags
KEEP_SECONDS = 24 * 3600  # a preview's CSV is there to download now, not to archive
CSV_HEADER = ("rule", "action", "key", "version_id", "delete_marker", "size", "last_modified", "due", "within",
              "storage_class")


def behaviour_for(provider: str, bucket_type: str, *, day_seconds: int | None = None) -> lifecycle.Behaviour:
    """How this endpoint applies lifecycle rules (catalogue data), with an optional short day
    for a test server running RGW's rgw_lc_debug_interval (which does not round to midnight)."""
    def c(name: str) -> Any:
        return catalogue.constraint(provider, bucket_type, name)

    extra: dict[str, Any] = {}
    if day_seconds:
        extra = {"day": timedelta(seconds=day_seconds), "round_to_midnight": False}
    offered = bool(c("lifecycle_size_filters_offered"))
    return lifecycle.Behaviour(size_filters=offered and bool(c("lifecycle_size_filters")),
                               size_filters_offered=offered,
                               days_remove_expired_delete_markers=bool(c("lifecycle_days_remove_expired_delete_markers")),
                               transition_min_bytes=int(c("lifecycle_transition_min_bytes") or 0), **extra)


def previews_dir() -> Path:
    return Path(settings.UPLOAD_STAGING_DIR) / "lifecycle-previews"


def csv_path(job: Job) -> Path:
    return previews_dir() / f"{job.pk}.csv"


def _bytes(size: int) -> str:
    """1,048,576 bytes (1 MiB): the exact figure, and the unit the editor would show it in."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size and size % factor == 0:
            return f"{size:,} bytes ({size // factor:,} {unit})"
    return f"{size:,} bytes"


def rule_summary(rule: lifecycle.Rule) -> str:
    """One line a person reads: what the rule covers and does."""
    f = rule.filter
    parts = [f"prefix “{f.prefix}”" if f.prefix else "the whole bucket"]
    parts += [f"tag {k}={v}" for k, v in f.tags]
    if f.size_greater_than is not None:
        parts.append(f"larger than {_bytes(f.size_greater_than)}")
    if f.size_less_than is not None:
        parts.append(f"smaller than {_bytes(f.size_less_than)}")
    does = []
    if rule.expiration_days is not None:
        does.append(f"expire after {rule.expiration_days} days")
    if rule.expiration_date is not None:
        does.append(f"expire on {rule.expiration_date:%Y-%m-%d}")
    if rule.expired_object_delete_marker:
        does.append("remove expired delete markers")
    for t in rule.transitions:
        does.append(f"to {t.storage_class} " + (f"after {t.days} days" if t.days is not None else f"on {t.date:%Y-%m-%d}"))
    if rule.noncurrent_days is not None:
        keep = f", keeping {rule.newer_noncurrent_versions} newer" if rule.newer_noncurrent_versions else ""
        does.append(f"delete noncurrent versions after {rule.noncurrent_days} days{keep}")
    for t in rule.noncurrent_transitions:
        does.append(f"noncurrent versions to {t.storage_class} after {t.days} days")
    if rule.abort_days is not None:
        does.append(f"abort unfinished uploads after {rule.abort_days} days")
    state = "" if rule.enabled else " (disabled: does nothing)"
    return f"{', '.join(parts)}: {'; '.join(does) or 'no action'}{state}"


class _Preview:
    def __init__(self, run: JobRun, rules: list[lifecycle.Rule], behaviour: lifecycle.Behaviour, now: datetime,
                 versioned: bool, out: Any):
        self.run = run
        self.rules = rules
        self.behaviour = behaviour
        self.now = now
        self.versioned = versioned
        self.writer = csv.writer(out)
        self.writer.writerow(CSV_HEADER)
        self.tally: dict[tuple[str, str], lifecycle.Tally] = {}
        self.samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.scanned = {"versions": 0, "delete_markers": 0, "uploads": 0, "tag_reads": 0}
        self.rows = 0
        self.tagged = any(r.needs_tags for r in rules)
        self.cutoffs = lifecycle.horizon_cutoffs(now, behaviour)

    def record(self, effect: lifecycle.Effect, *, key: str, version_id: str, marker: bool, size: int,
               modified: datetime, storage_class: str) -> None:
        within = lifecycle.horizon_within(effect.at, self.cutoffs)
        if within is None:
            return
        slot = (effect.rule_id, effect.action.value)
        tally = self.tally.get(slot)
        if tally is None:
            tally = self.tally[slot] = lifecycle.Tally()
        tally.add(within, size)
        at = effect.at.isoformat()
        sample = self.samples.setdefault(slot, [])
        if len(sample) < SAMPLES:
            sample.append({"key": key, "version_id": version_id, "size": size, "due": at, "within": within})
        self.writer.writerow((slot[0], slot[1], key, version_id, "yes" if marker else "", size,
                              modified.isoformat(), at, within, effect.storage_class or storage_class))
        self.rows += 1

    def key_done(self, entries: list[lifecycle.Entry]) -> None:
        for entry, effects in lifecycle.key_effects(self.rules, entries, versioned=self.versioned,
                                                    behaviour=self.behaviour):
            for effect in effects:
                self.record(effect, key=entry.key, version_id=entry.version_id, marker=entry.is_delete_marker,
                            size=entry.size, modified=entry.last_modified, storage_class=entry.storage_class)

    def read_tags(self, entries: list[lifecycle.Entry]) -> None:
        wanted = [e for e in entries if not e.is_delete_marker and lifecycle.rule_may_need_tags(self.rules, e.key)]
        conn, bucket = self.run.job.connection, self.run.job.bucket

        def one(e: lifecycle.Entry) -> dict[str, str]:
            try:
                return gateway.object_tag_map(conn, bucket, e.key, version_id="" if e.version_id == "null"
                                              else e.version_id)
            except gateway.NotFound:
                return {}  # gone since the listing

        for entry, tags in zip(wanted, bulk.in_parallel(wanted, one, width=TAG_READS_IN_FLIGHT), strict=True):
            entry.tags = tags
        self.scanned["tag_reads"] += len(wanted)

    def walk_versions(self) -> None:
        job = self.run.job
        held: list[lifecycle.Entry] = []  # the key that may continue on the next page
        for page in bulk.prefetch(_version_pages(self.run, job.connection, job.bucket)):
            entries = [_entry(v, page.storage_classes) for v in page.versions]
            if self.tagged:
                self.read_tags(entries)
            for entry in entries:
                if entry.is_delete_marker:
                    self.scanned["delete_markers"] += 1
                else:
                    self.scanned["versions"] += 1
                if held and held[0].key != entry.key:
                    self.key_done(held)
                    held = []
                held.append(entry)
            done = self.scanned["versions"] + self.scanned["delete_markers"]
            self.run.progress(items_done=done, message=f"Read {done:,} versions and delete markers")
        if held:
            self.key_done(held)

    def walk_uploads(self) -> None:
        job = self.run.job
        key_marker = upload_marker = ""
        while True:
            self.run.check()
            page = gateway.multipart_uploads_page(job.connection, job.bucket, key_marker=key_marker,
                                                  upload_marker=upload_marker, page_size=PAGE)
            for u in page.uploads:
                self.scanned["uploads"] += 1
                initiated = u.initiated or self.now
                effect = lifecycle.upload_effect(self.rules, lifecycle.Upload(u.key, u.upload_id, initiated),
                                                 self.behaviour)
                if effect is not None:
                    self.record(effect, key=u.key, version_id=u.upload_id, marker=False, size=0, modified=initiated,
                                storage_class=u.storage_class)
            if not page.truncated:
                return
            key_marker, upload_marker = page.next_key_marker, page.next_upload_marker

    def result(self) -> dict[str, Any]:
        per_rule: dict[str, dict[str, Any]] = {}
        for (rule_id, action), tally in sorted(self.tally.items()):
            per_rule.setdefault(rule_id, {})[action] = {**tally.as_dict(), "samples": self.samples.get((rule_id, action), [])}
        return {"effects": per_rule, "scanned": dict(self.scanned), "csv_rows": self.rows}


def _entry(v: gateway.ObjectVersion, classes: dict[tuple[str, str], str]) -> lifecycle.Entry:
    return lifecycle.Entry(key=v.key, version_id=v.version_id, last_modified=v.last_modified or timezone.now(),
                           size=int(v.size or 0), is_latest=v.is_latest, is_delete_marker=v.is_delete_marker,
                           storage_class=classes.get((v.key, v.version_id), "STANDARD"))


def _version_pages(run: JobRun, conn, bucket: str) -> Iterator[gateway.VersionPage]:
    key_marker = version_marker = ""
    while True:
        run.check()
        page = gateway.list_versions_page(conn, bucket, key_marker=key_marker, version_marker=version_marker,
                                          page_size=PAGE)
        yield page
        if not page.truncated:
            return
        key_marker, version_marker = page.next_key_marker, page.next_version_marker


def lifecycle_preview_run(run: JobRun) -> None:
    # A worker's deadlines: tag reads in parallel wait for a free slot of the endpoint
    # instead of failing the preview after the two seconds a page would wait.
    with gateway.patient():
        _preview_run(run)


def _preview_run(run: JobRun) -> None:
    job = run.job
    params = job.params
    conn = job.connection
    bucket_type = bucket_type_of(conn, job.bucket)
    if params.get("source") == "saved":
        saved = gateway.lifecycle_get(conn, job.bucket) or {}
        documents = saved.get("Rules", [])
    else:
        documents = params.get("rules", [])
    try:
        rules = lifecycle.rules_from_s3(documents)
    except lifecycle.RuleError as exc:
        raise gateway.Invalid(f"The rule set cannot be previewed: {exc}") from None
    behaviour = behaviour_for(conn.provider, bucket_type, day_seconds=params.get("day_seconds"))
    now = datetime.fromisoformat(params["now"]) if params.get("now") else timezone.now()
    versioning = gateway.get_versioning(conn, job.bucket)
    label = conn.provider_info.label
    head = {
        "source": params.get("source", "draft"), "now": now.isoformat(), "versioning": versioning or "Never enabled",
        "day_seconds": params.get("day_seconds") or 86400,
        "rules": [{"id": r.id, "summary": rule_summary(r), "enabled": r.enabled} for r in rules],
        "warnings": lifecycle.rule_warnings(rules, behaviour, label),
        "provider": label,
    }
    run.progress(result=head, message=f"Walking {job.bucket}: {len(rules)} rule(s)")
    if not rules:
        run.progress(result={**head, "effects": {}, "scanned": {}, "csv_rows": 0},
                     message="No lifecycle rules: nothing would happen")
        return
    path = csv_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with partial.open("w", newline="", encoding="utf-8") as out:
        preview = _Preview(run, rules, behaviour, now, bool(versioning), out)
        preview.walk_versions()
        preview.walk_uploads()
    partial.replace(path)
    result = {**head, **preview.result()}
    scanned = preview.scanned
    run.progress(result=result, message=(
        f"Read {scanned['versions']:,} versions, {scanned['delete_markers']:,} delete markers and "
        f"{scanned['uploads']:,} unfinished uploads; {preview.rows:,} would be affected within a year"))


def lifecycle_preview_cleanup(job: Job) -> None:
    for path in (csv_path(job), csv_path(job).with_suffix(".part")):
        path.unlink(missing_ok=True)


def _job_deleted(sender, instance: Job, **_kwargs) -> None:
    # A job row goes with its connection or team (cascade) or by hand; its CSV goes with it,
    # once the deletion is committed.
    if instance.kind == JobKind.LIFECYCLE_PREVIEW:
        paths = (csv_path(instance), csv_path(instance).with_suffix(".part"))  # the pk is gone after delete

        def remove() -> None:
            for path in paths:
                path.unlink(missing_ok=True)

        transaction.on_commit(remove)


post_delete.connect(_job_deleted, sender=Job, dispatch_uid="lifecycle-preview-csv")


def lifecycle_previews_sweep(*, max_age_seconds: int = KEEP_SECONDS) -> dict[str, int]:
    """Remove preview CSVs older than a day, and at any age those whose job is gone or was
    discarded, and the half-written file of a run that ended. A running job's file stays."""
    folder = previews_dir()
    if not folder.is_dir():
        return {"removed": 0, "kept": 0}
    entries = [e for e in folder.iterdir() if e.is_file() and e.suffix in {".csv", ".part"}]
    ids = {int(e.stem) for e in entries if e.stem.isdigit()}
    states = dict(Job.objects.filter(pk__in=ids, kind=JobKind.LIFECYCLE_PREVIEW).values_list("pk", "state"))
    cutoff = time.time() - max_age_seconds
    removed = kept = 0
    for entry in entries:
        state = states.get(int(entry.stem)) if entry.stem.isdigit() else None
        if state in ACTIVE_STATES:
            kept += 1
            continue
        try:
            stale = entry.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue  # removed meanwhile (a discard)
        if stale or state is None or state == JobState.CANCELLED or entry.suffix == ".part":
            entry.unlink(missing_ok=True)
            removed += 1
        else:
            kept += 1
    return {"removed": removed, "kept": kept}


def lifecycle_preview_job_create(*, team, user, connection, bucket: str, source: str,
                                 rules: list[dict[str, Any]] | None = None, day_seconds: int | None = None,
                                 now: datetime | None = None) -> Job:
    params: dict[str, Any] = {"source": source, "rules": rules or []}
    if day_seconds:
        params["day_seconds"] = int(day_seconds)
    if now is not None:
        params["now"] = now.isoformat()
    what = "saved rules" if source == "saved" else "rules being edited"
    return engine.job_create(JobKind.LIFECYCLE_PREVIEW, team=team, user=user, connection=connection, bucket=bucket,
                             key=f"Preview of the {what}", params=params)


def csv_text_sample(job: Job, limit: int = 5) -> str:
    """The first lines of a preview's CSV (for tests and the page's help)."""
    path = csv_path(job)
    if not path.exists():
        return ""
    with path.open(encoding="utf-8") as f:
        return "".join(line for _, line in zip(range(limit), f, strict=False))


engine.register(JobKind.LIFECYCLE_PREVIEW, lifecycle_preview_run, cleanup=lifecycle_preview_cleanup)
