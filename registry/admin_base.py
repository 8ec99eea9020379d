"""The admin base every registry model's admin builds on: history pages, "Export this list", the lost-update
guard (``registry.admin_versions``) and the model's own rules for slugs and URLs."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_slug
from django.db import models
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from registry.admin_versions import VERSION_FIELD, VersionedModelForm
from registry.imports import RegistryExportMixin


class RuleSlugField(forms.CharField):
    """A model's slug field in a form: the model's own validator (and message) checks it, as in the API, rather
    than the form's generic "Enter a valid slug"."""

    def __init__(self, *, allow_unicode: bool = False, **kwargs):
        super().__init__(**kwargs)


# A URL typed without a scheme is read as https (Django 6's default), not http; this also silences Django 5's warning.
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class RegistryHistoryAdmin(RegistryExportMixin, SimpleHistoryAdmin):
    """History pages that list who changed which fields (reverting is off), and "Export this list".

    A revert would save an old copy of the record outside the rules (for a project: with old derived fields),
    so old versions can be viewed, not restored. To undo a change, edit the record.
    """

    form = VersionedModelForm
    history_list_display = ["changed_fields_shown"]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.SlugField):
            # The model's own slug rule, with its message, as the API checks it (not also Django's generic "Enter a
            # valid slug"): a value the form refuses is not checked again by the model.
            kwargs.setdefault("form_class", RuleSlugField)
            kwargs.setdefault("validators", [v for v in db_field.validators if v is not validate_slug])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        # The version is rendered once, at the top of the form (admin/change_form.html), not as a field row.
        return [name for name in super().get_fields(request, obj) if name != VERSION_FIELD]

    @admin.display(description="Changed fields")
    def changed_fields_shown(self, record):
        """The changed fields by their labels ("Announced USD, Status since"), as the change form names them."""
        opts = self.model._meta
        return ", ".join(capfirst(opts.get_field(name).verbose_name) for name in record.changed_fields)

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Old versions can be viewed, not restored: edit the record instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)
