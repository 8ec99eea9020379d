"""The editors' admin for the projects domain: every write applies the same rules as ``projects.services``.

A project is saved with its inline rows in one transaction (the admin's own), its derived fields are recomputed
after the rows are saved, and the whole submit leaves one history entry on the project. Each record's "History"
page shows who changed what and when.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.urls import path
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from projects import choices, services
from projects.forms import (
    InvestmentFigureFormSet,
    InvestmentFigureInlineForm,
    ProjectAdminForm,
    StatusChangeFormSet,
    StatusChangeInlineForm,
)
from projects.history import recorded_as_one_change
from projects.models import (
    Corridor,
    ExchangeRate,
    ExternalIdentifier,
    InvestmentFigure,
    Organisation,
    Participation,
    Pillar,
    Project,
    Sector,
    Source,
    StatusChange,
)


def format_usd(value: Decimal | None) -> str | None:
    """US$1,420,000,000 (cents only when there are any); None (shown as the admin's "-") for a missing amount."""
    if value is None:
        return None
    return f"US${value:,.0f}" if value == value.to_integral_value() else f"US${value:,.2f}"


# A URL typed without a scheme is read as https (Django 6's default), not http; this also silences Django 5's warning.
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


class RegistryHistoryAdmin(SimpleHistoryAdmin):
    """History pages that list who changed which fields; reverting is off.

    A revert would save an old copy of the record outside the rules (for a project: with old derived fields),
    so old versions can be viewed, not restored. To undo a change, edit the record.
    """

    history_list_display = ["changed_fields"]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    @admin.display(description="Changed fields")
    def changed_fields(self, record):
        return ", ".join(record.changed_fields)

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Old versions can be viewed, not restored: edit the record instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- vocabularies and references ------------------------------------------------------------------------------


@admin.register(Corridor)
class CorridorAdmin(RegistryHistoryAdmin):
    list_display = ["name", "code", "order"]
    search_fields = ["name", "code", "aliases"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Pillar)
class PillarAdmin(RegistryHistoryAdmin):
    list_display = ["name", "code", "aligned_corridor"]
    list_select_related = ["aligned_corridor"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class TopLevelSectorFilter(admin.SimpleListFilter):
    title = "parent sector"
    parameter_name = "parent"

    def lookups(self, request, model_admin):
        return [("none", "Top level"), *((str(s.pk), s.name) for s in Sector.objects.filter(parent__isnull=True))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(parent__isnull=True)
        if self.value():
            return queryset.filter(parent_id=self.value())
        return queryset


@admin.register(Sector)
class SectorAdmin(RegistryHistoryAdmin):
    list_display = ["name", "code", "parent"]
    list_select_related = ["parent"]
    list_filter = [TopLevelSectorFilter]
    search_fields = ["name", "code"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            # Two levels only: a parent is always a top-level sector.
            kwargs["queryset"] = Sector.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Source)
class SourceAdmin(RegistryHistoryAdmin):
    list_display = ["title", "publisher", "kind", "published_on", "url"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_on"


@admin.register(Organisation)
class OrganisationAdmin(RegistryHistoryAdmin):
    list_display = ["name", "slug", "country", "kind"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ExchangeRate)
class ExchangeRateAdmin(RegistryHistoryAdmin):
    list_display = ["currency", "year", "usd_per_unit", "source"]
    list_select_related = ["source"]
    list_filter = ["currency"]
    search_fields = ["currency"]
    autocomplete_fields = ["source"]


# --- projects -------------------------------------------------------------------------------------------------


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    form = StatusChangeInlineForm
    formset = StatusChangeFormSet
    autocomplete_fields = ["source"]
    extra = 0


class InvestmentFigureInline(admin.TabularInline):
    model = InvestmentFigure
    form = InvestmentFigureInlineForm
    formset = InvestmentFigureFormSet
    autocomplete_fields = ["source"]
    readonly_fields = ["amount_usd_converted"]
    extra = 0


class ParticipationInline(admin.TabularInline):
    model = Participation
    autocomplete_fields = ["organisation"]
    extra = 0


class ExternalIdentifierInline(admin.TabularInline):
    model = ExternalIdentifier
    verbose_name = "external identifier"
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    extra = 0


class StalenessFilter(admin.SimpleListFilter):
    title = "staleness"
    parameter_name = "staleness"

    def lookups(self, request, model_admin):
        return [
            ("stale", f"Stale (same status for over {choices.STALE_AFTER_YEARS} years)"),
            ("current", "Not stale"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "stale":
            return queryset.stale()
        if self.value() == "current":
            return queryset.not_stale()
        return queryset


@admin.register(Project)
class ProjectAdmin(RegistryHistoryAdmin):
    form = ProjectAdminForm
    change_list_template = "admin/projects/project/change_list.html"

    def get_urls(self):
        recover = path(
            "recover-deleted/",
            self.admin_site.admin_view(recover_deleted_projects_view),
            name="projects_project_recover_deleted",
        )
        return [recover, *super().get_urls()]

    inlines = [StatusChangeInline, InvestmentFigureInline, ParticipationInline, ExternalIdentifierInline]
    list_display = [
        "name",
        "status",
        "corridor",
        "phase",
        "province_names",
        "announced",
        "realised",
        "updated_at",
        "publication",
    ]
    list_select_related = ["corridor"]
    list_filter = [
        "corridor",
        "pillars",
        "sector",
        "status",
        "provinces",
        "phase",
        "publication",
        StalenessFilter,
    ]
    search_fields = ["name", "place_name", "participations__organisation__name"]
    search_help_text = "Search by name, place or participating organisation."
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["sources"]
    readonly_fields = [
        "status",
        "status_since",
        "stale",
        "announced",
        "committed",
        "realised",
        "ratio",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary"]}),
        ("Classification", {"fields": ["phase", "corridor", "pillars", "sector"]}),
        ("Place", {"fields": ["provinces", "place_name", ("latitude", "longitude")]}),
        (
            "Size and key dates",
            {
                "fields": [
                    ("capacity_value", "capacity_unit"),
                    "mou_signed_on",
                    "financial_close_on",
                    "construction_started_on",
                    "completed_on",
                ]
            },
        ),
        ("Sources and publication", {"fields": ["sources", "publication"]}),
        (
            "Derived from the status history and investment figures (read-only)",
            {
                "fields": [
                    ("status", "status_since", "stale"),
                    ("announced", "committed", "realised", "ratio"),
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("provinces")

    @admin.display(description="Provinces")
    def province_names(self, project):
        return ", ".join(province.name for province in project.provinces.all())

    # Missing values show as the admin's "-" in both the list and the read-only fields of the form.

    @admin.display(description="Announced (USD)", ordering="announced_usd")
    def announced(self, project):
        return format_usd(project.announced_usd) or self.get_empty_value_display()

    @admin.display(description="Committed (USD)", ordering="committed_usd")
    def committed(self, project):
        return format_usd(project.committed_usd) or self.get_empty_value_display()

    @admin.display(description="Realised (USD)", ordering="realised_usd")
    def realised(self, project):
        return format_usd(project.realised_usd) or self.get_empty_value_display()

    @admin.display(description="Realisation ratio")
    def ratio(self, project):
        if project.realisation_ratio is None:
            return self.get_empty_value_display()
        return f"{project.realisation_ratio:.1%}"

    @admin.display(description="Stale", boolean=True)
    def stale(self, project):
        return project.is_stale

    # The saves: one transaction (the admin's), derived fields recomputed after the inline rows, one history entry.

    def save_model(self, request, obj, form, change):
        # History is recorded once, in save_related, when the relations and derived fields are final.
        obj.skip_history_when_saving = True
        try:
            super().save_model(request, obj, form, change)
        finally:
            del obj.skip_history_when_saving

    def save_related(self, request, form, formsets, change):
        project = form.instance
        with recorded_as_one_change(project, created=not change):
            super().save_related(request, form, formsets, change)
            services.project_refresh_derived(project)

    @admin.action(description="Publish selected projects", permissions=["change"])
    def publish(self, request, queryset):
        self._set_publication(request, queryset, choices.Publication.PUBLISHED)

    @admin.action(description="Unpublish selected projects (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        self._set_publication(request, queryset, choices.Publication.DRAFT)

    def _set_publication(self, request, queryset, publication):
        selected = len(queryset)
        changed = services.project_set_publication(projects=queryset, publication=publication)
        published = publication == choices.Publication.PUBLISHED
        verb = "published" if published else "moved back to draft"
        message = ngettext("%(count)d project %(verb)s.", "%(count)d projects %(verb)s.", changed) % {
            "count": changed,
            "verb": verb,
        }
        if selected > changed:
            message += f" {selected - changed} already {'published' if published else 'in draft'}."
        self.message_user(request, message, messages.SUCCESS)


def recover_deleted_projects_view(request):
    """List deleted projects and recover one (``projects.recovery``), for editors who may add projects."""
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect
    from django.template.response import TemplateResponse
    from django.urls import reverse

    from projects.recovery import deleted_projects, project_restore

    if not request.user.has_perm("projects.add_project"):
        raise PermissionDenied
    if request.method == "POST":
        raw = request.POST.get("history_id", "")
        if not raw.isdigit():
            messages.error(request, "Choose a deleted project to recover.")
        else:
            try:
                project = project_restore(history_id=int(raw))
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, f"Recovered {project.name}.")
                return redirect(reverse("admin:projects_project_change", args=[project.pk]))
    context = {**admin.site.each_context(request), "title": "Recover deleted projects", "deleted": deleted_projects()}
    return TemplateResponse(request, "admin/projects/project/recover_deleted.html", context)
