"""The admin's lost-update guard: every change form (and every inline row) carries the version of the row it shows.

A row's **version** is its stored values, as the page showed them, for the fields the form edits (many-to-many
fields as sorted ids), signed so that it comes back as it was sent. Values a save changes on its own (derived
fields, ``updated_at``) are left out, so that adding a figure does not put the project's own form in conflict.

When a form comes back with a version whose values are no longer the row's, someone else saved the row meanwhile.
The save is refused when it would undo any of their changes (the form posts the old value of a field they changed):
the message lists what they changed ("Name: X → Y", with who and when from the row's history), what the editor's
own page would have changed, and links to a reload of the page. Deleting a row someone else changed meanwhile is
refused likewise. A form posted without a version is not checked (like an API write without ``If-Match``).
"""

import json

from django import forms
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

VERSION_FIELD = "version"
SALT = "registry.admin_versions"
RELOAD = mark_safe('<a href="" class="reload-link">reload the page</a>')


def _model_field(instance: models.Model, name: str) -> models.Field | None:
    try:
        return instance._meta.get_field(name)
    except FieldDoesNotExist:  # a form field that is not a model field (e.g. the version itself)
        return None


def stored_values(instance: models.Model, names) -> dict[str, object]:
    """The row's stored values of ``names``, in comparable form: ids for relations, sorted ids for many-to-many."""
    values = {}
    for name in names:
        field = _model_field(instance, name)
        if field is None or not (field.concrete or field.many_to_many):
            continue
        if field.many_to_many:
            values[name] = sorted(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else []
        else:
            values[name] = getattr(instance, field.attname)
    return values


def comparable(value) -> object:
    """A posted (cleaned) value in the form ``stored_values`` gives: ids for rows, sorted ids for row lists."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet | list | tuple):
        return sorted(item.pk if isinstance(item, models.Model) else item for item in value)
    return value


def as_json(values: dict[str, object]) -> dict[str, object]:
    """Values as they travel in a version: dates, decimals and the like as their text."""
    return json.loads(json.dumps(values, default=str))


def version_of(values: dict[str, object]) -> str:
    """The version a form carries: the row's values, signed (and compressed)."""
    return signing.dumps(as_json(values), salt=SALT, compress=True)


def read_version(version: str) -> dict[str, object] | None:
    """The values a version carries, or None when it is not one this registry signed."""
    try:
        values = signing.loads(version, salt=SALT)
    except signing.BadSignature:
        return None
    return values if isinstance(values, dict) else None


def _shown(form: forms.BaseForm, name: str, value) -> str:
    """A value as the editor reads it: choice labels, row names, ISO dates, "(empty)"."""
    field = form.fields[name]
    if value in (None, "", []):
        return "(empty)"
    if isinstance(field, forms.ModelMultipleChoiceField):
        return ", ".join(str(item) for item in field.queryset.filter(pk__in=value)) or "(empty)"
    if isinstance(field, forms.ModelChoiceField):
        item = field.queryset.filter(pk=value).first()
        return str(item) if item is not None else str(value)
    if isinstance(field, forms.BooleanField):
        return "yes" if value else "no"
    choices = dict(getattr(field, "choices", None) or [])
    return str(choices.get(value, value))


def last_saved_by(instance: models.Model) -> str:
    """ "by amina on 2026-01-05 at 10:42" from the row's history (without the name when none was recorded)."""
    history = getattr(instance, "history", None)
    record = history.order_by("-history_date", "-history_id").first() if history is not None else None
    if record is None:
        return ""
    when = timezone.localtime(record.history_date)
    who = f"by {record.history_user} " if record.history_user else ""
    return f" ({who}on {when:%Y-%m-%d} at {when:%H:%M})"


class VersionedFormMixin:
    """For ``ModelForm``s: a hidden ``version`` and the check that refuses a save over someone else's change;
    errors keep the model's own messages.

    The field is declared (the form metaclass collects ``declared_fields`` from bases), so inline rows render it as
    a hidden column; a change form renders it at the top of the form (``admin/change_form.html``).
    """

    declared_fields = {VERSION_FIELD: forms.CharField(widget=forms.HiddenInput, required=False)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = [name for name in self.fields if name != VERSION_FIELD]
        self.stored = stored_values(self.instance, names) if self.instance.pk is not None else None
        # The version of the row as it is now: what the page shows, and what a reload gets.
        self.initial[VERSION_FIELD] = version_of(self.stored) if self.stored is not None else ""

    def _update_errors(self, errors):
        # Keep the model's messages (the API shows the same ones) instead of the form field's generic message for
        # the same error code ("Enter a valid URL." for "Enter an http:// or https:// URL.").
        self.add_error(None, errors)

    @property
    def changed_data(self):
        # The version is bookkeeping, not an edit: an extra inline row is still "empty" whatever version it carries.
        return [name for name in forms.BaseForm.changed_data.func(self) if name != VERSION_FIELD]

    def opened_values(self) -> dict[str, object] | None:
        """The row's values when the page was opened ({} when the version cannot be read; None without one)."""
        posted = (getattr(self, "cleaned_data", None) or {}).get(VERSION_FIELD) or ""
        if self.stored is None or not posted:
            return None
        return read_version(posted) or {}

    def changed_by_others(self) -> list[str] | None:
        """The fields someone else changed since the page was opened; None when that cannot be told."""
        opened = self.opened_values()
        if opened is None:
            return []
        if not opened:
            return None
        now = as_json(self.stored)
        return [name for name in now if opened.get(name) != now[name]]

    def clean(self):
        cleaned_data = super().clean()
        theirs = self.changed_by_others()
        if theirs is None:
            raise ValidationError(self.unreadable_message(), code="stale")
        undone = [
            name for name in theirs if name in cleaned_data and self.stored[name] != comparable(cleaned_data[name])
        ]
        if undone:
            raise ValidationError(self.conflict_message(theirs), code="stale")
        return cleaned_data

    def _changes(self, names, before, after) -> str:
        """ "Name: “old” → “new”; Summary: (empty) → “…”" """
        return format_html_join(
            "; ",
            "{}: {} → {}",
            (
                (self.fields[name].label or name, self._quoted(name, before[name]), self._quoted(name, after[name]))
                for name in names
            ),
        )

    def _quoted(self, name: str, value) -> str:
        shown = _shown(self, name, value)
        return shown if shown == "(empty)" else f"“{shown}”"

    def _yours(self) -> dict[str, object]:
        return {name: comparable(value) for name, value in self.cleaned_data.items() if name in self.stored}

    def conflict_message(self, theirs: list[str]) -> str:
        opened, now, yours = self.opened_values(), as_json(self.stored), as_json(self._yours())
        mine = [name for name in yours if opened.get(name) != yours[name] and name not in theirs]
        own = (
            format_html(" Your changes on this page, to make again: {}.", self._changes(mine, opened, yours))
            if mine
            else ""
        )
        return format_html(
            "Someone else saved this {}{} after you opened the page: {}. Saving your page would undo their change, "
            "so nothing was saved.{} Please {} to see their version.",
            self.instance._meta.verbose_name,
            last_saved_by(self.instance),
            self._changes(theirs, opened, now),
            own,
            RELOAD,
        )

    def deletion_message(self, theirs: list[str] | None) -> str:
        """For a row the editor deleted although someone else changed it meanwhile."""
        noun = self.instance._meta.verbose_name
        if theirs is None:
            return self.unreadable_message()
        return format_html(
            "Someone else changed the {} “{}”{} after you opened the page: {}. Deleting it would discard their "
            "change, so nothing was saved. Please {} to see their version.",
            noun,
            self.instance,
            last_saved_by(self.instance),
            self._changes(theirs, self.opened_values(), as_json(self.stored)),
            RELOAD,
        )

    def unreadable_message(self) -> str:
        return format_html(
            "This page's copy of the {} cannot be checked against changes saved since it was opened, so nothing "
            "was saved. Please {}, then make your change again.",
            self.instance._meta.verbose_name,
            RELOAD,
        )


class StaleDeletionFormSetMixin:
    """For inline formsets: deleting a row that someone else changed since the page was opened is refused (the
    formset drops the errors of the forms it deletes, so the check is the formset's own)."""

    def clean(self):
        super().clean()
        self.refuse_stale_deletions()

    def refuse_stale_deletions(self) -> None:
        for form in self.forms:
            if not (self.can_delete and self._should_delete_form(form)) or form.instance.pk is None:
                continue
            if not isinstance(form, VersionedFormMixin) or not hasattr(form, "cleaned_data"):
                continue
            theirs = form.changed_by_others()
            if theirs is None or theirs:
                raise ValidationError(form.deletion_message(theirs), code="stale")


class VersionedModelForm(VersionedFormMixin, forms.ModelForm):
    """The admin's default form for registry records: a model form with the lost-update guard."""
