"""Read replicas: read-only API requests read from a replica; writes, the admin and everything else use the primary.

Enabled by ``DATABASE_REPLICA_URLS``. ``ReplicaRoutingMiddleware`` marks the requests that may read from a replica;
outside such a request (management commands, the admin, any write) every query goes to ``default``.
"""

import random
from contextvars import ContextVar

from django.conf import settings

_read_from_replica: ContextVar[bool] = ContextVar("read_from_replica", default=False)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _read_from_replica.get() and settings.REPLICA_READS:
            aliases = replica_aliases()
            if aliases:
                return random.choice(aliases)
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaRoutingMiddleware:
    """Lets read-only API requests (GET/HEAD/OPTIONS under /api/) read from a replica, but for the misses of the
    response cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A read the response cache will keep reads the primary (registry.response_cache): a lagging replica's rows
        # would be kept under the version of a write they do not show.
        eligible = (
            request.method in SAFE_METHODS
            and request.path.startswith("/api/")
            and not getattr(request, "reads_primary", False)
        )
        token = _read_from_replica.set(eligible)
        try:
            return self.get_response(request)
        finally:
            _read_from_replica.reset(token)
