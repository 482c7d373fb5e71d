"""The replication setup job and its form: refusals with the document's words, the merge,
the backfill and both probe outcomes (moto stores rules but never replicates, so a copier
thread stands in for the endpoint on the success path)."""

from __future__ import annotations

import threading
import time

import pytest
from django.urls import reverse

from buckets import gateway, jobs
from buckets.jobs import replication
from buckets.jobs.replication import End
from buckets.models import Job, JobKind, JobState
from tests.conftest import empty_and_delete, unique_bucket_name

pytestmark = pytest.mark.django_db


def _end(conn, bucket, bucket_type=None):
    return End(conn, bucket, bucket_type or conn.default_bucket_type)


def test_spaces_refuses_replication_and_quotes_the_document(spaces):
    refusals = replication.replication_pair_check(source=_end(spaces, "a"), destination=_end(spaces, "b"))
    assert len(refusals) == 1 and "does not replicate" in refusals[0].reason
    assert refusals[0].quote == "Unsupported S3 operations return a standard NotImplemented error."
    assert "Spaces S3 Compatibility" in refusals[0].source


def test_rgw_refuses_replication_with_what_was_measured(make_connection, team, s3_endpoint):
    ceph = make_connection(team, endpoint=s3_endpoint, provider="ceph")
    refusals = replication.replication_pair_check(source=_end(ceph, "a"), destination=_end(ceph, "b"))
    assert "405" in refusals[0].quote and refusals[0].source == "Measured on Ceph RGW 16.2"


def test_ionos_contract_owned_buckets_replicate_only_to_contract_owned_ones_in_their_region(make_connection, team,
                                                                                           s3_endpoint):
    contract = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="eu-central-3",
                               bucket_type="contract-owned")
    other_region = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="eu-central-4",
                                   bucket_type="contract-owned")
    user = make_connection(team, endpoint=s3_endpoint, provider="ionos", region="de", bucket_type="user-owned")
    assert replication.replication_pair_check(source=_end(contract, "a"), destination=_end(contract, "b")) == []
    to_user = replication.replication_pair_check(source=_end(contract, "a"), destination=_end(user, "b"))
    assert any("only to contract‑owned" in r.reason for r in to_user)
    assert to_user[0].quote.startswith("Cross-regional bucket replication is not supported for contract-owned")
    across = replication.replication_pair_check(source=_end(contract, "a"), destination=_end(other_region, "b"))
    assert any("across regions" in r.reason for r in across)
    # User-owned sources replicate to contract-owned buckets, across regions too.
    assert replication.replication_pair_check(source=_end(user, "a"), destination=_end(contract, "b")) == []


def detected(connection):
    """A generic endpoint replicates only where Detect features found it answering (moto does)."""
    connection.detected_features = {"replication": "console"}
    connection.save()
    return connection


def test_a_generic_endpoint_replicates_only_where_detection_found_it(connection):
    refusals = replication.replication_pair_check(source=_end(connection, "a"), destination=_end(connection, "b"))
    assert "does not replicate" in refusals[0].reason and "Detect features" in refusals[0].quote
    assert replication.replication_pair_check(source=_end(detected(connection), "a"),
                                              destination=_end(connection, "b")) == []


def test_a_bucket_never_replicates_into_itself_or_to_another_provider(connection, spaces):
    detected(connection)
    assert replication.replication_pair_check(source=_end(connection, "a"), destination=_end(connection, "a"))
    assert any("same service" in r.reason for r in replication.replication_pair_check(
        source=_end(connection, "a"), destination=_end(spaces, "b")))


def test_the_merge_replaces_its_own_rule_and_keeps_every_other():
    existing = {"ReplicationConfiguration": {"Role": "arn:role", "Rules": [
        {"ID": "theirs", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "x/"},
         "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}},
        {"ID": "mine", "Priority": 2, "Status": "Disabled", "Destination": {"Bucket": "arn:aws:s3:::old"}}]}}
    rule = replication.replication_rule(rule_id="mine", destination="new", filter_kind="prefix", prefix="p/",
                                        tag_key="", tag_value="", delete_markers=True, priority=1)
    merged, how = replication.replication_merge(existing, rule, role="")
    assert how == "replaced" and merged["Role"] == "arn:role"
    assert [r["ID"] for r in merged["Rules"]] == ["theirs", "mine"]
    assert merged["Rules"][1]["Priority"] == 2 and merged["Rules"][1]["Destination"]["Bucket"] == "arn:aws:s3:::new"


@pytest.fixture
def pair(connection, bucket):
    detected(connection)
    target = unique_bucket_name("dst")
    gateway.create_bucket(connection, target)
    yield bucket, target
    empty_and_delete(connection, target)


