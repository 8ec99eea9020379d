"""Test data built once per test process and restored as rows into each test that asks for it: a template, in rows.

The first test of a process that asks for the data builds it with the real builders (factories and services: history,
change feed, derived fields, all of it), and the rows that build inserted are kept. Later tests get those rows back
with one INSERT per table (and the sequences moved past them on PostgreSQL), with every date and time shifted by the
time since the build ended, so the data reads as made just before the test: about twenty times cheaper than a build.

It is used only when it cannot differ from a build: the tables that the build reads must be as they were before the
first build (``Signature``: rows and highest key per table, Django's private tables aside); otherwise, and when the
build changed or deleted rows that were there before it, the test builds for real. tests/test_snapshots.py checks that
a restore leaves the database exactly as a build does.
"""

import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from registry.data_version import PRIVATE_APPS


def all_models() -> list[type[models.Model]]:
    """Every table Django manages, once (auto-created many-to-many tables included)."""
    seen, found = set(), []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        found.append(model)
    return found


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


Signature = tuple[tuple[str, int, str | None], ...]


def signature() -> Signature:
    """Rows and highest primary key of every table that registry data lives in, in one query."""
    parts = [
        f"SELECT '{model._meta.db_table}', COUNT(*), CAST(MAX({_quote(model._meta.pk.column)}) AS TEXT) "
        f"FROM {_quote(model._meta.db_table)}"
        for model in all_models()
        if model._meta.app_label not in PRIVATE_APPS
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return tuple(sorted(cursor.fetchall()))


def rows_of(model: type[models.Model]) -> tuple[list[str], dict[Any, tuple]]:
    """A table's columns and its rows by primary key, as the database driver returns them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {_quote(model._meta.db_table)}")
        columns = [column[0] for column in cursor.description]
        key = columns.index(model._meta.pk.column)
        return columns, {row[key]: row for row in cursor.fetchall()}


@dataclasses.dataclass
class _Table:
    model: type[models.Model]
    columns: list[str]
    rows: list[tuple]


@dataclasses.dataclass
class Snapshot:
    before: Signature
    made_at: datetime.datetime
    tables: list[_Table]
    objects: Any  # the build's result, with each model instance replaced by (model, pk)

    def restore(self, now: datetime.datetime | None = None) -> Any:
        """Insert the rows into the current transaction and return the build's result with fresh instances; times
        move by ``now`` (default: the current time) less the end of the build."""
        shift = (now or timezone.now()) - self.made_at
        with transaction.atomic(), connection.cursor() as cursor:  # keys are checked at the end (tables in any order)
            for table in self.tables:
                timed = _datetime_columns(table.model, table.columns)
                rows = [_shifted(row, timed, shift) for row in table.rows]
                placeholders = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(
                    f"INSERT INTO {_quote(table.model._meta.db_table)} "
                    f"({', '.join(_quote(column) for column in table.columns)}) VALUES ({placeholders})",
                    rows,
                )
            for statement in connection.ops.sequence_reset_sql(no_style(), [table.model for table in self.tables]):
                cursor.execute(statement)
        return _instances(self.objects)


def _datetime_columns(model, columns: list[str]) -> set[int]:
    names = {field.column for field in model._meta.concrete_fields if isinstance(field, models.DateTimeField)}
    return {index for index, column in enumerate(columns) if column in names}


def _shifted(row: tuple, timed: set[int], shift: datetime.timedelta) -> tuple:
    """The row with its times moved. (JSON comes back from both databases as text, and goes back in as text.)"""
    return tuple(value + shift if index in timed and value is not None else value for index, value in enumerate(row))


def _references(value):
    """The build's result with model instances as (model, pk), so that a restore can fetch them anew."""
    if isinstance(value, models.Model):
        return (type(value), value.pk)
    if isinstance(value, dict):
        return {key: _references(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_references(item) for item in value]
    raise TypeError(f"a snapshot keeps model instances in dicts and lists, not {type(value).__name__}")


def _instances(value):
    if isinstance(value, tuple):
        model, pk = value
        return model._default_manager.get(pk=pk)
    if isinstance(value, dict):
        return {key: _instances(item) for key, item in value.items()}
    return [_instances(item) for item in value]


class UnsupportedBuild(Exception):
    """The build changed rows that were there before it: inserting its rows would not repeat it."""


def capture(build: Callable[[], Any], before: Signature) -> tuple[Any, Snapshot]:
    tables_before = {model: rows_of(model) for model in all_models()}
    result = build()
    made_at = timezone.now()  # when the build ended: a restore shifts it to the restore's own "now"
    tables = []
    for model, (_, old) in tables_before.items():
        columns, new = rows_of(model)
        changed = [key for key, row in old.items() if new.get(key) != row]
        if changed:
            raise UnsupportedBuild(f"the build changed or deleted rows of {model._meta.db_table}: {changed[:5]}")
        inserted = [row for key, row in new.items() if key not in old]
        if inserted:
            tables.append(_Table(model, columns, inserted))
    return result, Snapshot(before, made_at, tables, _references(result))


_SNAPSHOTS: dict[tuple[str, str], Snapshot | None] = {}


def built_or_restored(name: str, build: Callable[[], Any]) -> Any:
    """``build()``'s result: built for real the first time in this process (or whenever the database is not as it
    was then), restored from the rows of that first build otherwise."""
    key = (name, connection.vendor)
    before = signature()
    snapshot = _SNAPSHOTS.get(key)
    if snapshot is not None and snapshot.before == before:
        return snapshot.restore()
    if key in _SNAPSHOTS:
        return build()  # the database differs from the first time (or the build cannot be repeated by rows)
    try:
        result, _SNAPSHOTS[key] = capture(build, before)
    except UnsupportedBuild:
        _SNAPSHOTS[key] = None
        raise
    return result
