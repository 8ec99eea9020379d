"""Backups lose nothing: the whole registry, history included, survives backup_registry, an emptied database and
restore_registry, as every API list and every table shows; a restore is all or nothing and refuses what it would
overwrite."""

import gzip
import io
import json
import stat
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from knox.models import AuthToken
from rest_framework.test import APIClient

from projects import choices, recovery, services
from projects.models import Project, Province, StatusChange
from projects.stats import DIMENSIONS
from registry import backup
from tests import factories
from tests.api_fixtures import editor_user, token_client
from tests.safety.sample import D, add_observation, build_project, run_as

REAL_TRANSACTIONS = pytest.mark.django_db(transaction=True)


# --- the registry and what can be seen of it ------------------------------------------------------------------


def build_registry(editor: User, editor_api) -> dict:
    """Published and draft projects with histories of updates, a deleted project, indicators and observations, an
    event about a published and a draft project, loose vocabulary, accounts with tokens and groups, and an admin log
    entry."""
    karot = run_as(editor, build_project)
    draft = run_as(editor, lambda: build_project(slug="chashma-5", name="Chashma-5 Nuclear", phase="2"))
    services.project_set_publication(projects=[draft], publication=choices.Publication.DRAFT)
    services.project_update(project=karot, name="Karot Hydropower Plant", summary="720 MW run-of-river plant.")
    factories.add_status(draft, choices.Status.SUSPENDED, D(2024, 1, 1))
    gone = build_project(slug="gone-project", name="Gone Project")
    gone_detail = editor_api.get("/api/v1/projects/gone-project/").json()
    assert editor_api.delete("/api/v1/projects/gone-project/").status_code == 204
    factories.OrganisationFactory(slug="unused-financier", name="Unused Financier", kind="financier")
    indicator = factories.IndicatorFactory(code="sez-firm-entry", unit="firms", level="outcome")
    indicator.corridors.set([factories.CorridorFactory(code="growth", name="Growth Corridor")])
    add_observation(indicator=indicator, value="12")
    add_observation(indicator=indicator, scope="province", province=Province.objects.get(code="PK-KP"), value="5")
    services.event_create(
        slug="jcc-5",
        kind=choices.EventKind.JCC_MEETING,
        title="5th JCC meeting",
        date=D(2015, 11, 1),
        date_precision=choices.DatePrecision.MONTH,
        sources=[factories.SourceFactory(title="JCC minutes")],
        projects=[
            {"project": karot, "role": choices.EventRole.REVIEWED},
            {"project": draft, "role": choices.EventRole.ANNOUNCED},
        ],
    )
    reader = User.objects.create_user("reader", password="x-reader-password")
    token_client(reader)
    call_command("setup_editors", stdout=io.StringIO())
    LogEntry.objects.create(
        user=editor,
        content_type=ContentType.objects.get_for_model(Project),
        object_id=str(karot.pk),
        object_repr=str(karot),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Name"]}}]',
    )
    return {"gone": gone, "gone_detail": gone_detail}


def all_pages(client, url: str):
    """Every result of a list endpoint, following its ``next`` links (page-number and cursor pagination)."""
    results = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        body = response.json()
        if not isinstance(body, dict) or "results" not in body:
            return body
        results += body["results"]
        url = body["next"]
    return results


def api_snapshot(client) -> dict:
    """What a client sees: every list endpoint of the API root (each statistic by every dimension), the project
    exports, and every project's detail and history."""
    snapshot = {}
    for name, url in client.get("/api/v1/").json().items():
        if name in ("schema", "docs"):
            continue
        if name == "stats_investment":
            for dimension in DIMENSIONS:
                snapshot[f"{name}?group_by={dimension}"] = all_pages(client, f"{url}?group_by={dimension}")
        elif name == "stats_investment_timeline":
            for kind in ("announced", "committed", "realised"):
                snapshot[f"{name}?kind={kind}"] = all_pages(client, f"{url}?kind={kind}&group_by=corridor")
        else:
            snapshot[name] = all_pages(client, url)
    for export in ("csv", "geojson"):
        response = client.get(f"/api/v1/projects/?format={export}")
        snapshot[f"projects.{export}"] = b"".join(response.streaming_content).decode()
    for project in snapshot["projects"]:
        snapshot[project["slug"]] = client.get(project["url"]).json()
        snapshot[f"{project['slug']}/history"] = all_pages(client, f"{project['url']}history/")
    return snapshot


