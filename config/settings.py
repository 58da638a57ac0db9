"""Comptoir settings: one module, driven by environment variables.

Defaults give a working demo on SQLite with no other service. ``DJANGO_ENV=production``
turns on the production checks: the process refuses to start without its secrets and
services (``SECRET_KEY``, ``ALLOWED_HOSTS``, ``REDIS_URL``, ``STRIPE_SECRET_KEY``) and
its public address (``PUBLIC_URL``, in https: every link in the e-mails).
"""

import re
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import email_settings, env_bool, env_int, env_list, env_str, public_url_parse

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("COMPTOIR_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DJANGO_ENV = env_str("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if PRODUCTION:
    # Each missing variable, and why production cannot do without it.
    required = {
        "SECRET_KEY": "signs sessions and tokens",
        "ALLOWED_HOSTS": "the host names the site answers to",
        "REDIS_URL": (
            "rate limits, the cache and huey's queue must be shared between processes "
            "(gunicorn workers, huey consumers)"
        ),
        "STRIPE_SECRET_KEY": (
            "without it the dev payment gateway would take the orders, and it cannot "
            "take real payments"
        ),
        "PUBLIC_URL": (
            "the address people reach the site at (https://...): every link in the "
            "e-mails is built from it"
        ),
    }
    given = {
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": ALLOWED_HOSTS,
        # BASE_URL, its name before, is still read: a deployment that set it keeps going.
        "PUBLIC_URL": env_str("PUBLIC_URL") or env_str("BASE_URL"),
    }
    missing = [name for name in required if not given.get(name, env_str(name))]
    if missing:
        raise ImproperlyConfigured(
            "Production settings need these environment variables: "
            + ", ".join(missing)
            + "\n"
            + "\n".join(f"  {name}: {required[name]}" for name in missing)
        )
    if env_str("STRIPE_API_BASE"):
        raise ImproperlyConfigured(
            "STRIPE_API_BASE points Stripe calls elsewhere (the local double): "
            "not in production; leave it empty."
        )
else:
    SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-change-me"  # noqa: S105
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "testserver", "[::1]"]

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "cms",
    "cms.demo",
    "marketplace",
    "marketplace.books",
    "marketplace.tourist_tax",
    "marketplace.payouts",
    "marketplace.invoices",
    "commissions",
    "payments",
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "huey.contrib.djhuey",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the page cache: a cached page gets the policy too.
    "cms.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is known: its 400 page is in the visitor's language.
    "config.middleware.RejectNulMiddleware",
    "cms.middleware.AnonymousPageCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cms.mfa.MFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "config.middleware.AdminMalformedRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Database: SQLite next to the project unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'comptoir.sqlite3'}"),
        conn_max_age=int(env_str("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the huey consumer share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "comptoir"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background work: huey. SqliteHuey next to the database by default, Redis when set.
HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", default=False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("HUEY_NAME", "comptoir"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "periodic": True},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "comptoir",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "periodic": True},
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Rate limits (allauth's) are counted in the default cache, Redis when REDIS_URL is set,
# so every web process shares them. Behind reverse proxies, the client's address is read
# in X-Forwarded-For, that many entries from the right; 0 (no proxy) takes the address
# of the connection and ignores the header, which a client could otherwise forge.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0, minimum=0)
ACCOUNT_RATE_LIMITS = {
    # Wrong passwords: 10 a minute from one address (a tourist office's wifi is shared),
    # and 5 in 5 minutes on one account whatever the address, against guessing spread
    # over many addresses. A right password does not count; a password reset clears the
    # account's count, and someone locked out meanwhile can sign in by a code by e-mail.
    # This is allauth's own default, written out here to be seen and tuned.
    "login_failed": "10/m/ip,5/5m/key",
}

# Accounts (allauth): e-mail only, verified, password or a code sent by e-mail.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
# allauth's e-mails are signed with the territory's name, subject included, and people
# are named by their address, never by the username allauth makes up (cms/account_mail.py).
ACCOUNT_USER_DISPLAY = "cms.account_mail.user_display"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_ADAPTER = "cms.mfa.AccountAdapter"
# Checkouts per account and per client address, in allauth's rate format
# ("amount/period/per", comma-separated; empty for none), kept with allauth's own limits.
CHECKOUT_RATE_LIMITS = env_str("CHECKOUT_RATE_LIMITS", "5/5m/user,20/h/user,30/10m/ip")
for _rate in filter(None, (part.strip() for part in CHECKOUT_RATE_LIMITS.split(","))):
    if not re.fullmatch(r"\d+/\d*[smhd]/(user|ip)", _rate):
        raise ImproperlyConfigured(
            f"CHECKOUT_RATE_LIMITS: {_rate!r} is not a rate such as 5/5m/user or 30/10m/ip."
        )
ACCOUNT_RATE_LIMITS["checkout"] = CHECKOUT_RATE_LIMITS
# Messages sent through the contact page, per client address (cms/contact.py).
ACCOUNT_RATE_LIMITS["contact"] = "5/10m/ip,20/d/ip"
# No self-service password reset for who must have MFA and has none (cms/mfa.py).
ACCOUNT_FORMS = {"reset_password_from_key": "cms.mfa.ResetPasswordKeyForm"}
# A reset never signs in (allauth's default, relied on by cms/mfa.py).
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# allauth e-mails the owner when their password or e-mail addresses change.
ACCOUNT_EMAIL_NOTIFICATIONS = True
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
# Draftail, with a form error instead of a 500 for a posted value that is not its JSON.
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {"WIDGET": "cms.rich_text.CheckedDraftailRichTextArea"}
}

# Two-factor authentication (allauth.mfa): an authenticator app (TOTP) with recovery
# codes, or a security key (WebAuthn). Offered to everyone; required (cms/mfa.py) for
# superusers, finance and council when COMPTOIR_MFA_REQUIRED is on (by default in
# production only: the demo's accounts log in with their password).
COMPTOIR_MFA_REQUIRED = env_bool("COMPTOIR_MFA_REQUIRED", default=PRODUCTION)
MFA_ADAPTER = "cms.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = env_str("SITE_NAME", "Comptoir")
# Browsers allow WebAuthn on http://localhost only; elsewhere it needs HTTPS.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION

# Languages: French first, English second.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
# The storefront's own French catalogue comes second: locale/ wins where both translate.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "cms" / "storefront_locale"]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# WhiteNoise reads this directory when it starts (collectstatic fills it in production;
# elsewhere the finders serve the files): it exists from the start, as var/ does, so
# that development and tests do not warn "No directory at" on every request handler.
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Uploads: Wagtail's image and document forms (single, multiple and chooser uploads)
# refuse a file over these sizes, in bytes, with a message in the user's language.
WAGTAILIMAGES_MAX_UPLOAD_SIZE = env_int("WAGTAILIMAGES_MAX_UPLOAD_SIZE", 8 * 1024 * 1024, minimum=1)
WAGTAILDOCS_MAX_UPLOAD_SIZE = env_int("WAGTAILDOCS_MAX_UPLOAD_SIZE", 10 * 1024 * 1024, minimum=1)
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

WAGTAIL_SITE_NAME = env_str("SITE_NAME", "Comptoir")
# The address people reach the site at: scheme, host and port, no path. Every absolute
# link made outside a request (e-mails above all) is built from it by
# marketplace.web.public_url, and Wagtail's own notifications through its admin base URL.
# The Wagtail sites' host names and ports route requests; they are not this address (the
# demo's site is "localhost", port 80, served on 127.0.0.1:$PORT). In development it is
# what `make run` serves, http://127.0.0.1:$PORT; production requires it, in https.
PUBLIC_URL = public_url_parse(
    "PUBLIC_URL",
    env_str("PUBLIC_URL")
    or env_str("BASE_URL")  # its name before (Wagtail's admin base URL): still read
    or f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1)}",
    https=PRODUCTION,
)
WAGTAILADMIN_BASE_URL = PUBLIC_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]
# Pages and offers may be translated (wagtail-localize): French is the source and the
# fallback, English a translation an editor submits and publishes. Commerce stays on the
# French page of an offer (marketplace.localisation).
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
# A page submitted for translation starts as a draft: visitors keep the French page until
# the translator publishes the translation.
WAGTAILLOCALIZE_SYNC_LIVE_STATUS_ON_TRANSLATE = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_WORKFLOW_ENABLED = True
# A workflow's approval publishes even when the submitter (a provider member) may not.
WAGTAIL_FINISH_WORKFLOW_ACTION = "marketplace.workflows.workflow_state_publish"

