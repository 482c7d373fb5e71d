"""Environment for the test suite, set before Django reads its settings.

Loaded as a plugin (`-p tests.testenv` in pyproject) so it runs before pytest-django
configures Django; a conftest.py would be too late.
"""

import os
import socket


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("CONSOLE_EMBEDDED", "1")
os.environ.setdefault("CONSOLE_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "var", "test"))
os.environ.setdefault("CONSOLE_ENCRYPTION_KEYS", "YR7hQ0Zk9sQ1j5d0pE3eP0b5Yz8n0s7H9jJ5mK2xW4o=")
# The production path: PostgreSQL and a Redis broker, when they run here (CI starts them).
# The worker tests need both, because a worker process must see the test database.
if "DATABASE_URL" not in os.environ and _listening(5432):
    # One database per run, so parallel runs on one machine do not collide.
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/console_{os.getpid()}"
if "CELERY_BROKER_URL" not in os.environ:
    # A Redis database of its own per run (2..13), so parallel runs neither flush nor steal
    # each other's tasks; the queue name is per run too, for the rare shared database.
    _db = 2 + os.getpid() % 12
    os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:6379/{_db}" if _listening(6379) else "memory://"
    os.environ.setdefault("CONSOLE_CELERY_QUEUE", f"console-test-{os.getpid()}")
os.environ.setdefault("CONSOLE_BROKER_VISIBILITY_TIMEOUT", "4")
os.environ.setdefault("CONSOLE_BROKER_RESTORE_INTERVAL", "1")
os.environ.setdefault("CONSOLE_BROKER_RESTORE_THROTTLE", "1")
