#!/usr/bin/env python
"""Benchmark the registry API at scale against minimal baselines, in one run (bench/README.md).

Seeds synthetic data (``manage.py seed_synthetic``) into the PostgreSQL database named by ``DATABASE_URL`` unless
it already holds exactly the requested amount, then calls each endpoint through the full Django stack in-process
(the WSGI application, every middleware, no HTTP socket) alternately with its baseline (bench/baseline.py), and
prints latency, throughput, queries per request and the CSV export's peak memory, with each target of issue 6.

    createdb -h 127.0.0.1 -U postgres cpec_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpec_bench .venv/bin/python bench/run.py
    DATABASE_URL=... .venv/bin/python bench/run.py --projects 2000 --observations 20000 --quick   # CI

Exit status: 0 when the hard targets hold (queries per detail <= 9, a constant number of queries per project list,
no COUNT on observations, CSV peak memory growth < 100 MB); 1 when one is broken; with ``--strict`` the ratio targets
count as well. 2 for a setup error (no PostgreSQL, real data in the database, a baseline that disagrees with the API).
"""

import argparse
import datetime
import io
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
# The project, then each related list once: pillars, provinces, participants, status history, figures, identifiers,
# events, sources.
DETAIL_MAX_QUERIES = 9
CSV_MAX_GROWTH_MB = 100
LIST_MIN_RATIO = 0.6
STATS_MAX_SLOWDOWN = 3
OBSERVATION_MAX_P99_FACTOR = 2
EXPORT_MAX_SLOWDOWN = 1.2  # an export's wall time at most 1.2x its baseline's (issue 16)

PROJECT_FILTER = "corridor=green&status=implementation,operational&ordering=-announced_usd"
SPARSE_FIELDS = ["slug", "name", "status"]
AS_OF_MIN_RATIO = 1 / 1.5  # the as-of list at most 1.5x the plain list's time
OBSERVATION_FILTER = "indicator=synthetic-skilled-employment&scope=project&kind=actual"
# Reported, not a target: the list pages in period_start order, so a bound on period_end cannot narrow the index scan.
OBSERVATION_PERIOD_FILTER = "indicator=synthetic-skilled-employment&scope=project&period_after=2018-01-01"


