#!/usr/bin/env python
"""Registry vs baseline over HTTP (issue 16): gunicorn + wrk, side by side, ratios with their targets.

Starts gunicorn with registry/gunicorn.conf.py (production settings, throttling off, the baselines of
bench/baseline.py mounted by bench.settings) on 127.0.0.1, against the PostgreSQL database of DATABASE_URL (seed
it first: manage.py seed_synthetic). For every endpoint pair of bench/run.py it runs wrk at 1 and 16 connections in
interleaved rounds and reports registry / baseline ratios of req/s, p99 and worker CPU per request (exports: wall
time per download), each with its target and PASS/MISS; then the project list at more workers (--workers 2,4) and
a load run (64 connections while an editor writes). See bench/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpec_bench .venv/bin/python bench/http_compare.py --quick
    DATABASE_URL=... .venv/bin/python bench/http_compare.py --workers 2,4 --markdown /tmp/http.md
    .venv/bin/python bench/http_compare.py --update-readme /tmp/http.md   # README's Performance table from it
"""

import argparse
import datetime
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run, soak  # noqa: E402

LOAD_LUA = ROOT / "bench" / "load.lua"
GUNICORN = Path(sys.executable).parent / "gunicorn"
README_START = "<!-- bench:http:start -->"
README_END = "<!-- bench:http:end -->"


# --- targets (issue 16) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    metric: str  # "rps" (at every connection count), "p99" (at every connection count) or "wall"
    op: str  # ">=", ">" or "<="
    bound: float
    text: str = ""

    def describe(self) -> str:
        if self.text:
            return self.text
        name = {"rps": "req/s", "p99": "p99", "wall": "wall time"}[self.metric]
        sign = {">=": "≥", ">": ">", "<=": "≤"}[self.op]
        return f"{name} {sign}{self.bound:g}×"

    def holds(self, ratio: float) -> bool:
        return {">=": ratio >= self.bound, ">": ratio > self.bound, "<=": ratio <= self.bound}[self.op]


# By run.Endpoint.kind. "as_of" and "fields" compare two registry requests (the plain list on the other side),
# "naive" the detail against a naive ModelSerializer view.
TARGETS = {
    "list": (Goal("rps", ">=", 0.8), Goal("p99", "<=", 1.5)),
    "stats": (Goal("rps", ">=", 0.9), Goal("p99", "<=", 1.5)),
    "export": (Goal("wall", "<=", 1.2),),
    "as_of": (Goal("rps", ">=", 0.67, "time ≤1.5× the plain list (req/s ≥0.67×)"),),
    "fields": (Goal("rps", ">", 1.0, "faster than the full list (req/s >1×)"),),
    "naive": (Goal("rps", ">", 1.0, "faster than the naive view (req/s >1×)"),),
    "none": (),
}


def verdict(kind: str, ratios: dict) -> tuple[str, str]:
    """(target text, "PASS" / "MISS (what)" / "–") for an endpoint's ratios: ``rps`` and ``p99`` map connection
    counts to ratios, ``wall`` is one ratio."""
    goals = TARGETS[kind]
    if not goals:
        return "reported only", "–"
    missed = []
    for goal in goals:
        values = ratios.get(goal.metric)
        if values is None:
            continue
        per_count = values.items() if isinstance(values, dict) else [(None, values)]
        for connections, value in per_count:
            where = f" at {connections} conn" if connections is not None else ""
            if value is None:
                missed.append(f"{goal.metric}{where}: no data")
            elif not goal.holds(value):
                missed.append(f"{goal.metric} {value:.2f}×{where}")
    text = "; ".join(goal.describe() for goal in goals)
    return text, ("PASS" if not missed else f"MISS ({', '.join(missed)})")


# --- wrk and /proc --------------------------------------------------------------------------------------------


def parse_wrk(output: str) -> dict:
    """The ``LOAD key=value ...`` line that bench/load.lua prints at the end of a wrk run, as numbers."""
    for line in output.splitlines():
        if line.startswith("LOAD "):
            return {key: float(value) for key, value in re.findall(r"(\w+)=([-0-9.]+)", line)}
    raise ValueError("wrk printed no LOAD line (is bench/load.lua the script?):\n" + output[-2000:])


def cpu_ticks(stat: str) -> int:
    """utime + stime (clock ticks) from the text of /proc/<pid>/stat; the command name may hold spaces."""
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted from the state (3)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


