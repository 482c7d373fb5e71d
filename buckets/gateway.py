"""The one place that talks to S3: builds boto3 clients and translates their errors.

No other module imports boto3 or botocore. Every function takes an endpoint description
(a `Connection` or anything with the same attributes) and raises only `S3Error`
subclasses, whose messages are safe to show to a user: they never contain keys.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import html
import http.client
import re
import socket
import ssl
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote, unquote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
    SSLError,
)
from botocore.handlers import _quote_source_header_from_dict
from botocore.httpsession import get_cert_path
from botocore.parsers import create_parser
from botocore.utils import S3RegionRedirectorv2
from botocore.utils import parse_timestamp as botocore_parse_timestamp
from dateutil.tz import tzutc
from django.conf import settings
from urllib3.util.timeout import Timeout

from .netguard import EndpointRefused, check_connect_address, install_connect_guard, system_resolver


class Endpoint(Protocol):
    pk: Any
    endpoint_url: str
    region: str
    access_key: str
    secret_key: str
    addressing_style: str
    signature_version: str


# --- errors -------------------------------------------------------------------------


class S3Error(Exception):
    """An S3 call failed; `str(error)` is a message for the user."""

    status = 502

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class NotFound(S3Error):
    status = 404


class AccessDenied(S3Error):
    status = 403
    bare = False  # the endpoint gave no explanation: maybe wrong keys, maybe a denial


class InvalidCredentials(S3Error):
    status = 403


class NotImplementedByProvider(S3Error):
    status = 501


class Unavailable(S3Error):
    status = 503


class Invalid(S3Error):
    status = 400


class Conflict(S3Error):
    status = 409


class Refused(S3Error):
    """The console itself refused the endpoint (SSRF guard)."""

    status = 400


class TimedOut(Unavailable):
    """The endpoint did not answer within the call's deadline."""

    status = 504


class EndpointBusy(Unavailable):
    """Too many calls of this process already wait for this endpoint."""


class CircuitOpen(Unavailable):
    """The endpoint timed out repeatedly; the console does not try it for a while."""


class Redirected(S3Error):
    """The endpoint answered 3xx; the console never follows redirects (SSRF, loops)."""

    status = 502


class NotS3Endpoint(S3Error):
    """Something answered that is not an S3 endpoint (a web server, an HTML error page)."""

    status = 502


NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchKey", "NotFound", "404", "NoSuchUpload", "NoSuchVersion"}
DENIED_CODES = {"AccessDenied", "403", "AllAccessDisabled", "AccountProblem"}
CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidSecurity",
    "AuthorizationHeaderMalformed",
}
NOT_IMPLEMENTED_CODES = {"NotImplemented", "501", "MethodNotAllowed", "405", "UnsupportedOperation"}
# The "nothing configured" answers of the GET subresource calls.
NOT_CONFIGURED_CODES = {
    "NoSuchCORSConfiguration",
    "NoSuchLifecycleConfiguration",
    "NoSuchBucketPolicy",
    "NoSuchTagSet",
    "NoSuchTagSetError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchWebsiteConfiguration",
    "ReplicationConfigurationNotFoundError",
    "ObjectLockConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchObjectLockConfiguration",
}
CONFLICT_CODES = {"BucketNotEmpty", "BucketAlreadyExists", "BucketAlreadyOwnedByYou", "OperationAborted"}


def translate(exc: Exception, *, what: str = "", feature_call: bool = False) -> S3Error:
    """Turn a botocore exception into one of ours, with a message a user can act on."""
    subject = f" ({what})" if what else ""
    if isinstance(exc, S3Error):
        return exc
    if isinstance(exc, _OutOfTime):
        return translate(exc.original, what=what, feature_call=feature_call)
    if isinstance(exc, EndpointRefused):
        return Refused(str(exc))
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in NOT_FOUND_CODES or (status == 404 and not feature_call):
            if code == "NoSuchBucket":
                return NotFound(f"The bucket does not exist (any more){subject}.", code=code)
            return NotFound(f"Not found{subject}.", code=code or "404")
        if code in CREDENTIAL_CODES:
            return wrong_keys(code)
        if code in DENIED_CODES or status == 403:
            denied = AccessDenied(f"Access denied by the endpoint{subject}.", code=code or "403")
            # Without an explanation (Ceph RGW's answer to wrong keys, any HEAD) the console
            # asks once more to tell wrong keys from a real denial; see _keys_rejected.
            denied.bare = not message or code == "403"
            return denied
        if code in NOT_IMPLEMENTED_CODES or status in {405, 501}:
            return NotImplementedByProvider(
                f"This provider does not implement this operation{subject}.", code=code
            )
        if feature_call and status == 400 and code == "InvalidArgument" and not message:
            # RGW answers unsupported subresources with a bare 400 InvalidArgument, not 501.
            # A server that explains itself (AWS, MinIO, moto) sends a message: that one is
            # a real complaint about the request and is shown as such below. A bare
            # MalformedXML is a complaint too (RGW's answer to a CORS origin with two
            # wildcards), never "not implemented".
            return NotImplementedByProvider(
                f"This provider does not implement this operation{subject} (it answered {code}).",
                code=code,
            )
        if code in CONFLICT_CODES or status == 409:
            return Conflict(_conflict_message(code, message), code=code)
        if status >= 500:
            # botocore uses the status as the code when the body was no S3 error document.
            what_came = "with an error page that is not S3's" if code in {"", str(status)} else code
            return Unavailable(
                f"The endpoint answered {status} {what_came}{subject}; try again shortly.",
                code=code,
            )
        return Invalid(f"The endpoint refused the request{subject}: {message or code}.", code=code)
    if isinstance(exc, SSLError):
        return Unavailable("TLS handshake with the endpoint failed (certificate or protocol error).")
    if isinstance(exc, ConnectTimeoutError):
        return TimedOut(f"The endpoint did not accept a connection in time{subject}.")
    if isinstance(exc, ReadTimeoutError):
        return TimedOut(f"The endpoint accepted the connection but did not answer in time{subject}.")
    if isinstance(exc, EndpointConnectionError):
        return Unavailable("Could not connect to the endpoint (refused or unreachable).")
    if isinstance(exc, NoCredentialsError):
        return InvalidCredentials("The connection has no credentials.")
    if isinstance(exc, ParamValidationError):
        # botocore refused to send it: the input is wrong, not the endpoint.
        report = str(exc).split(":", 1)[-1].strip()
        return Invalid(f"The console did not send this request{subject}: {report}", code="ParamValidation")
    if isinstance(exc, BotoCoreError):
        return Unavailable(f"The request to the endpoint failed: {type(exc).__name__}.")
    if isinstance(exc, OSError):
        return Unavailable("The connection to the endpoint failed.")
    raise exc


def wrong_keys(code: str) -> InvalidCredentials:
    return InvalidCredentials(
        f"The endpoint rejected the access key or secret key ({code}): one of them is wrong. "
        "Check the connection's credentials.",
        code=code,
    )


def _conflict_message(code: str, message: str) -> str:
    return {
        "BucketNotEmpty": "The bucket is not empty. Delete its objects (and versions) first.",
        "BucketAlreadyExists": "That bucket name is taken (names are global on this endpoint).",
        "BucketAlreadyOwnedByYou": "You already own a bucket with that name.",
    }.get(code, message or code)


# --- limits: deadlines, per-endpoint concurrency, circuit breaker ------------------------------
# A silent endpoint may cost its own team a few seconds, never the site its threads. Every
# call has one deadline that covers its retries too (not timeouts per attempt that add up);
# each process lets only a few calls wait on one endpoint at once; and an endpoint that keeps
# timing out is skipped for a while, with the reason, instead of being waited for again.


@dataclass(frozen=True)
class _Budget:
    seconds: float  # for each call
    until: float | None = None  # shared by every call in the scope (time.monotonic())
    silence: float | None = None  # the longest wait for one answer; None: up to the deadline


@dataclass(frozen=True)
class _Deadline:
    end: float
    seconds: float  # what the user is told ("did not answer within 8 s")
    silence: float | None

    def remaining(self) -> float:
        return self.end - time.monotonic()


class _OutOfTime(Exception):
    """Raised from botocore's retry hook: the deadline passed, so no further attempt."""

    def __init__(self, original: Exception) -> None:
        super().__init__(str(original))
        self.original = original


_scope: ContextVar[_Budget | None] = ContextVar("console_s3_budget", default=None)
_active: ContextVar[_Deadline | None] = ContextVar("console_s3_deadline", default=None)
_process_budget: _Budget | None = None
_process_slots: int | None = None  # a worker process's bound on calls per endpoint
# With less time left than this an attempt cannot get an answer: do not start one.
_MIN_ATTEMPT_SECONDS = 0.25
_TEST_CONNECTION_SECONDS = 6.0


@contextmanager
def request_budget(seconds: float) -> Iterator[None]:
    """All S3 calls inside share one deadline `seconds` from now (one web request), and each
    call also keeps its own (CONSOLE_S3_DEADLINE)."""
    token = _scope.set(_Budget(settings.S3_DEADLINE, time.monotonic() + seconds))
    try:
        yield
    finally:
        _scope.reset(token)


def _patient_budget(seconds: float | None, silence: float | None) -> _Budget:
    return _Budget(seconds or settings.S3_PATIENT_DEADLINE, None, silence or settings.S3_PATIENT_READ_TIMEOUT)


@contextmanager
def patient(seconds: float | None = None, *, silence: float | None = None) -> Iterator[None]:
    """For work nobody waits for in a browser: worker jobs, CompleteMultipartUpload.

    Inside, each call may take `seconds` (CONSOLE_S3_PATIENT_DEADLINE) and the endpoint may
    stay silent for `silence` seconds (CONSOLE_S3_PATIENT_READ_TIMEOUT) before an answer; the
    web request's shared budget does not apply. Threads started inside do not inherit it
    (contextvars): call `use_patient_defaults()` once in a worker process instead.
    """
    token = _scope.set(_patient_budget(seconds, silence))
    try:
        yield
    finally:
        _scope.reset(token)


def use_patient_defaults() -> None:
    """Make `patient()` the default of this whole process, every thread included.

    For Celery worker processes (e.g. from the `worker_process_init` signal); never call it in
    a web process, where the short deadline is what keeps one endpoint from holding threads.
    """
    global _process_budget, _process_slots
    _process_budget = _patient_budget(None, None)
    # A worker's jobs run many calls at once on purpose (bulk copies, deletes, backfills);
    # the web's bound, which keeps one endpoint from holding a page's threads, would throttle them.
    _process_slots = settings.S3_WORKER_ENDPOINT_CONCURRENCY


def _deadline_for(*, fast: bool, timeout: float | None) -> _Deadline:
    now = time.monotonic()
    if timeout is not None:
        return _Deadline(now + timeout, timeout, timeout)
    budget = _scope.get() or _process_budget or _Budget(settings.S3_DEADLINE)
    seconds = min(budget.seconds, _TEST_CONNECTION_SECONDS) if fast else budget.seconds
    end = now + seconds
    if budget.until is not None and budget.until < end:
        end = budget.until
        seconds = max(0.0, end - now)
    return _Deadline(end, seconds, budget.silence)


class _DeadlineTimeout(Timeout):
    """urllib3 asks for the connect timeout right before it connects and for the read timeout
    right before it waits for the answer. Computing both from the call's deadline at those
    moments makes the deadline exact, whatever the retries and slow connects before."""

    def __init__(self, deadline: _Deadline, connect: float) -> None:
        super().__init__(connect=connect, read=deadline.silence)
        self._deadline = deadline

    def clone(self) -> _DeadlineTimeout:
        return _DeadlineTimeout(self._deadline, self._connect)

    @property
    def connect_timeout(self) -> float:  # type: ignore[override]
        return max(0.01, min(self._connect, self._deadline.remaining()))

    @property
    def read_timeout(self) -> float:  # type: ignore[override]
        left = max(0.0, self._deadline.remaining())  # 0 makes urllib3 raise ReadTimeoutError
        return left if self._read is None else min(self._read, left)


