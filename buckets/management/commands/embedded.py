"""`make run`: the console with its own S3 servers, a worker and the demo workspace.

Starts, all on 127.0.0.1: three moto S3 servers (one per demo connection), a Celery
worker on the broker from the settings (a filesystem transport unless
CELERY_BROKER_URL says otherwise), and the Django site. Ctrl-C stops what it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from buckets import demo


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise CommandError(f"Nothing answered on 127.0.0.1:{port} after {timeout:.0f} s")


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class Command(BaseCommand):
    help = "Run the console with embedded S3 servers, a worker and the demo workspace."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--s3-port", type=int, default=int(os.environ.get("S3_EMBEDDED_PORT", "9101")))

    def handle(self, *args, port: int, s3_port: int, **options):
        if not settings.EMBEDDED:
            raise CommandError("The embedded run needs CONSOLE_EMBEDDED=1 (the default).")
        for p in [port] + [s3_port + i for i in range(len(demo.DEMO_CONNECTIONS))]:
            if not port_free(p):
                raise CommandError(f"Port {p} on 127.0.0.1 is taken. Set PORT= or S3_EMBEDDED_PORT= to another one.")
        children: list[subprocess.Popen] = []

        def stop(*_args) -> None:
            for child in reversed(children):
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        bin_dir = os.path.dirname(sys.executable)
        # moto is the `demo` extra: the production image does not carry it.
        if not os.path.exists(os.path.join(bin_dir, "moto_server")):
            raise CommandError("The embedded run needs the demo extra: pip install -e '.[demo]' (make run does it).")
        try:
            for i in range(len(demo.DEMO_CONNECTIONS)):
                children.append(subprocess.Popen(
                    [os.path.join(bin_dir, "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port + i)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                ))
            call_command("migrate", interactive=False, verbosity=0)
            for i in range(len(demo.DEMO_CONNECTIONS)):
                wait_for_port(s3_port + i)
            connections = demo.seed(base_port=s3_port)
            demo.fill(connections)
            children.append(subprocess.Popen([
                sys.executable, "-m", "celery", "-A", "console", "worker", "-B",
                "--pool=threads", "--concurrency=4", "--loglevel=WARNING",
                "--schedule", str(settings.VAR_DIR / "celerybeat-schedule"),
            ]))
            children.append(subprocess.Popen([
                sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks",
            ]))
            wait_for_port(port)
            self.stdout.write(self.style.SUCCESS(
                f"\n  S3 console running on http://127.0.0.1:{port}/\n"
                f"  Sign in as demo / demo. Embedded S3 servers on 127.0.0.1:{s3_port}-{s3_port + 2}.\n"
                "  Press Ctrl-C to stop.\n"
            ))
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            raise CommandError("A part of the embedded run stopped; stopping the rest.")
        finally:
            for child in reversed(children):
                if child.poll() is None:
                    child.terminate()
