import secrets


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


def test_settings_production_check_deploy_has_no_warnings(manage):
    env = {
        "DJANGO_SETTINGS_MODULE": "registry.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "registry.example.org",
    }

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
