"""Django settings, all read from the environment (see README "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from equipage import conf
from equipage.ops import logs

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = conf.data_dir()
SECRET_KEY = conf.secret_key(DATA_DIR)
DEBUG = os.environ.get("EQUIPAGE_DEBUG", "") == "1"
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
    # First: everything after it (logs, audit, throttling) sees the real client.
    "equipage.core.proxy.ReverseProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "equipage.api.middleware.MachineErrorsMiddleware",  # hostile input (#13): JSON errors, 413
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "equipage.web.middleware.TenantLanguageMiddleware",
    "equipage.web.middleware.ForcePasswordChangeMiddleware",
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
AUTHENTICATION_BACKENDS = ["equipage.accounts.backends.MemberBackend"]
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

# Django's database sessions, read through a prepared statement (#20).
SESSION_ENGINE = "equipage.accounts.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = EQUIPAGE_BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

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

# Operations (issue #14): probes, metrics, request logs, heartbeats (equipage/ops/).
# The request-log and probe middleware come first: a probe is answered before any other
# middleware (tenant language, password change, HTTPS redirect, host check) can refuse it.
INSTALLED_APPS = [*INSTALLED_APPS, "equipage.ops"]
# After the reverse-proxy middleware, so that the log line names the real client.
MIDDLEWARE[1:1] = [
    "equipage.ops.middleware.RequestLogMiddleware",
    "equipage.ops.middleware.ProbeMiddleware",
]
# When set, GET /metrics needs "Authorization: Bearer <token>".
EQUIPAGE_METRICS_TOKEN = os.environ.get("EQUIPAGE_METRICS_TOKEN", "").strip()
# EQUIPAGE_LOG_FORMAT=text|json, EQUIPAGE_LOG_LEVEL (default: INFO for Equipage, WARNING else).
LOGGING = logs.logging_config()

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
# Security headers and sessions (issue #13 point 8).
# A strict Content-Security-Policy, Django's own (6.0+): no inline script, style or event
# handler anywhere in the console (templates name behaviour in data- attributes that
# equipage/web/static/equipage/page.js wires). The API's Swagger page gets its own policy
# (equipage/api/docs.py). SecurityMiddleware adds nosniff, Referrer-Policy and COOP;
# HSTS only when the public address is https (it is sent on secure requests only).
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = (
    int(os.environ.get("EQUIPAGE_HSTS_SECONDS", str(365 * 24 * 3600)))
    if EQUIPAGE_BASE_URL.startswith("https://")
    else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("EQUIPAGE_HSTS_INCLUDE_SUBDOMAINS", "") == "1"
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
# Failed authorizations are audited after the request, outside the rolled-back action.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
    "equipage.audit.middleware.SecurityEventsMiddleware",
)
# Ends a console session after the organization's idle time (SESSION_COOKIE_AGE stays the
# absolute limit).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "equipage.accounts.sessions.IdleSessionMiddleware",
)
# --- Reverse proxy, hosts, shared cache (issue #14 points 3 and 5) ---
# X-Forwarded-For / -Proto are believed only from these addresses or networks.
EQUIPAGE_TRUSTED_PROXIES = conf.trusted_proxies()
# The base URL's host (plus loopback names for probes on the node) unless set explicitly;
# CSRF_TRUSTED_ORIGINS and the secure cookies above follow the same base URL.
ALLOWED_HOSTS = conf.allowed_hosts(EQUIPAGE_BASE_URL)
# Rate limits and anything cached are shared by every node: the database, or Redis.
CACHES = conf.caches()
# --- Password links and reset mails (issue #13.4/#13.5) ---
# Hourly limits on password mails: per mailbox (reset and set-password links), and reset
# requests per client address. Counted in the default cache (accounts/mail_limits.py).
EQUIPAGE_PASSWORD_MAILS_PER_ADDRESS = 5
EQUIPAGE_PASSWORD_RESETS_PER_CLIENT = 20
# Import jobs (issue #14): one log line per import outcome (organization, job, mode, counts,
# duration, failure reason) on the "equipage.imports" logger, shown by default (INFO) unless
# EQUIPAGE_LOG_LEVEL says otherwise.
_IMPORT_LOG_LEVEL = os.environ.get("EQUIPAGE_LOG_LEVEL", "INFO")
LOGGING.setdefault("loggers", {})["equipage.imports"] = {"level": _IMPORT_LOG_LEVEL}  # type: ignore[index]
# A working import job whose heartbeat stops this many seconds is ended by housekeeping
# (failed, nothing changed, organization unlocked).
EQUIPAGE_IMPORT_HEARTBEAT_TIMEOUT = int(os.environ.get("EQUIPAGE_IMPORT_HEARTBEAT_TIMEOUT", "120"))
# --- Hostile input (issue #13.3): request bodies -------------------------------------------
# API and SCIM bodies over this answer 413 in JSON (equipage.api.middleware); the API's
# roster uploads take up to equipage.imports.limits.MAX_FILE_BYTES (200 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Links and the API's edges (issue #16.5/6). Links start with EQUIPAGE_BASE_URL when it is
# set; else with the address the latest `serve` on this database listens on (recorded by
# serve, see equipage/instance/links.py); else with the default above.
EQUIPAGE_BASE_URL_FIXED = bool(os.environ.get("EQUIPAGE_BASE_URL", "").strip())
# The longest request line `serve` (gunicorn) reads, gunicorn's maximum; every API query
# parameter is bounded so that any valid query fits (tests/api/test_openapi.py).
EQUIPAGE_REQUEST_LINE_LIMIT = 8190
# The API's own messages (problem+json details), in the reader's language.
LOCALE_PATHS += [BASE_DIR / "api" / "locale"]

# --- Single sign-on with OpenID Connect (issue #18.6, equipage/sso/) ------------------------
INSTALLED_APPS = [*INSTALLED_APPS, "equipage.sso"]
# Issuer URLs must use https://; "1" also accepts http:// on loopback (localhost, 127.0.0.1,
# ::1) — for local trials and the tests' provider, never needed in production.
EQUIPAGE_SSO_ALLOW_HTTP_LOOPBACK = os.environ.get("EQUIPAGE_SSO_ALLOW_HTTP_LOOPBACK", "") == "1"
# --- Two-factor authentication (issue #18.5, equipage/twofactor/) ---
# TOTP with recovery codes; the organization's requirement. The middleware sends a session
# whose code is awaited to the code page, and a member past their grace period to the set-up
# page, on every page; after the authentication middleware, before the forced password change.
INSTALLED_APPS = [*INSTALLED_APPS, "equipage.twofactor"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("equipage.web.middleware.ForcePasswordChangeMiddleware"),
    "equipage.twofactor.middleware.TwoFactorMiddleware",
)
# --- Admin-sent password links (issue #18.1) ---
# Set-password links an admin may send one member per hour (profile, row menu, bulk, API,
# CLI together), counted in the shared cache (accounts/mail_limits.py) on every node.
EQUIPAGE_PASSWORD_LINKS_PER_MEMBER = 3