# Seconds the storefront keeps a listing or API result (0: off). Saves and publications
# invalidate it at once; the delay only bounds what no signal sees (bulk updates).
STOREFRONT_CACHE_SECONDS = int(env_str("STOREFRONT_CACHE_SECONDS", "30"))

# Map tiles for Leaflet (the library itself is served from static/).
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")

# Content-Security-Policy (django-csp), on every response. The storefront and the account
# pages run no inline script or style (JSON data islands are not executed); map tiles come
# from MAP_TILE_URL's origin, added per request by cms.csp. Wagtail's admin writes inline
# scripts and styles (panels, date pickers, Draftail): it gets CSP_ADMIN_EXTRA on top.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
        "frame-src": [SELF],
    }
}
CSP_ADMIN_EXTRA = {
    "script-src": [UNSAFE_INLINE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["blob:"],
}
# Wagtail's admin avatars: no call to a third party (gravatar) with the staff's e-mails.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# Stripe (used by the payments app; empty keys mean the embedded dev gateway).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_CONNECT_WEBHOOK_SECRET = env_str("STRIPE_CONNECT_WEBHOOK_SECRET")
# Where the Stripe client sends its requests (empty: Stripe itself); the local double
# (`python -m tests.stripe_double`) in development.
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
# Put before every idempotency key sent to Stripe: set it per installation when several
# databases share one Stripe account (staging restored from production, two territories).
STRIPE_IDEMPOTENCY_PREFIX = env_str("STRIPE_IDEMPOTENCY_PREFIX")


# Personal data retention (the nightly task cms.tasks.personal_data_purge). Installation-
# wide, as what they apply to is: accounts and Stripe's webhooks belong to no one territory
# (anonymous carts do: TerritorySettings.anonymous_cart_days).
# An account whose e-mail was never verified is deleted this long after sign-up.
UNVERIFIED_ACCOUNT_RETENTION_DAYS = env_int("UNVERIFIED_ACCOUNT_RETENTION_DAYS", 14, minimum=1)
# A Stripe webhook event loses the personal data of its payload this long after receipt.
STRIPE_EVENT_PAYLOAD_RETENTION_DAYS = env_int("STRIPE_EVENT_PAYLOAD_RETENTION_DAYS", 60, minimum=1)

# The benchmark's floor endpoint exists only when this is set.
BENCHMARK = env_bool("COMPTOIR_BENCHMARK", default=False)

# E-mail.
globals().update(email_settings(env_str("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Comptoir <no-reply@comptoir.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": env_str("WAGTAIL_LOG_LEVEL", "WARNING")},
        # Each PDF made (statements, invoices) would log its steps and its checks.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "factur-x": {"level": "WARNING"},
        # Configured here, huey's consumer adds no handler of its own (it printed each
        # line twice), and its periodic tasks' "Executing…" lines stay out of the
        # console unless HUEY_LOG_LEVEL=INFO.
        "huey": {
            "handlers": ["console"],
            "level": env_str("HUEY_LOG_LEVEL", "WARNING"),
            "propagate": False,
        },
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env_str("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
