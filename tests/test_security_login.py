"""Signing in: throttling, session rotation, idle timeout, safe redirects, cookie flags."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

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