# --- the server -----------------------------------------------------------------------------------------------


class Server:
    """gunicorn with registry/gunicorn.conf.py on 127.0.0.1:port; workers never recycled during a run."""

    def __init__(self, port: int, workers: int, log: Path):
        self.port, self.workers, self.log = port, workers, log
        self.process = None

    def start(self) -> None:
        # A recycled worker would take its CPU time with it. Several workers are several processes: the data version
        # (and what trusts it) needs REDIS_URL, as in production, not one process's memory.
        env = {**os.environ, "GUNICORN_MAX_REQUESTS": "0", "SINGLE_PROCESS": "0"}
        command = [str(GUNICORN), "--config", "registry/gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(self.workers), "--access-logfile", "/dev/null", "--error-logfile", str(self.log)]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        for _ in range(120):
            try:
                if get(self.port, "/healthz")[0] == 200 and len(children(self.process.pid)) == self.workers:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"gunicorn did not start on port {self.port}:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def cpu(self) -> tuple[tuple[int, ...], float]:
        """The workers' pids and their CPU seconds so far."""
        pids = tuple(children(self.process.pid))
        ticks = sum(cpu_ticks(Path(f"/proc/{pid}/stat").read_text()) for pid in pids)
        return pids, ticks / os.sysconf("SC_CLK_TCK")


def get(port: int, path: str, timeout: float = 600) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def with_cpu(server: Server, measure) -> dict:
    pids, before = server.cpu()
    result = measure()
    pids_after, after = server.cpu()
    result["cpu_s"] = after - before if pids == pids_after else None  # a worker restarted: CPU unknown
    return result


def wrk(server: Server, paths: list[str], connections: int, seconds: int, workdir: Path) -> dict:
    paths_file = workdir / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    command = ["wrk", "--latency", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "60s", "-s", str(LOAD_LUA), f"http://127.0.0.1:{server.port}", "--", str(paths_file)]

    def measure():
        completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 180, check=False)
        return parse_wrk(completed.stdout)

    return with_cpu(server, measure)


def downloads(server: Server, paths: list[str], runs: int) -> dict:
    """Whole exports, one at a time, read to the end: wall time per download."""

    def measure():
        times, failures = [], 0
        for number in range(runs):
            started = time.perf_counter()
            status, _ = get(server.port, paths[number % len(paths)])
            times.append(time.perf_counter() - started)
            failures += status != 200
        return {
            "requests": runs,
            "seconds": sum(times),
            "rps": runs / sum(times),
            "mean_ms": statistics.mean(times) * 1000,
            "p99_ms": max(times) * 1000,
            "non2xx": failures,
        }

    return with_cpu(server, measure)


# --- the comparison -------------------------------------------------------------------------------------------


def check_pair(server: Server, endpoint: run.Endpoint) -> None:
    """Warm both sides and stop unless the baseline returns what the registry returns (as bench/run.py checks)."""
    for path in endpoint.api[:3] + endpoint.baseline[:3]:
        get(server.port, path)
    (api_status, api_body), (baseline_status, baseline_body) = (
        get(server.port, endpoint.api[0]),
        get(server.port, endpoint.baseline[0]),
    )
    if (api_status, baseline_status) != (200, 200):
        raise SystemExit(f"{endpoint.api[0]}: {api_status}, {endpoint.baseline[0]}: {baseline_status}")
    mismatch = endpoint.compare(api_body, baseline_body)
    if mismatch:
        raise SystemExit(f"SETUP ERROR: the baseline of {endpoint.name} differs over HTTP: {mismatch}")


def compare(server: Server, pairs: list[run.Endpoint], args, workdir: Path) -> None:
    """N interleaved rounds; the side that goes first alternates. Results in each endpoint's ``results``."""
    for endpoint in pairs:
        check_pair(server, endpoint)
        endpoint.results = {"api": {}, "baseline": {}}
    for number in range(args.rounds):
        sides = ("api", "baseline") if number % 2 == 0 else ("baseline", "api")
        for endpoint in pairs:
            print(f"... round {number + 1}/{args.rounds}: {endpoint.name}", flush=True)
            counts = ["wall"] if endpoint.runs is not None else args.connections
            for connections in counts:
                for side in sides:
                    paths = getattr(endpoint, side)
                    if connections == "wall":
                        result = downloads(server, paths, args.export_runs)
                    else:
                        result = wrk(server, paths, connections, args.seconds, workdir)
                    endpoint.results[side].setdefault(connections, []).append(result)


