"""The shipped reverse-proxy configuration (deploy/nginx.conf), run by Debian's nginx in front of gunicorn with the
production settings: slow clients hold nginx, not the sync workers; the forwarded headers the app trusts are the
proxy's; HTTP redirects keep the method; nginx's own errors are JSON.

Everything listens on loopback ports of its own, and every wait is bounded: the slow clients stop by themselves.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.outages import real_redis_cache

NGINX = Path("/usr/sbin/nginx")
OPENSSL = shutil.which("openssl")
HOST = "registry.example.org"
WORKERS = 2
SLOW_CLIENTS = 6  # more than the workers
# An answer within this is "still answering" (one request, usually tens of milliseconds, on a busy 2-core machine);
# without the proxy the answer would come only when gunicorn's worker timeout (60 s) kills a stuck worker.
DEADLINE = 3.0
TRICKLE = b"GET /healthz HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nUser-Agent: slow\r\n\r\n"


def require(tool: Path | str | None, package: str) -> None:
    if tool and Path(tool).exists():
        return
    reason = f"{tool or package} is missing: install Debian's {package} package to run the reverse-proxy tests."
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # polling a starting server, not timing the test
    raise AssertionError(f"nothing listening on {port} after {seconds} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def proxy_site(app_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx.conf with its ADAPT lines pointed at this test's ports and certificate (each found exactly once)."""
    text = (PROJECT_DIR / "deploy" / "nginx.conf").read_text()
    for old, new in [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/letsencrypt/live/registry.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/registry.example.org/privkey.pem", str(key)),
    ]:
        assert text.count(old) == 1, f"deploy/nginx.conf no longer has exactly one {old!r}"
        text = text.replace(old, new)
    return text


def nginx_main(directory: Path) -> str:
    """A minimal main configuration around the site, with every path in the test's directory."""
    temp = " ".join(
        f"{kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;" if os.geteuid() == 0 else ""  # workers must reach the test's private directory
    return (
        f"{user} daemon off; worker_processes 1; pid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\n"
        "events { worker_connections 512; }\n"
        f"http {{ access_log {directory / 'access.log'}; {temp} include {directory / 'site.conf'}; }}\n"
    )


@contextlib.contextmanager
def running_nginx(directory: Path, app_port: int, cert: Path, key: Path):
    """Debian's nginx serving deploy/nginx.conf in front of ``app_port``; yields its HTTP and HTTPS ports."""
    http_port, https_port = free_port(), free_port()
    (directory / "site.conf").write_text(proxy_site(app_port, http_port, https_port, cert, key))
    (directory / "nginx.conf").write_text(nginx_main(directory))
    log = directory / "error.log"
    log.touch()
    command = [str(NGINX), "-e", str(log), "-p", str(directory), "-c", str(directory / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_listening(https_port, proxy, log)
        yield http_port, https_port
    finally:
        stop(proxy)


@dataclass
class Stack:
    app_port: int
    http_port: int
    https_port: int
    tls: ssl.SSLContext
    cert: Path
    key: Path

    def https(self, method: str, path: str, headers: dict | None = None, body=None, timeout: float = 5):
        connection = HTTPSConnection("127.0.0.1", self.https_port, context=self.tls, timeout=timeout)
        return exchange(connection, method, path, headers, body)

    def http(self, method: str, path: str, port: int, timeout: float = 5):
        return exchange(HTTPConnection("127.0.0.1", port, timeout=timeout), method, path, None, None)


def exchange(connection, method, path, headers, body):
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require(NGINX, "nginx")
    require(OPENSSL, "openssl")
    directory = tmp_path_factory.mktemp("proxy")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
        + ["-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
        timeout=30,
    )
    app_port = free_port()
    cache = real_redis_cache()  # throttling counters shared by the workers, under a prefix of this run's own
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_DIR),
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"sqlite:///{directory / 'registry.sqlite3'}",
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        # The documented set-up behind this proxy (README, Deploying).
        "SECURE_SSL_REDIRECT": "0",
        "TRUST_X_FORWARDED_PROTO": "1",
        "NUM_PROXIES": "1",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "REDIS_URL": cache["LOCATION"],
        "CACHE_KEY_PREFIX": cache["KEY_PREFIX"],
        "ANON_THROTTLE_RATE": "3/minute",
        "WEB_CONCURRENCY": str(WORKERS),
        "HOST": "127.0.0.1",
        "PORT": str(app_port),
    }
    app_log = directory / "gunicorn.log"
    with app_log.open("w") as log:
        app = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--config", "registry/gunicorn.conf.py"],
            cwd=PROJECT_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_listening(app_port, app, app_log)
        with running_nginx(directory, app_port, cert, key) as (http_port, https_port):
            tls = ssl.create_default_context(cafile=str(cert))
            tls.check_hostname = False  # the certificate names HOST; the connection goes to 127.0.0.1
            yield Stack(app_port, http_port, https_port, tls, cert, key)
    finally:
        stop(app)


class SlowClients:
    """Clients that send a request's headers one byte every ``interval`` seconds, until stopped or ``limit`` s."""

    def __init__(self, port: int, tls: ssl.SSLContext | None, count: int, interval: float = 0.5, limit: float = 20):
        self.stopped = threading.Event()
        self.sockets = []
        for _ in range(count):
            raw = socket.create_connection(("127.0.0.1", port), timeout=5)
            self.sockets.append(tls.wrap_socket(raw, server_hostname=HOST) if tls else raw)
        self.threads = [threading.Thread(target=self.trickle, args=(s, interval, limit)) for s in self.sockets]

    def trickle(self, connection, interval: float, limit: float) -> None:
        deadline = time.monotonic() + limit
        for byte in TRICKLE[:-1]:  # never the last byte: the request is never complete
            if self.stopped.wait(interval) or time.monotonic() > deadline:
                return
            try:
                connection.sendall(bytes([byte]))
            except OSError:  # cut off by the server
                return

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=10)
        for connection in self.sockets:
            connection.close()


