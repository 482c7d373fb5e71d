"""Nothing of another team is reachable: every URL of the site, discovered from the resolver.

The walk fills each URL's parameters with the ids of another team's connection, bucket,
job, audit entry, grant, membership and team, and requests it as a member of a different
team with GET, POST and htmx. Every answer must be 404 (405 only where the method is
refused before the object is looked up), and no request may reach an S3 endpoint.
A new URL is covered the day it is added; a parameter this test does not know fails it
until someone says which object it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from unittest import mock

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django.urls.converters import IntConverter

from buckets import gateway
from buckets.models import AuditEntry, Grant, Job, Membership, Role

pytestmark = pytest.mark.django_db

EXCLUDED_NAMESPACES = {"admin": "Django's admin site: staff only, with its own sign-in; it registers no console model"}
EXCLUDED_NAMES = {
    "login": "signing in touches no team object",
    "logout": "signing out touches no team object",
}
# Parameters that name an object of a team, and which object of the other team fills them.
OBJECT_PARAMS = {"connection_id", "bucket", "job_id", "entry_id", "grant_id", "team_id", "membership_id"}
MARKERS = ("Red secret connection", "red-hidden-bucket", "red-job-key.bin", "red-audit-key.txt", "oscar")
PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


@dataclass
class Route:
    route: str
    name: str | None
    namespace: str
    converters: dict
    regex: bool

    @property
    def label(self) -> str:
        return f"{self.namespace + ':' if self.namespace else ''}{self.name or '?'} ({self.route})"

    @property
    def params(self) -> list[str]:
        return [m["name"] for m in PARAM.finditer(self.route)]

    def url(self, values: dict) -> str:
        def fill(match):
            name = match["name"]
            return self.converters[name].to_url(values[name])

        return "/" + PARAM.sub(fill, self.route)


def site_routes() -> list[Route]:
    """Every URL pattern of the site, with its full route and converters."""
    found: list[Route] = []

    def walk(patterns, prefix: str, converters: dict, namespace: str, regex: bool) -> None:
        for p in patterns:
            is_regex = regex or not hasattr(p.pattern, "_route")
            if isinstance(p, URLResolver):
                ns = ":".join(x for x in (namespace, p.namespace) if x)
                walk(p.url_patterns, prefix + str(p.pattern), {**converters, **p.pattern.converters}, ns, is_regex)
            elif isinstance(p, URLPattern):
                found.append(Route(prefix + str(p.pattern), p.name, namespace,
                                   {**converters, **p.pattern.converters}, is_regex))

    walk(get_resolver().url_patterns, "", {}, "", False)
    return found


def values_for(route: Route, ids: dict) -> dict:
    """Fill every parameter; fail on one this test cannot map to an object."""
    values = {}
    for name in route.params:
        converter = route.converters[name]
        if name in ids:
            values[name] = ids[name]
        elif "connection_id" in route.params and name != "connection_id":
            # Scoped under the other team's connection, which must already answer 404.
            values[name] = 1 if isinstance(converter, IntConverter) else "x"
        else:
            pytest.fail(f"{route.label}: tell test_tenant_isolation which team object <{name}> names")
    return values


def object_routes() -> list[Route]:
    routes = []
    for route in site_routes():
        if route.namespace.split(":")[0] in EXCLUDED_NAMESPACES or route.name in EXCLUDED_NAMES:
            continue
        assert not route.regex, f"{route.label}: a regex route; teach this test to fill it"
        if route.params:
            routes.append(route)
    return routes


@dataclass
class World:
    own: dict
    other: dict


@pytest.fixture
def world(make_connection, make_user, team, other_team, admin, outsider) -> World:
    own_conn = make_connection(team, endpoint="https://s3.blue.test", name="Blue connection")
    own_job = Job.objects.create(kind="upload", team=team, user=admin, connection=own_conn, bucket="blue-bucket", key="b.bin")
    own_entry = AuditEntry.objects.create(team=team, action="object.upload", username="ada", bucket="blue-bucket")
    red_conn = make_connection(other_team, endpoint="https://s3.red.test", name="Red secret connection",
                               buckets=["red-hidden-bucket"])
    red_member = make_user("rita", other_team, "viewer")
    red_job = Job.objects.create(kind="upload", team=other_team, user=outsider, connection=red_conn,
                                 bucket="red-hidden-bucket", key="red-job-key.bin")
    red_entry = AuditEntry.objects.create(team=other_team, action="object.upload", username="oscar",
                                          connection=red_conn, connection_name=red_conn.name,
                                          bucket="red-hidden-bucket", key="red-audit-key.txt")
    # Distinct ids, so a view that looked up the wrong table could not pass by accident.
    assert red_job.pk != own_job.pk and red_entry.pk != own_entry.pk
    return World(
        own={"connection_id": own_conn.pk, "bucket": "blue-bucket", "job_id": own_job.pk, "entry_id": own_entry.pk,
             "grant_id": Grant.objects.get(connection=own_conn).pk, "team_id": team.pk,
             "membership_id": Membership.objects.get(user=admin).pk},
        other={"connection_id": red_conn.pk, "bucket": "red-hidden-bucket", "job_id": red_job.pk,
               "entry_id": red_entry.pk, "grant_id": Grant.objects.get(connection=red_conn).pk,
               "team_id": other_team.pk, "membership_id": Membership.objects.get(user=red_member).pk},
    )


@pytest.fixture
def s3_calls():
    """Every way to S3 is shut: the gateway's client factory and botocore's sender."""
    with mock.patch("buckets.gateway.client", side_effect=gateway.Unavailable("offline in this test")) as factory, \
         mock.patch("botocore.endpoint.Endpoint.make_request", side_effect=AssertionError("S3 request")) as sender:
        yield lambda: factory.call_count + sender.call_count


REQUESTS = [("GET", False), ("GET", True), ("POST", False), ("POST", True)]


def send(client, method: str, url: str, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"key": "red-audit-key.txt", "keys": "red-audit-key.txt", "role": Role.VIEWER, "buckets": ""}
    if method == "GET":
        return client.get(url, {"key": "red-audit-key.txt"}, headers=headers)
    return client.post(url, data, headers=headers)


def test_the_walk_discovers_every_kind_of_team_object_in_the_urls():
    names = {name for route in object_routes() for name in route.params}
    # If one of these disappears, the walk no longer proves what this file says.
    assert {"connection_id", "bucket", "job_id", "entry_id", "grant_id", "team_id", "membership_id"} <= names
    assert len(object_routes()) >= 25


def find_leaks(client, world: World) -> list[str]:
    leaks = []
    for route in object_routes():
        url = route.url(values_for(route, world.other))
        for method, htmx in REQUESTS:
            response = send(client, method, url, htmx)
            status = response.status_code
            if status == 405:
                # Refused by the method alone? Then the answer is the same for our own object.
                own = send(client, method, route.url(values_for(route, world.own)), htmx).status_code
                if own == 405:
                    continue
            if status != 404:
                leaks.append(f"{method}{' htmx' if htmx else ''} {url} [{route.label}] -> {status}")
            elif any(marker.encode() in response.content for marker in MARKERS):
                leaks.append(f"{method} {url}: the 404 page names the other team's object")
    return leaks


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_every_url_answers_404_for_another_teams_objects_with_get_post_and_htmx(
    login, make_user, team, world, s3_calls, role
):
    leaks = find_leaks(login(make_user(f"walker-{role}", team, role)), world)
    assert not leaks, "Reachable across teams:\n" + "\n".join(leaks)
    assert s3_calls() == 0, "a request for another team's object reached the S3 gateway"


def leaky_job_view(request, job_id: int) -> HttpResponse:
    """What this file must catch: a view that forgets to resolve access."""
    return HttpResponse(Job.objects.get(pk=job_id).key)


urlpatterns = [path("", include("console.urls")), path("leaky/<int:job_id>/", leaky_job_view)]


def test_the_walk_catches_a_newly_added_url_that_forgets_the_access_check(login, admin, world, s3_calls):
    with override_settings(ROOT_URLCONF=__name__):
        leaks = find_leaks(login(admin), world)
    assert leaks and all("/leaky/" in leak for leak in leaks), leaks
    assert len(leaks) == len(REQUESTS)


def test_ids_in_the_request_body_are_checked_too(login, admin, world, s3_calls):
    client = login(admin)
    assert client.post("/team/switch/", {"team": world.other["team_id"]}).status_code == 404
    response = client.post("/connections/test/", {"connection_id": world.other["connection_id"],
                                                  "endpoint_url": "https://s3.red.test"}, headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert s3_calls() == 0


def test_pages_without_ids_show_only_the_users_own_team(login, admin, world, s3_calls):
    """The excluded routes without parameters are the user's own team pages; they must
    not list anything of the other team (connections, buckets, jobs, entries, members)."""
    client = login(admin)
    checked = 0
    for route in site_routes():
        if route.params or route.namespace.split(":")[0] in EXCLUDED_NAMESPACES or route.name in EXCLUDED_NAMES:
            continue
        for htmx in (False, True):
            response = client.get(route.url({}), headers={"HX-Request": "true"} if htmx else {})
            body = b"".join(response.streaming_content) if response.streaming else response.content
            # The readiness probe answers 503 by design while no worker runs (as here).
            ready_probe = route.name == "health-ready" and response.status_code == 503
            assert response.status_code < 500 or ready_probe, route.label
            found = [m for m in MARKERS if m.encode() in body]
            assert not found, f"{route.label} shows {found}"
            checked += 1
    assert checked >= 10
