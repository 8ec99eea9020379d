"""Viewsets of the projects API (API.md: Endpoints). Visibility comes from ``projects.visibility`` only."""

import datetime
from itertools import islice

from django.db.models import Count, Prefetch, Sum
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from projects import rules, services
from projects.api import serializers
from projects.api.serializers import DETAIL_RECORDS, PROJECT_DETAIL_FIELDS, PROJECT_LIST_FIELDS, detail_readers
from projects.as_of import AS_OF_SELECTED
from projects.filtersets import (
    EventFilterSet,
    ExchangeRateFilterSet,
    InvestmentFigureFilterSet,
    OrganisationFilterSet,
    ProjectFilterSet,
    SectorFilterSet,
    SourceFilterSet,
    StatusChangeFilterSet,
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
    Province,
    Sector,
    Source,
    StatusChange,
)
from projects.services import realisation_ratio
from projects.visibility import visible_children, visible_organisations, visible_projects, visible_sources
from registry import feed
from registry.api.changes import ChangeEntrySerializer
from registry.api.pagination import CountedOn, PageNumberPagination, PageOrCursorPagination
from registry.api.renderers import EXPORT_CHUNK_SIZE, EXPORT_FORMATS
from registry.api.views import RegistryModelViewSet, RegistryReadOnlyViewSet

PUBLISHED = rules.published("projects")
PARTICIPANT_ORDER = ("role", "organisation__slug")
# The order of the full record's related lists, for its read (attach_detail_relations) and its writes' prefetches.
STATUS_HISTORY_ORDER = ("date", "id")
INVESTMENT_ORDER = ("kind", "as_of", "id")
EVENT_LINK_ORDER = ("event__date", "event__slug", "role")


LIST_RELATIONS = ("pillars", "provinces", "participants")
# The values() columns each field of the list shape reads (besides the id and slug), so that `fields=` fetches only
# those; the relations are attached per page or export chunk (attach_list_relations).
LIST_COLUMNS = {
    "corridor": ("corridor__code",),
    "sector": ("sector__code",),
    "is_stale": ("status", "status_since"),
    "url": (),
    **dict.fromkeys(LIST_RELATIONS, ()),
}


def list_values(queryset, wanted: list[str] | None, on: datetime.date | None):
    """The list's (filtered) queryset as ``values()`` rows of the columns the wanted fields read (all fields when
    None), with the derived fields' as-of annotations when the registry is read as of ``on``
    (``ProjectSerializer.row_representation`` reads the rows)."""
    columns = {"id": None, "slug": None}  # a dict keeps the order: the same SQL for the same request
    for name in PROJECT_LIST_FIELDS if wanted is None else wanted:
        columns.update(dict.fromkeys(LIST_COLUMNS.get(name, (name,))))
    if on is not None:
        columns.update(dict.fromkeys(AS_OF_SELECTED.values()))
    return queryset.values(*columns)


def apply_as_of_to_row(row: dict, on: datetime.date) -> None:
    """``projects.as_of.apply_as_of`` for a values() row: the derived fields as of ``on``, staleness judged then."""
    for name, annotation in AS_OF_SELECTED.items():
        value = row.pop(annotation)
        row[name] = "" if name == "status" and value is None else value
    row["realisation_ratio"] = realisation_ratio(row["announced_usd"], row["realised_usd"])
    row["stale_on"] = on


def attach_list_relations(rows: list[dict], wanted=LIST_RELATIONS) -> list[dict]:
    """Give each row the codes and participants the list shape shows (``pillar_codes``, ``province_codes``,
    ``participant_rows``), as plain lists, in a query each (only for the ``wanted`` ones).

    This is what ``prefetch_related`` would fetch, without the queryset and model instances it builds per project and
    relation, which cost more than the rest of a page or an export.
    """
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        row["pillar_codes"], row["province_codes"], row["participant_rows"] = [], [], []
    if not by_id:
        return rows
    if "pillars" in wanted:
        pillars = Project.pillars.through.objects.filter(project_id__in=by_id).order_by("pillar__code")
        for project_id, code in pillars.values_list("project_id", "pillar__code"):
            by_id[project_id]["pillar_codes"].append(code)
    if "provinces" in wanted:
        provinces = Project.provinces.through.objects.filter(project_id__in=by_id).order_by("province_id")
        for project_id, code in provinces.values_list("project_id", "province_id"):
            by_id[project_id]["province_codes"].append(code)
    if "participants" in wanted:
        participations = Participation.objects.filter(project_id__in=by_id).order_by(*PARTICIPANT_ORDER)
        columns = ("project_id", "organisation__slug", "organisation__name", "role", "note")
        for project_id, *participant in participations.values_list(*columns):
            by_id[project_id]["participant_rows"].append(tuple(participant))
    return rows


