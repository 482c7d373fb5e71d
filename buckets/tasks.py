"""Celery entry points: thin, they load a row by id and call the job engine."""

from celery import shared_task
from celery.signals import worker_ready

from . import jobs, query
from .jobs import lifecycle_preview, upload


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> None:
    jobs.job_run(job_id)


@shared_task
def recover_jobs() -> dict:
    return jobs.jobs_recover()


@shared_task
def sweep_stale_uploads() -> dict:
    return upload.sweep_stale_uploads()


@shared_task
def sweep_query_results() -> int:
    return query.sweep_query_results()


@shared_task
def sweep_lifecycle_previews() -> dict:
    return lifecycle_preview.lifecycle_previews_sweep()


@worker_ready.connect
def _recover_on_start(**_kwargs) -> None:
    # A worker that starts after a crash picks up what its predecessor left at once.
    recover_jobs.delay()
