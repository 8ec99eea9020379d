"""Broken dependencies for tests: a cache server that refuses or never answers, a database that is not there."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import uuid

import pytest
import redis

from tests.conftest import PROJECT_DIR

REAL_REDIS_URL = "redis://127.0.0.1:6379/2"


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def silent_listener():
    """Yield the port of a server that accepts every connection and never sends a byte, until the block ends."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = []

    def accept_forever():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:  # the listening socket was closed: stop
                return
            held.append(connection)

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        # Closing a listening socket does not wake a thread blocked in accept() on Linux; shutting it down does.
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)
        server.close()
        thread.join(timeout=5)
        for connection in held:
            connection.close()


def real_redis_cache() -> dict:
    """The production cache settings against the local Redis (DB 2), with a key prefix of this test's own."""
    from registry.settings import redis_cache

    client = redis.Redis.from_url(REAL_REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis is not answering at {REAL_REDIS_URL} ({error})."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        client.close()
    return redis_cache(REAL_REDIS_URL, key_prefix=f"test-{uuid.uuid4().hex}")


def redis_commands_sent(monkeypatch) -> list:
    """From now on, every command packet this process sends to Redis is appended to the returned list."""
    sent = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(connection, command, check_health=True):
        sent.append(command)
        return original(connection, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


# A database that is not there: a missing SQLite directory, and a PostgreSQL port nothing listens on.
UNREACHABLE_DATABASES = {
    "sqlite-missing-file": "sqlite:////nonexistent-directory/registry.sqlite3",
    "postgres-closed-port": "postgres://postgres@127.0.0.1:1/cpec_registry",
}


def request_without_database(database_url: str, path: str) -> dict:
    """GET ``path`` through Django's test client in a fresh process whose database is unreachable."""
    script = (
        "import json, django; django.setup();"
        "from django.test import Client;"
        f"r = Client(raise_request_exception=False).get({path!r});"
        "print(json.dumps({'status': r.status_code, 'content_type': r['Content-Type'], 'body': r.json()}))"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "registry.test_settings",
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(PROJECT_DIR),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
