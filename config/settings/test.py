"""Test settings: the database comes from DATABASE_URL (PostgreSQL in CI, SQLite otherwise)."""

import os

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: F403
from .base import SECRET_KEY as _SECRET_KEY

SECRET_KEY = _SECRET_KEY or "test-only-not-secret"
# schemathesis and live_server call through localhost; Django's client uses testserver.
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "accounts.sms.MemorySmsBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests run tasks in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
# Tests never run collectstatic: serve from the static directories, don't scan STATIC_ROOT.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests assert on the English msgids, so a better Chinese wording never breaks them;
# tests/test_i18n.py checks that Chinese is the real default and the catalogue is complete.
LANGUAGE_CODE = "en"
# One process, one LocMemCache: standings are cached across requests as in production
# (with Redis), so every test that changes a role exercises the invalidation.
STANDING_CACHE_SECONDS = 300
