"""Throttles that fail open: when the cache holding their counters (Redis) is unreachable or hangs, requests go
through unthrottled and a warning is logged, instead of every anonymous request failing.

After a failure the cache is left alone for ``CACHE_RETRY_SECONDS`` (per worker process), so that a hanging Redis
costs one short socket timeout per worker and interval, not one per request.
"""

import logging
import time

from django.conf import settings
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
            "Cache unreachable (%s: %s): request throttling is off in this process; retrying in %s s.",
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


class AnonRateThrottle(FailOpenThrottleMixin, throttling.AnonRateThrottle):
    """DRF's anonymous-client throttle (``ANON_THROTTLE_RATE``), failing open."""


class AdminLoginThrottle(FailOpenThrottleMixin, throttling.SimpleRateThrottle):
    """Login attempts per client address on the admin login form (``ADMIN_LOGIN_THROTTLE_RATE``), failing open."""

    scope = "admin_login"

    def get_rate(self):
        return settings.ADMIN_LOGIN_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
