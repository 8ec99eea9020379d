"""The data version (registry.data_version): every write to registry data bumps it; nothing else does."""

import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, transaction
from django.db.models import F

from indicators.models import Observation
from projects import choices
from projects.models import Event, EventProject, ExternalIdentifier, Project, Source
from registry import data_version
from tests import factories

REGISTRY_APPS = ("projects", "indicators", "registry")


def version() -> int:
    return data_version.version_or_none()


@pytest.fixture
def every_model(registry):
    """A row in every table of the registry's apps (the ``registry`` fixture, and what it lacks)."""
    karot, source = registry["karot"], factories.SourceFactory()
    karot.sources.add(source)
    factories.add_rate("CNY", 2020, "0.15")
    ExternalIdentifier.objects.create(project=karot, scheme=choices.IdentifierScheme.values[0], value="P-1")
    event = Event.objects.create(
        slug="jcc-11", kind=choices.EventKind.values[0], title="11th JCC", date=datetime.date(2022, 10, 27)
    )
    event.sources.add(source)
    EventProject.objects.create(event=event, project=karot, role=choices.EventRole.values[0])
    indicator = factories.IndicatorFactory(code="gdp-usd")
    indicator.corridors.add(karot.corridor)
    factories.ObservationFactory(indicator=indicator)
    return registry


def registry_models() -> list:
    return [
        model for label in REGISTRY_APPS for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]


def test_data_version_every_model_of_the_registry_apps_has_a_row_here(every_model):
    empty = [model._meta.label for model in registry_models() if not model._base_manager.exists()]

    assert empty == []


@pytest.mark.parametrize("model", registry_models(), ids=lambda model: model._meta.label)
def test_data_version_bumped_by_a_write_to_every_registry_model(every_model, model):
    pk = model._base_manager.order_by().values_list("pk", flat=True).first()
    field = next(field for field in model._meta.concrete_fields if not field.primary_key)
    before = version()

    changed = model._base_manager.filter(pk=pk).update(**{field.attname: F(field.attname)})

    assert changed == 1
    assert version() > before


def test_data_version_bumped_by_save_bulk_create_delete_and_m2m(registry):
    karot = Project.objects.get(slug="karot-hydropower")
    seen = [version()]

    karot.save()
    seen.append(version())
    Source.objects.bulk_create([Source(title="A report", kind=choices.SourceKind.values[0])])
    seen.append(version())
    karot.sources.add(Source.objects.get(title="A report"))
    seen.append(version())
    Source.objects.filter(title="A report").delete()
    seen.append(version())

    assert seen == sorted(set(seen))


def test_data_version_bumped_by_raw_sql(registry):
    before = version()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE projects_project SET name = name")

    assert version() > before


def test_data_version_not_bumped_by_a_write_that_changes_nothing(registry):
    before = version()

    Project.objects.filter(slug="no-such-project").update(name="x")
    Observation.objects.filter(pk__in=[]).delete()

    assert version() == before


def test_data_version_not_bumped_by_users_sessions_or_tokens(db, client):
    before = version()

    user = User.objects.create_user(username="amina", password="x-amina-password")
    client.force_login(user)
    user.set_password("x-new-password")
    user.save()

    assert version() == before


@pytest.mark.django_db(transaction=True)
def test_data_version_bumped_again_when_the_transaction_commits():
    with transaction.atomic():
        factories.SourceFactory()
        factories.SourceFactory()
        during = version()
        waiting = [func for _, func, _ in connection.run_on_commit if func is data_version.bump]

    assert len(waiting) == 1  # once per transaction
    assert version() > during


@pytest.mark.django_db(transaction=True)
def test_data_version_write_after_a_rolled_back_savepoint_waits_for_the_commit_anew():
    with transaction.atomic():
        try:
            with transaction.atomic():
                factories.SourceFactory()
                raise ValueError("undo")  # drops the bump that waited inside the savepoint
        except ValueError:
            pass
        factories.SourceFactory()
        waiting = [func for _, func, _ in connection.run_on_commit if func is data_version.bump]

    assert len(waiting) == 1


def test_data_version_bumped_by_migrate(db):
    before = version()

    emit_post_migrate_signal(0, False, "default")

    assert version() > before


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('SELECT "projects_project"."id" FROM "projects_project"', False),
        ('INSERT INTO "projects_project" ("slug") VALUES (%s)', True),
        ('INSERT OR IGNORE INTO "projects_project_pillars" ("project_id") VALUES (%s)', True),
        ('UPDATE "indicators_observation" SET "value" = %s', True),
        ('DELETE FROM "registry_changeentry" WHERE "id" IN (%s)', True),
        ('TRUNCATE "auth_group", "projects_project"', True),
        ("WITH doomed AS (SELECT 1) DELETE FROM projects_source", True),
        ('UPDATE "auth_user" SET "last_login" = %s', False),
        ('INSERT INTO "django_session" ("session_key") VALUES (%s)', False),
        ('INSERT INTO "knox_authtoken" ("digest") VALUES (%s)', False),
        ('DELETE FROM "django_admin_log"', False),
        ("SAVEPOINT s1", False),
    ],
)
def test_data_version_writes_registry_data_reads_the_statement(db, sql, writes):
    assert data_version.writes_registry_data(sql) is writes


def test_data_version_kept_value_computed_once_per_version(registry):
    computed = []

    def compute():
        computed.append(Project.objects.count())
        return computed[-1]

    first, again = data_version.kept("test.count", compute), data_version.kept("test.count", compute)
    factories.make_project(slug="one-more")
    after_a_write = data_version.kept("test.count", compute)

    assert (first, again, after_a_write) == (computed[0], computed[0], computed[0] + 1)
    assert len(computed) == 2


def test_data_version_kept_is_none_without_a_shared_version(registry, settings):
    settings.DATA_VERSION_SHARED = False  # several workers, each with its own memory, and no REDIS_URL

    assert data_version.kept("test.count", Project.objects.count) is None
