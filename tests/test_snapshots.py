"""The test-data snapshots (tests/snapshots.py): a restore leaves the database exactly as the build it was taken of."""

import datetime

import pytest
from django.db import models, transaction

from projects.models import Organisation, Project
from tests import factories, snapshots
from tests.api_fixtures import _build_vocab_and_registry


def registry_rows() -> dict[str, set[tuple]]:
    """Every row of every table that registry data lives in (Django's private tables aside)."""
    return {
        model._meta.db_table: set(snapshots.rows_of(model)[1].values())
        for model in snapshots.all_models()
        if model._meta.app_label not in snapshots.PRIVATE_APPS
    }


def built_then_undone():
    """The snapshot of a real build, the rows that build left, and the database put back as it was before it."""
    with transaction.atomic():
        result, snapshot = snapshots.capture(_build_vocab_and_registry, snapshots.signature())
        built = registry_rows()
        transaction.set_rollback(True)
    return result, snapshot, built


def datetime_columns_moved(rows: dict[str, set[tuple]], by: datetime.timedelta) -> dict[str, set[tuple]]:
    moved = {}
    for model in snapshots.all_models():
        table = model._meta.db_table
        if table not in rows:
            continue
        columns = snapshots.rows_of(model)[0]
        timed = {field.column for field in model._meta.concrete_fields if isinstance(field, models.DateTimeField)}
        indexes = [index for index, column in enumerate(columns) if column in timed]
        moved[table] = {
            tuple(value + by if index in indexes and value is not None else value for index, value in enumerate(row))
            for row in rows[table]
        }
    return moved


def test_snapshot_restore_leaves_every_row_the_build_left(db):
    _, snapshot, built = built_then_undone()
    assert Project.objects.count() == 0

    snapshot.restore(now=snapshot.made_at)

    assert registry_rows() == built


def test_snapshot_restore_moves_every_date_and_time_by_the_time_since_the_build(db):
    _, snapshot, built = built_then_undone()
    day = datetime.timedelta(days=1)

    snapshot.restore(now=snapshot.made_at + day)

    assert registry_rows() == datetime_columns_moved(built, day)


def test_snapshot_restore_returns_fresh_instances_of_the_same_rows(db):
    result, snapshot, _ = built_then_undone()

    restored = snapshot.restore()

    assert {slug: project.pk for slug, project in restored["registry"].items()} == {
        slug: project.pk for slug, project in result["registry"].items()
    }
    assert restored["registry"]["karot"].name == "Karot Hydropower Project"
    assert restored["vocab"]["corridors"]["green"].pk == result["vocab"]["corridors"]["green"].pk


def test_snapshot_restore_new_rows_take_keys_after_the_restored_ones(db):
    _, snapshot, _ = built_then_undone()
    snapshot.restore()
    highest = max(Project.objects.values_list("pk", flat=True))

    project = factories.make_project(slug="after-the-restore")

    assert project.pk > highest


@pytest.mark.django_db
def test_snapshot_built_for_real_when_another_row_is_already_there():
    with transaction.atomic():
        snapshots.built_or_restored("snapshot-fallback", _build_vocab_and_registry)  # taken here
        transaction.set_rollback(True)
    factories.OrganisationFactory(slug="already-here")

    result = snapshots.built_or_restored("snapshot-fallback", _build_vocab_and_registry)

    assert Organisation.objects.count() == 3  # a restore would have repeated the first build's keys and collided
    assert sorted(result["registry"]) == ["draft", "karot", "ml1", "sahiwal", "zone"]


def test_snapshot_refuses_a_build_that_changes_rows_already_there(db):
    organisation = factories.OrganisationFactory(slug="changed-by-the-build")

    def build():
        Organisation.objects.filter(pk=organisation.pk).update(name="Renamed")
        return {}

    with pytest.raises(snapshots.UnsupportedBuild, match="the build changed or deleted rows of projects_organisation"):
        snapshots.capture(build, snapshots.signature())


@pytest.mark.django_db(transaction=True)
def test_snapshot_restore_outside_a_transaction_checks_keys_at_the_end():
    with transaction.atomic():
        _, snapshot, built = built_then_undone()

    snapshot.restore(now=snapshot.made_at)  # projects are inserted before the corridors they name: one transaction

    assert registry_rows() == built