def _install_deadlines(api: Any, connect: float) -> None:
    def request_timeout(request: Any) -> Timeout | None:
        deadline = _active.get()
        return None if deadline is None else _DeadlineTimeout(deadline, connect)

    # botocore (>= 1.40) asks its HTTP session for a per-request timeout here. A private
    # hook, so tests/test_faults_silent_endpoint.py fails loudly should an upgrade drop it.
    api._endpoint.http_session._get_request_timeout = request_timeout


def _unregister_region_redirector(api: Any) -> None:
    """botocore's S3 region redirector re-sends 301/307/400 answers elsewhere; against an
    endpoint that always redirects it recursed until RecursionError. The console never
    follows a redirect, so take it out."""
    emitter = api.meta.events
    for event in ("needs-retry.s3", "before-parameter-build.s3", "before-endpoint-resolution.s3"):
        for handler in list(emitter._emitter._handlers.prefix_search(event)):
            if isinstance(getattr(handler, "__self__", None), S3RegionRedirectorv2):
                emitter.unregister(event, handler)


def _answers_xml(operation: Any) -> bool:
    """Whether a 2xx answer to this operation must be an S3 XML document. Answers that S3
    defines as headers only (PutBucketPolicy, PutObject) are not judged: some servers (moto)
    put other things in their bodies."""
    if operation is None or operation.has_streaming_output or operation.has_event_stream_output:
        return False
    shape = operation.output_shape
    if shape is None:
        return False
    payload = shape.serialization.get("payload")
    if payload is not None:
        return shape.members[payload].type_name == "structure"
    return any("location" not in member.serialization for member in shape.members.values())


def _not_s3(http: Any, status: int, operation: Any) -> str:
    """Why this answer cannot be from an S3 endpoint, or ""."""
    if status < 300 and not _answers_xml(operation):
        return ""
    body = http.content or b""  # error bodies and XML answers are read already
    head = body.lstrip()[:512].lower()
    if not head:
        return ""
    ctype = str(http.headers.get("content-type", "")).lower()
    html = ctype.startswith("text/html") or b"<html" in head or b"<!doctype html" in head
    if not html and head.startswith(b"<"):
        return ""
    if status >= 500:
        return ""  # a proxy's error page: worth a retry, reported as the status
    kind = "an HTML page" if html else "a document that is not XML"
    return (
        f"The endpoint answered {status} with {kind} instead of S3's XML: this URL is not an "
        "S3 endpoint (check the endpoint URL)."
    )


def _redirected(http: Any, status: int, parsed: dict) -> Redirected:
    location = "".join(c for c in str(http.headers.get("location", "")) if c.isprintable())[:300]
    region = str(http.headers.get("x-amz-bucket-region", ""))
    code = str(parsed.get("Error", {}).get("Code", "") or status)
    if location:
        text = f"The endpoint redirected to {location}, which the console does not follow."
    elif region:
        text = (f"The endpoint redirected to its region {region} ({code}), which the console does "
                "not follow: use that region's endpoint for this connection.")
    else:
        text = f"The endpoint answered {status} (a redirect), which the console does not follow."
    return Redirected(text, code=code)


def _judge_answer(response: Any = None, caught_exception: Exception | None = None, operation: Any = None,
                  **_kwargs: Any) -> None:
    """Runs before botocore decides on a retry (registered first)."""
    if response is not None:
        http, parsed = response
        # botocore turns a 200 with a non-XML body into a 500; urllib3 keeps what was said.
        status = int(getattr(http.raw, "status", 0) or http.status_code)
        if 300 <= status < 400 and status != 304:
            raise _redirected(http, status, parsed)
        problem = _not_s3(http, status, operation)
        if problem:
            raise NotS3Endpoint(problem, code=str(status))
    deadline = _active.get()
    if deadline is None or deadline.remaining() >= _MIN_ATTEMPT_SECONDS:
        return
    # Out of time: whatever failed is the answer; another attempt could not finish anyway.
    if caught_exception is not None:
        raise _OutOfTime(caught_exception)
    if response is not None and (response[0].status_code >= 500 or response[0].status_code == 429):
        raise _OutOfTime(ClientError(response[1], operation.name if operation else ""))


class _EndpointGuard:
    """Per process and endpoint host:port: a bound on calls waiting, and a circuit breaker."""

    def __init__(self, name: str, slots: int) -> None:
        self.name = name
        self.size = slots
        self.slots = threading.BoundedSemaphore(slots)
        self.lock = threading.Lock()
        self.timeouts = 0
        self.waited = 0.0
        self.open_until = 0.0
        self.open_until_utc: datetime | None = None
        self.probing = False

    def admit(self) -> bool:
        """Raise CircuitOpen while the breaker is open; True when this call is the one probe
        that may find out whether the endpoint answers again (half-open)."""
        with self.lock:
            if not self.open_until:
                return False
            if time.monotonic() < self.open_until or self.probing:
                raise CircuitOpen(self._reason(), code="CircuitOpen")
            self.probing = True
            return True

    def _reason(self) -> str:
        until = f" (until {self.open_until_utc:%H:%M:%S} UTC)" if self.open_until_utc else ""
        again = " A request is checking whether it answers again." if self.probing else ""
        return (
            f"The endpoint {self.name} did not answer within {self.waited:g} s, {self.timeouts} "
            f"time(s) in a row; the console stops trying it for {settings.S3_BREAKER_COOLDOWN:g} s"
            f"{until}.{again}"
        )

    def release_probe(self) -> None:
        with self.lock:
            self.probing = False

    def settle(self, *, probe: bool, timed_out: bool, waited: float) -> None:
        with self.lock:
            if probe:
                self.probing = False
            if not timed_out:
                self.timeouts, self.open_until, self.open_until_utc = 0, 0.0, None
                return
            self.timeouts += 1
            self.waited = round(waited, 1)
            if probe or self.timeouts >= settings.S3_BREAKER_THRESHOLD:
                cooldown = settings.S3_BREAKER_COOLDOWN
                self.open_until = time.monotonic() + cooldown
                self.open_until_utc = datetime.now(UTC) + timedelta(seconds=cooldown)


_guards: dict[str, _EndpointGuard] = {}
_guards_lock = threading.Lock()


