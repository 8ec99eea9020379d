"""A shared cache of anonymous API reads, kept under the data version (README: "Deploying").

An anonymous GET or HEAD under /api/ is looked up in the configured cache (Redis in production), keyed by what its
answer depends on: method, scheme, host, path, query string (parameters in sorted order, as the API's own links
write them), ``Accept``, and the day (a few answers count up to today). A kept answer is served only while the
data version (``registry.data_version``) is the one it was computed under, so no reader ever sees data older than
the last committed write; it is also dropped after ``RESPONSE_CACHE_SECONDS``.

- ETags come from the same version and key (``"v<version>.<key>"``), so an ``If-None-Match`` that names the current
  one is a 304 without reading the database or the kept answer. Views use that ETag too (``ConditionalMixin``).
- Kept: 200 answers in JSON, not streamed (CSV and GeoJSON exports stream: they are never kept), without cookies,
  up to ``MAX_BYTES``. Never kept nor served from here: anything authenticated (an editor sees drafts), errors, 304s.
- The anonymous throttle counts every request here, hits included, once (the view reuses the verdict); a throttled
  request goes on to the view, which refuses it.
- A miss is computed from the primary database, not a replica (``registry.routers``): a lagging replica would
  otherwise keep old rows under the new version.
- Compression sits outside this middleware: the body is kept uncompressed and compressed per request.
- With the cache down, requests go through uncached (``registry.throttling.cache_outage``).
"""

import hashlib
from urllib.parse import parse_qs, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import parse_http_date_safe
from rest_framework.settings import api_settings

from registry import data_version
from registry.api.renderers import EXPORT_FORMATS
from registry.api.views import etag_matches
from registry.errors import is_api_path
from registry.http import SAFE_METHODS, is_authenticated, link_header
from registry.throttling import CACHE_ERRORS, cache_outage

KEY_PREFIX = "registry:response:"
MAX_BYTES = 1024 * 1024
NOT_KEPT_HEADERS = {"content-length", "set-cookie"}
NOT_MODIFIED_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Vary")


def is_candidate(request) -> bool:
    """An anonymous read of the API that is not an export (those stream, and may read a replica)."""
    return (
        settings.RESPONSE_CACHE_SECONDS > 0
        and settings.DATA_VERSION_SHARED
        and request.method in SAFE_METHODS
        and is_api_path(request.path)
        and request.GET.get("format") not in EXPORT_FORMATS
        and not is_authenticated(request)
        and not cache_outage.ongoing()
    )


def request_key(request) -> str | None:
    """What the answer depends on, hashed (None for a host the site does not serve: the view refuses it)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    query = parse_qs(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    parts = (
        request.scheme,
        host,
        request.path,
        urlencode(sorted(query.items()), doseq=True),
        "".join(request.headers.get("Accept", "").split()),
        timezone.now().date().isoformat(),
    )
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def version_etag(version: int, key: str) -> str:
    return f'"v{version}.{key}"'


def throttle(request) -> bool:
    """Count the request against the API's default throttles (the view reuses each verdict: counted once)."""
    classes = api_settings.DEFAULT_THROTTLE_CLASSES
    return all(throttle_class().allow_request(request, None) for throttle_class in classes)


def look_up(request, key: str) -> tuple[int | None, tuple | None]:
    """The version and what is kept for the request (one cache round trip), or (None, None) with the cache down."""
    entry_key = f"{KEY_PREFIX}{request.method}:{key}"
    if cache_outage.ongoing():  # the throttle found the cache down just now
        return None, None
    try:
        data_version.catch_up()
        found = cache.get_many([data_version.KEY, entry_key])
        return data_version.current(found.get(data_version.KEY)), found.get(entry_key)
    except CACHE_ERRORS as error:
        cache_outage.begin(error)
        return None, None


def keep(request, key: str, version: int, response) -> None:
    headers = [(name, value) for name, value in response.items() if name.lower() not in NOT_KEPT_HEADERS]
    if link := link_header(response):  # made from the list's data (registry.http), which a kept answer has not
        headers.append(("Link", link))
    entry = (version, response.status_code, headers, response.content)
    try:
        cache.set(f"{KEY_PREFIX}{request.method}:{key}", entry, settings.RESPONSE_CACHE_SECONDS)
    except CACHE_ERRORS as error:
        cache_outage.begin(error)


def keepable(request, response) -> bool:
    control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").startswith("application/json")
        and "no-store" not in control
        and "private" not in control
        and len(response.content) <= MAX_BYTES
        and not is_authenticated(request)
    )


def not_modified(headers) -> HttpResponseNotModified:
    response = HttpResponseNotModified()
    for name in NOT_MODIFIED_HEADERS:
        if name in headers:
            response[name] = headers[name]
    return response


def served(entry: tuple, request) -> HttpResponse:
    """A fresh response from a kept answer (or a 304 when ``If-Modified-Since`` says the client has it)."""
    _, status, headers, content = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    modified = parse_http_date_safe(response.get("Last-Modified", ""))
    if "If-None-Match" not in request.headers and since is not None and modified is not None and modified <= since:
        return not_modified(response)
    return response


class ResponseCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_candidate(request) or not throttle(request):
            return self.get_response(request)
        key = request_key(request)
        version, entry = look_up(request, key) if key is not None else (None, None)
        if version is None:
            return self.get_response(request)
        etag = version_etag(version, key)
        if_none_match = request.headers.get("If-None-Match")
        kept = entry is not None and entry[0] == version
        if if_none_match is not None and etag_matches(etag, if_none_match):
            return not_modified({**(dict(entry[2]) if kept else {}), "ETag": etag})
        if kept:
            return served(entry, request)
        request.version_etag = etag  # for the view's ETag (ConditionalMixin)
        request.data_version = version  # for the vocabularies' code maps (registry.api.code_maps): no second read
        request.reads_primary = True  # not a replica (registry.routers)
        response = self.get_response(request)
        if keepable(request, response):
            keep(request, key, version, response)
        return response
