"""Throttles that fail open: when the cache holding their counters (Redis) is unreachable or hangs, requests go
through unthrottled and a warning is logged, instead of every anonymous request failing.

After a failure the cache is left alone for ``CACHE_RETRY_SECONDS`` (per worker process), so that a hanging Redis
costs one short socket timeout per worker and interval, not one per request.
"""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)

# What a cache call raises when its server is down, refuses or times out (OSError covers plain socket errors).
CACHE_ERRORS = (RedisError, OSError)


class CacheOutage:
    """When the cache last failed in this process, and until when it is left alone."""

    def __init__(self):
        self.until = 0.0

    def ongoing(self) -> bool:
        return time.monotonic() < self.until

    def begin(self, error: Exception) -> None:
        retry = settings.CACHE_RETRY_SECONDS
        self.until = time.monotonic() + retry
        logger.warning(
            "Cache unreachable (%s: %s): request throttling and the response cache are off in this process; "
            "retrying in %s s.",
            type(error).__name__,
            error,
            retry,
        )

    def reset(self) -> None:
        self.until = 0.0


cache_outage = CacheOutage()


class FailOpenThrottleMixin:
    """Allow the request when the throttle's counters cannot be read or written."""

    def allow_request(self, request, view):
        if cache_outage.ongoing():
            return True
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            cache_outage.begin(error)
            return True


@dataclass(frozen=True)
class RateLimit:
    """What the ``RateLimit-*`` headers tell a client: requests per window, left in it, seconds until it resets."""

    limit: int
    remaining: int
    reset: int


def count_in_window(key: str, duration: int) -> tuple[int, int]:
    """Count one more request against ``key`` in a fixed window of ``duration`` seconds: (requests in the window
    so far, seconds until the window ends). On Redis this is one round trip (SET NX with the expiry, INCR and TTL in one
    pipeline, atomic); other caches (local memory in development and tests) read and write the count."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        redis_key = backend.make_and_validate_key(key)
        pipeline = backend._cache.get_client(redis_key, write=True).pipeline(transaction=True)
        pipeline.set(redis_key, 0, ex=duration, nx=True)
        pipeline.incr(redis_key)
        pipeline.ttl(redis_key)
        _, count, ttl = pipeline.execute()
        return int(count), max(int(ttl), 0)
    now = time.time()
    started, count = cache.get(key) or (now, 0)
    if now - started >= duration:
        started, count = now, 0
    cache.set(key, (started, count + 1), duration)
    return count + 1, max(math.ceil(started + duration - now), 0)


class FixedWindowThrottleMixin:
    """Count requests per client in fixed windows of the rate's duration (one cache round trip per request), and
    leave what the ``RateLimit-*`` headers report on the request (registry.http)."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        count, reset = count_in_window(self.key, self.duration)
        self.reset = reset
        rate_limit = RateLimit(self.num_requests, max(self.num_requests - count, 0), reset)
        getattr(request, "_request", request).rate_limit = rate_limit
        return count <= self.num_requests

    def wait(self):
        return max(getattr(self, "reset", 1), 1)


class CountOnceThrottleMixin:
    """Count a request once though it is asked twice: the response cache (registry.response_cache) asks before it
    serves a kept answer, and the view, on a miss, gets the same verdict."""

    def allow_request(self, request, view):
        django_request = getattr(request, "_request", request)
        verdicts = django_request.__dict__.setdefault("throttle_verdicts", {})
        if type(self) in verdicts:
            allowed, self.reset = verdicts[type(self)]
            return allowed
        allowed = super().allow_request(request, view)
        verdicts[type(self)] = (allowed, getattr(self, "reset", 1))
        return allowed


class AnonRateThrottle(
    CountOnceThrottleMixin, FailOpenThrottleMixin, FixedWindowThrottleMixin, throttling.AnonRateThrottle
):
    """DRF's anonymous-client throttle (``ANON_THROTTLE_RATE``), failing open."""


class AdminLoginThrottle(FailOpenThrottleMixin, FixedWindowThrottleMixin, throttling.SimpleRateThrottle):
    """Login attempts per client address on the admin login form (``ADMIN_LOGIN_THROTTLE_RATE``), failing open."""

    scope = "admin_login"

    def get_rate(self):
        return settings.ADMIN_LOGIN_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
