"""Edit one object: its content headers and user metadata, and its Object Lock retention.

Both pages are for editors; the rules (what S3 takes, what the provider's copy rule and Object
Lock allow) live in `buckets.object_edit`, and the page shows them before anything is sent.
An SSE-C object's key arrives in a POST body, never in a URL, and is not kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .. import encryption, gateway, names, object_edit
from ..access import BucketAccess, get_bucket
from ..models import Role
from ..templatetags.keys import key_text
from .common import audited, parent_prefix, s3_error_response, url_with

METADATA_TEMPLATE = "buckets/object_metadata.html"
RETENTION_TEMPLATE = "buckets/object_retention.html"


def _refuse(request: HttpRequest, message: str, *, title: str) -> HttpResponse:
    """A 400 with a sentence for input no endpoint could act on."""
    return s3_error_response(request, gateway.Invalid(message), title=title)


def _base_context(target: BucketAccess, key: str) -> dict:
    return {"target": target, "connection": target.connection, "bucket": target.bucket, "key": key,
            "folder": parent_prefix(key), "tab": "objects",
            "detail_url": url_with("object_detail", target.connection.pk, target.bucket, key=key)}


@require_http_methods(["GET", "POST"])
def object_metadata(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    data = request.POST if request.method == "POST" else request.GET
    key = str(data.get("key", ""))
    problem = names.key_problem(key)
    if problem:
        return _refuse(request, problem, title="Cannot edit the metadata")
    customer_key = b""
    if data.get("sse_customer_key"):
        try:
            customer_key = encryption.parse_customer_key(data["sse_customer_key"])
        except encryption.EncryptionRefused as exc:
            return _refuse(request, str(exc), title="Cannot edit the metadata")
    if request.method == "POST" and data.get("action") == "save":
        return _metadata_save(request, target, key, customer_key)
    return _metadata_form(request, target, key, customer_key)


def _metadata_form(request: HttpRequest, target: BucketAccess, key: str, customer_key: bytes, *,
                   errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    context = {**_base_context(target, key), "rules": object_edit.HEADER_RULES, "errors": errors or [],
               "sse_c": bool(customer_key)}
    extra = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": customer_key} if customer_key else {}
    try:
        source = gateway.object_headers_get(target.connection, target.bucket, key, extra=extra)
    except gateway.Invalid as exc:
        if exc.code != "400":
            return s3_error_response(request, exc, title="Cannot read the object")
        # A bare 400 to HEAD is how S3 asks for an object's customer key (SSE-C).
        message = "The endpoint refused this key." if customer_key else ""
        return render(request, METADATA_TEMPLATE, {**context, "needs_key": True, "key_error": message},
                      status=400 if customer_key else 200)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot read the object")
    context["source"] = source
    context["sse_c"] = bool(source.customer_algorithm)
    context["refusal"] = object_edit.metadata_refusal(
        target.connection, target.bucket_type, source, allow_api_only=target.access.team.allow_api_only,
        bucket_encrypted=object_edit.bucket_encrypts(target.connection, target.bucket, target.bucket_type))
    if errors:  # show what the user typed, not what is stored
        context["form"] = object_edit.ContentHeadersForm(request.POST)
        context["rows"] = [object_edit.MetadataRow(n, v) for n, v in
                           zip(request.POST.getlist("meta_name"), request.POST.getlist("meta_value"), strict=False)]
    else:
        initial = {name: source.headers.get(param, "") for name, _, param in object_edit.CONTENT_HEADERS}
        initial["expires"] = object_edit.expires_form_value(source.expires)
        context["unreadable_expires"] = source.expires if source.expires and not initial["expires"] else ""
        context["form"] = object_edit.ContentHeadersForm(initial=initial)
        context["rows"] = object_edit.metadata_rows(source.metadata)
    return render(request, METADATA_TEMPLATE, context, status=status)


def _metadata_save(request: HttpRequest, target: BucketAccess, key: str, customer_key: bytes) -> HttpResponse:
    try:
        edit = object_edit.metadata_parse(request.POST)
    except object_edit.EditRefused as exc:
        return _metadata_form(request, target, key, customer_key, errors=exc.errors, status=400)
    fields = {"connection": target.connection, "bucket": target.bucket, "key": key,
              "headers": sorted(edit.headers), "metadata": sorted(edit.metadata), "encoded": edit.encoded}
    try:
        with audited(request, "object.metadata.update", **fields) as detail:
            detail["version"] = object_edit.metadata_set(
                connection=target.connection, bucket=target.bucket, bucket_type=target.bucket_type, key=key,
                edit=edit, allow_api_only=target.access.team.allow_api_only, customer_key=customer_key)
    except object_edit.EditRefused as exc:
        return _metadata_form(request, target, key, customer_key, errors=exc.errors, status=400)
    except gateway.S3Error as exc:
        if customer_key and isinstance(exc, gateway.Invalid):
            exc = gateway.Invalid(f"The endpoint refused the copy; is this the key the object was encrypted "
                                  f"with? ({exc})")
        return s3_error_response(request, exc, title="The metadata was not changed")
    messages.success(request, f"Metadata and content headers of “{key_text(key)}” saved.")
    for name in edit.encoded:
        messages.info(request, f"The value of “{name}” was sent RFC 2047-encoded, as it is not US-ASCII.")
    return redirect(url_with("object_detail", target.connection.pk, target.bucket, key=key))


# --- retention ---------------------------------------------------------------------------------


def _retention_offer(target: BucketAccess) -> str:
    """Why per-object retention is not offered for this bucket ("" when it is)."""
    availability = target.availability("object_lock")
    if not availability.usable(target.access.team.allow_api_only):
        return f"Object Lock is not offered for this bucket. {availability.note}".strip()
    answer = gateway.object_lock_get(target.connection, target.bucket) or {}
    if (answer.get("ObjectLockConfiguration") or {}).get("ObjectLockEnabled") != "Enabled":
        return ("This bucket was created without Object Lock, so its objects cannot be given a retention; "
                "Object Lock can only be switched on when a bucket is created.")
    return ""


@require_http_methods(["GET", "POST"])
def object_retention(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    data = request.POST if request.method == "POST" else request.GET
    key, version_id = str(data.get("key", "")), str(data.get("version", ""))
    problem = names.key_problem(key)
    if problem:
        return _refuse(request, problem, title="Cannot set the retention")
    try:
        refusal = _retention_offer(target)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot read the bucket's Object Lock configuration")
    context = {**_base_context(target, key), "version": version_id, "refusal": refusal,
               "modes": object_edit.LOCK_MODES, "can_bypass": target.can(Role.ADMIN), "errors": [],
               "max_days": object_edit.retention_max_days(target.connection, target.bucket_type)}
    context["form"] = object_edit.RetentionForm(request.POST if request.method == "POST" else None,
                                                can_bypass=context["can_bypass"])
    if refusal:
        return render(request, RETENTION_TEMPLATE, context, status=400 if request.method == "POST" else 200)
    try:
        current: gateway.Retention | None = gateway.object_retention_get(
            target.connection, bucket, key, version_id=version_id)
    except gateway.S3Error as exc:
        current, context["read_error"] = None, str(exc)
    context["current"] = current
    if request.method == "GET" and current is not None and current.until is not None:
        context["form"] = object_edit.RetentionForm(initial={
            "mode": current.mode, "retain_until": f"{current.until.astimezone(UTC):%Y-%m-%dT%H:%M:%S}"},
            can_bypass=context["can_bypass"])
    if request.method == "POST":
        saved = _retention_save(request, target, key, version_id, current, context)
        if saved is not None:
            return saved
        return render(request, RETENTION_TEMPLATE, context, status=400)
    return render(request, RETENTION_TEMPLATE, context)


def _retention_save(request: HttpRequest, target: BucketAccess, key: str, version_id: str,
                    current: gateway.Retention | None, context: dict) -> HttpResponse | None:
    """Redirect after a save, or None with the problems in `context["errors"]`."""
    try:
        wanted = object_edit.retention_parse(request.POST, now=datetime.now(UTC), max_days=context["max_days"])
        with audited(request, "object.retention.update", connection=target.connection, bucket=target.bucket,
                     key=key, version=version_id, mode=wanted.mode, until=wanted.until.isoformat()) as detail:
            detail["bypass_governance"] = object_edit.retention_set(
                connection=target.connection, bucket=target.bucket, key=key, version_id=version_id,
                wanted=wanted, current=current, is_admin=target.can(Role.ADMIN))
    except object_edit.EditRefused as exc:
        context["errors"] = exc.errors
        return None
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="The retention was not changed")
    messages.success(request, f"Retention of “{key_text(key)}” set: {wanted.mode.lower()} until "
                              f"{wanted.until:%Y-%m-%d %H:%M:%S} UTC.")
    return redirect(url_with("object_retention", target.connection.pk, target.bucket, key=key, version=version_id))
