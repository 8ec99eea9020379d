"""Admin forms of a project and its inline rows. They read what the editor typed; the rules are the services'.

The project form validates through ``services.project_validate``; each inline formset hands the project's whole set
of rows, as they will be after the submit, to the service that writes them (``status_history_validate``,
``investment_figures_validate``, ``participants_validate``) and shows its errors on the rows they belong to. The
admin then saves through the same services (``projects.admin``). Every form carries its row's version
(``registry.admin_versions``), so a save over someone else's change is refused.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from projects import rules, services
from projects.models import (
    EventProject,
    ExchangeRate,
    ExternalIdentifier,
    InvestmentFigure,
    Participation,
    Project,
    Sector,
    StatusChange,
)
from registry.admin_versions import StaleDeletionFormSetMixin, VersionedFormMixin


def add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's errors on the form's fields, and on the form itself for names it has no field for."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class SectorChoiceField(forms.ModelChoiceField):
    """Sectors labelled with their parent ("Energy › Hydropower") so the two levels read in one list."""

    def label_from_instance(self, obj):
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


class ProjectAdminForm(VersionedFormMixin, forms.ModelForm):
    """The project's own fields, checked by ``services.project_validate`` (what the API's writes run too)."""

    sector = SectorChoiceField(queryset=Sector.objects.select_related("parent"))

    class Meta:
        model = Project
        fields = list(services.PROJECT_INPUT_FIELDS)
        widgets = {
            "pillars": forms.CheckboxSelectMultiple,
            "provinces": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 3, "cols": 80}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "One or more" is the service's rule, with its own message (the API gives the same one).
        for name in services.REQUIRED_RELATIONS:
            if name in self.fields:
                self.fields[name].required = False

    def relations(self) -> dict[str, list]:
        return {name: list(self.cleaned_data.get(name) or []) for name in services.M2M_FIELDS if name in self.fields}

    def project_fields(self) -> dict:
        """The posted values of the project's own columns, for ``project_create`` / ``project_update``."""
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name in self.cleaned_data and name not in services.M2M_FIELDS
        }

    def _post_clean(self):
        self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        try:
            services.project_validate(project=self.instance, **self.relations())
        except ValidationError as error:
            add_errors(self, error)


# --- inline rows ----------------------------------------------------------------------------------------------


class InlineRowForm(VersionedFormMixin, forms.ModelForm):
    """One inline row as typed. The row's rules run in the service, over the whole set (the formset's ``clean``):
    the form only reads its fields and leaves the stored row untouched."""

    def _post_clean(self):
        pass

    def clean(self):
        cleaned_data = super().clean()
        # A row deleted by someone else since the page was opened fails its hidden id; say so on the row.
        pk_name = self._meta.model._meta.pk.name
        if pk_name in self._errors:
            self.add_error(None, self._errors.pop(pk_name))
        return cleaned_data


GONE_MESSAGE = (
    "Someone else deleted this row after you opened the page. Nothing was saved: reload the page to see the "
    "project as it is now."
)