def combine(results: list[dict]) -> dict:
    """One side at one connection count over the rounds: totals, and the median of the rounds' p99."""
    requests = sum(result["requests"] for result in results)
    seconds = sum(result["seconds"] for result in results)
    cpu = [result["cpu_s"] for result in results]
    return {
        "requests": requests,
        "rps": requests / seconds if seconds else 0.0,
        "mean_ms": sum(result["mean_ms"] * result["requests"] for result in results) / requests if requests else 0,
        "p99_ms": statistics.median(result["p99_ms"] for result in results),
        "cpu_s": None if None in cpu else sum(cpu),
        "errors": sum(
            int(result.get(key, 0))
            for result in results
            for key in ("non2xx", "connect_errors", "read_errors", "write_errors", "timeouts")
        ),
    }


def ratio(a: float, b: float) -> float | None:
    """a / b, or None when either side has nothing to compare (no request finished within the time)."""
    return a / b if a and b else None


def ratios(results: dict) -> dict:
    """registry / baseline: req/s and p99 per connection count (or wall time), and CPU per request."""
    api = {count: combine(rounds) for count, rounds in results["api"].items()}
    baseline = {count: combine(rounds) for count, rounds in results["baseline"].items()}
    out = {"api": api, "baseline": baseline}
    if "wall" in api:
        out["wall"] = ratio(api["wall"]["mean_ms"], baseline["wall"]["mean_ms"])
    else:
        out["rps"] = {count: ratio(api[count]["rps"], baseline[count]["rps"]) for count in api}
        out["p99"] = {count: ratio(api[count]["p99_ms"], baseline[count]["p99_ms"]) for count in api}

    def cpu_per_request(side: dict) -> float | None:
        if any(item["cpu_s"] is None for item in side.values()):
            return None
        return sum(item["cpu_s"] for item in side.values()) / max(1, sum(item["requests"] for item in side.values()))

    api_cpu, baseline_cpu = cpu_per_request(api), cpu_per_request(baseline)
    out["cpu"] = ratio(api_cpu, baseline_cpu) if api_cpu is not None and baseline_cpu is not None else None
    out["cpu_ms"] = (None if api_cpu is None else api_cpu * 1000, None if baseline_cpu is None else baseline_cpu * 1000)
    out["errors"] = sum(item["errors"] for side in (api, baseline) for item in side.values())
    return out


# --- scale and load runs --------------------------------------------------------------------------------------


def scale(args, workdir: Path) -> list[dict]:
    """The project list's throughput at each worker count and at 16 and 64 connections (a server each)."""
    paths = [f"/api/v1/projects/?{run.PROJECT_FILTER}"]
    rows = []
    for workers in args.workers:
        server = Server(args.port, workers, workdir / f"gunicorn-{workers}.log")
        server.start()
        try:
            get(server.port, paths[0])
            row = {"workers": workers}
            for connections in (16, 64):
                print(f"... scale: {workers} workers, {connections} connections", flush=True)
                row[connections] = wrk(server, paths, connections, args.scale_seconds, workdir)
            rows.append(row)
        finally:
            server.stop()
    return rows


