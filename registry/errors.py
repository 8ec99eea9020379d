"""Errors raised outside the API's views (a bad Host header, a URL without its slash, an unhandled exception, a
database outage, a CSRF failure) answer in JSON on API paths, like every API error; elsewhere Django's pages stay.

With ``DEBUG`` on, Django's debug pages replace the 400, 404 and 500 answers below (they are for developers).
"""

import sys

from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views import csrf, defaults

# Exceptions that mean the database cannot be reached, rather than a bug in a query.
DATABASE_OUTAGES = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE = "The database is unavailable; try again in a moment."


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def json_error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def bad_request(request, exception):
    if not is_api_path(request.path):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        return json_error(400, "The Host header names a host this site does not serve.")
    return json_error(400, "Bad request.")


def permission_denied(request, exception):
    if not is_api_path(request.path):
        return defaults.permission_denied(request, exception)
    return json_error(403, "You do not have permission to perform this action.")


def not_found(request, exception):
    if not is_api_path(request.path):
        return defaults.page_not_found(request, exception)
    return json_error(404, "Not found.")


def server_error(request):
    # Django calls this while handling the exception, so the exception is still at hand.
    outage = isinstance(sys.exc_info()[1], DATABASE_OUTAGES)
    if is_api_path(request.path):
        if outage:
            return json_error(503, DATABASE_UNAVAILABLE)
        return json_error(500, "The registry failed to answer this request; the error has been logged.")
    if outage:
        return HttpResponse(DATABASE_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if not is_api_path(request.path):
        return csrf.csrf_failure(request, reason)
    return json_error(403, f"CSRF Failed: {reason}")
