"""API tokens (django-rest-knox): hashed at rest, expiring, several per editor; the api_token command; and the
conversion of the plaintext tokens that rest_framework.authtoken kept."""

import datetime
import hashlib
import importlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from projects.models import Organisation
from tests.api_fixtures import editor_user
from tests.conftest import run_manage

conversion = importlib.import_module("registry.migrations.0001_hash_plaintext_api_tokens")


def write_with(key: str, slug: str = "hubco"):
    body = {"slug": slug, "name": slug.title(), "kind": "private", "country": "PK"}
    return APIClient().post("/api/v1/organisations/", body, format="json", HTTP_AUTHORIZATION=f"Token {key}")


def api_token(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def editor(db):
    return editor_user()


# --- storage, expiry, several tokens ------------------------------------------------------------------------------


def test_token_is_stored_as_a_digest_only(editor):
    token, key = AuthToken.objects.create(user=editor)

    stored = AuthToken.objects.filter(pk=token.pk).values().get()

    assert stored["digest"] == hashlib.sha512(key.encode()).hexdigest()
    assert stored["token_key"] == key[:15]
    assert key not in {str(value) for value in stored.values()}


def test_token_expires_after_its_days(editor, settings):
    before = timezone.now()
    token, _ = AuthToken.objects.create(user=editor)

    assert settings.REST_KNOX["TOKEN_TTL"] == datetime.timedelta(days=90)
    assert before + datetime.timedelta(days=90) <= token.expiry <= timezone.now() + datetime.timedelta(days=90)


def test_expired_token_is_401_and_removed(editor):
    token, key = AuthToken.objects.create(user=editor)
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))

    response = write_with(key)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert not AuthToken.objects.filter(pk=token.pk).exists()
    assert not Organisation.objects.filter(slug="hubco").exists()


def test_editor_holds_several_tokens_and_revoking_one_keeps_the_others(editor):
    laptop, laptop_key = AuthToken.objects.create(user=editor)
    _, script_key = AuthToken.objects.create(user=editor)

    api_token("revoke", laptop.token_key)

    assert write_with(laptop_key, "first").status_code == 401
    assert write_with(script_key, "second").status_code == 201


def test_api_token_days_out_of_range_refuses_to_start():
    result = run_manage("check", env={"DJANGO_SETTINGS_MODULE": "registry.test_settings", "API_TOKEN_DAYS": "0"})

    assert result.returncode != 0
    assert "API_TOKEN_DAYS must be from 1 to 3650 (days a token is valid), got 0." in result.stderr


# --- the api_token command --------------------------------------------------------------------------------------


def test_issue_prints_the_key_once_on_the_last_line_and_it_works(editor):
    lines = api_token("issue", "editor", "--days", "30")

    token = AuthToken.objects.get(user=editor)
    key = lines[-1]
    assert lines[0] == f"Issued token {token.token_key} for editor, valid until {token.expiry:%Y-%m-%d %H:%M} UTC."
    assert lines[1] == "Send it as `Authorization: Token <key>`. It is shown only now: the registry keeps its hash."
    assert key.startswith(token.token_key) and len(key) == 64
    assert token.expiry - token.created == pytest.approx(datetime.timedelta(days=30), abs=datetime.timedelta(seconds=5))
    assert write_with(key).status_code == 201


def test_issue_without_days_uses_api_token_days(editor):
    api_token("issue", "editor")

    token = AuthToken.objects.get(user=editor)
    assert token.expiry - token.created == pytest.approx(datetime.timedelta(days=90), abs=datetime.timedelta(seconds=5))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["issue", "editor", "--days", "0"], "--days must be from 1 to 3650, got 0: every token expires."),
        (["issue", "editor", "--days", "3651"], "--days must be from 1 to 3650, got 3651: every token expires."),
        (["issue", "nobody"], "No user 'nobody'."),
        (["revoke", "0123456789abcde"], "No token '0123456789abcde' (see `api_token list`)."),
        (["revoke"], "Name one token (its id or key) or --all USERNAME, not both nor neither."),
        (
            ["revoke", "0123456789abcde", "--all", "editor"],
            "Name one token (its id or key) or --all USERNAME, not both nor neither.",
        ),
    ],
)
def test_api_token_bad_input_is_refused(editor, args, message):
    with pytest.raises(CommandError) as refused:
        api_token(*args)

    assert str(refused.value) == message
    assert not AuthToken.objects.exists()


