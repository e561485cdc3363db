"""Settings for the workflow console.

Embedded by default (SQLite under ``var/``, django-q2's ORM broker, no services);
``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to Redis for the channel
layer and the job broker. Secrets come from the environment; a development key is
generated once into ``var/`` (never committed).
"""

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CONSOLE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name, default=False):
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def _development_secret_key():
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _development_secret_key()
DEBUG = _env_bool("DJANGO_DEBUG")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "channels",
    "django_q",
    "console",
    "silo",
    "workflows",
    "workflows.agencies",
    "jobs",
    "ninja",
    "console.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "console.storable.RefuseUnstorableForms",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "console.workspaces.CurrentWorkspaceMiddleware",
]

ROOT_URLCONF = "console.urls"
ASGI_APPLICATION = "console.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.workspaces.workspace_context",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    # Workers keep their connections (60 s). The ASGI web process sets
    # DATABASE_CONN_MAX_AGE=0 (console/asgi.py), as Django advises for ASGI: there each
    # request has its own thread context, and persistent connections pile up until
    # PostgreSQL refuses new clients (bench/api_wait.py --concurrency 20 showed it).
    conn_max_age = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    DATABASES = {
        "default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=conn_max_age)
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    options = DATABASES["default"].setdefault("OPTIONS", {})
    if _env_bool("DATABASE_SERVER_SIDE_BINDING"):
        options["server_side_binding"] = True
    # Django turns psycopg's prepared statements off unless told (for poolers in
    # transaction mode): on, the engine's claim and step statements (jobs.postgresql)
    # are planned once per connection instead of at every step, which halves their
    # time. "off" for a pooler that cannot keep prepared statements.
    threshold = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5")
    options["prepare_threshold"] = None if threshold == "off" else int(threshold)
    # The web process (console/asgi.py turns this on) borrows connections from a pool
    # instead of opening one per request; health checks hand out only live ones, so a
    # database restart costs no request. Workers keep their own connection instead.
    if _env_bool("DATABASE_POOL"):
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's pool requires it
        options["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "10")),
            "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", VAR_DIR / "console.sqlite3"),
            "OPTIONS": {
                # Web and workers are separate processes: WAL lets readers go on while a
                # worker writes, IMMEDIATE makes every transaction take the write lock
                # up front so two claims cannot interleave.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "console.layers.RedisChannelLayer",  # channels-redis, see there
            # redis-py 8 times socket reads out after 5 s by default, as long as the
            # layer's blocking receive waits: an idle socket's consumer would crash
            # (channels_redis issue 422). Longer than the wait, so a dead Redis still shows.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The API's rate limits live in the cache: Redis, when there is one, so that several
# web processes count together.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "console.cache.SharedRedisCache", "LOCATION": REDIS_URL}}

Q_CLUSTER = {
    "name": "console",
    "workers": int(os.environ.get("CONSOLE_WORKERS", "2")),
    "timeout": 600,
    "retry": 660,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 100,
    # A drain runs many jobs; a worker is replaced after this many drains, or sooner
    # when it holds more than max_rss KB (django-q2 checks after each task).
    "recycle": 5000,
    "max_rss": 400_000,
    "ack_failures": True,
    "poll": 0.1,
    "guard_cycle": 0.5,
    "log_level": os.environ.get("CONSOLE_WORKER_LOG_LEVEL", "WARNING"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # The ORM broker, but its reader is woken by each enqueue instead of polling.
    Q_CLUSTER["broker_class"] = "jobs.broker.WakeableORM"

# A worker holds a running job this long past its last commit (at least a step's own
# timeout); a job whose worker died is resumed by another once it runs out.
JOBS_LEASE_SECONDS = int(os.environ.get("JOBS_LEASE_SECONDS", "60"))
# Creating a job enqueues a drain at once; off, the workers' clock finds it (benches).
JOBS_WAKE_WORKERS = _env_bool("JOBS_WAKE_WORKERS", default=True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing one
# WhiteNoise serves straight from the finders, so no collectstatic step is needed in
# the embedded mode and static files work with DEBUG off.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("CONSOLE_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads over this size are refused with a clear message (bytes).
SILO_MAX_UPLOAD_BYTES = int(os.environ.get("SILO_MAX_UPLOAD_BYTES", 5 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = SILO_MAX_UPLOAD_BYTES + 1024 * 1024

# The HTTP API (console/api, docs/api.md): requests per minute per token (0 = no
# limit) and the largest request body it reads (413 above it).
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "600"))
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"  # the entry page previews its own PDFs in a frame

# Outbound calls and workspace secrets (webhook.post, entry.fetch, email.send).
# Workspace secrets are encrypted with this key (a Fernet key or any passphrase); when
# unset it is derived from SECRET_KEY, and changing either makes stored secrets unreadable.
CONSOLE_SECRETS_KEY = os.environ.get("CONSOLE_SECRETS_KEY", "")
# Private networks webhooks and fetches may reach without a workspace's opt-in (CIDRs).
# The EU's VIES service (vies.lookup): the operator's to point elsewhere (a proxy, a test
# double), never a workflow's.
VIES_URL = os.environ.get(
    "VIES_URL", "https://ec.europa.eu/taxation_customs/vies/services/checkVatService"
)
VIES_TIMEOUT = float(os.environ.get("VIES_TIMEOUT", "15"))
# The AEAT (VERI*FACTU, the VNifV2 census): endpoints per environment are the operator's
# (workflows/agencies/aeat/credentials.py has the AEAT's own as defaults; AEAT_ENDPOINTS
# here overrides them). The "local" environment exists only when AEAT_LOCAL_URL is set
# (`make run` sets it to the local test AEAT, whose CA is AEAT_LOCAL_CA).
AEAT_LOCAL_URL = os.environ.get("AEAT_LOCAL_URL", "")
AEAT_LOCAL_CA = os.environ.get("AEAT_LOCAL_CA", "")
AEAT_TIMEOUT = float(os.environ.get("AEAT_TIMEOUT", "60"))

OUTBOUND_ALLOWED_NETWORKS = [
    n.strip()
    for n in os.environ.get("CONSOLE_OUTBOUND_ALLOWED_NETWORKS", "").split(",")
    if n.strip()
]
# The SMTP server email.send uses when a workspace has none of its own.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

# One JSON object per line with the job and step ids (console/logs.py); "text" for people.
LOG_FORMAT = os.environ.get("CONSOLE_LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scope": {"()": "console.logs.ScopeFilter"}},
    "formatters": {
        "json": {"()": "console.logs.JsonFormatter"},
        "text": {
            "()": "console.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["scope"],
            "formatter": "text" if LOG_FORMAT == "text" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CONSOLE_LOG_LEVEL", "WARNING")},
}
