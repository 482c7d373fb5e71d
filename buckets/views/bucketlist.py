"""The bucket list of a connection: list, create, delete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import audit, catalogue, gateway
from ..access import bucket_type_of, feature_availability, get_bucket, get_connection
from ..forms import BucketCreateForm
from ..models import KnownBucket, Role
from ..names import bucket_name_problems
from .common import s3_error_response


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


def _create_context(access, form) -> dict:
    connection = access.connection
    provider = connection.provider_info
    return {
        "access": access,
        "connection": connection,
        "form": form,
        "provider": provider,
        "bucket_types": provider.bucket_types,
        "regions": provider.regions,
        "default_type": connection.default_bucket_type,
        "versioning": feature_availability(connection, connection.default_bucket_type, "versioning"),
        "object_lock": feature_availability(connection, connection.default_bucket_type, "object_lock"),
        "team_api_only": access.team.allow_api_only,
    }


@require_http_methods(["GET", "POST"])
def bucket_create(request: HttpRequest, connection_id: int) -> HttpResponse:
    access = get_connection(request, connection_id, Role.EDITOR)
    connection = access.connection
    form = BucketCreateForm(request.POST or None, initial={"region": connection.region, "bucket_type": connection.default_bucket_type})
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        bucket_type = form.cleaned_data["bucket_type"] or connection.default_bucket_type
        region = form.cleaned_data["region"] or connection.region
        region_info = catalogue.get_region(connection.provider, region)
        if bucket_type not in {bt.id for bt in connection.provider_info.bucket_types}:
            form.add_error("bucket_type", "This provider has no such bucket type.")
        elif region_info and region_info.bucket_type and region_info.bucket_type != bucket_type:
            form.add_error("region", f"{region_info.label} holds {region_info.bucket_type} buckets; "
                                     f"choose a region for {bucket_type} buckets.")
        elif access.granted_buckets:
            form.add_error("name", "Your team's grant is limited to named buckets; ask an admin to create it.")
        else:
            versioning = form.cleaned_data["versioning"]
            object_lock = form.cleaned_data["object_lock"]
            refused = _refused_features(access, bucket_type, versioning=versioning, object_lock=object_lock)
            if refused:
                form.add_error(None, refused)
            else:
                try:
                    gateway.create_bucket(connection, name, region=region, object_lock=object_lock)
                    KnownBucket.objects.update_or_create(connection=connection, name=name, defaults={"bucket_type": bucket_type})
                    if versioning and not object_lock:
                        gateway.put_versioning(connection, name, True)
                except gateway.S3Error as exc:
                    audit.record(request, "bucket.create", connection=connection, bucket=name, ok=False, message=str(exc))
                    form.add_error(None, str(exc))
                else:
                    audit.record(request, "bucket.create", connection=connection, bucket=name, region=region,
                                 bucket_type=bucket_type, versioning=versioning, object_lock=object_lock)
                    messages.success(request, f"Bucket “{name}” created.")
                    return redirect("browse", connection.pk, name)
    return render(request, "buckets/bucket_create.html", _create_context(access, form))


def _refused_features(access, bucket_type: str, *, versioning: bool, object_lock: bool) -> str:
    """An unsupported feature never reaches the endpoint; an API-only one needs the team opt-in."""
    connection = access.connection
    for wanted, feature_id in ((versioning, "versioning"), (object_lock, "object_lock")):
        if not wanted:
            continue
        state = feature_availability(connection, bucket_type, feature_id)
        label = catalogue.FEATURES[feature_id].label
        if state.state == catalogue.State.UNSUPPORTED:
            return f"{label} is not supported for this bucket type. {state.note}"
        if state.state == catalogue.State.API_ONLY and not access.team.allow_api_only:
            return f"{label} is available only through the provider's API. {state.note}"
    return ""


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
            gateway.delete_bucket(connection, bucket)
        except gateway.S3Error as exc:
            audit.record(request, "bucket.delete", connection=connection, bucket=bucket, ok=False, message=str(exc))
            return s3_error_response(request, exc, title="The bucket was not deleted")
        KnownBucket.objects.filter(connection=connection, name=bucket).delete()
        audit.record(request, "bucket.delete", connection=connection, bucket=bucket)
        messages.success(request, f"Bucket “{bucket}” deleted.")
        return redirect("bucket_list", connection.pk)
    context = {"connection": connection, "bucket": bucket, "empty": empty, "bucket_type": bucket_type_of(connection, bucket)}
    if request.htmx:
        return render(request, "buckets/bucket_delete.html#dialog", context)
    return render(request, "buckets/bucket_delete.html", context)
