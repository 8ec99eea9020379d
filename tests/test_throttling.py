"""The anonymous API throttle and the admin-login throttle: which address they count, and how they survive a cache
outage."""

import pytest

from tests.conftest import run_manage

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
