"""Odd input to the portal pages answers a page or a clear refusal, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from buckets import teams
from buckets.models import AuditEntry, Membership, Role

pytestmark = pytest.mark.django_db

ODD_NEXT = ["abc", "home", "team_detail", "connections", "https://evil.example/", "//evil.example/x",
            "javascript:alert(1)", "\\\\evil", "①", ""]


@pytest.mark.parametrize("target", ODD_NEXT)
def test_switching_team_with_any_next_stays_on_the_site(login, viewer, team, target):
    response = login(viewer).post(reverse("switch_team"), {"team": str(team.pk), "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_switching_team_comes_back_to_a_path_on_the_site(login, viewer, team):
    response = login(viewer).post(reverse("switch_team"), {"team": str(team.pk), "next": "/features/"})
    assert response["Location"] == "/features/"


@pytest.mark.parametrize("target", ODD_NEXT)
def test_saving_team_options_with_any_next_returns_to_the_team_page(login, admin, team, target):
    response = login(admin).post(reverse("team_options", args=[team.pk]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("team_detail", args=[team.pk])


@pytest.mark.parametrize("raw", ["²", "①", "1" * 30, "-1", "1e3", " 7"])
def test_testing_unsaved_values_with_an_odd_connection_id_is_refused_with_a_message(login, admin, raw):
    response = login(admin).post(reverse("connection_test_unsaved"),
                                 {"connection_id": raw, "endpoint_url": "https://s3.example.com"})
    assert response.status_code == 400
    assert "not a number" in response.content.decode()


@pytest.mark.parametrize("bucket", ["a/b", "../x", "x" * 300])
def test_detecting_features_on_a_name_no_bucket_can_carry_is_refused_with_a_message(login, admin, connection, bucket):
    response = login(admin).post(reverse("detect_features", args=[connection.pk]),
                                 {"bucket": bucket, "scope_bucket": bucket}, follow=True)
    assert response.status_code == 200
    assert "Choose a bucket to probe." in response.content.decode()


def test_the_last_admin_rule_holds_in_the_service_and_its_refusal_is_audited(rf, admin, team):
    request = rf.post("/")
    request.user = admin
    member = Membership.objects.select_related("user", "team").get(user=admin, team=team)
    with pytest.raises(teams.LastAdmin, match="last admin"):
        teams.member_role_set(request=request, member=member, role=Role.VIEWER)
    with pytest.raises(teams.LastAdmin):
        teams.member_remove(request=request, member=member)
    assert Membership.objects.get(pk=member.pk).role == Role.ADMIN
    refused = AuditEntry.objects.filter(team=team, ok=False, action__in=["member.role", "member.remove"])
    assert refused.count() == 2
