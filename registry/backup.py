"""Whole-registry backups: every row of the registry, its change history and the accounts the history names, in one
portable JSON file (gzip when the name ends in .gz) that restores into an empty SQLite or PostgreSQL database.

The file holds Django's serialized objects (the ``dumpdata`` shape) under a header naming the format and the
migrations it was made at. Users are kept with their password hashes, and API tokens as knox keeps them (a digest
and the first characters of each key, enough to find it, not to use it): the file is still a secret.
``backup_registry`` and ``restore_registry`` are the management commands around this module.
"""

import datetime
import gzip
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max
from django.utils import timezone

FORMAT = "cpec-registry-backup"
VERSION = 1
SUPPORTED_VENDORS = ("sqlite", "postgresql")
# Every model of these apps is backed up, but the excluded ones: content types and permissions are created by
# ``migrate`` in every database (groups and users refer to them by natural key), sessions are disposable.
# The apps themselves are named by the project's settings (REGISTRY_BACKUP), not here: this module knows no app.
BACKUP_APPS = ("auth", "knox", "admin", "registry", *settings.REGISTRY_BACKUP["APPS"])
EXCLUDED_MODELS = {"auth.permission"}
# Rows a migration creates in every database: a restore finds them there and overwrites them with the backup's.
MIGRATION_ROWS = set(settings.REGISTRY_BACKUP["MIGRATION_ROWS"])
# The model an operator must not lose: listed first when a restore is refused, counted in the reports.
MAIN_MODEL = settings.REGISTRY_BACKUP["MAIN_MODEL"]
# The migrations of these apps decide the shape of the backed-up rows.
SCHEMA_APPS = (*BACKUP_APPS, "contenttypes")
CHUNK_SIZE = 1000


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says why and what to do."""


class BackupJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, but keeping every microsecond.

    DjangoJSONEncoder cuts datetimes to milliseconds: history entries written within one millisecond would change
    order, and every timestamp the API shows would change.
    """

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def backup_models() -> list[type[models.Model]]:
    """The backed-up models, each after those its natural-key references need (users after groups, ...)."""
    selected = []
    for label in BACKUP_APPS:
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in app_config.get_models():
            meta = model._meta
            if not meta.proxy and meta.managed and meta.label_lower not in EXCLUDED_MODELS:
                selected.append(model)
    return serializers.sort_dependencies([(None, selected)], allow_cycles=True)


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied = defaultdict(list)
    for app_label, name in MigrationRecorder(connections[using]).applied_migrations():
        if app_label in SCHEMA_APPS:
            applied[app_label].append(name)
    return {app_label: sorted(names) for app_label, names in sorted(applied.items())}


def check_vendor(using: str = DEFAULT_DB_ALIAS) -> None:
    vendor = connections[using].vendor
    if vendor not in SUPPORTED_VENDORS:
        raise BackupError(f"Backups support {' and '.join(SUPPORTED_VENDORS)} databases, not {vendor}.")


# --- backup ---------------------------------------------------------------------------------------------------


def _serialized(model: type[models.Model], using: str) -> Iterator[dict[str, Any]]:
    """The model's rows as ``dumpdata`` objects, in primary-key order, a chunk at a time."""
    meta = model._meta
    # Users, groups, permissions and content types are named by natural key: their ids differ between databases.
    natural = [
        field.name
        for field in meta.concrete_fields
        if field.is_relation and hasattr(field.related_model, "natural_key")
    ]
    queryset = (
        model._base_manager.using(using)
        .select_related(*natural)
        .prefetch_related(*[field.name for field in meta.many_to_many])
        .order_by(meta.pk.name)
    )
    rows = queryset.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
        yield from serializers.serialize("python", chunk, use_natural_foreign_keys=True)


