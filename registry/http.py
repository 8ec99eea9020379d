"""HTTP as browsers, caches and clients expect it, on every API answer (README: "HTTP caching and headers").

- ``Cache-Control``: anonymous reads may be kept by any cache for ``API_CACHE_MAX_AGE`` seconds; an authenticated
  caller's answers (which may hold drafts) and every error are never stored.
- ``Vary: Accept, Authorization``: one URL answers JSON, CSV or GeoJSON, to the public or to an editor.
- ``Link`` (RFC 8288) with ``next``/``prev`` on every paginated list, page-number and cursor alike.
- ``RateLimit-Limit``/``-Remaining``/``-Reset`` on every answer the anonymous throttle counted (registry.throttling).
"""

from django.conf import settings
from django.utils.cache import patch_vary_headers
from rest_framework.response import Response

from registry.errors import is_api_path

SAFE_METHODS = ("GET", "HEAD")
LINK_RELATIONS = (("next", "next"), ("previous", "prev"))


def is_authenticated(request) -> bool:
    user = getattr(request, "user", None)
    return bool(getattr(user, "is_authenticated", False) or request.META.get("HTTP_AUTHORIZATION"))


def cache_control(request, response) -> str | None:
    if request.method not in SAFE_METHODS:
        return None
    if is_authenticated(request):
        return "private, no-store"
    if response.status_code in (200, 304):
        return f"public, max-age={settings.API_CACHE_MAX_AGE}"
    return "no-store"


def link_header(response) -> str | None:
    """``<url>; rel="next", <url>; rel="prev"`` from a paginated list's ``next``/``previous`` links."""
    data = getattr(response, "data", None) if isinstance(response, Response) else None
    if not isinstance(data, dict):
        return None
    links = [f'<{data[key]}>; rel="{rel}"' for key, rel in LINK_RELATIONS if isinstance(data.get(key), str)]
    return ", ".join(links) or None


class ApiHttpHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_api_path(request.path):
            return response
        control = cache_control(request, response)
        if control and "Cache-Control" not in response:
            response["Cache-Control"] = control
        patch_vary_headers(response, ("Accept", "Authorization"))
        if response.status_code == 200 and (link := link_header(response)):
            response["Link"] = link
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            response["RateLimit-Limit"] = str(rate_limit.limit)
            response["RateLimit-Remaining"] = str(rate_limit.remaining)
            response["RateLimit-Reset"] = str(rate_limit.reset)
        return response
