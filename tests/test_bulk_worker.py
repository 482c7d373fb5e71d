"""Bulk jobs through a real Celery worker: one killed in the middle resumes from its
checkpoint, and a browser copies a selection to another bucket and watches it finish."""

from __future__ import annotations

import pytest

from buckets import gateway
from buckets.models import Job, JobKind, JobState
from tests.conftest import empty_and_delete, unique_bucket_name
from tests.test_worker import SlowProxy, wait_for, worker_env, workers  # noqa: F401 - fixtures

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_delete_hands_over_and_the_job_resumes_from_its_checkpoint(login, editor, make_connection, team, s3_endpoint, connection, workers):  # noqa: F811
    from django.urls import reverse

    bucket = unique_bucket_name("kill")
    gateway.create_bucket(connection, bucket)
    # A slow link (about one page of keys a second) stretches the job enough to kill it.
    proxy = SlowProxy(int(s3_endpoint.rsplit(":", 1)[1]), bytes_per_second=60_000)
    try:
        from concurrent.futures import ThreadPoolExecutor

        client = gateway.client(connection)
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: client.put_object(Bucket=bucket, Key=f"many/{i:05d}", Body=b""), range(2100)))
        slow = make_connection(team, endpoint=f"http://127.0.0.1:{proxy.port}")
        first = workers.start()
        login(editor).post(reverse("bulk_delete", args=[slow.pk, bucket]),
                           {"keys": ["many/"], "confirm": "yes", "versions": "current"})
        job = Job.objects.get(kind=JobKind.DELETE_PREFIX)
        wait_for(lambda: Job.objects.get(pk=job.pk).checkpoint, 60, "a first checkpoint")
        workers.kill(first)
        first.wait()
        checkpoint = Job.objects.get(pk=job.pk).checkpoint
        workers.start()
        job = wait_for(lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.SUCCEEDED, JobState.FAILED]).first(),
                       120, "the resumed job")
        assert job.state == JobState.SUCCEEDED, job.error
        assert job.attempts == 2
        assert checkpoint.startswith("1\nmany/")
        assert gateway.list_page(connection, bucket, delimiter="").objects == []
    finally:
        proxy.close()
        empty_and_delete(connection, bucket)


@pytest.mark.browser
def test_a_user_selects_files_copies_them_to_another_bucket_and_watches_the_job_finish(browser_page, editor, connection, bucket, workers):  # noqa: F811
    workers.start()
    target = unique_bucket_name("to")
    gateway.create_bucket(connection, target)
    try:
        for name in ("one.txt", "two.txt", "three.txt"):
            gateway.put_object(connection, bucket, name, name.encode())
        page = browser_page(editor)
        page.goto(f"/c/{connection.pk}/b/{bucket}/")
        page.check("input[name=keys][value='one.txt']")
        page.check("input[name=keys][value='two.txt']")
        page.click("#copy-selected")
        page.wait_for_selector("#transfer-form")
        assert "Server-side copy" in page.inner_text("#routes")
        page.fill("#target_bucket", target)
        page.fill("#target_prefix", "")
        page.click("#transfer-start")
        page.wait_for_selector("#job-outcome >> text=Finished", timeout=60_000)
        assert "Copied 2 objects" in page.inner_text("#job-outcome")
        assert sorted(o.key for o in gateway.list_page(connection, target).objects) == ["one.txt", "two.txt"]
        assert page.console_problems == []
    finally:
        empty_and_delete(connection, target)
