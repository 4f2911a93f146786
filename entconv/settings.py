from pathlib import Path

import environ
from django.utils.csp import CSP

from entconv.object_storage import private_storage

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "django-insecure-development-key-not-for-production"

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    SECURE_SSL_REDIRECT=(bool, False),
    SECURE_HSTS_SECONDS=(int, 0),
    PORTAL_RATE_LIMIT=(int, 30),
    PORTAL_CACHE_SECONDS=(int, 60),
    PORTAL_REPORTS_PER_DAY=(int, 5),
    CLIENT_IP_HEADER=(str, ""),
    TRUSTED_PROXIES=(list, []),
    MAX_REQUEST_BODY=(int, 12 * 1024 * 1024),
    MAX_STAFF_REQUEST_BODY=(int, 128 * 1024 * 1024),
)
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env("DEBUG")
# Without a key of its own, development and the management commands run on a public one
# that `check --deploy` refuses; the web server refuses to start on it when DEBUG=0
# (entconv/checks.py, called by wsgi.py and asgi.py).
SECRET_KEY = env("SECRET_KEY", default="") or DEFAULT_SECRET_KEY
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")
# An expired form inside the admin is explained in the admin's layout (entconv/urls.py's
# handler403 does the same for refusals).
CSRF_FAILURE_VIEW = "entconv.error_views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "django_otp",
    "entconv.two_factor_apps.TOTPConfig",
    "entconv.two_factor_apps.StaticConfig",
    "simple_history",
    "entconv.apps.TasksDatabaseConfig",
    "communes",
    "schools",
    "conventions",
    "entconv",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "entconv.two_factor.SecondFactorMiddleware",
    # Keeps the request so that history rows and journal entries name their author.
    "simple_history.middleware.HistoryRequestMiddleware",
    "communes.admin_scope.ScopeRefusalJournalMiddleware",
    "entconv.middleware.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "conventions.ratelimit.AdminLoginLockoutMiddleware",
]

# History is read, never replayed: an issued convention is never reverted from it.
SIMPLE_HISTORY_REVERT_DISABLED = True

ROOT_URLCONF = "entconv.urls"
# Django's backend, loading the agent's académie with the user (communes/scope.py).
AUTHENTICATION_BACKENDS = ["communes.scope.ScopedModelBackend"]

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
                "django.template.context_processors.csp",
            ],
            "builtins": ["conventions.templatetags.money", "conventions.templatetags.dates"],
        },
    },
]

WSGI_APPLICATION = "entconv.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the background worker write while the web server reads.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# Rate limits and the admin lock-out count in this cache. The default (local memory) is per
# process: production shares one between gunicorn's workers (dbcache://entconv_cache after
# `createcachetable`), which `check --deploy` requires (entconv/checks.py).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# File imports (annuaire, collectivités; communes/import_files.py): beyond these, a file is
# refused before it costs memory or time. Bytes for the sizes; the national annuaire export
# is about 40 MB and 70,000 rows.
IMPORT_MAX_FILE_SIZE = env.int("IMPORT_MAX_FILE_SIZE", default=50_000_000)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=100_000)
IMPORT_MAX_LINE_LENGTH = env.int("IMPORT_MAX_LINE_LENGTH", default=1_000_000)
IMPORT_MAX_XLSX_UNCOMPRESSED_SIZE = env.int(
    "IMPORT_MAX_XLSX_UNCOMPRESSED_SIZE", default=200_000_000
)

# Background work (issuing a whole académie): django.tasks, stored in the database and run
# by `python manage.py db_worker` (started by `make run`).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# The public pages use the State's design system (DSFR): only the files they load are taken
# from django-dsfr's build (entconv/dsfr_static.py), never its app nor a CDN.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "entconv.dsfr_static.DsfrFinder",
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Signed conventions and issued PDFs are never served from a public URL.
PRIVATE_ROOT = Path(env("PRIVATE_ROOT", default=str(BASE_DIR / "private")))
# Issued PDFs and signed copies: the local disk above, or an S3-compatible object storage
# named by STORAGE_URL (entconv/object_storage.py), private either way.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": private_storage(env("STORAGE_URL", default=""), PRIVATE_ROOT),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

