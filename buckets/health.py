"""Liveness and readiness for load balancers and container probes.

Liveness answers as long as the process serves requests: it touches nothing, so a database
or broker outage never makes an orchestrator restart healthy web containers. Readiness runs
django-health-check's checks of what every page or job needs: the database, the broker, at
least one worker consuming the console's queue, room in the staging volume, and no pending
migration. S3 endpoints are deliberately not in it: they belong to the teams, and one team's
dead endpoint must not take the console out of a load balancer (their reachability is on the
admin page in buckets/views/health.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.celery import Ping
from health_check.contrib.psutil import Disk
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

MIB = 1024 * 1024
# Once applied, migrations stay applied for this process's code: ask the database once.
_MIGRATED: set[str] = set()


@dataclasses.dataclass
class Migrations(HealthCheck):
    """No migration of the code is missing from the database (a deploy that forgot to migrate,
    or a new replica started before the migration ran)."""

    alias: str = "default"

    def run(self) -> None:
        if self.alias in _MIGRATED:
            return
        connection = connections[self.alias]
        with connection.temporary_connection():
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending[:3])
            raise ServiceUnavailable(f"{len(pending)} migration(s) not applied ({names}); run manage.py migrate")
        _MIGRATED.add(self.alias)


@dataclasses.dataclass
class StagingSpace(Disk):
    """The staging volume is a writable directory with room for in-flight uploads."""

    min_free_bytes: int = dataclasses.field(default=0, repr=False)

    def run(self) -> None:
        path = str(self.path)
        if not os.path.isdir(path) or not os.access(path, os.W_OK | os.X_OK):
            raise ServiceUnavailable("The staging directory is missing or not writable")
        free = os.statvfs(path)
        free_bytes = free.f_bavail * free.f_frsize
        if free_bytes < self.min_free_bytes:
            raise ServiceWarning(f"{free_bytes // MIB} MiB free in staging, below {self.min_free_bytes // MIB} MiB")
        super().run()


def readiness_checks() -> Iterator[HealthCheck]:
    """Read at request time, so a changed setting (or a test's) is what is checked."""
    yield Database()
    broker = settings.CELERY_BROKER_URL
    if broker.startswith(("redis://", "rediss://")):
        from health_check.contrib.redis import Redis
        from redis.asyncio import Redis as RedisClient

        yield Redis(client_factory=lambda: RedisClient.from_url(broker, socket_connect_timeout=2, socket_timeout=2))
    # limit=1: return as soon as one worker answers instead of waiting out the timeout;
    # the check then makes sure some worker consumes the console's queue.
    yield Ping(timeout=datetime.timedelta(seconds=settings.HEALTH_WORKER_PING_SECONDS), limit=1)
    yield StagingSpace(
        path=settings.UPLOAD_STAGING_DIR,
        max_disk_usage_percent=settings.HEALTH_STAGING_MAX_USED_PERCENT,
        min_free_bytes=settings.HEALTH_STAGING_MIN_FREE_MB * MIB,
    )
    yield Migrations()


class ReadinessView(HealthCheckView):
    def get_checks(self) -> Iterator[HealthCheck]:
        return readiness_checks()

    def render_to_response(self, context, **response_kwargs):
        # The package's HTML page has an inline <style> our CSP refuses; browsers get the text.
        return self.render_to_response_text(response_kwargs.get("status", 200))

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        # "Not ready, try later" is 503 to load balancers and to people; the package says 500.
        if response.status_code == 500:
            response.status_code = 503
        return response


@login_not_required
@never_cache
def live(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


_readiness = ReadinessView.as_view()


@login_not_required
def ready(request: HttpRequest) -> HttpResponse:
    """The readiness view (async inside, as django-health-check runs its checks concurrently).

    Run to its end on a thread of its own when this thread already runs an event loop (an
    async-aware host, Playwright in the tests): async_to_sync refuses to run there.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(_readiness)(request)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness") as pool:
        return pool.submit(async_to_sync(_readiness), request).result()