class ServiceRowsFormSet(StaleDeletionFormSetMixin, forms.BaseInlineFormSet):
    """An inline whose rows are written as one set by a service (``validate`` now, ``write`` when saving)."""

    row_fields: tuple[str, ...] = ()

    def add_fields(self, form, index):
        super().add_fields(form, index)
        pk_field = form.fields.get(self.model._meta.pk.name)
        if pk_field is not None:
            pk_field.error_messages["invalid_choice"] = GONE_MESSAGE

    def row_forms(self) -> list[forms.Form]:
        """The forms of the rows that exist after the submit: not deleted, and not an empty extra row."""
        kept = []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            kept.append(form)
        return kept

    def rows(self) -> tuple[list[dict], list[forms.Form | None]]:
        """The rows for the service, with the form each came from. Stored rows that the submit does not name are
        kept as they are (a browser always names them all; a row added by someone else meanwhile is kept)."""
        forms_of_rows = self.row_forms()
        rows = [self.row_of(form) for form in forms_of_rows]
        named = {form.instance.pk for form in self.forms if form.instance.pk is not None}
        if self.instance.pk is not None:
            for pk in self.model.objects.filter(project=self.instance).exclude(pk__in=named).values_list("pk"):
                rows.append({"id": pk[0]})
                forms_of_rows.append(None)
        return rows, forms_of_rows

    def row_of(self, form) -> dict:
        row = {name: form.cleaned_data.get(name) for name in self.row_fields}
        row["id"] = form.instance.pk
        return row

    def clean(self):
        # Not BaseModelFormSet.clean(): its uniqueness checks read the forms' instances, which stay as stored here;
        # the service checks the set.
        self.refuse_stale_deletions()
        if any(form.errors for form in self.row_forms()):
            return
        rows, forms_of_rows = self.rows()
        try:
            self.validate(project=self.instance, rows=rows)
        except rules.RowsValidationError as error:
            self.show_errors(error, rows, forms_of_rows)

    def show_errors(self, error: rules.RowsValidationError, rows, forms_of_rows) -> None:
        unseen = []
        for index, row_error in error.rows.items():
            form = forms_of_rows[index]
            if form is None:
                unseen.append(f"{self.model.objects.get(pk=rows[index]['id'])}: {' '.join(row_error.messages)}")
            else:
                add_errors(form, row_error)
        if unseen:
            raise ValidationError(
                [f"A row added by someone else since you opened the page breaks a rule: {text}" for text in unseen]
            )

    def validate(self, *, project, rows) -> None:
        raise NotImplementedError

    def write(self, project: Project) -> services.RowsWritten:
        """Save the submitted set through the service; record what changed where the admin's log looks for it."""
        rows, _ = self.rows()
        written = self.replace(project=project, rows=rows)
        self.new_objects = written.created
        self.changed_objects = written.updated
        self.deleted_objects = written.deleted
        return written

    def replace(self, *, project, rows) -> services.RowsWritten:
        raise NotImplementedError


class StatusChangeInlineForm(InlineRowForm):
    class Meta:
        model = StatusChange
        fields = ["status", "date", "source", "note", "quote"]
        widgets = {"note": forms.TextInput(attrs={"size": 24}), "quote": forms.TextInput(attrs={"size": 24})}


class StatusChangeFormSet(ServiceRowsFormSet):
    """The project's status history, checked and written by ``services.status_history_replace``."""

    row_fields = ("status", "date", "source", "note", "quote")

    def validate(self, *, project, rows):
        services.status_history_validate(project=project, rows=rows)

    def replace(self, *, project, rows):
        return services.status_history_replace(project=project, rows=rows)


class InvestmentFigureInlineForm(InlineRowForm):
    """One sourced money claim. A USD amount the editor changes is theirs; left as shown, the registry's rule
    applies (``services.figure_apply_changes``), as for an API update."""

    class Meta:
        model = InvestmentFigure
        fields = [
            "kind",
            "amount",
            "currency",
            "amount_usd",
            "no_usd_reason",
            "as_of",
            "source",
            "is_preferred",
            "note",
            "quote",
        ]
        labels = {"amount_usd": "USD amount", "no_usd_reason": "Why no USD", "is_preferred": "Preferred"}
        widgets = {
            # Narrow inputs: the figure's columns have to fit one row of the inline table.
            "amount": forms.TextInput(attrs={"size": 13, "inputmode": "decimal"}),
            "currency": forms.TextInput(attrs={"size": 3, "maxlength": 3}),
            "amount_usd": forms.TextInput(attrs={"size": 13, "inputmode": "decimal"}),
            "no_usd_reason": forms.TextInput(attrs={"size": 10}),
            "note": forms.TextInput(attrs={"size": 12}),
            "quote": forms.TextInput(attrs={"size": 12}),
        }


