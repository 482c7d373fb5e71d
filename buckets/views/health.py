"""Endpoint status: can this console reach each of the team's S3 connections right now?

For team admins, apart from the readiness probe on purpose: an endpoint that is down is a
team's problem to see here, not a reason for a load balancer to drop the console.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import gateway
from ..access import require_membership, team_connections
from ..models import Connection, Role


@dataclass
class Reachability:
    connection: Connection
    ok: bool
    message: str
    milliseconds: int


def connection_probe(connection: Connection) -> Reachability:
    """One ListBuckets with the short connection-test deadline (about 6 s at most)."""
    started = time.monotonic()
    try:
        buckets = gateway.test_connection(connection)
        ok, message = True, f"Reachable; {len(buckets)} bucket(s) listed."
    except gateway.AccessDenied:
        # The endpoint answered and knows the keys: reachable, only ListBuckets is not granted.
        ok, message = True, "Reachable; these keys may not list buckets."
    except gateway.S3Error as exc:
        ok, message = False, str(exc)
    return Reachability(connection, ok, message, int((time.monotonic() - started) * 1000))


@require_GET
def connection_health(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request, Role.ADMIN)
    connections = list(team_connections(membership.team))
    # In parallel, so the page takes as long as the slowest endpoint, not the sum of all.
    with ThreadPoolExecutor(max_workers=min(8, len(connections) or 1)) as pool:
        results = list(pool.map(connection_probe, connections))
    return render(request, "buckets/connection_health.html", {"results": results, "nav": "status"})
