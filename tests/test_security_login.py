"""Signing in: throttling, session rotation, idle timeout, safe redirects, cookie flags."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password, **extra})


def test_five_failed_sign_ins_lock_the_account_even_for_the_right_password(viewer):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "vera", "wrong")
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
    locked = sign_in(client, "vera", "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    after = sign_in(client, "vera", "pw-vera")
    assert after.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("connections")).status_code == 302


def test_the_lockout_is_per_user_so_others_can_still_sign_in(viewer, editor):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "vera", "wrong")
    assert sign_in(client, "eddie", "pw-eddie").status_code == 302


def test_the_lockout_page_carries_the_csp(viewer):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, "vera", "wrong")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_signing_in_rotates_the_session_key(viewer):
    client = Client()
    planted = client.session  # e.g. a session id an attacker fixed in the victim's browser
    planted["probe"] = "kept"
    planted.save()
    old_key = planted.session_key
    assert sign_in(client, "vera", "pw-vera").status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.session["probe"] == "kept"


def test_signing_out_ends_the_session(viewer):
    client = Client()
    sign_in(client, "vera", "pw-vera")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(reverse("logout")).status_code == 405  # no state change on GET
    assert Session.objects.filter(session_key=key).exists()
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_the_session_cookie_is_http_only_and_same_site(viewer):
    client = Client()
    sign_in(client, "vera", "pw-vera")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_the_sign_in_page_never_redirects_to_another_site(viewer):
    response = sign_in(Client(), "vera", "pw-vera", next="https://evil.example/phish")
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)


def idle_for(client: Client, seconds: int) -> None:
    session = client.session
    session["last_seen"] = int(time.time()) - seconds
    session.save()


def test_an_idle_session_is_signed_out_and_sent_to_the_sign_in_page(login, viewer):
    client = login(viewer)
    client.get(reverse("connections"))
    idle_for(client, settings.SESSION_IDLE_SECONDS + 5)
    response = client.get(reverse("connections"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?idle=1"
    assert "_auth_user_id" not in client.session
    assert "inactivity" in client.get(response["Location"]).content.decode()


def test_an_idle_htmx_request_redirects_the_whole_page(login, viewer):
    client = login(viewer)
    client.get(reverse("connections"))
    idle_for(client, settings.SESSION_IDLE_SECONDS + 5)
    response = client.get(reverse("jobs"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("login") + "?idle=1"
    assert client.get(reverse("jobs")).status_code == 302


def test_an_active_session_stays_signed_in(login, viewer):
    client = login(viewer)
    client.get(reverse("connections"))
    idle_for(client, settings.SESSION_IDLE_SECONDS - 60)
    assert client.get(reverse("connections")).status_code == 200
    # The request counted as activity.
    assert time.time() - client.session["last_seen"] < 5


def test_anonymous_requests_go_to_the_sign_in_page(viewer):
    response = Client().get(reverse("jobs"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- behind a proxy, and many addresses against one account -----------------------------------

PROXY = "10.0.0.2"  # the trusted reverse proxy: every request arrives from it


def via_proxy(client: Client, username: str, password: str, forwarded: str):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.fixture
def behind_proxy(settings):
    settings.CONSOLE_BEHIND_PROXY = True
    settings.CONSOLE_PROXY_HOPS = 1


def test_behind_a_proxy_rotating_forwarded_for_entries_gives_no_extra_guesses(behind_proxy, viewer):
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker writes a new first entry each time; the proxy appends the real address.
        via_proxy(client, "vera", "wrong", f"198.51.100.{n}, 203.0.113.7")
    locked = via_proxy(client, "vera", "pw-vera", "198.51.100.99, 203.0.113.7")
    assert locked.status_code == 429


def test_a_lock_from_one_address_behind_the_proxy_leaves_other_addresses_alone(behind_proxy, viewer):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        via_proxy(client, "vera", "wrong", "203.0.113.7")
    assert via_proxy(Client(), "vera", "pw-vera", "203.0.113.66").status_code == 302


def test_forged_forwarded_for_entries_never_reach_the_audit_log(behind_proxy, login, admin, s3_endpoint):
    from buckets.models import AuditEntry
    from tests.test_connections import form_data

    login(admin).post(reverse("connection_create"), form_data(s3_endpoint), REMOTE_ADDR=PROXY,
                      HTTP_X_FORWARDED_FOR="6.6.6.6, 1.1.1.1, 203.0.113.7")
    assert list(AuditEntry.objects.values_list("ip", flat=True)) == ["203.0.113.7"]


@pytest.mark.parametrize("hops, forwarded, remote, expected", [
    (1, "6.6.6.6, 203.0.113.7", PROXY, "203.0.113.7"),
    (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", PROXY, "203.0.113.7"),  # CDN, then our proxy
    (2, "203.0.113.7", PROXY, "203.0.113.7"),  # the outer proxy was skipped
    (1, "203.0.113.7:51234", PROXY, "203.0.113.7"),
    (1, "[2001:db8::7]:443", PROXY, "2001:db8::7"),
    (1, "6.6.6.6, not-an-address", PROXY, PROXY),  # garbage where the proxy writes: the peer
    (1, "", PROXY, PROXY),
])
def test_the_client_address_is_the_entry_the_trusted_proxy_appended(settings, rf, hops, forwarded, remote, expected):
    from buckets.audit import client_ip

    settings.CONSOLE_BEHIND_PROXY, settings.CONSOLE_PROXY_HOPS = True, hops
    assert client_ip(rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)) == expected


def test_without_a_proxy_forwarded_for_is_ignored(settings, rf):
    from buckets.audit import client_ip

    settings.CONSOLE_BEHIND_PROXY = False
    assert client_ip(rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="6.6.6.6")) == "203.0.113.7"


def spray(username: str, addresses: range, tries: int) -> None:
    for n in addresses:
        client = Client(REMOTE_ADDR=f"198.51.100.{n}")
        for _ in range(tries):
            sign_in(client, username, "wrong")


def test_many_addresses_get_no_more_than_the_account_limit_of_guesses(settings, viewer):
    settings.CONSOLE_LOGIN_ACCOUNT_LIMIT = 8
    spray("vera", range(4), tries=2)  # 8 failures, no address near its own limit of 5
    fresh = Client(REMOTE_ADDR="198.51.100.200")
    locked = sign_in(fresh, "vera", "pw-vera")
    assert locked.status_code == 429
    assert "addresses it has not signed in from before" in locked.content.decode()
    assert "_auth_user_id" not in fresh.session


def test_an_attacker_cannot_lock_the_owner_out_of_their_usual_address(settings, viewer):
    settings.CONSOLE_LOGIN_ACCOUNT_LIMIT = 8
    home = Client(REMOTE_ADDR="203.0.113.50")
    assert sign_in(home, "vera", "pw-vera").status_code == 302  # an earlier, ordinary day
    spray("vera", range(10), tries=4)  # 40 failures from 10 addresses
    assert sign_in(Client(REMOTE_ADDR="203.0.113.50"), "vera", "pw-vera").status_code == 302
    # Guessing from the owner's address still meets the per-address lock.
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, "vera", "wrong")
    assert sign_in(guesser, "vera", "pw-vera").status_code == 429


def test_the_account_limit_cools_off(settings, viewer):
    from axes.models import AccessAttempt

    settings.CONSOLE_LOGIN_ACCOUNT_LIMIT = 8
    spray("vera", range(4), tries=2)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
    assert sign_in(Client(REMOTE_ADDR="198.51.100.200"), "vera", "pw-vera").status_code == 302


def test_the_account_limit_is_per_account(settings, viewer, editor):
    settings.CONSOLE_LOGIN_ACCOUNT_LIMIT = 8
    spray("vera", range(4), tries=2)
    assert sign_in(Client(REMOTE_ADDR="198.51.100.200"), "eddie", "pw-eddie").status_code == 302
