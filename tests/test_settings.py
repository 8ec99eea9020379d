import secrets

import pytest
from django.db import connection


def test_settings_missing_secret_key_with_debug_off_refuses_to_start(manage):
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "registry.settings", "DEBUG": "0"})

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_settings_missing_secret_key_with_debug_on_starts(manage):
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "registry.settings", "DEBUG": "1"})

    assert result.returncode == 0, result.stderr


def test_settings_invalid_boolean_refuses_to_start(manage):
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "registry.settings", "DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


PRODUCTION = {"DJANGO_SETTINGS_MODULE": "registry.settings", "DEBUG": "0", "ALLOWED_HOSTS": "registry.example.org"}


def check_deploy(manage, **env):
    return manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50), **env},
    )


def test_settings_production_check_deploy_has_no_warnings(manage):
    result = check_deploy(manage)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_settings_behind_redirecting_proxy_without_ssl_redirect_passes_check_deploy(manage):
    result = check_deploy(manage, SECURE_SSL_REDIRECT="0", TRUST_X_FORWARDED_PROTO="1")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_settings_without_ssl_redirect_and_without_proxy_fails_check_deploy(manage):
    result = check_deploy(manage, SECURE_SSL_REDIRECT="0")

    assert result.returncode != 0
    assert "(security.W008)" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("env", "shared"),
    [
        ({}, "False"),  # production, several workers, no Redis: each worker's memory would hold its own version
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "True"),
        ({"SINGLE_PROCESS": "1"}, "True"),
        ({"DEBUG": "1"}, "True"),  # make run: one process
    ],
)
def test_settings_data_version_trusted_only_when_shared(manage, env, shared):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATA_VERSION_SHARED)",
        env={**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50), **env},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == shared


def test_settings_postgres_connections_run_statements_without_parallel_workers(manage):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['options'])",
        env={**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50), "DATABASE_URL": "postgres://u@127.0.0.1:5/db"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "-c max_parallel_workers_per_gather=0"


def test_settings_negative_parallel_workers_refuses_to_start(manage):
    result = manage("check", env={**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50), "PG_PARALLEL_WORKERS": "-1"})

    assert result.returncode != 0
    assert "PG_PARALLEL_WORKERS must be 0 or more" in result.stderr


@pytest.mark.django_db
def test_settings_postgres_connection_has_no_parallel_workers():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