def _endpoint_name(endpoint_url: str) -> str:
    parts = urlsplit(endpoint_url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    return f"{parts.hostname or endpoint_url}:{port}"


def endpoint_slots() -> int:
    """How many calls of this process may reach one endpoint at once (wider in a worker)."""
    return _process_slots or settings.S3_ENDPOINT_CONCURRENCY


def _guard_for(endpoint_url: str) -> _EndpointGuard:
    name = _endpoint_name(endpoint_url)
    with _guards_lock:
        guard = _guards.get(name)
        slots = endpoint_slots()
        if guard is None or guard.size != slots:
            guard = _guards[name] = _EndpointGuard(name, slots)
        return guard


def reset_limits() -> None:
    """Forget every breaker and slot (tests; an admin after fixing an endpoint)."""
    with _guards_lock:
        _guards.clear()
    _verdicts.clear()


def _is_timeout(exc: BaseException) -> bool:
    inner = exc.original if isinstance(exc, _OutOfTime) else exc
    return isinstance(inner, ConnectTimeoutError | ReadTimeoutError)


def _run(conn: Endpoint, method: str, params: dict[str, Any], *, what: str, feature_call: bool, fast: bool,
         timeout: float | None, quiet_codes: frozenset[str] | set[str] = frozenset()) -> Any:
    """One client call inside the limits above, with our error translation. A ClientError
    whose code is in `quiet_codes` answers None (a GET of a setting that is not configured)."""
    api = client(conn, fast=fast)
    subject = f" ({what})" if what else ""
    deadline = _deadline_for(fast=fast, timeout=timeout)
    if deadline.remaining() < _MIN_ATTEMPT_SECONDS:
        raise TimedOut(f"This page already waited {settings.S3_REQUEST_BUDGET:g} s for endpoints; "
                       f"the console did not ask again{subject}. Reload to try again.", code="Deadline")
    guard = _guard_for(conn.endpoint_url)
    probe = guard.admit()
    # A page waits for a slot only briefly; a worker's job (a patient deadline) as long as its
    # deadline allows, or a bulk job's threads would fail items while others hold the slots.
    patient_call = deadline.seconds > settings.S3_DEADLINE
    wait = deadline.remaining() if patient_call else min(settings.S3_ENDPOINT_QUEUE_SECONDS, deadline.remaining())
    if not guard.slots.acquire(timeout=max(0.0, wait)):
        if probe:
            guard.release_probe()
        raise EndpointBusy(
            f"The endpoint {guard.name} is slow: {guard.size} requests from this console already "
            f"wait for it{subject}. Try again in a moment.",
            code="Busy",
        )
    started = time.monotonic()
    token = _active.set(deadline)
    timed_out = False
    try:
        return getattr(api, method)(**params)
    except S3Error:
        raise
    except Exception as exc:  # noqa: BLE001 - translate() re-raises what it does not know
        if isinstance(exc, ClientError) and str(exc.response.get("Error", {}).get("Code", "")) in quiet_codes:
            return None
        if _is_timeout(exc):
            # A call that had next to no time left says nothing about the endpoint.
            timed_out = time.monotonic() - started >= min(1.0, deadline.seconds / 2)
            raise TimedOut(f"The endpoint did not answer in time{subject}: nothing came within {deadline.seconds:g} s.",
                           code="Timeout") from exc
        raise translate(exc, what=what, feature_call=feature_call) from exc
    finally:
        _active.reset(token)
        guard.slots.release()
        guard.settle(probe=probe, timed_out=timed_out, waited=deadline.seconds)


# Whether a connection's keys are wrong, per key digest, for a minute.
_verdicts: dict[tuple, tuple[float, bool]] = {}
_VERDICT_SECONDS = 60.0


def _keys_rejected(conn: Endpoint) -> bool:
    """Some servers (Ceph RGW) answer wrong keys with a bare AccessDenied, exactly like a real
    denial. A bucket that cannot exist tells them apart: valid keys get NoSuchBucket."""
    key = _cache_key(conn, False)
    cached = _verdicts.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    try:
        _run(conn, "list_objects_v2", {"Bucket": f"console-probe-{uuid.uuid4().hex}", "MaxKeys": 1},
             what="", feature_call=False, fast=True, timeout=None)
        rejected = False
    except NotFound:
        rejected = False
    except InvalidCredentials:
        rejected = True
    except AccessDenied as exc:
        rejected = exc.bare
    except S3Error:
        return False  # no verdict: say what the endpoint said
    _verdicts[key] = (time.monotonic() + _VERDICT_SECONDS, rejected)
    return rejected


# --- clients --------------------------------------------------------------------------

_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()
_build_lock = threading.Lock()
_session: Any = None
_ZERO = timedelta(0)


def fast_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser for S3's ISO 8601 times (`2026-01-02T03:04:05.000Z`), in C.

    botocore hands every timestamp to dateutil's general parser: for a listing of 1,000 keys
    that was a fifth of a page's CPU time (py-spy of gunicorn under bench/serve.py). A UTC ISO
    time is read by `datetime.fromisoformat` into the same value botocore makes (tzutc); any
    other form (RFC 822 headers, offsets, epochs, naive times) goes to botocore's parser as before.
    """
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and value[10:11] == "T":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None and parsed.utcoffset() == _ZERO:
                return parsed.replace(tzinfo=tzutc())
    return botocore_parse_timestamp(value)


def _cache_key(conn: Endpoint, fast: bool) -> tuple:
    secret_digest = hashlib.sha256(f"{conn.access_key}\0{conn.secret_key}".encode()).hexdigest()
    return (
        conn.endpoint_url,
        conn.region,
        conn.addressing_style,
        conn.signature_version,
        secret_digest,
        fast,
    )


def client(conn: Endpoint, *, fast: bool = False) -> Any:
    """A boto3 S3 client for this endpoint, cached per process.

    `fast` is for interactive checks ("Test connection"): one attempt, short timeouts.
    """
    if not conn.access_key or not conn.secret_key:
        # Without explicit keys boto3 would fall back to the server's own credentials.
        raise InvalidCredentials("The connection has no access key or secret key.")
    key = _cache_key(conn, fast)
    with _clients_lock:
        cached = _clients.get(key)
    if cached is not None:
        return cached
    # Building a client costs CPU, not I/O: a burst of requests for one new connection builds
    # it once instead of ten times over, starving every other request of the interpreter.
    with _build_lock:
        return _clients.get(key) or _build_client(conn, fast, key)


def _build_client(conn: Endpoint, fast: bool, key: tuple) -> Any:
    global _session
    config = Config(
        region_name=conn.region or "us-east-1",
        signature_version=conn.signature_version or "s3v4",
        s3={"addressing_style": conn.addressing_style or "path"},
        connect_timeout=2.5 if fast else settings.S3_CONNECT_TIMEOUT,
        read_timeout=6 if fast else settings.S3_READ_TIMEOUT,
        # total_max_attempts counts the first try; plain max_attempts would not.
        retries={"mode": "standard", "total_max_attempts": 1 if fast else settings.S3_MAX_ATTEMPTS},
        # Many S3-compatible stores reject or mishandle boto3's default CRC checksums.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        # At least one pooled connection per call the endpoint guard lets through at once.
        max_pool_connections=max(20, endpoint_slots()),
        user_agent_extra="s3-console",
    )
    if _session is None:
        # One session: it loads the S3 model once. Keys are given per client, never from it.
        _session = boto3.session.Session()
        _session._session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=fast_timestamp)
    new = _session.client(
        "s3",
        endpoint_url=conn.endpoint_url,
        aws_access_key_id=conn.access_key,
        aws_secret_access_key=conn.secret_key,
        config=config,
    )
    install_connect_guard(new, settings.CONSOLE_ENDPOINT_ALLOWLIST)
    _unregister_region_redirector(new)
    new.meta.events.register_first("needs-retry.s3", _judge_answer, unique_id="console-judge-answer")
    _install_deadlines(new, config.connect_timeout)
    with _clients_lock:
        _clients[key] = new
    return new


def call(conn: Endpoint, method: str, *, what: str = "", feature_call: bool = False, fast: bool = False,
         timeout: float | None = None, **params: Any) -> Any:
    """Run one client method within the call's deadline, with our error translation.

    `timeout` gives this call its own deadline in seconds (e.g. a long
    CompleteMultipartUpload); otherwise the scope's applies (`request_budget`, `patient`).
    """
    try:
        return _run(conn, method, params, what=what, feature_call=feature_call, fast=fast, timeout=timeout)
    except AccessDenied as exc:
        if exc.bare and _keys_rejected(conn):
            raise wrong_keys(exc.code) from None
        raise


def get_config(conn: Endpoint, method: str, *, what: str = "", timeout: float | None = None,
               **params: Any) -> dict | None:
    """A GET of a bucket subresource; None when nothing is configured."""
    try:
        return _run(conn, method, params, what=what, feature_call=True, fast=False, timeout=timeout,
                    quiet_codes=NOT_CONFIGURED_CODES)
    except AccessDenied as exc:
        if exc.bare and _keys_rejected(conn):
            raise wrong_keys(exc.code) from None
        raise


# --- connections and buckets -------------------------------------------------------------


@dataclass
class BucketInfo:
    name: str
    created: datetime | None = None
    region: str = ""


def test_connection(conn: Endpoint) -> list[BucketInfo]:
    """ListBuckets with short timeouts: proves the endpoint and the keys.

    A bare AccessDenied (Ceph RGW's answer to wrong keys too) is told apart by `call`.
    """
    try:
        response = call(conn, "list_buckets", fast=True, what="ListBuckets")
    except AccessDenied:
        raise AccessDenied("These keys are valid but may not list buckets.", code="AccessDenied") from None
    return [BucketInfo(b["Name"], b.get("CreationDate")) for b in response.get("Buckets", [])]


def list_buckets(conn: Endpoint) -> list[BucketInfo]:
    response = call(conn, "list_buckets", what="ListBuckets")
    return [
        BucketInfo(b["Name"], b.get("CreationDate"), b.get("BucketRegion", ""))
        for b in response.get("Buckets", [])
    ]


def head_bucket(conn: Endpoint, bucket: str) -> None:
    call(conn, "head_bucket", Bucket=bucket, what=bucket)


def create_bucket(
    conn: Endpoint,
    name: str,
    *,
    region: str = "",
    object_lock: bool = False,
    acl: str = "",
) -> None:
    # Many servers answer 200 when you re-create your own bucket: ask first.
    try:
        head_bucket(conn, name)
    except NotFound:
        pass
    except AccessDenied:
        raise Conflict(_conflict_message("BucketAlreadyExists", ""), code="BucketAlreadyExists") from None
    else:
        raise Conflict(_conflict_message("BucketAlreadyOwnedByYou", ""), code="BucketAlreadyOwnedByYou")
    region = region or conn.region
    params: dict[str, Any] = {"Bucket": name}
    if region and region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if object_lock:
        params["ObjectLockEnabledForBucket"] = True
    if acl:
        params["ACL"] = acl
    _forget_versioning(conn, name)
    call(conn, "create_bucket", what=name, **params)


def delete_bucket(conn: Endpoint, bucket: str) -> None:
    _forget_versioning(conn, bucket)
    call(conn, "delete_bucket", Bucket=bucket, what=bucket)
    _forget_versioning(conn, bucket)


def bucket_is_empty(conn: Endpoint, bucket: str) -> bool:
    response = call(conn, "list_objects_v2", Bucket=bucket, MaxKeys=1, what=bucket)
    if response.get("KeyCount", 0):
        return False
    try:
        versions = call(conn, "list_object_versions", Bucket=bucket, MaxKeys=1, what=bucket)
    except NotImplementedByProvider:
        return True
    return not (versions.get("Versions") or versions.get("DeleteMarkers"))


def get_versioning(conn: Endpoint, bucket: str) -> str:
    response = get_config(conn, "get_bucket_versioning", Bucket=bucket, what="versioning") or {}
    return response.get("Status", "")


def put_versioning(conn: Endpoint, bucket: str, enabled: bool) -> None:
    status = "Enabled" if enabled else "Suspended"
    try:
        call(
            conn,
            "put_bucket_versioning",
            Bucket=bucket,
            VersioningConfiguration={"Status": status},
            what="versioning",
            feature_call=True,
        )
    finally:
        _forget_versioning(conn, bucket)


# "Has this bucket ever had versioning?" decides whether the object browser offers "Show
# versions", and asking S3 on every page load doubled the requests of a page. A bucket never
# goes back to unversioned, so a yes is kept for VERSIONING_YES_TTL (only deleting the bucket
# and making one of the same name undoes it, and delete_bucket forgets it); a no is kept for
# VERSIONING_NO_TTL, and put_versioning in this process forgets it at once. Another process,
# or another tool, turning versioning on is seen within VERSIONING_NO_TTL.
VERSIONING_YES_TTL = 600.0
VERSIONING_NO_TTL = 30.0
_VERSIONING_SEEN_MAX = 4096
_versioning_seen: dict[tuple, tuple[float, bool]] = {}
_versioning_lock = threading.Lock()


def _versioning_cache_key(conn: Endpoint, bucket: str) -> tuple:
    return (conn.pk, conn.endpoint_url, conn.access_key, bucket)


def _forget_versioning(conn: Endpoint, bucket: str) -> None:
    with _versioning_lock:
        _versioning_seen.pop(_versioning_cache_key(conn, bucket), None)


def ever_versioned(conn: Endpoint, bucket: str) -> bool:
    """True when the bucket's versioning is Enabled or Suspended (asked at most every
    VERSIONING_NO_TTL seconds per bucket and process; see above)."""
    key, now = _versioning_cache_key(conn, bucket), time.monotonic()
    with _versioning_lock:
        seen = _versioning_seen.get(key)
    if seen and seen[0] > now:
        return seen[1]
    try:
        answer = get_versioning(conn, bucket) in {"Enabled", "Suspended"}
    except S3Error:
        # Denied, not implemented or unreachable: no toggle, and not asked again on every page.
        answer = False
    with _versioning_lock:
        if len(_versioning_seen) >= _VERSIONING_SEEN_MAX:
            _versioning_seen.clear()
        _versioning_seen[key] = (now + (VERSIONING_YES_TTL if answer else VERSIONING_NO_TTL), answer)
    return answer


# --- bucket and object settings -------------------------------------------------------------
# One function per S3 operation of the settings pages. Reads answer None when nothing is
# configured; writes take the configuration document as S3 spells it.


def _version(version_id: str) -> dict[str, str]:
    return {"VersionId": version_id} if version_id else {}


def versioning_config(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_versioning", Bucket=bucket, what="versioning")


def cors_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_cors", Bucket=bucket, what="CORS")


def cors_put(conn: Endpoint, bucket: str, rules: list[dict[str, Any]]) -> None:
    call(conn, "put_bucket_cors", feature_call=True, what="CORS", Bucket=bucket,
         CORSConfiguration={"CORSRules": rules})


def cors_delete(conn: Endpoint, bucket: str) -> None:
    call(conn, "delete_bucket_cors", feature_call=True, what="CORS", Bucket=bucket)


def lifecycle_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_lifecycle_configuration", Bucket=bucket, what="lifecycle")


def lifecycle_put(conn: Endpoint, bucket: str, rules: list[dict[str, Any]]) -> None:
    call(conn, "put_bucket_lifecycle_configuration", feature_call=True, what="lifecycle",
         Bucket=bucket, LifecycleConfiguration={"Rules": rules})


def lifecycle_delete(conn: Endpoint, bucket: str) -> None:
    call(conn, "delete_bucket_lifecycle", feature_call=True, what="lifecycle", Bucket=bucket)


def policy_get(conn: Endpoint, bucket: str) -> str:
    """The policy document as the endpoint sent it; "" when there is none."""
    answer = get_config(conn, "get_bucket_policy", Bucket=bucket, what="bucket policy")
    return str((answer or {}).get("Policy") or "")


def policy_put(conn: Endpoint, bucket: str, text: str) -> None:
    call(conn, "put_bucket_policy", feature_call=True, what="bucket policy", Bucket=bucket,
         Policy=text)


def policy_delete(conn: Endpoint, bucket: str) -> None:
    call(conn, "delete_bucket_policy", feature_call=True, what="bucket policy", Bucket=bucket)


def bucket_tags_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_tagging", Bucket=bucket, what="bucket tags")


def bucket_tags_put(conn: Endpoint, bucket: str, tag_set: list[dict[str, str]]) -> None:
    call(conn, "put_bucket_tagging", feature_call=True, what="bucket tags", Bucket=bucket,
         Tagging={"TagSet": tag_set})


def bucket_tags_delete(conn: Endpoint, bucket: str) -> None:
    call(conn, "delete_bucket_tagging", feature_call=True, what="bucket tags", Bucket=bucket)


def object_tags_get(conn: Endpoint, bucket: str, key: str, *, version_id: str = "") -> dict | None:
    return get_config(conn, "get_object_tagging", what="object tags", Bucket=bucket, Key=key,
                      **_version(version_id))


def object_tags_put(conn: Endpoint, bucket: str, key: str, tag_set: list[dict[str, str]], *,
                    version_id: str = "") -> None:
    call(conn, "put_object_tagging", feature_call=True, what="object tags", Bucket=bucket,
         Key=key, Tagging={"TagSet": tag_set}, **_version(version_id))


def object_tags_delete(conn: Endpoint, bucket: str, key: str, *, version_id: str = "") -> None:
    call(conn, "delete_object_tagging", feature_call=True, what="object tags", Bucket=bucket,
         Key=key, **_version(version_id))


def bucket_acl_get(conn: Endpoint, bucket: str) -> dict:
    return call(conn, "get_bucket_acl", feature_call=True, what="bucket ACL", Bucket=bucket)


def bucket_acl_put(conn: Endpoint, bucket: str, *, canned: str = "",
                   policy: dict[str, Any] | None = None) -> None:
    """A canned ACL, or a whole AccessControlPolicy (grants and owner)."""
    params: dict[str, Any] = {"ACL": canned} if canned else {"AccessControlPolicy": policy}
    call(conn, "put_bucket_acl", feature_call=True, what="bucket ACL", Bucket=bucket, **params)


def object_acl_get(conn: Endpoint, bucket: str, key: str, *, version_id: str = "") -> dict:
    return call(conn, "get_object_acl", feature_call=True, what="object ACL", Bucket=bucket,
                Key=key, **_version(version_id))


def object_acl_put(conn: Endpoint, bucket: str, key: str, canned: str, *,
                   version_id: str = "") -> None:
    call(conn, "put_object_acl", feature_call=True, what="object ACL", Bucket=bucket, Key=key,
         ACL=canned, **_version(version_id))


def public_access_block_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_public_access_block", Bucket=bucket, what="block public access")


def public_access_block_put(conn: Endpoint, bucket: str, flags: dict[str, bool]) -> None:
    call(conn, "put_public_access_block", feature_call=True, what="block public access",
         Bucket=bucket, PublicAccessBlockConfiguration=flags)


def default_encryption_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_encryption", Bucket=bucket, what="default encryption")


def default_encryption_put(conn: Endpoint, bucket: str, default: dict[str, str]) -> None:
    call(conn, "put_bucket_encryption", feature_call=True, what="default encryption",
         Bucket=bucket, ServerSideEncryptionConfiguration={
             "Rules": [{"ApplyServerSideEncryptionByDefault": default}]})


def default_encryption_delete(conn: Endpoint, bucket: str) -> None:
    call(conn, "delete_bucket_encryption", feature_call=True, what="default encryption",
         Bucket=bucket)


def website_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_website", Bucket=bucket, what="static website")


def website_put(conn: Endpoint, bucket: str, config: dict[str, Any]) -> None:
    call(conn, "put_bucket_website", feature_call=True, what="static website", Bucket=bucket,
         WebsiteConfiguration=config)


def website_delete(conn: Endpoint, bucket: str) -> None:
    call(conn, "delete_bucket_website", feature_call=True, what="static website", Bucket=bucket)


def logging_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_logging", Bucket=bucket, what="access logging")


def logging_put(conn: Endpoint, bucket: str, status: dict[str, Any]) -> None:
    """`status` is a BucketLoggingStatus: empty switches logging off."""
    call(conn, "put_bucket_logging", feature_call=True, what="access logging", Bucket=bucket,
         BucketLoggingStatus=status)


def object_lock_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_object_lock_configuration", Bucket=bucket, what="Object Lock")


def object_lock_put(conn: Endpoint, bucket: str, config: dict[str, Any]) -> None:
    call(conn, "put_object_lock_configuration", feature_call=True, what="Object Lock",
         Bucket=bucket, ObjectLockConfiguration=config)


def legal_hold_get(conn: Endpoint, bucket: str, key: str, *, version_id: str = "") -> dict | None:
    return get_config(conn, "get_object_legal_hold", what="legal hold", Bucket=bucket, Key=key,
                      **_version(version_id))


def legal_hold_put(conn: Endpoint, bucket: str, key: str, status: str, *,
                   version_id: str = "") -> None:
    call(conn, "put_object_legal_hold", feature_call=True, what="legal hold", Bucket=bucket,
         Key=key, LegalHold={"Status": status}, **_version(version_id))


def replication_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_replication", Bucket=bucket, what="replication")


def replication_put(conn: Endpoint, bucket: str, config: dict[str, Any]) -> None:
    call(conn, "put_bucket_replication", feature_call=True, what="replication", Bucket=bucket,
         ReplicationConfiguration=config)


def replication_delete(conn: Endpoint, bucket: str) -> None:
    call(conn, "delete_bucket_replication", feature_call=True, what="replication", Bucket=bucket)


def request_payment_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_request_payment", Bucket=bucket, what="requester pays")


def request_payment_put(conn: Endpoint, bucket: str, payer: str) -> None:
    call(conn, "put_bucket_request_payment", feature_call=True, what="requester pays",
         Bucket=bucket, RequestPaymentConfiguration={"Payer": payer})


def ownership_get(conn: Endpoint, bucket: str) -> dict | None:
    return get_config(conn, "get_bucket_ownership_controls", Bucket=bucket,
                      what="object ownership")


def ownership_put(conn: Endpoint, bucket: str, ownership: str) -> None:
    call(conn, "put_bucket_ownership_controls", feature_call=True, what="object ownership",
         Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})


# --- objects ------------------------------------------------------------------------------


@dataclass
class ObjectSummary:
    key: str
    size: int
    last_modified: datetime | None
    etag: str = ""
    storage_class: str = ""
    label: str = ""  # the key relative to the folder shown

    @property
    def name(self) -> str:
        stripped = self.key.rstrip("/")
        return stripped.rsplit("/", 1)[-1] if "/" in stripped else stripped


@dataclass
class Page:
    prefix: str
    folders: list[str] = field(default_factory=list)
    objects: list[ObjectSummary] = field(default_factory=list)
    next_token: str = ""
    truncated: bool = False


def list_page(
    conn: Endpoint,
    bucket: str,
    *,
    prefix: str = "",
    token: str = "",
    page_size: int = 100,
    delimiter: str = "/",
    start_after: str = "",
) -> Page:
    """One page of a listing, never the whole bucket (after `start_after`, when given)."""
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
    if delimiter:
        params["Delimiter"] = delimiter
    if token:
        params["ContinuationToken"] = token
    elif start_after:
        params["StartAfter"] = start_after
    response = call(conn, "list_objects_v2", what=bucket, **params)
    page = Page(prefix=prefix)
    page.folders = [p["Prefix"] for p in response.get("CommonPrefixes", []) if p.get("Prefix")]
    for item in response.get("Contents", []):
        if item["Key"] == prefix and prefix and delimiter:
            continue  # the folder marker of the folder being shown
        page.objects.append(
            ObjectSummary(
                key=item["Key"],
                size=item.get("Size", 0),
                last_modified=item.get("LastModified"),
                etag=item.get("ETag", "").strip('"'),
                storage_class=item.get("StorageClass", ""),
            )
        )
    page.truncated = bool(response.get("IsTruncated"))
    page.next_token = response.get("NextContinuationToken", "") if page.truncated else ""
    return page


@dataclass
class ObjectDetails:
    key: str
    size: int
    etag: str
    content_type: str
    last_modified: datetime | None
    storage_class: str
    version_id: str
    metadata: dict[str, str]
    cache_control: str = ""
    content_disposition: str = ""
    encryption: str = ""


def head_object(
    conn: Endpoint, bucket: str, key: str, *, version_id: str = "", extra: dict[str, Any] | None = None
) -> ObjectDetails:
    """`extra` carries SSE-C key parameters for objects encrypted with a customer key."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, **(extra or {})}
    if version_id:
        params["VersionId"] = version_id
    r = call(conn, "head_object", what=key, **params)
    return ObjectDetails(
        key=key,
        size=r.get("ContentLength", 0),
        etag=r.get("ETag", "").strip('"'),
        content_type=r.get("ContentType", ""),
        last_modified=r.get("LastModified"),
        storage_class=r.get("StorageClass", "STANDARD"),
        version_id=r.get("VersionId", "") or "",
        metadata=dict(r.get("Metadata", {})),
        cache_control=r.get("CacheControl", ""),
        content_disposition=r.get("ContentDisposition", ""),
        encryption=r.get("ServerSideEncryption", "") or r.get("SSECustomerAlgorithm", ""),
    )


@dataclass
class Download:
    body: Iterator[bytes]
    size: int
    content_type: str
    etag: str
    content_range: str = ""  # "bytes first-last/total" when a Range was asked for and honoured


def open_object(
    conn: Endpoint,
    bucket: str,
    key: str,
    *,
    version_id: str = "",
    byte_range: str = "",
    extra: dict[str, Any] | None = None,
) -> Download:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, **(extra or {})}
    if version_id:
        params["VersionId"] = version_id
    if byte_range:
        params["Range"] = byte_range
    r = call(conn, "get_object", what=key, **params)
    stream = r["Body"]

    def chunks() -> Iterator[bytes]:
        try:
            yield from stream.iter_chunks(chunk_size=256 * 1024)
        finally:
            stream.close()

    return Download(chunks(), r.get("ContentLength", 0), r.get("ContentType", ""), r.get("ETag", "").strip('"'),
                    r.get("ContentRange", "") or "")