def held_for_a_while(clients: SlowClients) -> None:
    """Let the slow clients connect and send their first bytes, so that they hold what they can."""
    clients.stopped.wait(1.5)


def test_through_nginx_healthz_answers_quickly_while_slow_clients_hold_connections(stack):
    with SlowClients(stack.https_port, stack.tls, SLOW_CLIENTS) as clients:
        held_for_a_while(clients)
        started = time.monotonic()
        status, _, body = stack.https("GET", "/healthz", timeout=DEADLINE)
        seconds = time.monotonic() - started

    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok", "cache": "ok"}
    assert seconds < DEADLINE


def test_without_nginx_slow_clients_hold_every_sync_worker_and_healthz_times_out(stack):
    # The contrast that shows the slow clients are real: straight to gunicorn, they take both workers.
    with SlowClients(stack.app_port, None, SLOW_CLIENTS) as clients:
        held_for_a_while(clients)
        with pytest.raises(TimeoutError):
            stack.http("GET", "/healthz", stack.app_port, timeout=DEADLINE)


def test_through_nginx_forwarded_headers_are_the_proxys_not_the_clients(stack):
    spoofs = [
        {"X-Forwarded-For": f"203.0.113.{n}", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}
        for n in range(1, 5)
    ]

    answers = [stack.https("GET", "/api/v1/", headers=spoof) for spoof in spoofs]

    assert [status for status, _, _ in answers] == [200, 200, 200, 429]  # one address, whatever the clients claim
    assert json.loads(answers[0][2])["projects"] == f"https://{HOST}/api/v1/projects/"
    assert answers[0][1]["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_plain_http_is_a_308_to_https_that_keeps_a_post(stack):
    status, headers, _ = stack.http("POST", "/api/v1/organisations/?x=1", stack.http_port)

    assert status == 308
    assert headers["Location"] == f"https://{HOST}/api/v1/organisations/?x=1"


def test_body_over_the_limit_is_refused_by_nginx_in_json(stack):
    status, headers, body = stack.https(
        "POST", "/api/v1/organisations/", headers={"Content-Type": "application/json"}, body=b"x" * (3 * 1024 * 1024)
    )

    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "The request body is too large: the limit is 2 MiB."}


def test_unanswering_app_is_a_json_503_from_nginx(stack, tmp_path):
    nothing_there = free_port()

    with running_nginx(tmp_path, nothing_there, stack.cert, stack.key) as (_, https_port):
        status, headers, body = Stack(nothing_there, 0, https_port, stack.tls, stack.cert, stack.key).https("GET", "/")

    assert status == 503
    assert headers["Retry-After"] == "10"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "The registry is not answering; try again in a moment."}
