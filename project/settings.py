"""Settings for the catalogue server, read once from the environment.

Defaults are safe for production (DEBUG off, a SECRET_KEY required); `make run`
sets DEBUG=true for local development.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_HASHES, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY in the environment (or DEBUG=true for local development).")
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")
CORS_ALLOWED_ORIGINS = _env_list("CORS_ALLOWED_ORIGINS", "")
CORS_URLS_REGEX = r"^/api/.*$"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "import_export",
    "syncapi",
    "catalogue",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "frontend.csp.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite is the embedded default, PostgreSQL the production choice.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # Each request's first query is preceded by a `SELECT 1` on a reused connection, so a
        # connection the database dropped (restart, failover) is replaced instead of failing one
        # request: one round trip per request. Off behind a pooler that does its own checks.
        conn_health_checks=_env_bool("CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write
    # lock at BEGIN so two writers never deadlock upgrading a read lock.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=5000;PRAGMA cache_size=-20000"
        ),
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))


def _shared_files(location: str, local_dir: str) -> dict:
    """Files every server must see: in S3-compatible object storage when SYNC_SNAPSHOT_S3_BUCKET is
    set (credentials: boto3's AWS_* variables; private objects), else on local disk at `local_dir`."""
    if not os.environ.get("SYNC_SNAPSHOT_S3_BUCKET"):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": local_dir}}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["SYNC_SNAPSHOT_S3_BUCKET"],
            "endpoint_url": os.environ.get("SYNC_SNAPSHOT_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("SYNC_SNAPSHOT_S3_REGION") or None,
            "location": location,
            "file_overwrite": True,
            "default_acl": None,
        },
    }


# Where devices fetch product pictures' renditions: this server (catalogue.views.product_image, with a
# one-year immutable lifetime) by default; a CDN in front of object storage when PRODUCT_IMAGES_S3_BUCKET
# and PRODUCT_IMAGES_URL are set (the objects are written public, with the same Cache-Control).
PRODUCT_IMAGES_URL = os.environ.get("PRODUCT_IMAGES_URL", "/" + MEDIA_URL + "images/")
IMMUTABLE = "public, max-age=31536000, immutable"
_IMAGES_ORIGIN = [f"{_url.scheme}://{_url.netloc}" for _url in [urlsplit(PRODUCT_IMAGES_URL)] if _url.netloc]


def _product_images() -> dict:
    if not os.environ.get("PRODUCT_IMAGES_S3_BUCKET"):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(MEDIA_ROOT / "images"), "base_url": PRODUCT_IMAGES_URL}}  # fmt: skip
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["PRODUCT_IMAGES_S3_BUCKET"],
            "endpoint_url": os.environ.get("SYNC_SNAPSHOT_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("SYNC_SNAPSHOT_S3_REGION") or None,
            "location": "product-images",
            "default_acl": "public-read",
            "querystring_auth": False,
            "object_parameters": {"CacheControl": IMMUTABLE, "ContentType": "image/webp"},
        },
    }


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Snapshot part files (syncapi.snapshots).
    "sync-snapshots": _shared_files(
        "sync-snapshots", os.environ.get("SYNC_SNAPSHOT_DIR", str(BASE_DIR / "var" / "snapshots"))
    ),
    # Product pictures' renditions (catalogue.images): content-addressed, immutable, public.
    "product-images": _product_images(),
    # An admin import's uploaded file between preview and confirm, which may reach another server.
    "import_export": _shared_files("import-export", str(BASE_DIR / "var" / "import-export")),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # Hashed names (also inside ES module imports) and compressed copies.
            else "frontend.storage.StaticStorage"
        )
    },
}

# django-import-export keeps the uploaded file in STORAGES["import_export"] (shared), not a server's /tmp.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"

# Compressed copies of static files, but not of source maps: only developer tools fetch them, and
# compressing the API docs' 14 MB of maps with brotli took most of `collectstatic`'s time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

