"""Settings shared by every environment, read strictly from the environment."""

from pathlib import Path

from celery.schedules import crontab

from common.env import DEFAULT_CONN_MAX_AGE, env_bool, env_int, env_list, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", None)  # each environment module decides whether it is required
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "communities",
    "escrow",
    "assessments",
    "settlements",
    "meetings",
    "street",
    "portal",
    "banking",  # statement files (no models): its own catalogue in banking/locale
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
    "common.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "common.request_context.RequestContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL connections persist (CONN_MAX_AGE seconds, default 60) and are health-checked
# before reuse (issue 17); DATABASE_URL's ?conn_max_age=… / ?conn_health_checks=… override
# the variables. Celery closes its connection around every task whatever this says
# (celery.fixups.django), so a worker never carries a dead connection into a task.
DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", "sqlite:///var/gongguan.sqlite3"),
        base_dir=BASE_DIR,
        conn_max_age=env_int("CONN_MAX_AGE", DEFAULT_CONN_MAX_AGE, minimum=0),
        conn_health_checks=env_bool("CONN_HEALTH_CHECKS", True),
    )
}
# Two database roles (docs/security.md): the application connects with DATABASE_URL as
# APP_DATABASE_ROLE, which owns nothing (it cannot disable the ledger's triggers, nor
# TRUNCATE, UPDATE or DELETE journal rows); `manage.py migrate` connects as the tables'
# owner given by MIGRATE_DATABASE_URL (same database). Both unset: one role (SQLite, dev).
MIGRATE_DATABASE_URL = env_str("MIGRATE_DATABASE_URL", "")
if MIGRATE_DATABASE_URL:
    parse_database_url(MIGRATE_DATABASE_URL, name="MIGRATE_DATABASE_URL", base_dir=BASE_DIR)
