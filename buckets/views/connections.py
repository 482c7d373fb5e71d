"""Connections: the S3 endpoints a team works with."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import audit, gateway
from ..access import current_membership, get_connection, require_membership, team_connections
from ..forms import ConnectionForm
from ..models import Connection, Grant, Role


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return redirect("connections")


@require_GET
def connection_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    connections = team_connections(membership.team) if membership else Connection.objects.none()
    return render(
        request,
        "buckets/connections.html",
        {"connections": connections.select_related("team"), "can_admin": bool(membership and membership.has_role(Role.ADMIN))},
    )


@require_http_methods(["GET", "POST"])
def connection_create(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request, Role.ADMIN)
    form = ConnectionForm(request.POST or None, team=membership.team)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            connection = form.save(commit=False)
            connection.team = membership.team
            connection.created_by = request.user
            connection.save()
            Grant.objects.create(connection=connection, team=membership.team)
        audit.record(request, "connection.create", connection=connection, provider=connection.provider)
        messages.success(request, f"Connection “{connection.name}” added.")
        return redirect("bucket_list", connection.pk)
    return render(request, "buckets/connection_form.html", {"form": form, "connection": None})


@require_http_methods(["GET", "POST"])
def connection_edit(request: HttpRequest, connection_id: int) -> HttpResponse:
    access = get_connection(request, connection_id, Role.ADMIN)
    if not access.is_owner:
        return render(request, "buckets/error.html", {"title": "Not yours to edit", "error": "Only the owning team edits a connection."}, status=403)
    form = ConnectionForm(request.POST or None, instance=access.connection, team=access.team)
    if request.method == "POST" and form.is_valid():
        connection = form.save()
        audit.record(request, "connection.update", connection=connection, fields=sorted(form.changed_data))
        messages.success(request, "Connection saved.")
        return redirect("bucket_list", connection.pk)
    return render(request, "buckets/connection_form.html", {"form": form, "connection": access.connection})


@require_POST
def connection_delete(request: HttpRequest, connection_id: int) -> HttpResponse:
    access = get_connection(request, connection_id, Role.ADMIN)
    if not access.is_owner:
        return render(request, "buckets/error.html", {"title": "Not yours to delete", "error": "Only the owning team deletes a connection."}, status=403)
    name = access.connection.name
    audit.record(request, "connection.delete", connection=access.connection)
    access.connection.delete()
    messages.success(request, f"Connection “{name}” deleted. The buckets on the endpoint are untouched.")
    return redirect("connections")


@require_POST
def connection_test(request: HttpRequest, connection_id: int) -> HttpResponse:
    access = get_connection(request, connection_id, Role.VIEWER)
    return _test_result(request, access.connection)


@require_POST
def connection_test_unsaved(request: HttpRequest) -> HttpResponse:
    """Test the values in the connection form before saving them."""
    membership = require_membership(request, Role.ADMIN)
    instance = None
    raw_id = request.POST.get("connection_id", "")
    if raw_id:
        # ASCII digits of a size a primary key can have: "²".isdigit() is true, int("²") is not.
        if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18):
            return HttpResponseBadRequest("The connection id is not a number.")
        access = get_connection(request, int(raw_id), Role.ADMIN)
        if not access.is_owner:
            # The stored secret must never sign a request to an endpoint another team chose.
            raise PermissionDenied("Only the owning team tests changes to a connection.")
        instance = access.connection
    form = ConnectionForm(request.POST, instance=instance, team=membership.team)
    form.full_clean()
    problems = {f: e for f, e in form.errors.items() if f in {"endpoint_url", "access_key", "secret_key"}}
    if problems:
        first = next(iter(problems.values()))[0]
        return render(request, "buckets/connection_form.html#test_result", {"ok": False, "message": first})
    candidate = form.save(commit=False) if form.is_valid() else form.instance
    if instance is not None and not form.cleaned_data.get("secret_key"):
        candidate.secret_key = instance.secret_key
    return _test_result(request, candidate)


def _test_result(request: HttpRequest, connection: Connection) -> HttpResponse:
    try:
        buckets = gateway.test_connection(connection)
    except gateway.AccessDenied:
        context = {
            "ok": True,
            "message": "Connected and signed in, but these keys may not list buckets. "
            "Name the buckets in the team's grant to work with them.",
        }
    except gateway.S3Error as exc:
        context = {"ok": False, "message": str(exc)}
    else:
        context = {"ok": True, "message": f"Connected. The keys see {len(buckets)} bucket(s)."}
    return render(request, "buckets/connection_form.html#test_result", context)