def read_head(conn: Endpoint, bucket: str, key: str, limit: int) -> bytes:
    """The first `limit` bytes of an object, for previews."""
    download = open_object(conn, bucket, key, byte_range=f"bytes=0-{max(0, limit - 1)}")
    data = b"".join(download.body)
    return data[:limit]


def put_object(
    conn: Endpoint,
    bucket: str,
    key: str,
    body: bytes | BinaryIO,
    *,
    content_type: str = "",
    metadata: dict[str, str] | None = None,
    acl: str = "",
    extra: dict[str, Any] | None = None,
) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body}
    if content_type:
        params["ContentType"] = content_type
    if metadata:
        params["Metadata"] = metadata
    if acl:
        params["ACL"] = acl
    params.update(extra or {})
    response = call(conn, "put_object", what=key, **params)
    return response.get("ETag", "").strip('"')


def delete_objects(conn: Endpoint, bucket: str, keys: list[str]) -> tuple[list[str], dict[str, str]]:
    """Delete up to any number of keys in batches of 1000; returns (deleted, {key: error}).

    Quiet mode: the endpoint answers only the keys it could not delete, so a page of 1,000
    keys is not also 1,000 <Deleted> entries to build, send and parse (what s5cmd asks too)."""
    deleted: list[str] = []
    errors: dict[str, str] = {}
    for start in range(0, len(keys), 1000):
        batch = keys[start : start + 1000]
        response = call(
            conn,
            "delete_objects",
            Bucket=bucket,
            Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            what=bucket,
        )
        failed = {err.get("Key", ""): err.get("Message") or err.get("Code", "error") for err in response.get("Errors", [])}
        errors.update(failed)
        deleted += [k for k in batch if k not in failed]
    return deleted, errors


def delete_object(conn: Endpoint, bucket: str, key: str, *, version_id: str = "") -> None:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    call(conn, "delete_object", what=key, **params)