APP_DATABASE_ROLE = env_str("APP_DATABASE_ROLE", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# --- i18n: Simplified Chinese by default, English through the language switcher.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence (invoices, minutes) lives outside the web root and is only
# ever served through a view that checks permissions.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- cache: shared Redis in production (step-up code limits must hold across workers),
# local memory in the embedded default.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r}: use redis:// (or leave it unset).")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# A person's standing in a compound (communities.permissions.standing_in) is kept in the
# cache this many seconds under a generation that every membership, ownership or contract
# change bumps. Only a cache all processes share may hold it: on by default with Redis;
# 0 keeps it to once per request (LocMemCache is per process — a revoke seen by one
# gunicorn worker would not be seen by the next).
STANDING_CACHE_SECONDS = env_int("STANDING_CACHE_SECONDS", 300 if CACHE_URL else 0, minimum=0)

# --- e-mail: console unless configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "共管 Gongguan <noreply@gongguan.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- SMS: pluggable; the default writes messages to the log.
SMS_BACKEND = env_str("SMS_BACKEND", "accounts.sms.LogSmsBackend")

# --- Celery: no broker → tasks run in-process, eagerly (the embedded default).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A child process warms the PDF fonts at start (config/celery.py), 1–3 s cold; Celery's
# default allows a child 4 s to come up.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 30
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {}
# Payouts: the month's necessary-cost drafts on the 1st; reminders and escalations daily.
CELERY_BEAT_SCHEDULE["payouts-draft-monthly"] = {
    "task": "escrow.payouts_draft_monthly",
    "schedule": crontab(minute=30, hour=0, day_of_month=1),
}
CELERY_BEAT_SCHEDULE["payouts-remind-daily"] = {
    "task": "escrow.payouts_remind",
    "schedule": crontab(minute=0, hour=9),
}
# Meetings: overdue action items reminded, then escalated after 7 days (once each).
CELERY_BEAT_SCHEDULE["meetings-action-items-remind"] = {
    "task": "meetings.action_items_remind",
    "schedule": crontab(minute=15, hour=9),
}

# Street dashboard: the pilots' rollups (last 3 months) and flags, every hour.
CELERY_BEAT_SCHEDULE["street-refresh-hourly"] = {
    "task": "street.refresh_all",
    "schedule": crontab(minute=40),
}

# --- allauth: phone or e-mail plus password; MFA with TOTP and recovery codes.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email", "phone"}
ACCOUNT_SIGNUP_FIELDS = ["phone*", "email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Residents are registered by the compound (owner ↔ unit links), not by themselves.
ACCOUNT_ALLOW_SIGNUPS = env_bool("ACCOUNT_ALLOW_SIGNUPS", False)
# SMS and e-mail codes as residents expect them: six digits.
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
# WebAuthn: security keys and passkeys (a phone's fingerprint or face) sign like TOTP does
# (accounts.stepup.STRONG_METHODS). Browsers allow them on https and on localhost.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "共管 Gongguan"
# A wrong code and a code already used read differently (accounts/mfa_forms.py).
MFA_FORMS = {
    "authenticate": "accounts.mfa_forms.CodeAuthenticateForm",
    "reauthenticate": "accounts.mfa_forms.CodeReauthenticateForm",
    "activate_totp": "accounts.mfa_forms.CodeActivateTOTPForm",
}

# --- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "common.schema.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.api.DefaultPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gongguan API",
    "DESCRIPTION": "共管制 — compounds, duty lists, memberships, escrow ledger.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a field called "kind"; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "EntryKindEnum": "escrow.models.ledger.EntryKind",
        "AttachmentKindEnum": "escrow.models.payouts.AttachmentKind",
        "StatementLineKindEnum": [("bill", "bill"), ("payment", "payment")],
        "RoleGrantStatusEnum": "communities.models.RoleGrantStatus",
        "PayoutStatusEnum": "escrow.models.payouts.PayoutStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

LANGUAGE_COOKIE_NAME = "gongguan_language"

# --- Payments in (escrow billing, statement imports, the payment webhook) -------------
# Per-provider HMAC secrets for the payment-notification webhook, from the environment
# only (PAYMENT_WEBHOOK_SECRET_WECHATPAY, PAYMENT_WEBHOOK_SECRET_ALIPAY). A provider
# without a secret is switched off: its URL answers 404.


def _webhook_secrets() -> dict[str, str]:
    from django.core.exceptions import ImproperlyConfigured

    secrets = {}
    for provider in ("wechatpay", "alipay"):
        name = f"PAYMENT_WEBHOOK_SECRET_{provider.upper()}"
        secret = env_str(name, "")
        if secret and len(secret) < 32:
            raise ImproperlyConfigured(f"{name} is too short: use at least 32 random characters.")
        if secret:
            secrets[provider] = secret
    return secrets


PAYMENT_WEBHOOK_SECRETS = _webhook_secrets()
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env_int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", 300, minimum=1)
PAYMENTS_STATEMENT_MAX_BYTES = env_int("PAYMENTS_STATEMENT_MAX_BYTES", 32 * 1024 * 1024, minimum=1024)
# Bills for the new month at 00:10 on the 1st (Asia/Shanghai); one task per compound.
CELERY_BEAT_SCHEDULE["escrow-bills-generate-month"] = {
    "task": "escrow.tasks.bills_generate_month",
    "schedule": crontab(minute=10, hour=0, day_of_month=1),
}
# --- end of Payments in ---------------------------------------------------------------

# Quarterly disclosures: built on the first day after each quarter; a sweep finishes
# builds a killed worker left behind; unpublished ones are flagged after 15 days.
CELERY_BEAT_SCHEDULE["escrow-disclosures-build-due"] = {
    "task": "escrow.disclosures_build_due",
    # Late on the first day: the last day's bank statement and late payment notices are in.
    "schedule": crontab(minute=0, hour=22, day_of_month=1, month_of_year="1,4,7,10"),
}
CELERY_BEAT_SCHEDULE["escrow-disclosures-sweep"] = {
    "task": "escrow.disclosures_sweep",
    "schedule": 30.0,  # seconds: with the build's heartbeat, a killed build resumes within a minute
}
# Settlements (issue 13): the year before, on 5–31 January daily (a compound whose Q4 is
# published late is picked up on a later day); the sweep; contracts ending within 90 days.
CELERY_BEAT_SCHEDULE["settlements-run-january"] = {
    "task": "settlements.run_january",
    "schedule": crontab(minute=0, hour=3, day_of_month="5-31", month_of_year=1),
}
CELERY_BEAT_SCHEDULE["settlements-sweep"] = {"task": "settlements.sweep", "schedule": crontab(minute="*/10")}
CELERY_BEAT_SCHEDULE["settlements-contracts-warn-ending"] = {
    "task": "settlements.contracts_warn_ending",
    "schedule": crontab(minute=15, hour=8),
}
CELERY_BEAT_SCHEDULE["escrow-disclosures-flag-overdue"] = {
    "task": "escrow.disclosures_flag_overdue",
    "schedule": crontab(minute=0, hour=8),
}

# Absolute links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Payout evidence: the largest invoice or quote accepted.
PAYOUT_ATTACHMENT_MAX_BYTES = env_int("PAYOUT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)

# Assessments and repairs (issue 12): rounds open on the first day after each quarter
# and close at their deadline; repair reminders and escalations every 15 minutes.
CELERY_BEAT_SCHEDULE["assessments-rounds-open-due"] = {
    "task": "assessments.rounds_open_due",
    "schedule": crontab(minute=30, hour=6, day_of_month=1, month_of_year="1,4,7,10"),
}
CELERY_BEAT_SCHEDULE["assessments-rounds-close-due"] = {
    "task": "assessments.rounds_close_due",
    "schedule": crontab(minute=5),
}
CELERY_BEAT_SCHEDULE["assessments-repairs-remind"] = {
    "task": "assessments.repairs_remind",
    "schedule": crontab(minute="*/15"),
}
# --- Error pages and the demo ---------------------------------------------------------
CSRF_FAILURE_VIEW = "portal.error_pages.csrf_failure"
# The demo's conveniences (e.g. `manage.py demo_totp`): on for `make run` only; a system
# check flags it under `check --deploy`.
DEMO_MODE = env_bool("DEMO_MODE", False)
