"""Import and export of observations (django-import-export): bulk entry of a time series in the admin.

Columns, one observation a row (the same names the API uses):

    indicator     the indicator's code, e.g. approved-sez-count
    scope         national | province | corridor | project
    subject       province ISO code (PK-BA), corridor code (green) or project slug; empty for national
    period_start  YYYY-MM-DD
    period_end    YYYY-MM-DD (the same day for a value at a date)
    kind          actual | target | baseline
    value         a number with a dot for decimals, in the indicator's unit
    source        the source's id in the registry, or its exact URL; the source must exist already
    quote         optional: the source's exact words that state the value
    is_preferred  optional: yes or no (empty is no); at most one preferred value per indicator, subject, period and
                  kind. To move the flag, list the row that gives it up before the row that takes it.
    note          optional

A row naming an existing observation (same indicator, scope, subject, period, kind and source) updates it; an
identical row is skipped. Two rows differing only by source are two competing values, both kept. An optional column
left out of the file leaves what is stored as it is. Every row is written through ``indicators.services`` (the API's
rules); the file is read as CSV (comma or semicolon) or XLSX, imported in one transaction, and nothing at all is
written when any row is invalid.
"""

from django.core.exceptions import ValidationError

from indicators import services
from indicators.choices import SUBJECT_FIELDS, ObservationKind, Scope
from indicators.models import Indicator, Observation
from indicators.services import resolve_subject
from projects.models import Project
from projects.resources import SourceWidget
from registry.imports import (
    ChoiceWidget,
    CodeWidget,
    ISODateWidget,
    NumberWidget,
    RegistryResource,
    TextWidget,
    YesNoWidget,
    column,
    text,
)

COLUMNS = (
    "indicator",
    "scope",
    "subject",
    "period_start",
    "period_end",
    "kind",
    "value",
    "source",
    "quote",
    "is_preferred",
    "note",
)
OPTIONAL_COLUMNS = ("quote", "is_preferred", "note")


class SubjectWidget(TextWidget):
    """The subject's public identifier, read according to the row's scope: the subject columns it names."""

    def clean(self, value, row=None, **kwargs):
        scope = text((row or {}).get("scope"))
        if scope not in Scope.values:
            return dict.fromkeys(SUBJECT_FIELDS)  # the scope's own error says what is wrong
        try:
            return resolve_subject(scope=scope, subject=text(value))
        except ValidationError as error:
            raise ValueError(" ".join(error.message_dict["subject"])) from None

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value.slug if isinstance(value, Project) else value.code


class ObservationResource(RegistryResource):
    """One observation per row; see the module docstring for the columns."""

    indicator = column("indicator", CodeWidget(Indicator, "code", noun="indicator", list_known=False))
    scope = column("scope", ChoiceWidget(Scope.choices, noun="scope"))
    subject = column("subject", SubjectWidget())
    period_start = column("period_start", ISODateWidget())
    period_end = column("period_end", ISODateWidget())
    kind = column("kind", ChoiceWidget(ObservationKind.choices, noun="kind"))
    value = column("value", NumberWidget())
    source = column("source", SourceWidget())
    quote = column("quote", TextWidget())
    is_preferred = column("is_preferred", YesNoWidget())
    note = column("note", TextWidget())

    natural_key = ("indicator", "scope", "subject", "period_start", "period_end", "kind", "source")
    required_columns = tuple(name for name in COLUMNS if name not in OPTIONAL_COLUMNS)
    row_noun = "observation (indicator, scope, subject, period, kind and source)"

    class Meta:
        model = Observation
        name = "Observations"
        fields = COLUMNS
        import_order = export_order = COLUMNS

    def get_queryset(self):
        return Observation.objects.select_related("indicator", "province", "corridor", "project", "source")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("indicator", "province", "corridor", "project", "source")

    @staticmethod
    def key_part(value):
        if isinstance(value, dict):  # the subject columns
            return tuple(getattr(value[name], "pk", None) for name in SUBJECT_FIELDS)
        return RegistryResource.key_part(value)

    @staticmethod
    def _columns(values: dict) -> dict:
        values = dict(values)
        values.update(values.pop("subject", {}) or {})
        return values

    def find(self, values):
        key = self._columns({name: values[name] for name in self.natural_key})
        return Observation.objects.filter(**key).first()

    def changes(self, instance, values):
        return super().changes(instance, self._columns(values))

    def create(self, values):
        return services.observation_record(**self._columns(values))

    def update(self, instance, changes):
        return services.observation_update(observation=instance, **changes)