def _setup(team, editor, connection, source, target, **kw):
    options = {"filter_kind": "none", "delete_markers": True, "backfill": False, "enable_versioning": True,
               "probe_seconds": 1, **kw}
    job = replication.replication_job_create(team=team, user=editor, source=_end(connection, source),
                                             destination=_end(connection, target), **options)
    jobs.job_run(job.pk)
    job.refresh_from_db()
    return job


def test_without_consent_versioning_stays_off_and_nothing_is_written(team, editor, connection, pair):
    source, target = pair
    job = _setup(team, editor, connection, source, target, enable_versioning=False)
    assert job.state == JobState.FAILED and "Versioning is not enabled" in job.error
    assert gateway.get_versioning(connection, source) == "" and gateway.replication_get(connection, source) is None


def test_the_rule_is_merged_and_an_unreplicated_probe_is_reported_and_removed(team, editor, connection, pair):
    source, target = pair
    gateway.put_versioning(connection, source, True)
    gateway.replication_put(connection, source, {"Role": "arn:aws:iam::1:role/r", "Rules": [
        {"ID": "theirs", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "x/"},
         "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws:s3:::elsewhere"}}]})
    job = _setup(team, editor, connection, source, target)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.message == ("Rule written, but the probe did not arrive in 1 s: the endpoint stored the rule and "
                           "has not replicated yet")
    rules = gateway.replication_get(connection, source)["ReplicationConfiguration"]["Rules"]
    assert {r["ID"] for r in rules} == {"theirs", f"s3-console-to-{target}"}
    assert job.result["versioning_enabled"] == [target]  # the source was versioned already
    assert not [v for v in gateway.list_versions_page(connection, source).versions if "probe" in v.key]


def test_the_backfill_copies_what_exists_and_a_replicated_probe_is_timed(team, editor, connection, pair):
    source, target = pair
    for n in range(12):
        gateway.put_object(connection, source, f"logs/{n}", b"x" * n)
    gateway.put_object(connection, source, "other/skip", b"no")
    stop = threading.Event()

    def stand_in_for_the_endpoint():
        while not stop.wait(0.2):
            for o in gateway.list_page(connection, source, prefix="logs/", delimiter="", page_size=100).objects:
                if replication.PROBE_NAME in o.key and not gateway.object_exists(connection, target, o.key):
                    gateway.copy_object(connection, target, o.key, source_bucket=source, source_key=o.key)

    copier = threading.Thread(target=stand_in_for_the_endpoint, daemon=True)
    copier.start()
    try:
        job = _setup(team, editor, connection, source, target, filter_kind="prefix", prefix="logs/", backfill=True,
                     probe_seconds=20)
    finally:
        stop.set()
        copier.join(5)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.message.startswith("Rule written, 12 objects copied, probe replicated in ")
    copied = {o.key for o in gateway.list_page(connection, target, delimiter="", page_size=100).objects}
    assert copied == {f"logs/{n}" for n in range(12)}  # the probe is gone from both sides


def test_the_form_refuses_a_pair_with_the_documents_sentence_before_any_job(login, editor, spaces, connection,
                                                                          bucket):
    client = login(editor)
    url = reverse("replication_setup", args=[spaces.pk, "space-a"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"target_connection": spaces.pk, "target_bucket": "space-b", "filter_kind": "none",
                                 "probe_seconds": 60})
    assert response.status_code == 400 and b"Unsupported S3 operations return a standard NotImplemented" in response.content
    assert not Job.objects.exists()


def test_the_form_starts_the_job_and_a_viewer_may_not(login, editor, viewer, connection, pair):
    source, target = pair
    url = reverse("replication_setup", args=[connection.pk, source])
    assert login(viewer).get(url).status_code == 403
    response = login(editor).post(url, {"target_connection": connection.pk, "target_bucket": target,
                                        "filter_kind": "prefix", "prefix": "", "probe_seconds": 60})
    assert response.status_code == 400 and b"Name the prefix" in response.content
    response = login(editor).post(url, {"target_connection": connection.pk, "target_bucket": target,
                                        "filter_kind": "none", "enable_versioning": "on", "probe_seconds": 1})
    job = Job.objects.get(kind=JobKind.REPLICATION_SETUP)
    assert response.status_code == 302 and response["Location"].endswith(f"/replication/setup/{job.pk}/")
    assert job.params["enable_versioning"] is True and job.params["target_bucket"] == target
    jobs.job_run(job.pk)
    page = login(viewer).get(response["Location"])
    assert page.status_code == 200 and b"did not arrive" in page.content
    time.sleep(0)  # the page above is the outcome a user sees
