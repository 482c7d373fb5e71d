"""Environment for the test suite, set before Django reads its settings."""

import os

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("CONSOLE_EMBEDDED", "1")
os.environ.setdefault("CONSOLE_VAR_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))
# Jobs enqueued by view tests go nowhere; the worker tests start a real worker on Redis.
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CONSOLE_ENCRYPTION_KEYS", "YR7hQ0Zk9sQ1j5d0pE3eP0b5Yz8n0s7H9jJ5mK2xW4o=")