def load(server: Server, args, workdir: Path, slugs: list[str], token: str) -> dict:
    """64 connections of wrk over bench/run.py's load mix while one editor writes (bench/soak.py's writer)."""
    stats, acknowledged = soak.Stats(), {"organisations": [], "summary": None}
    label = f"synthetic-load-{int(time.time())}"
    deadline = time.monotonic() + args.load_seconds
    writer = threading.Thread(
        target=soak.writer, args=(server.port, deadline, stats, token, acknowledged, slugs[0], label)
    )
    print(f"... load: 64 connections, {args.load_seconds} s, one editor writing", flush=True)
    writer.start()
    try:
        result = wrk(server, run.load_paths(slugs), 64, args.load_seconds, workdir)
    finally:
        writer.join(timeout=args.load_seconds + 120)
    writes = [seconds for name, values in stats.latencies.items() if name.startswith("write") for seconds in values]
    result["writes"] = len(writes)
    result["write_non2xx"] = sum(
        count for codes in stats.statuses.values() for code, count in codes.items() if not 200 <= code < 300
    )
    result["write_p99_ms"] = run.percentile(writes, 0.99) * 1000 if writes else 0.0
    result["socket_errors"] = stats.socket_errors + sum(
        int(result[key]) for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return result


# --- report ---------------------------------------------------------------------------------------------------


def cell(value: float | None, suffix: str = "×") -> str:
    return "–" if value is None else f"{value:.2f}{suffix}"


def comparison_table(rows: list[tuple[str, str, dict]], connections: list[int]) -> list[str]:
    """Rows of (endpoint name, kind, ratios): the Markdown table, one line per endpoint."""
    header = ["endpoint"]
    header += [f"req/s, {count} conn" for count in connections] + [f"p99, {count} conn" for count in connections]
    header += ["export wall time", "CPU per request", "registry req/s", "target", "result"]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 3) + "---|---|"]
    for name, kind, found in rows:
        rps, p99 = found.get("rps", {}), found.get("p99", {})
        throughput = " / ".join(f"{found['api'][count]['rps']:.1f}" for count in connections if count in found["api"])
        if "wall" in found["api"]:
            throughput = f"{found['api']['wall']['mean_ms'] / 1000:.2f} s per export"
        target, result = verdict(kind, found)
        if found.get("errors"):
            result += f" ({found['errors']} non-2xx or socket errors)"
        cells = (
            [name] + [cell(rps.get(count)) for count in connections] + [cell(p99.get(count)) for count in connections]
        )
        cells += [cell(found.get("wall")), cell(found.get("cpu")), throughput, target, result]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def scale_lines(rows: list[dict], cores: int) -> list[str]:
    lines = ["| project list, filtered | 16 conn req/s | 64 conn req/s | 64 conn p99 ms | worker CPU ms/request |"]
    lines.append("|---|---:|---:|---:|---:|")
    for row in rows:
        cpu = row[64]["cpu_s"]
        cpu_ms = "–" if cpu is None else f"{cpu / row[64]['requests'] * 1000:.1f}"
        lines.append(
            f"| {row['workers']} workers | {row[16]['rps']:.1f} | {row[64]['rps']:.1f} | {row[64]['p99_ms']:.0f} | "
            f"{cpu_ms} |"
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        lines.append(
            f"| {last['workers']} ÷ {first['workers']} workers | {cell(ratio(last[16]['rps'], first[16]['rps']))} | "
            f"{cell(ratio(last[64]['rps'], first[64]['rps']))} | | |"
        )
    cpu = rows[-1][64]["cpu_s"]
    if cpu:
        per_core = rows[-1][64]["requests"] / cpu
        lines += [
            "",
            f"Projection: {1000 / per_core:.1f} ms of worker CPU per request is about {per_core:.0f} req/s of this "
            f"list per app-server core; this machine has {cores} cores shared with PostgreSQL and wrk, so workers "
            f"beyond the cores add no throughput here, and N stateless app servers of C cores each serve about "
            f"N × C × {per_core:.0f} req/s until PostgreSQL (primary + read replicas) is the limit.",
        ]
    return lines


def load_lines(result: dict, seconds: int) -> list[str]:
    non2xx = int(result["non2xx"]) + result["write_non2xx"]
    ok = non2xx == 0 and result["socket_errors"] == 0
    return [
        f"| load run: 64 connections, {seconds} s, one editor writing | value |",
        "|---|---:|",
        f"| requests (reads) | {int(result['requests'])} ({result['rps']:.1f} req/s) |",
        f"| p50 / p99 latency of reads (ms) | {result['p50_ms']:.0f} / {result['p99_ms']:.0f} |",
        f"| writes (p99 ms) | {result['writes']} ({result['write_p99_ms']:.0f}) |",
        f"| non-2xx responses (reads + writes) | {non2xx} |",
        f"| socket errors | {result['socket_errors']} |",
        f"| result (target: 0 non-2xx) | {'PASS' if ok else 'MISS'} |",
    ]


def replace_section(text: str, content: str, start: str = README_START, end: str = README_END) -> str:
    """``text`` with what lies between the ``start`` and ``end`` marker lines replaced by ``content``."""
    first, last = text.find(start), text.find(end)
    if first < 0 or last < 0 or last < first or text.count(start) != 1 or text.count(end) != 1:
        raise ValueError(f"expected one {start} before one {end}")
    return text[: first + len(start)] + "\n" + content.strip("\n") + "\n" + text[last:]


# --- main -----------------------------------------------------------------------------------------------------


def counts(text: str) -> list[int]:
    return [int(item) for item in text.split(",") if item]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765, help="Loopback port for gunicorn (default 8765).")
    parser.add_argument(
        "--workers", type=counts, default=[2], help="gunicorn workers; a list (2,4) adds the scale run."
    )
    parser.add_argument("--connections", type=counts, default=[1, 16], help="wrk connections (default 1,16).")
    parser.add_argument("--rounds", type=int, help="Interleaved rounds (default 5, --quick 1).")
    parser.add_argument("--seconds", type=int, help="wrk seconds per side, count and round (default 5, --quick 1).")
    parser.add_argument("--export-runs", type=int, help="Downloads per export side and round (default 2, --quick 1).")
    parser.add_argument("--scale-seconds", type=int, help="wrk seconds per scale measurement (default 10, quick 2).")
    parser.add_argument("--load-seconds", type=int, help="Length of the load run (default 60, --quick 5); 0 skips.")
    parser.add_argument("--only", help="Only the endpoints whose name contains this text.")
    parser.add_argument("--quick", action="store_true", help="A few seconds per endpoint, one round (small data).")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="Also write the tables to FILE.")
    parser.add_argument("--update-readme", type=Path, metavar="FILE", help="Put FILE between the README markers.")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = {"rounds": (5, 1), "seconds": (5, 3), "export_runs": (2, 1), "scale_seconds": (10, 2)}
    defaults["load_seconds"] = (60, 5)
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.update_readme:
        args.readme.write_text(replace_section(args.readme.read_text(), args.update_readme.read_text()))
        print(f"{args.readme}: the Performance table replaced with {args.update_readme}")
        return 0
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk (bench/load.sh installs it too).")
        return 2
    run.configure_environment()
    import django

    django.setup()
    from django.db import connection

    from bench import synthetic
    from indicators.models import Observation

    if connection.vendor != "postgresql" or connection.settings_dict["NAME"] == "cpec_registry":
        print("Set DATABASE_URL to a scratch PostgreSQL database (not cpec_registry), seeded with seed_synthetic.")
        return 2
    published = run.published_count()
    if not published:
        print("No synthetic projects: run manage.py seed_synthetic --projects N --observations M first.")
        return 2
    slugs = run.detail_slugs(50)
    pairs = run.endpoints(slugs, args.export_runs, run.deep_page(published))
    pairs = [endpoint for endpoint in pairs if not args.only or args.only in endpoint.name]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg = cursor.fetchone()[0].split(" on ")[0]
    projects, observations = synthetic.synthetic_projects().count(), Observation.objects.count()
    token = soak.editor_token(os.environ.copy()) if args.load_seconds else None
    connection.close()

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        server = Server(args.port, args.workers[0], workdir / "gunicorn.log")
        server.start()
        try:
            compare(server, pairs, args, workdir)
            load_result = load(server, args, workdir, slugs, token) if args.load_seconds else None
        finally:
            server.stop()
        scale_rows = scale(args, workdir) if len(args.workers) > 1 else []
        errors = [
            line for log in workdir.glob("*.log") for line in log.read_text().splitlines() if "error" in line.lower()
        ]

    found = [(endpoint.name, endpoint.kind, ratios(endpoint.results)) for endpoint in pairs]
    load_avg = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        f"Run of {datetime.date.today().isoformat()} (`bench/http_compare.py`, {time.monotonic() - started:.0f} s) "
        f"on {run.machine()}, {pg}; load average at the end {load_avg}. Data: {projects:,} synthetic projects "
        f"({published:,} published), {observations:,} observations. gunicorn with `registry/gunicorn.conf.py`, "
        f"{args.workers[0]} workers, on 127.0.0.1; wrk at {' and '.join(map(str, args.connections))} connections, "
        f"{args.rounds} interleaved rounds of {args.seconds} s per side; exports downloaded {args.export_runs}× per "
        "side and round. Every figure is registry ÷ baseline in the same run (below 1× for req/s, above 1× for "
        "p99, wall time and CPU: the registry is slower).",
        "",
        *comparison_table(found, args.connections),
    ]
    if scale_rows:
        lines += ["", *scale_lines(scale_rows, os.cpu_count())]
    if load_result:
        lines += ["", *load_lines(load_result, args.load_seconds)]
    markdown = "\n".join(lines) + "\n"
    print()
    print(markdown)
    if errors:
        print("gunicorn logged errors:\n" + "\n".join(errors[:20]))
    if args.markdown:
        args.markdown.write_text(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