def configure_environment() -> None:
    """The production settings, without throttling or TLS, plus the baseline URLs (bench.settings)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DEBUG"] = "0"
    os.environ["THROTTLING_ENABLED"] = "0"
    # The comparisons with the baselines measure the work of a request; the response cache's hits are measured apart
    # (bench/response_cache.py), with the cache switched on for them.
    os.environ["RESPONSE_CACHE_SECONDS"] = "0"
    os.environ.setdefault("SINGLE_PROCESS", "1")  # requests are made in this one process
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no log line per request inside the timings
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


# --- calling the WSGI application -----------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes
    size: int


def call(app, url: str, *, keep_body: bool = True, headers: dict | None = None) -> Reply:
    """One GET through the WSGI application, as gunicorn would make it; streamed bodies are read to the end."""
    path, _, query = url.partition("?")
    environ = {
        **(headers or {}),
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"] = int(status[:3])
        started["headers"] = dict(headers)

    result = app(environ, start_response)
    chunks, size = [], 0
    try:
        for chunk in result:
            size += len(chunk)
            if keep_body:
                chunks.append(chunk)
    finally:
        if hasattr(result, "close"):
            result.close()
    return Reply(started["status"], started["headers"], b"".join(chunks), size)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- the endpoints --------------------------------------------------------------------------------------------


def same_page(api: bytes, baseline: bytes) -> str | None:
    api_data, baseline_data = json.loads(api), json.loads(baseline)
    if api_data["results"] != baseline_data["results"]:
        return "the rows differ"
    if "count" in baseline_data and api_data.get("count") != baseline_data["count"]:
        return f"count {api_data.get('count')} != {baseline_data['count']}"
    return None


def same_document(api: bytes, baseline: bytes) -> str | None:
    return None if json.loads(api) == json.loads(baseline) else "the documents differ"


def same_rows_in(fields: list[str]):
    """The API page, with only ``fields``, against the full page (the baseline here): the same rows, cut down."""

    def compare(api: bytes, baseline: bytes) -> str | None:
        api_data, full = json.loads(api), json.loads(baseline)
        cut = [{name: row[name] for name in fields} for row in full["results"]]
        if api_data["results"] != cut or api_data["count"] != full["count"]:
            return "the rows differ"
        return None

    return compare


def same_subject(api: bytes, baseline: bytes) -> str | None:
    """The naive view's document has DRF's default shapes: only the project must be the same."""
    api_slug, baseline_slug = json.loads(api)["slug"], json.loads(baseline)["slug"]
    return None if api_slug == baseline_slug else f"{api_slug} != {baseline_slug}"


def same_bytes(api: bytes, baseline: bytes) -> str | None:
    if api == baseline:
        return None
    api_lines, baseline_lines = api.splitlines(), baseline.splitlines()
    for number, (mine, theirs) in enumerate(zip(api_lines, baseline_lines, strict=False), start=1):
        if mine != theirs:
            return f"line {number} differs: {mine[:200]!r} != {theirs[:200]!r}"
    return f"{len(api_lines)} lines != {len(baseline_lines)} lines"


@dataclass
class Endpoint:
    name: str
    api: list[str]
    baseline: list[str]
    compare: Callable[[bytes, bytes], str | None]
    runs: int | None = None  # a fixed number of runs instead of a time budget (the whole-table export)
    # Which issue-16 target applies (bench/http_compare.py): list, stats, export, as_of, fields, naive, or none.
    kind: str = "list"
    results: dict = field(default_factory=dict)


def deep_page(published: int) -> int:
    """The deep page of the issue (page 500 of 50 rows), or the last full page of a smaller data set."""
    return max(1, min(500, published // 50))


def endpoints(detail_slugs: list[str], csv_runs: int, deep: int = 2) -> list[Endpoint]:
    return [
        Endpoint(
            "project list (filtered, 50 rows)",
            [f"/api/v1/projects/?{PROJECT_FILTER}"],
            [f"/bench/projects/?{PROJECT_FILTER}"],
            same_page,
        ),
        # The two below are measured against the plain API list: as of today (keeping the projects with no status
        # yet), the as-of list returns exactly the list; with fields=, the same rows cut down.
        Endpoint(
            "project list as_of=today (against the plain list)",
            [f"/api/v1/projects/?{PROJECT_FILTER}&as_of={datetime.date.today()}&include_future=true"],
            [f"/api/v1/projects/?{PROJECT_FILTER}"],
            same_page,
            kind="as_of",
        ),
        Endpoint(
            "project list fields=slug,name,status (against the full list)",
            [f"/api/v1/projects/?{PROJECT_FILTER}&fields={','.join(SPARSE_FIELDS)}"],
            [f"/api/v1/projects/?{PROJECT_FILTER}"],
            same_rows_in(SPARSE_FIELDS),
            kind="fields",
        ),
        Endpoint(
            "project list, unfiltered (50 rows)",
            ["/api/v1/projects/"],
            ["/bench/projects/"],
            same_page,
        ),
        Endpoint(
            f"project list, deep page (page={deep})",
            [f"/api/v1/projects/?page={deep}"],
            [f"/bench/projects/?page={deep}"],
            same_page,
        ),
        Endpoint(
            "project detail",
            [f"/api/v1/projects/{slug}/" for slug in detail_slugs],
            [f"/bench/projects/{slug}/" for slug in detail_slugs],
            same_document,
        ),
        Endpoint(
            "project detail (against a naive ModelSerializer view)",
            [f"/api/v1/projects/{slug}/" for slug in detail_slugs],
            [f"/bench/naive/projects/{slug}/" for slug in detail_slugs],
            same_subject,
            kind="naive",
        ),
        Endpoint(
            "stats/investment?group_by=corridor",
            ["/api/v1/stats/investment/?group_by=corridor"],
            ["/bench/stats/?group_by=corridor"],
            same_document,
            kind="stats",
        ),
        Endpoint(
            "stats/investment?group_by=corridor,status",
            ["/api/v1/stats/investment/?group_by=corridor,status"],
            ["/bench/stats/"],
            same_document,
            kind="stats",
        ),
        Endpoint(
            "observation list (filtered, 50 rows)",
            [f"/api/v1/observations/?{OBSERVATION_FILTER}"],
            [f"/bench/observations/?{OBSERVATION_FILTER}"],
            same_page,
        ),
        Endpoint(
            "observation list (period_after, 50 rows)",
            [f"/api/v1/observations/?{OBSERVATION_PERIOD_FILTER}"],
            [f"/bench/observations/?{OBSERVATION_PERIOD_FILTER}"],
            same_page,
            kind="none",
        ),
        Endpoint(
            "GeoJSON export of all projects",
            ["/api/v1/projects/?format=geojson"],
            ["/bench/projects.geojson"],
            same_bytes,
            runs=csv_runs,
            kind="export",
        ),
        Endpoint(
            "CSV export of all projects",
            ["/api/v1/projects/?format=csv"],
            ["/bench/projects.csv"],
            same_bytes,
            runs=csv_runs,
            kind="export",
        ),
    ]


def load_paths(slugs: list[str]) -> list[str]:
    """The load run's mix: per detail, one filtered project list and one observation list; stats every fifth."""
    paths = []
    for number, slug in enumerate(slugs):
        paths += [
            f"/api/v1/projects/?{PROJECT_FILTER}",
            f"/api/v1/projects/{slug}/",
            f"/api/v1/observations/?{OBSERVATION_FILTER}",
        ]
        if number % 5 == 0:
            paths.append("/api/v1/stats/investment/?group_by=corridor,status")
    return paths


