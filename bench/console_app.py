"""The console under test: its own env, a real gunicorn process, and an HTTP session.

The benchmark process also sets Django up in-process against the same SQLite file. It
seeds the user, team, connections and grants there, and runs the upload worker path
(`buckets.services`) and the in-process breakdown timings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from common import BIN, ROOT, Children, free_port, log, wait_for_port

USERNAME = "bench"
PASSWORD = "bench-password-not-secret-9f3a"  # a throwaway user in a throwaway database


def console_env(tmp: Path) -> dict[str, str]:
    """The environment of both the gunicorn child and this process's Django."""
    var = tmp / "var"
    var.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for name in list(env):
        # Nothing of the caller's console or AWS setup may leak into the measured run.
        if name.startswith(("CONSOLE_", "DJANGO_", "AWS_", "CELERY_")) or name == "DATABASE_URL":
            env.pop(name)
    env.update({
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "CONSOLE_EMBEDDED": "1",
        "CONSOLE_VAR_DIR": str(var),
        "CONSOLE_STATIC_ROOT": str(var / "staticfiles"),
        "CONSOLE_STAGING_DIR": str(var / "staging"),
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "CONSOLE_LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def django_setup(env: dict[str, str]) -> None:
    """Django in this process, on the benchmark's database and var dir."""
    for name in ("DJANGO_SETTINGS_MODULE", "CONSOLE_EMBEDDED", "CONSOLE_VAR_DIR", "CONSOLE_STATIC_ROOT",
                 "CONSOLE_STAGING_DIR", "DATABASE_URL", "CELERY_BROKER_URL", "CONSOLE_LOG_LEVEL"):
        os.environ[name] = env[name]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def seed(endpoints: dict[str, dict]) -> dict[str, int]:
    """One user, admin of one team, and one connection + grant per endpoint; returns the ids."""
    from django.contrib.auth import get_user_model

    from buckets.models import Connection, Grant, Membership, Team

    user, created = get_user_model().objects.get_or_create(username=USERNAME)
    if created:
        user.set_password(PASSWORD)
        user.save()
    team, _ = Team.objects.get_or_create(name="Bench team")
    Membership.objects.update_or_create(user=user, team=team, defaults={"role": "admin"})
    ids = {}
    for label, ep in endpoints.items():
        connection, _ = Connection.objects.update_or_create(
            team=team,
            name=f"bench {label}",
            defaults={
                "provider": "ceph" if label == "rgw" else "generic",
                "region": "us-east-1",
                "endpoint_url": ep["endpoint"],
                "access_key": ep["access_key"],
                "secret_key": ep["secret_key"],
                "addressing_style": "path",
                "created_by": user,
            },
        )
        Grant.objects.get_or_create(connection=connection, team=team)
        ids[label] = connection.pk
    return ids


class ConsoleServer:
    """gunicorn serving console.wsgi on a free loopback port (the production server)."""

    def __init__(self, children: Children, env: dict[str, str], log_path: Path, *, workers: int = 1) -> None:
        self.children = children
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = self.children.start(
            "gunicorn",
            [str(BIN / "gunicorn"), "console.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--timeout", "120", "--log-level", "warning"],
            cwd=str(ROOT), env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=60, proc=self.proc)
        log(f"console (gunicorn, {self.workers} sync worker) on {self.url}, pid {self.proc.pid}")

    def stop(self) -> None:
        if self.proc is not None:
            self.children.stop(self.proc)
            self.proc = None
            self._log.close()


class ConsoleClient:
    """A signed-in browser, as far as HTTP goes: session cookie, CSRF token, htmx headers."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()

    def login(self) -> None:
        page = self.http.get(f"{self.base}/login/", timeout=30)
        page.raise_for_status()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            raise RuntimeError("no CSRF token in the sign-in form")
        response = self.http.post(
            f"{self.base}/login/",
            data={"csrfmiddlewaretoken": match.group(1), "username": USERNAME, "password": PASSWORD, "next": ""},
            headers={"Referer": f"{self.base}/login/"},
            timeout=30,
        )
        response.raise_for_status()
        if "sessionid" not in self.http.cookies or "/login/" in response.url:
            raise RuntimeError(f"sign-in failed (ended on {response.url})")

    @property
    def csrf(self) -> str:
        return self.http.cookies.get("csrftoken", "")

    def browse(self, connection_id: int, bucket: str, *, token: str = "") -> requests.Response:
        if token:
            response = self.http.get(
                f"{self.base}/c/{connection_id}/b/{bucket}/",
                params={"token": token},
                headers={"HX-Request": "true", "HX-Target": "load-more"},
                timeout=60,
            )
        else:
            response = self.http.get(f"{self.base}/c/{connection_id}/b/{bucket}/", timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"browse answered {response.status_code}: {response.text[:300]}")
        return response

    def post_json(self, path: str, *, data=None, body: bytes | None = None, params=None) -> dict:
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json", "Referer": self.base + "/"}
        if body is not None:
            headers["Content-Type"] = "application/octet-stream"
        response = self.http.post(self.base + path, data=body if body is not None else data,
                                  params=params, headers=headers, timeout=300)
        if response.status_code != 200:
            raise RuntimeError(f"POST {path} answered {response.status_code}: {response.text[:300]}")
        return response.json()


ROW_RE = re.compile(r'<tr class="(?:object|folder)"')
TOKEN_RE = re.compile(r'id="load-more".*?href="[^"]*?[?&](?:amp;)?token=([^"&]+)', re.S)


def count_rows(html: str) -> int:
    return len(ROW_RE.findall(html))


def next_token(html: str) -> str:
    from urllib.parse import unquote_plus

    match = TOKEN_RE.search(html)
    return unquote_plus(match.group(1)) if match else ""


def upload_over_http(client: ConsoleClient, connection_id: int, bucket: str, key: str, path: Path) -> dict:
    """What the browser's upload script does: start, chunks at offsets, finish. Returns the job id."""
    size = path.stat().st_size
    base = f"/c/{connection_id}/b/{bucket}/uploads/"
    started = client.post_json(base + "start/", data={"key": key, "size": str(size), "content_type": "application/octet-stream"})
    job_id, chunk = started["job"], int(started["chunk"])
    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        offset = 0
        while offset < size:
            piece = fh.read(chunk)
            client.post_json(f"{base}{job_id}/chunk/", body=piece, params={"offset": offset})
            offset += len(piece)
    client.post_json(f"{base}{job_id}/finish/")
    return {"job": job_id, "chunks_s": time.perf_counter() - t0}
