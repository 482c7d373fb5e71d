"""Replication setup against Ceph RGW 16.2, which answers PutBucketReplication with 405: the job
refuses the pair from the catalogue before it touches either bucket."""

from __future__ import annotations

import pytest

from buckets import gateway, jobs
from buckets.jobs import replication
from buckets.models import JobState
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
