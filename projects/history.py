"""Change history for every registry model (django-simple-history), with the changed fields stored per record.

Each historical row keeps who, when, what kind of change and which fields changed, so the project history
endpoint and the change feed read it without re-diffing. ``recorded_as_one_change`` lets a service that saves a
record and its many-to-many fields in several steps leave one history entry instead of one per step.
"""

from contextlib import contextmanager

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record

# Bookkeeping columns that change on every save and say nothing to a reader.
UNTRACKED_FIELDS = {"id", "updated_at", "created_at"}


class ChangedFieldsHistory(models.Model):
    """Abstract base of every historical model: adds the list of fields the change touched."""

    changed_fields = models.JSONField(default=list, blank=True)

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


@contextmanager
def recorded_as_one_change(instance, *, created: bool):
    """Suppress history for the saves inside the block, then record one entry for the whole change."""
    instance.skip_history_when_saving = True
    try:
        yield instance
    finally:
        del instance.skip_history_when_saving
    type(instance)._tracked_history.create_historical_record(instance, "+" if created else "~")


def _field_names(history_instance) -> list[str]:
    model = history_instance.instance_type
    names = [
        field.name
        for field in model._meta.concrete_fields
        if field.name not in UNTRACKED_FIELDS and field.name in {f.name for f in history_instance._meta.fields}
    ]
    names += [field.name for field in getattr(history_instance, "_history_m2m_fields", [])]
    return names


def _changed_fields(history_instance) -> list[str]:
    if history_instance.history_type == "-":
        return []
    if history_instance.history_type == "+":
        changed = []
        for name in _field_names(history_instance):
            field = history_instance.instance_type._meta.get_field(name)
            if field.many_to_many:
                if getattr(history_instance, name).exists():
                    changed.append(name)
            elif getattr(history_instance, field.attname) not in (None, "", [], {}):
                changed.append(name)
        return changed
    previous = history_instance.prev_record
    if previous is None:
        return _field_names(history_instance)
    included = {field.name for field in previous.tracked_fields}
    included |= {field.name for field in previous._history_m2m_fields}
    delta = history_instance.diff_against(previous, included_fields=included, excluded_fields=UNTRACKED_FIELDS)
    return sorted(change.field for change in delta.changes)


@receiver(post_create_historical_record)
def store_changed_fields(sender, history_instance, **kwargs):
    if not isinstance(history_instance, ChangedFieldsHistory):
        return
    changed = _changed_fields(history_instance)
    if changed:
        history_instance.changed_fields = changed
        type(history_instance).objects.filter(pk=history_instance.pk).update(changed_fields=changed)