def presigned_get(conn: Endpoint, bucket: str, key: str, *, expires: int, disposition: str = "") -> str:
    """A link anyone can use to GET the object until it expires (signed locally)."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if disposition:
        params["ResponseContentDisposition"] = disposition
    try:
        url = client(conn).generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, what=key) from exc
    return browser_safe_link(url, key, path_style=(conn.addressing_style or "path") == "path")


DOT_SEGMENTS = {".", ".."}


def browser_safe_link(url: str, key: str, *, path_style: bool) -> str:
    """`url` with the key's slashes sent as %2F when the key has a `.` or `..` segment.

    Browsers remove dot segments from a path before sending it (`%2E` counts as a dot too), so
    `a/./b` would arrive as `a/b` and fail the signature. Inside one segment `a%2F.%2Fb` the dots
    are no segment of their own; the server decodes the path before it computes the canonical
    URI, so the signature over `a/./b` still matches (measured on Ceph RGW, which checks it).
    A key that *is* `.` or `..` also needs the slash before it encoded, which only path-style
    addressing has (the bucket's).
    """
    from urllib.parse import quote

    if not DOT_SEGMENTS & set(key.split("/")):
        return url
    base, sep, query = url.partition("?")
    sent = quote(key, safe="/~")  # how botocore writes the key into the path
    if not base.endswith("/" + sent):
        return url
    if key in DOT_SEGMENTS and not path_style:
        raise Invalid(f"A share link for a key named “{key}” cannot survive a browser on a "
                      "virtual-hosted endpoint: browsers drop that path segment.")
    head = base[: -len(sent) - 1]
    lead = "%2F" if key in DOT_SEGMENTS else "/"
    return f"{head}{lead}{quote(key, safe='~')}{sep}{query}"


# --- multipart ----------------------------------------------------------------------------


def multipart_create(
    conn: Endpoint, bucket: str, key: str, *, content_type: str = "", extra: dict[str, Any] | None = None
) -> str:
    return multipart_start(conn, bucket, key, content_type=content_type, extra=extra).upload_id


@dataclass(frozen=True)
class MultipartStarted:
    upload_id: str
    checksum: str  # PART_CHECKSUM when the endpoint said it keeps one per part, else ""


# The one part checksum the console asks for: SHA-256, which a browser computes natively
# (crypto.subtle) so a part is checked against what the user's own machine read from disk.
PART_CHECKSUM = "SHA256"
# What an endpoint answers when a part's bytes do not match the checksum they came with.
DAMAGED_CODES = {"BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch"}


def multipart_start(conn: Endpoint, bucket: str, key: str, *, content_type: str = "",
                    extra: dict[str, Any] | None = None, checksum: bool = False) -> MultipartStarted:
    """CreateMultipartUpload; with `checksum`, asking for a SHA-256 per part. Only an endpoint
    that answers with the algorithm keeps checksums: one that does not know the header
    (Ceph RGW 16.2) ignores it and makes a plain upload, and the parts then go without. One
    that refuses the request for it (400, 501) is asked again without: the upload must not
    fail for a check the user never asked for."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, **(extra or {})}
    if content_type:
        params["ContentType"] = content_type
    if checksum:
        try:
            answer = call(conn, "create_multipart_upload", what=key, ChecksumAlgorithm=PART_CHECKSUM, **params)
        except (Invalid, NotImplementedByProvider):
            pass  # asked again below, without it
        else:
            kept = PART_CHECKSUM if str(answer.get("ChecksumAlgorithm", "")).upper() == PART_CHECKSUM else ""
            return MultipartStarted(answer["UploadId"], kept)
    return MultipartStarted(call(conn, "create_multipart_upload", what=key, **params)["UploadId"], "")


def multipart_upload_part(
    conn: Endpoint,
    bucket: str,
    key: str,
    upload_id: str,
    number: int,
    body: bytes,
    *,
    extra: dict[str, Any] | None = None,
    timeout: float | None = None,
) -> str:
    """`timeout`: this part's own deadline (a part is megabytes; the scope's may be too short)."""
    response = call(
        conn,
        "upload_part",
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        PartNumber=number,
        Body=body,
        what=f"{key} part {number}",
        timeout=timeout,
        **(extra or {}),
    )
    return response["ETag"]


# --- a part streamed from the browser (the proxy route) -------------------------------------
# botocore wants a part's bytes whole and, over plain HTTP, hashes them for the SigV4 payload
# signature before it sends one. A presigned UploadPart URL signs UNSIGNED-PAYLOAD instead, so
# the console passes the browser's bytes on while they arrive, a slice at a time: nothing is
# hashed and at most one slice per part is in memory. The presigned URL never leaves this
# function (it carries a signature and the access key id), and only an SSE-C key's headers,
# which are signed into it, go with the body.

STREAM_SLICE_BYTES = 1024 * 1024
_STREAM_URL_SECONDS = 900  # used at once; as long as the clock skew header signatures allow
_SSE_C_HEADERS = {
    "SSECustomerAlgorithm": "x-amz-server-side-encryption-customer-algorithm",
    "SSECustomerKey": "x-amz-server-side-encryption-customer-key",
    "SSECustomerKeyMD5": "x-amz-server-side-encryption-customer-key-MD5",
}
_ERROR_BODY_LIMIT = 64 * 1024


class BodyIncomplete(Invalid):
    """The bytes to forward ran out (or stopped coming) before the announced length."""

    def __init__(self, message: str, *, received: int) -> None:
        super().__init__(message, code="IncompleteBody")
        self.received = received


def _sse_c_params(extra: dict[str, Any] | None) -> dict[str, str]:
    """SSE-C parameters as the headers carry them (base64 key and its MD5), computed here so
    that the headers sent are exactly those botocore signed into the URL."""
    extra = dict(extra or {})
    unknown = set(extra) - set(_SSE_C_HEADERS)
    if unknown:
        raise ValueError(f"a streamed part takes SSE-C parameters only, not {sorted(unknown)}")
    key = extra.get("SSECustomerKey")
    if key is None:
        return {}
    raw = key.encode() if isinstance(key, str) else bytes(key)
    return {"SSECustomerAlgorithm": str(extra.get("SSECustomerAlgorithm") or "AES256"),
            "SSECustomerKey": base64.b64encode(raw).decode(),
            "SSECustomerKeyMD5": base64.b64encode(hashlib.md5(raw, usedforsecurity=False).digest()).decode()}


_tls: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    """botocore's CA bundle, loaded once (it costs milliseconds of CPU per load)."""
    global _tls
    if _tls is None:
        _tls = ssl.create_default_context(cafile=get_cert_path(True))
    return _tls


def _pinned_addresses(host: str, port: int) -> list[str]:
    """The SSRF check of every other call, and then the addresses it approved: the socket
    connects to exactly those, so a second DNS answer cannot slip in (rebinding)."""
    approved: list[str] = []

    def resolve(name: str, number: int) -> list[str]:
        approved[:] = system_resolver(name, number)
        return approved

    check_connect_address(host, port, allowed_hosts=settings.CONSOLE_ENDPOINT_ALLOWLIST, resolver=resolve)
    return approved or [host]  # an IP literal, or an allowlisted name (anything it resolves to)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, addresses: list[str], connect_timeout: float,
                 tls: ssl.SSLContext | None) -> None:
        super().__init__(host, port, timeout=connect_timeout)
        self._addresses = addresses
        self._tls = tls
        self.default_port = 443 if tls is not None else 80  # the Host header omits it, as signed

    def connect(self) -> None:
        error: OSError | None = None
        for address in self._addresses:
            try:
                sock = socket.create_connection((address, self.port), timeout=self.timeout)
            except OSError as exc:
                error = exc
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host) if self._tls else sock
            return
        raise error or OSError("no address to connect to")


