"""The replication setup kind: check a source → destination pair against the catalogue, make
sure both buckets are versioned, merge one rule into the source's replication configuration,
copy what already exists when asked, and prove the rule works with a probe object.

Steps run in that order and each is safe to run again (a retry replaces the job's own rule
by its ID and resumes the backfill after its checkpoint). Nothing touches the endpoint until
the pair check passes; every refusal quotes the provider document's sentence.

The backfill reuses the copy of buckets/jobs/transfer.py (server-side on one endpoint with
one set of keys, streamed through the worker otherwise).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from .. import catalogue, gateway
from ..access import bucket_type_of
from ..models import Connection, Job, JobKind
from . import bulk, engine, transfer
from .engine import JobRun

DEFAULT_PROBE_SECONDS = 300
PROBE_POLL_SECONDS = 1.0
PROBE_NAME = ".s3-console-replication-probe"
# What AWS needs is a real IAM role; the S3-compatible providers accept any well-formed ARN.
DEFAULT_ROLE = "arn:aws:iam::000000000000:role/s3-console-replication"


class FilterKind:
    NONE = "none"
    PREFIX = "prefix"
    TAG = "tag"
    CHOICES = (("none", "Every object"), ("prefix", "Objects under a prefix"), ("tag", "Objects with a tag"))


@dataclass(frozen=True)
class Refusal:
    reason: str
    quote: str  # the provider document's sentence, or what detection or a measurement found
    source: str


@dataclass(frozen=True)
class End:
    """One side of the pair: a bucket of a connection, with its catalogue type."""

    connection: Connection
    bucket: str
    bucket_type: str

    @property
    def provider(self) -> catalogue.Provider:
        return self.connection.provider_info

    @property
    def region(self) -> str:
        return catalogue.creation_region(self.connection.provider, endpoint_url=self.connection.endpoint_url,
                                         region=self.connection.region).id

    def type_label(self) -> str:
        labels = {t.id: t.label for t in self.provider.bucket_types}
        return labels.get(self.bucket_type, self.bucket_type).lower()


def _quote(end: End) -> tuple[str, str]:
    availability = catalogue.availability(end.connection.provider, end.bucket_type, "replication",
                                          overrides=end.connection.detected_features or None)
    sentence = str(catalogue.constraint(end.connection.provider, end.bucket_type, "replication_sentence") or "")
    if availability.source == catalogue.DETECT_SOURCE or not sentence:
        sentence = availability.note or sentence
    return sentence, availability.source or end.provider.source


def replication_pair_check(*, source: End, destination: End, filter_kind: str = FilterKind.NONE,
                           allow_api_only: bool = False) -> list[Refusal]:
    """Why this pair cannot replicate (empty: it can), each reason beside the document's words."""
    quote, cited = _quote(source)
    refusals: list[Refusal] = []

    def refuse(reason: str, words: str = quote, where: str = cited) -> None:
        refusals.append(Refusal(reason, words, where))

    available = catalogue.availability(source.connection.provider, source.bucket_type, "replication",
                                       overrides=source.connection.detected_features or None)
    if not available.usable(allow_api_only):
        what = "offers replication only through its API, and this team has not opted in" \
            if available.state == catalogue.State.API_ONLY else "does not replicate"
        refuse(f"{source.provider.label} {what} for {source.type_label()}s.")
        return refusals  # nothing else matters
    if (source.connection.pk, source.bucket) == (destination.connection.pk, destination.bucket):
        refuse("A bucket cannot replicate into itself.", "", "")
    if destination.provider.id != source.provider.id:
        refuse(f"A replication rule names a bucket of the same service; {destination.bucket} is at "
               f"{destination.provider.label}, not {source.provider.label}.", "", "")
        return refusals
    regional = any(r.endpoint for r in source.provider.regions)
    if not regional and source.connection.endpoint_url.rstrip("/") != destination.connection.endpoint_url.rstrip("/"):
        refuse(f"{destination.bucket} is on another endpoint ({destination.connection.endpoint_url}); a rule on "
               f"{source.connection.endpoint_url} can only name buckets that endpoint serves.", "", "")
    targets = tuple(catalogue.constraint(source.connection.provider, source.bucket_type, "replication_target_types") or ())
    if targets and destination.bucket_type not in targets:
        refuse(f"{source.provider.label} replicates {source.type_label()}s only to "
               f"{' or '.join(t.replace('-', '‑') for t in targets)} buckets; {destination.bucket} is "
               f"{destination.type_label()}.")
    if source.region != destination.region and not catalogue.constraint(
            source.connection.provider, source.bucket_type, "replication_cross_region"):
        refuse(f"{source.provider.label} does not replicate {source.type_label()}s across regions "
               f"({source.region} → {destination.region}).")
    filters = tuple(catalogue.constraint(source.connection.provider, source.bucket_type, "replication_filters") or ())
    if filter_kind in (FilterKind.PREFIX, FilterKind.TAG) and filter_kind not in filters:
        refuse(f"{source.provider.label} does not filter replication by {filter_kind}.")
    dest_versioning = catalogue.availability(destination.connection.provider, destination.bucket_type, "versioning",
                                             overrides=destination.connection.detected_features or None)
    if dest_versioning.state == catalogue.State.UNSUPPORTED:
        refuse(f"The destination must keep versions, and {destination.provider.label} does not version "
               f"{destination.type_label()}s.", dest_versioning.note, dest_versioning.source)
    return refusals


