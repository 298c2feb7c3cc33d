"""Settings shared by every environment. Everything that differs between
machines comes from environment variables (12-factor)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

from otc.settings.database import database_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, *, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files: no CDN
    "django_htmx",
    "djmoney",
    "django_countries",
    # the kernel
    "otc.tenancy",
    "otc.accounts",
    "otc.audit",
    "otc.customers",
    "otc.ledger",
    "otc.fx",
    "otc.api",
    "otc.web",
    # the rooms
    "credit",
    "invoicing",
    "deductions",
    "collections_app",
    "reporting",
]

MIDDLEWARE = [
    "otc.api.middleware.RequestIdMiddleware",
    "otc.api.middleware.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "otc.accounts.middleware.IdleTimeoutMiddleware",
    "otc.tenancy.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "otc.urls"
WSGI_APPLICATION = "otc.wsgi.application"
ASGI_APPLICATION = "otc.asgi.application"

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
                "otc.web.context_processors.shell",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------
# The running product logs in as the application role; `OTC_DB_AS_OWNER=1`
# (set by `make migrate`, the embedded launcher and the test bootstrap) logs in
# as the owner for schema changes.
DATABASES = {"default": database_config(as_owner=env_bool("OTC_DB_AS_OWNER"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and Celery ---------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "otc",
    }
}

# Role dashboards keep what the apps show for this long (and until the
# tenant's next ledger posting): see otc.web.dashboards.dashboard_content.
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "60"))

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Local hour (tenant time zone) of the daily dunning run; a tenant's
# dunning settings may choose another.
DUNNING_LOCAL_HOUR = int(os.environ.get("DUNNING_LOCAL_HOUR", "6"))
CELERY_TASK_ROUTES = {
    "reporting.*": {"queue": "reports"},
    "otc.accounts.tasks.send_email": {"queue": "email"},
    "reporting.tasks.send_report_delivery": {"queue": "email"},
}
CELERY_TASK_ACKS_LATE = False  # acks_late only per task, beside an idempotency guard
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# One beat; the whole schedule lives here, in code.
CELERY_BEAT_SCHEDULE = {
    "credit-nightly-rescore": {
        "task": "credit.tasks.rescore_all_tenants",
        "schedule": crontab(hour=2, minute=30),
    },
    "credit-reviews-due": {
        "task": "credit.tasks.schedule_reviews_all_tenants",
        "schedule": crontab(hour=5, minute=10),
    },
    "worker-heartbeat": {
        "task": "otc.api.tasks.record_worker_heartbeat",
        "schedule": timedelta(seconds=30),
    },
    "purge-idempotency-keys": {
        "task": "otc.api.tasks.purge_expired_idempotency_keys",
        "schedule": crontab(minute=17),
    },
    # The ECB publishes around 16:00 CET on TARGET business days; 15:30 UTC
    # is 16:30 CET and 17:30 CEST, safely after it all year.
    "fx-refresh-ecb-rates": {
        "task": "otc.fx.tasks.refresh_ecb_rates",
        "schedule": crontab(hour=15, minute=30, day_of_week="mon-fri"),
    },
    # Catch-up: fetches only when a publication is missing (a failed or
    # skipped evening run, a worker that was down), every day at 06:15 UTC.
    "fx-refresh-ecb-rates-catch-up": {
        "task": "otc.fx.tasks.refresh_ecb_rates",
        "schedule": crontab(hour=6, minute=15),
        "kwargs": {"only_if_behind": True},
    },
    # Each tenant's dunning runs once its local DUNNING_LOCAL_HOUR has come.
    "collections-dunning-tick": {
        "task": "collections_app.dunning.tasks.dunning_tick",
        "schedule": crontab(minute="*/15"),
    },
    # Promises to pay: kept when the money is applied, broken once the date passed.
    "collections-check-promises": {
        "task": "collections_app.dunning.tasks.check_promises_all_tenants",
        "schedule": crontab(minute=5),
    },
    # Collection strategies create the day's tasks at each tenant's dunning hour.
    "collections-strategies-tick": {
        "task": "collections_app.strategies.tasks.strategies_tick",
        "schedule": crontab(minute="*/15"),
    },
    # Scheduled reports: each subscription's report once per period, at its local hour.
    "reporting-subscriptions-tick": {
        "task": "reporting.tasks.report_subscriptions_tick",
        "schedule": crontab(minute="*/15"),
    },
    # The reporting summaries the ledger appends to, folded to one row per key.
    "reporting-fold-ledger-summaries": {
        "task": "reporting.tasks.fold_ledger_summaries",
        "schedule": crontab(minute=41),
    },
    # Monthly statements of account, on the first at each tenant's dunning hour.
    "collections-statements-tick": {
        "task": "collections_app.dunning.tasks.statements_tick",
        "schedule": crontab(minute="*/15"),
    },
}

# --- exchange rates -----------------------------------------------------------
# Where the daily ECB reference rates come from: the ECB's URL, or a file://
# URL or plain path on a machine without internet.
ECB_DAILY_URL = os.environ.get(
    "ECB_DAILY_URL", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
)
ECB_FETCH_TIMEOUT_SECONDS = float(os.environ.get("ECB_FETCH_TIMEOUT_SECONDS", "20"))
# Rates older than this many ECB business days raise the feed alert.
ECB_STALE_AFTER_BUSINESS_DAYS = int(os.environ.get("ECB_STALE_AFTER_BUSINESS_DAYS", "3"))

# --- auth and sessions --------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_IDLE_TIMEOUT_SECONDS = int(os.environ.get("SESSION_IDLE_TIMEOUT_SECONDS", str(30 * 60)))
CSRF_COOKIE_HTTPONLY = False
# Login throttling: failures per e-mail and per IP inside the window.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60

# --- e-mail -------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "OTC <no-reply@otc.local>")

# --- i18n ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".otc" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / ".otc" / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- money --------------------------------------------------------------------
CURRENCIES = None  # every ISO 4217 currency
DEFAULT_CURRENCY = "EUR"

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["otc.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["otc.api.permissions.HasRolePermission"],
    "DEFAULT_PARSER_CLASSES": ["otc.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "otc.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["otc.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("API_RATE_LIMIT", "1200/min")},
    "EXCEPTION_HANDLER": "otc.api.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "otc.api.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OTC API",
    "DESCRIPTION": (
        "Order-to-Cash REST API for ERP systems. Authenticate with "
        "`Authorization: Bearer <api key>`; send `Idempotency-Key` on every POST."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `kind`; name each enum after its model's choices.
    "ENUM_NAME_OVERRIDES": {
        "AddressKindEnum": "otc.customers.models.AddressKind",
        "CollectionActivityKindEnum": "collections_app.dunning.models.ActivityKind",
        "CallOutcomeEnum": "collections_app.dunning.models.CallOutcome",
        "PaymentTermsKindEnum": "otc.customers.models.PaymentTermsKind",
        "OpenItemKindEnum": "otc.ledger.models.ItemKind",
        "OpenItemStatusEnum": "otc.ledger.models.ItemStatus",
        "CustomerStatusEnum": "otc.customers.models.CustomerStatus",
        "OrderStatusEnum": "credit.models.orders.OrderStatus",
        "HoldReasonEnum": "credit.models.orders.HoldReason",
        "CreditApplicationKindEnum": "credit.models.applications.ApplicationKind",
        "CreditApplicationStatusEnum": "credit.models.applications.ApplicationStatus",
        "CreditReviewStatusEnum": "credit.models.reviews.ReviewStatus",
        "CreditReviewDecisionEnum": "credit.models.reviews.ReviewDecision",
        "RiskClassEnum": "credit.models.profiles.RiskClass",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)

# --- logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "otc.api.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every layout step at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "factur-x": {"level": "WARNING"},
    },
}
