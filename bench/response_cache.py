"""The shared response cache (registry.response_cache) measured in the benchmark's run (bench/README.md, "Response
cache"): the same request with the cache off, as a miss (the data version bumped before each call, outside the
timing), as a hit, and as a conditional GET answered 304 from the version alone; one client, in-process WSGI.

The benchmark's API-vs-baseline comparisons run with the cache off (``RESPONSE_CACHE_SECONDS=0``, bench/run.py):
they measure the work a miss does. Set ``REDIS_URL`` to measure through Redis, as in production; without it the
cache is the worker's local memory.
"""

import time
from collections.abc import Callable

VARIANTS = ("off", "miss", "hit", "304")
KEPT_SECONDS = 600


def timed(call: Callable, url: str, headers: dict, before: Callable | None, seconds: float) -> list[float]:
    latencies = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or len(latencies) < 2:
        if before is not None:
            before()
        moment = time.perf_counter()
        reply = call(url, headers)
        latencies.append(time.perf_counter() - moment)
        if reply.status not in (200, 304):
            raise SystemExit(f"{url} answered {reply.status}")
    return latencies


def measure(call: Callable, url: str, *, seconds: float, rounds: int) -> dict[str, list[float]]:
    """Latencies of each variant for ``url``; ``call(url, headers)`` makes one GET."""
    from django.conf import settings

    from registry import data_version

    kept = settings.RESPONSE_CACHE_SECONDS
    latencies = {variant: [] for variant in VARIANTS}
    try:
        for _ in range(rounds):
            settings.RESPONSE_CACHE_SECONDS = 0
            latencies["off"] += timed(call, url, {}, None, seconds / rounds)
            settings.RESPONSE_CACHE_SECONDS = KEPT_SECONDS
            latencies["miss"] += timed(call, url, {}, data_version.bump, seconds / rounds)
            etag = call(url, {}).headers["ETag"]  # kept now
            latencies["hit"] += timed(call, url, {}, None, seconds / rounds)
            latencies["304"] += timed(call, url, {"HTTP_IF_NONE_MATCH": etag}, None, seconds / rounds)
    finally:
        settings.RESPONSE_CACHE_SECONDS = kept
    return latencies


def backend() -> str:
    from django.conf import settings

    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