MAIL_BACKEND = env("MAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
MAILERS = {"default": {"BACKEND": MAIL_BACKEND}}
if MAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env("MAIL_HOST", default="localhost"),
        "port": env.int("MAIL_PORT", default=25),
        "username": env("MAIL_USERNAME", default=""),
        "password": env("MAIL_PASSWORD", default=""),
        "use_tls": env.bool("MAIL_USE_TLS", default=False),
    }
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ent-ecole@region-academique-occitanie.fr")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
STAFF_NOTIFICATION_EMAILS = env.list("STAFF_NOTIFICATION_EMAILS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# The address a mairie writes to for a new link (shown when its link no longer works).
PORTAL_CONTACT_EMAIL = env("PORTAL_CONTACT_EMAIL", default=DEFAULT_FROM_EMAIL)
# The footer's mandatory pages (conventions/legal_views.py): mentions légales and données
# personnelles.
LEGAL_PUBLICATION_DIRECTOR = env(
    "LEGAL_PUBLICATION_DIRECTOR", default="le recteur de la région académique Occitanie"
)
LEGAL_HOST = env(
    "LEGAL_HOST",
    default="Région académique Occitanie, direction des systèmes d'information, "
    "rectorat de l'académie de Toulouse, CS 87703, 31077 Toulouse Cedex 4",
)
DPO_EMAIL = env("DPO_EMAIL", default="dpd@region-academique-occitanie.fr")
# Days after the link was sent when send_reminders reminds a mairie that has not signed; after
# the last one the convention is "à relancer par téléphone".
REMINDER_DELAYS_DAYS = env.list("REMINDER_DELAYS_DAYS", cast=int, default=[15, 30])

# Security: everything below is on in production, driven by the environment.
SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
SECURE_HSTS_SECONDS = env("SECURE_HSTS_SECONDS")
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Django's own CSP middleware: our pages load nothing from elsewhere, and the few inline
# blocks the admin templates need carry the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Requests per minute and per address on the private-link pages and the upload.
PORTAL_RATE_LIMIT = env("PORTAL_RATE_LIMIT")
# Seconds a rendered public page stays in the cache (conventions/portal_cache.py); 0: none.
PORTAL_CACHE_SECONDS = env("PORTAL_CACHE_SECONDS")
# "Signaler une erreur": messages accepted per convention (or, without one, per address)
# and per day; beyond, staff would be flooded from one link.
PORTAL_REPORTS_PER_DAY = env("PORTAL_REPORTS_PER_DAY")
# The request header holding the client address when behind a reverse proxy
# (e.g. HTTP_X_REAL_IP); empty: REMOTE_ADDR. It is read only on requests coming from one of
# TRUSTED_PROXIES (addresses or networks): anyone else could write it.
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER")
TRUSTED_PROXIES = env("TRUSTED_PROXIES")
# Failed admin logins lock out the address and the account (conventions/ratelimit.py).
ADMIN_LOGIN_MAX_FAILURES = 5
ADMIN_LOGIN_LOCKOUT_SECONDS = 15 * 60

# Second factor (entconv/two_factor.py): after the password, every staff login asks for a code
# from an authenticator application (TOTP) or a single-use backup code. Optional in
# development: only those who activated it are asked.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = "ENT-École conventions"
# One policy for wrong codes: the lock-out above, rather than django-otp's doubling delays.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Request bodies larger than this are refused (413) before being read: the signed copy weighs
# 10 MB at most. Staff sessions may send the imports' files (entconv/middleware.py). The
# front server caps them too (README, client_max_body_size).
MAX_REQUEST_BODY = env("MAX_REQUEST_BODY")
MAX_STAFF_REQUEST_BODY = env("MAX_STAFF_REQUEST_BODY")
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# One line per event, with the convention's reference when there is one
# (entconv/log_format.py): what journald and log collectors expect.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"one_line": {"()": "entconv.log_format.OneLineFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "one_line"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