# --- measuring ------------------------------------------------------------------------------------------------


def count_queries(app, url: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        reply = call(app, url, keep_body=False)
    if reply.status != 200:
        raise SystemExit(f"{url} answered {reply.status}")
    return [query["sql"] for query in captured.captured_queries]


def timed_calls(app, urls: list[str], *, seconds: float, runs: int | None, offset: int) -> list[float]:
    latencies = []
    started = time.perf_counter()
    index = offset
    while True:
        url = urls[index % len(urls)]
        index += 1
        before = time.perf_counter()
        reply = call(app, url, keep_body=False)
        latencies.append(time.perf_counter() - before)
        if reply.status != 200:
            raise SystemExit(f"{url} answered {reply.status}")
        if runs is not None:
            if len(latencies) >= runs:
                return latencies
        elif time.perf_counter() - started >= seconds and len(latencies) >= 2:
            return latencies


def summarise(latencies: list[float]) -> dict:
    return {
        "requests": len(latencies),
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "per_second": len(latencies) / sum(latencies),
    }


def benchmark(app, endpoint: Endpoint, *, seconds: float, rounds: int) -> None:
    """Warm up, check the baseline returns what the API returns, count queries, then time both alternately."""
    for url in endpoint.api[:3] + endpoint.baseline[:3]:
        call(app, url, keep_body=False)
    for api_url, baseline_url in list(zip(endpoint.api, endpoint.baseline, strict=True))[:3]:
        api_reply, baseline_reply = call(app, api_url), call(app, baseline_url)
        if api_reply.status != 200 or baseline_reply.status != 200:
            raise SystemExit(f"{api_url}: {api_reply.status}, {baseline_url}: {baseline_reply.status}")
        mismatch = endpoint.compare(api_reply.body, baseline_reply.body)
        if mismatch:
            print(f"SETUP ERROR: the baseline of {endpoint.name} does not return what the API returns: {mismatch}")
            sys.exit(2)
    endpoint.results["api_queries"] = count_queries(app, endpoint.api[0])
    endpoint.results["baseline_queries"] = count_queries(app, endpoint.baseline[0])
    api, baseline = [], []
    runs = None if endpoint.runs is None else max(1, endpoint.runs // rounds)
    for number in range(rounds if endpoint.runs is None else min(rounds, endpoint.runs)):
        api += timed_calls(app, endpoint.api, seconds=seconds / rounds, runs=runs, offset=number * 7)
        baseline += timed_calls(app, endpoint.baseline, seconds=seconds / rounds, runs=runs, offset=number * 7)
    endpoint.results["api"] = summarise(api)
    endpoint.results["baseline"] = summarise(baseline)


def measure_response_cache(app, slug: str, *, seconds: float, rounds: int) -> dict:
    """Off, miss, hit and 304 of the project list and a detail (bench/response_cache.py)."""
    from bench import response_cache

    print("... response cache", flush=True)
    urls = {"project list, 50 rows": "/api/v1/projects/", "project detail": f"/api/v1/projects/{slug}/"}
    measured = {}
    for name, url in urls.items():
        latencies = response_cache.measure(
            lambda url, headers: call(app, url, keep_body=False, headers=headers), url, seconds=seconds, rounds=rounds
        )
        measured[name] = {variant: summarise(values) for variant, values in latencies.items()}
    return {"backend": response_cache.backend(), "endpoints": measured}


def read_status(field_name: str) -> int:
    """A line of /proc/self/status in kB (VmRSS: resident now; VmHWM: the peak since start or the last reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field_name} not in /proc/self/status")


def probe_memory(url: str) -> None:
    """In a fresh process: RSS when idle (after a warm-up request), then the peak while streaming ``url``."""
    import django
    from django.core.wsgi import get_wsgi_application

    django.setup()
    app = get_wsgi_application()
    for warm_up in ("/api/v1/projects/?page_size=1", "/bench/projects/?page_size=1", "/api/v1/"):
        call(app, warm_up, keep_body=False)
    idle = read_status("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    reply = call(app, url, keep_body=False)
    peak = read_status("VmHWM")
    print(json.dumps({"status": reply.status, "bytes": reply.size, "idle_kb": idle, "peak_kb": peak, "reset": reset}))


def measure_memory(url: str) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--probe-memory", url],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise SystemExit(f"memory probe of {url} failed:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["growth_mb"] = (result["peak_kb"] - result["idle_kb"]) / 1024
    return result


# --- data -----------------------------------------------------------------------------------------------------


def ensure_data(projects: int, observations: int, reseed: bool) -> None:
    from django.core.management import call_command

    from bench import synthetic
    from indicators.models import Observation

    call_command("migrate", interactive=False, verbosity=0)
    have_projects = synthetic.synthetic_projects().count()
    have_observations = Observation.objects.filter(indicator__code__startswith=synthetic.PREFIX).count()
    if not reseed and (have_projects, have_observations) == (projects, observations):
        print(f"Reusing the synthetic data in the database: {projects} projects, {observations} observations.")
        return
    print(f"Seeding {projects} projects and {observations} observations (manage.py seed_synthetic)...")
    started = time.monotonic()
    call_command("seed_synthetic", projects=projects, observations=observations)
    print(f"Seeded in {time.monotonic() - started:.0f} s.")


def published_count() -> int:
    from bench import synthetic
    from projects import choices

    return synthetic.synthetic_projects().filter(publication=choices.Publication.PUBLISHED).count()


def detail_slugs(count: int) -> list[str]:
    from bench import synthetic
    from projects import choices

    slugs = list(
        synthetic.synthetic_projects()
        .filter(publication=choices.Publication.PUBLISHED)
        .order_by("slug")
        .values_list("slug", flat=True)
    )
    return random.Random(6).sample(slugs, k=min(count, len(slugs)))


# --- report ---------------------------------------------------------------------------------------------------


@dataclass
class Target:
    description: str
    measured: str
    holds: bool
    hard: bool


def evaluate(by_name: dict[str, Endpoint], memory: dict, list_small_queries: int) -> list[Target]:
    project_list = by_name["project list (filtered, 50 rows)"].results
    detail = by_name["project detail"].results
    stats = by_name["stats/investment?group_by=corridor,status"].results
    observations = by_name["observation list (filtered, 50 rows)"].results
    list_ratio = project_list["api"]["per_second"] / project_list["baseline"]["per_second"]
    stats_slowdown = stats["api"]["p50_ms"] / stats["baseline"]["p50_ms"]
    counts = [sql for sql in observations["api_queries"] if "COUNT(" in sql.upper()]
    p99_factor = observations["api"]["p99_ms"] / project_list["api"]["p99_ms"]
    geojson = by_name["GeoJSON export of all projects"].results
    geojson_slowdown = geojson["api"]["p50_ms"] / geojson["baseline"]["p50_ms"]
    as_of = by_name["project list as_of=today (against the plain list)"].results
    sparse = by_name["project list fields=slug,name,status (against the full list)"].results
    as_of_ratio = as_of["api"]["per_second"] / as_of["baseline"]["per_second"]
    sparse_ratio = sparse["api"]["per_second"] / sparse["baseline"]["per_second"]
    return [
        Target(
            "as_of list: at most 1.5x the plain list's time (throughput >= 0.67x)",
            f"{as_of_ratio:.2f}x, {len(as_of['api_queries'])} queries",
            as_of_ratio >= AS_OF_MIN_RATIO,
            hard=False,
        ),
        Target(
            "fields=slug,name,status: faster than the full list, with fewer queries",
            f"{sparse_ratio:.2f}x, {len(sparse['api_queries'])} vs {len(sparse['baseline_queries'])} queries",
            sparse_ratio > 1 and len(sparse["api_queries"]) < len(sparse["baseline_queries"]),
            hard=False,
        ),
        Target(
            f"project list: throughput >= {LIST_MIN_RATIO}x baseline",
            f"{list_ratio:.2f}x",
            list_ratio >= LIST_MIN_RATIO,
            hard=False,
        ),
        Target(
            "project list: queries per request constant (50 rows vs 1 row)",
            f"{len(project_list['api_queries'])} vs {list_small_queries}",
            len(project_list["api_queries"]) == list_small_queries,
            hard=True,
        ),
        Target(
            f"project detail: at most {DETAIL_MAX_QUERIES} queries",
            str(len(detail["api_queries"])),
            len(detail["api_queries"]) <= DETAIL_MAX_QUERIES,
            hard=True,
        ),
        Target(
            f"stats: p50 under {STATS_MAX_SLOWDOWN}x the SQL GROUP BY",
            f"{stats_slowdown:.2f}x",
            stats_slowdown < STATS_MAX_SLOWDOWN,
            hard=False,
        ),
        Target(
            f"CSV export: peak memory growth < {CSV_MAX_GROWTH_MB} MB",
            f"{memory['api']['growth_mb']:.1f} MB",
            memory["api"]["growth_mb"] < CSV_MAX_GROWTH_MB,
            hard=True,
        ),
        Target(
            f"GeoJSON export: wall time at most {EXPORT_MAX_SLOWDOWN}x the baseline's",
            f"{geojson_slowdown:.2f}x",
            geojson_slowdown <= EXPORT_MAX_SLOWDOWN,
            hard=False,
        ),
        Target("observation list: no COUNT query", f"{len(counts)} COUNT queries", not counts, hard=True),
        Target(
            f"observation list: p99 within {OBSERVATION_MAX_P99_FACTOR}x the project list's",
            f"{p99_factor:.2f}x",
            p99_factor <= OBSERVATION_MAX_P99_FACTOR,
            hard=False,
        ),
    ]


def machine() -> str:
    cores = os.cpu_count()
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return f"{cores} cores, {memory_kb / MB:.0f} GiB RAM, {platform.machine()}, Python {platform.python_version()}"


def report(
    endpoints_run: list[Endpoint], memory: dict, targets: list[Target], args, server: str, cache: dict | None = None
) -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        f"Benchmark of {datetime.date.today().isoformat()} on {machine()}, {server}; load average at the end {load}",
        f"Data: {args.projects} synthetic projects, {args.observations} observations. "
        f"{args.seconds:g} s per side per endpoint, {args.rounds} alternating rounds; one client, in-process WSGI.",
        "",
        "| endpoint | p50 ms | p99 ms | req/s | baseline p50 ms | baseline req/s | ratio | queries (baseline) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for endpoint in endpoints_run:
        api, baseline = endpoint.results["api"], endpoint.results["baseline"]
        lines.append(
            f"| {endpoint.name} | {api['p50_ms']:.1f} | {api['p99_ms']:.1f} | {api['per_second']:.1f} | "
            f"{baseline['p50_ms']:.1f} | {baseline['per_second']:.1f} | "
            f"{api['per_second'] / baseline['per_second']:.2f} | "
            f"{len(endpoint.results['api_queries'])} ({len(endpoint.results['baseline_queries'])}) |"
        )
    if cache:
        lines += [
            "",
            f"Response cache ({cache['backend']}): req/s of the same request with the cache off, as a miss, as a hit, "
            "and as a 304 from the data version; hit ÷ miss and 304 ÷ miss in the same run.",
            "",
            "| endpoint | off req/s | miss req/s | hit req/s | 304 req/s | hit p99 ms | hit ÷ miss | 304 ÷ miss "
            "| miss ÷ off |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, measured in cache["endpoints"].items():
            rate = {variant: measured[variant]["per_second"] for variant in measured}
            lines.append(
                f"| {name} | {rate['off']:.0f} | {rate['miss']:.0f} | {rate['hit']:.0f} | {rate['304']:.0f} | "
                f"{measured['hit']['p99_ms']:.2f} | {rate['hit'] / rate['miss']:.1f} | "
                f"{rate['304'] / rate['miss']:.1f} | {rate['miss'] / rate['off']:.2f} |"
            )
    lines += [
        "",
        "ratio = API req/s / baseline req/s (1.00 = as fast as the baseline).",
        f"CSV export peak memory growth over an idle worker: API {memory['api']['growth_mb']:.1f} MB "
        f"({memory['api']['bytes'] / MB:.1f} MB of CSV), baseline {memory['baseline']['growth_mb']:.1f} MB.",
        "",
        "| target (issue 6) | measured | |",
        "|---|---:|---|",
    ]
    for target in targets:
        verdict = "ok" if target.holds else ("FAILED" if target.hard or args.strict else "missed")
        lines.append(f"| {target.description} | {target.measured} | {verdict} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--observations", type=int, default=2_000_000)
    parser.add_argument("--quick", action="store_true", help="Short timings (CI): 0.5 s per side, one CSV run.")
    parser.add_argument("--seconds", type=float, help="Time per side per endpoint (default 6, --quick 0.5).")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating API/baseline rounds (default 3).")
    parser.add_argument("--csv-runs", type=int, help="CSV exports per side (default 3, --quick 1).")
    parser.add_argument("--reseed", action="store_true", help="Seed again even if the data is already there.")
    parser.add_argument("--strict", action="store_true", help="Fail (exit 1) on the ratio targets too.")
    parser.add_argument("--json", type=Path, help="Also write the measurements to this file.")
    parser.add_argument(
        "--write-load-paths",
        type=Path,
        metavar="FILE",
        help="Seed if needed, write the request paths of the load run (bench/load.sh) to FILE and exit.",
    )
    parser.add_argument("--probe-memory", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure_environment()
    if args.probe_memory:
        probe_memory(args.probe_memory)
        return 0
    args.seconds = args.seconds or (0.5 if args.quick else 6.0)
    args.csv_runs = args.csv_runs or (1 if args.quick else 3)

    import django

    django.setup()
    from django.core.management.base import CommandError
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    if connection.vendor != "postgresql":
        print("The benchmark needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/cpec_bench).")
        return 2
    if connection.settings_dict["NAME"] == "cpec_registry":
        print("Refusing to benchmark the cpec_registry database: use a scratch database such as cpec_bench.")
        return 2
    try:
        ensure_data(args.projects, args.observations, args.reseed)
    except CommandError as error:
        print(f"SETUP ERROR: {error}")
        return 2
    if args.write_load_paths:
        args.write_load_paths.write_text("\n".join(load_paths(detail_slugs(50))) + "\n")
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    app = get_wsgi_application()
    run = endpoints(detail_slugs(50), args.csv_runs, deep_page(published_count()))
    for endpoint in run:
        print(f"... {endpoint.name}", flush=True)
        benchmark(app, endpoint, seconds=args.seconds, rounds=args.rounds)
    list_small_queries = len(count_queries(app, f"/api/v1/projects/?{PROJECT_FILTER}&page_size=1"))
    by_name = {endpoint.name: endpoint for endpoint in run}
    csv_export = by_name["CSV export of all projects"]
    memory = {"api": measure_memory(csv_export.api[0]), "baseline": measure_memory(csv_export.baseline[0])}
    targets = evaluate(by_name, memory, list_small_queries)
    cache = measure_response_cache(app, detail_slugs(1)[0], seconds=args.seconds, rounds=args.rounds)
    print()
    print(report(run, memory, targets, args, server, cache))
    if args.json:
        payload = {
            "date": datetime.date.today().isoformat(),
            "machine": machine(),
            "server": server,
            "projects": args.projects,
            "observations": args.observations,
            "endpoints": {
                endpoint.name: {
                    "api": endpoint.results["api"],
                    "baseline": endpoint.results["baseline"],
                    "api_queries": endpoint.results["api_queries"],
                    "baseline_queries": endpoint.results["baseline_queries"],
                }
                for endpoint in run
            },
            "csv_memory": memory,
            "response_cache": cache,
            "targets": [target.__dict__ for target in targets],
        }
        args.json.write_text(json.dumps(payload, indent=2))
    broken = [target for target in targets if not target.holds and (target.hard or args.strict)]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
