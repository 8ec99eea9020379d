"""Where a request's time goes: pyinstrument over many in-process requests to one list, one detail, one
observation page and one statistics request, on the benchmark's synthetic data, with the production settings
(bench.settings).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpec_bench .venv/bin/python bench/profile.py [--requests 300]

Prints, per endpoint, the mean time per request and the functions that take the most of it (their own time,
summed over every call site, and the time under them), so the extra milliseconds over the baseline are named.
"""

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def endpoints(slug: str) -> dict[str, str]:
    from bench.run import OBSERVATION_FILTER, PROJECT_FILTER

    return {
        "project list (filtered, 50 rows)": f"/api/v1/projects/?{PROJECT_FILTER}",
        "project detail": f"/api/v1/projects/{slug}/",
        "observation list (50 rows)": f"/api/v1/observations/?{OBSERVATION_FILTER}",
        "stats/investment?group_by=corridor,status": "/api/v1/stats/investment/?group_by=corridor,status",
    }


def frames(session):
    """Every frame of a pyinstrument session's call tree, with the layer it counts in: its own file's, or for a
    frame of Python itself (``deepcopy``, ``getattr``, a builtin) the layer of the code that called it."""
    stack = [(session.root_frame(), OTHER)]
    while stack:
        frame, inherited = stack.pop()
        if frame is None:
            continue
        layer = layer_of(frame.file_path or "") or inherited
        yield frame, layer
        stack.extend((child, layer) for child in frame.children)


# Frames grouped by the layer they belong to, by file path: where a request's time goes, in the reader's words.
LAYERS = [
    ("database driver and SQL compilation", ("django/db/", "psycopg/")),
    (
        "DRF serializers and fields",
        ("rest_framework/serializers.py", "rest_framework/fields.py", "rest_framework/relations.py"),
    ),
    ("django-filter (query parameters)", ("django_filters/",)),
    ("forms and validation (filter forms)", ("django/forms/",)),
    ("JSON rendering (orjson and the renderer)", ("registry/api/renderers.py", "orjson")),
    (
        "throttling and cache (Redis)",
        ("registry/throttling.py", "rest_framework/throttling.py", "django/core/cache/", "redis/"),
    ),
    (
        "middleware and request handling",
        (
            "django/core/handlers/",
            "django/middleware/",
            "corsheaders/",
            "whitenoise/",
            "registry/middleware.py",
            "registry/chunked.py",
        ),
    ),
    (
        "content negotiation and DRF view dispatch",
        (
            "rest_framework/negotiation.py",
            "rest_framework/views.py",
            "rest_framework/request.py",
            "rest_framework/generics.py",
            "rest_framework/mixins.py",
        ),
    ),
    ("conditional requests (ETag)", ("registry/api/views.py",)),
    ("the registry's own views and serializers", ("projects/", "indicators/", "registry/")),
    ("test client", ("django/test/",)),
]


OTHER = "other (Django's URL routing, Python)"


def layer_of(path: str) -> str | None:
    for name, parts in LAYERS:
        if any(part in path for part in parts):
            return name
    return None


def profile(client, url: str, requests: int):
    from pyinstrument import Profiler

    for _ in range(20):  # warm up: connections, caches, first-request imports
        assert client.get(url).status_code == 200, url
    profiler = Profiler(interval=0.001)
    profiler.start()
    for _ in range(requests):
        client.get(url)
    return profiler.stop()


def report(name: str, session, requests: int, top: int) -> None:
    per_request_ms = session.duration * 1000 / requests
    own = defaultdict(float)
    layers = defaultdict(float)
    for frame, layer in frames(session):
        if frame.identifier.startswith("["):
            continue
        own[(frame.function, frame.file_path_short, frame.line_no)] += frame.total_self_time
        layers[layer] += frame.total_self_time
    total = sum(layers.values()) or 1
    print(f"\n## {name}: {per_request_ms:.2f} ms per request (in-process, {requests} requests)\n")
    print("| layer | share of the request's time |\n|---|---:|")
    for layer, seconds in sorted(layers.items(), key=lambda item: -item[1]):
        print(f"| {layer} | {seconds / total:.0%} |")
    print("\n| function (own time) | file | ms per request |\n|---|---|---:|")
    for (function, path, line), seconds in sorted(own.items(), key=lambda item: -item[1])[:top]:
        print(f"| `{function}` | `{path}:{line}` | {seconds * 1000 / requests:.3f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench.run import configure_environment

    configure_environment()
    import django

    django.setup()
    from django.test import Client

    from bench.run import detail_slugs

    client = Client()
    slug = detail_slugs(1)[0]
    for name, url in endpoints(slug).items():
        session = profile(client, url, args.requests)
        report(name, session, args.requests, args.top)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.exit(main())
