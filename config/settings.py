"""Settings come from the environment; defaults give a working local SQLite install."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("KAM_DEBUG", False)
# KAM_ENV=production turns on the HTTPS-only settings below (HSTS, secure cookies, redirect to HTTPS)
# and requires KAM_SECRET_KEY; `manage.py check --deploy` is clean with it (kam/core/tests/test_security.py).
PRODUCTION = os.environ.get("KAM_ENV", "development").strip().lower() == "production"
# A fixed development key only when debugging locally; production must set KAM_SECRET_KEY.
SECRET_KEY = os.environ.get("KAM_SECRET_KEY", "kam-insecure-local-key-change-me")
if PRODUCTION and "KAM_SECRET_KEY" not in os.environ:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("KAM_ENV=production needs KAM_SECRET_KEY (50+ random characters)")
ALLOWED_HOSTS = [
    h for h in os.environ.get("KAM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("KAM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "rules.apps.AutodiscoverRulesConfig",
    "auditlog",
    "axes",
    "kam.core",
    "kam.access",
    "kam.clients",
    "kam.ledger",
    "kam.analytics",
    "kam.planning",
    "kam.activities",
    "kam.orders",
    "kam.receivables",
    "kam.contracts",
    "kam.pipeline",
    "kam.proposals",
    "kam.tenders",
    "kam.promotions",
    "kam.segments",
    "kam.accountplans",
    "kam.health",
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
    "django_htmx.middleware.HtmxMiddleware",
    "kam.access.api_auth.ApiTokenMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "kam.core.middleware.UserTimezoneMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lock-out page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kam" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kam.core.context_processors.navigation",
            ],
            # {% url %} with id routes reversed once per route (kam/core/templatetags/fast_url.py).
            "builtins": ["kam.core.templatetags.fast_url"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        # An empty DATABASE_URL means the default too (make test-sqlite sets it empty on purpose).
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("KAM_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while an import writes; busy timeout avoids "database is locked".
    # Connections persist like PostgreSQL's (KAM_DB_CONN_MAX_AGE): a new SQLite connection parses the
    # whole schema again and starts with a cold page cache, about 5 ms per request; mmap shares the
    # file's pages between the server's threads instead of copying them into each connection's cache.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456; "
            "PRAGMA cache_size=-16000;"
        ),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "access.User"
AUTHENTICATION_BACKENDS = [
    "kam.access.backends.LockoutBackend",  # django-axes: refuses logins while locked out
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("KAM_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KAM_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True
KAM_CURRENCY = os.environ.get("KAM_CURRENCY", "RUB")

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("KAM_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "kam" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the apps when collectstatic has not run
MEDIA_ROOT = Path(os.environ.get("KAM_MEDIA_ROOT", BASE_DIR / "var" / "media"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("KAM_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Sessions end when the browser closes, and in any case KAM_SESSION_HOURS after the login.
SESSION_COOKIE_AGE = int(float(os.environ.get("KAM_SESSION_HOURS", "8")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("KAM_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
# Sessions are written to the database and read through the cache (Redis with KAM_REDIS_URL): one
# query less on every page; a logout or an expiry removes both copies.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("KAM_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # the load balancer's plain-HTTP probe
SECURE_HSTS_SECONDS = int(os.environ.get("KAM_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KAM_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("KAM_HSTS_PRELOAD", PRODUCTION)
if env_bool("KAM_BEHIND_PROXY", False):
    # nginx terminates TLS and sets X-Forwarded-Proto (docs/operators/nginx.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The client's address for the login rate limit and lock-out: REMOTE_ADDR, or the header the proxy
# sets (KAM_CLIENT_IP_HEADER=HTTP_X_REAL_IP behind nginx), else every user shares nginx's address.
CLIENT_IP_META_KEY = os.environ.get("KAM_CLIENT_IP_HEADER", "REMOTE_ADDR")
RATELIMIT_IP_META_KEY = CLIENT_IP_META_KEY

# Content-Security-Policy (django-csp): scripts only from our own origin or with the page's nonce;
# inline on*="" handlers never run (kam/static/kam/kam.js gives their behaviour without them).
# Inline style attributes stay allowed (bars and indents use them; styles cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],  # the nonce of each response, for <script nonce=...>
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login lock-out (django-axes): KAM_LOGIN_FAILURE_LIMIT wrong passwords for one user name from one
# address lock that pair out for KAM_LOGIN_LOCKOUT_MINUTES; the 20/minute per-address rate limit
# (kam/access/views.py) stays in front of it.
AXES_FAILURE_LIMIT = int(os.environ.get("KAM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("KAM_LOGIN_LOCKOUT_MINUTES", "15")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kam.access.views.locked_out"
AXES_IPWARE_META_PRECEDENCE_ORDER = (CLIENT_IP_META_KEY, "REMOTE_ADDR")
AXES_VERBOSE = False

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("KAM_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["KAM_REDIS_URL"],
        }
    }
RATELIMIT_ENABLE = env_bool("KAM_RATELIMIT", True)

AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
}

KAM_PAGE_SIZE = int(os.environ.get("KAM_PAGE_SIZE", "50"))
# Background work (imports, analysis runs) runs in a thread after commit; tests set this to run it inline.
KAM_TASKS_INLINE = env_bool("KAM_TASKS_INLINE", False)

# Meeting reminders and notices: printed to the console unless a real backend is configured.
EMAIL_BACKEND = os.environ.get("KAM_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("KAM_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KAM_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("KAM_FROM_EMAIL", "kam@localhost")