class _EndpointClock:
    """Counts only the time spent waiting for the endpoint (connecting, sending while it takes
    no bytes, its answer): the browser's own pace is not the endpoint's fault."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.waited = 0.0

    def left(self) -> float:
        return self.seconds - self.waited

    @contextmanager
    def wait(self, sock: socket.socket | None = None) -> Iterator[None]:
        left = self.left()
        if left <= 0:
            raise TimeoutError
        if sock is not None:
            sock.settimeout(left)
        started = time.monotonic()
        try:
            yield
        finally:
            self.waited += time.monotonic() - started


@dataclass
class _Answer:
    """What _not_s3 and _redirected read from an answer."""

    headers: Any
    content: bytes


# --- presigned URLs for the console's own requests ------------------------------------------
#
# botocore's generate_presigned_url costs ~0.7 ms of CPU per URL (parameter validation, the
# endpoint ruleset, the event chain): more than half of what a small server-side copy cost the
# worker, and the bound of bulk copies on two cores. The console signs the same URLs itself
# (SigV4 query auth, https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html),
# but only for a client, operation and bucket where it first checked that its own URL is
# exactly botocore's: the first URL of each comes from botocore, and is signed again here with
# botocore's timestamp. Anything botocore does differently (SigV2, a signing region other than
# the client's, a header it adds, virtual-host quirks) keeps botocore for that triple.

_UNRESOLVED = object()


@dataclass(frozen=True)
class _UrlShape:
    scheme: str
    netloc: str
    host: str  # the Host header as SigV4 signs it (no default port)
    path_before_key: str  # "/bucket/" (path style) or "/" (virtual host)
    scope_tail: str  # "<region>/s3/aws4_request"
    access_key: str
    secret_key: str = field(repr=False)  # never in a log line or a traceback's locals


_url_shapes: weakref.WeakKeyDictionary[Any, dict[tuple, _UrlShape | None]] = weakref.WeakKeyDictionary()
_url_shapes_lock = threading.Lock()


def _presigned(api: Any, operation: str, params: dict[str, Any], *, method: str, query: dict[str, str],
               headers: dict[str, str], expires: int) -> str:
    """The URL botocore's `generate_presigned_url(operation, params)` would make, signing the
    `headers` and carrying `query` (the operation's own query parameters, as botocore puts
    them): signed by the console where that was checked to be identical, by botocore elsewhere."""
    where = (operation, params["Bucket"], frozenset(query), frozenset(h.lower() for h in headers))
    with _url_shapes_lock:
        shape = _url_shapes.setdefault(api, {}).get(where, _UNRESOLVED)
    if isinstance(shape, _UrlShape):
        return _sign_url(shape, params["Key"], method, query, headers, expires)
    url = api.generate_presigned_url(operation, Params=dict(params), ExpiresIn=expires)
    if shape is _UNRESOLVED:
        learnt = _url_shape_of(api, url, params["Key"], method, query, headers, expires)
        with _url_shapes_lock:
            _url_shapes[api][where] = learnt
    return url


def _url_shape_of(api: Any, url: str, key: str, method: str, query: dict[str, str], headers: dict[str, str],
                  expires: int) -> _UrlShape | None:
    """How `url` (botocore's) is built, when signing it again here gives the very same URL."""
    parts = urlsplit(url)
    found = dict(pair.partition("=")[::2] for pair in parts.query.split("&"))
    encoded_key = quote(key, safe="/~")
    credentials = getattr(getattr(api, "_request_signer", None), "_credentials", None)
    if (found.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" or "X-Amz-Security-Token" in found
            or credentials is None or getattr(credentials, "token", None) or not parts.path.endswith(encoded_key)):
        return None
    access_key, _, scope_tail = unquote(found.get("X-Amz-Credential", "")).partition("/")
    date, _, scope_tail = scope_tail.partition("/")
    shape = _UrlShape(scheme=parts.scheme, netloc=parts.netloc, host=_signed_host(parts),
                      path_before_key=parts.path[: len(parts.path) - len(encoded_key)], scope_tail=scope_tail,
                      access_key=access_key, secret_key=credentials.secret_key)
    if access_key != credentials.access_key or date != found.get("X-Amz-Date", "")[:8]:
        return None
    mine = _sign_url(shape, key, method, query, headers, expires, stamp=found.get("X-Amz-Date", ""))
    ours, theirs = urlsplit(mine), parts
    same = (ours[:3] == theirs[:3] and sorted(ours.query.split("&")) == sorted(theirs.query.split("&")))
    return shape if same else None


def _signed_host(parts: Any) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != {"http": 80, "https": 443}.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


@functools.lru_cache(maxsize=64)
def _signing_key(secret_key: str, date: str, scope_tail: str) -> bytes:
    region, service, _ = scope_tail.split("/", 2)
    k = hmac.new(f"AWS4{secret_key}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _sign_url(shape: _UrlShape, key: str, method: str, query: dict[str, str], headers: dict[str, str],
              expires: int, *, stamp: str = "") -> str:
    stamp = stamp or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    date = stamp[:8]
    path = shape.path_before_key + quote(key, safe="/~")
    canonical_headers = {"host": shape.host, **{n.lower(): " ".join(v.split()) for n, v in headers.items()}}
    signed = ";".join(sorted(canonical_headers))
    auth = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{shape.access_key}/{date}/{shape.scope_tail}",
            "X-Amz-Date": stamp, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": signed}
    pairs = [(quote(str(k), safe="-_.~"), quote(str(v), safe="-_.~")) for k, v in (*query.items(), *auth.items())]
    canonical = "\n".join((method, path, "&".join(f"{k}={v}" for k, v in sorted(pairs)),
                           "".join(f"{n}:{canonical_headers[n]}\n" for n in sorted(canonical_headers)), signed,
                           "UNSIGNED-PAYLOAD"))
    to_sign = "\n".join(("AWS4-HMAC-SHA256", stamp, f"{date}/{shape.scope_tail}",
                         hashlib.sha256(canonical.encode()).hexdigest()))
    signature = hmac.new(_signing_key(shape.secret_key, date, shape.scope_tail), to_sign.encode(),
                         hashlib.sha256).hexdigest()
    return f"{shape.scheme}://{shape.netloc}{path}?{'&'.join(f'{k}={v}' for k, v in pairs)}&X-Amz-Signature={signature}"


@dataclass
class _Exchange:
    """One request the console sends itself on a presigned URL (outside botocore)."""

    clock: _EndpointClock
    host: str
    port: int
    tls: ssl.SSLContext | None
    target: str  # path?query as signed
    timed_out: bool = False

    def new_wire(self) -> _PinnedHTTPConnection:
        return _PinnedHTTPConnection(self.host, self.port, addresses=_pinned_addresses(self.host, self.port),
                                     connect_timeout=max(0.01, min(settings.S3_CONNECT_TIMEOUT, self.clock.left())),
                                     tls=self.tls)


@contextmanager
def _raw_exchange(conn: Endpoint, url: str, *, timeout: float | None, subject: str, doing: str) -> Iterator[_Exchange]:
    """What every botocore call gets, for a request the console sends itself: the scope's
    deadline (or `timeout`) for the time spent waiting on the endpoint, one of its slots and its
    breaker, the SSRF check with pinned addresses (`new_wire`), and the same errors."""
    deadline = _deadline_for(fast=False, timeout=timeout)
    clock = _EndpointClock(deadline.seconds)
    parts = urlsplit(url)
    tls = _tls_context() if parts.scheme == "https" else None
    guard = _guard_for(conn.endpoint_url)
    probe = guard.admit()
    if not guard.slots.acquire(timeout=max(0.0, min(settings.S3_ENDPOINT_QUEUE_SECONDS, clock.left()))):
        if probe:
            guard.release_probe()
        raise EndpointBusy(f"The endpoint {guard.name} is slow: {guard.size} requests from this console already "
                           f"wait for it{subject}. Try again in a moment.", code="Busy")
    exchange = _Exchange(clock, parts.hostname or "", parts.port or (443 if tls else 80), tls,
                         f"{parts.path}?{parts.query}")
    try:
        yield exchange
    except (BodyIncomplete, S3Error):
        raise
    except EndpointRefused as exc:
        raise Refused(str(exc)) from exc
    except TimeoutError as exc:  # socket.timeout is TimeoutError
        exchange.timed_out = clock.waited >= min(1.0, clock.seconds / 2)
        raise TimedOut(f"The endpoint did not answer in time{subject}: nothing came within {clock.seconds:g} s.",
                       code="Timeout") from exc
    except ssl.SSLError as exc:
        raise Unavailable("TLS handshake with the endpoint failed (certificate or protocol error).") from exc
    except (ConnectionRefusedError, socket.gaierror) as exc:
        raise Unavailable("Could not connect to the endpoint (refused or unreachable).") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise Unavailable(f"The connection to the endpoint broke while {doing}{subject}; try again.") from exc
    finally:
        guard.slots.release()
        guard.settle(probe=probe, timed_out=exchange.timed_out, waited=clock.waited)


def _raise_answer(conn: Endpoint, api: Any, operation: str, status: int, headers: Any, body: bytes, what: str):
    """The endpoint's answer that is not what was asked for, judged and translated as every
    botocore call's is (redirects, not S3, error XML, wrong keys)."""
    shim = _Answer(headers, body)
    if 300 <= status < 400 and status != 304:
        raise _redirected(shim, status, {})
    problem = _not_s3(shim, status, None)
    if problem or status < 300:
        raise NotS3Endpoint(problem or f"The endpoint answered {status} to {operation} ({what}) without what S3 "
                            "sends: this URL is not an S3 endpoint (check the endpoint URL).", code=str(status))
    model = api.meta.service_model.operation_model(operation)
    parsed = create_parser("rest-xml").parse(
        {"status_code": status, "headers": {k.lower(): v for k, v in headers.items()}, "body": body},
        model.output_shape)
    parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = status
    if status == 404 and not body:
        parsed.setdefault("Error", {}).setdefault("Code", "NoSuchKey")
    error = translate(ClientError(parsed, operation), what=what)
    if isinstance(error, AccessDenied) and error.bare and _keys_rejected(conn):
        raise wrong_keys(error.code)
    raise error


def multipart_upload_part_stream(
    conn: Endpoint,
    bucket: str,
    key: str,
    upload_id: str,
    number: int,
    read: Any,
    length: int,
    *,
    extra: dict[str, Any] | None = None,
    timeout: float | None = None,
    sha256: str = "",
) -> str:
    """Send `length` bytes from `read(n)` as part `number` while they arrive; its ETag.

    `timeout` (else the scope's deadline) bounds the time spent waiting for the endpoint, not
    the time `read` takes. One attempt: the bytes are gone once sent, so the caller's client
    retries the part. A `read` that runs dry or fails raises BodyIncomplete, and the endpoint
    then sees a short body and stores nothing. `extra`: SSE-C parameters only. `sha256`: the
    part's SHA-256 (base64) as the browser computed it, signed into the URL and sent as
    x-amz-checksum-sha256, so the endpoint refuses bytes that changed on the way.
    """
    what = f"{key} part {number}"
    subject = f" ({what})"
    sse = _sse_c_params(extra)
    params = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": number, **sse}
    if sha256:
        params["ChecksumSHA256"] = sha256
    api = client(conn)
    try:
        url = api.generate_presigned_url("upload_part", Params=params, ExpiresIn=_STREAM_URL_SECONDS)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, what=what) from exc
    received = 0

    def take() -> bytes:
        nonlocal received
        try:
            chunk = read(min(STREAM_SLICE_BYTES, length - received))
        except OSError as exc:  # the browser's connection broke or stalled
            raise BodyIncomplete(f"The part stopped arriving ({received} of {length} bytes).",
                                 received=received) from exc
        received += len(chunk)
        if not chunk:
            raise BodyIncomplete(f"The part arrived incomplete ({received} of {length} bytes).", received=received)
        return chunk

    # The first bytes before anything else: a browser slow to start holds no endpoint slot.
    chunk = take() if length else b""
    wire: _PinnedHTTPConnection | None = None
    try:
        with _raw_exchange(conn, url, timeout=timeout, subject=subject, doing="sending") as exchange:
            clock = exchange.clock
            wire = exchange.new_wire()
            with clock.wait():
                wire.connect()
            wire.putrequest("PUT", exchange.target, skip_accept_encoding=True)
            wire.putheader("Content-Length", str(length))
            wire.putheader("User-Agent", "s3-console")
            for name, value in sse.items():
                wire.putheader(_SSE_C_HEADERS[name], value)
            if sha256:
                wire.putheader("x-amz-checksum-sha256", sha256)
            with clock.wait(wire.sock):
                wire.endheaders()
            try:
                while chunk:
                    with clock.wait(wire.sock):
                        wire.sock.sendall(chunk)
                    chunk = take() if received < length else b""
            except (BrokenPipeError, ConnectionResetError):
                pass  # the endpoint may have answered before it read the body (a refusal): read that
            with clock.wait(wire.sock):
                answer = wire.getresponse()
                status = answer.status
                body = answer.read(_ERROR_BODY_LIMIT)
    finally:
        if wire is not None:
            wire.close()
    return _part_answer(conn, api, status, answer.headers, body, what)


def _part_answer(conn: Endpoint, api: Any, status: int, headers: Any, body: bytes, what: str) -> str:
    """The ETag of a 2xx; otherwise the endpoint's answer judged and translated."""
    etag = str(headers.get("ETag", "") or "")
    if 200 <= status < 300 and etag:
        return etag
    if 200 <= status < 300:
        raise NotS3Endpoint(_not_s3(_Answer(headers, body), status, None)
                            or f"The endpoint answered {status} without an ETag to a part: this URL is not "
                            "an S3 endpoint (check the endpoint URL).", code=str(status))
    _raise_answer(conn, api, "UploadPart", status, headers, body, what)


# --- objects read in bulk: GET on a presigned URL over kept-alive pinned connections ---------------
#
# botocore's GetObject costs about 2 ms of CPU per call besides the bytes (signing through its
# event system, parsing, hooks): a zip of 1,000 small objects read them at 185 MiB/s with 8
# threads where the same GETs on presigned URLs reached 339 MiB/s (RGW, measured). The zip reads
# through this path; the checks are those of every call: the SSRF check with pinned addresses,
# the endpoint's slots and breaker, a deadline for the answer, no redirects, errors translated.

_idle_wires: dict[tuple, list[_PinnedHTTPConnection]] = {}
_idle_lock = threading.Lock()
_IDLE_PER_ENDPOINT = 32


def _wire_take(host: str, port: int, tls: ssl.SSLContext | None, connect_timeout: float) -> _PinnedHTTPConnection:
    with _idle_lock:
        idle = _idle_wires.get((host, port, tls is not None))
        if idle:
            return idle.pop()
    return _PinnedHTTPConnection(host, port, addresses=_pinned_addresses(host, port), connect_timeout=connect_timeout,
                                 tls=tls)


def _wire_give_back(wire: _PinnedHTTPConnection, tls: bool) -> None:
    with _idle_lock:
        idle = _idle_wires.setdefault((wire.host, wire.port, tls), [])
        if len(idle) < _IDLE_PER_ENDPOINT:
            idle.append(wire)
            return
    wire.close()


def _send_kept_alive(exchange: _Exchange, method: str, headers: dict[str, str]) -> tuple[
        _PinnedHTTPConnection, socket.socket, http.client.HTTPResponse]:
    """Send a bodiless request on an idle kept-alive connection (or a new one) and read the
    answer's head; a kept-alive connection the endpoint closed meanwhile is tried once more, anew.
    The caller closes the connection, or gives it back once the body was read."""
    clock = exchange.clock
    for attempt in (1, 2):
        connect_timeout = max(0.01, min(settings.S3_CONNECT_TIMEOUT, clock.left()))
        wire = (_wire_take(exchange.host, exchange.port, exchange.tls, connect_timeout) if attempt == 1
                else exchange.new_wire())
        reused = wire.sock is not None
        try:
            if not reused:
                with clock.wait():
                    wire.connect()
            wire.putrequest(method, exchange.target, skip_accept_encoding=True)
            wire.putheader("User-Agent", "s3-console")
            for name, value in headers.items():
                wire.putheader(name, value)
            sock = wire.sock
            with clock.wait(sock):
                wire.endheaders()
                return wire, sock, wire.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            wire.close()
            if not reused or attempt == 2:
                raise
        except BaseException:
            wire.close()
            raise
    raise AssertionError("unreachable")


def stream_object(conn: Endpoint, bucket: str, key: str, *, timeout: float | None = None) -> Download:
    """GetObject of the current version as a stream of 256 KiB chunks, for reading many objects
    (the zip). Same errors as `open_object`; `timeout` (else the scope's deadline) bounds the
    wait for the answer and for each chunk. A kept-alive connection goes back to the idle pool
    only when its body was read to the end."""
    what = key
    api = client(conn)
    try:
        url = _presigned(api, "get_object", {"Bucket": bucket, "Key": key}, method="GET", query={}, headers={},
                         expires=_STREAM_URL_SECONDS)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, what=what) from exc
    wire: _PinnedHTTPConnection | None = None
    try:
        with _raw_exchange(conn, url, timeout=timeout, subject=f" ({what})", doing="reading") as exchange:
            tls, chunk_seconds = exchange.tls, exchange.clock.seconds
            wire, sock, answer = _send_kept_alive(exchange, "GET", {})
            if answer.status != 200:
                body = answer.read(_ERROR_BODY_LIMIT)
                wire.close()
                _raise_answer(conn, api, "GetObject", answer.status, answer.headers, body, what)
    except BaseException:
        if wire is not None:
            wire.close()
        raise
    size = int(answer.headers.get("Content-Length") or 0)

    def chunks() -> Iterator[bytes]:
        done = False
        try:
            sock.settimeout(chunk_seconds)  # the response reads from it even after "Connection: close"
            while chunk := answer.read(256 * 1024):
                yield chunk
            done = True
        except TimeoutError as exc:
            raise TimedOut(f"The endpoint stopped sending {what}: nothing came within {chunk_seconds:g} s.",
                           code="Timeout") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise Unavailable(f"The connection to the endpoint broke while reading {what}; try again.") from exc
        finally:
            if done and not answer.will_close:
                _wire_give_back(wire, tls is not None)
            else:
                wire.close()

    return Download(chunks(), size, answer.headers.get("Content-Type", ""),
                    str(answer.headers.get("ETag", "")).strip('"'))


