"""Response headers on every page, production settings, and how object bytes are served.

Every GET route of the site is requested with the team's own objects on a real S3 server
(moto): each HTML page must carry a nonce CSP that its scripts use, no inline handler or
style, and the framing, sniffing and referrer headers; and no GET may change anything,
in the database or in S3.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from django.apps import apps
from django.urls import reverse

from buckets import gateway
from buckets.models import AuditEntry, Grant, Job, Membership
from tests.test_tenant_isolation import EXCLUDED_NAMESPACES, site_routes, values_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
WRITE_CALL = re.compile(r"^(put|delete|create|copy|complete|abort|upload|restore|write|select)_")


class InlineCodeFinder(HTMLParser):
    """Collects what a nonce CSP would block or what smells of inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.styles: list[dict] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        if tag == "style":
            self.styles.append(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> inline handler")
            if name == "style":
                self.problems.append(f"<{tag} style=…> inline style")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
            if name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}> htmx inline handler")


def csp_nonce(response) -> str | None:
    """The script nonce of the policy; Django adds it only when the page used it."""
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy and "base-uri 'none'" in policy
    match = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
    return match[1] if match else None


# Pages that must be framed, by the console's own pages only; every other rule holds for them.
FRAMED_PAGES = {"/preview/pdf/": "the PDF preview's viewer, a sandboxed frame of the details panel"}


def page_problems(response, framed: bool = False) -> list[str]:
    problems = []
    if framed:
        policy = response.get("Content-Security-Policy", "")
        if response.get("X-Frame-Options") != "SAMEORIGIN" or "frame-ancestors 'self'" not in policy:
            problems.append("a framed page not limited to the console's own frames")
        if not policy.startswith("sandbox allow-scripts;") or "allow-same-origin" in policy:
            problems.append("a framed page without its own sandbox")
        response = copy.copy(response)
        response.headers = response.headers.copy()
        response["X-Frame-Options"] = "DENY"
        response["Content-Security-Policy"] = policy.replace("frame-ancestors 'self'", "frame-ancestors 'none'")
    if response.get("X-Frame-Options") != "DENY":
        problems.append("X-Frame-Options is not DENY")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if "Content-Security-Policy" not in response:
        return problems + ["no Content-Security-Policy"]
    if not response.get("Content-Type", "").startswith("text/html"):
        return problems
    if response.get("Referrer-Policy") != "same-origin":
        problems.append("Referrer-Policy is not same-origin")
    nonce = csp_nonce(response)
    finder = InlineCodeFinder()
    finder.feed(response.content.decode())
    problems += finder.problems
    for script in finder.scripts:
        if nonce is None or script.get("nonce") != nonce:
            problems.append(f"<script src={script.get('src')!r}> without the response's nonce")
    for style in finder.styles:
        if nonce is None or style.get("nonce") != nonce:
            problems.append("<style> without the response's nonce")
    return problems


@pytest.fixture
def own_world(connection, bucket, admin, viewer, team, other_team):
    gateway.put_object(connection, bucket, "hello.txt", b"hello", content_type="text/plain")
    job = Job.objects.create(kind="upload", team=team, user=admin, connection=connection, bucket=bucket, key="hello.txt")
    entry = AuditEntry.objects.create(team=team, action="object.upload", username="ada", bucket=bucket, key="hello.txt")
    shared = Grant.objects.create(connection=connection, team=other_team, buckets=[bucket])
    return {"connection_id": connection.pk, "bucket": bucket, "job_id": job.pk, "entry_id": entry.pk,
            "grant_id": shared.pk, "team_id": team.pk, "membership_id": Membership.objects.get(user=viewer).pk}


def get_routes():
    for route in site_routes():
        if route.namespace.split(":")[0] in EXCLUDED_NAMESPACES:
            continue
        yield route