class InvestmentFigureFormSet(ServiceRowsFormSet):
    """The project's figures, checked and written by ``services.investment_figures_replace``."""

    row_fields = services.INVESTMENT_FIELDS

    def validate(self, *, project, rows):
        services.investment_figures_validate(project=project, rows=rows)

    def replace(self, *, project, rows):
        return services.investment_figures_replace(project=project, rows=rows)


class ParticipationInlineForm(InlineRowForm):
    class Meta:
        model = Participation
        fields = ["organisation", "role", "note"]
        widgets = {"note": forms.TextInput(attrs={"size": 30})}


class ParticipationFormSet(ServiceRowsFormSet):
    """Who took part, as ``services.project_set_participants`` writes it (the API's ``participants``)."""

    row_fields = ("organisation", "role", "note")

    def rows(self):
        # Participations are matched by organisation and role, not by row id: every stored one not deleted here
        # stays, so the unnamed ones are listed as they are.
        rows, forms_of_rows = [], []
        for form in self.row_forms():
            rows.append({name: form.cleaned_data.get(name) for name in self.row_fields})
            forms_of_rows.append(form)
        named = {form.instance.pk for form in self.forms if form.instance.pk is not None}
        if self.instance.pk is not None:
            for participation in Participation.objects.filter(project=self.instance).exclude(pk__in=named):
                rows.append(
                    {"organisation": participation.organisation, "role": participation.role, "note": participation.note}
                )
                forms_of_rows.append(None)
        return rows, forms_of_rows

    def show_errors(self, error, rows, forms_of_rows):
        for index, row_error in error.rows.items():
            form = forms_of_rows[index]
            if form is not None:
                add_errors(form, row_error)
            else:
                raise ValidationError(row_error.messages)

    def validate(self, *, project, rows):
        services.participants_validate(project=project, participants=rows)

    def replace(self, *, project, rows):
        return services.project_set_participants(project=project, participants=rows)


class ExternalIdentifierFormSet(StaleDeletionFormSetMixin, forms.BaseInlineFormSet):
    """A project's identifiers, saved by Django's inline formset (no rule spans the set)."""


class ExternalIdentifierInlineForm(VersionedFormMixin, forms.ModelForm):
    """An identifier has only its own rules (and one unique pair): a plain model form saves it."""

    url = forms.URLField(max_length=1000, required=False, assume_scheme="https")

    class Meta:
        model = ExternalIdentifier
        fields = ["scheme", "value", "url", "quote"]
        widgets = {"quote": forms.TextInput(attrs={"size": 30})}


class EventLinkInlineForm(InlineRowForm):
    class Meta:
        model = EventProject
        fields = ["project", "role", "note"]
        widgets = {"note": forms.TextInput(attrs={"size": 30})}


class EventLinkFormSet(ServiceRowsFormSet):
    """The projects an event concerns, as ``services.event_set_projects`` writes them (the API's ``projects``),
    matched by project and role."""

    row_fields = ("project", "role", "note")

    def rows(self):
        rows, forms_of_rows = [], []
        for form in self.row_forms():
            rows.append({name: form.cleaned_data.get(name) for name in self.row_fields})
            forms_of_rows.append(form)
        named = {form.instance.pk for form in self.forms if form.instance.pk is not None}
        if self.instance.pk is not None:
            for link in EventProject.objects.filter(event=self.instance).exclude(pk__in=named):
                rows.append({"project": link.project, "role": link.role, "note": link.note})
                forms_of_rows.append(None)
        return rows, forms_of_rows

    show_errors = ParticipationFormSet.show_errors

    def validate(self, *, project, rows):
        services.event_projects_validate(event=project, links=rows)

    def replace(self, *, project, rows):
        return services.event_set_projects(event=project, links=rows)


class ExchangeRateAdminForm(VersionedFormMixin, forms.ModelForm):
    """A rate as ``services.exchange_rate_save`` saves it: one in use keeps its currency and year."""

    class Meta:
        model = ExchangeRate
        fields = ["currency", "year", "usd_per_unit", "source"]

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                services.exchange_rate_validate(rate=self.instance)
            except ValidationError as error:
                add_errors(self, error)
