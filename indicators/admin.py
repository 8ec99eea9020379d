"""Editors' admin for indicators and observations, with change history and CSV/XLSX import of a time series.

Every save goes through the models' ``full_clean()`` (the admin forms and the import resource both call it), so the
admin applies the same rules as the API and the seed loader.
"""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from indicators import services
from indicators.models import Indicator, Observation
from indicators.resources import ObservationResource
from registry.admin_base import RegistryHistoryAdmin
from registry.history import recorded_as_one_change
from registry.imports import RegistryImportExportMixin


def observations_url(indicator: Indicator) -> str:
    return reverse("admin:indicators_observation_changelist") + f"?indicator__id__exact={indicator.pk}"


@admin.register(Indicator)
class IndicatorAdmin(RegistryHistoryAdmin):
    list_display = ["code", "name", "level", "dimension", "unit", "higher_is_better", "observations_link"]
    list_filter = ["level", "dimension", "corridors"]
    search_fields = ["code", "name", "description", "unit"]
    readonly_fields = ["observations_link"]
    fields = [
        "code",
        "name",
        "description",
        "unit",
        "level",
        "dimension",
        "higher_is_better",
        "corridors",
        "method",
        "observations_link",
    ]
    filter_horizontal = ["corridors"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(observation_count=Count("observations"))

    def save_model(self, request, obj, form, change):
        # History is recorded once, in save_related, when the corridors are set too.
        obj.skip_history_when_saving = True
        try:
            super().save_model(request, obj, form, change)
        finally:
            del obj.skip_history_when_saving

    def save_related(self, request, form, formsets, change):
        with recorded_as_one_change(form.instance, created=not change):
            super().save_related(request, form, formsets, change)

    @admin.display(description="observations", ordering="observation_count")
    def observations_link(self, indicator: Indicator) -> str:
        if indicator.pk is None:
            return "—"
        count = getattr(indicator, "observation_count", None)
        if count is None:
            count = indicator.observations.count()
        return format_html('<a href="{}">{} observation{}</a>', observations_url(indicator), count, "s" * (count != 1))


@admin.register(Observation)
class ObservationAdmin(RegistryImportExportMixin, RegistryHistoryAdmin):
    resource_classes = export_resource_classes = [ObservationResource]

    list_display = [
        "indicator",
        "scope",
        "subject_display",
        "period_start",
        "period_end",
        "kind",
        "value_shown",
        "source",
        "is_preferred",
    ]
    list_filter = [
        "indicator__level",
        "indicator__dimension",
        "scope",
        "kind",
        "is_preferred",
        "indicator",
    ]
    list_select_related = ["indicator", "province", "corridor", "project", "source"]
    search_fields = [
        "indicator__code",
        "indicator__name",
        "note",
        "quote",
        "source__title",
        "project__slug",
        "project__name",
    ]
    autocomplete_fields = ["source", "project"]
    date_hierarchy = "period_start"
    fieldsets = [
        (None, {"fields": ["indicator", "kind", "value"]}),
        ("Subject", {"fields": ["scope", "province", "corridor", "project"]}),
        ("Period", {"fields": ["period_start", "period_end"]}),
        ("Evidence", {"fields": ["source", "quote", "is_preferred", "note"]}),
    ]

    def save_model(self, request, obj, form, change):
        services.observation_save(observation=obj)

    def delete_model(self, request, obj):
        services.observation_delete(observation=obj)

    @admin.display(description="value", ordering="value")
    def value_shown(self, observation: Observation) -> str:
        """44, 3.2 (not the column's 44.000000), with thousands separated."""
        return f"{observation.value.normalize():,f}"

    @admin.display(description="subject", ordering="scope")
    def subject_display(self, observation: Observation) -> str:
        return observation.subject_code or "—"
