"""One settings module for every environment, configured from environment variables.

Development is the default (SQLite in ./var, DEBUG on). Production is ``DEBUG=0``: the platform
then refuses to start without ``SECRET_KEY`` and turns on secure cookies and HTTPS headers.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.getenv("CUAKHAU_VAR_DIR", BASE_DIR.parent / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.getenv(name)
    return int(value) if value else default


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.getenv(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DEBUG = envbool("DEBUG", True)
TESTING = envbool("CUAKHAU_TESTING", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when DEBUG=0 (production). "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",
    "cuakhau.core",
    "cuakhau.reference",
    "cuakhau.gates",
    "cuakhau.accounts",
    "cuakhau.declarations",
    "cuakhau.checks",
    "cuakhau.queueing",
    "cuakhau.fees",
    "cuakhau.situation",
    "cuakhau.notifications",
    "cuakhau.twin",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns lock-outs into a clear page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cuakhau.urls"
WSGI_APPLICATION = "cuakhau.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cuakhau.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database: SQLite by default, DATABASE_URL=postgres://… for PostgreSQL ---------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)
DATABASE_URL = os.getenv("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cuakhau.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 600))
_db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer commits; IMMEDIATE takes the write lock at BEGIN,
    # so two writers queue instead of failing half-way with "database is locked".
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # A file, not memory, so that tests with threads share one database.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    _db["CONN_MAX_AGE"] = 0 if TESTING else _db["CONN_MAX_AGE"]
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and security --------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "situation:home"

# Five wrong passwords for one user from one address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = envbool("AXES_ENABLED", True)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # one working shift
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)  # usually the proxy's job
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Languages: Vietnamese first, English, Chinese ---------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English")), ("zh-hans", _("Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
PARTNER_TIME_ZONE = "Asia/Shanghai"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- The platform's own settings -----------------------------------------------------------
# A declaration nobody checked in lapses this many hours after its planned arrival.
DECLARATION_VALIDITY_HOURS = envint("DECLARATION_VALIDITY_HOURS", 72)
# Driver links stay valid this many days after they are made.
DRIVER_LINK_DAYS = envint("DRIVER_LINK_DAYS", 14)
# Only for benchmarks/api.py: a route doing one INSERT and one SELECT, the database reference.
BENCHMARK_ROUTES = envbool("CUAKHAU_BENCHMARK_ROUTES", False)

# --- Notifications: webhooks, e-mail and SMS, delivered from the outbox ------------------------
# E-mail goes through Django's backend: printed on the console in development, SMTP otherwise.
EMAIL_BACKEND = os.getenv(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "Cửa khẩu số <no-reply@cuakhau.local>")
# The SMS gateway: a class with ``send(*, to, text, event_id)``; the default only logs.
CUAKHAU_SMS_ADAPTER = os.getenv("CUAKHAU_SMS_ADAPTER", "cuakhau.notifications.sms.LogSmsAdapter")
# Seconds a webhook receiver has to answer (per connection step).
CUAKHAU_WEBHOOK_TIMEOUT_SECONDS = envint("CUAKHAU_WEBHOOK_TIMEOUT_SECONDS", 10)
# Plain http:// to 127.0.0.1/localhost (and other private addresses) only in development.
CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP = envbool("CUAKHAU_WEBHOOK_ALLOW_LOCAL_HTTP", DEBUG)
# A message that failed this many times is given up and shown to the operators.
CUAKHAU_NOTIFICATION_MAX_ATTEMPTS = envint("CUAKHAU_NOTIFICATION_MAX_ATTEMPTS", 8)
# How many messages a worker sends at once (webhooks and SMTP wait on the network).
CUAKHAU_NOTIFICATION_SEND_THREADS = envint("CUAKHAU_NOTIFICATION_SEND_THREADS", 8)

# The yard queue and call-up (domain.md §6).
# Fresh produce is ordered as if it had arrived this much earlier: also the most any ordinary
# truck can be overtaken by the green lane.
CUAKHAU_GREEN_LANE_LEAD_MINUTES = envint("CUAKHAU_GREEN_LANE_LEAD_MINUTES", 120)
CUAKHAU_SLOT_GRACE_MINUTES = envint("CUAKHAU_SLOT_GRACE_MINUTES", 30)
CUAKHAU_CALL_EXPIRY_MINUTES = envint("CUAKHAU_CALL_EXPIRY_MINUTES", 30)
CUAKHAU_CALL_EXTENSION_MINUTES = envint("CUAKHAU_CALL_EXTENSION_MINUTES", 15)
CUAKHAU_NO_SHOWS_TO_BLOCK = envint("CUAKHAU_NO_SHOWS_TO_BLOCK", 2)
CUAKHAU_CANCELLATIONS_TO_BLOCK = envint("CUAKHAU_CANCELLATIONS_TO_BLOCK", 2)
CUAKHAU_BOOKING_BLOCK_DAYS = envint("CUAKHAU_BOOKING_BLOCK_DAYS", 14)
# Slot bookings one enterprise may make per minute (scripted mass booking is refused).
CUAKHAU_BOOKINGS_PER_MINUTE = envint("CUAKHAU_BOOKINGS_PER_MINUTE", 20)
# Seconds between the scheduled dispatch cycles of ``cuakhau worker``.
CUAKHAU_DISPATCH_INTERVAL_SECONDS = envint("CUAKHAU_DISPATCH_INTERVAL_SECONDS", 30)
# The twin's call-up forecast: refreshed this often, shown while younger than the maximum age.
CUAKHAU_FORECAST_INTERVAL_SECONDS = envint("CUAKHAU_FORECAST_INTERVAL_SECONDS", 300)
CUAKHAU_FORECAST_MAX_AGE_MINUTES = envint("CUAKHAU_FORECAST_MAX_AGE_MINUTES", 15)

# The infrastructure fee (domain.md §7): the collecting center keeps this share of the revenue.
CUAKHAU_FEE_CENTER_SHARE_PERCENT = envint("CUAKHAU_FEE_CENTER_SHARE_PERCENT", 10)
# Seconds a bank's payment notice may be old (its timestamp) before it is refused as a replay.
CUAKHAU_BANK_NOTICE_TOLERANCE_SECONDS = envint("CUAKHAU_BANK_NOTICE_TOLERANCE_SECONDS", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}
