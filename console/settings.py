"""Settings for the S3 console, all from the environment.

Every variable is listed, with its default, in `.env.example`. The defaults are the
embedded run (`make run`): SQLite, a broker that needs no service, and the embedded S3
server on loopback. Production sets CONSOLE_EMBEDDED=0 and the rest from the environment.
"""

import logging
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.utils.csp import CSP

from buckets import logs

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parsed.scheme == "sqlite":
        name = parsed.path[1:] if parsed.path.startswith("//") else parsed.path.lstrip("/")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name or str(BASE_DIR / "var" / "console.sqlite3"),
            "OPTIONS": {"timeout": 20},
        }
    raise ValueError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported")


# The embedded run: demo data, the demo login on the sign-in page, loopback endpoints.
EMBEDDED = env_bool("CONSOLE_EMBEDDED", True)
DEBUG = env_bool("DJANGO_DEBUG", False)
VAR_DIR = Path(env("CONSOLE_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not EMBEDDED:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when CONSOLE_EMBEDDED=0")
    SECRET_KEY = "embedded-only-not-secret-" + "x" * 40

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "health_check",
    "django_structlog",
    "buckets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "buckets.middleware.RefuseNulMiddleware",
    # Before the CSRF check, which reads the form: the upload's file names are keys.
    "buckets.middleware.FileNamesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One log line per request, after sign-in so it knows the user (buckets/logs.py).
    "django_structlog.middlewares.RequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "buckets.middleware.IdleTimeoutMiddleware",
    "buckets.middleware.S3BudgetMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "buckets.context_processors.console",
            ],
            "builtins": ["django_htmx.templatetags.django_htmx"],
        },
    }
]