def table_contents() -> dict[str, list]:
    """Every row of every backed-up table (and its many-to-many links), users and permissions by natural key."""
    return {
        model._meta.label_lower: serializers.serialize(
            "python", model._base_manager.order_by("pk"), use_natural_foreign_keys=True
        )
        for model in backup.backup_models()
    }


def history_counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._base_manager.count()
        for model in backup.backup_models()
        if model._meta.model_name.startswith("historical")
    }


def back_up(tmp_path: Path, name: str = "registry.json.gz") -> Path:
    path = tmp_path / name
    call_command("backup_registry", "--output", str(path), stdout=io.StringIO())
    return path


def backup_data(path: Path) -> dict:
    with path.open("rb") as stream:
        return backup.read_backup(stream)


def write_backup_data(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, cls=backup.BackupJSONEncoder))
    return path


def restore(path: Path) -> str:
    out = io.StringIO()
    call_command("restore_registry", str(path), stdout=out)
    return out.getvalue()


# --- the round trip -------------------------------------------------------------------------------------------


@REAL_TRANSACTIONS
def test_backup_holds_token_digests_not_keys_and_restored_tokens_work(tmp_path):
    editor = editor_user()
    _, key = AuthToken.objects.create(user=editor)
    path = back_up(tmp_path)
    call_command("flush", interactive=False, verbosity=0)

    restore(path)
    response = APIClient().post(
        "/api/v1/organisations/",
        {"slug": "hubco", "name": "Hubco", "kind": "private", "country": "PK"},
        format="json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )

    assert key not in gzip.decompress(path.read_bytes()).decode()
    assert AuthToken.objects.get().user.username == "editor"
    assert response.status_code == 201


@REAL_TRANSACTIONS
def test_backup_then_restore_into_an_emptied_database_loses_nothing(tmp_path, api):
    editor = editor_user()
    editor_api = token_client(editor)
    build_registry(editor, editor_api)
    seen_by_editor, seen_by_public = api_snapshot(editor_api), api_snapshot(api)
    tables, histories = table_contents(), history_counts()
    path = back_up(tmp_path)

    call_command("flush", interactive=False, verbosity=0)
    assert (Project.objects.count(), Project.history.count(), User.objects.count()) == (0, 0, 0)
    output = restore(path)

    assert api_snapshot(editor_api) == seen_by_editor  # the editor's token from before the backup still works
    assert api_snapshot(api) == seen_by_public
    assert history_counts() == histories
    assert table_contents() == tables
    assert output.startswith(f"Restored {sum(len(rows) for rows in tables.values())} rows (projects: 2, history rows: ")
    # Not an empty comparison: both projects, the deleted one's history, the drafts the editor alone sees.
    assert [project["slug"] for project in seen_by_editor["projects"]] == ["chashma-5", "karot-hydropower"]
    assert [project["slug"] for project in seen_by_public["projects"]] == ["karot-hydropower"]
    assert [label for label, count in histories.items() if count == 0] == []
    assert ("project", "gone-project", "deleted") in {
        (entry["model"], entry["object"], entry["action"]) for entry in seen_by_editor["changes"]
    }


@REAL_TRANSACTIONS
def test_restore_makes_new_rows_take_ids_no_row_ever_had(tmp_path):
    editor = editor_user()
    editor_api = token_client(editor)
    built = build_registry(editor, editor_api)
    highest_status_change = StatusChange.history.order_by("-id").first().id
    path = back_up(tmp_path)
    call_command("flush", interactive=False, verbosity=0)
    restore(path)

    created = factories.make_project(slug="after-the-restore")
    status_change = factories.add_status(created, choices.Status.PIPELINE, D(2025, 1, 1))

    assert created.pk > built["gone"].pk  # the deleted project had the highest id; its history keeps it
    assert status_change.pk > highest_status_change
    history = editor_api.get("/api/v1/projects/after-the-restore/history/").json()["results"]
    assert [(entry["model"], entry["object"], entry["action"]) for entry in history] == [
        ("project", "after-the-restore", "updated"),
        ("status-change", str(status_change.pk), "created"),
        ("project", "after-the-restore", "created"),
    ]


@REAL_TRANSACTIONS
def test_a_project_deleted_before_the_backup_can_be_restored_after_it(tmp_path):
    editor = editor_user()
    editor_api = token_client(editor)
    built = build_registry(editor, editor_api)
    path = back_up(tmp_path)
    call_command("flush", interactive=False, verbosity=0)
    restore(path)

    [deleted] = recovery.deleted_projects()
    recovery.project_restore(history_id=deleted.history_id)

    restored = editor_api.get("/api/v1/projects/gone-project/").json()
    del restored["updated_at"], built["gone_detail"]["updated_at"]
    assert restored == built["gone_detail"]


# --- the file -------------------------------------------------------------------------------------------------


def test_backup_file_is_private_gzip_json_with_a_header(tmp_path, editor):
    factories.make_project(slug="karot")
    path = back_up(tmp_path)

    data = json.loads(gzip.decompress(path.read_bytes()))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds password hashes and API tokens
    assert (data["format"], data["version"], data["database"]) == ("cpec-registry-backup", 1, connection.vendor)
    assert data["migrations"] == backup.applied_migrations()
    assert data["counts"]["projects.project"] == 1
    assert data["counts"]["auth.user"] == 1
    assert len(data["objects"]) == sum(data["counts"].values())
    assert list(tmp_path.iterdir()) == [path]  # no partial file left behind


def test_backup_without_gz_is_plain_json(tmp_path, db):
    path = back_up(tmp_path, "registry.json")

    assert json.loads(path.read_text())["format"] == "cpec-registry-backup"


def test_backup_keeps_microseconds_of_timestamps(tmp_path, db):
    project = factories.make_project(slug="karot")
    path = back_up(tmp_path)

    [stored] = [obj for obj in backup_data(path)["objects"] if obj["model"] == "projects.project"]
    assert stored["fields"]["updated_at"] == Project.objects.get(pk=project.pk).updated_at.isoformat()


def test_backup_default_path_is_in_the_backups_directory(monkeypatch, tmp_path, db):
    from registry.management.commands import backup_registry

    monkeypatch.setattr(backup_registry, "DEFAULT_DIRECTORY", tmp_path / "backups")
    out = io.StringIO()

    call_command("backup_registry", stdout=out)

    [path] = (tmp_path / "backups").iterdir()
    assert path.name.startswith("cpec-registry-") and path.name.endswith(".json.gz")
    assert f"to {path}" in out.getvalue()


def test_backup_to_a_place_it_cannot_write_fails_clearly(tmp_path, db):
    (tmp_path / "a-file").write_text("")

    with pytest.raises(CommandError, match="^Backup failed: "):
        call_command("backup_registry", "--output", str(tmp_path / "a-file" / "registry.json.gz"))

    assert [path.name for path in tmp_path.iterdir()] == ["a-file"]


# --- refusals -------------------------------------------------------------------------------------------------


def test_restore_refuses_a_database_with_projects(tmp_path, db):
    factories.make_project(slug="karot")
    path = back_up(tmp_path)

    with pytest.raises(CommandError) as refused:
        restore(path)

    assert str(refused.value).startswith(
        f"{path}: Refusing to restore into a database that already holds data: projects.project (1), "
    )
    assert Project.objects.count() == 1


def test_restore_refuses_a_database_with_only_a_user(tmp_path, db):
    path = back_up(tmp_path)
    User.objects.create_user("admin", password="x-admin-password")

    with pytest.raises(CommandError) as refused:
        restore(path)

    assert str(refused.value) == (
        f"{path}: Refusing to restore into a database that already holds data: auth.user (1). A restore never "
        "merges or overwrites: restore into a new database after `manage.py migrate`, or empty this one with "
        "`manage.py flush` if you are sure nothing in it is needed."
    )


def test_restore_refuses_a_backup_made_at_other_migrations(tmp_path, db):
    data = backup_data(back_up(tmp_path))
    data["migrations"]["projects"].append("0099_future")
    path = write_backup_data(tmp_path / "future.json", data)

    with pytest.raises(CommandError) as refused:
        restore(path)

    assert "projects 0099_future is in the backup, not in this database" in str(refused.value)
    assert "then run `manage.py migrate`" in str(refused.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "This is not a readable registry backup (Expecting value: line 1 column 1 (char 0))."),
        (b"[]", "This is not a registry backup (no format 'cpec-registry-backup'): make backups with backup_registry."),
        (
            b'{"format": "cpec-registry-backup", "version": 2}',
            "Backup format version 2 is not one this code reads (1).",
        ),
        (
            b'{"format": "cpec-registry-backup", "version": 1, "objects": []}',
            "The backup has no 'counts' (was the file cut short?).",
        ),
        (gzip.compress(b'{"format": "cpec-registry-backup"', mtime=0)[:-8], "This is not a readable registry backup ("),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, db, content, message):
    path = tmp_path / "broken.json.gz"
    path.write_bytes(content)

    with pytest.raises(CommandError) as refused:
        restore(path)

    assert str(refused.value).startswith(f"{path}: {message}")