@dataclass(frozen=True)
class StoredPart:
    etag: str
    size: int
    sha256: str = ""  # the part's checksum where the endpoint keeps one (ListParts)


def multipart_parts(conn: Endpoint, bucket: str, key: str, upload_id: str) -> dict[int, StoredPart]:
    """Every part the endpoint holds for this upload (all pages of ListParts)."""
    parts: dict[int, StoredPart] = {}
    marker = 0
    while True:
        response = call(
            conn, "list_parts", Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker, what=key
        )
        for part in response.get("Parts", []):
            parts[part["PartNumber"]] = StoredPart(part["ETag"], int(part.get("Size", 0)),
                                                   str(part.get("ChecksumSHA256") or ""))
        next_marker = int(response.get("NextPartNumberMarker") or 0)
        # A server that says "truncated" without moving the marker on would loop for ever.
        if not response.get("IsTruncated") or next_marker <= marker:
            return parts
        marker = next_marker


def multipart_list_parts(conn: Endpoint, bucket: str, key: str, upload_id: str) -> dict[int, str]:
    return {number: part.etag for number, part in multipart_parts(conn, bucket, key, upload_id).items()}


def multipart_presign_part(conn: Endpoint, bucket: str, key: str, upload_id: str, number: int, *,
                           expires: int, sha256: str = "") -> str:
    """A URL the browser can PUT one part's bytes to, straight to the endpoint (signed locally).
    With `sha256` the URL signs the x-amz-checksum-sha256 header, which the browser must send
    with exactly that value: S3 ignores a checksum in a presigned URL's query string."""
    params = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": number}
    if sha256:
        params["ChecksumSHA256"] = sha256
    try:
        return client(conn).generate_presigned_url("upload_part", Params=params, ExpiresIn=expires)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, what=f"{key} part {number}") from exc


def multipart_complete(
    conn: Endpoint,
    bucket: str,
    key: str,
    upload_id: str,
    parts: dict[int, str],
    *,
    head_extra: dict[str, Any] | None = None,
    timeout: float | None = None,
    sha256: dict[int, str] | None = None,
) -> str:
    """`timeout` defaults to CONSOLE_S3_COMPLETE_TIMEOUT: a server may stay silent for minutes
    while it assembles a large object, and giving up then leaves the outcome unknown.
    `sha256`: the parts' checksums, which S3 wants back for an upload that keeps them."""
    checksums = sha256 or {}
    call(
        conn,
        "complete_multipart_upload",
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": parts[n],
                                    **({"ChecksumSHA256": checksums[n]} if checksums.get(n) else {})}
                                   for n in sorted(parts)]},
        what=key,
        timeout=timeout or settings.S3_COMPLETE_TIMEOUT,
    )
    # RGW 16.2 returns an empty ETag from CompleteMultipartUpload: ask again.
    return head_object(conn, bucket, key, extra=head_extra).etag


def multipart_abort(conn: Endpoint, bucket: str, key: str, upload_id: str) -> None:
    try:
        call(conn, "abort_multipart_upload", Bucket=bucket, Key=key, UploadId=upload_id, what=key)
    except NotFound:
        pass  # already completed or aborted: nothing is left behind


@dataclass
class PendingUpload:
    key: str
    upload_id: str
    initiated: datetime | None


def multipart_pending(conn: Endpoint, bucket: str, *, prefix: str = "", limit: int = 1000) -> list[PendingUpload]:
    response = call(conn, "list_multipart_uploads", Bucket=bucket, Prefix=prefix, MaxUploads=limit, what=bucket)
    return [PendingUpload(u["Key"], u["UploadId"], u.get("Initiated")) for u in response.get("Uploads", [])]


@dataclass
class ObjectVersion:
    key: str
    version_id: str
    is_latest: bool
    is_delete_marker: bool
    size: int
    last_modified: datetime | None
    etag: str = ""


def list_versions(conn: Endpoint, bucket: str, key: str, *, limit: int = 100) -> list[ObjectVersion]:
    """The versions and delete markers of one key (one page, newest first)."""
    response = call(conn, "list_object_versions", Bucket=bucket, Prefix=key, MaxKeys=limit, what=key, feature_call=True)
    found = [
        ObjectVersion(v["Key"], v.get("VersionId") or "null", bool(v.get("IsLatest")), False, v.get("Size", 0),
                      v.get("LastModified"), v.get("ETag", "").strip('"'))
        for v in response.get("Versions", [])
        if v["Key"] == key
    ] + [
        ObjectVersion(m["Key"], m.get("VersionId") or "null", bool(m.get("IsLatest")), True, 0, m.get("LastModified"))
        for m in response.get("DeleteMarkers", [])
        if m["Key"] == key
    ]
    return sorted(found, key=lambda v: v.last_modified or datetime.min, reverse=True)


# --- bulk work: versions, copies, incomplete uploads (the bulk jobs of buckets/jobs) --------


@dataclass
class VersionPage:
    versions: list[ObjectVersion]
    next_key_marker: str = ""
    next_version_marker: str = ""
    truncated: bool = False
    storage_classes: dict[tuple[str, str], str] = field(default_factory=dict)  # (key, version) -> class
    folders: list[str] = field(default_factory=list)  # common prefixes, with a delimiter


def list_versions_page(conn: Endpoint, bucket: str, *, prefix: str = "", key_marker: str = "",
                       version_marker: str = "", page_size: int = 1000, delimiter: str = "") -> VersionPage:
    """One page of every version and delete marker under `prefix`, in key order.

    With a `delimiter` (the browser's "/"), keys below a folder come back as `folders` instead.
    """
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": page_size}
    if delimiter:
        params["Delimiter"] = delimiter
    if key_marker:
        params["KeyMarker"] = key_marker
        if version_marker:
            params["VersionIdMarker"] = version_marker
    r = call(conn, "list_object_versions", what=bucket, feature_call=True, **params)
    page = VersionPage([])
    page.folders = [p["Prefix"] for p in r.get("CommonPrefixes", []) if p.get("Prefix")]
    for v in r.get("Versions", []):
        vid = v.get("VersionId") or "null"
        page.versions.append(ObjectVersion(v["Key"], vid, bool(v.get("IsLatest")), False, v.get("Size", 0),
                                           v.get("LastModified"), v.get("ETag", "").strip('"')))
        page.storage_classes[(v["Key"], vid)] = v.get("StorageClass") or "STANDARD"
    for m in r.get("DeleteMarkers", []):
        page.versions.append(ObjectVersion(m["Key"], m.get("VersionId") or "null", bool(m.get("IsLatest")), True,
                                           0, m.get("LastModified")))
    # Versions and markers come in two lists; one key order makes checkpoints possible.
    page.versions.sort(key=lambda v: v.key)
    page.truncated = bool(r.get("IsTruncated"))
    if page.truncated:
        page.next_key_marker = r.get("NextKeyMarker", "") or (page.versions[-1].key if page.versions else "")
        page.next_version_marker = r.get("NextVersionIdMarker", "") or ""
    return page


def delete_versions(conn: Endpoint, bucket: str, items: list[tuple[str, str]], *,
                    bypass_governance: bool = False) -> tuple[list[tuple[str, str]], dict[tuple[str, str], str]]:
    """Delete exact versions (key, version id) in batches of 1000: (deleted, {item: reason})."""
    deleted: list[tuple[str, str]] = []
    errors: dict[tuple[str, str], str] = {}
    for start in range(0, len(items), 1000):
        batch = items[start : start + 1000]
        params: dict[str, Any] = {"Bucket": bucket, "Delete": {  # Quiet: only failures come back
            "Objects": [{"Key": k, "VersionId": v} for k, v in batch], "Quiet": True}}
        if bypass_governance:
            params["BypassGovernanceRetention"] = True
        r = call(conn, "delete_objects", what=bucket, **params)
        for err in r.get("Errors", []):
            code, message = err.get("Code", ""), err.get("Message", "")
            if code == "AccessDenied":
                message = ("Object Lock protects this version (retention or legal hold)"
                           + ("" if bypass_governance else "; an admin may bypass governance retention")
                           + f": {message or code}")
            errors[(err.get("Key", ""), err.get("VersionId") or "null")] = message or code or "error"
        deleted += [(k, v or "null") for k, v in batch if (k, v or "null") not in errors]
    return deleted, errors


@dataclass
class SourceObject:
    """What a copy must carry over: size, ETag, content headers, metadata, tags, class."""

    key: str
    size: int
    etag: str
    storage_class: str
    encryption: str
    headers: dict[str, Any]  # ContentType, CacheControl, ... and Metadata, as PutObject takes them
    tags: str = ""  # URL-encoded, as the Tagging parameter takes them


_CONTENT_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage",
                    "Expires", "WebsiteRedirectLocation")


def copy_source_get(conn: Endpoint, bucket: str, key: str, *, with_tags: bool = True) -> SourceObject:
    from urllib.parse import urlencode

    r = call(conn, "head_object", what=key, Bucket=bucket, Key=key)
    headers: dict[str, Any] = {h: r[h] for h in _CONTENT_HEADERS if r.get(h)}
    if r.get("Metadata"):
        headers["Metadata"] = dict(r["Metadata"])
    tags = ""
    if with_tags:
        try:
            tag_set = call(conn, "get_object_tagging", what=key, feature_call=True, Bucket=bucket, Key=key)
            tags = urlencode([(t["Key"], t["Value"]) for t in tag_set.get("TagSet", [])])
        except NotImplementedByProvider:
            tags = ""
    return SourceObject(key=key, size=r.get("ContentLength", 0), etag=r.get("ETag", "").strip('"'),
                        storage_class=r.get("StorageClass") or "STANDARD",
                        encryption=r.get("ServerSideEncryption", "") or r.get("SSECustomerAlgorithm", ""),
                        headers=headers, tags=tags)


def object_exists(conn: Endpoint, bucket: str, key: str) -> bool:
    try:
        call(conn, "head_object", what=key, Bucket=bucket, Key=key)
    except NotFound:
        return False
    return True


_COPY_HEADERS = {"MetadataDirective": "x-amz-metadata-directive", "TaggingDirective": "x-amz-tagging-directive",
                 "StorageClass": "x-amz-storage-class"}
_COPY_ETAG = re.compile(rb"<ETag>([^<]*)</ETag>")


