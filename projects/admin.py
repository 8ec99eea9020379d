"""The editors' admin for the projects domain. Projects with their rows, events and exchange rates are written
through ``projects.services``; the single-row records (vocabularies, sources, organisations) through the admin's
ModelForms, which run the models' ``full_clean()``; deletions are the admin's own (the models' ``delete()``).

A project is saved with its inline rows in one transaction (the admin's own, holding the project's row lock from the
moment the submit is read): ``project_create``/``project_update``, then each inline's whole set of rows through
``status_history_replace``, ``investment_figures_replace`` and ``project_set_participants``, and the submit leaves
one history entry on the project. Every form carries its row's version, so a save over someone else's change is
refused (``registry.admin_versions``). Each record's "History" page shows who changed what and when.
"""

from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from projects import choices, services
from projects.display import format_money
from projects.forms import (
    EventLinkFormSet,
    EventLinkInlineForm,
    ExchangeRateAdminForm,
    ExternalIdentifierFormSet,
    ExternalIdentifierInlineForm,
    InvestmentFigureFormSet,
    InvestmentFigureInlineForm,
    ParticipationFormSet,
    ParticipationInlineForm,
    ProjectAdminForm,
    ServiceRowsFormSet,
    StatusChangeFormSet,
    StatusChangeInlineForm,
)
from projects.models import (
    Corridor,
    Event,
    EventProject,
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
from projects.recovery import deleted_projects, project_restore
from projects.resources import (
    InvestmentFigureResource,
    ParticipationResource,
    ProjectResource,
    StatusChangeResource,
)
from registry.admin_base import URL_FIELDS_ASSUME_HTTPS, RegistryHistoryAdmin
from registry.history import one_change_per_record
from registry.imports import RegistryImportExportMixin

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
    list_display = ["title", "publisher", "kind", "published_on", "url_link"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_on"

    @admin.display(description="URL", ordering="url")
    def url_link(self, source):
        """The site's name, linked to the whole address (shown on hover): long URLs would widen the list."""
        host = urlsplit(source.url).hostname or source.url
        return format_html(
            '<a href="{}" title="{}" rel="noopener noreferrer">{}</a>',
            source.url,
            source.url,
            host.removeprefix("www."),
        )


@admin.register(Organisation)
class OrganisationAdmin(RegistryHistoryAdmin):
    list_display = ["name", "slug", "country", "kind"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ExchangeRate)
class ExchangeRateAdmin(RegistryHistoryAdmin):
    form = ExchangeRateAdminForm
    list_display = ["currency", "year", "usd_per_unit", "source"]
    list_select_related = ["source"]
    list_filter = ["currency"]
    search_fields = ["currency"]
    autocomplete_fields = ["source"]

    def save_model(self, request, obj, form, change):
        """Through the service: a corrected rate converts its figures again."""
        services.exchange_rate_save(rate=obj)


# --- governance events ----------------------------------------------------------------------------------------


class EventLinkInline(admin.TabularInline):
    model = EventProject
    form = EventLinkInlineForm
    formset = EventLinkFormSet
    autocomplete_fields = ["project"]
    verbose_name = "project it concerns"
    verbose_name_plural = "projects it concerns"
    extra = 0


@admin.register(Event)
class EventAdmin(RegistryHistoryAdmin):
    list_display = ["title", "kind", "when", "place"]
    list_filter = ["kind", "date_precision"]
    search_fields = ["title", "summary", "place"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["sources"]
    inlines = [EventLinkInline]

    @admin.display(description="Date", ordering="date")
    def when(self, event):
        """As precise as the sources: 2015-11 for a month, 2013 for a year."""
        return event.date_text

    def save_model(self, request, obj, form, change):
        """Nothing yet: the event is written with its links in ``save_related``, through the services."""

    def save_related(self, request, form, formsets, change):
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data if name in services.EVENT_FIELDS}
        sources = form.cleaned_data["sources"]
        with one_change_per_record():
            if change:
                event = services.event_update(event=form.instance, sources=sources, **fields)
            else:
                event = services.event_create(sources=sources, **fields)
            for formset in formsets:
                formset.write(event)
        if not change:
            vars(form.instance).update(vars(event))


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
    readonly_fields = ["in_usd"]
    extra = 0

    @admin.display(description="In USD")
    def in_usd(self, figure):
        """The USD amount with where it came from: the original currency beside the converted value."""
        if figure.pk is None or figure.amount_usd is None:
            return "-"
        usd = format_money(figure.amount_usd)
        if figure.currency == "USD":
            return usd
        how = "converted" if figure.amount_usd_converted else "as given by the source"
        return f"{usd} ({how}, from {format_money(figure.amount, figure.currency)})"


class ParticipationInline(admin.TabularInline):
    model = Participation
    form = ParticipationInlineForm
    formset = ParticipationFormSet
    autocomplete_fields = ["organisation"]
    extra = 0


class ExternalIdentifierInline(admin.TabularInline):
    model = ExternalIdentifier
    form = ExternalIdentifierInlineForm
    formset = ExternalIdentifierFormSet
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
class ProjectAdmin(RegistryImportExportMixin, RegistryHistoryAdmin):
    form = ProjectAdminForm
    change_list_template = "admin/projects/project/change_list.html"
    # Import: a project's own fields, and the rows that hang off projects (projects.resources). Export: the list.
    resource_classes = [ProjectResource, InvestmentFigureResource, StatusChangeResource, ParticipationResource]
    export_resource_classes = [ProjectResource]

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
        "status_shown",
        "corridor_short",
        "phase",
        "province_codes",
        "announced",
        "realised",
        "updated_on",
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
        "confidence",
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
        "announced_detail",
        "committed_detail",
        "realised_detail",
        "ratio",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "summary"]}),
        ("Classification", {"fields": [("phase", "corridor", "sector"), "pillars"]}),
        ("Place", {"fields": ["provinces", "place_name", ("latitude", "longitude", "location_precision")]}),
        (
            "Size and key dates",
            {
                "fields": [
                    ("capacity_value", "capacity_unit"),
                    ("mou_signed_on", "financial_close_on"),
                    ("construction_started_on", "completed_on"),
                ]
            },
        ),
        ("Sources, confidence and publication", {"fields": ["sources", "confidence", "publication"]}),
        ("For editors only (never published)", {"fields": ["editorial_note"]}),
        (
            "Derived from the status history and investment figures (read-only)",
            {
                "fields": [
                    ("status", "status_since", "stale"),
                    ("announced_detail", "committed_detail"),
                    ("realised_detail", "ratio"),
                    ("created_at", "updated_at"),
                ]
            },
        ),
    ]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("provinces")

    @admin.display(description="Status", ordering="status")
    def status_shown(self, project):
        if not project.status:
            return self.get_empty_value_display()
        if project.is_stale:
            return format_html(
                '{} <span class="stale-warning" title="No newer status change in over {} years">stale</span>',
                project.get_status_display(),
                choices.STALE_AFTER_YEARS,
            )
        return project.get_status_display()

    @admin.display(description="Corridor", ordering="corridor__order")
    def corridor_short(self, project):
        if project.corridor is None:
            return self.get_empty_value_display()
        return project.corridor.name.removesuffix(" Corridor")

    @admin.display(description="Provinces")
    def province_codes(self, project):
        return format_html_join(", ", '<abbr title="{}">{}</abbr>', ((p.name, p.code) for p in project.provinces.all()))

    @admin.display(description="Updated", ordering="updated_at")
    def updated_on(self, project):
        return project.updated_at.date().isoformat() if project.updated_at else self.get_empty_value_display()

    # Missing values show as the admin's "-" in both the list and the read-only fields of the form.

    @admin.display(description="Announced", ordering="announced_usd")
    def announced(self, project):
        return format_money(project.announced_usd) or self.get_empty_value_display()

    @admin.display(description="Realised", ordering="realised_usd")
    def realised(self, project):
        return format_money(project.realised_usd) or self.get_empty_value_display()

    def _headline(self, project, kind, amount_usd):
        """The headline USD amount with the figure's own currency beside it when it was not in USD."""
        if amount_usd is None:
            return self.get_empty_value_display()
        figure = services.headline_figure(project.investments.filter(kind=kind))
        text = format_money(amount_usd)
        if figure is not None and figure.currency != "USD":
            text += f" (from {format_money(figure.amount, figure.currency)})"
        return text

    @admin.display(description="Announced")
    def announced_detail(self, project):
        return self._headline(project, choices.InvestmentKind.ANNOUNCED, project.announced_usd)

    @admin.display(description="Committed")
    def committed_detail(self, project):
        return self._headline(project, choices.InvestmentKind.COMMITTED, project.committed_usd)

    @admin.display(description="Realised")
    def realised_detail(self, project):
        return self._headline(project, choices.InvestmentKind.REALISED, project.realised_usd)

    @admin.display(description="Realisation ratio")
    def ratio(self, project):
        if project.realisation_ratio is None:
            return self.get_empty_value_display()
        return f"{project.realisation_ratio:.1%}"

    @admin.display(description="Stale")
    def stale(self, project):
        """A warning when stale; nothing otherwise (a red cross would read as an alarm)."""
        if not project.is_stale:
            return "no"
        return format_html(
            '<span class="stale-warning">Stale: {} since {}, no newer status change in over {} years</span>',
            project.get_status_display(),
            project.status_since.isoformat(),
            choices.STALE_AFTER_YEARS,
        )

    # The saves: the services, in the admin's transaction, one history entry for the project.

    def get_object(self, request, object_id, from_field=None):
        project = super().get_object(request, object_id, from_field)
        if project is not None and request.method == "POST":
            # Held until the admin's transaction ends, so the version check and the save see the same rows.
            services.lock_project(project.pk)
            project.refresh_from_db()
        return project

    def save_model(self, request, obj, form, change):
        """Nothing yet: the project is written with its rows in ``save_related``, through the services."""

    def save_related(self, request, form, formsets, change):
        relations = form.relations()
        with one_change_per_record():
            if change:
                project = services.project_update(project=form.instance, **form.project_fields(), **relations)
            else:
                project = services.project_create(**form.project_fields(), **relations)
            for formset in formsets:
                if isinstance(formset, ServiceRowsFormSet):
                    formset.write(project)
                else:
                    formset.instance = project
                    self.save_formset(request, form, formset, change=change)
        if not change:
            # The admin goes on with its own object (messages, log, redirect): make it the project just created.
            vars(form.instance).update(vars(project))

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
