"""Change history for every registry model (django-simple-history), with the changed fields stored per record.

Each historical row keeps who, when, what kind of change and which fields changed, so the project history
endpoint and the change feed read it without re-diffing. ``recorded_as_one_change`` lets a service that saves a
record and its many-to-many fields in several steps leave one history entry instead of one per step, and
``one_change_per_record`` does the same for a write made of several service calls. The deletion records written by
one deletion (a record and the rows it cascades to) carry the same ``deletion_batch`` (``BatchedDeletion``), so a
restore knows which rows went with the record.
"""

import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from registry import feed

# Bookkeeping columns that change on every save and say nothing to a reader.
UNTRACKED_FIELDS = {"id", "updated_at", "created_at"}


class ChangedFieldsHistory(models.Model):
    """Abstract base of every historical model: adds the list of fields the change touched."""

    changed_fields = models.JSONField(default=list, blank=True)
    # On a deletion record: the deletion that removed the row (``deletion_batch``); null on other records, on rows
    # deleted outside one, and on deletions recorded before the field existed.
    deletion_batch = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True


class TrackedHistory(HistoricalRecords):
    """``HistoricalRecords`` with ``changed_fields`` and a handle for ``recorded_as_one_change``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("bases", [ChangedFieldsHistory])
        super().__init__(**kwargs)

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if self.cls is sender:
            sender._tracked_history = self


# The records of the change being made (``one_change_per_record``): (instance, created) pairs, recorded at its end.
_open_change: ContextVar[list | None] = ContextVar("open_history_change", default=None)


@contextmanager
def one_change_per_record():
    """Leave one history entry per record for everything ``recorded_as_one_change`` saves inside the block.

    A write made of several service calls (the admin saving a project with its status history and figures, whose
    derived fields each call recomputes) then reads as one change of the project, recorded with its final values.
    Blocks nest: the outermost one records. A failed block records nothing.
    """
    if _open_change.get() is not None:
        yield
        return
    records: list = []
    token = _open_change.set(records)
    try:
        yield
    finally:
        _open_change.reset(token)
        for instance, _ in records:
            if hasattr(instance, "skip_history_when_saving"):
                del instance.skip_history_when_saving
    # Reached only when the block succeeded: a failed change leaves no entry (and, on PostgreSQL, must not query
    # inside the aborted transaction, which would hide the original error).
    for instance, created in records:
        type(instance)._tracked_history.create_historical_record(instance, "+" if created else "~")


@contextmanager
def recorded_as_one_change(instance, *, created: bool):
    """Suppress history for the saves inside the block, then record one entry for the whole change."""
    with one_change_per_record():
        records = _open_change.get()
        if not any(recorded is instance for recorded, _ in records):
            records.append((instance, created))
        instance.skip_history_when_saving = True
        yield instance


# The deletion in progress (``deletion_batch``): its id, stamped on every deletion record written inside it.
_open_deletion: ContextVar[uuid.UUID | None] = ContextVar("open_deletion", default=None)


@contextmanager
def deletion_batch():
    """Give the deletion records written inside the block (Django's cascade included) one id, new for each
    outermost block, so that what was deleted together can be told apart from what was deleted before or after."""
    if _open_deletion.get() is not None:
        yield
        return
    token = _open_deletion.set(uuid.uuid4())
    try:
        yield
    finally:
        _open_deletion.reset(token)


class BatchedDeletionQuerySet(models.QuerySet):
    """A queryset whose ``delete()`` is one deletion batch (the admin's "Delete selected", a bulk delete)."""

    def delete(self):
        with deletion_batch():
            return super().delete()


class BatchedDeletion(models.Model):
    """A model whose ``delete()`` is one deletion batch: its record and the rows it cascades to share the id. Use
    with a manager built on ``BatchedDeletionQuerySet`` so that bulk deletes are batches too."""

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        with deletion_batch():
            return super().delete(*args, **kwargs)


@receiver(pre_create_historical_record)
def stamp_deletion_batch(sender, history_instance, **kwargs):
    if isinstance(history_instance, ChangedFieldsHistory) and history_instance.history_type == "-":
        history_instance.deletion_batch = _open_deletion.get()


def join_open_change(instance) -> None:
    """Inside ``one_change_per_record``, count ``instance`` as changed by it even if this step saved nothing: a later
    step (the derived fields recomputed) then records into its one entry instead of one of its own."""
    records = _open_change.get()
    if records is not None and not any(recorded is instance for recorded, _ in records):
        records.append((instance, False))
        instance.skip_history_when_saving = True


def _field_names(history_instance) -> list[str]:
    model = history_instance.instance_type
    names = [
        field.name
        for field in model._meta.concrete_fields
        if field.name not in UNTRACKED_FIELDS and field.name in {f.name for f in history_instance._meta.fields}
    ]
    # The tracked many-to-many fields in the model's declaration order (simple-history keeps them in a set).
    tracked = {field.name for field in getattr(history_instance, "_history_m2m_fields", [])}
    names += [field.name for field in model._meta.many_to_many if field.name in tracked]
    return names


def _m2m_ids(history_instance, field) -> set:
    """The ids of the related objects a historical record's many-to-many field held."""
    return set(getattr(history_instance, field.name).values_list(f"{field.m2m_reverse_field_name()}_id", flat=True))


def _previous_record(history_instance):
    """The record before this one; equal timestamps are ordered by history id."""
    same_date_before = Q(history_date=history_instance.history_date, history_id__lt=history_instance.history_id)
    return (
        type(history_instance)
        .objects.filter(id=history_instance.id)
        .filter(Q(history_date__lt=history_instance.history_date) | same_date_before)
        .order_by("history_date", "history_id")
        .last()
    )


def _changed_fields(history_instance) -> list[str]:
    if history_instance.history_type == "-":
        return []
    model = history_instance.instance_type
    if history_instance.history_type == "+":
        changed = []
        for name in _field_names(history_instance):
            field = model._meta.get_field(name)
            if field.many_to_many:
                if getattr(history_instance, name).exists():
                    changed.append(name)
            elif getattr(history_instance, field.attname) not in (None, "", [], {}):
                changed.append(name)
        return changed
    previous = _previous_record(history_instance)
    if previous is None:
        return _field_names(history_instance)
    # Compared here, not with simple_history's diff_against: it reads values through model_to_dict, which leaves out
    # non-editable fields, and so fails with a KeyError on the project's derived fields.
    changed = []
    for name in _field_names(history_instance):
        field = model._meta.get_field(name)
        if field.many_to_many:
            if _m2m_ids(history_instance, field) != _m2m_ids(previous, field):
                changed.append(name)
        elif field.to_python(getattr(history_instance, field.attname)) != field.to_python(
            getattr(previous, field.attname)
        ):
            changed.append(name)
    return sorted(changed)


@receiver(post_create_historical_record)
def store_changed_fields(sender, history_instance, **kwargs):
    """Store the fields the change touched and write its change-feed entries; a save that changed nothing leaves
    no history entry (the write paths do not make such saves; this keeps any other path from recording one)."""
    if not isinstance(history_instance, ChangedFieldsHistory):
        return
    changed = _changed_fields(history_instance)
    if history_instance.history_type == "~" and not changed:
        type(history_instance).objects.filter(pk=history_instance.pk).delete()
        return
    if changed:
        history_instance.changed_fields = changed
        type(history_instance).objects.filter(pk=history_instance.pk).update(changed_fields=changed)
    feed.record_change(history_instance, changed)
