"""Admin forms and inline formsets that apply the projects rules across all the rows of one submit.

A project's status changes and investment figures arrive together in one admin submit; the rules that span rows
(the status history, one preferred figure per kind) are checked on the combined rows here, then saved in an order
the database constraints accept. ``projects.admin`` recomputes the derived fields afterwards.
"""

from django import forms
from django.core.exceptions import ValidationError

from projects import choices, services
from projects.models import InvestmentFigure, Project, Sector, StatusChange


class SectorChoiceField(forms.ModelChoiceField):
    """Sectors labelled with their parent ("Energy › Hydropower") so the two levels read in one list."""

    def label_from_instance(self, obj):
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


class ProjectAdminForm(forms.ModelForm):
    """The project's own fields; pillars and provinces are required (one or more each)."""

    sector = SectorChoiceField(queryset=Sector.objects.select_related("parent"))

    class Meta:
        model = Project
        fields = [
            "name",
            "slug",
            "summary",
            "phase",
            "corridor",
            "pillars",
            "sector",
            "provinces",
            "place_name",
            "latitude",
            "longitude",
            "capacity_value",
            "capacity_unit",
            "mou_signed_on",
            "financial_close_on",
            "construction_started_on",
            "completed_on",
            "sources",
            "publication",
        ]
        widgets = {
            "pillars": forms.CheckboxSelectMultiple,
            "provinces": forms.CheckboxSelectMultiple,
        }


class StatusChangeInlineForm(forms.ModelForm):
    """One row of the status history; the history rules are checked across rows by ``StatusChangeFormSet``."""

    class Meta:
        model = StatusChange
        fields = ["status", "date", "source", "note"]
        widgets = {"note": forms.TextInput(attrs={"size": 30})}

    def _post_clean(self):
        # StatusChange.clean() checks one row against the history stored in the database. In the admin several rows
        # change in one submit (two dates moved together, a row deleted), so one row checked against the stored
        # history would refuse valid combined edits; the formset checks the combined history instead.
        self.instance.clean = _no_single_row_history_check
        try:
            super()._post_clean()
        finally:
            del self.instance.clean


def _no_single_row_history_check():
    return None


class StatusChangeFormSet(forms.BaseInlineFormSet):
    """Checks the project's status history as it will be after this submit (DOMAIN.md: status rules)."""

    def clean(self):
        super().clean()
        rows = self._rows_after_submit()
        if rows is None:
            return
        entries = [services.HistoryEntry(form.cleaned_data["status"], form.cleaned_data["date"]) for form in rows]
        for end in range(2, len(entries) + 1):
            try:
                services.validate_status_history(entries[:end])
            except ValidationError as error:
                # The first prefix that fails ends at the row that breaks the rules: the error goes on that row.
                for field, messages in error.message_dict.items():
                    for message in messages:
                        rows[end - 1].add_error(field, message)
                return

    def _rows_after_submit(self) -> list[forms.Form] | None:
        """The rows that will exist after saving, in entry order: existing rows by id, then new rows as entered.

        None when a row is itself invalid: its own errors come first.
        """
        existing, new = [], []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue  # an empty extra row
            if not form.is_valid():
                return None
            if form.instance.pk is None:
                new.append(form)
            else:
                existing.append(form)
        return sorted(existing, key=lambda form: form.instance.pk) + new


class InvestmentFigureInlineForm(forms.ModelForm):
    """One sourced money claim. A USD amount typed by the editor stays theirs; left empty, it is converted."""

    class Meta:
        model = InvestmentFigure
        fields = ["kind", "amount", "currency", "amount_usd", "as_of", "source", "is_preferred", "note"]
        widgets = {
            # Narrow inputs: ten columns have to fit one row of the inline table.
            "amount": forms.TextInput(attrs={"size": 14, "inputmode": "decimal"}),
            "currency": forms.TextInput(attrs={"size": 3, "maxlength": 3}),
            "amount_usd": forms.TextInput(attrs={"size": 14, "inputmode": "decimal"}),
            "note": forms.TextInput(attrs={"size": 12}),
        }

    def clean(self):
        cleaned_data = super().clean()
        if "amount_usd" in self.changed_data:
            # Same semantics as services.investment_figure_update: the editor's USD amount is theirs, and an
            # emptied one asks InvestmentFigure.clean() to convert again.
            self.instance.amount_usd_converted = False
        return cleaned_data


class InvestmentFigureFormSet(forms.BaseInlineFormSet):
    """At most one preferred figure per kind across the rows; saved so the unique index never sees two."""

    def clean(self):
        super().clean()
        preferred = {}
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if not form.is_valid() or not form.cleaned_data.get("is_preferred"):
                continue
            preferred.setdefault(form.cleaned_data.get("kind"), []).append(form)
        for kind, forms_of_kind in preferred.items():
            if len(forms_of_kind) < 2:
                continue
            label = choices.InvestmentKind(kind).label.lower()
            for form in forms_of_kind:
                form.add_error(
                    "is_preferred",
                    f"{len(forms_of_kind)} {label} figures are marked preferred: a project has at most one "
                    "preferred figure per kind. Keep one and unmark the others.",
                )

    def save(self, commit=True):
        """Delete first, then save the rows that end up not preferred, then the preferred ones.

        Moving "preferred" from one row to another in one submit then never has two preferred rows of a kind in
        the database at once, whatever order the rows are listed in.
        """
        if not commit:
            return super().save(commit=False)
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        to_delete = self.deleted_forms
        to_save = []
        for form in self.initial_forms:
            if form.instance.pk is None or form.instance._state.adding:
                continue  # not fetched (edited away meanwhile or outside this project): Django skips it too
            if form in to_delete:
                self.deleted_objects.append(form.instance)
                self.delete_existing(form.instance)
            elif form.has_changed():
                to_save.append(form)
        for form in self.extra_forms:
            if form.has_changed() and not (self.can_delete and self._should_delete_form(form)):
                to_save.append(form)
        saved = []
        for form in sorted(to_save, key=lambda form: form.instance.is_preferred):  # stable: keeps row order
            if form in self.extra_forms:
                self.new_objects.append(self.save_new(form))
                saved.append(self.new_objects[-1])
            else:
                self.changed_objects.append((form.instance, form.changed_data))
                saved.append(self.save_existing(form, form.instance))
        return saved
