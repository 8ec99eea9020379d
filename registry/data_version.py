"""The registry-wide data version: a number in the shared cache (Redis) that every write to registry data bumps.

What readers keep (``registry.response_cache``) and the ETags they hand out are keyed by it, so nothing kept
outlives the write that made it stale.

Every SQL statement passes through ``track_writes``, a database execute wrapper installed on every connection: an
INSERT, UPDATE, DELETE or TRUNCATE that changes rows of any table but Django's own (users, sessions, tokens, the
admin log: ``PRIVATE_APPS``) bumps the version at once, and once more when its transaction commits
(``transaction.on_commit``). The second bump is the one that keeps readers fresh: a reader that read the version
between the statement and the commit may have kept the old rows under it, never under the version after the commit.
(The first one is what a test sees: its transaction never commits.) So services, the admin, imports,
``QuerySet.update``, ``bulk_create``, migrations and raw SQL are all covered; the few writes that bypass Django's
cursor (psycopg's ``COPY`` in bench/synthetic.py) call ``bump`` themselves, and every ``migrate`` bumps it (a
deploy: new code may show the same rows differently).

The cache may be down (``registry.throttling.cache_outage``): bumps are then skipped and made up for once the cache
answers again, and readers go uncached meanwhile. A missing version (first use, a flushed or restarted Redis) starts
from the current time in microseconds, so it never comes back to a value handed out before.
"""

import re
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from registry.throttling import CACHE_ERRORS, cache_outage

KEY = "registry:data-version"
# Apps whose tables hold nothing the public reads: writes to them (a login, a new token) leave the version alone.
PRIVATE_APPS = ("admin", "auth", "contenttypes", "sessions", "knox")
PRIVATE_TABLES = {"django_migrations", "sqlite_sequence"}

WRITE = re.compile(
    r"""\s*(?:(?:INSERT(?:\s+OR\s+\w+)?|REPLACE|MERGE)\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?"?([^\s"(]+)""",
    re.IGNORECASE,
)
# Statements that may change no row: then (rowcount 0) they leave the version alone. An INSERT always counts (with
# RETURNING, SQLite reports no rowcount until the rows are read).
NO_ROWS = ("UPDATE", "DELETE")
# Writes whose tables are not read off the statement: always counted.
OTHER_WRITE = re.compile(r"\s*(?:TRUNCATE\b|WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b)", re.IGNORECASE | re.DOTALL)


class _State:
    private_tables: frozenset[str] | None = None
    missed = False  # a bump this process could not make (the cache was down)


_state = _State()


def private_tables() -> frozenset[str]:
    if _state.private_tables is None:
        tables = set(PRIVATE_TABLES)
        for config in apps.get_app_configs():
            if config.label in PRIVATE_APPS:
                tables |= {model._meta.db_table.lower() for model in config.get_models(include_auto_created=True)}
        _state.private_tables = frozenset(tables)
    return _state.private_tables


def writes_registry_data(sql: str) -> bool:
    """Whether the statement may change rows the public reads."""
    if sql[:6].upper() == "SELECT":
        return False
    match = WRITE.match(sql)
    if match is not None:
        return match.group(1).lower() not in private_tables()
    return OTHER_WRITE.match(sql) is not None


def start() -> int:
    """A fresh version, later than any this cache held before (microseconds since the epoch)."""
    return time.time_ns() // 1000


def bump() -> None:
    """Make the version a new number (or note that it could not be, and make up for it later)."""
    if cache_outage.ongoing():
        _state.missed = True
        return
    try:
        try:
            cache.incr(KEY)
        except ValueError:  # not there yet, or evicted
            cache.add(KEY, start(), timeout=None)
    except CACHE_ERRORS as error:
        _state.missed = True
        cache_outage.begin(error)
        return
    _state.missed = False


def catch_up() -> None:
    """Make the bump a cache outage swallowed in this process, now that the cache answers."""
    if _state.missed:
        bump()


def current(found: int | None) -> int:
    """The version, given what the cache held under ``KEY`` (None: it is started now)."""
    if found is not None:
        return found
    cache.add(KEY, start(), timeout=None)
    return cache.get(KEY)


def note_write(connection) -> None:
    """A statement changed registry data on ``connection``: bump now, and after its transaction commits (once per
    transaction: any bump already waiting for the commit survives exactly as long as this write does)."""
    bump()
    if connection.in_atomic_block and not any(func is bump for _, func, _ in connection.run_on_commit):
        connection.on_commit(bump)


def track_writes(execute, sql, params, many, context):
    """The execute wrapper: run the statement, then note it when it may have changed registry data."""
    result = execute(sql, params, many, context)
    if writes_registry_data(sql) and (context["cursor"].rowcount != 0 or sql.lstrip()[:6].upper() not in NO_ROWS):
        note_write(context["connection"])
    return result


def install(connection, **kwargs) -> None:
    # First in the list: a ``with connection.execute_wrapper(...)`` block around the first query pops its own.
    if track_writes not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, track_writes)


def bump_after_migrate(**kwargs) -> None:
    bump()


def connect() -> None:
    """Called from ``RegistryConfig.ready``."""
    connection_created.connect(install, dispatch_uid="registry.data_version.install")
    post_migrate.connect(bump_after_migrate, dispatch_uid="registry.data_version.migrate")


class _Kept:
    values: dict[str, tuple[int, object]] = {}


UNREAD = object()


def request_version(request) -> int | None:
    """The version ``request`` reads under (``version_or_none``), read at most once per request: the response cache
    has read it already for an anonymous read and left it on the request (``request.data_version``)."""
    if request is None:
        return version_or_none()
    version = getattr(request, "data_version", UNREAD)
    if version is UNREAD:
        version = version_or_none()
        request.data_version = version
    return version


def kept(key: str, compute, request=None):
    """``compute()``, kept in this process under the data version ``request`` reads (``request_version``) and
    computed again after any write; None where no version can be trusted (the cache down, or not shared:
    ``version_or_none``). ``compute`` runs after the version is read, so what is kept is never older than the version
    it is kept under."""
    version = request_version(request)
    if version is None:
        return None
    found = _Kept.values.get(key)
    if found is not None and found[0] == version:
        return found[1]
    value = compute()
    _Kept.values[key] = (version, value)
    return value


def version_or_none() -> int | None:
    """The current version, or None while the cache is down, or where no version is shared by every process
    (``settings.DATA_VERSION_SHARED``): then nothing may be kept under it."""
    if not settings.DATA_VERSION_SHARED or cache_outage.ongoing():
        return None
    try:
        catch_up()
        return current(cache.get(KEY))
    except CACHE_ERRORS as error:
        cache_outage.begin(error)
        return None
