"""Shared fixtures: real S3 servers over HTTP, users of each role, a real browser.

- `s3_endpoint`: a moto S3 server in its own process on 127.0.0.1 (session scope).
- `rgw`: the Ceph RGW from ../shared/tools/ceph-rgw-up.sh, or a loud skip.
- `team`, `other_team`; users `viewer`, `editor`, `admin` (in `team`), `outsider`
  (admin of `other_team`); `login(user)` gives a signed-in Django test client.
- `connection` (moto, owned by `team`), `rgw_connection`; `bucket` and `rgw_bucket`
  make a fresh bucket and remove it afterwards.
- `browser_page(user)`: a Playwright page in Debian's chromium, signed in on the
  live server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# --- S3 servers -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server in server mode: real HTTP on loopback, in its own process."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def rgw_settings() -> dict | None:
    """RGW endpoint and keys from the environment or the up script's data dir."""
    endpoint = os.environ.get("S3_RGW_ENDPOINT")
    access = os.environ.get("S3_RGW_ACCESS_KEY")
    secret = os.environ.get("S3_RGW_SECRET_KEY")
    if not endpoint:
        env_file = Path(os.environ.get("CEPH_RGW_DATA", "/tmp/ceph-rgw")) / "s3-user.env"
        if env_file.exists():
            values = {}
            for line in env_file.read_text().splitlines():
                line = line.removeprefix("export ").strip()
                if "=" in line:
                    k, v = line.split("=", 1)
                    values[k] = v.strip().strip("'\"")
            access = values.get("AK") or values.get("S3_ACCESS_KEY") or values.get("AWS_ACCESS_KEY_ID")
            secret = values.get("SK") or values.get("S3_SECRET_KEY") or values.get("AWS_SECRET_ACCESS_KEY")
            endpoint = "http://127.0.0.1:7480"
    if not (endpoint and access and secret):
        return None
    port = int(endpoint.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as sock:
        sock.settimeout(1)
        if sock.connect_ex(("127.0.0.1", port)) != 0:
            return None
    return {"endpoint": endpoint, "access_key": access, "secret_key": secret}


@pytest.fixture(scope="session")
def rgw():
    found = rgw_settings()
    if found is None:
        pytest.skip("RGW NOT RUNNING: start it with ../shared/tools/ceph-rgw-up.sh (CI does)")
    return found


# --- users, teams, connections ----------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The default PBKDF2 costs ~0.4 s per user, and the tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_versioning_answers():
    # Bucket names repeat across tests; a bucket's remembered versioning must not.
    from buckets import gateway

    gateway._versioning_seen.clear()


@pytest.fixture
def team(db):
    from buckets.models import Team

    return Team.objects.create(name="Blue team")


@pytest.fixture
def other_team(db):
    from buckets.models import Team

    return Team.objects.create(name="Red team")


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    from buckets.models import Membership

    def make(username: str, team=None, role: str = "viewer"):
        user = get_user_model().objects.create_user(username=username, password="pw-" + username)
        if team is not None:
            Membership.objects.create(user=user, team=team, role=role)
        return user

    return make


@pytest.fixture
def viewer(make_user, team):
    return make_user("vera", team, "viewer")


@pytest.fixture
def editor(make_user, team):
    return make_user("eddie", team, "editor")


@pytest.fixture
def admin(make_user, team):
    return make_user("ada", team, "admin")


@pytest.fixture
def outsider(make_user, other_team):
    return make_user("oscar", other_team, "admin")


@pytest.fixture
def login(client, db):
    from django.test import Client

    def sign_in(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return sign_in


@pytest.fixture
def make_connection(db):
    from buckets.models import Connection, Grant

    def make(team, *, endpoint: str, access_key: str = "test-key", secret_key: str = "test-secret",
             provider: str = "generic", region: str = "us-east-1", bucket_type: str = "", name: str = "",
             buckets: list[str] | None = None):
        connection = Connection.objects.create(
            team=team,
            name=name or f"conn-{uuid.uuid4().hex[:6]}",
            provider=provider,
            region=region,
            bucket_type=bucket_type,
            endpoint_url=endpoint,
            access_key=access_key,
            secret_key=secret_key,
        )
        Grant.objects.create(connection=connection, team=team, buckets=buckets or [])
        return connection

    return make


@pytest.fixture
def connection(make_connection, team, s3_endpoint):
    return make_connection(team, endpoint=s3_endpoint, name="Embedded moto")


@pytest.fixture
def contract_owned(make_connection, team, s3_endpoint):
    """An IONOS profile for contract-owned buckets (Berlin, eu-central-3), on moto."""
    return make_connection(team, endpoint=s3_endpoint, provider="ionos", region="eu-central-3",
                           bucket_type="contract-owned")


@pytest.fixture
def spaces(make_connection, team, s3_endpoint):
    """A DigitalOcean Spaces profile (nyc3), on moto."""
    return make_connection(team, endpoint=s3_endpoint, provider="digitalocean", region="nyc3",
                           bucket_type="standard")


@pytest.fixture
def rgw_connection(make_connection, team, rgw):
    return make_connection(team, endpoint=rgw["endpoint"], access_key=rgw["access_key"],
                           secret_key=rgw["secret_key"], provider="ceph", name="Ceph RGW")


def unique_bucket_name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def empty_and_delete(connection, name: str) -> None:
    from buckets import gateway

    client = gateway.client(connection)
    try:
        paginator = client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=name):
            items = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if items:
                client.delete_objects(Bucket=name, Delete={"Objects": items, "Quiet": True})
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
        client.delete_bucket(Bucket=name)
    except Exception:  # noqa: BLE001 - cleanup is best effort
        pass


@pytest.fixture
def bucket(connection):
    from buckets import gateway

    name = unique_bucket_name()
    gateway.create_bucket(connection, name)
    yield name
    empty_and_delete(connection, name)


@pytest.fixture
def rgw_bucket(rgw_connection):
    from buckets import gateway

    name = unique_bucket_name("rgw")
    gateway.create_bucket(rgw_connection, name)
    yield name
    empty_and_delete(rgw_connection, name)


# --- browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"NO BROWSER: {CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(playwright_browser, live_server, transactional_db):
    """browser_page(user) -> a signed-in Playwright page on the live server.

    The page records console errors and CSP violations in `page.console_problems`.
    """
    contexts = []

    def open_page(user, password: str | None = None):
        context = playwright_browser.new_context(base_url=live_server.url, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.console_problems = []
        page.on("console", lambda m: page.console_problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.console_problems.append(str(e)))
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password or "pw-" + user.username)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()
