"""Scaling out: two Celery workers on one Redis share the jobs, and when one is killed in
the middle of a job, the other takes it over (the engine's lease lapses, `jobs_recover`
hands the job on, and the new run resumes from the last checkpoint).

Which worker ran what is read from each worker's own JSON log (the job_step lines), the
same lines an operator would read.
"""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from buckets import gateway
from buckets.models import Job, JobState
from tests import test_worker
from tests.test_worker import SlowProxy, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

worker_env = test_worker.worker_env
workers = test_worker.workers


def steps(pool, index: int) -> list[dict]:
    lines = []
    for raw in (pool.log_dir / f"worker-{index}.log").read_text().splitlines():
        if raw.startswith("{"):
            line = json.loads(raw)
            if line.get("event") == "job_step":
                lines.append(line)
    return lines


def ran_by(pool, index: int, state: str = "running") -> set[int]:
    return {line["job_id"] for line in steps(pool, index) if line["state"] == state}


def delete_folder(client, connection, bucket: str, prefix: str) -> None:
    response = client.post(reverse("delete_objects", args=[connection.pk, bucket]),
                           {"keys": [prefix], "confirm": "yes", "prefix": ""})
    assert response.status_code == 302, response.content


def start_two(pool) -> None:
    pool.env["CONSOLE_LOG_FORMAT"] = "json"
    pool.start()
    pool.start()


def test_jobs_spread_across_two_workers(login, editor, connection, bucket, workers):
    start_two(workers)
    for folder in range(8):
        for i in range(5):
            gateway.put_object(connection, bucket, f"f{folder}/{i}.txt", b"x")
    client = login(editor)
    for folder in range(8):
        delete_folder(client, connection, bucket, f"f{folder}/")
    wait_for(lambda: Job.objects.filter(state=JobState.SUCCEEDED).count() == 8, 60, "eight jobs")
    first, second = ran_by(workers, 0, "succeeded"), ran_by(workers, 1, "succeeded")
    print(f"worker 0 ran {len(first)} jobs, worker 1 ran {len(second)}")
    assert first and second, "both workers took jobs"
    assert first | second == set(Job.objects.values_list("pk", flat=True))
    assert not first & second, "no job ran twice"
    assert gateway.list_page(connection, bucket).objects == []


def test_a_killed_workers_job_is_taken_over_by_the_other(login, editor, make_connection, team, s3_endpoint, workers):
    # Slow enough on the way to S3 that the job is still running when its worker dies.
    proxy = SlowProxy(int(s3_endpoint.rsplit(":", 1)[1]), bytes_per_second=1536)
    try:
        slow = make_connection(team, endpoint=f"http://127.0.0.1:{proxy.port}")
        direct = make_connection(team, endpoint=s3_endpoint)
        bucket = "scale-" + str(int(time.time() * 1000))
        gateway.create_bucket(direct, bucket)
        for i in range(400):
            gateway.put_object(direct, bucket, f"big/{i:04}.txt", b"x")
        start_two(workers)
        delete_folder(login(editor), slow, bucket, "big/")
        job = wait_for(lambda: Job.objects.filter(state=JobState.RUNNING).first(), 30, "the job to start")
        [owner] = wait_for(lambda: [i for i in (0, 1) if job.pk in ran_by(workers, i)], 10, "its worker")
        other = 1 - owner
        workers.kill(workers.procs[owner])
        workers.procs[owner].wait()
        killed_at = time.monotonic()
        done = wait_for(lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.SUCCEEDED, JobState.FAILED]).first(),
                        120, "the handed-over job")
        print(f"taken over and finished {time.monotonic() - killed_at:.1f} s after the kill")
        assert done.state == JobState.SUCCEEDED, done.error
        assert done.attempts == 2
        finished = [line for line in steps(workers, other) if line["job_id"] == job.pk and line["state"] == "succeeded"]
        assert finished and finished[0]["attempt"] == 2
        assert gateway.list_page(direct, bucket).objects == []
    finally:
        proxy.close()