def write_backup(stream: IO[str], *, using: str = DEFAULT_DB_ALIAS) -> Counter:
    """Write the whole registry to ``stream`` as one consistent snapshot; return the number of rows per model."""
    check_vendor(using)
    connection = connections[using]
    counts = Counter()
    starts_transaction = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if starts_transaction and connection.vendor == "postgresql":
            # One snapshot of every table, so that editors saving meanwhile cannot tear the backup.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        header = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "migrations": applied_migrations(using),
        }
        stream.write("{\n")
        for key, value in header.items():
            stream.write(f" {json.dumps(key)}: {json.dumps(value)},\n")
        stream.write(' "objects": [')
        separator = "\n"
        for model in backup_models():
            for obj in _serialized(model, using):
                stream.write(separator + json.dumps(obj, cls=BackupJSONEncoder, ensure_ascii=False))
                separator = ",\n"
                counts[model._meta.label_lower] += 1
    stream.write(f'\n],\n "counts": {json.dumps(dict(sorted(counts.items())))}\n}}\n')
    return counts


# --- restore --------------------------------------------------------------------------------------------------


def read_backup(stream: IO[bytes]) -> dict[str, Any]:
    """Parse a backup file (gzip or plain JSON) and check that it is a backup this code can restore."""
    is_gzip = stream.read(2) == b"\x1f\x8b"
    stream.seek(0)
    try:
        if is_gzip:
            with gzip.open(stream, "rt", encoding="utf-8") as text:
                data = json.load(text)
        else:
            data = json.loads(stream.read().decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(f"This is not a readable registry backup ({error}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"This is not a registry backup (no format {FORMAT!r}): make backups with backup_registry.")
    if data.get("version") != VERSION:
        raise BackupError(f"Backup format version {data.get('version')!r} is not one this code reads ({VERSION}).")
    for key, kind in (("objects", list), ("counts", dict), ("migrations", dict)):
        if not isinstance(data.get(key), kind):
            raise BackupError(f"The backup has no {key!r} (was the file cut short?).")
    return data


def check_migrations(backup_migrations: dict[str, list[str]], using: str = DEFAULT_DB_ALIAS) -> None:
    """Refuse a backup made at other migrations than the database's: its rows would not fit the tables."""
    here = applied_migrations(using)
    problems = []
    for app_label in sorted(set(here) | set(backup_migrations)):
        theirs, ours = set(backup_migrations.get(app_label, [])), set(here.get(app_label, []))
        if theirs - ours:
            problems.append(f"{app_label} {', '.join(sorted(theirs - ours))} is in the backup, not in this database")
        if ours - theirs:
            problems.append(f"{app_label} {', '.join(sorted(ours - theirs))} is in this database, not in the backup")
    if problems:
        state = ", ".join(f"{app} {names[-1]}" for app, names in sorted(backup_migrations.items()) if names)
        raise BackupError(
            f"The backup was made at other migrations than this database's ({'; '.join(problems)}). Restore it with "
            f"the code that made it, into a database migrated to the backup's state ({state}), then run "
            "`manage.py migrate` to bring the restored registry up to date."
        )


def non_empty_tables(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """The backed-up models that already hold rows (other than the rows migrations create), with their counts."""
    found = {}
    for model in backup_models():
        label = model._meta.label_lower
        if label not in MIGRATION_ROWS:
            count = model._base_manager.using(using).count()
            if count:
                found[label] = count
    return found


def check_empty(using: str = DEFAULT_DB_ALIAS) -> None:
    found = non_empty_tables(using)
    if found:
        # The main model first (projects): it is what an operator must not lose by restoring over it.
        ordered = sorted(found.items(), key=lambda item: item[0] != MAIN_MODEL)
        listing = ", ".join(f"{label} ({count})" for label, count in ordered)
        raise BackupError(
            f"Refusing to restore into a database that already holds data: {listing}. A restore never merges or "
            "overwrites: restore into a new database after `manage.py migrate`, or empty this one with "
            "`manage.py flush` if you are sure nothing in it is needed."
        )


def summary(counts: Counter) -> str:
    """How many rows, and of those how many of the main model's (projects), history rows and users: for the
    commands' reports."""
    history = sum(count for label, count in counts.items() if label.split(".")[1].startswith("historical"))
    main = apps.get_model(MAIN_MODEL)._meta.verbose_name_plural
    return (
        f"{sum(counts.values())} rows ({main}: {counts[MAIN_MODEL]}, history rows: {history}, "
        f"users: {counts['auth.user']})"
    )


def restored_tables() -> list[str]:
    """The tables a restore writes: the backed-up models' and their many-to-many link tables."""
    tables = []
    for model in backup_models():
        tables.append(model._meta.db_table)
        tables += [field.remote_field.through._meta.db_table for field in model._meta.local_many_to_many]
    return tables


def _m2m_rows(obj: models.Model, m2m_data: dict[str, list]) -> Iterator[models.Model]:
    for name, related_pks in m2m_data.items():
        field = obj._meta.get_field(name)
        source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
        for related_pk in related_pks:
            yield field.remote_field.through(**{source: obj.pk, target: related_pk})


def _load(objects: list, using: str) -> Counter:
    allowed = {model._meta.label_lower: model for model in backup_models()}
    prefilled = {label for label in MIGRATION_ROWS if allowed[label]._base_manager.using(using).exists()}
    counts = Counter()
    links = defaultdict(list)
    for deserialized in serializers.deserialize("python", objects, using=using):
        obj = deserialized.object
        label = obj._meta.label_lower
        if label not in allowed:
            raise BackupError(f"The backup holds {label} rows, which no registry backup contains: refusing it.")
        m2m_data = deserialized.m2m_data or {}
        # A raw save, as loaddata's: timestamps as stored and no history entry. The many-to-many rows are written
        # directly below, because setting them through the relation would record a history entry per object.
        deserialized.save(using=using, save_m2m=False, force_insert=label not in prefilled)
        for row in _m2m_rows(obj, m2m_data):
            links[type(row)].append(row)
        counts[label] += 1
    for through, rows in links.items():
        through._base_manager.using(using).bulk_create(rows, batch_size=CHUNK_SIZE)
    return counts


def _sequence_floor(model: type[models.Model], using: str) -> int:
    """The highest id the model's rows ever had: deleted rows keep theirs in the change history."""
    highest = model._base_manager.using(using).aggregate(highest=Max("pk"))["highest"] or 0
    history_attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    if history_attribute:
        history = getattr(model, history_attribute).model
        highest = max(highest, history._base_manager.using(using).aggregate(highest=Max("id"))["highest"] or 0)
    return highest


def reset_sequences(restored: list[type[models.Model]], using: str = DEFAULT_DB_ALIAS) -> None:
    """Make new rows get ids above every restored one, and above every id the history remembers.

    Without the second part, a project deleted before the backup could see its id reused by a new project, whose
    history would then show the deleted one's past, and which would block restoring the deleted one.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), restored):
            cursor.execute(sql)
        for model in restored:
            pk = model._meta.pk
            if not isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
                continue
            floor = _sequence_floor(model, using)
            if not floor:
                continue
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s, true)",
                    [connection.ops.quote_name(table), pk.column, floor],
                )
            else:  # SQLite: AUTOINCREMENT tables keep their high-water mark in sqlite_sequence
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                if row is None:
                    cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, floor])
                elif row[0] < floor:
                    cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [floor, table])


def restore_backup(data: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> Counter:
    """Restore a backup read by ``read_backup`` into an empty database, all or nothing; return the rows per model."""
    check_vendor(using)
    check_migrations(data["migrations"], using)
    connection = connections[using]
    ContentType.objects.clear_cache()  # a flush may have given the content types new ids
    try:
        with transaction.atomic(using=using):
            check_empty(using)
            counts = _load(data["objects"], using)
            expected = Counter({label: count for label, count in data["counts"].items() if count})
            if counts != expected:
                difference = sorted(set(counts.items()) ^ set(expected.items()))
                raise BackupError(f"The backup's rows do not match its own counts ({difference}): it is damaged.")
            connection.check_constraints(table_names=restored_tables())
            reset_sequences(backup_models(), using)
    except (DeserializationError, ObjectDoesNotExist, DatabaseError, KeyError, TypeError, ValueError) as error:
        raise BackupError(f"The backup could not be restored, and nothing was stored: {error}") from error
    return counts
