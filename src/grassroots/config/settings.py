"""Settings for grassroots, read from the environment.

Everything a deployment changes comes from an environment variable, so that the
same code runs the demo on a laptop (SQLite under ./var/) and a district on
PostgreSQL. Secrets that are not given are generated once and kept under ./var/
so that the demo works with nothing to configure; production sets them explicitly.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from grassroots.config.env import (
    cache_config,
    env_bool,
    env_days_by_kind,
    env_int,
    env_json,
    env_list,
    persistent_secret,
    production,
    replica_config,
    tasks_config,
    var_dir,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = var_dir()

DEBUG = env_bool("GRASSROOTS_DEBUG", default=False)
# The worker's sweep makes last month's report of every street and community on the first of the
# month (insights.reports.reports_due); off where the reports are not wanted.
GRASSROOTS_MONTHLY_REPORTS = env_bool("GRASSROOTS_MONTHLY_REPORTS", default=True)
# Production unless GRASSROOTS_DEBUG or GRASSROOTS_DEMO (grassroots.config.env.production): it
# decides the defaults of the HTTPS settings below and of e-mail (notify_settings).
PRODUCTION = production()
SECRET_KEY = os.environ.get("GRASSROOTS_SECRET_KEY") or persistent_secret("secret.key")
# Key for personal data at rest (ID and phone numbers): base64 of 32 bytes.
# Lose it and the encrypted columns are unreadable; back it up with the database.
GRASSROOTS_DATA_KEY = os.environ.get("GRASSROOTS_DATA_KEY") or persistent_secret("data.key")
# Earlier data keys, comma-separated: they still open what they sealed while `grassroots keys rotate`
# re-seals it with GRASSROOTS_DATA_KEY (and for backups made before the rotation).
GRASSROOTS_RETIRED_DATA_KEYS = [
    key.strip() for key in os.environ.get("GRASSROOTS_RETIRED_DATA_KEYS", "").split(",") if key.strip()
]
ALLOWED_HOSTS = env_list("GRASSROOTS_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("GRASSROOTS_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "rules",
    "django.forms",
    "grassroots.core",
    "grassroots.places",
    "grassroots.people",
    "grassroots.orgs",
    "grassroots.accounts",
    "grassroots.cases",
    "grassroots.care",
    "grassroots.insights",
    "grassroots.activities",
    "grassroots.notify",
    "grassroots.api",
    "grassroots.portal",
    "grassroots.privacy",
    "grassroots.ledger",
    "grassroots.wechat",
    "grassroots.telephony",
    "grassroots.demo",
    "django_tasks_db",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pgtrigger",  # the audit tables' append-only triggers on PostgreSQL (core.models.append_only_triggers)
]

# Object permissions are predicates (accounts.roles, cases.permissions) answered by django-rules;
# `user.has_perm("cases.urge_case", case)` asks the same question as the services and the API.
# Every form field renders through one template (templates/includes/field.html).
FORM_RENDERER = "grassroots.core.forms.FieldRenderer"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out account or address before a password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "grassroots.accounts.backends.AccountBackend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, cached long; answers them here
    "grassroots.core.headers.NoStoreMiddleware",  # every other answer: Cache-Control no-store
    "grassroots.core.replica.ReplicaMiddleware",  # read-heavy pages on the replica, when there is one
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): did this session give a code
    "grassroots.accounts.mfa.SecondFactorMiddleware",  # staff with sensitive data give a code first
    "grassroots.core.audit.AuditMiddleware",  # the request for audit rows; records refused access
    "django.contrib.messages.middleware.MessageMiddleware",
    "grassroots.accounts.sessions.SessionLifetimeMiddleware",  # idle timeout and absolute lifetime
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it answers a lockout with a page
]

# The benchmarks' header of SQL queries per answer (core.querycount): opt-in, never by default.
if env_bool("GRASSROOTS_BENCH_HEADERS", default=False):
    MIDDLEWARE.insert(0, "grassroots.core.querycount.QueryCountMiddleware")

ROOT_URLCONF = "grassroots.config.urls"
WSGI_APPLICATION = "grassroots.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "grassroots.accounts.context_processors.role",
            ],
        },
    },
]


def _database_config() -> dict:
    """SQLite (WAL, immediate transactions, busy timeout) unless DATABASE_URL says otherwise."""
    default_file = "demo.sqlite3" if env_bool("GRASSROOTS_DEMO", default=False) else "grassroots.sqlite3"
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / default_file}"
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("GRASSROOTS_CONN_MAX_AGE", "0")))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
            ),
        }
        # Tests use a file too, not shared-cache memory, so that locking behaves as in production;
        # one per test process, so that concurrent runs never share it.
        config["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"grassroots-test-{os.getpid()}.sqlite3")}
    return config


DATABASES = {"default": _database_config()}
# A streaming replica of the primary for the read-heavy pages (core.replica; docs/operations.md,
# "A read replica"): DATABASE_REPLICA_URL names it; without it every read goes to the primary.
if replica := replica_config(os.environ, DATABASES["default"]):
    DATABASES["replica"] = replica
DATABASE_ROUTERS = ["grassroots.core.replica.ReplicaRouter"]
# After a POST (or any unsafe request) the browser reads from the primary for this long, so the
# page after it shows what was just saved even when the replica lags.
GRASSROOTS_REPLICA_PIN_SECONDS = env_int("GRASSROOTS_REPLICA_PIN_SECONDS", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("GRASSROOTS_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "grassroots.core.storage.ForgivingManifestStorage"},
}
# Serve straight from the apps' static folders too, so nothing breaks before collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("GRASSROOTS_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

SESSION_COOKIE_HTTPONLY = True
# How long a sign-in lasts (grassroots.accounts.sessions): idle 30 minutes for staff, a day for
# residents, 12 hours at most for everyone; the cookie itself never outlives the absolute lifetime.
GRASSROOTS_SESSION_IDLE_MINUTES = env_int("GRASSROOTS_SESSION_IDLE_MINUTES", default=30)
GRASSROOTS_RESIDENT_IDLE_MINUTES = env_int("GRASSROOTS_RESIDENT_IDLE_MINUTES", default=24 * 60)
GRASSROOTS_SESSION_MAX_HOURS = env_int("GRASSROOTS_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = GRASSROOTS_SESSION_MAX_HOURS * 3600

# HTTPS (docs/operations.md, "Headers and HTTPS"). In production every answer says "HTTPS only
# for a year, subdomains too" (HSTS), plain http is redirected to https, and the session, CSRF
# and language cookies travel over HTTPS only; the demo and debug serve http on this machine.
# GRASSROOTS_SSL_REDIRECT=false when the TLS proxy redirects http itself (it must then also
# send HSTS or let ours through); /healthz is never redirected, so a load balancer may probe it
# over http. Opting out of a recommended setting silences its `check --deploy` warning, since it
# was chosen, not forgotten; CI fails on every other warning.
SECURE_SSL_REDIRECT = env_bool("GRASSROOTS_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("GRASSROOTS_HSTS_SECONDS", default=365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GRASSROOTS_HSTS_INCLUDE_SUBDOMAINS", default=True)
# The browsers' preload list is a commitment for every subdomain, hard to undo: the operator's choice.
SECURE_HSTS_PRELOAD = env_bool("GRASSROOTS_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env_bool("GRASSROOTS_SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SILENCED_SYSTEM_CHECKS = [
    check
    for check, chosen in [
        ("security.W008", not env_bool("GRASSROOTS_SSL_REDIRECT", default=True)),  # set to false
        ("security.W005", bool(SECURE_HSTS_SECONDS) and not SECURE_HSTS_INCLUDE_SUBDOMAINS),
        ("security.W021", bool(SECURE_HSTS_SECONDS) and not SECURE_HSTS_PRELOAD),
    ]
    if chosen
]

# Content-Security-Policy (Django's own, django.middleware.csp): scripts, styles, images, fonts
# and connections from this site only, no inline script, style or event handler anywhere (the
# pages' behaviour lives in static/grassroots/*.js, their looks in *.css), no plugins, no framing,
# forms post here only. The API documentation pages (Swagger UI, Redoc) are third-party code that
# needs a little more; each relaxes it for itself (grassroots.api.docs).
# A map tile server for the site plan's background, for deployments that have one (a district's
# own, on its closed network): a URL with {z}, {x} and {y}, such as https://tiles.example/{z}/{x}/{y}.png.
# Empty (the default): the plan is drawn from the data alone. Its origin is added to img-src.
GRASSROOTS_MAP_TILES = os.environ.get("GRASSROOTS_MAP_TILES", "").strip()
_TILE_ORIGIN = (
    "/".join(GRASSROOTS_MAP_TILES.split("/")[:3]) if GRASSROOTS_MAP_TILES.startswith("http") else ""
)

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, *([_TILE_ORIGIN] if _TILE_ORIGIN else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Rate limits (portal, API, Open311) count in the default cache, which every gunicorn worker and
# every app server must share, or each counts on its own and a limit is multiplied by their number.
# The database cache is shared by construction (its table comes with `grassroots migrate`); Redis
# when GRASSROOTS_CACHE_URL or GRASSROOTS_REDIS_URL names one; GRASSROOTS_CACHE_DIR, a folder, keeps
# cache writes off a busy SQLite file but is shared only by the workers of one machine.
CACHES = {"default": cache_config(os.environ)}

# Reverse proxies in front of the app (nginx, a load balancer). With none, the caller's address is
# the connection's (REMOTE_ADDR) and X-Forwarded-For, which anyone can send, is ignored; with n, it
# is the n-th address from the right of X-Forwarded-For, the one the outermost proxy saw. Read by
# grassroots.core.audit.client_ip for audit rows and every rate limit. GRASSROOTS_API_NUM_PROXIES
# is its former, API-only name.
GRASSROOTS_TRUSTED_PROXIES = env_int(
    "GRASSROOTS_TRUSTED_PROXIES", default=env_int("GRASSROOTS_API_NUM_PROXIES", default=0)
)
# Behind trusted proxies the connection to gunicorn is plain http even when the caller used
# https: the proxy says which in X-Forwarded-Proto (it must set it, overwriting what a client
# sent). Without a trusted proxy the header is ignored, as X-Forwarded-For is.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if GRASSROOTS_TRUSTED_PROXIES else None

# The audit trail (core.audit) is kept this many days, then `grassroots audit prune` (and the
# worker's sweep) removes older rows; never under 183 (six months, Cybersecurity Law art. 21).
GRASSROOTS_AUDIT_RETENTION_DAYS = env_int("GRASSROOTS_AUDIT_RETENTION_DAYS", default=400)
# How long each other kind of record is kept (core.retention; `grassroots retention` lists the
# kinds, their defaults and floors): "kind=days" pairs, e.g. "messages=180,former_residents=1095".
GRASSROOTS_RETENTION_DAYS = env_days_by_kind("GRASSROOTS_RETENTION_DAYS")

# The dashboard's rules (cases.metrics.DEFAULT_RULES; docs/metrics.md), as JSON: which statuses count
# as resolved, what each call-back verdict is worth, the weights of the composite score.
GRASSROOTS_METRICS = env_json("GRASSROOTS_METRICS")

# The phone desk's screen pop (docs/telephony.md): a server-sent-events stream holds one gunicorn thread,
# so it ends after this many seconds and the browser reconnects after GRASSROOTS_SCREENPOP_RETRY_MS.
GRASSROOTS_SCREENPOP_STREAM_SECONDS = env_int("GRASSROOTS_SCREENPOP_STREAM_SECONDS", default=25)
GRASSROOTS_SCREENPOP_RETRY_MS = env_int("GRASSROOTS_SCREENPOP_RETRY_MS", default=1000)

# Urging a case (督办) texts every party: at most once per this many minutes per case.
GRASSROOTS_URGE_COOLDOWN_MINUTES = env_int("GRASSROOTS_URGE_COOLDOWN_MINUTES", default=30)
# The State Council's holiday schedule for years chinese-calendar does not know yet (cases/holidays.toml
# shows the format); read after the one grassroots ships.
GRASSROOTS_HOLIDAYS_FILE = os.environ.get("GRASSROOTS_HOLIDAYS_FILE", "")

# Sign-in protection (django-axes): after GRASSROOTS_SIGNIN_FAILURES wrong passwords for one
# username, or from one address, within the cool-off, that username or address is refused for
# GRASSROOTS_SIGNIN_COOLOFF_MINUTES, on the page, the admin and the API token endpoint alike. The
# failures are counted in the database, so every worker and app server shares them. An
# administrator lifts a lockout early with `grassroots axes_reset_username <name>` (or the admin).
AXES_FAILURE_LIMIT = env_int("GRASSROOTS_SIGNIN_FAILURES", default=5)
# A second factor (TOTP, accounts.mfa) for every account that can reveal numbers or read care
# findings, and administrators: on in production, off in the demo (its accounts are public).
GRASSROOTS_REQUIRE_SECOND_FACTOR = env_bool("GRASSROOTS_REQUIRE_SECOND_FACTOR", default=PRODUCTION)
OTP_TOTP_ISSUER = "grassroots"
OTP_TOTP_TOLERANCE = 1  # one 30-second step either side, for a phone clock a little off
AXES_COOLOFF_TIME = timedelta(minutes=env_int("GRASSROOTS_SIGNIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "grassroots.core.audit.client_ip"
AXES_LOCKOUT_CALLABLE = "grassroots.accounts.signins.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its log lines would carry the address and username of every attempt

# Background work (notifications, overdue sweeps) through Django's tasks framework, queued in the
# database by default (django-tasks-db) or in Redis with GRASSROOTS_TASKS_BACKEND=redis (django-tasks-rq,
# on GRASSROOTS_TASKS_REDIS_URL or GRASSROOTS_REDIS_URL); `grassroots worker` runs either queue.
# Tests run tasks immediately unless they test the queue itself (tests/test_worker.py runs both).
TASKS, RQ_QUEUES = tasks_config(os.environ)
if RQ_QUEUES:
    INSTALLED_APPS.append("django_rq")  # its system checks, and the queues in the admin

# Error reports (to ADMINS, or the debug page) without searched values or numbers (core.accesslog).
DEFAULT_EXCEPTION_REPORTER = "grassroots.core.accesslog.RedactingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "grassroots.core.accesslog.RedactingReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRASSROOTS_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

from grassroots.config.api_settings import *  # noqa: E402,F403  (REST API, Open311, rate limits)
from grassroots.config.notify_settings import *  # noqa: E402,F403  (notifications, e-mail via MAILERS)