def copy_object(conn: Endpoint, bucket: str, key: str, *, source_bucket: str, source_key: str,
                storage_class: str = "") -> str:
    """Server-side copy on one endpoint; metadata, content headers and tags come along.

    Sent by the console itself on a presigned URL over a kept-alive pinned connection, with
    every call's rules (`_raw_exchange`): through botocore a CopyObject cost ~3 ms of CPU, which
    bounded a bulk copy's rate on two cores (docs/benchmarks-bulk.md). Where the presigned URL
    would sign anything but the headers sent here (SigV2, or a botocore that adds one), the copy
    goes through botocore as before. Up to S3_MAX_ATTEMPTS tries on a 5xx, as botocore would."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "CopySource": {"Bucket": source_bucket, "Key": source_key},
                              "MetadataDirective": "COPY", "TaggingDirective": "COPY"}
    if storage_class and storage_class != "STANDARD":
        params["StorageClass"] = storage_class  # CopyObject otherwise writes STANDARD
    what = source_key
    api = client(conn)
    headers = {"x-amz-copy-source": _quote_source_header_from_dict(params["CopySource"]),
               **{name: params[field] for field, name in _COPY_HEADERS.items() if field in params}}
    try:
        url = _presigned(api, "copy_object", params, method="PUT", query={}, headers=headers,
                         expires=_STREAM_URL_SECONDS)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, what=what) from exc
    signed = "X-Amz-SignedHeaders=" + quote(";".join(sorted({"host", *headers})), safe="-_.~")
    if f"&{signed}&" not in url.replace("?", "&"):
        r = call(conn, "copy_object", what=source_key, **params)
        return r.get("CopyObjectResult", {}).get("ETag", "").strip('"')
    for attempt in range(1, max(1, settings.S3_MAX_ATTEMPTS) + 1):
        try:
            return _copy_raw(conn, api, url, headers, what)
        except Unavailable as exc:
            if isinstance(exc, TimedOut | EndpointBusy | CircuitOpen) or attempt >= settings.S3_MAX_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def _copy_raw(conn: Endpoint, api: Any, url: str, headers: dict[str, str], what: str) -> str:
    wire: _PinnedHTTPConnection | None = None
    try:
        with _raw_exchange(conn, url, timeout=None, subject=f" ({what})", doing="copying") as exchange:
            tls = exchange.tls
            wire, sock, answer = _send_kept_alive(exchange, "PUT", {"Content-Length": "0", **headers})
            with exchange.clock.wait(sock):
                status, body = answer.status, answer.read(_ERROR_BODY_LIMIT)
    except BaseException:
        if wire is not None:
            wire.close()
        raise
    if answer.will_close or not answer.isclosed():
        wire.close()
    else:
        _wire_give_back(wire, tls is not None)
    found = _COPY_ETAG.search(body) if status == 200 else None
    if found and b"<Error>" not in body:
        return html.unescape(found.group(1).decode("utf-8", "replace")).strip('"')
    # S3 may answer 200 and put the error in the body (a copy that failed after it began).
    _raise_answer(conn, api, "CopyObject", 500 if status == 200 else status, answer.headers, body, what)


def copy_version_to_top(conn: Endpoint, bucket: str, key: str, version_id: str, *, storage_class: str = "") -> str:
    """Restore a version: CopyObject of `key` at `version_id` onto `key` itself, so it becomes the
    current version; metadata, content headers and tags come along, the class when given."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "MetadataDirective": "COPY", "TaggingDirective": "COPY",
                              "CopySource": {"Bucket": bucket, "Key": key, "VersionId": version_id}}
    if storage_class and storage_class != "STANDARD":
        params["StorageClass"] = storage_class
    r = call(conn, "copy_object", what=key, **params)
    return r.get("VersionId", "") or ""


def multipart_create_like(conn: Endpoint, bucket: str, key: str, source: SourceObject) -> str:
    """A multipart upload that will carry the source's headers, metadata, tags and class."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, **source.headers}
    if source.tags:
        params["Tagging"] = source.tags
    if source.storage_class and source.storage_class != "STANDARD":
        params["StorageClass"] = source.storage_class
    return call(conn, "create_multipart_upload", what=key, **params)["UploadId"]


def multipart_copy_part(conn: Endpoint, bucket: str, key: str, upload_id: str, number: int, *,
                        source_bucket: str, source_key: str, first: int, last: int) -> str:
    """UploadPartCopy of bytes first..last (inclusive) of the source."""
    r = call(conn, "upload_part_copy", what=f"{key} part {number}", Bucket=bucket, Key=key, UploadId=upload_id,
             PartNumber=number, CopySource={"Bucket": source_bucket, "Key": source_key},
             CopySourceRange=f"bytes={first}-{last}")
    return r["CopyPartResult"]["ETag"]


def put_object_like(conn: Endpoint, bucket: str, key: str, body: bytes, source: SourceObject) -> str:
    """PutObject of bytes read elsewhere, with the source's headers, metadata, tags and class."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": body, **source.headers}
    if source.tags:
        params["Tagging"] = source.tags
    if source.storage_class and source.storage_class != "STANDARD":
        params["StorageClass"] = source.storage_class
    return call(conn, "put_object", what=key, **params).get("ETag", "").strip('"')


@dataclass
class IncompleteUpload:
    key: str
    upload_id: str
    initiated: datetime | None
    storage_class: str = ""


@dataclass
class UploadsPage:
    uploads: list[IncompleteUpload]
    next_key_marker: str = ""
    next_upload_marker: str = ""
    truncated: bool = False


def multipart_uploads_page(conn: Endpoint, bucket: str, *, prefix: str = "", key_marker: str = "",
                           upload_marker: str = "", page_size: int = 1000) -> UploadsPage:
    params: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxUploads": page_size}
    if key_marker:
        params["KeyMarker"] = key_marker
        if upload_marker:
            params["UploadIdMarker"] = upload_marker
    r = call(conn, "list_multipart_uploads", what=bucket, **params)
    page = UploadsPage([IncompleteUpload(u["Key"], u["UploadId"], u.get("Initiated"), u.get("StorageClass", ""))
                        for u in r.get("Uploads", [])])
    page.truncated = bool(r.get("IsTruncated"))
    if page.truncated:
        page.next_key_marker = r.get("NextKeyMarker", "") or ""
        page.next_upload_marker = r.get("NextUploadIdMarker", "") or ""
    return page


def multipart_parts_size(conn: Endpoint, bucket: str, key: str, upload_id: str) -> tuple[int, int]:
    """(parts, bytes) an incomplete upload holds so far."""
    count = size = 0
    marker = 0
    while True:
        r = call(conn, "list_parts", what=key, Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker)
        for part in r.get("Parts", []):
            count += 1
            size += part.get("Size", 0)
        if not r.get("IsTruncated"):
            return count, size
        marker = r.get("NextPartNumberMarker", 0)


# --- object query (S3 Select) ---------------------------------------------------------------


@dataclass
class SelectAnswer:
    records: bytes
    truncated: bool  # stopped reading at max_bytes or the time limit
    scanned: int
    processed: int
    returned: int


def select_object(conn: Endpoint, bucket: str, key: str, *, expression: str, input_serialization: dict[str, Any],
                  output_serialization: dict[str, Any], max_bytes: int, seconds: float,
                  extra: dict[str, Any] | None = None) -> SelectAnswer:
    """Run one SelectObjectContent and read its event stream, at most `max_bytes` of records
    and `seconds` of reading: a query over a huge object never holds the page for long."""
    r = call(conn, "select_object_content", what=key, Bucket=bucket, Key=key, Expression=expression,
             ExpressionType="SQL", InputSerialization=input_serialization,
             OutputSerialization=output_serialization, **(extra or {}))
    stream = r["Payload"]
    chunks: list[bytes] = []
    size = 0
    stats: dict[str, int] = {}
    truncated = False
    until = time.monotonic() + seconds
    try:
        for event in stream:
            if "Records" in event:
                data = event["Records"].get("Payload", b"")
                chunks.append(data)
                size += len(data)
                if size >= max_bytes or time.monotonic() > until:
                    truncated = True
                    break
            elif "Stats" in event:
                stats = event["Stats"].get("Details", {})
            elif "End" in event:
                break
    except S3Error:
        raise
    except Exception as exc:  # noqa: BLE001 - an error event arrives while reading the stream
        raise translate(exc, what=key) from exc
    finally:
        if truncated:
            stream.close()
    return SelectAnswer(b"".join(chunks), truncated, int(stats.get("BytesScanned", 0) or 0),
                        int(stats.get("BytesProcessed", 0) or 0), int(stats.get("BytesReturned", 0) or 0))


# --- lifecycle preview and replication setup (buckets/jobs/lifecycle_preview.py, replication.py)


def object_tag_map(conn: Endpoint, bucket: str, key: str, *, version_id: str = "") -> dict[str, str]:
    """An object version's tags as {key: value} ({} when it has none)."""
    answer = object_tags_get(conn, bucket, key, version_id=version_id) or {}
    return {t["Key"]: t.get("Value", "") for t in answer.get("TagSet", [])}


# --- editing one object in place: content headers, metadata, retention (buckets/object_edit.py)


@dataclass
class ObjectHeaders:
    """What a copy of an object onto itself must know to keep everything but what was edited."""

    key: str
    size: int
    etag: str
    version_id: str
    storage_class: str
    encryption: str  # "AES256", "aws:kms" or "" (SSE-C shows in customer_algorithm)
    kms_key_id: str
    customer_algorithm: str
    headers: dict[str, str]  # ContentType, CacheControl, ... as CopyObject takes them
    expires: str  # the Expires header as the endpoint sent it
    metadata: dict[str, str]
    website_redirect: str = ""


_EDITABLE_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage")


def object_headers_get(conn: Endpoint, bucket: str, key: str, *, extra: dict[str, Any] | None = None) -> ObjectHeaders:
    """HEAD of the current version; `extra` carries an SSE-C key."""
    r = call(conn, "head_object", what=key, Bucket=bucket, Key=key, **(extra or {}))
    expires = r.get("ExpiresString") or ""
    if not expires and isinstance(r.get("Expires"), datetime):
        expires = r["Expires"].strftime("%a, %d %b %Y %H:%M:%S GMT")
    return ObjectHeaders(
        key=key, size=r.get("ContentLength", 0), etag=r.get("ETag", ""), version_id=r.get("VersionId", "") or "",
        storage_class=r.get("StorageClass") or "STANDARD", encryption=r.get("ServerSideEncryption", "") or "",
        kms_key_id=r.get("SSEKMSKeyId", "") or "", customer_algorithm=r.get("SSECustomerAlgorithm", "") or "",
        headers={h: r[h] for h in _EDITABLE_HEADERS if r.get(h)}, expires=expires,
        metadata=dict(r.get("Metadata") or {}), website_redirect=r.get("WebsiteRedirectLocation", "") or "",
    )


def copy_object_in_place(conn: Endpoint, bucket: str, key: str, *, source: ObjectHeaders, headers: dict[str, Any],
                         metadata: dict[str, str], customer_key: bytes = b"", acl: str = "") -> str:
    """CopyObject of the object onto itself with new content headers and metadata (REPLACE);
    storage class, encryption and a website redirect come along, and `acl` (canned) if given.
    Tags ask for TaggingDirective=COPY, but Ceph RGW 16.2 drops them on such a copy (with COPY
    and with REPLACE, measured): callers that keep tags put them back. Answers the new version."""
    params: dict[str, Any] = {
        "Bucket": bucket, "Key": key, "CopySource": {"Bucket": bucket, "Key": key},
        "MetadataDirective": "REPLACE", "TaggingDirective": "COPY", "Metadata": metadata, **headers,
    }
    if acl:
        params["ACL"] = acl
    if source.etag:
        params["CopySourceIfMatch"] = source.etag  # someone else's newer write is not overwritten
    if source.storage_class and source.storage_class != "STANDARD":
        params["StorageClass"] = source.storage_class  # CopyObject otherwise writes STANDARD
    if source.website_redirect:
        params["WebsiteRedirectLocation"] = source.website_redirect
    if source.encryption == "aws:kms":
        params["ServerSideEncryption"] = "aws:kms"
        if source.kms_key_id:
            params["SSEKMSKeyId"] = source.kms_key_id
    elif source.encryption:
        params["ServerSideEncryption"] = source.encryption
    if customer_key:
        params.update(CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=customer_key,
                      SSECustomerAlgorithm="AES256", SSECustomerKey=customer_key)
    r = call(conn, "copy_object", what=key, **params)
    return r.get("VersionId", "") or ""


def object_acl_restore(conn: Endpoint, bucket: str, key: str, acl: dict[str, Any]) -> None:
    """Put back an ACL read with object_acl_get (a copy writes the default ACL)."""
    policy = {"Grants": acl.get("Grants", []), "Owner": acl.get("Owner", {})}
    call(conn, "put_object_acl", feature_call=True, what="object ACL", Bucket=bucket, Key=key,
         AccessControlPolicy=policy)


@dataclass
class Retention:
    mode: str  # "GOVERNANCE", "COMPLIANCE" or "" (none)
    until: datetime | None


def object_retention_get(conn: Endpoint, bucket: str, key: str, *, version_id: str = "") -> Retention:
    answer = get_config(conn, "get_object_retention", what="retention", Bucket=bucket, Key=key,
                        **_version(version_id)) or {}
    retention = answer.get("Retention") or {}
    return Retention(retention.get("Mode", "") or "", retention.get("RetainUntilDate"))


def object_retention_put(conn: Endpoint, bucket: str, key: str, *, mode: str, until: datetime,
                         version_id: str = "", bypass_governance: bool = False) -> None:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Retention": {"Mode": mode, "RetainUntilDate": until},
                              **_version(version_id)}
    if bypass_governance:
        params["BypassGovernanceRetention"] = True
    call(conn, "put_object_retention", feature_call=True, what="retention", **params)
