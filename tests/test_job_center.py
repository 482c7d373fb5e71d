"""The job center: what a job says about itself, its failed keys, cancel and retry."""

from __future__ import annotations

from django.urls import reverse

from buckets import gateway, jobs
from buckets.jobs import delete
from buckets.models import Job, JobKind, JobState


def failed_copy_job(team, editor, connection, bucket):
    job = jobs.job_create(JobKind.COPY, team=team, user=editor, connection=connection, bucket=bucket, key="x",
                          params={"keys": ["=cmd.txt", "missing.txt"], "target_connection": connection.pk,
                                  "target_bucket": bucket, "target_prefix": "c/", "conflict": "overwrite"})
    jobs.job_run(job.pk)
    job.refresh_from_db()
    return job


def test_a_failed_job_lists_its_keys_with_reasons_in_plain_words_and_as_csv(login, editor, team, connection, bucket):
    job = failed_copy_job(team, editor, connection, bucket)
    assert job.state == JobState.FAILED
    client = login(editor)
    page = client.get(reverse("job_detail", args=[job.pk])).content.decode()
    assert f"Job #{job.pk}: Copy" in page
    assert "Failed: 2 objects could not be copied" in page and "missing.txt" in page
    assert "Retry the 2 failed" in page and "Export as CSV" in page
    csv = client.get(reverse("job_failures_csv", args=[job.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "key,version_or_upload_id,reason,at"
    assert lines[1].startswith("'=cmd.txt")  # no formula for a spreadsheet to run


def test_retrying_the_failed_ones_runs_a_new_job_over_only_them(login, editor, team, connection, bucket):
    job = failed_copy_job(team, editor, connection, bucket)
    gateway.put_object(connection, bucket, "missing.txt", b"now here")
    gateway.put_object(connection, bucket, "=cmd.txt", b"here too")
    response = login(editor).post(reverse("job_retry_failed", args=[job.pk]))
    retry = Job.objects.exclude(pk=job.pk).get(kind=JobKind.COPY)
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[retry.pk])
    assert sorted(retry.params["keys"]) == ["=cmd.txt", "missing.txt"]
    jobs.job_run(retry.pk)
    retry.refresh_from_db()
    assert retry.state == JobState.SUCCEEDED and retry.result["copied"] == 2
    assert gateway.object_exists(connection, bucket, "c/missing.txt")


def test_a_running_job_shows_rate_and_time_left_and_the_poll_stops_when_it_ends(login, editor, team, connection, bucket):
    for i in range(3):
        gateway.put_object(connection, bucket, f"p/{i}", b"x")
    job = delete.delete_job_create(team=team, user=editor, connection=connection, bucket=bucket, keys=["p/"])
    client = login(editor)
    running = client.get(reverse("job_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert running.status_code == 200 and "Waiting for a worker" in running.content.decode()
    jobs.job_run(job.pk)
    done = client.get(reverse("job_detail", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 286 and "Finished: Deleted 3 objects" in done.content.decode()
    listing = client.get(reverse("jobs"), HTTP_HX_REQUEST="true")
    assert listing.status_code == 286 and "Delete" in listing.content.decode()  # the label, not delete_prefix
    assert "delete_prefix" not in listing.content.decode()


def test_cancel_and_retry_work_before_a_worker_took_the_job(login, editor, team, connection, bucket):
    job = delete.delete_job_create(team=team, user=editor, connection=connection, bucket=bucket, keys=["q/"])
    client = login(editor)
    client.post(reverse("job_cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    client.post(reverse("job_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.PENDING
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


def test_viewers_see_jobs_but_cannot_act_and_outsiders_get_404(login, editor, viewer, outsider, team, connection, bucket):
    job = failed_copy_job(team, editor, connection, bucket)
    assert login(viewer).get(reverse("job_detail", args=[job.pk])).status_code == 200
    assert login(viewer).post(reverse("job_retry_failed", args=[job.pk])).status_code == 403
    assert login(outsider).get(reverse("job_failures_csv", args=[job.pk])).status_code == 404
