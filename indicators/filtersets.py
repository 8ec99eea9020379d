"""Query-parameter filters of the indicators API (API.md: "Indicators and observations")."""

from indicators import choices
from indicators.models import Indicator, Observation
from projects.choices import Province
from projects.filtersets import visible_projects_for
from projects.models import Corridor, Source
from registry.api import filters


class IndicatorFilterSet(filters.RegistryFilterSet):
    level = filters.MultiChoiceFilter(choices=choices.Level.choices, label="Evidence level(s).")
    dimension = filters.MultiChoiceFilter(choices=choices.Dimension.choices, label="Dimension(s).")
    corridor = filters.MultiCodeFilter(
        field_name="corridors",
        to_field_name="code",
        queryset=Corridor.objects.all(),
        cached=True,
        enumerated=True,
        label="Corridor code(s).",
    )
    search = filters.TextSearchFilter(
        fields=("code", "name", "description", "unit"),
        label="Case-insensitive text in code, name, description or unit.",
    )

    class Meta:
        model = Indicator
        fields = []

    def filter_queryset(self, queryset):
        # The corridor filter crosses a many-to-many table: keep each indicator once.
        queryset = super().filter_queryset(queryset)
        return queryset.distinct() if self.form.cleaned_data.get("corridor") else queryset


class ObservationFilterSet(filters.RegistryFilterSet):
    indicator = filters.MultiCodeFilter(
        field_name="indicator",
        to_field_name="code",
        queryset=Indicator.objects.all(),
        cached=True,
        label="Indicator code(s).",
    )
    scope = filters.MultiChoiceFilter(choices=choices.Scope.choices, label="Scope(s).")
    project = filters.MultiCodeFilter(
        field_name="project", to_field_name="slug", queryset=visible_projects_for, label="Project slug(s)."
    )
    corridor = filters.MultiCodeFilter(
        field_name="corridor",
        to_field_name="code",
        queryset=Corridor.objects.all(),
        cached=True,
        enumerated=True,
        label="Corridor code(s).",
    )
    province = filters.MultiChoiceFilter(
        field_name="province", choices=Province.choices, label="Province ISO 3166-2:PK code(s)."
    )
    kind = filters.MultiChoiceFilter(choices=choices.ObservationKind.choices, label="actual, target or baseline.")
    period_after = filters.DateFilter(
        field_name="period_end", lookup_expr="gte", label="Periods ending on or after this date."
    )
    period_before = filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label="Periods starting on or before this date."
    )
    source = filters.MultiCodeFilter(
        field_name="source", to_field_name="pk", queryset=Source.objects.all(), label="Source id(s)."
    )

    class Meta:
        model = Observation
        fields = []
