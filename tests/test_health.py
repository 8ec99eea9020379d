import json
import subprocess
import sys
import time

import pytest

from registry.settings import redis_cache
from tests.conftest import PROJECT_DIR
from tests.outages import closed_port, real_redis_cache, silent_listener


def test_healthz_database_answers_returns_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_with_real_redis_reports_cache_ok(client, db, settings):
    settings.CACHES = {"default": real_redis_cache()}

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_redis_refusing_reports_cache_unavailable_with_200(client, db, settings):
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{closed_port()}/2")}

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "unavailable"}


def test_healthz_redis_hanging_reports_cache_unavailable_within_a_second(client, db, settings):
    with silent_listener() as port:
        settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{port}/2")}
        started = time.monotonic()

        response = client.get("/healthz")
        seconds = time.monotonic() - started

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "unavailable"}
    assert seconds < 1.0


@pytest.mark.parametrize(
    "database_url",
    ["sqlite:////nonexistent-directory/registry.sqlite3", "postgres://postgres@127.0.0.1:1/cpec_registry"],
    ids=["sqlite-missing-file", "postgres-closed-port"],
)
def test_healthz_database_unreachable_returns_503(database_url):
    script = (
        "import json, django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {
        "DJANGO_SETTINGS_MODULE": "registry.test_settings",
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(PROJECT_DIR),
        "PATH": "/usr/bin:/bin",
    }

    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"status": 503, "body": {"status": "unavailable", "database": "unavailable", "cache": "ok"}}


def test_healthz_post_is_refused(client, db):
    response = client.post("/healthz")

    assert response.status_code == 405


def test_unknown_api_url_is_json_404(client, db):
    response = client.get("/api/v1/nope/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
