"""Settings, read from the environment with safe development defaults.

DATABASE_URL   default sqlite:///db.sqlite3 (PostgreSQL in CI and production)
SECRET_KEY     required when DEBUG is off
DEBUG          "1"/"true" for development (default on, so `make run` works out of the box)
ALLOWED_HOSTS  comma separated
PRIVATE_MEDIA_ROOT  where stamped scans are stored (default var/private, never served directly)
SCAN_MAX_MB    the largest scan accepted, in MB (default 20)
REDIS_URL      the shared cache and the job queue's broker (empty: none; jobs run at once)
PRIVATE_STORAGE  "s3" for an S3-compatible object store (S3_BUCKET, S3_ENDPOINT_URL …)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed; empty: none, and the
# client's address is the connection's (shanghai_experts.http).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

INSTALLED_APPS = [
    "shanghai_experts.admin_site.ProjectAdminConfig",  # django.contrib.admin, guarded
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "shanghai_experts",
    "records",
    "jobs",
    "applications",
    "bases",
    "reviews",
    "accounts",
    "portal",
]

MIDDLEWARE = [
    # First: whatever layer could not reach the database, the answer is a 503, not a 500.
    "shanghai_experts.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shanghai_experts.limits.RequestLimitsMiddleware",
    "shanghai_experts.limits.NoStoreMiddleware",
    "shanghai_experts.middleware.IdleTimeoutMiddleware",
    "shanghai_experts.middleware.KeptCopyMiddleware",
    "accounts.middleware.AccountGateMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"

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
                "shanghai_experts.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "shanghai_experts.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        # A kept connection that died with a database restart is replaced, not used for a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once when two requests write together.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "shanghai_experts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "shanghai_experts.auth.OrganisationBackend",
    # The pages' named rules (each app's permissions module), for user.has_perm and templates.
    # Views check them through shanghai_experts.permissions.permission_required.
    "rules.permissions.ObjectPermissionBackend",
]

# Passwords (等保2.0 三级): 8+ characters, 3 of 4 classes, not like the user's names, not common;
# hashed with Argon2 (PBKDF2 hashes of older accounts are upgraded at their next login).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "shanghai_experts.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "shanghai_experts.password_validation.CharacterClassesValidator"},
    {"NAME": "shanghai_experts.password_validation.ContainsNameValidator"},
]
PASSWORD_HASHERS = [
    "shanghai_experts.auth.Argon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Login throttling (shanghai_experts.lockout): within 30 minutes, 5 failures lock one login name
# from one address, 10 failures of any names lock the address for every name, and only 20
# failures from any addresses lock the name everywhere (a second factor still passes that one).
# An attempt refused by a lock is never a failure of its name (one refused by the pair or name
# lock still counts for its address). The bureau lifts each lock on its own on 登录锁定.
LOGIN_LOCK_PAIR_LIMIT = 5
LOGIN_LOCK_ADDRESS_LIMIT = 10
LOGIN_LOCK_NAME_LIMIT = 20
AXES_HANDLER = "shanghai_experts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = LOGIN_LOCK_PAIR_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success clears only its own (login name, address) pair (shanghai_experts.lockout), never
# every failure of the address: axes' reset would let one good login unlock other accounts.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "shanghai_experts.http.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "shanghai_experts.auth.axes_username"

# Sessions end after 30 minutes without a request and when the browser closes.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Accounts (accounts/): activation and reset links, password age, two-factor login.
#: An activation link (bulk onboarding, an invitation, a registration) works for this long.
ACCOUNT_ACTIVATION_DAYS = int(os.environ.get("ACCOUNT_ACTIVATION_DAYS", "7"))
#: A 忘记密码 link works for this long (Django's setting, in seconds): 2 hours.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_HOURS", "2")) * 3600
#: A password must be changed after this many days; 0 turns the rule off.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "0"))
#: Roles that must log in with a TOTP code: organisation kinds (municipal, district,
#: commission, unit, reviewers) and "admin" (staff accounts). Everyone else may enrol.
REQUIRE_2FA_ROLES = env_list("REQUIRE_2FA_ROLES", "municipal,admin")
OTP_TOTP_ISSUER = "上海专家服务基层"
#: Public forms, per client address and hour: 单位注册 and 忘记密码.
REGISTRATIONS_PER_HOUR = int(os.environ.get("REGISTRATIONS_PER_HOUR", "5"))
PASSWORD_RESETS_PER_HOUR = int(os.environ.get("PASSWORD_RESETS_PER_HOUR", "5"))
#: 重发激活邮件: per account, and per client address (accounts.services.resend_activation).
ACTIVATION_RESENDS_PER_HOUR = 3
ACTIVATION_RESENDS_PER_ADDRESS_PER_HOUR = 10
#: Pages that accept a form from someone not logged in (shanghai_experts.limits), by URL name.
PUBLIC_FORMS = {
    "login",
    "accounts:register",
    "accounts:activate",
    "accounts:password_reset",
    "accounts:password_reset_confirm",
}
#: Pages whose typing static/js/autosave.js keeps in the browser: an expired login or page says
#: so, and leads back to the page (shanghai_experts.error_pages).
KEPT_TEXT_PAGES = {"applications:edit", "bases:assessment_edit", "bases:rectification"}
#: A form sent with an expired page token gets a Chinese page, not Django's English one.
CSRF_FAILURE_VIEW = "shanghai_experts.error_pages.csrf_failure"
#: The largest body accepted from someone not logged in.
ANONYMOUS_MAX_BYTES = 64 * 1024

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# WhiteNoise serves the collected files with far-future caching in production.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Uploaded scans are private: stored outside static and public media paths, served only
# through views that check the user's scope.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Under PRIVATE_MEDIA_ROOT, with no public address.
    "private": {"BACKEND": "shanghai_experts.storage.PrivateStorage"},
}
# Several application hosts share the private files: a shared volume as PRIVATE_MEDIA_ROOT, or
# an S3-compatible object store (a government cloud's object storage speaks S3). No view
# assumes a file it wrote is on its own disk: everything goes through storages["private"].
if os.environ.get("PRIVATE_STORAGE", "").lower() == "s3":
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", "shanghai-experts"),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("S3_SECRET_KEY") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "location": os.environ.get("S3_PREFIX", "private"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }

# The shared cache and the job queue. Without REDIS_URL (the embedded default) the cache is
# the process's own and jobs run at once in the request that starts them.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "shanghai_experts.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
# The database stays the truth for sessions; the cache spares it a read per request, and a
# Redis outage logs no one out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message not acknowledged this long after delivery is delivered again (Redis transport);
# the job row, not this, is what finds a dead worker's job (jobs.services.resend_lost).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
}
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "send-notices": {"task": "records.tasks.send_notices", "schedule": 60.0},
    "resend-lost-jobs": {"task": "jobs.tasks.resend_lost_jobs", "schedule": 60.0},
    "expire-jobs": {"task": "jobs.tasks.expire_jobs", "schedule": 3600.0},
    "deadline-reminders": {"task": "reviews.tasks.queue_reminders", "schedule": 300.0},
    "retention-purge": {
        "task": "reviews.tasks.purge_expired",
        "schedule": crontab(hour=2, minute=30),
    },
}
#: How long a job's finished file can be downloaded (hours).
JOB_FILE_HOURS = int(os.environ.get("JOB_FILE_HOURS", "24"))
#: The largest stamped scan accepted (bytes); 20 MB unless SCAN_MAX_MB says otherwise.
SCAN_MAX_BYTES = int(float(os.environ.get("SCAN_MAX_MB", "20")) * 1024 * 1024)
#: An item keeps at most this many stamped scans of each kind (the latest counts).
SCAN_MAX_VERSIONS = int(os.environ.get("SCAN_MAX_VERSIONS", "10"))
#: No request body may be larger: a scan and the form around it.
MAX_REQUEST_BYTES = SCAN_MAX_BYTES + 1024 * 1024
# Form fields (everything but files) stay in memory up to this size; the 附件1 form with its
# rows and 1000-字 texts is far below it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
FILE_UPLOAD_HANDLERS = [
    "shanghai_experts.limits.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
#: A demo (`make prod-demo`) may keep mail in files or the log; production must send it
#: (check --deploy refuses a local backend without this, and SMTP without EMAIL_HOST).
ALLOW_DEMO_MAIL = env_bool("ALLOW_DEMO_MAIL", False)
EMAIL_HOST_EXPLICIT = "EMAIL_HOST" in os.environ
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "zjfwjc@rsj.sh.gov.cn")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
SITE_URL_EXPLICIT = "SITE_URL" in os.environ
# Hours before the 评审截止时间 at which reviewers with open sheets are reminded, once each
# (reviews.deadlines; sent by `manage.py send_notices`).
REVIEW_REMINDER_HOURS = tuple(
    int(h) for h in os.environ.get("REVIEW_REMINDER_HOURS", "48,24").split(",") if h.strip()
)

# Audit records are kept at least this long (等保2.0: ≥ 180 days; 190 for margin); the
# personal data in submitted content is pseudonymised after it (manage.py purge_expired).
AUDIT_RETENTION_MIN_DAYS = 190
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", str(AUDIT_RETENTION_MIN_DAYS)))

SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: scripts and styles from this site only, no inline scripts (the
# templates have none); inline style attributes are allowed for layout.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    # Behind TLS (the production default). `make prod` on a laptop serves plain HTTP on
    # loopback and turns these off with HTTPS=0; a real deployment never does.
    HTTPS = env_bool("HTTPS", True)
    SESSION_COOKIE_SECURE = HTTPS
    CSRF_COOKIE_SECURE = HTTPS
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is a promise for every subdomain of the registrable domain (for a *.gov.cn
    # host, not ours to make): opt in with HSTS_PRELOAD=1.
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]  # not preloading is the decision above
    # Whether a request came over HTTPS is the WSGI scheme: gunicorn sets it from
    # X-Forwarded-Proto only when the connection comes from TRUSTED_PROXIES
    # (forwarded_allow_ips, gunicorn.conf.py). SECURE_PROXY_SSL_HEADER is deliberately unset:
    # Django would believe that header from any client.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports every layout step at INFO; only its warnings matter here.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
