"""The admin's lost-update guard: every change form (and every inline row) carries the version of the row it shows.

A row's **version** is a SHA-256 digest of its stored values for the fields the form edits (many-to-many fields as
sorted ids). Values a save changes on its own (derived fields, ``updated_at``) are left out, so that adding a
figure does not put the project's own form in conflict. A form posted with a version that is no longer the row's is
refused when saving it would overwrite a value someone else saved meanwhile; the message lists each such field as
"theirs → yours" and links to a reload of the page. A form posted without a version is not checked (like an API
write without ``If-Match``).
"""

import hashlib
import json

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.html import format_html, format_html_join

VERSION_FIELD = "version"


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


def version_of(values: dict[str, object]) -> str:
    canonical = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


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
        self.stored_version = version_of(self.stored) if self.stored is not None else ""
        # The version of the row as it is now: what the page shows, and what a reload gets.
        self.initial[VERSION_FIELD] = self.stored_version

    def _update_errors(self, errors):
        # Keep the model's messages (the API shows the same ones) instead of the form field's generic message for
        # the same error code ("Enter a valid URL." for "Enter an http:// or https:// URL.").
        self.add_error(None, errors)

    @property
    def changed_data(self):
        # The version is bookkeeping, not an edit: an extra inline row is still "empty" whatever version it carries.
        return [name for name in forms.BaseForm.changed_data.func(self) if name != VERSION_FIELD]

    def clean(self):
        cleaned_data = super().clean()
        posted = (cleaned_data or {}).get(VERSION_FIELD) or ""
        if self.stored is not None and posted and posted != self.stored_version:
            conflicts = [
                (name, self.stored[name], comparable(cleaned_data[name]))
                for name in self.stored
                if name in cleaned_data and self.stored[name] != comparable(cleaned_data[name])
            ]
            if conflicts:
                raise ValidationError(self.conflict_message(conflicts), code="stale")
        return cleaned_data

    def conflict_message(self, conflicts) -> str:
        noun = self.instance._meta.verbose_name
        items = format_html_join(
            "; ",
            "{}: {} (theirs) → {} (yours)",
            (
                (self.fields[name].label or name, _shown(self, name, theirs), _shown(self, name, yours))
                for name, theirs, yours in conflicts
            ),
        )
        return format_html(
            "Someone else saved this {} after you opened the page, and saving would undo their change. {}. "
            'Nothing was saved: <a href="" class="reload-link">reload the page</a> to see their version, then make '
            "your change again.",
            noun,
            items,
        )


class VersionedModelForm(VersionedFormMixin, forms.ModelForm):
    """The admin's default form for registry records: a model form with the lost-update guard."""
