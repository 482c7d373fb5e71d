"""Replication setup against Ceph RGW 16.2, which answers PutBucketReplication with 405: the job
refuses the pair from the catalogue before it touches either bucket; its backfill step, called
on its own, copies what exists between two RGW buckets."""

from __future__ import annotations

from unittest import mock

import pytest

from buckets import gateway, jobs
from buckets.jobs import engine, replication
from buckets.models import JobFailure, JobState
from tests.conftest import empty_and_delete, unique_bucket_name

pytestmark = pytest.mark.django_db


def test_rgw_pairs_are_refused_with_the_measurement_and_nothing_is_changed(team, editor, rgw_connection, rgw_bucket):
    target = unique_bucket_name("rgw-dst")
    gateway.create_bucket(rgw_connection, target)
    try:
        job = replication.replication_job_create(
            team=team, user=editor, source=replication.End(rgw_connection, rgw_bucket, "standard"),
            destination=replication.End(rgw_connection, target, "standard"), filter_kind="none",
            delete_markers=False, backfill=True, enable_versioning=True, probe_seconds=1)
        jobs.job_run(job.pk)
        job.refresh_from_db()
        assert job.state == JobState.FAILED and job.error.startswith("Refused: Ceph RADOS Gateway does not replicate")
        assert "405" in job.result["refusals"][0]["quote"]
        assert gateway.get_versioning(rgw_connection, rgw_bucket) == ""  # consent given, still untouched
    finally:
        empty_and_delete(rgw_connection, target)


# The backfill step on its own: RGW stores no replication rule (405), so the job never reaches
# its backfill there; the step is called directly on a job the engine claimed, which is what
# the worker runs after the rule is written.


def _backfill_only(team, editor, conn, source, target, **kw):
    job = replication.replication_job_create(
        team=team, user=editor, source=replication.End(conn, source, "standard"),
        destination=replication.End(conn, target, "standard"), delete_markers=False, backfill=True,
        enable_versioning=False, probe_seconds=1, **{"filter_kind": "none", **kw})
    run = engine.job_claim(job.pk)
    setup = replication._Setup(run)
    with gateway.patient():
        setup.backfill()
    return job, setup


def test_the_backfill_copies_existing_objects_between_two_rgw_buckets(team, editor, rgw_connection, rgw_bucket):
    target = unique_bucket_name("rgw-dst")
    gateway.create_bucket(rgw_connection, target)
    try:
        for n in range(30):
            gateway.put_object(rgw_connection, rgw_bucket, f"logs/{n:02d}", b"x" * n, content_type="text/plain",
                               metadata={"origin": f"n{n}"})
        gateway.put_object(rgw_connection, rgw_bucket, "logs/cold", b"ice", extra={"StorageClass": "GLACIER",
                                                                                    "Tagging": "tier=cold"})
        gateway.put_object(rgw_connection, rgw_bucket, "other/skip", b"no")
        job, setup = _backfill_only(team, editor, rgw_connection, rgw_bucket, target, filter_kind="prefix",
                                    prefix="logs/")
        assert job.params["server_side"] is True
        assert setup.result["copied"] == 31 and setup.result["failed_count"] == 0 and setup.result["backfilled"]
        copied = {o.key: o.size for o in gateway.list_page(rgw_connection, target, delimiter="", page_size=100).objects}
        assert copied == {**{f"logs/{n:02d}": n for n in range(30)}, "logs/cold": 3}
        one = gateway.head_object(rgw_connection, target, "logs/07")
        assert one.content_type == "text/plain" and one.metadata == {"origin": "n7"}
        cold = gateway.head_object(rgw_connection, target, "logs/cold")
        assert cold.storage_class == "GLACIER"
        assert gateway.object_tag_map(rgw_connection, target, "logs/cold") == {"tier": "cold"}
        job.refresh_from_db()
        assert job.checkpoint == "logs/cold" and job.items_done == 31
    finally:
        empty_and_delete(rgw_connection, target)


def test_an_rgw_backfill_lists_what_it_could_not_copy_and_goes_on(team, editor, rgw_connection, rgw_bucket):
    target = unique_bucket_name("rgw-dst")
    gateway.create_bucket(rgw_connection, target)
    try:
        for key in ("a", "b", "c"):
            gateway.put_object(rgw_connection, rgw_bucket, key, key.encode())
        real = gateway.copy_object

        def refuse_b(conn, bucket, key, **kw):  # fault injection: the endpoint refuses one copy
            if key == "b":
                raise gateway.AccessDenied("Access denied (b)")
            return real(conn, bucket, key, **kw)

        with mock.patch.object(gateway, "copy_object", refuse_b):
            job, setup = _backfill_only(team, editor, rgw_connection, rgw_bucket, target)
        assert setup.result["copied"] == 2 and setup.result["failed_count"] == 1
        assert [(f.key, f.reason) for f in JobFailure.objects.filter(job=job)] == [("b", "Access denied (b)")]
        assert gateway.object_exists(rgw_connection, target, "c") and not gateway.object_exists(rgw_connection, target, "b")
    finally:
        empty_and_delete(rgw_connection, target)
