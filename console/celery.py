import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

app = Celery("console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@worker_process_init.connect
def _patient_s3_calls(**_kwargs) -> None:
    # Nobody waits in a browser for a worker: its S3 calls get the long deadlines (a large
    # CompleteMultipartUpload, a server-side copy of gigabytes), in every thread of the
    # process (threads pool) and in every child (prefork). Web processes keep the short one.
    from buckets import gateway

    gateway.use_patient_defaults()