def detail_values(queryset, wanted: list[str] | None, on: datetime.date | None):
    """``list_values`` for the full record: the project's columns that the wanted fields (all when None) read, and
    ``updated_at`` for ``Last-Modified`` whatever they are; the related lists come from ``attach_detail_relations``."""
    names = [
        name
        for name in (PROJECT_DETAIL_FIELDS if wanted is None else wanted)
        if name not in DETAIL_RECORDS and name != "observations_url"  # the slug, always read, gives it
    ]
    return list_values(queryset, [*names, "updated_at"], on)


def attach_detail_relations(row: dict, wanted, on: datetime.date | None) -> dict:
    """Give the project's row the related lists of the full record that are ``wanted``, a query each: the list's
    (``attach_list_relations``) and ``<name>_rows``, the ``values_list()`` tuples that
    ``ProjectDetailSerializer.row_representation`` reads (``detail_readers``). Read as of ``on``: only the status
    changes and figures dated on or before it, as the record stood then."""
    attach_list_relations([row], wanted)
    project_id, readers = row["id"], detail_readers()
    related = {
        "status_history": StatusChange.objects.filter(project_id=project_id).order_by(*STATUS_HISTORY_ORDER),
        "investments": InvestmentFigure.objects.filter(project_id=project_id).order_by(*INVESTMENT_ORDER),
        "external_ids": ExternalIdentifier.objects.filter(project_id=project_id).order_by("scheme", "value"),
        "events": EventProject.objects.filter(project_id=project_id).order_by(*EVENT_LINK_ORDER),
        "sources": Project.sources.through.objects.filter(project_id=project_id).order_by("source_id"),
    }
    if on is not None:
        related["status_history"] = related["status_history"].filter(date__lte=on)
        related["investments"] = related["investments"].filter(as_of__lte=on)
    for name, queryset in related.items():
        if name in wanted:
            row[f"{name}_rows"] = list(queryset.values_list(*readers[name].columns))
    return row


@extend_schema_view(
    list=extend_schema(summary="List the CPEC corridors", description="With aggregates over published projects."),
    retrieve=extend_schema(summary="One corridor"),
)
class CorridorViewSet(RegistryReadOnlyViewSet):
    queryset = Corridor.objects.annotate(
        project_count=Count("projects", filter=PUBLISHED),
        announced_usd=Sum("projects__announced_usd", filter=PUBLISHED),
        realised_usd=Sum("projects__realised_usd", filter=PUBLISHED),
    ).order_by("order", "code")
    serializer_class = serializers.CorridorSerializer
    lookup_field = "code"
    export_basename = "cpec-corridors"


@extend_schema_view(list=extend_schema(summary="List the 5E pillars"), retrieve=extend_schema(summary="One pillar"))
class PillarViewSet(RegistryReadOnlyViewSet):
    queryset = (
        Pillar.objects.select_related("aligned_corridor")
        .annotate(project_count=Count("projects", filter=PUBLISHED))
        .order_by("code")
    )
    serializer_class = serializers.PillarSerializer
    lookup_field = "code"
    export_basename = "cpec-pillars"


@extend_schema_view(list=extend_schema(summary="List the sectors"), retrieve=extend_schema(summary="One sector"))
class SectorViewSet(RegistryReadOnlyViewSet):
    queryset = (
        Sector.objects.select_related("parent")
        .annotate(project_count=Count("projects", filter=PUBLISHED))
        .order_by("code")
    )
    serializer_class = serializers.SectorSerializer
    filterset_class = SectorFilterSet
    lookup_field = "code"
    export_basename = "cpec-sectors"