def test_restore_refuses_rows_no_registry_backup_contains(tmp_path, db):
    data = backup_data(back_up(tmp_path))
    data["objects"].append(
        {"model": "sessions.session", "pk": "x", "fields": {"session_data": "", "expire_date": None}}
    )
    path = write_backup_data(tmp_path / "sessions.json", data)

    with pytest.raises(CommandError) as refused:
        restore(path)

    assert str(refused.value) == (
        f"{path}: The backup holds sessions.session rows, which no registry backup contains: refusing it."
    )


# --- all or nothing -------------------------------------------------------------------------------------------


@REAL_TRANSACTIONS
def test_restore_failing_on_the_last_row_stores_nothing(tmp_path):
    editor = editor_user()
    build_registry(editor, token_client(editor))
    data = backup_data(back_up(tmp_path))
    call_command("flush", interactive=False, verbosity=0)
    # A row naming a user the backup does not hold: it fails after every other row was written.
    data["objects"].append(
        {
            "model": "projects.historicalsource",
            "pk": 10**6,
            "fields": {
                "id": 10**6,
                "changed_fields": [],
                "title": "Orphan",
                "history_date": "2025-01-01T00:00:00+00:00",
                "history_type": "+",
                "history_user": ["nobody"],
            },
        }
    )
    data["counts"]["projects.historicalsource"] += 1
    path = write_backup_data(tmp_path / "damaged.json", data)

    with pytest.raises(CommandError) as refused:
        restore(path)

    assert "User matching query does not exist" in str(refused.value)
    assert "nothing was stored" in str(refused.value)
    left = {label: rows for label, rows in table_contents().items() if rows and label not in backup.MIGRATION_ROWS}
    assert left == {}


