import time

import pytest

from registry.settings import redis_cache
from tests.outages import (
    UNREACHABLE_DATABASES,
    closed_port,
    real_redis_cache,
    request_without_database,
    silent_listener,
)


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


@pytest.mark.parametrize("database_url", UNREACHABLE_DATABASES.values(), ids=UNREACHABLE_DATABASES.keys())
def test_healthz_database_unreachable_returns_503(database_url):
    answer = request_without_database(database_url, "/healthz")

    assert answer == {
        "status": 503,
        "content_type": "application/json",
        "body": {"status": "unavailable", "database": "unavailable", "cache": "ok"},
    }


def test_healthz_post_is_refused(client, db):
    response = client.post("/healthz")

    assert response.status_code == 405


def test_unknown_api_url_is_json_404(client, db):
    response = client.get("/api/v1/nope/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
