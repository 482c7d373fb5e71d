"""Single sign-on against a small OpenID Connect provider run here, on 127.0.0.1.

The provider signs ID tokens with an RSA key (joserfc), publishes it as a JWKS, answers the
token and userinfo endpoints over real HTTP; the console talks to it through
mozilla-django-oidc exactly as it would to a company's provider.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from joserfc import jwt
from joserfc.jwk import RSAKey

from buckets.models import Membership, Role, Team

CLIENT_ID = "s3-console"


class Provider:
    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "alg": "RS256", "use": "sig"})
        self.codes: dict[str, dict] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, body: dict, status: int = 200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/jwks":
                    return self.answer({"keys": [provider.key.as_dict(private=False)]})
                if self.path == "/userinfo":
                    code = self.headers.get("Authorization", "").removeprefix("Bearer at-")
                    if code in provider.codes:
                        return self.answer(provider.codes[code]["claims"])
                return self.answer({"error": "invalid_token"}, 401)

            def do_POST(self):
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                code = form.get("code", [""])[0]
                grant = provider.codes.get(code)
                if self.path != "/token" or grant is None or form.get("client_id") != [CLIENT_ID]:
                    return self.answer({"error": "invalid_grant"}, 400)
                now = int(time.time())
                claims = {"iss": provider.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                          "nonce": grant["nonce"], **grant["claims"]}
                token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, provider.key)
                return self.answer({"id_token": token, "access_token": f"at-{code}", "token_type": "Bearer"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    idp = Provider()
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_LABEL = "Example SSO"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "client-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = idp.url + "/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = idp.url + "/token"
    settings.OIDC_OP_USER_ENDPOINT = idp.url + "/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = idp.url + "/jwks"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "buckets.oidc.ConsoleOIDCBackend"]
    yield idp
    idp.close()


def sign_in(client, provider, claims: dict, *, nonce: str | None = None):
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    location = urlparse(start["Location"])
    assert location.netloc == urlparse(provider.url).netloc
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID] and "code_challenge" in query  # PKCE
    code = f"code-{len(provider.codes)}"
    provider.codes[code] = {"nonce": nonce or query["nonce"][0], "claims": claims}
    return client.get("/oidc/callback/", {"code": code, "state": query["state"][0]})


def test_a_new_user_is_created_on_first_sign_in_and_put_into_teams_by_the_claim(client, db, provider):
    storage = Team.objects.create(name="Storage team")
    audit = Team.objects.create(name="Auditors")
    claims = {"sub": "u-1", "preferred_username": "grace", "email": "grace@example.com",
              "console_teams": ["Storage team:editor", "Auditors:viewer", "Nonexistent:admin", "Auditors:owner"]}
    done = sign_in(client, provider, claims)
    assert done.status_code == 302 and "/login/" not in done["Location"]
    grace = get_user_model().objects.get(username="grace")
    assert not grace.has_usable_password() and grace.email == "grace@example.com"
    roles = dict(Membership.objects.filter(user=grace).values_list("team__name", "role"))
    assert roles == {"Storage team": Role.EDITOR, "Auditors": Role.VIEWER}
    assert not Team.objects.filter(name="Nonexistent").exists()
    assert client.get("/").status_code in (200, 302)
    assert client.get("/connections/").status_code == 200
    assert storage and audit


def test_a_changed_claim_changes_the_role_at_the_next_sign_in(client, db, provider):
    Team.objects.create(name="Storage team")
    sign_in(client, provider, {"sub": "u-2", "preferred_username": "linus", "console_teams": {"Storage team": "viewer"}})
    client.logout()
    sign_in(client, provider, {"sub": "u-2", "preferred_username": "linus", "console_teams": {"Storage team": "admin"}})
    assert Membership.objects.get(user__username="linus").role == Role.ADMIN
    assert get_user_model().objects.filter(username="linus").count() == 1


def test_a_local_account_is_not_taken_over_by_a_provider_user_of_the_same_name(client, admin, provider):
    done = sign_in(client, provider, {"sub": "evil", "preferred_username": admin.username})
    assert done.status_code == 302 and "/login/" in done["Location"]
    assert "_auth_user_id" not in client.session


def test_local_accounts_keep_signing_in_with_their_password(client, admin, provider):
    page = client.get("/login/")
    assert "Sign in with Example SSO" in page.content.decode()
    done = client.post("/login/", {"username": admin.username, "password": "pw-" + admin.username})
    assert done.status_code == 302 and int(client.session["_auth_user_id"]) == admin.pk


def test_a_token_for_another_sign_in_is_refused(client, db, provider):
    done = sign_in(client, provider, {"sub": "u-3", "preferred_username": "mallory"}, nonce="not-the-one-we-sent")
    assert "_auth_user_id" not in client.session
    assert done.status_code in (302, 400)
    assert not get_user_model().objects.filter(username="mallory").exists()


def test_single_sign_on_is_off_by_default(client, db):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert "Sign in with" not in client.get("/login/").content.decode()
