"""Long work as jobs: the engine (buckets/jobs/engine.py) and one module per kind.

Importing the package registers every kind with the engine.
"""

from . import delete, lifecycle_preview, metadata, replication, size, transfer, upload  # noqa: F401 - registers the kinds
from .engine import (
    BrokerUnavailable,
    JobCancelled,
    JobRefused,
    JobRun,
    LeaseLost,
    job_cancel,
    job_claim,
    job_create,
    job_discard,
    job_enqueue,
    job_retry,
    job_run,
    jobs_recover,
)

__all__ = [
    "BrokerUnavailable", "JobCancelled", "JobRefused", "JobRun", "LeaseLost", "job_cancel", "job_claim",
    "job_create", "job_discard", "job_enqueue", "job_retry", "job_run", "jobs_recover",
]
