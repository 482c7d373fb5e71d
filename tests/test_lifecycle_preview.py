"""The lifecycle preview job and its page, on the moto server over HTTP."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from buckets import gateway, jobs
from buckets.models import Job, JobKind, JobState
from tests.test_worker import worker_env, workers  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def staging(settings, tmp_path):
    settings.UPLOAD_STAGING_DIR = tmp_path / "staging"


def _versioned_bucket_with_history(connection, bucket):
    gateway.put_versioning(connection, bucket, True)
    for body in (b"old", b"new!"):
        gateway.put_object(connection, bucket, "a/one", body)
    gateway.put_object(connection, bucket, "b/gone", b"x")
    gateway.delete_object(connection, bucket, "b/gone")  # a delete marker over one version
    gateway.put_object(connection, bucket, "c/keep", b"keep")
    gateway.multipart_create(connection, bucket, "up/big")


RULES = [
    {"ID": "exp", "Status": "Enabled", "Filter": {"Prefix": "a/"}, "Expiration": {"Days": 1}},
    {"ID": "nc", "Status": "Enabled", "Filter": {"Prefix": ""}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
    {"ID": "dm", "Status": "Enabled", "Filter": {"Prefix": "b/"}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
    {"ID": "abort", "Status": "Enabled", "Filter": {"Prefix": "up/"},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
]


def _run_preview(team, user, connection, bucket, **kw) -> Job:
    from buckets.jobs import lifecycle_preview

    job = lifecycle_preview.lifecycle_preview_job_create(team=team, user=user, connection=connection, bucket=bucket,
                                                         **kw)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    return job


def _count(job, rule, action, horizon="7"):
    return job.result["effects"].get(rule, {}).get(action, {}).get("count", {}).get(horizon, 0)


def test_the_saved_rules_are_previewed_per_rule_for_versions_markers_and_uploads(team, editor, connection, bucket):
    _versioned_bucket_with_history(connection, bucket)
    gateway.lifecycle_put(connection, bucket, RULES)
    job = _run_preview(team, editor, connection, bucket, source="saved")
    assert job.result["scanned"] == {"versions": 4, "delete_markers": 1, "uploads": 1, "tag_reads": 0}
    # Nothing is due today: every Days rule waits for at least one midnight...
    assert all(t["count"]["now"] == 0 for rule, actions in job.result["effects"].items() if rule != "abort"
               for t in actions.values())
    assert _count(job, "exp", "expire") == 1  # the current a/one
    assert _count(job, "nc", "expire_noncurrent") == 2  # the old a/one and the version under b/gone's marker
    assert _count(job, "dm", "remove_delete_marker") == 1  # once its one version is gone
    # ... but moto dates every upload's Initiated in 2010, so that one is due now.
    assert _count(job, "abort", "abort_upload", "now") == 1
    assert job.result["effects"]["exp"]["expire"]["bytes"]["7"] == 4
    rows = list(csv.DictReader(io.StringIO(open(jobs.lifecycle_preview.csv_path(job)).read())))
    assert len(rows) == job.result["csv_rows"] == 5
    assert {r["key"] for r in rows} == {"a/one", "b/gone", "up/big"}


def test_the_editor_fields_are_previewed_before_anything_is_saved(login, editor, connection, bucket):
    gateway.put_object(connection, bucket, "logs/1", b"12345")
    gateway.put_object(connection, bucket, "data/1", b"1")
    client = login(editor)
    start = reverse("lifecycle_preview_start", args=[connection.pk, bucket])
    response = client.post(start, {"source": "draft", "rule-TOTAL_FORMS": "1", "rule-INITIAL_FORMS": "0",
                                   "rule-0-id": "draft", "rule-0-enabled": "on", "rule-0-prefix": "logs/",
                                   "rule-0-expiration_days": "3"})
    job = Job.objects.get(kind=JobKind.LIFECYCLE_PREVIEW)
    assert response.status_code == 302 and response["Location"].endswith(f"/lifecycle/preview/{job.pk}/")
    assert job.params["rules"][0]["Filter"] == {"Prefix": "logs/"}
    jobs.job_run(job.pk)
    assert gateway.lifecycle_get(connection, bucket) is None  # previewed, not saved
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and 'data-rule="draft"' in body and "<svg" in body and "logs/1" in body
    exported = client.get(reverse("lifecycle_preview_csv", args=[connection.pk, bucket, job.pk]))
    assert exported["Content-Disposition"].startswith("attachment")
    assert b"logs/1" in b"".join(exported.streaming_content) and exported.status_code == 200


def test_an_htmx_start_redirects_the_browser_to_the_preview_page(login, editor, connection, bucket):
    response = login(editor).post(reverse("lifecycle_preview_start", args=[connection.pk, bucket]),
                                  {"source": "saved"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "/lifecycle/preview/" in response["HX-Redirect"]


def test_rules_the_endpoint_would_refuse_answer_a_message_not_a_500(login, editor, connection, bucket):
    response = login(editor).post(reverse("lifecycle_preview_start", args=[connection.pk, bucket]), {
        "source": "draft", "rule-TOTAL_FORMS": "1", "rule-INITIAL_FORMS": "0", "rule-0-id": "bad",
        "rule-0-enabled": "on", "rule-0-expiration_days": "soon"})
    assert response.status_code == 400 and b"cannot be previewed" in response.content
    assert not Job.objects.exists()


def test_a_viewer_cannot_start_a_preview_and_an_outsider_cannot_see_one(login, viewer, editor, outsider, team,
                                                                        connection, bucket):
    start = reverse("lifecycle_preview_start", args=[connection.pk, bucket])
    assert login(viewer).post(start, {"source": "saved"}).status_code == 403
    job = _run_preview(team, editor, connection, bucket, source="saved")
    page = reverse("lifecycle_preview", args=[connection.pk, bucket, job.pk])
    assert login(viewer).get(page).status_code == 200
    assert login(outsider).get(page).status_code == 404
    assert login(outsider).get(reverse("lifecycle_preview_csv", args=[connection.pk, bucket, job.pk])).status_code == 404


def test_tags_are_read_only_for_versions_a_tag_rule_covers(team, editor, connection, bucket):
    gateway.put_object(connection, bucket, "t/cold", b"1", extra={"Tagging": "tier=cold"})
    gateway.put_object(connection, bucket, "t/warm", b"1", extra={"Tagging": "tier=warm"})
    gateway.put_object(connection, bucket, "other", b"1")
    rules = [{"ID": "cold", "Status": "Enabled", "Expiration": {"Days": 1},
              "Filter": {"And": {"Prefix": "t/", "Tags": [{"Key": "tier", "Value": "cold"}]}}}]
    job = _run_preview(team, editor, connection, bucket, source="draft", rules=rules)
    assert job.result["scanned"]["tag_reads"] == 2
    assert _count(job, "cold", "expire") == 1
    assert job.result["effects"]["cold"]["expire"]["samples"][0]["key"] == "t/cold"


def test_size_filters_are_predicted_as_the_provider_applies_them(make_connection, team, editor, s3_endpoint):
    ceph_like = make_connection(team, endpoint=s3_endpoint, provider="ceph")
    name = f"lc-size-{team.pk}"
    gateway.create_bucket(ceph_like, name)
    try:
        gateway.put_object(ceph_like, name, "s/tiny", b"1")
        rules = [{"ID": "big", "Status": "Enabled", "Expiration": {"Days": 1},
                  "Filter": {"And": {"Prefix": "s/", "ObjectSizeGreaterThan": 100}}}]
        job = _run_preview(team, editor, ceph_like, name, source="draft", rules=rules)
        assert _count(job, "big", "expire") == 1  # RGW ignores the size filter
        assert "ignores size filters" in job.result["warnings"][0]
    finally:
        gateway.delete_object(ceph_like, name, "s/tiny")
        gateway.delete_bucket(ceph_like, name)


# --- object size filters in the preview of rules being edited ------------------------------------

SIZED = {"logs/empty": 0, "logs/hundred": 100, "logs/just-over": 101, "logs/under-kib": 1023, "logs/kib": 1024,
         "logs/big": 4096, "other/big": 4096}
SIZED_DRAFT = {
    "source": "draft", "rule-TOTAL_FORMS": "3", "rule-INITIAL_FORMS": "0",
    # (100 bytes, 1 KiB) under logs/: strict at both ends, so 100 and 1,024 bytes are spared.
    "rule-0-id": "mid", "rule-0-enabled": "on", "rule-0-prefix": "logs/", "rule-0-expiration_days": "1",
    "rule-0-size_greater_than": "100", "rule-0-size_less_than": "1", "rule-0-size_less_than_unit": "KiB",
    # Larger than 1 KiB anywhere.
    "rule-1-id": "large", "rule-1-enabled": "on", "rule-1-expiration_days": "1",
    "rule-1-size_greater_than": "1", "rule-1-size_greater_than_unit": "KiB",
    # Empty objects only.
    "rule-2-id": "empty", "rule-2-enabled": "on", "rule-2-expiration_days": "1", "rule-2-size_less_than": "1",
}


def _sized_bucket(connection, bucket):
    for key, size in SIZED.items():
        gateway.put_object(connection, bucket, key, b"x" * size)


def _check_sized(job, client, connection, bucket):
    assert job.params["rules"][0]["Filter"] == {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 100,
                                                        "ObjectSizeLessThan": 1024}}
    assert job.params["rules"][1]["Filter"] == {"ObjectSizeGreaterThan": 1024}
    assert job.params["rules"][2]["Filter"] == {"ObjectSizeLessThan": 1}
    expired = {rule: {s["key"] for s in actions["expire"]["samples"]} for rule, actions in job.result["effects"].items()}
    assert expired == {"mid": {"logs/just-over", "logs/under-kib"}, "large": {"logs/big", "other/big"},
                       "empty": {"logs/empty"}}
    assert [_count(job, r, "expire") for r in ("mid", "large", "empty")] == [2, 2, 1]
    assert job.result["effects"]["mid"]["expire"]["bytes"]["7"] == 101 + 1023
    assert job.result["effects"]["large"]["expire"]["bytes"]["7"] == 2 * 4096
    assert job.result["warnings"] == []
    body = client.get(reverse("lifecycle_preview", args=[connection.pk, bucket, job.pk])).content.decode()
    assert "prefix “logs/”, larger than 100 bytes, smaller than 1,024 bytes (1 KiB): expire after 1 days" in body
    rows = list(csv.DictReader(io.StringIO(open(jobs.lifecycle_preview.csv_path(job)).read())))
    assert sorted((r["rule"], r["key"], r["size"]) for r in rows) == [
        ("empty", "logs/empty", "0"), ("large", "logs/big", "4096"), ("large", "other/big", "4096"),
        ("mid", "logs/just-over", "101"), ("mid", "logs/under-kib", "1023")]


def test_the_draft_preview_counts_objects_by_size_as_the_editor_would_save_them(login, editor, connection, bucket):
    _sized_bucket(connection, bucket)
    client = login(editor)
    response = client.post(reverse("lifecycle_preview_start", args=[connection.pk, bucket]), SIZED_DRAFT)
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.get(kind=JobKind.LIFECYCLE_PREVIEW)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    _check_sized(job, client, connection, bucket)
    assert gateway.lifecycle_get(connection, bucket) is None  # previewed, not saved


def test_a_draft_size_range_that_matches_nothing_is_not_previewed(login, editor, connection, bucket):
    response = login(editor).post(reverse("lifecycle_preview_start", args=[connection.pk, bucket]), {
        **SIZED_DRAFT, "rule-TOTAL_FORMS": "1", "rule-0-size_greater_than": "2", "rule-0-size_greater_than_unit": "KiB"})
    body = response.content.decode()
    assert response.status_code == 400 and "no object is larger than 2,048 bytes and smaller than 1,024 bytes" in body
    assert not Job.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_draft_size_preview_runs_on_a_real_worker(login, editor, connection, bucket, workers):  # noqa: F811
    from tests.test_worker import wait_for

    _sized_bucket(connection, bucket)
    workers.start()
    client = login(editor)
    response = client.post(reverse("lifecycle_preview_start", args=[connection.pk, bucket]), SIZED_DRAFT)
    assert response.status_code == 302
    job = wait_for(lambda: Job.objects.filter(kind=JobKind.LIFECYCLE_PREVIEW, state__in=[
        JobState.SUCCEEDED, JobState.FAILED]).first(), 60, "the preview on the worker")
    assert job.state == JobState.SUCCEEDED, job.error
    _check_sized(job, client, connection, bucket)
