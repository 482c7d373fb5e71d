"""The lifecycle preview job and its page, on the moto server over HTTP."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from buckets import gateway, jobs
from buckets.models import Job, JobKind, JobState

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
