"""The audit log files an action under the team that acted, and tells the owner too."""

from __future__ import annotations

from django.urls import reverse

from buckets.models import AuditEntry, Grant


def test_an_action_on_a_shared_connection_lands_in_both_teams_logs(login, make_user, team, other_team, connection, bucket):
    Grant.objects.create(connection=connection, team=other_team)
    guest = make_user("gina", other_team, "editor")
    login(guest).post(reverse("create_folder", args=[connection.pk, bucket]), {"prefix": "", "name": "from-guest"})
    entries = AuditEntry.objects.filter(action="folder.create", key="from-guest/")
    assert sorted(e.team_id for e in entries) == sorted([team.pk, other_team.pk])


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one(rf, settings):
    from buckets.audit import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1", REMOTE_ADDR="10.0.0.2")
    settings.CONSOLE_BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.2"
    settings.CONSOLE_BEHIND_PROXY = True
    # Two proxies of ours append (10.0.0.1 is the inner one); entries left of theirs are
    # the client's own writing (issue 8 item 2, tests/test_security_login.py).
    settings.CONSOLE_PROXY_HOPS = 2
    assert client_ip(request) == "203.0.113.9"
    settings.CONSOLE_PROXY_HOPS = 1
    assert client_ip(request) == "10.0.0.1"