@extend_schema_view(list=extend_schema(summary="List the provinces (ISO 3166-2:PK)"))
class ProvinceViewSet(RegistryReadOnlyViewSet):
    queryset = Province.objects.annotate(project_count=Count("projects", filter=PUBLISHED)).order_by("code")
    serializer_class = serializers.ProvinceSerializer
    lookup_field = "code"
    export_basename = "cpec-provinces"
    pagination_class = None


@extend_schema_view(
    list=extend_schema(
        summary="List exchange rates",
        description="US dollars per unit of a currency in a year, each with its source: the rates that convert "
        "investment figures to USD.",
    ),
    retrieve=extend_schema(summary="One exchange rate"),
)
class ExchangeRateViewSet(RegistryReadOnlyViewSet):
    queryset = ExchangeRate.objects.select_related("source").order_by("currency", "year")
    serializer_class = serializers.ExchangeRateSerializer
    filterset_class = ExchangeRateFilterSet
    export_basename = "cpec-exchange-rates"

    def csv_row(self, row):
        if "source" in row:
            row["source"] = row["source"]["id"]
        return row


@extend_schema_view(
    list=extend_schema(
        summary="List organisations", description="The public see organisations that take part in published projects."
    ),
    retrieve=extend_schema(summary="One organisation"),
    create=extend_schema(summary="Add an organisation"),
    update=extend_schema(summary="Replace an organisation"),
    partial_update=extend_schema(summary="Change an organisation"),
    destroy=extend_schema(summary="Delete an organisation (refused while it takes part in a project)"),
)
class OrganisationViewSet(RegistryModelViewSet):
    queryset = Organisation.objects.order_by("name", "slug")
    serializer_class = serializers.OrganisationSerializer
    filterset_class = OrganisationFilterSet
    lookup_field = "slug"
    export_basename = "cpec-organisations"

    def get_queryset(self):
        return visible_organisations(self.request.user, super().get_queryset())


@extend_schema_view(
    list=extend_schema(summary="List sources", description="The public see sources that published data cites."),
    retrieve=extend_schema(summary="One source"),
    create=extend_schema(summary="Add a source"),
    update=extend_schema(summary="Replace a source"),
    partial_update=extend_schema(summary="Change a source"),
    destroy=extend_schema(summary="Delete a source (refused while anything cites it)"),
)
class SourceViewSet(RegistryModelViewSet):
    queryset = Source.objects.order_by("id")
    serializer_class = serializers.SourceSerializer
    filterset_class = SourceFilterSet
    export_basename = "cpec-sources"

    def get_queryset(self):
        return visible_sources(self.request.user, super().get_queryset())


@extend_schema_view(
    list=extend_schema(summary="List status changes", description="Entries of projects' status histories."),
    retrieve=extend_schema(summary="One status change"),
    create=extend_schema(summary="Record a status change", description="Checked against the project's history."),
    update=extend_schema(summary="Replace a status change"),
    partial_update=extend_schema(summary="Change a status change"),
    destroy=extend_schema(summary="Delete a status change (refused if it would leave an invalid history)"),
)
class StatusChangeViewSet(RegistryModelViewSet):
    serializer_class = serializers.StatusChangeSerializer
    filterset_class = StatusChangeFilterSet
    export_basename = "cpec-status-changes"
    queryset = StatusChange.objects.select_related("project").order_by("project__slug", "date", "id")

    def get_queryset(self):
        return visible_children(self.request.user, super().get_queryset())

    def perform_destroy(self, instance):
        services.status_change_delete(status_change=instance)


