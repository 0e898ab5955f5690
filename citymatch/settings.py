"""CityMatch settings: every deployment knob is an environment variable with a safe default.

With nothing set, CityMatch runs on one machine: SQLite, in-process Celery tasks and a
local-memory cache. Setting DATABASE_URL, CELERY_BROKER_URL and REDIS_URL switches to
PostgreSQL, Celery workers over Redis and a Redis cache.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """A DRF throttle rate such as ``60/min``; ``none`` switches the throttle off."""
    value = env_str(name, default)
    return None if value.lower() == "none" else value


DEBUG = env_bool("DEBUG", False)
# The fallback key only suits a developer's machine: `check --deploy` flags its prefix, and the
# web server (citymatch/wsgi.py) and workers refuse to start on it unless DEBUG is on.
DEVELOPMENT_SECRET_KEY = "django-insecure-citymatch-development-key"
SECRET_KEY = env_str("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "notifications",
    "cities",
    "bestpractices",
    "matching",
    "partnerships",
    "toolkit.outbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session (a signed-in user's saved language lives there), before CommonMiddleware.
    "toolkit.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "citymatch.urls"

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
                "django.template.context_processors.i18n",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "citymatch.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if not USING_POSTGRES:
    # SQLite: wait for a concurrent writer (a run's background thread) rather than fail at
    # once. Write-ahead logging lets pages read while a run writes its matches; a transaction
    # takes the write lock when it begins, so it waits its turn instead of failing when another
    # writer committed since it first read.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20,
        init_command="PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
        transaction_mode="IMMEDIATE",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open: with Redis down, reads miss and pages still answer (toolkit/cache.py).
            "BACKEND": "toolkit.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "citymatch"),
            "OPTIONS": {
                "socket_connect_timeout": env_float("CACHE_CONNECT_TIMEOUT", 0.5),
                "socket_timeout": env_float("CACHE_TIMEOUT", 1.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my-city"
LOGOUT_REDIRECT_URL = "login"

# The languages of the cities that cooperate. Order: the switcher's order; the first is the
# fallback when neither the user, the cookie nor Accept-Language names one of them.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("ja", _("Japanese")), ("vi", _("Vietnamese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Formats Django's locales leave out (Vietnamese thousand grouping); the rest are Django's.
FORMAT_MODULE_PATH = ["citymatch.formats"]
# Dates and numbers follow the active language's formats; thousand separators are asked for
# where a figure is shown (floatformat's "g"), never on ids that end up in URLs or attributes.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Limits on what a client may send; the import API and `import_cities` share them.
# Uploads over this size are refused (the import endpoint answers 413).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# A file with more city rows than this is refused before any row is checked.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000)
# JSON nested deeper than this (an import file or a request body) is refused with a 400.
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES + 1024 * 1024

# --- Security ------------------------------------------------------------------------------
# Plausible limits of city profiles. cities/profile.py holds their defaults (40 M inhabitants,
# 10,000 staff, 200 years, USD 1,000,000,000 of budget and of co-funding) and reads these
# settings first: an environment variable raises or lowers one without a migration.
CITY_PROFILE_LIMIT_SETTINGS = (
    "CITY_POPULATION_LIMIT",
    "CITY_STAFF_LIMIT",
    "CITY_YEARS_LIMIT",
    "CITY_BUDGET_LIMIT_USD",
    "CITY_COFUNDING_LIMIT_USD",
)
globals().update(
    {name: env_int(name, 0) for name in CITY_PROFILE_LIMIT_SETTINGS if os.environ.get(name)}
)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS: redirect plain HTTP, and ask browsers to stay on HTTPS for SECURE_HSTS_SECONDS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The container's health check calls the server over plain HTTP from inside.
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a proxy that terminates TLS: trust its X-Forwarded-Proto (only then; a client could
# send the header itself).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): scripts, styles and images from this site only; no
# inline script or style anywhere (the pages load theirs from static/).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sign-in attempts (django-axes): after AXES_FAILURE_LIMIT failures an account, and separately
# a client address, is locked out for AXES_COOLOFF_MINUTES; the pages and the token endpoint
# answer 429 with a message saying so.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_COOLOFF_MESSAGE = "Too many failed sign-ins. Please try again in a few minutes."
# Behind TRUSTED_PROXY_COUNT reverse proxies the client's address is read from X-Forwarded-For.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "toolkit.clients.client_address"


# --- E-mail ---------------------------------------------------------------------------------
# One URL: smtp://user:password@host:587 (STARTTLS; ?tls=false for none), smtps://…:465 (TLS),
# console:// (printed to the log: the default) or locmem:// (kept in memory, for tests).
EMAIL_URL = urlsplit(env_str("EMAIL_URL", "console://"))
EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
if EMAIL_URL.scheme not in EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"EMAIL_URL must start with {', '.join(s + '://' for s in EMAIL_BACKENDS)}"
    )
if EMAIL_URL.scheme.startswith("smtp") and not EMAIL_URL.hostname:
    raise ImproperlyConfigured("EMAIL_URL needs a host, e.g. smtp://user:password@host:587")
EMAIL_BACKEND = EMAIL_BACKENDS[EMAIL_URL.scheme]
EMAIL_HOST = EMAIL_URL.hostname or "localhost"
EMAIL_PORT = EMAIL_URL.port or (465 if EMAIL_URL.scheme == "smtps" else 587)
EMAIL_HOST_USER = unquote(EMAIL_URL.username or "")
EMAIL_HOST_PASSWORD = unquote(EMAIL_URL.password or "")
EMAIL_USE_SSL = EMAIL_URL.scheme == "smtps"
EMAIL_USE_TLS = EMAIL_URL.scheme == "smtp" and parse_qs(EMAIL_URL.query).get("tls") != ["false"]
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CityMatch <noreply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Password reset needs e-mail that reaches people: with the console backend its pages are off.
PASSWORD_RESET_ENABLED = EMAIL_URL.scheme != "console"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing sign-in a 401 (DRF answers 403
    # when the first class is session authentication).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "toolkit.api.filtering.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "toolkit.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "toolkit.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_THROTTLE_ANON", "120/min"),
        "user": env_rate("API_THROTTLE_USER", "1200/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "toolkit.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "toolkit.api.exceptions.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "toolkit.api.negotiation.ContentNegotiation",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CityMatch API",
    "DESCRIPTION": (
        "Find partners for city-to-city cooperation: city profiles, best practices, "
        "scored donor/recipient matches and partnerships."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "toolkit.api.schema.add_error_responses",
    ],
    # Several resources have a "status" or a "role": name each choice set after its owner.
    "ENUM_NAME_OVERRIDES": {
        "MatchRunStatusEnum": "matching.models.MatchRun.Status",
        "BestPracticeStatusEnum": "bestpractices.models.BestPractice.Status",
        "CityRoleEnum": "cities.models.City.Role",
        "ServiceStatusEnum": "citymatch.api.views.SERVICE_STATES",
        "HealthStatusEnum": "citymatch.api.views.OVERALL_STATES",
        "PartnershipStatusEnum": "partnerships.models.Partnership.Status",
        "PartnershipKindEnum": "partnerships.models.Partnership.Kind",
        "RoundStateEnum": "partnerships.models.Round.State",
    },
}

# --- Notifications ----------------------------------------------------------------------------
# Absolute links in e-mails point here.
SITE_URL = env_str("SITE_URL", "http://localhost:8000")
# The hour (TIME_ZONE) at which the daily digests and the review reminders go out.
NOTIFICATIONS_DIGEST_HOUR = env_int("NOTIFICATIONS_DIGEST_HOUR", 7)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
# No broker configured: run tasks in-process so one machine needs nothing else.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task a worker took but never acknowledged (the worker was killed) goes back to the queue
# after this long: longer than the longest task's time limit, or Redis would hand a running
# task to a second worker. Lost runs come back much sooner through their heartbeat (below).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 5 * 60),
    "socket_connect_timeout": env_float("CELERY_BROKER_CONNECT_TIMEOUT", 1.0),
    # How long sending a task may retry connecting: a request that starts a run or saves a
    # profile answers within about this when the broker is down (the outbox sends it later).
    "connect_retries_timeout": env_float("CELERY_PUBLISH_TIMEOUT", 1.0),
    # Retry at once, then every 0.2-0.5 s within that time (kombu's default waits 2 s first).
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECT_TIMEOUT", 1.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# Tasks are sent through a transactional outbox (toolkit/outbox): the message is a row written
# with the change, sent after the commit and, when the broker was down, by the relay every
# OUTBOX_RELAY_SECONDS (beat), at worker start and with `manage.py relay_outbox`.
OUTBOX_RELAY_SECONDS = env_int("OUTBOX_RELAY_SECONDS", 30)
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 7)
# Without a broker, long tasks (a scoring run) run in a background thread of the process that
# asked for them, so the page or API request answers at once; false runs them in the request.
OUTBOX_IN_BACKGROUND = env_bool("OUTBOX_IN_BACKGROUND", True)

# A running scoring run's steps update its heartbeat every SCORING_HEARTBEAT_SECONDS; a run
# silent for SCORING_STALE_BEATS beats lost its worker and is re-queued, at most
# SCORING_MAX_RECOVERIES times, then failed (the previous run stays active).
SCORING_HEARTBEAT_SECONDS = env_int("SCORING_HEARTBEAT_SECONDS", 15)
SCORING_STALE_BEATS = env_int("SCORING_STALE_BEATS", 4)
SCORING_MAX_RECOVERIES = env_int("SCORING_MAX_RECOVERIES", 2)

# How long the run a new run replaced stays readable (and undeleted) after the switch, so
# requests that began on it finish their pages from it.
SCORING_REPLACED_RUN_GRACE = env_int("SCORING_REPLACED_RUN_GRACE", 120)
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {
        "task": "outbox.relay",
        "schedule": float(OUTBOX_RELAY_SECONDS),
    },
    "recover-lost-runs": {
        "task": "matching.tasks.recover_lost_runs",
        "schedule": float(SCORING_HEARTBEAT_SECONDS),
    },
    "daily-notification-digests": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=NOTIFICATIONS_DIGEST_HOUR, minute=0),
    },
    "partnership-review-reminders": {
        "task": "partnerships.tasks.remind_reviews",
        "schedule": crontab(hour=NOTIFICATIONS_DIGEST_HOUR, minute=0),
    },
    "nightly-scoring-run": {
        "task": "matching.tasks.start_scheduled_run",
        "schedule": crontab(
            hour=env_int("SCORING_NIGHTLY_HOUR", 2), minute=env_int("SCORING_NIGHTLY_MINUTE", 0)
        ),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