def snapshot() -> dict:
    tables = {}
    for model in apps.get_models():
        if model._meta.app_label in {"buckets", "auth"}:
            tables[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return tables


def test_every_page_has_a_nonce_csp_security_headers_and_no_inline_code(login, admin, own_world):
    client = login(admin)
    problems, pages = [], 0
    for route in get_routes():
        url = route.url(values_for(route, own_world)) + "?key=hello.txt"
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.streaming:
                b"".join(response.streaming_content)
            pages += response.get("Content-Type", "").startswith("text/html")
            framed = route.url(values_for(route, own_world)) in FRAMED_PAGES
            problems += [f"{url} {'htmx ' if headers else ''}{p}" for p in page_problems(response, framed)]
    assert pages >= 30
    assert not problems, "\n".join(problems)


def test_no_get_request_changes_the_database_or_writes_to_s3(login, admin, connection, own_world, monkeypatch):
    real_client = gateway.client
    writes: list[str] = []

    class Recorder:
        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            if WRITE_CALL.match(name):
                writes.append(name)
            return getattr(self._inner, name)

    monkeypatch.setattr(gateway, "client", lambda conn, **kw: Recorder(real_client(conn, **kw)))
    client = login(admin)
    client.get(reverse("connections"))  # the first request stores the session's last_seen
    before = snapshot()
    errors = []
    for route in get_routes():
        url = route.url(values_for(route, own_world)) + "?key=hello.txt"
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if response.streaming:
                b"".join(response.streaming_content)
            # Readiness answers 503 by design here: no worker runs during this test.
            if response.status_code >= 500 and not url.startswith("/health/ready/"):
                errors.append(f"GET {url} -> {response.status_code}")
    assert not errors, "\n".join(errors)
    assert snapshot() == before
    assert writes == []
    assert gateway.read_head(connection, own_world["bucket"], "hello.txt", 10) == b"hello"


def test_htmx_may_not_eval_or_run_swapped_scripts_and_sends_the_csrf_token(login, viewer):
    html = login(viewer).get(reverse("connections")).content.decode()
    config = json.loads(re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', html)[1])
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["selfRequestsOnly"] is True
    assert re.search(r'<body hx-headers=\'\{"X-CSRFToken": "[^"]+"\}\'', html)


def test_the_error_pages_carry_the_same_headers(login, viewer):
    response = login(viewer).get("/no/such/page/")
    assert response.status_code == 404
    assert page_problems(response) == []


# --- production settings ------------------------------------------------------------------


def production_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CONSOLE_", "DATABASE_URL"))}
    env.update({
        "CONSOLE_EMBEDDED": "0",
        "DJANGO_SECRET_KEY": "k3y-" + "Zx9!q#Lm2@Vb7$Rt5%Wn8^Hy4&Jp6*Gd1(Fs3)Ck0" * 2,
        "DJANGO_ALLOWED_HOSTS": "console.example.com",
        "CONSOLE_ENCRYPTION_KEYS": "YR7hQ0Zk9sQ1j5d0pE3eP0b5Yz8n0s7H9jJ5mK2xW4o=",
        "CONSOLE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/console.sqlite3",
        "CELERY_BROKER_URL": "memory://",
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "PYTHONPATH": str(ROOT),
    })
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(tmp_path), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_use_secure_cookies_hsts_and_https_redirects(tmp_path):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({n: getattr(s, n) for n in "
        "['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', 'DEBUG', 'SECURE_REFERRER_POLICY', "
        "'CONSOLE_ENDPOINT_ALLOWLIST']}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=production_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000, "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY", "DEBUG": False, "SECURE_REFERRER_POLICY": "same-origin",
        # Production allows no private or plain-http endpoint until an admin names one.
        "CONSOLE_ENDPOINT_ALLOWLIST": [],
    }


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


# --- object bytes ---------------------------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


@pytest.fixture
def hostile_objects(connection, bucket):
    objects = {
        "evil.svg": (SVG, "image/svg+xml"),
        "evil.html": (HTML, "text/html"),
        "fake.png": (HTML, "image/png"),  # HTML bytes claiming to be an image
        "real.png": (PNG, "image/png"),
    }
    for key, (body, content_type) in objects.items():
        gateway.put_object(connection, bucket, key, body, content_type=content_type)
    return objects


def object_url(name, connection, bucket, key):
    return reverse(name, args=[connection.pk, bucket]) + "?key=" + quote(key, safe="")


@pytest.mark.parametrize("key", ["evil.svg", "evil.html", "fake.png", "real.png"])
def test_downloads_are_sandboxed_attachments_that_are_never_sniffed(login, viewer, connection, bucket, hostile_objects, key):
    response = login(viewer).get(object_url("download", connection, bucket, key))
    assert b"".join(response.streaming_content) == hostile_objects[key][0]
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize("key", ["evil.svg", "evil.html"])
def test_svg_and_html_previews_are_attachments_not_documents(login, viewer, connection, bucket, hostile_objects, key):
    response = login(viewer).get(object_url("preview", connection, bucket, key))
    b"".join(response.streaming_content)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize("key", ["real.png", "fake.png"])
def test_raster_previews_are_inline_but_sandboxed_and_not_sniffed(login, viewer, connection, bucket, hostile_objects, key):
    response = login(viewer).get(object_url("preview", connection, bucket, key))
    b"".join(response.streaming_content)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox") and "script-src" not in policy and "default-src 'none'" in policy


def test_the_details_panel_shows_html_source_as_escaped_text_and_no_svg_image(login, viewer, connection, bucket, hostile_objects):
    client = login(viewer)
    html = client.get(object_url("object_detail", connection, bucket, "evil.html")).content.decode()
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in html
    assert "<script>alert(document.cookie)" not in html
    svg_panel = client.get(object_url("object_detail", connection, bucket, "evil.svg"),
                           headers={"HX-Request": "true"}).content.decode()
    assert "<img" not in svg_panel and "<svg" not in svg_panel