def replication_rule(*, rule_id: str, destination: str, filter_kind: str, prefix: str, tag_key: str,
                     tag_value: str, delete_markers: bool, priority: int) -> dict[str, Any]:
    flt: dict[str, Any] = {"Prefix": ""}
    if filter_kind == FilterKind.PREFIX:
        flt = {"Prefix": prefix}
    elif filter_kind == FilterKind.TAG:
        flt = {"Tag": {"Key": tag_key, "Value": tag_value}}
    return {
        "ID": rule_id, "Priority": priority, "Status": "Enabled", "Filter": flt,
        "DeleteMarkerReplication": {"Status": "Enabled" if delete_markers else "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
    }


def replication_merge(existing: dict[str, Any] | None, rule: dict[str, Any], *, role: str) -> tuple[dict[str, Any], str]:
    """The configuration with `rule` in it: a rule of the same ID is replaced, every other rule
    kept as the endpoint sent it. Answers (configuration, "added" | "replaced")."""
    config = dict((existing or {}).get("ReplicationConfiguration") or existing or {})
    rules = [dict(r) for r in config.get("Rules", [])]
    kept = [r for r in rules if r.get("ID") != rule["ID"]]
    how = "replaced" if len(kept) != len(rules) else "added"
    taken = {r.get("Priority") for r in kept if r.get("Priority") is not None}
    priority = rule.get("Priority", 1)
    while priority in taken:
        priority += 1
    merged = {**rule, "Priority": priority}
    return {"Role": config.get("Role") or role or DEFAULT_ROLE, "Rules": [*kept, merged]}, how


def _in_words(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute" + ("" if minutes == 1 else "s")
    return f"{seconds:.0f} s"


class _Setup:
    def __init__(self, run: JobRun):
        self.run = run
        job = run.job
        self.p = job.params
        self.src = End(job.connection, job.bucket, bucket_type_of(job.connection, job.bucket))
        dst_conn = Connection.objects.get(pk=self.p["target_connection"])
        self.dst = End(dst_conn, self.p["target_bucket"], bucket_type_of(dst_conn, self.p["target_bucket"]))
        self.result: dict[str, Any] = dict(job.result or {}) if job.checkpoint else {}

    def note(self, message: str, **result: Any) -> None:
        self.result.update(result)
        self.run.progress(message=message, result=dict(self.result))

    def check(self) -> None:
        refusals = replication_pair_check(source=self.src, destination=self.dst,
                                          filter_kind=self.p.get("filter_kind", FilterKind.NONE),
                                          allow_api_only=self.run.job.team.allow_api_only)
        if refusals:
            self.note("Refused before touching anything", refusals=[asdict(r) for r in refusals])
            raise gateway.Invalid("Refused: " + " ".join(r.reason for r in refusals))
        self.note("The pair is allowed; checking versioning", refusals=[])

    def versioning(self) -> None:
        enabled = []
        for end in (self.src, self.dst):
            if gateway.get_versioning(end.connection, end.bucket) == "Enabled":
                continue
            if not self.p.get("enable_versioning"):
                raise gateway.Invalid(f"Versioning is not enabled on {end.bucket}, and replication needs it on both "
                                      "buckets. Tick “enable versioning” to let the job enable it, or enable it "
                                      "yourself; nothing was changed.")
            gateway.put_versioning(end.connection, end.bucket, True)
            enabled.append(end.bucket)
        self.note("Versioning is on for both buckets", versioning_enabled=enabled)

    def write_rule(self) -> None:
        rule = replication_rule(rule_id=self.p["rule_id"], destination=self.dst.bucket,
                                filter_kind=self.p.get("filter_kind", FilterKind.NONE),
                                prefix=self.p.get("prefix", ""), tag_key=self.p.get("tag_key", ""),
                                tag_value=self.p.get("tag_value", ""), delete_markers=bool(self.p.get("delete_markers")),
                                priority=1)
        existing = gateway.replication_get(self.src.connection, self.src.bucket)
        config, how = replication_merge(existing, rule, role=self.p.get("role", ""))
        gateway.replication_put(self.src.connection, self.src.bucket, config)
        self.note(f"Rule {how}; {len(config['Rules']) - 1} other rule(s) kept", rule=how,
                  rules_kept=len(config["Rules"]) - 1)

    def matches(self, key: str) -> bool:
        if self.p.get("filter_kind") != FilterKind.TAG:
            return True
        tags = gateway.object_tag_map(self.src.connection, self.src.bucket, key)
        return tags.get(self.p.get("tag_key", "")) == self.p.get("tag_value", "")

    def backfill(self) -> None:
        copier = transfer._Transfer(self.run)
        copied = int(self.result.get("copied", 0))
        failed = int(self.result.get("failed_count", 0))
        prefix = self.p.get("prefix", "") if self.p.get("filter_kind") == FilterKind.PREFIX else ""
        after = self.run.job.checkpoint

        # The listing already says what a plain CopyObject needs (size, class). Server-side on one
        # endpoint, an object that needs no part-wise copy and no look at its encryption goes in
        # one request, as `s5cmd cp` does; the rest takes the copier's full path (HEAD first).
        direct = copier.server_side and not copier.unencrypted_only

        def one(item: gateway.ObjectSummary) -> tuple[str, int, str]:
            key = item.key
            if key.startswith(PROBE_NAME) or PROBE_NAME in key or not self.matches(key):
                return "skipped", 0, ""
            if not (direct and item.size <= transfer.MULTIPART_COPY_ABOVE):
                return copier.one(key)
            try:
                gateway.copy_object(copier.dst, copier.dst_bucket, copier.target_key(key), source_bucket=self.src.bucket,
                                    source_key=key, storage_class=item.storage_class)
            except gateway.S3Error as exc:
                return "failed", 0, str(exc)
            return "copied", item.size, ""

        # The listing runs a page ahead and pages overlap, as in a bulk copy; the checkpoint
        # moves once a page is done.
        pages = (([o.key for o in objects], objects) for objects in bulk.prefetch(
            bulk.walk_prefix(self.run, self.src.connection, self.src.bucket, prefix, after=after)))
        for keys, answers in bulk.pipelined(pages, one, width=bulk.job_width()):
            for key, (status, _size, reason) in zip(keys, answers, strict=True):
                if status == "copied":
                    copied += 1
                elif status == "failed":
                    failed += 1
                    bulk.fail_once(self.run, key, reason)
            self.result.update(copied=copied, failed_count=failed)
            self.run.checkpoint(keys[-1], items_done=copied, result=dict(self.result),
                                message=f"Copied {copied:,} existing object(s)")
        self.note(f"Copied {copied:,} existing object(s)", copied=copied, failed_count=failed, backfilled=True)

    def probe(self) -> float | None:
        """Seconds until a probe object appeared at the destination, or None when it did not in time."""
        prefix = self.p.get("prefix", "") if self.p.get("filter_kind") == FilterKind.PREFIX else ""
        key = f"{prefix}{PROBE_NAME}-{self.run.job.pk}-{uuid.uuid4().hex[:8]}"
        extra = {}
        if self.p.get("filter_kind") == FilterKind.TAG:
            from urllib.parse import urlencode

            extra["Tagging"] = urlencode([(self.p.get("tag_key", ""), self.p.get("tag_value", ""))])
        limit = float(self.p.get("probe_seconds") or DEFAULT_PROBE_SECONDS)
        gateway.put_object(self.src.connection, self.src.bucket, key, b"s3-console replication probe\n",
                           content_type="text/plain", extra=extra)
        self.note(f"Probe written; waiting up to {_in_words(limit)} for it at the destination", probe_key=key)
        started = time.monotonic()
        arrived = None
        try:
            while time.monotonic() - started < limit:
                if gateway.object_exists(self.dst.connection, self.dst.bucket, key):
                    arrived = time.monotonic() - started
                    break
                waited = time.monotonic() - started
                self.run.progress(message=f"Waiting for the probe at {self.dst.bucket}: {waited:.0f} s of "
                                          f"{_in_words(limit)}")
                time.sleep(PROBE_POLL_SECONDS)
        finally:
            self._remove_probe(key)
        return arrived

    def _remove_probe(self, key: str) -> None:
        # Every version, on both sides: a plain delete would leave the probe behind a marker.
        for end in (self.src, self.dst):
            try:
                for version in gateway.list_versions(end.connection, end.bucket, key):
                    gateway.delete_object(end.connection, end.bucket, key, version_id=version.version_id)
            except gateway.S3Error:
                self.result["probe_left"] = f"{end.bucket}/{key}"


def replication_setup_run(run: JobRun) -> None:
    # A worker's deadlines: the backfill's threads wait for a free slot of the endpoint
    # instead of failing items after the two seconds a page would wait.
    with gateway.patient():
        _setup_run(run)


def _setup_run(run: JobRun) -> None:
    setup = _Setup(run)
    p = setup.p
    if not run.job.checkpoint:
        setup.check()
        setup.versioning()
        setup.write_rule()
    if p.get("backfill"):
        setup.backfill()
    words = ["rule written"]
    if p.get("backfill"):
        words.append(f"{setup.result.get('copied', 0):,} objects copied")
    limit = float(p.get("probe_seconds") or DEFAULT_PROBE_SECONDS)
    arrived = setup.probe()
    if arrived is not None:
        words.append(f"probe replicated in {arrived:.0f} s")
        outcome = ", ".join(words)
    else:
        outcome = (", ".join(words) + f", but the probe did not arrive in {_in_words(limit)}: the endpoint "
                   "stored the rule and has not replicated yet")
    setup.note(outcome[0].upper() + outcome[1:], outcome=outcome, probe_seconds=None if arrived is None
               else round(arrived, 1), probe_arrived=arrived is not None)
    if setup.result.get("failed_count"):
        raise gateway.Invalid(f"{outcome}; {setup.result['failed_count']} object(s) could not be copied, the job "
                              "lists them.")


def replication_job_create(*, team, user, source: End, destination: End, filter_kind: str, prefix: str = "",
                           tag_key: str = "", tag_value: str = "", delete_markers: bool, backfill: bool,
                           enable_versioning: bool, probe_seconds: int = DEFAULT_PROBE_SECONDS,
                           role: str = "", rule_id: str = "") -> Job:
    route = transfer.copy_route(source.connection, source.bucket_type, destination.connection,
                                destination.bucket_type)
    params: dict[str, Any] = {
        "target_connection": destination.connection.pk, "target_bucket": destination.bucket,
        "filter_kind": filter_kind, "prefix": prefix, "tag_key": tag_key, "tag_value": tag_value,
        "delete_markers": delete_markers, "backfill": backfill, "enable_versioning": enable_versioning,
        "probe_seconds": probe_seconds, "role": role,
        "rule_id": rule_id or f"s3-console-to-{destination.bucket}"[:255],
        # What the backfill's copier (buckets/jobs/transfer.py) reads.
        "keys": [], "base": "", "target_prefix": "", "conflict": transfer.Conflict.OVERWRITE,
        "server_side": route.server_side,
        "copy_requires_unencrypted": bool(catalogue.constraint(source.connection.provider, source.bucket_type,
                                                               "copy_requires_unencrypted")),
        "route": route.why,
    }
    return engine.job_create(JobKind.REPLICATION_SETUP, team=team, user=user, connection=source.connection,
                             bucket=source.bucket, key=f"→ {destination.connection.name}/{destination.bucket}",
                             params=params)


engine.register(JobKind.REPLICATION_SETUP, replication_setup_run)
