"""Settings for the CPEC Project Registry, read from the environment (12-factor).

Every variable is documented in the README's configuration table. Defaults suit a newcomer's machine
(SQLite in the project folder); production sets ``DATABASE_URL``, ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random string "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development only."
        )
    # Development only: DEBUG is on, so this key never protects a production site.
    SECRET_KEY = "insecure-development-key-debug-only-" + "x" * 20

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "import_export",
    "registry",
    "projects",
    "indicators",
    # The benchmark's tools (manage.py seed_synthetic); no models, no URLs. No app imports it.
    "bench",
]

# The whole-registry backup (registry/backup.py, `make backup`): the apps whose every row it holds (besides auth,
# knox, admin and registry), rows a migration creates in every database, and the model it reports first.
REGISTRY_BACKUP = {
    "APPS": ("projects", "indicators"),
    "MIGRATION_ROWS": ("projects.province",),
    "MAIN_MODEL": "projects.project",
}

MIDDLEWARE = [
    "registry.middleware.RejectNulBytesMiddleware",
    "registry.middleware.RequestSizeLimitMiddleware",
    "registry.middleware.ApiHttpsRedirectMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "registry.middleware.SecurityHeadersMiddleware",
    # gzip, Brotli or Zstandard for JSON, CSV and GeoJSON (streamed answers stay streamed); static files come
    # precompressed from WhiteNoise.
    "django_http_compression.middleware.HttpCompressionMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "registry.cors.CorsMiddleware",
    "registry.http.ApiHttpHeadersMiddleware",
    "registry.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "registry.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Anonymous API reads kept in the cache under the data version (inside compression, CORS and the HTTP headers,
    # which are per request; after authentication, which it needs to tell an editor from the public).
    "registry.response_cache.ResponseCacheMiddleware",
    "registry.middleware.AdminLoginThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "registry.routers.ReplicaRoutingMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "registry" / "templates"],
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

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Read replicas (optional): read-only API traffic goes to them, writes and the admin to the primary.
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    DATABASES[f"replica_{_number}"] = {
        **dj_database_url.parse(_url, conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True),
        "TEST": {"MIRROR": "default"},
    }
# PostgreSQL's parallel workers per statement (max_parallel_workers_per_gather; the server's default is 2). The
# registry answers many small requests at once: a parallel worker makes one statistics query faster on an idle server
# but costs its start-up when every core is busy (bench/README.md: 1.4x its baseline at 1 connection, 0.8x at 16;
# 1.1x at both without). 0 runs each statement in its connection's own process.
PG_PARALLEL_WORKERS = env_int("PG_PARALLEL_WORKERS", 0)
if PG_PARALLEL_WORKERS < 0:
    raise ImproperlyConfigured(f"PG_PARALLEL_WORKERS must be 0 or more, got {PG_PARALLEL_WORKERS}.")
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _options = _database.setdefault("OPTIONS", {})
        _given = _options.get("options", "")
        _options["options"] = f"{_given} -c max_parallel_workers_per_gather={PG_PARALLEL_WORKERS}".strip()
DATABASE_ROUTERS = ["registry.routers.ReplicaRouter"]
REPLICA_READS = env_bool("REPLICA_READS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# ISO dates (YYYY-MM-DD) in the admin, shown and typed: registry/formats/en_GB/formats.py.
FORMAT_MODULE_PATH = ["registry.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str("STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage")
    },
}

# Cache: shared Redis when REDIS_URL is set (so throttling, the data version and the response cache hold across
# workers and servers), local memory otherwise. Redis holds nothing the registry cannot do without: short socket
# timeouts, so that a hanging server costs a fraction of a second (redis-py's default is 5 s per call), after which
# the throttles fail open and reads go uncached (registry.throttling).
REDIS_URL = env_str("REDIS_URL")
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 0.25)
CACHE_RETRY_SECONDS = env_float("CACHE_RETRY_SECONDS", 10)


def redis_cache(url: str, key_prefix: str = "") -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL, env_str("CACHE_KEY_PREFIX"))}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Security: on by default outside DEBUG, each switchable for a TLS-terminating proxy.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
TRUST_X_FORWARDED_PROTO = env_bool("TRUST_X_FORWARDED_PROTO", False)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The documented set-up behind a TLS-terminating proxy that redirects HTTP to HTTPS itself (deploy/nginx.conf):
# SECURE_SSL_REDIRECT=0 said explicitly, with TRUST_X_FORWARDED_PROTO=1. Only then is check --deploy's warning
# about the missing redirect (security.W008) beside the point; without the proxy it still stops `make serve`.
if env_str("SECURE_SSL_REDIRECT") and not SECURE_SSL_REDIRECT and TRUST_X_FORWARDED_PROTO:
    SILENCED_SYSTEM_CHECKS = ["security.W008"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "registry.errors.csrf_failure"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)

# CORS: anyone may read; writes only from the configured origins (see registry.cors).
CORS_ALLOW_ALL_ORIGINS = False
CORS_URLS_REGEX = r"^/api/.*$"
CORS_WRITE_ORIGINS = env_list("CORS_WRITE_ORIGINS")
# Conditional requests cross origins too; a change of CORS_WRITE_ORIGINS reaches browsers within ten minutes.
CORS_ALLOW_HEADERS = [*default_headers, "if-match", "if-none-match"]
CORS_PREFLIGHT_MAX_AGE = 600
# How long any cache may keep an anonymous API read (Cache-Control: public, max-age); authenticated reads: never.
API_CACHE_MAX_AGE = env_int("API_CACHE_MAX_AGE", 60)
# How long the shared response cache (registry.response_cache) keeps an anonymous API read at most; 0 turns it off.
# Every write makes kept answers stale at once (the data version, registry.data_version): this only bounds memory.
RESPONSE_CACHE_SECONDS = env_int("RESPONSE_CACHE_SECONDS", 600)
# The data version is trusted only where every process sees the same one: in Redis (REDIS_URL), or in the memory of
# a registry that runs as one process (SINGLE_PROCESS, on with DEBUG: `make run`). Several workers with their own
# memory would each keep a version that the others' writes never bump: the response cache and the vocabulary code
# maps (registry.api.code_maps), which trust it, are then off.
SINGLE_PROCESS = env_bool("SINGLE_PROCESS", DEBUG)
DATA_VERSION_SHARED = bool(REDIS_URL) or SINGLE_PROCESS
if RESPONSE_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(f"RESPONSE_CACHE_SECONDS must be 0 (off) or more, got {RESPONSE_CACHE_SECONDS}.")

CORS_EXPOSE_HEADERS = [
    "Content-Disposition",
    "ETag",
    "Link",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": sys.stdout, "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured(f"NUM_PROXIES must be 0 or more (the proxies in front of the app), got {NUM_PROXIES}.")

# Users with this permission are editors: they read drafts and the editors' change feed (registry.permissions).
EDITOR_PERMISSION = "projects.view_project"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "registry.api.schema.RegistryAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["registry.api.permissions.ModelPermissionsOrAnonReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": [
        "registry.api.renderers.ORJSONRenderer",
        "registry.api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["registry.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "registry.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["registry.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("ANON_THROTTLE_RATE", "120/minute") or None},
    "EXCEPTION_HANDLER": "registry.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Proxies in front of the app (each adds an X-Forwarded-For entry). 0 trusts no X-Forwarded-For at all: DRF
    # reads None, not 0, as "trust the client's header", which would let anyone reset the throttles.
    "NUM_PROXIES": NUM_PROXIES,
    "URL_FORMAT_OVERRIDE": "format",
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored, every token expires, an editor may hold several.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90)
if not 1 <= API_TOKEN_DAYS <= 3650:
    raise ImproperlyConfigured(f"API_TOKEN_DAYS must be from 1 to 3650 (days a token is valid), got {API_TOKEN_DAYS}.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
ADMIN_LOGIN_THROTTLE_RATE = env_str("ADMIN_LOGIN_THROTTLE_RATE", "20/hour")
if not env_bool("THROTTLING_ENABLED", True):
    REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []

# django-import-export (the admin's CSV import of observations): all-or-nothing, permission-checked, safe exports.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

SPECTACULAR_SETTINGS = {
    "TITLE": "CPEC Project Registry API",
    "DESCRIPTION": (
        "The public registry of China-Pakistan Economic Corridor projects: sourced, dated records of what was "
        "announced, committed and realised, where, and by whom. Reads are anonymous; writes need a token."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "registry.api.schema.sparse_responses_have_no_required_fields",
        "registry.api.schema.describe_everything",
        "registry.api.schema.close_request_bodies",
        "projects.api.schema.document_model_rules",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "projects.choices.SourceKind",
        "OrganisationKindEnum": "projects.choices.OrganisationKind",
        "InvestmentKindEnum": "projects.choices.InvestmentKind",
        "ProvinceCodeEnum": "projects.choices.Province",
        "StatusEnum": "projects.choices.Status",
        "ObservationKindEnum": "indicators.choices.ObservationKind",
        "ObservationScopeEnum": "indicators.choices.Scope",
        "IndicatorLevelEnum": "indicators.choices.Level",
        "IndicatorDimensionEnum": "indicators.choices.Dimension",
        "ParticipationRoleEnum": "projects.choices.ParticipationRole",
        "EventRoleEnum": "projects.choices.EventRole",
        "EventKindEnum": "projects.choices.EventKind",
        "DatePrecisionEnum": "projects.choices.DatePrecision",
    },
    "TAGS": [
        {"name": "projects", "description": "CPEC projects: classification, place, status and headline money."},
        {"name": "status-changes", "description": "Dated, sourced entries of projects' status histories."},
        {"name": "investments", "description": "Sourced money claims (announced, committed, realised)."},
        {"name": "organisations", "description": "Governments, companies and financiers taking part in projects."},
        {"name": "sources", "description": "Citations behind every figure, date and status."},
        {"name": "corridors", "description": "The five CPEC Phase II corridors, with totals over published projects."},
        {"name": "pillars", "description": "Pakistan's 5Es framework."},
        {"name": "sectors", "description": "Two-level sector vocabulary."},
        {"name": "provinces", "description": "Provinces and territories of Pakistan (ISO 3166-2:PK)."},
        {
            "name": "statistics",
            "description": "Investment statistics: headline sums grouped by one or two dimensions, and over time.",
        },
        {"name": "events", "description": "Governance events: JCC and JWG meetings, agreements, visits, policy."},
        {"name": "exchange-rates", "description": "The sourced rates that convert investment figures to USD."},
        {"name": "changes", "description": "The registry-wide change feed for incremental sync."},
        {"name": "indicators", "description": "Indicators measuring conversion into productive capacity."},
        {"name": "observations", "description": "Observed, target and baseline values of indicators."},
        {"name": "meta", "description": "The API root."},
    ],
}