@extend_schema_view(
    list=extend_schema(summary="List investment figures", description="Every sourced money claim, kept side by side."),
    retrieve=extend_schema(summary="One investment figure"),
    create=extend_schema(summary="Record an investment figure"),
    update=extend_schema(summary="Replace an investment figure"),
    partial_update=extend_schema(summary="Change an investment figure"),
    destroy=extend_schema(summary="Delete an investment figure"),
)
class InvestmentFigureViewSet(RegistryModelViewSet):
    serializer_class = serializers.InvestmentFigureSerializer
    filterset_class = InvestmentFigureFilterSet
    export_basename = "cpec-investments"
    queryset = InvestmentFigure.objects.select_related("project", "exchange_rate__source").order_by(
        "project__slug", "kind", "as_of", "id"
    )

    def get_queryset(self):
        return visible_children(self.request.user, super().get_queryset())

    def perform_destroy(self, instance):
        services.investment_figure_delete(investment=instance)


@extend_schema_view(
    list=extend_schema(
        summary="List governance events",
        description="JCC and JWG meetings, agreements, visits and policy steps, by date, each with its sources and "
        "the projects it concerns.",
    ),
    retrieve=extend_schema(summary="One governance event"),
    create=extend_schema(summary="Record a governance event"),
    update=extend_schema(summary="Replace a governance event"),
    partial_update=extend_schema(summary="Change a governance event"),
    destroy=extend_schema(summary="Delete a governance event"),
)
class EventViewSet(RegistryModelViewSet):
    queryset = Event.objects.order_by("date", "slug")
    serializer_class = serializers.EventSerializer
    filterset_class = EventFilterSet
    lookup_field = "slug"
    export_basename = "cpec-events"

    def get_queryset(self):
        links = visible_children(self.request.user, EventProject.objects.select_related("project"))
        return (
            super()
            .get_queryset()
            .prefetch_related("sources", Prefetch("project_links", queryset=links))  # ordered by the serializer
        )

    def csv_row(self, row):
        row["sources"] = [source["id"] for source in row.get("sources", [])] if "sources" in row else None
        if "projects" in row:
            row["projects"] = [f"{link['project']}:{link['role']}" for link in row["projects"]]
        if row.get("sources") is None:
            row.pop("sources", None)
        return row