def test_issue_for_inactive_user_is_refused(editor):
    editor.is_active = False
    editor.save()

    with pytest.raises(CommandError, match="User 'editor' is inactive: a token for it would be refused."):
        api_token("issue", "editor")


def test_list_shows_ids_and_expiry_never_keys(editor):
    token, key = AuthToken.objects.create(user=editor)
    other = editor_user("amina")
    AuthToken.objects.create(user=other)

    everyone = api_token("list")
    editors_only = api_token("list", "editor")

    expected = f"{token.token_key}  editor  issued {token.created:%Y-%m-%d}  expires {token.expiry:%Y-%m-%d %H:%M} UTC"
    assert editors_only == [expected]
    assert len(everyone) == 2 and expected in everyone
    assert all(key not in line for line in everyone)


def test_revoke_by_the_whole_key(editor):
    _, key = AuthToken.objects.create(user=editor)

    lines = api_token("revoke", key)

    assert lines == [f"Revoked token {key[:15]} of editor."]
    assert write_with(key).status_code == 401


def test_revoke_all_of_a_user_leaves_other_users_tokens(editor):
    keys = [AuthToken.objects.create(user=editor)[1] for _ in range(3)]
    _, other_key = AuthToken.objects.create(user=editor_user("amina"))

    lines = api_token("revoke", "--all", "editor")

    assert lines == ["Revoked 3 token(s) of editor."]
    assert [write_with(key, f"org-{n}").status_code for n, key in enumerate(keys)] == [401, 401, 401]
    assert write_with(other_key).status_code == 201


# --- plaintext tokens of rest_framework.authtoken -----------------------------------------------------------------

LEGACY_KEY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


def make_legacy_table(user_id: int, created: datetime.datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) NOT NULL PRIMARY KEY, '
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [LEGACY_KEY, created, user_id])
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", created],
        )


def test_conversion_hashes_plaintext_tokens_and_drops_their_table(editor):
    created = datetime.datetime(2025, 3, 1, 9, 30, tzinfo=datetime.UTC)
    make_legacy_table(editor.pk, created)

    conversion.convert_plaintext_tokens(apps, SimpleNamespace(connection=connection))

    token = AuthToken.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = %s", ["authtoken"])
        recorded = cursor.fetchone()[0]
    assert (token.user, token.created, token.token_key) == (editor, created, LEGACY_KEY[:15])
    assert token.digest == hashlib.sha512(LEGACY_KEY.encode()).hexdigest()
    assert token.expiry - timezone.now() == pytest.approx(
        datetime.timedelta(days=90), abs=datetime.timedelta(minutes=1)
    )
    assert "authtoken_token" not in connection.introspection.table_names()
    assert recorded == 0
    assert write_with(LEGACY_KEY).status_code == 201  # the editor's client keeps working unchanged


def test_conversion_without_legacy_table_does_nothing(editor):
    conversion.convert_plaintext_tokens(apps, SimpleNamespace(connection=connection))

    assert not AuthToken.objects.exists()


def test_setup_editors_says_how_to_issue_and_revoke_tokens(db):
    out = io.StringIO()

    call_command("setup_editors", stdout=out)

    assert out.getvalue().splitlines()[-1] == (
        "Give an editor an API token (hashed, expiring) with `manage.py api_token issue <username>`; "
        "revoke it with `manage.py api_token revoke <id>`."
    )
