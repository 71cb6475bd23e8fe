"""Django settings, all read from the environment (see README "Configuration")."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from equipage import conf

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = conf.data_dir()
SECRET_KEY = conf.secret_key(DATA_DIR)
DEBUG = os.environ.get("EQUIPAGE_DEBUG", "") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("EQUIPAGE_ALLOWED_HOSTS", "*").split(",") if h]
EQUIPAGE_BASE_URL = (os.environ.get("EQUIPAGE_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
EQUIPAGE_FROM_EMAIL = os.environ.get(
    "EQUIPAGE_FROM_EMAIL", "Equipage <no-reply@equipage.localhost>"
)
EQUIPAGE_MAIL_DOMAIN = os.environ.get("EQUIPAGE_MAIL_DOMAIN", "equipage.localhost")
EQUIPAGE_MAIL_CONFIGURED = conf.mail_configured()
EQUIPAGE_API_RATE_LIMIT = int(
    os.environ.get("EQUIPAGE_API_RATE_LIMIT", "600")
)  # per token per minute
CSRF_TRUSTED_ORIGINS = [EQUIPAGE_BASE_URL] if EQUIPAGE_BASE_URL.startswith("http") else []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "equipage.core",
    "equipage.organizations",
    "equipage.accounts",
    "equipage.groups",
    "equipage.invitations",
    "equipage.emails",
    "equipage.audit",
    "equipage.directory",
    "equipage.web",
    "equipage.tokens",
    "equipage.scim",
    "equipage.imports",
    "equipage.webhooks",
    "equipage.instance",
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
    "django_htmx.middleware.HtmxMiddleware",
    "equipage.web.middleware.TenantLanguageMiddleware",
    "equipage.web.middleware.ForcePasswordChangeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "equipage.urls"
WSGI_APPLICATION = "equipage.wsgi.application"

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
                "equipage.web.context.equipage",
            ],
        },
    }
]

DATABASES = {"default": conf.database(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Member"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "equipage.accounts.backends.MemberBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("login", "first_name", "last_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login's own URL is per organization; this one only catches stray redirects.
LOGIN_URL = "/"
SILENCED_SYSTEM_CHECKS = ["auth.W004", "auth.E003"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = EQUIPAGE_BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# django-axes: a handful of failures a minute per account and per address, then a
# one-minute pause; a successful login or a password reset clears the account.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=1)
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_USERNAME_CALLABLE = "equipage.accounts.throttle.axes_username"
AXES_LOCKOUT_CALLABLE = "equipage.accounts.throttle.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "imports"],
    }
}

MAILERS = conf.mailers(DATA_DIR)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
# The permissions package is not an app (it has no models); its messages are loaded here.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "permissions" / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("EQUIPAGE_TIME_ZONE", "Europe/Paris")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "uploads"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("EQUIPAGE_LOG_LEVEL", "WARNING")},
    "loggers": {"axes": {"level": "ERROR"}},
}

# Invitations, mail delivery tracking and outgoing webhooks (issue #4).
# EQUIPAGE_ESP names the provider whose signed tracking webhooks arrive at
# /hooks/mail/<esp>/tracking/ (postmark, sendgrid, mailgun, ...); its basic-auth
# "user:password" and, for providers that sign, its signing key come from the env.
EQUIPAGE_ESP = os.environ.get("EQUIPAGE_ESP", "").strip().lower()
# anymail's setting for the signing key of each provider that signs (EQUIPAGE_ESP_SIGNING_KEY).
EQUIPAGE_ESP_SIGNING_KEY_SETTINGS = {
    "mailgun": "MAILGUN_WEBHOOK_SIGNING_KEY",
    "mailersend": "MAILERSEND_SIGNING_SECRET",
    "mailtrap": "MAILTRAP_TRACKING_SECRET",
    "postal": "POSTAL_WEBHOOK_KEY",
    "resend": "RESEND_SIGNING_SECRET",
    "sendgrid": "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY",
}
ANYMAIL = {
    name: value
    for name, value in (
        ("WEBHOOK_SECRET", os.environ.get("EQUIPAGE_ESP_WEBHOOK_SECRET", "")),
        (
            EQUIPAGE_ESP_SIGNING_KEY_SETTINGS.get(EQUIPAGE_ESP, "UNUSED_SIGNING_KEY"),
            os.environ.get("EQUIPAGE_ESP_SIGNING_KEY", ""),
        ),
    )
    if value
}
# Outgoing webhooks refuse private and loopback addresses unless this is "1".
EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE = os.environ.get("EQUIPAGE_WEBHOOKS_ALLOW_PRIVATE", "") == "1"

# Mail and webhook queue leases (issue #14.4): a worker holds a mail or webhook it sends for
# this many seconds, renewed every quarter of it while it sends; when a worker dies, another
# takes the row over once the lease has run out (within a housekeeping round, 30 s, after).
try:
    EQUIPAGE_QUEUE_LEASE_SECONDS = float(os.environ.get("EQUIPAGE_QUEUE_LEASE_SECONDS", "60"))
except ValueError:
    EQUIPAGE_QUEUE_LEASE_SECONDS = -1.0
if not EQUIPAGE_QUEUE_LEASE_SECONDS >= 1:
    raise conf.ConfigError("EQUIPAGE_QUEUE_LEASE_SECONDS must be a number of seconds, at least 1.")
# Supervised work on several nodes (issue #14). A stopping worker (SIGTERM) takes
# no new task and gives the running one this long to finish, then hands it back
# to the queue; `serve` waits as long for its embedded worker.
EQUIPAGE_WORKER_GRACE_SECONDS = conf.seconds("EQUIPAGE_WORKER_GRACE_SECONDS", 60.0)

# Links and the API's edges (issue #16.5/6). Links start with EQUIPAGE_BASE_URL when it is
# set; else with the address the latest `serve` on this database listens on (recorded by
# serve, see equipage/instance/links.py); else with the default above.
EQUIPAGE_BASE_URL_FIXED = bool(os.environ.get("EQUIPAGE_BASE_URL", "").strip())
# The longest request line `serve` (gunicorn) reads, gunicorn's maximum; every API query
# parameter is bounded so that any valid query fits (tests/api/test_openapi.py).
EQUIPAGE_REQUEST_LINE_LIMIT = 8190
# The API's own messages (problem+json details), in the reader's language.
LOCALE_PATHS += [BASE_DIR / "api" / "locale"]
