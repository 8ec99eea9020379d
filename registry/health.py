"""Liveness and readiness: ``/healthz`` reports each dependency and answers 503 only when the database is down.

``{"status": "ok", "database": "ok", "cache": "ok"}``; the cache (Redis) only holds throttling counters, so with it
unreachable the registry still serves (``"cache": "unavailable"``, throttling off) and the answer stays 200.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from registry.throttling import CACHE_ERRORS

logger = logging.getLogger(__name__)

OK, UNAVAILABLE = "ok", "unavailable"


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Health check: database unreachable: %s", error)
        return UNAVAILABLE
    return OK


def cache_state() -> str:
    try:
        cache.get("healthz-probe")
    except CACHE_ERRORS as error:
        logger.warning("Health check: cache unreachable: %s", error)
        return UNAVAILABLE
    return OK


@never_cache
@require_safe
def healthz(request):
    database = database_state()
    status = OK if database == OK else UNAVAILABLE
    return JsonResponse(
        {"status": status, "database": database, "cache": cache_state()}, status=200 if status == OK else 503
    )
