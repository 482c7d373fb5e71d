"""The replication backfill's two routes on moto: one CopyObject per object on one endpoint
with one set of keys (what the listing says is enough), streamed through the worker otherwise."""

from __future__ import annotations

import pytest

from buckets import gateway
from buckets.jobs import engine, replication
from buckets.jobs.replication import End
from tests.conftest import empty_and_delete, unique_bucket_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(connection):
    name = unique_bucket_name("dst")
    gateway.create_bucket(connection, name)
    yield name
    empty_and_delete(connection, name)


def _backfill(team, editor, source: End, destination: End):
    job = replication.replication_job_create(team=team, user=editor, source=source, destination=destination,
                                             filter_kind="none", delete_markers=False, backfill=True,
                                             enable_versioning=False, probe_seconds=1)
    setup = replication._Setup(engine.job_claim(job.pk))
    with gateway.patient():
        setup.backfill()
    return job, setup


def _sent(connection) -> tuple[list[str], str]:
    seen: list[str] = []
    uid = f"backfill-{connection.pk}"
    gateway.client(connection).meta.events.register(
        "before-call.s3", lambda model, **_: seen.append(model.name), unique_id=uid)
    return seen, uid


def test_a_server_side_backfill_sends_one_copy_per_object_and_keeps_headers(team, editor, connection, bucket, target,
                                                                            monkeypatch):
    for n in range(5):
        gateway.put_object(connection, bucket, f"k{n}", b"x" * n, content_type="text/csv", metadata={"n": str(n)})
    seen, uid = _sent(connection)
    copies = []
    real_copy = gateway._copy_raw  # CopyObject goes out on a presigned URL, past botocore's events
    monkeypatch.setattr(gateway, "_copy_raw", lambda *a, **k: copies.append(a[3]) or real_copy(*a, **k))
    try:
        job, setup = _backfill(team, editor, End(connection, bucket, "standard"), End(connection, target, "standard"))
    finally:
        gateway.client(connection).meta.events.unregister("before-call.s3", unique_id=uid)
    assert job.params["server_side"] and setup.result["copied"] == 5
    assert len(copies) == 5 and "CopyObject" not in seen and "HeadObject" not in seen
    copied = gateway.head_object(connection, target, "k3")
    assert (copied.size, copied.content_type, copied.metadata) == (3, "text/csv", {"n": "3"})


def test_a_backfill_to_other_keys_streams_each_object_through_the_worker(team, editor, connection, make_connection,
                                                                          s3_endpoint, bucket, target):
    other_keys = make_connection(team, endpoint=s3_endpoint, access_key="another-key", name="other keys")
    gateway.put_object(connection, bucket, "a", b"alpha", metadata={"m": "1"})
    job, setup = _backfill(team, editor, End(connection, bucket, "standard"), End(other_keys, target, "standard"))
    assert job.params["server_side"] is False and setup.result["copied"] == 1
    assert b"".join(gateway.open_object(other_keys, target, "a").body) == b"alpha"
    assert gateway.head_object(other_keys, target, "a").metadata == {"m": "1"}


def test_a_second_run_resumes_after_the_checkpoint(team, editor, connection, bucket, target):
    for key in ("a", "b", "c"):
        gateway.put_object(connection, bucket, key, key.encode())
    job = replication.replication_job_create(team=team, user=editor, source=End(connection, bucket, "standard"),
                                             destination=End(connection, target, "standard"), filter_kind="none",
                                             delete_markers=False, backfill=True, enable_versioning=False,
                                             probe_seconds=1)
    job.checkpoint = "b"  # a run that stopped after "b"
    job.save(update_fields=["checkpoint"])
    setup = replication._Setup(engine.job_claim(job.pk))
    with gateway.patient():
        setup.backfill()
    assert [o.key for o in gateway.list_page(connection, target, delimiter="").objects] == ["c"]
