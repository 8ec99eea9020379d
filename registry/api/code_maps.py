"""Per-process maps of small vocabularies' codes to their rows, kept under the data version (issue 16).

A filter on a vocabulary (``?indicator=``, ``?corridor=``, ``?pillar=``, ``?sector=``) looks its codes up in the
database so that an unknown code is a 400 naming the parameter. Those tables change rarely and hold a few dozen
rows, so the rows found are kept in this process under the registry-wide data version (``registry.data_version``):
every committed write bumps it, so a map kept under the version a request reads holds the rows as they were at that
version or later, never older (the version is read before the rows). A filter opts in (``MultiCodeFilter(...,
cached=True)``) only where its queryset is the whole table: the map is per model and code column.

- Only codes that were found are kept. A request whose codes are all in the map at its version makes no query;
  any other (an unknown code, a code not looked up yet at this version) looks every code up in the database as
  before, so an error message or a code another process has just added is never answered from the map.
- The version is read once per request: the response cache (``registry.response_cache``) has read it already for
  an anonymous read and left it on the request (``request.data_version``); otherwise it is read once
  (``data_version.request_version``) and kept there.
  With the cache down (``version_or_none()`` is None) nothing is kept and every request queries.
- Rows are looked up on the primary database while kept: a lagging replica's rows would otherwise be kept under the
  version of a write they do not show (the response cache reads misses from the primary for the same reason).
- The kept rows are shared by the requests of the process: they are only read (their primary key filters).
- Without ``REDIS_URL`` the cache, so the version, would be each process's own memory, which another worker's write
  never bumps (a renamed code's old name would still select its rows, a deleted code none instead of a 400): the
  version is then not trusted (``settings.DATA_VERSION_SHARED``, ``version_or_none()`` is None) and every request
  queries, unless the registry runs as one process (``SINGLE_PROCESS``), as the response cache does.
"""

import threading

from django.db import DEFAULT_DB_ALIAS


class _Kept:
    def __init__(self):
        self.lock = threading.Lock()
        # (model label, code column) -> (version, {code: row}); only the newest version seen is kept.
        self.maps: dict[tuple[str, str], tuple[int, dict]] = {}


_kept = _Kept()


def kept_rows(model, column: str, version: int) -> dict:
    """The rows kept for ``model`` by ``column`` under ``version`` (empty: none yet). Read only."""
    found = _kept.maps.get((model._meta.label, column))
    return found[1] if found is not None and found[0] == version else {}


def keep_rows(model, column: str, version: int, rows: dict) -> None:
    """Add ``rows`` (code -> row, read from the database after ``version`` was) to the map of ``version``; a map of
    an older version is dropped, a newer one is left alone (this request read its version before that write)."""
    key = (model._meta.label, column)
    with _kept.lock:
        found = _kept.maps.get(key)
        if found is None or found[0] < version:
            _kept.maps[key] = (version, dict(rows))
        elif found[0] == version:
            _kept.maps[key] = (version, {**found[1], **rows})


def lookup_database(queryset, version: int | None):
    """Where to look codes up: the primary database when the rows will be kept, else wherever the router reads."""
    return queryset if version is None else queryset.using(DEFAULT_DB_ALIAS)
