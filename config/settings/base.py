"""Settings shared by every environment. Everything that differs between machines
comes from the environment (12-factor); see docs/settings.md for the full list."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdefghijkl")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "tenancy.admin_apps.ScopedAdminConfig",  # django.contrib.admin, scoped (tenancy/admin_base.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "simple_history",
    "phonenumber_field",
    "axes",
    # Sign-in (docs/accounts.md): django-allauth's accounts, two-factor (TOTP, passkeys)
    # and per-organization OpenID Connect single sign-on.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "tenancy",
    "customers",
    "sites",
    "porting",
    "e911",
    "cutover",
    "inventory",
    "esign",
    "webhooks",
    "customerportal",
    "operations",
    "accounts",
    "demo",
    # Last: its migrations protect every other app's organization-scoped tables.
    "rowsecurity",
]

MIDDLEWARE = [
    # First: under /api/ every error Django answers (404, 405, a 500 from any middleware
    # below) becomes JSON (tenancy/api_errors.py).
    "tenancy.api_errors.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Row-level security: each request starts with no organization (rowsecurity/).
    "rowsecurity.middleware.RowSecurityMiddleware",
    # Content-Security-Policy on every HTML page (CONTENT_SECURITY_POLICY below).
    "tenancy.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # An organization that requires two-factor sends its members without it to set it up.
    "accounts.middleware.RequireTwoFactorMiddleware",
    # The sign-in pages' forms may lead to the organizations' SSO providers (CSP form-action).
    "accounts.middleware.SingleSignOnFormTargetsMiddleware",
    # With Redis down, the sign-in steps limited in the cache answer 503, not 500.
    "accounts.middleware.CacheDownMiddleware",
    # Last, as its documentation asks: answers a locked-out login with templates/429.html.
    "axes.middleware.AxesMiddleware",
]

# Failed sign-ins (docs/accounts.md), counted by django-axes on the site's login and the
# admin's (which sends people to the site's): an account is refused for AXES_COOLOFF_TIME
# hours after AXES_FAILURE_LIMIT failures from anywhere, and an address after
# LOGIN_ADDRESS_FAILURE_LIMIT failures for any accounts (higher: an office shares one
# address). The address is the client's, behind TRUSTED_PROXY_COUNT proxies
# (tenancy.portal.client_ip), the same as the portals' rate limit and allauth's.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_HANDLER = "accounts.throttle.AccountAndAddressHandler"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttle.username_for_axes"
AXES_CLIENT_IP_CALLABLE = "tenancy.portal.client_ip"
AXES_LOCKOUT_TEMPLATE = "429.html"
AXES_RESET_ON_SUCCESS = True
# Every failure is kept (AccessFailureLog) for the owners' Security page.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False

# django-allauth (docs/accounts.md). People sign in with their username or email; nobody
# signs up by themselves (accounts.adapters), only through their organization's SSO.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PRESERVE_USERNAME_CASING = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[VoIP Migrate] "
# A reset asked for an address without an account sends nothing (no mail to strangers).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Password sign-ins are throttled by axes (above), not twice. A password-reset request is
# limited per address and per email: beyond it the page answers 429 and no mail goes out.
# "login_failed" limits the second-factor codes of one account.
ACCOUNT_RATE_LIMITS = {
    "login": None,
    "login_failed": env("LOGIN_CODE_RATE_LIMITS", default="30/m/ip,5/5m/key"),
    "reset_password": env("PASSWORD_RESET_RATE_LIMITS", default="20/h/ip,3/h/key"),
    "reset_password_from_key": "20/m/ip",
}
# Two-factor: an authenticator app (TOTP), passkeys and security keys (WebAuthn), and
# recovery codes. A passkey also signs in without a password.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "VoIP Migrate"
# Accounts here are made by people, not by signing up: no address to verify first.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Plain http on localhost for `make demo` and the tests only; production turns it off.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)
# Single sign-on (OpenID Connect, one provider per organization, accounts.models): a
# first sign-in makes the account and the membership; tokens are not kept.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.context_processors.organization",
            ],
            "builtins": ["tenancy.templatetags.ui"],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL: row-level security, the second wall under tenancy (docs/tenancy-and-roles.md).
# Inside a request or task the session switches to DATABASE_APP_ROLE (which the policies
# bind) and names its organization; ROW_SECURITY=false turns the switching off.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "rowsecurity.backend"
ROW_SECURITY = env.bool("ROW_SECURITY", default=True)
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="voipmigrate_app")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"

# Redis serves as Celery broker and shared cache in production. Without REDIS_URL the
# app runs with no external service: a filesystem broker and a local-memory cache.
REDIS_URL = env("REDIS_URL", default="")
CELERY_FILESYSTEM_BROKER_DIR = Path(
    env("CELERY_FILESYSTEM_BROKER_DIR", default=str(BASE_DIR / "var" / "celery-broker"))
)
if REDIS_URL:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that hangs (rather than refusing) must not hang every page: each
            # cache call gives up after this, and the page goes on without the cache
            # (docs/operations.md).
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CACHE_TIMEOUT_SECONDS", default=2.0),
                "socket_timeout": env.float("REDIS_CACHE_TIMEOUT_SECONDS", default=2.0),
            },
        }
    }
else:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "processed"),
        # Routing tables; without this kombu writes ./control wherever a process starts.
        "control_folder": str(CELERY_FILESYSTEM_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Longer than any countdown we use; days-ahead work lives in the database, not the broker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # A broker that hangs (rather than refusing) must not hang the page that sends a
        # task: sending gives up and the job waits for the sweep (docs/operations.md).
        "socket_connect_timeout": env.float("REDIS_BROKER_TIMEOUT_SECONDS", default=5.0),
        "socket_timeout": env.float("REDIS_BROKER_TIMEOUT_SECONDS", default=5.0),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE = {
    "scheduler-heartbeat": {"task": "tenancy.tasks.record_heartbeat", "schedule": 60.0},
    # Daily porting follow-up, before US business hours (13:00 UTC = 08:00 US Central).
    "porting-daily-follow-up": {
        "task": "porting.tasks.daily_follow_up",
        "schedule": crontab(hour=env.int("PORTING_FOLLOW_UP_HOUR_UTC", default=13), minute=0),
    },
    # Remote workers who have not confirmed their home: reminder, then escalation.
    "e911-remind-remote-workers": {
        "task": "e911.tasks.remind_remote_workers",
        "schedule": crontab(minute=20),
    },
    # LOA signing links not yet used: a reminder on the configured cadence.
    "esign-remind-unsigned": {
        "task": "esign.tasks.remind_unsigned",
        "schedule": crontab(minute=40),
    },
    # Readiness changes, told to the webhooks that want them.
    "e911-watch-readiness": {"task": "e911.tasks.watch_readiness", "schedule": 900.0},
    # Customer portal tasks: reminders on each organization's cadence.
    "customer-portal-reminders": {
        "task": "customerportal.tasks.remind_portal_tasks",
        "schedule": crontab(minute=50),
    },
    # Carrier connections: open provider orders polled with backoff (missed webhooks).
    "porting-poll-carriers": {"task": "porting.tasks.poll_carriers", "schedule": 300.0},
    # Outbound webhooks: retries that are due, and deliveries the broker never received.
    "webhooks-sweep": {"task": "webhooks.tasks.sweep_webhooks", "schedule": 60.0},
    # Cutover steps: mark due ones, email their owners, escalate late ones (each once).
    "cutover-run-due-steps": {"task": "cutover.tasks.run_due_steps", "schedule": 60.0},
    # Checklist PDF jobs: re-send those the broker never took, retry those whose worker died.
    "cutover-sweep-checklist-jobs": {
        "task": "cutover.tasks.sweep_checklist_jobs",
        "schedule": 60.0,
    },
}
# Checklist PDF jobs (docs/operations.md): a running job's worker refreshes its heartbeat
# every HEARTBEAT seconds; one older than LEASE seconds means the worker died, and the
# sweep retries the job, at most MAX_ATTEMPTS attempts in all, then fails it. A queued job
# the broker has not handed to a worker after RESEND_AFTER seconds is sent again.
CHECKLIST_JOB_HEARTBEAT_SECONDS = env.float("CHECKLIST_JOB_HEARTBEAT_SECONDS", default=15.0)
CHECKLIST_JOB_LEASE_SECONDS = env.int("CHECKLIST_JOB_LEASE_SECONDS", default=120)
CHECKLIST_JOB_MAX_ATTEMPTS = env.int("CHECKLIST_JOB_MAX_ATTEMPTS", default=3)
CHECKLIST_JOB_RESEND_AFTER_SECONDS = env.int("CHECKLIST_JOB_RESEND_AFTER_SECONDS", default=300)
# Minutes after a cutover step fell due before it is escalated to the migration's owner.
STEP_ESCALATE_AFTER_MINUTES = env.int("STEP_ESCALATE_AFTER_MINUTES", default=30)
# The migration page's cutover panel is cached this long (0: never), and dropped at once
# by any change in the organization (tenancy/freshness.py, docs/cutover-dashboard.md).
# Only with Redis by default: a per-process cache would keep other processes' panels.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=10 if REDIS_URL else 0)

# Secrets at rest (SIP passwords, later carrier PINs) are Fernet-encrypted. The first key
# encrypts; all keys decrypt, so keys can be rotated. Without FIELD_ENCRYPTION_KEYS a key
# is derived from SECRET_KEY (development only; production settings require the variable).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="migrations@localhost")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)

# Links sent to people without an account (LOA signing): lifetime and rate limit.
ESIGN_LINK_TTL_DAYS = env.int("ESIGN_LINK_TTL_DAYS", default=14)
# Unsigned links: a reminder with a fresh link every N days, at most M times (0: none).
PORTAL_RATE_LIMIT_PER_MINUTE = env.int("PORTAL_RATE_LIMIT_PER_MINUTE", default=60)
# How many reverse proxies in front of the app append to X-Forwarded-For (0: none; the
# client address is REMOTE_ADDR). Used for rate limits, sign-in throttling and signing
# events. None (the variable is not set) counts as 0, and `check --deploy` warns
# (tenancy/checks.py): behind a proxy every client would share the proxy's address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=None)
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="")

# Days a customer's migration-portal link keeps working (docs/customer-portal.md).
CUSTOMER_PORTAL_TTL_DAYS = env.int("CUSTOMER_PORTAL_TTL_DAYS", default=60)

# Outbound webhooks (docs/webhooks.md): https only, and never to a private, loopback or
# link-local address, unless these are set (development, a lab). Production ignores them.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)

# Carrier connections (docs/carriers.md): a provider's API is reached over https on the
# provider's own host only, unless this is set (a provider's sandbox, the tests' local
# double). Inbound events are refused when their signed timestamp is further than the
# tolerance from now (replays). Transient provider errors are retried after these pauses.
CARRIER_ALLOW_BASE_URL_OVERRIDE = env.bool("CARRIER_ALLOW_BASE_URL_OVERRIDE", default=False)
CARRIER_WEBHOOK_TOLERANCE_SECONDS = env.int("CARRIER_WEBHOOK_TOLERANCE_SECONDS", default=300)
CARRIER_RETRY_DELAYS = (1.0, 4.0)

# Remote workers' home-location links (docs/e911-remote-workers.md).
# Address validation for E911 locations: a dotted path to a validator class (a carrier's
# E911 API adapter); the default normalizes offline (docs/e911.md).
E911_VALIDATOR = env("E911_VALIDATOR", default="e911.validation.OfflineValidator")
E911_LINK_TTL_DAYS = env.int("E911_LINK_TTL_DAYS", default=14)
E911_REMOTE_CONFIRM_DAYS = env.int("E911_REMOTE_CONFIRM_DAYS", default=3)
E911_REMOTE_ESCALATE_DAYS = env.int("E911_REMOTE_ESCALATE_DAYS", default=5)

# Reverting from the admin's history would bypass services and state machines.
SIMPLE_HISTORY_REVERT_DISABLED = True
# Reasons are people's words ("carrier moved the FOC: …"): no 100-character cap.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

PHONENUMBER_DEFAULT_REGION = "US"
PHONENUMBER_DB_FORMAT = "E164"
# str() of a stored number stays E.164: code compares numbers that way, and CSV exports and
# the API send it. Pages and PDFs show numbers through the `phone` template filter
# (tenancy/phone.py), never through this setting.
PHONENUMBER_DEFAULT_FORMAT = "E164"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A write that lost a race is a 409 (rule "conflict"), a database outage a 503: JSON.
    "EXCEPTION_HANDLER": "tenancy.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "VoIP Migrate API",
    "DESCRIPTION": "Organization-scoped API for customers, migrations, sites, endpoints "
    "and telephone numbers. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its readers are for signed-in users (tenancy/api_docs.py).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The reference's groups, in this order. Each operation is grouped by the resource its
    # path names (tenancy.api_base.resource_tag); a new resource gets its group by itself
    # and a description here.
    "TAGS": [
        {"name": "Customers", "description": "The businesses whose phones move."},
        {"name": "Migrations", "description": "One customer's move to the new system."},
        {"name": "Sites", "description": "A migration's locations, with their addresses."},
        {"name": "Endpoints", "description": "Phones, softphones, ATAs and other devices."},
        {"name": "Numbers", "description": "Telephone numbers (E.164 in and out)."},
        {"name": "Carrier accounts", "description": "The losing carrier's accounts and CSRs."},
        {
            "name": "Carrier connections",
            "description": "Connections to winning carriers' porting APIs (Telnyx); the API "
            "key is write-only (docs/carriers.md).",
        },
        {
            "name": "Port orders",
            "description": "Port orders, their transitions, port day "
            "(FOC, rejections, test calls, partial ports) and the go-live plan.",
        },
        {
            "name": "LOAs",
            "description": "An order's LOA versions, the LOA-vs-CSR check and "
            "acknowledging its warnings.",
        },
        {
            "name": "Webhooks",
            "description": "Endpoints your systems receive events on, with their "
            "delivery log; owners manage them.",
        },
        {"name": "Webhook deliveries", "description": "Replaying a delivery."},
        {"name": "Portal links", "description": "Customer contacts' links to their portal."},
        {"name": "Stuck flags", "description": "Tasks a customer said they are stuck on."},
        {
            "name": "Customer tasks",
            "description": "A migration's tasks for the customer, as their portal shows them.",
        },
        {
            "name": "Questionnaires",
            "description": "Site questionnaires the customer answered; accepting one "
            "imports it into the inventory.",
        },
        {
            "name": "Signing",
            "description": "Links that send an LOA for signature, and the sealed signed LOA.",
        },
    ],
}

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # On every handler: no data: URI and no document in a log line (tenancy/log_redaction.py).
    "filters": {"redact": {"()": "tenancy.log_redaction.RedactLogValues"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint narrates every render step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Largest inventory CSV file accepted from the browser or the command line (bytes).
INVENTORY_IMPORT_MAX_BYTES = env.int("INVENTORY_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# PDF rendering (documents/render.py): a hard time limit per render (a forked child is
# killed), the largest HTML accepted, and the largest inline data: URI (logos, QR codes).
PDF_RENDER_TIMEOUT_SECONDS = env.float("PDF_RENDER_TIMEOUT_SECONDS", default=30.0)
PDF_MAX_HTML_BYTES = env.int("PDF_MAX_HTML_BYTES", default=5 * 1024 * 1024)
PDF_MAX_DATA_URI_BYTES = env.int("PDF_MAX_DATA_URI_BYTES", default=1024 * 1024)
# The paper of a report's PDF when its link does not say (?paper=a4|letter): "letter" or
# "a4" (documents/paper.py).
PDF_PAPER_SIZE = env("PDF_PAPER_SIZE", default="letter")
# The font files (regular, bold) the pre-flight checklists' values are drawn in over the
# fixed form (documents/typeset.py): the face the checklist's CSS names. Unreadable files
# send every checklist to the flowing layout (a warning is logged).
CHECKLIST_FONT_FILES = {
    False: env("CHECKLIST_FONT_REGULAR", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    True: env(
        "CHECKLIST_FONT_BOLD", default="/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
    ),
}
# Most rows accepted in one inventory CSV file.
INVENTORY_IMPORT_MAX_ROWS = env.int("INVENTORY_IMPORT_MAX_ROWS", default=50_000)

# Content-Security-Policy (django-csp, tenancy/csp.py; docs/security.md). Scripts only from
# our own static files: no inline script, no eval (htmx runs with allowEval off,
# templates/base.html). Styles only from our own files too; the few inline <style>
# elements a page needs carry the response's nonce (a portal's brand colour) or are
# allowed by their hash (the letter in the signing portal's frame); no style="" attribute
# anywhere. Images also as data: URIs (logos, QR codes, the drawn signature). Nothing may
# frame a page (the letter's frame is srcdoc, part of its page), forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
