"""The anonymous API throttle and the admin-login throttle: which address they count, and how they survive a cache
outage."""

import time

import pytest

from registry.settings import redis_cache
from tests.conftest import run_manage
from tests.outages import closed_port, real_redis_cache, silent_listener

ROTATING_SPOOFS = [f"203.0.113.{number}" for number in range(1, 6)]


@pytest.fixture
def one_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def test_num_proxies_default_is_zero_not_none(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_num_proxies_negative_refuses_to_start():
    result = run_manage("check", env={"DJANGO_SETTINGS_MODULE": "registry.test_settings", "NUM_PROXIES": "-1"})

    assert result.returncode != 0
    assert "NUM_PROXIES must be 0 or more (the proxies in front of the app), got -1." in result.stderr


def test_anon_throttle_without_proxies_ignores_spoofed_forwarded_for(api, registry, low_anon_rate):
    statuses = [api.get("/api/v1/corridors/", HTTP_X_FORWARDED_FOR=spoof).status_code for spoof in ROTATING_SPOOFS]

    assert statuses == [200, 200, 200, 429, 429]


def test_admin_login_throttle_without_proxies_ignores_spoofed_forwarded_for(client, db, settings):
    settings.ADMIN_LOGIN_THROTTLE_RATE = "3/hour"
    login = {"username": "amina", "password": "guess"}

    statuses = [
        client.post("/admin/login/", login, HTTP_X_FORWARDED_FOR=spoof).status_code for spoof in ROTATING_SPOOFS
    ]

    assert statuses == [200, 200, 200, 429, 429]


def test_anon_throttle_behind_one_proxy_counts_the_address_the_proxy_saw(api, registry, low_anon_rate, one_proxy):
    # The proxy appends the address it saw; whatever the client wrote before it is the client's own claim.
    statuses = [
        api.get("/api/v1/corridors/", HTTP_X_FORWARDED_FOR=f"{spoof}, 198.51.100.7").status_code
        for spoof in ROTATING_SPOOFS
    ]
    other_client = api.get("/api/v1/corridors/", HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.8")

    assert statuses == [200, 200, 200, 429, 429]
    assert other_client.status_code == 200


def test_admin_login_throttle_behind_one_proxy_counts_the_address_the_proxy_saw(client, db, settings, one_proxy):
    settings.ADMIN_LOGIN_THROTTLE_RATE = "3/hour"
    login = {"username": "amina", "password": "guess"}

    statuses = [
        client.post("/admin/login/", login, HTTP_X_FORWARDED_FOR=f"{spoof}, 198.51.100.7").status_code
        for spoof in ROTATING_SPOOFS
    ]
    other_client = client.post("/admin/login/", login, HTTP_X_FORWARDED_FOR="198.51.100.8")

    assert statuses == [200, 200, 200, 429, 429]
    assert other_client.status_code == 200


# --- a cache outage -----------------------------------------------------------------------------------------------


@pytest.fixture
def redis_at(settings):
    """Point the cache at ``redis://127.0.0.1:<port>/2`` with the production settings (short socket timeouts)."""

    def point(port: int):
        settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{port}/2")}

    return point


@pytest.fixture
def redis_refusing(redis_at):
    redis_at(closed_port())


@pytest.fixture
def redis_hanging(redis_at):
    with silent_listener() as port:
        redis_at(port)
        yield


def timed(request) -> tuple[int, float]:
    started = time.monotonic()
    response = request()
    return response.status_code, time.monotonic() - started


def outage_warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "registry.throttling"]


@pytest.mark.parametrize("outage", ["redis_refusing", "redis_hanging"])
def test_anon_api_during_cache_outage_is_served_unthrottled_and_warns_once(
    request, outage, api, registry, low_anon_rate, caplog
):
    request.getfixturevalue(outage)

    answers = [timed(lambda: api.get("/api/v1/corridors/")) for _ in range(5)]

    assert [status for status, _ in answers] == [200] * 5
    assert max(seconds for _, seconds in answers) < 1.0
    warnings = outage_warnings(caplog)
    assert len(warnings) == 1
    assert warnings[0].startswith("Cache unreachable (")
    assert warnings[0].endswith(
        "): request throttling and the response cache are off in this process; retrying in 10 s."
    )


@pytest.mark.parametrize("outage", ["redis_refusing", "redis_hanging"])
def test_admin_login_during_cache_outage_is_answered(request, outage, client, db, settings):
    request.getfixturevalue(outage)
    settings.ADMIN_LOGIN_THROTTLE_RATE = "1/hour"
    login = {"username": "amina", "password": "guess"}

    answers = [timed(lambda: client.post("/admin/login/", login)) for _ in range(3)]

    assert [status for status, _ in answers] == [200] * 3
    assert max(seconds for _, seconds in answers) < 1.0


def test_anon_throttle_after_cache_recovers_counts_again(api, registry, low_anon_rate, settings, redis_at):
    settings.CACHE_RETRY_SECONDS = 0
    redis_at(closed_port())
    during_outage = [api.get("/api/v1/corridors/").status_code for _ in range(4)]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    after = [api.get("/api/v1/corridors/").status_code for _ in range(4)]

    assert during_outage == [200] * 4
    assert after == [200, 200, 200, 429]


def test_anon_throttle_with_real_redis_counts_in_redis(api, registry, low_anon_rate, settings):
    settings.CACHES = {"default": real_redis_cache()}

    statuses = [api.get("/api/v1/corridors/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