@extend_schema_view(
    list=extend_schema(
        summary="List projects",
        description="Filterable by every parameter below; `?format=csv` or `?format=geojson` downloads the whole "
        "filtered result.",
    ),
    retrieve=extend_schema(summary="One project with its full record"),
    create=extend_schema(summary="Add a project"),
    update=extend_schema(summary="Replace a project"),
    partial_update=extend_schema(summary="Change a project"),
    destroy=extend_schema(summary="Delete a project (its history is kept)"),
)
class ProjectViewSet(RegistryModelViewSet):
    queryset = Project.objects.all()
    serializer_class = serializers.ProjectDetailSerializer
    filterset_class = ProjectFilterSet
    lookup_field = "slug"
    export_basename = "cpec-projects"
    offers_geojson = True
    detail_query_params = frozenset({"as_of", "include_future"})
    pagination_class = PageOrCursorPagination  # the history action pages by number only

    def as_of(self) -> datetime.date | None:
        """The date the registry is read as of (``as_of``, validated by the filterset), or None for today."""
        if self.request.method not in ("GET", "HEAD") or self.action not in ("list", "retrieve"):
            return None
        value = (self.request.query_params.get("as_of") or "").strip()
        try:
            return datetime.date.fromisoformat(value) if value else None
        except ValueError:
            return None  # the filterset refuses it with a 400 naming the parameter

    def get_queryset(self):
        if self.action in ("history", "list") or (self.action == "retrieve" and self.request.method in ("GET", "HEAD")):
            # The history needs the project's id only; a list and a read of one project read values() rows
            # (list_values, detail_row) with their relations attached.
            return visible_projects(self.request.user)
        # Writes (and the browsable API's forms) keep the serializer's instance with every related list prefetched.
        return (
            visible_projects(self.request.user)
            .select_related("corridor", "sector")
            .prefetch_related(
                Prefetch("pillars", queryset=Pillar.objects.only("id", "code")),
                Prefetch("provinces", queryset=Province.objects.order_by("code")),
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("organisation").order_by(*PARTICIPANT_ORDER),
                ),
                Prefetch(
                    "status_changes",
                    queryset=StatusChange.objects.select_related("source").order_by(*STATUS_HISTORY_ORDER),
                ),
                Prefetch(
                    "investments",
                    queryset=InvestmentFigure.objects.select_related("source", "exchange_rate__source").order_by(
                        *INVESTMENT_ORDER
                    ),
                ),
                "external_ids",
                Prefetch(
                    "event_links", queryset=EventProject.objects.select_related("event").order_by(*EVENT_LINK_ORDER)
                ),
                Prefetch("sources", queryset=Source.objects.order_by("id")),
            )
        )

    def retrieve(self, request, *args, **kwargs):
        # A read of one project: values() rows, no Project, related instances or prefetch machinery (detail_row).
        return Response(self.get_serializer().row_representation(self.detail_row()))

    def detail_row(self) -> dict:
        """The shown project as a ``values()`` row with the related lists its wanted fields show (only those:
        ``fields=``), as of ``as_of`` when given (the filterset has annotated and filtered the queryset for it);
        a 404 for a project the reader may not see, as ``get_object`` gives."""
        on, wanted = self.as_of(), self.requested_fields()
        rows = detail_values(self.filter_queryset(self.get_queryset()), wanted, on)
        row = get_object_or_404(rows, slug=self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        self.check_object_permissions(self.request, row)
        self.shown_updated_at = row["updated_at"]
        if on is not None:
            apply_as_of_to_row(row, on)
        return attach_detail_relations(row, PROJECT_DETAIL_FIELDS if wanted is None else wanted, on)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ProjectSerializer
        return serializers.ProjectDetailSerializer

    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", "json") in EXPORT_FORMATS:
            return super().list(request, *args, **kwargs)  # export_rows reads values() rows too
        # A page is only read: values() rows (list_values), no model instances for the projects, their corridor and
        # sector.
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedOn(self.list_rows(queryset), counted=queryset))
        serializer = self.get_serializer()
        return self.get_paginated_response([serializer.row_representation(row) for row in page])

    def list_rows(self, queryset):
        return list_values(queryset, self.requested_fields(), self.as_of())

    def export_rows(self, queryset):
        serializer = self.get_export_serializer_class()(context=self.get_serializer_context())
        rows = self.list_rows(queryset).iterator(chunk_size=EXPORT_CHUNK_SIZE)
        while batch := list(islice(rows, EXPORT_CHUNK_SIZE)):
            for row in self.prepare_rows(batch):
                yield serializer.row_representation(row)

    def prepare_rows(self, rows):
        on = self.as_of()
        if on is not None:
            for row in rows:
                apply_as_of_to_row(row, on)
        wanted = self.requested_fields()
        return attach_list_relations(rows, LIST_RELATIONS if wanted is None else wanted)

    def csv_row(self, row):
        if "participants" in row:
            row["participant_names"] = [p["name"] for p in row["participants"]]
            row["participants"] = [f"{p['organisation']}:{p['role']}" for p in row["participants"]]
        return row

    def feature_id(self, row):
        return row.get("slug")  # absent only when fields= leaves the slug out

    def export_columns(self):
        # CSV carries the participants' names too, in the same order as their slug:role pairs.
        columns = super().export_columns()
        if "participants" in columns and self.request.accepted_renderer.format == "csv":
            columns.insert(columns.index("participants") + 1, "participant_names")
        return columns

    def feature_geometry(self, row):
        if row.get("latitude") is None or row.get("longitude") is None:
            return None
        return {"type": "Point", "coordinates": [float(row["longitude"]), float(row["latitude"])]}

    @extend_schema(
        summary="A project's change history",
        description="Every change to the project and the records that hang off it, newest first: to the public, "
        "its life while published (publishing reads as its creation, unpublishing as its deletion); editors see "
        "every change, drafts included.",
        responses=ChangeEntrySerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], serializer_class=ChangeEntrySerializer, pagination_class=PageNumberPagination)
    def history(self, request, slug=None):
        project = self.get_object()
        editor = self.user_is_editor()
        page = self.paginate_queryset(feed.history_of("project", project.pk, editor=editor).select_related("user"))
        entries = [feed.represent(entry, editor=editor, request=request) for entry in page]
        return self.get_paginated_response(ChangeEntrySerializer(entries, many=True).data)
