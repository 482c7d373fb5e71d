"""`manage.py uploads list [--stale]` and `manage.py uploads sweep`: the uploads a console
holds open, and the same sweep the beat runs every hour (buckets.jobs.upload).

For an operator who needs room in the staging volume now, or who wants to see what the
sweep would take before it runs.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from buckets.jobs.upload import staging_path, sweep_stale_uploads
from buckets.models import Job, JobKind, JobState


def open_uploads(*, stale_only: bool):
    uploads = Job.objects.filter(kind=JobKind.UPLOAD, state__in=[JobState.PENDING, JobState.RUNNING, JobState.FAILED])
    uploads = uploads.select_related("connection", "team", "user").order_by("created_at")
    if stale_only:
        cutoff = timezone.now() - timezone.timedelta(hours=settings.UPLOAD_STALE_HOURS)
        uploads = uploads.filter(created_at__lt=cutoff)
    return [job for job in uploads if not job.params.get("discarded")]


class Command(BaseCommand):
    help = "List open uploads, or sweep the stale ones (abort their multipart uploads, free staging)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="Uploads not finished or discarded yet.")
        listing.add_argument("--stale", action="store_true",
                             help=f"Only those older than CONSOLE_UPLOAD_STALE_HOURS ({settings.UPLOAD_STALE_HOURS} h).")
        actions.add_parser("sweep", help="Abort stale uploads and remove staging leftovers now.")

    def handle(self, *args, action: str, **options):
        if action == "sweep":
            outcome = sweep_stale_uploads()
            self.stdout.write(self.style.SUCCESS(
                f"Swept: {outcome['aborted']} upload(s) aborted, {outcome['removed']} staging leftover(s) removed."))
            return
        jobs = open_uploads(stale_only=options["stale"])
        if not jobs:
            self.stdout.write("No open uploads.")
            return
        self.stdout.write(f"{'job':>6}  {'state':<9}  {'age':>7}  {'staged':>10}  team / connection / bucket / key")
        now = timezone.now()
        for job in jobs:
            age_hours = (now - job.created_at).total_seconds() / 3600
            path = staging_path(job) if job.params.get("token") else None
            staged = path.stat().st_size if path and path.exists() and path.is_file() else 0
            self.stdout.write(
                f"{job.pk:>6}  {job.state:<9}  {age_hours:>6.1f}h  {staged:>10}  "
                f"{job.team} / {job.connection.name if job.connection else '-'} / {job.bucket} / {job.key!r}")
        self.stdout.write(f"{len(jobs)} open upload(s); staging: {settings.UPLOAD_STAGING_DIR}")