@REAL_TRANSACTIONS
def test_restore_refuses_a_backup_whose_rows_do_not_match_its_counts(tmp_path):
    factories.make_project(slug="karot")
    data = backup_data(back_up(tmp_path))
    call_command("flush", interactive=False, verbosity=0)
    data["objects"] = [obj for obj in data["objects"] if obj["model"] != "projects.corridor"]
    path = write_backup_data(tmp_path / "cut.json", data)

    with pytest.raises(CommandError) as refused:
        restore(path)

    assert "do not match its own counts" in str(refused.value)
    assert Project.objects.count() == 0


# --- a backup made elsewhere, by the command in its own process ------------------------------------------------

BUILD_SCRIPT = """
from django.contrib.auth.models import User
from tests.safety.sample import build_project, run_as
editor = User.objects.create_user("editor", password="x-editor-password", is_staff=True)
from knox.models import AuthToken
AuthToken.objects.create(user=editor)
build_project()
run_as(editor, lambda: build_project(slug="gone", name="Gone").delete())
"""
DUMP_ARGS = ["dumpdata", "projects", "indicators", "auth.user", "auth.group", "knox", "admin", "--natural-foreign"]


@REAL_TRANSACTIONS
def test_a_backup_made_by_the_command_on_another_database_restores_here(tmp_path, manage):
    # Made on SQLite: when the suite runs on PostgreSQL, this is the move from one to the other.
    elsewhere = {"DJANGO_SETTINGS_MODULE": "registry.test_settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"}
    path = tmp_path / "backups" / "registry.json.gz"
    commands = [["migrate", "--noinput"], ["shell", "-c", BUILD_SCRIPT], ["backup_registry", "--output", str(path)]]
    for command in commands:
        made = manage(*command, env=elsewhere)
        assert made.returncode == 0, made.stderr
    there = manage(*DUMP_ARGS, env=elsewhere).stdout
    call_command("flush", interactive=False, verbosity=0)

    output = restore(path)

    here = io.StringIO()
    call_command(*DUMP_ARGS, stdout=here)
    assert here.getvalue().strip() == there.strip()
    assert '"model": "projects.historicalproject"' in there and '"model": "projects.statuschange"' in there
    assert "rows (projects: 1, history rows: " in output
    with pytest.raises(CommandError, match="Refusing to restore into a database that already holds data"):
        restore(path)


def test_registry_backup_covers_every_model_of_the_registry_apps():
    labels = {model._meta.label_lower for model in backup.backup_models()}

    assert {"projects.project", "projects.historicalproject", "projects.historicalproject_pillars"} <= labels
    assert {"indicators.observation", "indicators.historicalindicator_corridors"} <= labels
    assert {"auth.user", "auth.group", "knox.authtoken", "admin.logentry"} <= labels
    assert labels.isdisjoint({"auth.permission", "contenttypes.contenttype", "sessions.session"})
