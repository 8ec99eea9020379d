"""CSV import and export of observations (django-import-export): bulk entry of a time series in the admin.

Columns, one observation a row (the same names the API uses):

    indicator     the indicator's code, e.g. approved-sez-count
    scope         national | province | corridor | project
    subject       province ISO code (PK-BA), corridor code (green) or project slug; empty for national
    period_start  YYYY-MM-DD
    period_end    YYYY-MM-DD (the same day for a value at a date)
    kind          actual | target | baseline
    value         a number with a dot for decimals, in the indicator's unit
    source        the source's id in the registry, or its exact URL; the source must exist already
    note          optional

A row naming an existing observation (same indicator, scope, subject, period and kind) updates it; an identical row
is reported as skipped. Every row goes through the model's ``full_clean()``; the file is imported in one transaction
and nothing at all is written when any row is invalid.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.encoding import force_str
from import_export import resources
from import_export.fields import Field
from import_export.widgets import DateWidget, DecimalWidget, ForeignKeyWidget, Widget

from indicators.choices import SUBJECT_FIELDS
from indicators.models import Indicator, Observation
from indicators.services import resolve_subject
from projects.models import Project, Source

COLUMNS = ("indicator", "scope", "subject", "period_start", "period_end", "kind", "value", "source", "note")
REQUIRED_COLUMNS = COLUMNS[:-1]
NATURAL_KEY = ("indicator", "scope", "subject", "period_start", "period_end", "kind")


def _text(value) -> str:
    return force_str(value if value is not None else "").strip()


class IndicatorWidget(ForeignKeyWidget):
    """An indicator by its code."""

    def __init__(self):
        super().__init__(Indicator, field="code")

    def clean(self, value, row=None, **kwargs):
        code = _text(value)
        if not code:
            raise ValueError("Give the indicator's code.")
        try:
            return Indicator.objects.get(code=code)
        except Indicator.DoesNotExist:
            raise ValueError(f"No indicator with code {code!r}.") from None


class SourceWidget(ForeignKeyWidget):
    """A source by its id, or by its exact URL; exported as the id."""

    def __init__(self):
        super().__init__(Source, field="pk")

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if text.isdigit():
            lookup, described = {"pk": int(text)}, f"id {text}"
        elif text.startswith(("http://", "https://")):
            lookup, described = {"url": text}, f"URL {text}"
        else:
            raise ValueError(f"Give the source's id (a number) or its URL (http:// or https://), not {text!r}.")
        try:
            return Source.objects.get(**lookup)
        except Source.DoesNotExist:
            raise ValueError(f"No source with {described}: add the source first (Sources in the admin).") from None


class SubjectWidget(Widget):
    """The subject's public identifier, read according to the row's scope."""

    def clean(self, value, row=None, **kwargs):
        try:
            return resolve_subject(scope=_text((row or {}).get("scope")), subject=_text(value))
        except ValidationError as error:
            raise ValueError(" ".join(error.message_dict["subject"])) from None

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value.slug if isinstance(value, Project) else value.code


class SubjectField(Field):
    """Writes the subject into the province, corridor or project column that the scope names."""

    def save(self, instance, row, is_m2m=False, **kwargs):
        for name, subject in self.clean(row, **kwargs).items():
            setattr(instance, name, subject)


class ISODateWidget(DateWidget):
    def __init__(self):
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(_text(value) or None, row, **kwargs)
        except ValueError:
            raise ValueError(f"Enter the date as YYYY-MM-DD, not {_text(value)!r}.") from None


class ValueWidget(DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            number = super().clean(value, row, **kwargs)
        except (InvalidOperation, ValueError):
            number = Decimal("NaN")
        if number is not None and not number.is_finite():
            raise ValueError(f"Enter a number with a dot for decimals, e.g. 44 or 3.2, not {_text(value)!r}.")
        return number

    def render(self, value, obj=None, **kwargs):
        # 44, not 44.000000 (the column's scale), and never 4.4E+1.
        return "" if value is None else format(value.normalize(), "f")


class ObservationResource(resources.ModelResource):
    """One observation per row; see the module docstring for the columns."""

    indicator = Field(attribute="indicator", column_name="indicator", widget=IndicatorWidget())
    subject = SubjectField(attribute="subject", column_name="subject", widget=SubjectWidget())
    period_start = Field(attribute="period_start", column_name="period_start", widget=ISODateWidget())
    period_end = Field(attribute="period_end", column_name="period_end", widget=ISODateWidget())
    value = Field(attribute="value", column_name="value", widget=ValueWidget())
    source = Field(attribute="source", column_name="source", widget=SourceWidget())

    class Meta:
        model = Observation
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = NATURAL_KEY
        # Set here rather than left to IMPORT_EXPORT_USE_TRANSACTIONS: all-or-nothing must not depend on settings.
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Observation.objects.select_related("indicator", "province", "corridor", "project", "source")

    def before_import(self, dataset, **kwargs):
        headers = [_text(header) for header in dataset.headers or []]
        unknown = [header for header in headers if header not in COLUMNS]
        missing = [column for column in REQUIRED_COLUMNS if column not in headers]
        problems = []
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        if problems:
            raise ValueError(f"The file's header is wrong: {'; '.join(problems)}. Expected: {', '.join(COLUMNS)}.")
        dataset.headers = headers
        self._rows_by_key = {}

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            if isinstance(value, str):
                row[column] = value.strip()

    def get_instance(self, instance_loader, row):
        """The existing observation with the row's natural key, if the key can be read at all."""
        try:
            key = {
                "indicator": self.fields["indicator"].clean(row),
                "scope": row["scope"],
                **self.fields["subject"].clean(row),
                "period_start": self.fields["period_start"].clean(row),
                "period_end": self.fields["period_end"].clean(row),
                "kind": row["kind"],
            }
        except (KeyError, ValueError):
            return None  # the row's own validation reports what is wrong
        return self.get_queryset().filter(**key).first()

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        key = (
            instance.indicator_id,
            instance.scope,
            *(getattr(instance, f"{name}_id") for name in SUBJECT_FIELDS),
            instance.period_start,
            instance.period_end,
            instance.kind,
        )
        earlier = self._rows_by_key.setdefault(key, kwargs.get("row_number"))
        if earlier != kwargs.get("row_number"):
            raise ValidationError(
                {NON_FIELD_ERRORS: f"Row {earlier} already gives this indicator, scope, subject, period and kind."}
            )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """``full_clean()``, without repeating as a model error what a column's own error already says."""
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        if "subject" in errors:
            exclude |= set(SUBJECT_FIELDS)
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name not in exclude:
                    errors[name] = ValidationError(messages)
        if errors:
            raise ValidationError(errors)
