"""The test suite: real Postgres and Redis, fast hashing, in-memory mail."""

import os

from otc.settings.base import *  # noqa: F403
from otc.settings.database import database_config

SECRET_KEY = "test-only-key"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
# pytest-django creates and migrates the test database as the owner; the
# session fixture in tests/conftest.py then logs in as the application role,
# so every test runs under row-level security exactly as production does.
DATABASES = {"default": database_config(as_owner=True)}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # Each xdist worker keeps its own key space in the shared Redis.
        "KEY_PREFIX": f"otc-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}",
    }
}
# Tests look at a dashboard, change something and look again: no caching
# unless a test turns it on (tests/otc/web/test_dashboard_cache.py).
DASHBOARD_CACHE_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the app folders through the finders; nothing is
# collected for tests.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
