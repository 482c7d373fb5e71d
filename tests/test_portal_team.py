"""The team page: members and roles, team options, and the site admins' Teams page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from buckets.models import AuditEntry, Membership, Role, Team

pytestmark = pytest.mark.django_db


def team_url(team) -> str:
    return reverse("team_detail", args=[team.pk])


def membership(user, team) -> Membership:
    return Membership.objects.get(user=user, team=team)


def test_team_link_leads_to_the_current_team(login, viewer, team):
    response = login(viewer).get(reverse("team"))
    assert response.status_code == 302
    assert response["Location"] == team_url(team)


def test_every_member_sees_the_member_list_but_only_admins_see_controls(login, viewer, editor, admin, team):
    page = login(viewer).get(team_url(team))
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("vera", "eddie", "ada"):
        assert name in html
    assert reverse("member_add", args=[team.pk]) not in html
    admin_html = login(admin).get(team_url(team)).content.decode()
    assert reverse("member_add", args=[team.pk]) in admin_html
    assert reverse("member_role", args=[team.pk, membership(viewer, team).pk]) in admin_html


def test_nav_shows_team_for_members_audit_log_for_admins_and_teams_for_site_admins(login, viewer, admin, make_user, team):
    viewer_html = login(viewer).get(team_url(team)).content.decode()
    assert reverse("team") in viewer_html
    assert reverse("audit_log") not in viewer_html
    assert reverse("site_teams") not in viewer_html
    admin_html = login(admin).get(team_url(team)).content.decode()
    assert reverse("audit_log") in admin_html
    boss = make_user("root", team, "viewer")
    boss.is_superuser = True
    boss.save()
    assert reverse("site_teams") in login(boss).get(team_url(team)).content.decode()


def test_a_team_admin_adds_an_existing_user_with_a_role_and_it_is_audited(login, admin, make_user, team):
    newcomer = make_user("nina")
    response = login(admin).post(reverse("member_add", args=[team.pk]), {"username": "nina", "role": "editor"})
    assert response.status_code == 302
    assert membership(newcomer, team).role == Role.EDITOR
    entry = AuditEntry.objects.get(action="member.add")
    assert (entry.team, entry.username, entry.detail) == (team, "ada", {"member": "nina", "role": "editor"})


def test_adding_an_unknown_username_is_refused_and_does_not_create_a_user(login, admin, team):
    response = login(admin).post(reverse("member_add", args=[team.pk]), {"username": "ghost", "role": "viewer"})
    assert response.status_code == 400
    assert "There is no user with this username" in response.content.decode()
    assert not get_user_model().objects.filter(username="ghost").exists()


def test_a_team_admin_cannot_create_users_even_by_posting_the_fields(login, admin, team):
    response = login(admin).post(
        reverse("member_add", args=[team.pk]),
        {"username": "ghost", "role": "viewer", "create_user": "on", "password": "a-long-enough-pass-123"},
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="ghost").exists()


def test_a_site_admin_creates_a_new_user_with_a_password_while_adding_them(login, make_user, team, client):
    boss = get_user_model().objects.create_superuser("root", password="pw-root")
    response = login(boss).post(
        reverse("member_add", args=[team.pk]),
        {"username": "newbie", "role": "viewer", "create_user": "on", "password": "correct-horse-battery-9"},
    )
    assert response.status_code == 302
    newbie = get_user_model().objects.get(username="newbie")
    assert newbie.check_password("correct-horse-battery-9")
    assert membership(newbie, team).role == Role.VIEWER
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"user.create", "member.add"}
    # The password is never recorded.
    assert "correct-horse" not in str(list(AuditEntry.objects.values()))


def test_a_weak_password_for_a_new_user_is_refused(login, team):
    boss = get_user_model().objects.create_superuser("root", password="pw-root")
    response = login(boss).post(
        reverse("member_add", args=[team.pk]),
        {"username": "newbie", "role": "viewer", "create_user": "on", "password": "password"},
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_adding_someone_twice_is_refused(login, admin, viewer, team):
    response = login(admin).post(reverse("member_add", args=[team.pk]), {"username": "vera", "role": "admin"})
    assert response.status_code == 400
    assert membership(viewer, team).role == Role.VIEWER


def test_a_team_admin_changes_a_role_and_it_is_audited(login, admin, viewer, team):
    m = membership(viewer, team)
    response = login(admin).post(reverse("member_role", args=[team.pk, m.pk]), {"role": "editor"})
    assert response.status_code == 302
    assert membership(viewer, team).role == Role.EDITOR
    entry = AuditEntry.objects.get(action="member.role")
    assert entry.ok and entry.detail == {"member": "vera", "role": "editor", "old_role": "viewer"}


def test_the_last_admin_cannot_be_demoted_or_removed_and_the_attempt_is_audited(login, admin, team):
    m = membership(admin, team)
    client = login(admin)
    client.post(reverse("member_role", args=[team.pk, m.pk]), {"role": "viewer"})
    client.post(reverse("member_remove", args=[team.pk, m.pk]))
    assert membership(admin, team).role == Role.ADMIN
    refused = AuditEntry.objects.filter(ok=False).order_by("at")
    assert [e.action for e in refused] == ["member.role", "member.remove"]
    assert all("no admin" in e.message for e in refused)


def test_an_admin_may_step_down_once_another_admin_exists(login, admin, make_user, team):
    make_user("abe", team, "admin")
    response = login(admin).post(reverse("member_role", args=[team.pk, membership(admin, team).pk]), {"role": "viewer"})
    assert response.status_code == 302
    assert membership(admin, team).role == Role.VIEWER


def test_a_team_admin_removes_a_member_and_it_is_audited(login, admin, viewer, team):
    response = login(admin).post(reverse("member_remove", args=[team.pk, membership(viewer, team).pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(user=viewer, team=team).exists()
    assert AuditEntry.objects.get(action="member.remove").detail == {"member": "vera", "role": "viewer"}


def test_viewers_and_editors_may_not_manage_members(login, viewer, editor, admin, team):
    target = membership(admin, team)
    for user in (viewer, editor):
        client = login(user)
        assert client.post(reverse("member_add", args=[team.pk]), {"username": "ada", "role": "viewer"}).status_code == 403
        assert client.post(reverse("member_role", args=[team.pk, target.pk]), {"role": "viewer"}).status_code == 403
        assert client.post(reverse("member_remove", args=[team.pk, target.pk])).status_code == 403
        assert client.post(reverse("team_options", args=[team.pk]), {"allow_api_only": "on"}).status_code == 403
    assert membership(admin, team).role == Role.ADMIN
    assert not AuditEntry.objects.exists()


def test_a_membership_of_another_team_cannot_be_changed_through_your_own_team(login, admin, outsider, team, other_team):
    theirs = membership(outsider, other_team)
    client = login(admin)
    assert client.post(reverse("member_role", args=[team.pk, theirs.pk]), {"role": "viewer"}).status_code == 404
    assert client.post(reverse("member_remove", args=[team.pk, theirs.pk])).status_code == 404
    assert membership(outsider, other_team).role == Role.ADMIN


def test_a_user_in_two_teams_manages_each_in_its_own_role(login, make_user, team, other_team):
    both = make_user("bo", team, "admin")
    Membership.objects.create(user=both, team=other_team, role=Role.VIEWER)
    client = login(both)
    assert client.post(reverse("team_options", args=[team.pk]), {"allow_api_only": "on"}).status_code == 302
    assert client.post(reverse("team_options", args=[other_team.pk]), {"allow_api_only": "on"}).status_code == 403
    assert Team.objects.get(pk=team.pk).allow_api_only
    assert not Team.objects.get(pk=other_team.pk).allow_api_only


def test_team_options_change_is_audited_with_the_old_value(login, admin, team):
    login(admin).post(reverse("team_options", args=[team.pk]), {"allow_api_only": "on"})
    entry = AuditEntry.objects.get(action="team.options")
    assert entry.detail == {"allow_api_only": True, "was": False}


def test_only_site_admins_see_the_teams_page(login, admin):
    assert login(admin).get(reverse("site_teams")).status_code == 404
    assert login(admin).post(reverse("site_teams"), {"name": "X", "username": "ada"}).status_code == 404
    assert not Team.objects.filter(name="X").exists()


def test_a_site_admin_creates_a_team_with_an_existing_first_admin(login, make_user):
    boss = get_user_model().objects.create_superuser("root", password="pw-root")
    make_user("gina")
    response = login(boss).post(reverse("site_teams"), {"name": "Green team", "username": "gina"})
    green = Team.objects.get(name="Green team")
    assert response["Location"] == team_url(green)
    assert Membership.objects.get(team=green).role == Role.ADMIN
    entry = AuditEntry.objects.get(action="team.create")
    assert (entry.team, entry.username, entry.detail) == (green, "root", {"first_admin": "gina"})
    assert "Green team" in login(boss).get(reverse("site_teams")).content.decode()


def test_a_site_admin_creates_a_team_and_a_new_first_admin_account(login):
    boss = get_user_model().objects.create_superuser("root", password="pw-root")
    login(boss).post(reverse("site_teams"), {"name": "Green", "username": "gina", "create_user": "on",
                                             "password": "another-fine-pass-42"})
    gina = get_user_model().objects.get(username="gina")
    assert gina.check_password("another-fine-pass-42")
    assert Membership.objects.get(user=gina).team.name == "Green"


def test_team_names_are_unique_regardless_of_case(login, team, make_user):
    boss = get_user_model().objects.create_superuser("root", password="pw-root")
    make_user("gina")
    response = login(boss).post(reverse("site_teams"), {"name": "BLUE TEAM", "username": "gina"})
    assert response.status_code == 400
    assert Team.objects.count() == 1


def test_a_site_admin_manages_a_team_they_are_not_in(login, viewer, team):
    boss = get_user_model().objects.create_superuser("root", password="pw-root")
    client = login(boss)
    assert client.get(team_url(team)).status_code == 200
    client.post(reverse("member_role", args=[team.pk, membership(viewer, team).pk]), {"role": "admin"})
    assert membership(viewer, team).role == Role.ADMIN


def test_createteam_command_makes_a_team_with_its_admin(make_user):
    make_user("gina")
    call_command("createteam", "Ops", admin="gina")
    ops = Team.objects.get(name="Ops")
    assert Membership.objects.get(team=ops).user.username == "gina"
    assert AuditEntry.objects.get(action="team.create").detail["via"] == "manage.py createteam"
    with pytest.raises(CommandError):
        call_command("createteam", "ops", admin="gina")
