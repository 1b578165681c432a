"""Settings for the reservations portal, all from the environment.

Every variable is documented in README.md ("Configuration"). Defaults suit a fresh development machine
(SQLite, an embedded Celery broker, local-memory cache); production sets DJANGO_DEBUG=false, a secret
key, allowed hosts, DATABASE_URL and REDIS_URL, and `manage.py check --deploy` is then clean.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from partnercenter.config import PartnerCenterConfig
from portal.env import ConfigurationError, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Where the process may write: the SQLite file, the embedded broker's queue, beat's schedule,
# the development secret key. Kept out of the source tree's packages, ignored by git.
# A relative PORTAL_DATA_DIR is relative to the project, not to wherever a command was started.
DATA_DIR = (BASE_DIR / env_str("PORTAL_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# --- Core -------------------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", default=False)


def _secret_key() -> str:
    key = env_secret("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ConfigurationError(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_DEBUG is false."
        )
    # Development only: a random key kept beside the data, so sessions survive a restart
    # and no key is ever written in the source.
    path = DATA_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_countries",
    "template_partials",
    "portal",
    "catalog",
    "orders",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page requires sign-in unless its view is explicitly marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
# The password may live apart from the URL (DATABASE_PASSWORD or a secret file in DATABASE_PASSWORD_FILE),
# so that it is kept in one place and not in every container's environment.
if _database_password := env_secret("DATABASE_PASSWORD"):
    DATABASES["default"]["PASSWORD"] = _database_password
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, for the test database: integration tests start real Celery workers in
    # other processes, and they must see the rows the test wrote.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # Web, worker and beat write to the same file: wait for the lock instead of failing at once. A
    # transaction that reads before it writes would otherwise fail at once ("database is locked") when it
    # needs the write lock another process holds: IMMEDIATE takes the lock when the transaction begins.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery broker -----------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Sign-in and roles ------------------------------------------------------------------------------

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)  # a working day

# --- Internationalisation ---------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "UTC")

# --- Static files -----------------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it, even before collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names in production so browsers may cache forever; plain names in development and
        # tests, which run without collectstatic.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# --- HTTPS and cookies ------------------------------------------------------------------------------

# On by default outside DEBUG. DJANGO_HTTPS=false is for a plain-HTTP test server only.
HTTPS = env_bool("DJANGO_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)
# Preloading binds the whole domain to HTTPS in every browser for months and is hard to undo: that is the
# domain owner's decision (DJANGO_HSTS_PRELOAD=true), not a default, so its reminder is silenced.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (see docker-compose.yml).
if env_bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz is probed over plain HTTP by load balancers and container healthchecks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Partner Center ---------------------------------------------------------------------------------

# Read by the client package from PARTNER_CENTER_* (README: "Partner Center"). Unset, the portal runs
# without Partner Center: the pages say so, and "Sign in with Microsoft" is not offered.
PARTNER_CENTER = PartnerCenterConfig.from_env()

# --- Email (notifications) --------------------------------------------------------------------------

# Development prints emails on the console; production sets EMAIL_BACKEND and the SMTP variables.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Reservations portal <portal@localhost>")
# The portal's public address, for links in emails (https://portal.example.com). Unset: links are paths.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL")

# --- Markets ----------------------------------------------------------------------------------------

# ISO codes of the markets where reservations cannot be bought. Empty: the published list shipped in
# portal/data/unavailable_markets.csv. Set, it replaces that list (a new edition of Microsoft's page).
UNAVAILABLE_MARKETS = env_list("PORTAL_UNAVAILABLE_MARKETS", [])

# --- Catalog mirror ----------------------------------------------------------------------------------

# How hard a catalog sync may press on Partner Center: at most this many calls in flight, and (0: no
# pacing) at most this many calls a minute, which leaves room under Partner Center's 500 a minute for the
# staff's own pages and the other jobs.
CATALOG_SYNC_CONCURRENCY = env_int("PORTAL_CATALOG_SYNC_CONCURRENCY", 4, minimum=1, maximum=32)
CATALOG_SYNC_CALLS_PER_MINUTE = env_int("PORTAL_CATALOG_SYNC_CALLS_PER_MINUTE", 400, minimum=0)
# A mirror older than this is refreshed (products and SKUs read again, availabilities of new SKUs read);
# one whose last full sync is older than the second is copied again in full.
CATALOG_REFRESH_HOURS = env_int("PORTAL_CATALOG_REFRESH_HOURS", 24, minimum=1)
CATALOG_FULL_SYNC_DAYS = env_int("PORTAL_CATALOG_FULL_SYNC_DAYS", 7, minimum=1)

# --- Purchasing -------------------------------------------------------------------------------------

# How long a checkout worker holds a purchase request before another may take it over (orders.checkout).
# It must exceed the longest Partner Center call with its retries (about three minutes).
PORTAL_CHECKOUT_LEASE_SECONDS = env_int("PORTAL_CHECKOUT_LEASE_SECONDS", 300, minimum=1)

# --- Celery -----------------------------------------------------------------------------------------

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task not acknowledged within this time is delivered again. It must exceed the longest
        # task (see the time limits below), or a slow task would run twice.
        "visibility_timeout": 3600,
        "socket_connect_timeout": 5,
    }
else:
    # Embedded broker for a bare machine: queues are files under DATA_DIR, shared by web, worker and beat.
    # Development only; it has no redelivery after a crash, which is why production uses Redis.
    _broker_dir = DATA_DIR / "celery-broker"
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }

# Tasks record their outcome in the database (the rows they update, the audit trail), so no result
# backend is needed and none is configured.
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge after the task has run, and requeue it if its worker process dies: a crash means
# "run again", which every task is written to survive (they reload rows and check state first).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Partner Center calls are slow and rate-limited: a worker takes one message at a time instead of
# hoarding a batch that other workers could be running.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task may hang forever on a socket; the soft limit lets it record why it stopped.
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_DEFAULT_QUEUE = "portal"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Task modules besides each app's tasks.py, one per domain.
CELERY_IMPORTS = [
    "portal.customer_tasks",
    "portal.registration_tasks",
    "catalog.tasks",
    "orders.checkout_tasks",
    "orders.tracking_tasks",
    "billing.tasks",
]
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 60.0},
    # Copies Partner Center's customer list into the portal (portal.customers.sync_customers).
    "customer-list-sync": {"task": "portal.customer_tasks.sync_customers", "schedule": 15 * 60.0},
    # Reads the country (hence the reservations verdict) of customers never read yet, 50 a run:
    # about 250 calls every 5 minutes, well under Partner Center's 500 a minute.
    "customer-details-fill": {"task": "portal.customer_tasks.fill_customer_details", "schedule": 5 * 60.0},
    # Restarts the registration watcher for open requests whose follow-up message was lost (a worker
    # restarted, the broker was emptied): without it such a registration would wait forever.
    "registration-sweep": {"task": "portal.registration_tasks.sweep_registrations", "schedule": 30.0},
    # Queues a refresh (or a full sync) of every catalog mirror that is due, and picks up syncs that
    # stopped half-way (a worker restarted): see catalog.tasks.schedule_syncs.
    "catalog-sync-schedule": {"task": "catalog.tasks.schedule_syncs", "schedule": 5 * 60.0},
    # Re-sends checkout attempts whose message was lost or whose worker died (orders.checkout_tasks).
    "checkout-sweep": {"task": "orders.checkout_tasks.sweep_checkouts", "schedule": 30.0},
    # Reconciles the customers whose orders are not completed or not listed yet (Partner Center lists a
    # new order up to 15 minutes after checkout): a few calls per customer, 50 customers a run at most.
    # It also catches up when the follow-ups sent after a checkout were lost.
    "order-reconcile": {"task": "orders.tracking_tasks.reconcile_open_orders", "schedule": 5 * 60.0},
    # Picks up new invoices (Microsoft issues them monthly) and the balance; two calls a run.
    "invoice-sync": {"task": "billing.tasks.sync_invoices", "schedule": 30 * 60.0},
}

# --- Logging ----------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"client_errors_without_traceback": {"()": "portal.logs.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # Everything goes to the root's handler once: Django's default console handler (in DEBUG) would
        # print each of its records a second time.
        "django": {"handlers": [], "propagate": True},
        # Request lines are logged by the web server; Django's own would log each one twice.
        "django.server": {"level": "WARNING"},
        "django.request": {"filters": ["client_errors_without_traceback"]},
    },
}

# --- Demo -------------------------------------------------------------------------------------------

# `seed_demo` creates one user per role. It refuses to run unless this is on (make run turns it on),
# so a production deployment never gets demo accounts by accident.
DEMO_ACCOUNTS = env_bool("PORTAL_DEMO_ACCOUNTS", default=DEBUG)