DATABASES = {"default": database_from_url(env("DATABASE_URL", "sqlite:///"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (docs/security.md): lock the username + address pair after repeated
# failures, and an account after more failures from all addresses together, except from
# addresses it signed in from before (so an attacker cannot lock its owner out).
AXES_FAILURE_LIMIT = int(env("CONSOLE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("CONSOLE_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "buckets.audit.LoginThrottle"
AXES_CLIENT_IP_CALLABLE = "buckets.audit.client_ip"
CONSOLE_LOGIN_ACCOUNT_LIMIT = int(env("CONSOLE_LOGIN_ACCOUNT_LIMIT", "20"))
CONSOLE_LOGIN_KNOWN_ADDRESS_DAYS = int(env("CONSOLE_LOGIN_KNOWN_ADDRESS_DAYS", "90"))
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Sessions end after this much idle time, and at browser close.
SESSION_IDLE_SECONDS = int(env("CONSOLE_SESSION_IDLE_SECONDS", str(60 * 60)))
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("CONSOLE_STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not EMBEDDED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = EMBEDDED
if EMBEDDED:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root

# Security headers. The CSP allows no inline script or style without the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_COOKIES = env_bool("CONSOLE_SECURE_COOKIES", not EMBEDDED)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("CONSOLE_SSL_REDIRECT", not EMBEDDED)
# Probes speak plain http to the container's own port (buckets/health.py).
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = int(env("CONSOLE_HSTS_SECONDS", "0" if EMBEDDED else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not EMBEDDED
SECURE_HSTS_PRELOAD = not EMBEDDED
CONSOLE_BEHIND_PROXY = env_bool("CONSOLE_BEHIND_PROXY", False)
# How many proxies of yours append to X-Forwarded-For; the client's address is the entry the
# outermost one appended (buckets.audit.client_ip), never one the client wrote.
CONSOLE_PROXY_HOPS = max(1, int(env("CONSOLE_PROXY_HOPS", "1")))
if CONSOLE_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Credentials for S3 endpoints are encrypted with these Fernet keys, not SECRET_KEY.
# The first key encrypts; the others are still read, until `manage.py rotate_secrets`.
CONSOLE_ENCRYPTION_KEYS = env_list("CONSOLE_ENCRYPTION_KEYS")
if not CONSOLE_ENCRYPTION_KEYS and EMBEDDED:
    _key_file = VAR_DIR / "encryption.key"
    if not _key_file.exists():
        from cryptography.fernet import Fernet

        _key_file.parent.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(Fernet.generate_key().decode())
        _key_file.chmod(0o600)
    CONSOLE_ENCRYPTION_KEYS = [_key_file.read_text().strip()]

# Endpoint hosts a site admin allows to be private or plain http (SSRF guard).
# The embedded run allows its own loopback S3 server.
CONSOLE_ENDPOINT_ALLOWLIST = env_list(
    "CONSOLE_ENDPOINT_ALLOWLIST", "127.0.0.1,localhost" if EMBEDDED else ""
)

# S3 client behaviour.
S3_CONNECT_TIMEOUT = float(env("CONSOLE_S3_CONNECT_TIMEOUT", "3"))
S3_READ_TIMEOUT = float(env("CONSOLE_S3_READ_TIMEOUT", "15"))
S3_MAX_ATTEMPTS = int(env("CONSOLE_S3_MAX_ATTEMPTS", "2"))
# Deadlines (docs/faults.md): each call, retries included; all calls of one web request;
# calls inside gateway.patient() (workers); CompleteMultipartUpload.
S3_DEADLINE = float(env("CONSOLE_S3_DEADLINE", "8"))
S3_REQUEST_BUDGET = float(env("CONSOLE_S3_REQUEST_BUDGET", "9"))
S3_PATIENT_DEADLINE = float(env("CONSOLE_S3_PATIENT_DEADLINE", "900"))
S3_PATIENT_READ_TIMEOUT = float(env("CONSOLE_S3_PATIENT_READ_TIMEOUT", "300"))
S3_COMPLETE_TIMEOUT = float(env("CONSOLE_S3_COMPLETE_TIMEOUT", "600"))
# Per process and endpoint host:port: calls that may wait at once, and how long one more
# waits for a slot before it is told the endpoint is busy.
S3_ENDPOINT_CONCURRENCY = int(env("CONSOLE_S3_ENDPOINT_CONCURRENCY", "8"))
# In a worker process (its jobs run parallel calls on purpose): calls per endpoint at once.
S3_WORKER_ENDPOINT_CONCURRENCY = int(env("CONSOLE_S3_WORKER_ENDPOINT_CONCURRENCY", "32"))
S3_ENDPOINT_QUEUE_SECONDS = float(env("CONSOLE_S3_ENDPOINT_QUEUE_SECONDS", "2"))
# Circuit breaker: after this many time-outs in a row, fail fast for the cool-down.
S3_BREAKER_THRESHOLD = int(env("CONSOLE_S3_BREAKER_THRESHOLD", "3"))
S3_BREAKER_COOLDOWN = float(env("CONSOLE_S3_BREAKER_COOLDOWN", "30"))
# Previews in the details panel: an image is shown only up to this size (the browser reads it
# whole); a PDF's viewer reads at most this much of it, by byte ranges. Audio and video are
# read by the media element itself, by ranges, as far as it plays.
PREVIEW_IMAGE_MAX_BYTES = int(env("CONSOLE_PREVIEW_IMAGE_MAX_BYTES", str(20 * 1024 * 1024)))
PREVIEW_PDF_MAX_BYTES = int(env("CONSOLE_PREVIEW_PDF_MAX_BYTES", str(64 * 1024 * 1024)))
# Files up to this size go through the site in one PUT; larger ones are chunked.
UPLOAD_DIRECT_MAX_BYTES = int(env("CONSOLE_UPLOAD_DIRECT_MAX_BYTES", str(8 * 1024 * 1024)))
UPLOAD_CHUNK_BYTES = int(env("CONSOLE_UPLOAD_CHUNK_BYTES", str(8 * 1024 * 1024)))
UPLOAD_PART_BYTES = int(env("CONSOLE_UPLOAD_PART_BYTES", str(8 * 1024 * 1024)))
UPLOAD_STAGING_DIR = Path(env("CONSOLE_STAGING_DIR", str(VAR_DIR / "staging")))
UPLOAD_STALE_HOURS = int(env("CONSOLE_UPLOAD_STALE_HOURS", "24"))
# The browser keeps up to this many parts in flight (it starts lower and climbs while the
# link keeps up); the no-JavaScript route's worker sends this many at once.
UPLOAD_CONCURRENCY = int(env("CONSOLE_UPLOAD_CONCURRENCY", "8"))
UPLOAD_WORKER_CONCURRENCY = int(env("CONSOLE_UPLOAD_WORKER_CONCURRENCY", "8"))
# One part forwarded by the console to the endpoint may take this long (its bytes, not a
# page: the 10 s rule for pages does not fit a part of megabytes on a slow link).
UPLOAD_PART_TIMEOUT = float(env("CONSOLE_UPLOAD_PART_TIMEOUT", "60"))
# Off: every part goes through the console, even where the bucket's CORS would allow the
# browser to send it straight to the endpoint.
UPLOAD_DIRECT_ROUTE = env_bool("CONSOLE_UPLOAD_DIRECT_ROUTE", True)
# How long a presigned part URL of the direct route stays valid.
UPLOAD_SIGN_SECONDS = int(env("CONSOLE_UPLOAD_SIGN_SECONDS", "900"))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_CHUNK_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
BROWSER_PAGE_SIZE = int(env("CONSOLE_BROWSER_PAGE_SIZE", "100"))
# Object Query (S3 Select): result rows are kept here for paging and the CSV download (an
# hour), on a volume web hosts share; reading one answer stops after this many seconds.
QUERY_RESULT_DIR = Path(env("CONSOLE_QUERY_RESULT_DIR", str(VAR_DIR / "query-results")))
QUERY_READ_SECONDS = float(env("CONSOLE_QUERY_READ_SECONDS", "8"))

# Celery: with no broker configured, a filesystem transport that needs no service.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
_broker_dir = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Above the longest task, so a slow multipart upload is not delivered twice.
    # A task of a killed worker goes back to the queue after the visibility timeout;
    # workers look for such tasks every interval x throttle seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(env("CONSOLE_BROKER_VISIBILITY_TIMEOUT", str(6 * 60 * 60))),
        "unacked_restore_interval": int(env("CONSOLE_BROKER_RESTORE_INTERVAL", "10")),
        "unacked_restore_throttle": int(env("CONSOLE_BROKER_RESTORE_THROTTLE", "6")),
        "socket_connect_timeout": float(env("CONSOLE_BROKER_CONNECT_TIMEOUT", "2")),
        "socket_timeout": 5,
    }
CELERY_TASK_DEFAULT_QUEUE = env("CONSOLE_CELERY_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "sweep-stale-uploads": {"task": "buckets.tasks.sweep_stale_uploads", "schedule": 60 * 60},
    "sweep-query-results": {"task": "buckets.tasks.sweep_query_results", "schedule": 15 * 60},
    "sweep-lifecycle-previews": {"task": "buckets.tasks.sweep_lifecycle_previews", "schedule": 60 * 60},
    "recover-jobs": {"task": "buckets.tasks.recover_jobs", "schedule": float(env("CONSOLE_JOB_RECOVER_SECONDS", "30"))},
}
# Publishing a job must fail fast when the broker is away (the user is told at once and
# the job is sent again by the recover task), not hang the page in reconnect loops.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = float(env("CONSOLE_BROKER_CONNECT_TIMEOUT", "2"))
CELERY_BROKER_CONNECTION_MAX_RETRIES = 1
# A running job renews its lease every quarter of this; a job whose lease lapsed has lost
# its worker and is handed to another (up to JOB_MAX_ATTEMPTS runs in all).
JOB_LEASE_SECONDS = int(env("CONSOLE_JOB_LEASE_SECONDS", "60"))
JOB_MAX_ATTEMPTS = int(env("CONSOLE_JOB_MAX_ATTEMPTS", "3"))
# A job the broker took but no worker started within this long is sent again.
JOB_REDISPATCH_SECONDS = int(env("CONSOLE_JOB_REDISPATCH_SECONDS", "600"))

# Readiness (/health/ready/, buckets/health.py): how long to wait for a worker's pong, and
# when the staging volume counts as full.
HEALTH_WORKER_PING_SECONDS = float(env("CONSOLE_HEALTH_WORKER_PING_SECONDS", "1"))
HEALTH_STAGING_MAX_USED_PERCENT = float(env("CONSOLE_HEALTH_STAGING_MAX_USED_PERCENT", "95"))
HEALTH_STAGING_MIN_FREE_MB = int(env("CONSOLE_HEALTH_STAGING_MIN_FREE_MB", "1024"))

# Logs (buckets/logs.py): one line per request and per job step; plain for `make run`, JSON
# lines otherwise, secrets blanked.
LOG_FORMAT = env("CONSOLE_LOG_FORMAT", "") or ("plain" if EMBEDDED else "json")
LOGGING = logs.logging_config(LOG_FORMAT, env("CONSOLE_LOG_LEVEL", "INFO"))
logs.connect_signals()
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG  # the finished line is enough
DJANGO_STRUCTLOG_CELERY_ENABLED = True  # a job's lines carry the request_id that started it
DJANGO_STRUCTLOG_CELERY_DEFAULT_LOG_LEVEL = logging.DEBUG  # job_step lines say more
# Workers log through LOGGING too, instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Single sign-on with OpenID Connect (buckets/oidc.py), off unless CONSOLE_OIDC_ENABLED=1.
# Local accounts keep working beside it.
OIDC_ENABLED = env_bool("CONSOLE_OIDC_ENABLED", False)
OIDC_PROVIDER_LABEL = env("CONSOLE_OIDC_PROVIDER_LABEL", "your company account")
OIDC_RP_CLIENT_ID = env("CONSOLE_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("CONSOLE_OIDC_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("CONSOLE_OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env("CONSOLE_OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env("CONSOLE_OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env("CONSOLE_OIDC_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env("CONSOLE_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("CONSOLE_OIDC_SCOPES", "openid email profile")
OIDC_USERNAME_CLAIM = env("CONSOLE_OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_TEAMS_CLAIM = env("CONSOLE_OIDC_TEAMS_CLAIM", "console_teams")
OIDC_LINK_LOCAL = env_bool("CONSOLE_OIDC_LINK_LOCAL", False)
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"
if OIDC_ENABLED:
    _missing = [name for name in ("CONSOLE_OIDC_CLIENT_ID", "CONSOLE_OIDC_AUTHORIZATION_ENDPOINT",
                                  "CONSOLE_OIDC_TOKEN_ENDPOINT", "CONSOLE_OIDC_JWKS_ENDPOINT") if not env(name)]
    if _missing:
        raise RuntimeError("CONSOLE_OIDC_ENABLED=1 needs " + ", ".join(_missing))
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "buckets.oidc.ConsoleOIDCBackend"]
