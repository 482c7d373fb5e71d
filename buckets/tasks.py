"""Celery entry points: thin, they load a row by id and call a service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> None:
    services.job_run(job_id)


@shared_task
def sweep_stale_uploads() -> dict:
    return services.sweep_stale_uploads()
