"""CSRF: every state change needs the token, htmx requests included."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from buckets.models import Connection, Membership
from tests.test_tenant_isolation import EXCLUDED_NAMESPACES, site_routes, values_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict(admin) -> Client:
    """A signed-in client that, like a browser, gets no free pass on CSRF."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    return client


@pytest.fixture
def owned(make_connection, team):
    return make_connection(team, endpoint="https://s3.unused.test", name="Store")


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}], ids=["form", "htmx"])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(strict, owned, viewer, team, headers):
    member = Membership.objects.get(user=viewer)
    assert strict.post(reverse("connection_delete", args=[owned.pk]), headers=headers).status_code == 403
    assert strict.post(reverse("member_remove", args=[team.pk, member.pk]), headers=headers).status_code == 403
    assert Connection.objects.filter(pk=owned.pk).exists()
    assert Membership.objects.filter(pk=member.pk).exists()


def test_a_post_with_a_wrong_csrf_token_is_refused(strict, owned):
    strict.get(reverse("connections"))
    response = strict.post(reverse("connection_delete", args=[owned.pk]), headers={"X-CSRFToken": "x" * 64, "HX-Request": "true"})
    assert response.status_code == 403
    assert Connection.objects.filter(pk=owned.pk).exists()


def test_the_token_htmx_sends_in_its_header_is_accepted(strict, owned):
    page = strict.get(reverse("connections"))
    token = page.context["csrf_token"]
    response = strict.post(reverse("connection_delete", args=[owned.pk]), headers={"X-CSRFToken": str(token), "HX-Request": "true"})
    assert response.status_code == 302
    assert not Connection.objects.filter(pk=owned.pk).exists()


def test_every_route_refuses_a_post_without_the_token(strict, owned, team, viewer):
    """Walks the resolver, so a new view that is csrf_exempt, or a new URL, is covered."""
    ids = {"connection_id": owned.pk, "bucket": "some-bucket", "job_id": 1, "entry_id": 1, "grant_id": 1,
           "team_id": team.pk, "membership_id": Membership.objects.get(user=viewer).pk}
    accepted = []
    for route in site_routes():
        if route.namespace.split(":")[0] in EXCLUDED_NAMESPACES:
            continue
        url = route.url(values_for(route, ids))
        for headers in ({}, {"HX-Request": "true"}):
            response = strict.post(url, {"name": "x"}, headers=headers)
            if response.status_code != 403 or b"CSRF" not in response.content:
                accepted.append(f"{url} -> {response.status_code}")
    assert not accepted, "POST without a CSRF token got through:\n" + "\n".join(accepted)


def test_signing_in_and_out_need_the_token_too(admin):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("login"), {"username": "ada", "password": "pw-ada"}).status_code == 403
    client.force_login(admin)
    assert client.post(reverse("logout")).status_code == 403
    assert client.get(reverse("connections")).status_code == 200