# Security headers; HTTPS-only settings switch on with HTTPS=true (behind TLS).
HTTPS = _env_bool("HTTPS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = _env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy on every response (frontend.csp.CSPMiddleware): only
# this origin's files, no inline script or style, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Product pictures may come from a CDN (PRODUCT_IMAGES_URL); the worker fetches them to keep offline.
        "img-src": [SELF, "data:", *_IMAGES_ORIGIN],
        "connect-src": [SELF, *_IMAGES_ORIGIN],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Additions by path prefix, for third-party pages that need inline code.
# Swagger UI's page (drf-spectacular) has an inline <script> (holding the CSRF
# token, so no hash fits) and an inline <style>.
CONTENT_SECURITY_POLICY_PATH_UPDATES = {
    "/api/docs/": {"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE]},
    # django-import-export's export page: its "Select all" box's onchange handler and two style
    # attributes, allowed by their hashes alone.
    "/admin/catalogue/product/export/": {
        "script-src": [UNSAFE_HASHES, "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"],
        "style-src": [
            UNSAFE_HASHES,
            "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",
            "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",
        ],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["syncapi.authentication.DeviceTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "syncapi.exception_handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The client address that throttles count: behind a reverse proxy (BEHIND_PROXY) the one that
    # proxy appended to X-Forwarded-For, else the connection's peer. What a client writes itself
    # into X-Forwarded-For is never believed.
    "NUM_PROXIES": 1 if BEHIND_PROXY else 0,
    # Login attempts per client address and per username (syncapi.throttling): the second stops
    # one account's password being guessed from many addresses.
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("LOGIN_THROTTLE_RATE", "10/min"),
        "login_user": os.environ.get("LOGIN_USER_THROTTLE_RATE", "20/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Catalogue sync API",
    "DESCRIPTION": "Offline-sync protocol v1 (see docs/ and PROTOCOL.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Assets come from drf-spectacular-sidecar: the docs page works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The sync protocol's own settings, read through syncapi.conf.
SYNCAPI = {
    "TOMBSTONE_RETENTION_DAYS": int(os.environ.get("SYNC_TOMBSTONE_RETENTION_DAYS", "30")),
    "TOKEN_TTL_DAYS": int(os.environ.get("SYNC_TOKEN_TTL_DAYS", "30")),
    # Build a due snapshot in a background thread of a serving process (else only `build_snapshots`).
    "SNAPSHOT_AUTO_BUILD": _env_bool("SYNC_SNAPSHOT_AUTO_BUILD", True),
    "SNAPSHOT_REBUILD_CHANGES": int(os.environ.get("SYNC_SNAPSHOT_REBUILD_CHANGES", "1000")),
    "SNAPSHOT_MAX_AGE_HOURS": float(os.environ.get("SYNC_SNAPSHOT_MAX_AGE_HOURS", "24")),
    # How long a push holds the writers' lock before it commits and lets other writers in.
    "PUSH_LOCK_SLICE_MS": float(os.environ.get("SYNC_PUSH_LOCK_SLICE_MS", "50")),
}

# Shared short-lived state: with REDIS_URL set, Django's cache is Redis (its built-in backend, reusing
# its client objects: syncapi/cache.py), which every server process shares: the login throttles'
# counts and the cached device tokens (SYNCAPI["TOKEN_CACHE"]). Without it one machine runs alone:
# the throttles count in a table of the database (made by syncapi's migration 0003) and each request
# reads its token from the database.
REDIS_URL = os.environ.get("REDIS_URL", "")
_REDIS = {"BACKEND": "syncapi.cache.RedisCache", "LOCATION": REDIS_URL}
CACHES = {
    "default": _REDIS if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": (
        _REDIS
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "syncapi_throttle_cache",
            # Past MAX_ENTRIES live keys the table is culled in key order, counts still running
            # included: far above what many addresses and usernames can fill in one window.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    ),
}
SYNCAPI["TOKEN_CACHE"] = "default" if REDIS_URL else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
