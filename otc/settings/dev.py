"""Local development: `make run`."""

from otc.settings.base import *  # noqa: F403
from otc.settings.base import BASE_DIR, env_bool

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"  # noqa: F405
ALLOWED_HOSTS = ["*"]
# Outgoing mail lands in files under .otc/mail so nothing leaves the machine.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = BASE_DIR / ".otc" / "mail"
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
