"""Settings of the portal, driven by environment variables through one `environ.Env` declaration.

Local use (DJANGO_DEBUG=true, as `make run` and `make test` set it) has safe defaults: SQLite in the project
folder and a development-only secret. Production (DJANGO_DEBUG=false, the default) refuses to start without
DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS. Every variable is documented in `.env.example`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DJANGO_DEBUG=(bool, False),
    DJANGO_SECRET_KEY=(str, ""),
    DJANGO_ALLOWED_HOSTS=(list, []),
    DJANGO_CSRF_TRUSTED_ORIGINS=(list, []),
    DJANGO_TIME_ZONE=(str, "UTC"),
    DJANGO_SECURE_SSL_REDIRECT=(bool, True),
    DJANGO_HSTS_SECONDS=(int, 31536000),
    DATABASE_URL=(str, ""),
    EMAIL_URL=(str, ""),
    DEFAULT_FROM_EMAIL=(str, "ai-incidents@localhost"),
    API_PAGE_SIZE=(int, 50),
    API_THROTTLE_USER=(str, "1000/hour"),
    API_THROTTLE_ANON=(str, "50/hour"),
    API_THROTTLE_ALERT_INTAKE=(str, "6000/hour"),
    CACHE_URL=(str, "locmemcache://"),
    LOGIN_FAILURE_LIMIT=(int, 5),
    LOGIN_LOCKOUT_MINUTES=(int, 15),
    DJANGO_SESSION_COOKIE_AGE=(int, 8 * 60 * 60),
)
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env("DJANGO_DEBUG")
# Production mode is fixed at start-up (the test runner turns DEBUG off, but that is not production).
PRODUCTION_MODE = not DEBUG

# Production refuses to start without its secrets; local debug runs get a development-only key.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
if not DEBUG:
    missing = [
        name
        for name, value in (("DJANGO_SECRET_KEY", SECRET_KEY), ("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS))
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} must be set when DJANGO_DEBUG is false (see .env.example)."
        )
else:
    SECRET_KEY = SECRET_KEY or "development-only-key-never-used-in-production-" + "x" * 20
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver"]
CSRF_TRUSTED_ORIGINS = env("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "portal.core",
    "portal",
    "inventory",
    "incidents",
    "reporting",
    "remediation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL character (%00) in a URL's path or query: 400 before any view (PostgreSQL cannot compare such text).
    "portal.core.middleware.RefuseNulInUrlMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "portal.core.audit.AuditSourceMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Static files (admin, API docs) are served by WhiteNoise from STATIC_ROOT (`collectstatic`) in production.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
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

# Forms render with Django's templates, the plainest widgets (inputs, textareas, selects) written in Python, byte for
# byte the same (portal.core.form_renderer): a change page of a few hundred widgets renders in a third less time.
FORM_RENDERER = "portal.core.form_renderer.FastWidgetsRenderer"

# SQLite in the project folder unless DATABASE_URL names another database (PostgreSQL in production).
# On PostgreSQL the portal serves with DATABASE_URL's role (the runtime role) and `migrate` runs with
# MIGRATION_DATABASE_URL's (the owner of the tables; default: the same role). The runtime role may only SELECT and
# INSERT on the history and chain tables (`portal.core.dbroles`, `manage.py db_grants`).
DATABASE_URL = env("DATABASE_URL")
MIGRATION_DATABASE_URL = env.str("MIGRATION_DATABASE_URL", default="") or DATABASE_URL
DATABASES = {
    "default": env.db_url_config(DATABASE_URL)
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (two gunicorn workers, the job thread, the embedded scheduler) wait for each other instead
    # of failing with "database is locked": a transaction takes the write lock when it begins (IMMEDIATE, so it
    # never has to upgrade a read lock mid-way, which SQLite refuses at once), waits up to 20 s for it, and readers
    # do not block the writer (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE", "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# One date format on every page, with the time zone (portal/formats; "7 Dec 2026 00:47 UTC").
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = env("DJANGO_TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default="") or BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "admin:login"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one username from one IP address,
# that pair is locked out for LOGIN_LOCKOUT_MINUTES (HTTP 429), even with the right password; a successful login
# resets the count. The IP is REMOTE_ADDR: behind a proxy that is the proxy's, so the lock is then per username.
# Every login (admin form, and so the session the API accepts) goes through Django's `authenticate`, which the
# Axes backend guards; API tokens are not passwords and are throttled by the API's rates instead.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the session's user with its permissions in one query.
    "portal.core.authentication.RoleModelBackend",
]
AXES_FAILURE_LIMIT = env("LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = timedelta(minutes=env("LOGIN_LOCKOUT_MINUTES"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# Caches: the API's throttle counters. One process: the local-memory default is enough; several processes or hosts
# share counters through e.g. CACHE_URL=dbcache://portal_cache (`createcachetable`) or a Redis URL (`redis` package).
CACHES = {"default": env.cache_url("CACHE_URL")}

if env("EMAIL_URL"):
    vars().update(env.email_url_config(env("EMAIL_URL")))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL")

REST_FRAMEWORK = {
    # The admin session, or an API token with scopes (`Authorization: Token <key>`; portal.core.tokens).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "portal.core.authentication.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.core.permissions.RoleModelPermissions"],
    # Filtering, search and ordering that never reach a confidential field for a reader not cleared for it.
    "DEFAULT_FILTER_BACKENDS": [
        "portal.core.api.ConfidentialFilterBackend",
        "portal.core.api.ConfidentialSearchFilter",
        "portal.core.api.ConfidentialOrderingFilter",
    ],
    # JSON within limits (depth, size, number length, no NUL characters): a 400 naming the problem, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "portal.core.api_inputs.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env("API_PAGE_SIZE"),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.core.api.exception_handler",
    # Rates per signed-in user and per anonymous address ("N/second|minute|hour|day"); the alert intake has its own.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER"),
        "anon": env("API_THROTTLE_ANON"),
        "alert_intake": env("API_THROTTLE_ALERT_INTAKE"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AI Incident Governance Portal API",
    "DESCRIPTION": "Inventory (AIBOM), incidents and regulatory reporting of AI systems.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# History rows keep the acting user even after the user is deleted.
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# Production hardening: `manage.py check --deploy --fail-level WARNING` passes with production variables set.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env("DJANGO_SECURE_SSL_REDIRECT")
    SECURE_HSTS_SECONDS = env("DJANGO_HSTS_SECONDS")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
# Cookies: the session cookie is never readable by scripts nor sent on cross-site requests (Lax still lets a
# link from a mail open the portal signed in); the CSRF cookie is not readable by scripts either (the admin and
# the API docs page put the token in the page). A session ends when the browser closes, and after
# DJANGO_SESSION_COOKIE_AGE seconds at the latest (default 8 hours).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env("DJANGO_SESSION_COOKIE_AGE")
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp 4): only the portal's own scripts, no inline script, no eval, no framing,
# forms post only to the portal. Styles allow 'unsafe-inline': Django's admin writes a <style> block on change
# lists without actions and the portal's admin pages colour badges with style attributes; inline CSS cannot run
# code, and scripts, which can, stay strict. The API docs page (Swagger UI) loads its start-up script from
# /api/docs/?script= (drf-spectacular's split view), so it needs no exception either.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO; its warnings (a refused URL, a CSS error) still show.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}

# Signed checkpoints of the history chains (`manage.py audit_checkpoint`, and one with every audit bundle): the
# Ed25519 private key that signs them (PEM; kept outside the database) and the directory they are written to (to be
# copied somewhere the database's administrators cannot rewrite). Local use: a development key and folder under
# var/, which `make run` creates; production: both must be set (`check --deploy` warns).
AUDIT_SIGNING_KEY_FILE = env.str("AUDIT_SIGNING_KEY_FILE", default="") or (
    str(BASE_DIR / "var" / "audit-signing-dev.pem") if DEBUG else "")
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default="") or (
    str(BASE_DIR / "var" / "audit-checkpoints") if DEBUG else "")

# Password of the demo logins that `manage.py seed_demo` creates (local use only; it refuses in production).
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="portal-demo-2026")

# Business calendar for "next business day" SLAs: time zone, end of the business day, holidays (ISO dates).
BUSINESS_TIME_ZONE = env.str("BUSINESS_TIME_ZONE", default="UTC")
BUSINESS_DAY_END_HOUR = env.int("BUSINESS_DAY_END_HOUR", default=17)
BUSINESS_HOLIDAYS = env.list("BUSINESS_HOLIDAYS", default=[])

# Incident SLAs per severity: acknowledge, contain and resolve within, counted from detection. A target is
# {"minutes": n} or {"business_days": n} (the end of the n-th business day after detection).
INCIDENT_SLA = {
    "p0": {"acknowledge": {"minutes": 15}, "contain": {"minutes": 4 * 60}, "resolve": {"minutes": 24 * 60}},
    "p1": {"acknowledge": {"minutes": 60}, "contain": {"minutes": 24 * 60}, "resolve": {"minutes": 72 * 60}},
    "p2": {"acknowledge": {"minutes": 4 * 60}, "contain": {"minutes": 72 * 60}, "resolve": {"minutes": 14 * 24 * 60}},
    "p3": {"acknowledge": {"business_days": 1}, "contain": {"business_days": 5}, "resolve": {"minutes": 30 * 24 * 60}},
}
# An SLA is "due soon" when no more than this share of its window is left.
INCIDENT_SLA_DUE_SOON_SHARE = env.float("INCIDENT_SLA_DUE_SOON_SHARE", default=0.25)

# Evidence uploads: size limit and the content types accepted (checked on the bytes, not only the name).
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=50 * 1024 * 1024)
EVIDENCE_ALLOWED_TYPES = env.list("EVIDENCE_ALLOWED_TYPES", default=[
    "text/plain", "text/csv", "application/json", "application/x-ndjson", "application/pdf", "image/png",
    "image/jpeg", "application/zip", "application/gzip",
])
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Affected-record files uploaded in the admin (CSV or JSON Lines; a million rows is about 100 MB): size limit.
REMEDIATION_IMPORT_MAX_BYTES = env.int("REMEDIATION_IMPORT_MAX_BYTES", default=256 * 1024 * 1024)

# Regulatory reporting.
# The organisation's standing facts, the defaults of every incident's regulatory facts (comma-separated, any of
# nis2_entity, dora_financial_entity, sec_registrant, frontier_developer, nydfs_covered_entity,
# critical_information_infrastructure, cra_manufacturer, and gdpr_role=controller|processor,
# hipaa_role=covered_entity|business_associate; checked at start, reporting.E203).
REGULATORY_PROFILE = env.list("REGULATORY_PROFILE", default=[])
# Bank holidays for the DORA weekend/holiday relief (ISO dates; Member-State holidays are not shipped).
REGULATORY_BANK_HOLIDAYS = env.list("REGULATORY_BANK_HOLIDAYS", default=[])
# The demo organisation's profile, which `manage.py seed_demo` writes when the organisation is the placeholder
# (local use only): read in debug mode for the ORGANISATION_* variables the environment does not set, so the demo's
# pages and documents name it. Set DEMO_ORGANISATION_FILE empty to read and write none (the tests do).
DEMO_ORGANISATION_FILE = env.str("DEMO_ORGANISATION_FILE", default=str(BASE_DIR / "var" / "demo-organisation.env")
                                 if DEBUG else "")
if DEBUG and DEMO_ORGANISATION_FILE and Path(DEMO_ORGANISATION_FILE).is_file():
    environ.Env.read_env(DEMO_ORGANISATION_FILE)  # never overwrites a variable the environment sets
# Who the notifications name as the sender and contact point (GDPR Art. 33(3)(b): DPO or other contact).
ORGANISATION_NAME = env.str("ORGANISATION_NAME", default="Example Organisation")
ORGANISATION_CONTACT = env.str("ORGANISATION_CONTACT", default="Data Protection Officer, dpo@example.org")
# Where the organisation has its main establishment (ISO 3166-1 alpha-2, e.g. DE): the Member State whose calendar
# the DORA weekend/holiday relief reads and whose supervisory authority leads under GDPR Art. 56. Empty: not set.
ORGANISATION_COUNTRY = env.str("ORGANISATION_COUNTRY", default="")
# The organisation's time zone (IANA, e.g. Europe/Berlin): local dates and times of the rules that read them.
ORGANISATION_TIME_ZONE = env.str("ORGANISATION_TIME_ZONE", default="UTC")
# Deadline reminders go out this many hours before an obligation is due, and again at breach.
OBLIGATION_REMINDER_HOURS = env.int("OBLIGATION_REMINDER_HOURS", default=24)
# PDF rendering bounds; "process" renders in a child process that is killed at the timeout, "inline" in-process.
PDF_RENDER_ISOLATION = env.str("PDF_RENDER_ISOLATION", default="process")
PDF_RENDER_TIMEOUT = env.int("PDF_RENDER_TIMEOUT", default=60)
# The long-lived renderer process (reporting.pdf.renderer) is replaced after this many renders, or once its peak
# resident memory passed this many MB.
PDF_RENDERER_MAX_JOBS = env.int("PDF_RENDERER_MAX_JOBS", default=200)
PDF_RENDERER_MAX_MEMORY_MB = env.int("PDF_RENDERER_MAX_MEMORY_MB", default=768)
PDF_MAX_PAGES = env.int("PDF_MAX_PAGES", default=200)
PDF_MAX_BYTES = env.int("PDF_MAX_BYTES", default=20 * 1024 * 1024)
PDF_MAX_HTML_CHARS = env.int("PDF_MAX_HTML_CHARS", default=2_000_000)

# Background jobs and the schedule (portal.core.jobs; README, "Background jobs"; ADR 0009).
# Production: CELERY_BROKER_URL names Redis; `celery -A portal worker` runs the jobs and `celery -A portal beat` the
# schedule below. Unset (the embedded default): jobs run in a thread of the web process ("thread") and the server
# (`runserver`, or gunicorn) runs the same schedule in a thread; JOBS_EXECUTION=inline runs a job in the request.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
JOBS_EMBEDDED = not CELERY_BROKER_URL
JOBS_EXECUTION = env.str("JOBS_EXECUTION", default="thread" if JOBS_EMBEDDED else "celery")
if JOBS_EXECUTION not in ("celery", "thread", "inline") or (JOBS_EXECUTION == "celery" and JOBS_EMBEDDED):
    raise ImproperlyConfigured("JOBS_EXECUTION must be thread or inline, or celery with CELERY_BROKER_URL set.")
if JOBS_EMBEDDED:
    # No broker: a task sent anyway (`.delay()`) runs at once in the sending process.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
# The Job rows are the results: Celery keeps none.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env.str("CELERY_BEAT_SCHEDULE_FILENAME", default="") or (
    str(BASE_DIR / "var" / "celerybeat-schedule") if DEBUG else "celerybeat-schedule")
# The schedule (seconds between runs), for beat and for the embedded scheduler alike. Each task is safe to run
# twice or on two workers: every notice is claimed in the database before it is sent.
CELERY_BEAT_SCHEDULE = {
    "check-slas": {"task": "incidents.tasks.check_slas",
                   "schedule": env.float("SCHEDULE_SLA_SECONDS", default=60.0)},
    "check-obligations": {"task": "reporting.tasks.check_obligations",
                          "schedule": env.float("SCHEDULE_OBLIGATIONS_SECONDS", default=300.0)},
    "audit-checkpoint": {"task": "portal.core.tasks.audit_checkpoint",
                         "schedule": env.float("SCHEDULE_CHECKPOINT_SECONDS", default=24 * 60 * 60.0)},
    # The dashboard's summarised figures (ADR 0012): the page shows how old they are.
    "dashboard-summaries": {"task": "reporting.tasks.rebuild_dashboard_summaries",
                            "schedule": env.float("SCHEDULE_DASHBOARD_SUMMARIES_SECONDS", default=300.0)},
    # Incremental verification of the history chains from their last verified points (ADR 0006): the audit pages
    # trust the rows before a table's point and check those after it.
    "audit-verify": {"task": "portal.core.tasks.verify_audit_trail",
                     "schedule": env.float("SCHEDULE_AUDIT_VERIFY_SECONDS", default=15 * 60.0)},
    # ... and a full one (every row recomputed: a change to a row before a point is found here).
    "audit-verify-full": {"task": "portal.core.tasks.verify_audit_trail_full",
                          "schedule": env.float("SCHEDULE_AUDIT_VERIFY_FULL_SECONDS", default=24 * 60 * 60.0)},
}
# Embedded mode: the server runs the schedule in a background thread (never the tests or other commands).
JOBS_EMBEDDED_SCHEDULER = env.bool("JOBS_EMBEDDED_SCHEDULER", default=True)
# Files jobs read (uploaded BOMs) and write (audit bundles): a directory the web processes and the workers share.
# Files are served only to users who may see their job. Debug default: var/jobs.
JOB_RESULT_DIR = env.str("JOB_RESULT_DIR", default="") or (str(BASE_DIR / "var" / "jobs") if DEBUG else "")
