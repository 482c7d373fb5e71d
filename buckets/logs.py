"""Structured logs: one line per request and per job step, JSON in production.

structlog (through django-structlog's request middleware and Celery receivers) writes the
lines; the standard library's records (Django, Celery, the engine's warnings) pass through
the same formatter, so every line of a process has one shape. CONSOLE_LOG_FORMAT=plain
gives readable lines for `make run`; json (the image's default) gives one JSON object per
line, where any key or value (an object key with quotes or a newline, say) is escaped by the
encoder. Secrets are blanked twice: by buckets.logredact on every string value and message,
and by never passing a credential to a log call in the first place.

Request lines carry request_id, user_id, team_id, connection_id, bucket, job_id, code,
outcome and duration_ms; job lines (event "job_step") carry job_id, kind, state, attempt,
user_id, team_id, connection_id, bucket, duration_ms and, for a job a request started, that
request's request_id.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import structlog

from .logredact import redact_event

_PRE_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.PositionalArgumentsFormatter(),
]


def _renderer(fmt: str) -> Any:
    if fmt == "json":
        return structlog.processors.JSONRenderer(sort_keys=False, default=str)
    return structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)


def formatter(fmt: str) -> logging.Formatter:
    """The formatter of the console's log handler, for the settings and for tests."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_PRE_CHAIN,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_event,
            _renderer(fmt),
        ],
    )


def logging_config(fmt: str, level: str) -> dict:
    """The LOGGING setting; also configures structlog, which has no Django setting."""
    if fmt not in {"json", "plain"}:
        raise ValueError(f"CONSOLE_LOG_FORMAT must be json or plain, not {fmt!r}")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "buckets.logredact.RedactSecretsFilter"}},
        "formatters": {"console": {"()": formatter, "fmt": fmt}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "console", "filters": ["redact"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # botocore logs request headers (signatures) at DEBUG: never let it go below INFO.
            "botocore": {"level": "WARNING"},
            "boto3": {"level": "WARNING"},
            "urllib3": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
            # The request line says it all; Django's own "Not Found: /x" would repeat it.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
            # Probes every few seconds are no news (health_check logs each failing check).
            "health_check": {"level": "WARNING"},
        },
    }


# --- request lines ---------------------------------------------------------------------------


def _request_started(request, logger, log_kwargs, **kwargs) -> None:
    request._log_started = time.monotonic()


def _request_finished(request, logger, response, log_kwargs, **kwargs) -> None:
    log_kwargs.update(request_fields(request))
    log_kwargs["outcome"] = outcome(response.status_code)


def _request_failed(request, logger, exception, log_kwargs, **kwargs) -> None:
    log_kwargs.update(request_fields(request))
    log_kwargs["outcome"] = "error"


def request_fields(request) -> dict[str, Any]:
    """What the request touched, as far as the view resolved it (nothing is queried here)."""
    fields: dict[str, Any] = {}
    started = getattr(request, "_log_started", None)
    if started is not None:
        fields["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    team = getattr(request, "_console_acting_team", None)
    if team is None and (membership := getattr(request, "_console_membership", None)) is not None:
        team = membership.team
    if team is not None:
        fields["team_id"] = team.pk
    match = getattr(request, "resolver_match", None)
    if match is not None:
        fields["view"] = match.view_name
        for source, name in (("connection_id", "connection_id"), ("bucket", "bucket"), ("job_id", "job_id")):
            if source in match.kwargs:
                fields[name] = match.kwargs[source]
    return fields


def outcome(status: int) -> str:
    if status < 400:
        return "ok"
    return "refused" if status < 500 else "error"


# --- job steps ------------------------------------------------------------------------------

job_log = structlog.get_logger("buckets.jobs")
_run_started: dict[int, float] = {}
_run_lock = threading.Lock()


def job_step(job, state: str, **fields: Any) -> None:
    """One line per step of a job: claimed by a run (state running) or ended (any final
    state), with the run's duration. Called by the job engine at each move of Job.state."""
    now = time.monotonic()
    with _run_lock:
        if state == "running":
            _run_started[job.pk] = now
            started = None
        else:
            started = _run_started.pop(job.pk, None)
    line: dict[str, Any] = {
        "job_id": job.pk, "kind": job.kind, "state": state, "attempt": job.attempts,
        "user_id": job.user_id, "team_id": job.team_id, "connection_id": job.connection_id,
        "bucket": job.bucket, **fields,
    }
    if started is not None:
        line["duration_ms"] = round((now - started) * 1000, 1)
    if state != "running":
        line["outcome"] = {"succeeded": "ok", "cancelled": "cancelled"}.get(state, "error")
    level = logging.WARNING if state == "failed" else logging.INFO
    job_log.log(level, "job_step", **line)


_connected = False
_worker_receiver = None


def connect_signals() -> None:
    """Hook the request signals of django-structlog, and its worker-side Celery receivers
    (which bind the request_id a job was enqueued under). Idempotent."""
    global _connected
    if _connected:
        return
    from django_structlog import signals

    signals.bind_extra_request_metadata.connect(_request_started, weak=False)
    signals.bind_extra_request_finished_metadata.connect(_request_finished, weak=False)
    signals.bind_extra_request_failed_metadata.connect(_request_failed, weak=False)
    # Connected here, not on worker_init: a worker sets Django up (and so reads the settings
    # that call this) while worker_init is being sent. In a web process they never fire.
    from django_structlog.celery.receivers import CeleryReceiver

    global _worker_receiver
    _worker_receiver = CeleryReceiver()  # kept: Celery holds its receivers by weak reference
    _worker_receiver.connect_worker_signals()
    _connected = True
