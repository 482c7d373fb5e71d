"""The bucket list of a connection: list, create, delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import gateway
from ..access import (
    ConnectionAccess,
    bucket_type_of,
    feature_availability,
    get_bucket,
    get_connection,
)
from ..forms import BucketCreateForm
from ..models import Connection, KnownBucket, Role
from ..names import bucket_name_problems
from .common import audited, render_page, s3_error_response


@require_GET
def bucket_list(request: HttpRequest, connection_id: int) -> HttpResponse:
    access = get_connection(request, connection_id)
    connection = access.connection
    error = None
    listed: list[gateway.BucketInfo] = []
    try:
        listed = gateway.list_buckets(connection)
    except gateway.AccessDenied as exc:
        # Per-bucket keys may not list buckets; the grant names them instead.
        if not access.granted_buckets:
            error = exc
    except gateway.S3Error as exc:
        error = exc
    if access.granted_buckets:
        by_name = {b.name: b for b in listed}
        listed = [by_name.get(name, gateway.BucketInfo(name)) for name in access.granted_buckets]
    known = dict(KnownBucket.objects.filter(connection=connection).values_list("name", "bucket_type"))
    provider = connection.provider_info
    type_labels = {bt.id: bt.label for bt in provider.bucket_types}
    rows = []
    for b in listed:
        bucket_type = known.get(b.name, connection.default_bucket_type)
        rows.append({"info": b, "bucket_type": bucket_type, "type_label": type_labels.get(bucket_type, bucket_type)})
    return render(
        request,
        "buckets/bucket_list.html",
        {
            "access": access,
            "connection": connection,
            "rows": rows,
            "error": error,
            "provider": provider,
            "show_types": len(provider.bucket_types) > 1,
            "can_edit": access.can(Role.EDITOR),
            "can_admin": access.can(Role.ADMIN) and access.is_owner,
        },
    )


def _create_context(access: ConnectionAccess, form: BucketCreateForm) -> dict:
    connection = access.connection
    bucket_type = form.chosen_type
    return {
        "access": access,
        "connection": connection,
        "form": form,
        "provider": connection.provider_info,
        "bucket_types": form.bucket_types,
        "region": form.region_info,
        "chosen_type": bucket_type,
        "versioning": feature_availability(connection, bucket_type, "versioning"),
        "object_lock": feature_availability(connection, bucket_type, "object_lock"),
        "team_api_only": access.team.allow_api_only,
    }


@require_http_methods(["GET", "POST"])
def bucket_create(request: HttpRequest, connection_id: int) -> HttpResponse:
    access = get_connection(request, connection_id, Role.EDITOR)
    form = BucketCreateForm(request.POST or None, access=access)
    if request.method == "POST" and form.is_valid():
        try:
            name = _create(request, access.connection, form.cleaned_data)
        except gateway.S3Error as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Bucket “{name}” created.")
            return redirect("browse", access.connection.pk, name)
    return render(request, "buckets/bucket_create.html", _create_context(access, form))


def _create(request: HttpRequest, connection: Connection, data: dict) -> str:
    name, object_lock = data["name"], data["object_lock"]
    with audited(request, "bucket.create", connection=connection, bucket=name) as detail:
        gateway.create_bucket(connection, name, region=data["region"], object_lock=object_lock)
        KnownBucket.objects.update_or_create(connection=connection, name=name, defaults={"bucket_type": data["bucket_type"]})
        # Object Lock has turned versioning on already.
        if data["versioning"] and not object_lock:
            gateway.put_versioning(connection, name, True)
        detail.update(region=data["region"], bucket_type=data["bucket_type"], versioning=data["versioning"],
                      object_lock=object_lock)
    return name


@require_POST
def bucket_name_check(request: HttpRequest, connection_id: int) -> HttpResponse:
    get_connection(request, connection_id, Role.EDITOR)
    name = request.POST.get("name", "")
    return render(request, "buckets/bucket_create.html#name_check", {"name": name, "problems": bucket_name_problems(name) if name else []})


@require_http_methods(["GET", "POST"])
def bucket_delete(request: HttpRequest, connection_id: int, bucket: str) -> HttpResponse:
    target = get_bucket(request, connection_id, bucket, Role.EDITOR)
    connection = target.connection
    try:
        empty = gateway.bucket_is_empty(connection, bucket)
    except gateway.S3Error as exc:
        return s3_error_response(request, exc, title="Cannot check the bucket")
    if request.method == "POST":
        if not empty:
            messages.error(request, f"“{bucket}” is not empty, so it was not deleted.")
            return redirect("browse", connection.pk, bucket)
        try:
            with audited(request, "bucket.delete", connection=connection, bucket=bucket):
                gateway.delete_bucket(connection, bucket)
                KnownBucket.objects.filter(connection=connection, name=bucket).delete()
        except gateway.S3Error as exc:
            return s3_error_response(request, exc, title="The bucket was not deleted")
        messages.success(request, f"Bucket “{bucket}” deleted.")
        return redirect("bucket_list", connection.pk)
    context = {"connection": connection, "bucket": bucket, "empty": empty, "bucket_type": bucket_type_of(connection, bucket)}
    return render_page(request, "buckets/bucket_delete.html", "dialog", context)
