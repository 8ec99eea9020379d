"""Soak test: 64 concurrent readers on list, detail, CSV and stats while an editor writes, for a bounded time.

Starts the production server (gunicorn, PostgreSQL, seed data) on 127.0.0.1 only, drives it, then checks that there
was no 5xx and that every write the server acknowledged can be read back. Prints throughput and p99 per endpoint.

    .venv/bin/python bench/soak.py [--seconds 60] [--clients 64] [--port 8766]
"""

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
PY = str(PROJECT_DIR / ".venv" / "bin" / "python")
if not Path(PY).exists():  # a git worktree without its own .venv: the interpreter running this
    PY = sys.executable
DB = "cpec_soak"
READ_PATHS = [
    "/api/v1/projects/?corridor=green&ordering=-announced_usd",
    "/api/v1/projects/?province=PK-SD,PK-BA&status=operational",
    "/api/v1/projects/sahiwal-coal-power-plant/",
    "/api/v1/projects/?format=csv",
    "/api/v1/stats/investment/?group_by=corridor,status",
    "/api/v1/corridors/",
    "/api/v1/changes/?page_size=20",
]


def run(*args, env, capture=False):
    result = subprocess.run(args, cwd=PROJECT_DIR, env=env, check=True, capture_output=capture, text=True)
    return result.stdout.strip() if capture else None


def prepare(env) -> str:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    run(PY, "manage.py", "migrate", "--noinput", "--verbosity", "0", env=env)
    run(PY, "manage.py", "load_seed_data", env=env)
    run(PY, "manage.py", "collectstatic", "--noinput", "--verbosity", "0", env=env)
    return editor_token(env)


def editor_token(env, username: str = "soak-editor") -> str:
    """An API token of an editor (created with the editors group when missing), valid for a day."""
    run(PY, "manage.py", "setup_editors", env=env)
    script = (
        "from django.contrib.auth.models import Group, User\n"
        f"user, _ = User.objects.get_or_create(username={username!r}, defaults={{'is_staff': True}})\n"
        "user.groups.add(Group.objects.get(name='editors'))"
    )
    run(PY, "manage.py", "shell", "-c", script, env=env)
    issued = run(PY, "manage.py", "api_token", "issue", username, "--days", "1", env=env, capture=True)
    return issued.splitlines()[-1]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.statuses = defaultdict(lambda: defaultdict(int))
        self.socket_errors = 0

    def record(self, name, status, seconds):
        with self.lock:
            self.latencies[name].append(seconds)
            self.statuses[name][status] += 1


def request(port, method, path, body=None, token=None, timeout=60):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Accept": "text/csv" if "format=csv" in path else "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def reader(port, deadline, stats, number):
    index = number
    while time.monotonic() < deadline:
        path = READ_PATHS[index % len(READ_PATHS)]
        index += 1
        started = time.monotonic()
        try:
            status, _ = request(port, "GET", path)
        except OSError:
            with stats.lock:
                stats.socket_errors += 1
            continue
        stats.record(
            path.split("?")[0] if "format=csv" not in path else "csv export", status, time.monotonic() - started
        )


def writer(port, deadline, stats, token, acknowledged, project="sahiwal-coal-power-plant", label="soak"):
    """An editor writing until the deadline: a new organisation (``<label>-organisation-<n>``), then the summary of
    ``project``, in turn."""
    number = 0
    while time.monotonic() < deadline:
        number += 1
        slug = f"{label}-organisation-{number}"
        body = {"slug": slug, "name": f"Soak Organisation {number}", "kind": "private", "country": "PK"}
        started = time.monotonic()
        try:
            status, _ = request(port, "POST", "/api/v1/organisations/", body, token)
            stats.record("write: organisation", status, time.monotonic() - started)
            if status == 201:
                acknowledged["organisations"].append(slug)
            started = time.monotonic()
            summary = f"{label.capitalize()} summary {number}"
            status, _ = request(port, "PATCH", f"/api/v1/projects/{project}/", {"summary": summary}, token)
            stats.record("write: project", status, time.monotonic() - started)
            if status == 200:
                acknowledged["summary"] = summary
        except OSError:
            with stats.lock:
                stats.socket_errors += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "THROTTLING_ENABLED": "0",
    }
    token = prepare(env)
    server = subprocess.Popen(
        [
            str(PROJECT_DIR / ".venv/bin/gunicorn"),
            "--config",
            "registry/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(60):
            try:
                if request(args.port, "GET", "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        stats, acknowledged = Stats(), {"organisations": [], "summary": None}
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [threading.Thread(target=reader, args=(args.port, deadline, stats, n)) for n in range(args.clients)]
        threads.append(threading.Thread(target=writer, args=(args.port, deadline, stats, token, acknowledged)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        elapsed = time.monotonic() - started

        lost = [
            slug
            for slug in acknowledged["organisations"]
            if request(args.port, "GET", f"/api/v1/organisations/{slug}/")[0] != 200
        ]
        status, body = request(args.port, "GET", "/api/v1/projects/sahiwal-coal-power-plant/")
        summary_kept = acknowledged["summary"] is None or json.loads(body)["summary"] == acknowledged["summary"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=False)

    total = sum(len(values) for values in stats.latencies.values())
    server_errors = sum(count for codes in stats.statuses.values() for code, count in codes.items() if code >= 500)
    print(f"soak: {args.clients} readers + 1 writer for {elapsed:.0f} s on 127.0.0.1 ({os.cpu_count()} cores)")
    print(f"{'endpoint':42} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    for name, values in sorted(stats.latencies.items()):
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        codes = dict(sorted(stats.statuses[name].items()))
        print(
            f"{name:42} {len(values):9d} {len(values) / elapsed:8.1f} {statistics.median(values) * 1000:8.1f} "
            f"{p99 * 1000:8.1f}  {codes}"
        )
    print(
        f"total: {total} requests, {total / elapsed:.1f} req/s; 5xx: {server_errors}; socket errors: "
        f"{stats.socket_errors}; acknowledged writes: {len(acknowledged['organisations'])} organisations, "
        f"lost: {len(lost)}; last project summary kept: {summary_kept}"
    )
    if server.returncode not in (0, -15) and server.stderr:
        print(server.stderr.read()[-2000:])
    unexpected = sum(
        count for codes in stats.statuses.values() for code, count in codes.items() if not 200 <= code < 300
    )
    print(f"non-2xx responses: {unexpected}")
    ok = unexpected == 0 and stats.socket_errors == 0 and not lost and summary_kept
    print("soak: PASS" if ok else "soak: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
