"""Baselines for bench/run.py: the least work that returns the same rows as the API for the same filters.

Plain Django views, no DRF: ``values()`` queries and orjson (and, for statistics, one hand-written SQL GROUP BY).
They read only the few query parameters the benchmark sends and skip validation, content negotiation, ETags and
permissions, so the ratio API/baseline is what the API's machinery costs. Published projects only, as an anonymous
reader sees them. bench/run.py checks that each baseline's rows equal the API's.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator

import orjson
from django.db import connection
from django.db.models import F, Q
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from rest_framework import generics, serializers

from indicators.api.serializers import LIST_VALUES as OBSERVATION_LIST_VALUES
from indicators.models import Observation
from projects import choices
from projects.api.serializers import PROJECT_LIST_FIELDS
from projects.models import (
    EventProject,
    ExternalIdentifier,
    InvestmentFigure,
    Participation,
    Project,
    Source,
    StatusChange,
    partial_date,
    stale_condition,
)
from projects.services import realisation_ratio
from registry.api.renderers import UTF8_BOM, csv_cell, json_default

PUBLISHED = choices.Publication.PUBLISHED
# The columns project_rows reads: the list shape's fields that are a column of the project or of a row it points
# to; the others (many-to-many codes, participants, staleness, url) are read per page or computed.
PER_PAGE = {"pillars", "is_stale", "provinces", "participants", "url"}
POINTED_TO = {"corridor": "corridor__code", "sector": "sector__code"}
PROJECT_VALUES = ["id", *(POINTED_TO.get(name, name) for name in PROJECT_LIST_FIELDS if name not in PER_PAGE)]
DETAIL_VALUES = ["mou_signed_on", "financial_close_on", "construction_started_on", "completed_on"]
SOURCE_VALUES = ["id", "title", "publisher", "url", "published_on", "accessed_on", "kind"]


def json_response(data) -> HttpResponse:
    return HttpResponse(orjson.dumps(data, default=json_default), content_type="application/json")


def _split(request, name: str) -> list[str]:
    return [item for value in request.GET.getlist(name) for item in value.split(",") if item]


def published_projects(request):
    """The benchmark's project filters (corridor, status) and ordering, as plain ORM calls."""
    queryset = Project.objects.filter(publication=PUBLISHED)
    if corridors := _split(request, "corridor"):
        queryset = queryset.filter(corridor__code__in=corridors)
    if statuses := _split(request, "status"):
        queryset = queryset.filter(status__in=statuses)
    ordering = []
    for name in _split(request, "ordering") or ["name"]:
        column = F(name.lstrip("-"))
        ordering.append(column.desc(nulls_last=True) if name.startswith("-") else column.asc(nulls_last=True))
    return queryset.order_by(*ordering, "slug")


def _grouped(rows: Iterable[tuple]) -> dict[int, list]:
    groups = defaultdict(list)
    for project_id, *value in rows:
        groups[project_id].append(value[0] if len(value) == 1 else value)
    return groups


def project_rows(rows: list[dict], base_url: str) -> list[dict]:
    """Projects in the API's list shape, with pillars, provinces and participants from three more queries."""
    ids = [row["id"] for row in rows]
    pillars = _grouped(
        Project.pillars.through.objects.filter(project_id__in=ids)
        .order_by("pillar__code")
        .values_list("project_id", "pillar__code")
    )
    provinces = _grouped(
        Project.provinces.through.objects.filter(project_id__in=ids)
        .order_by("province_id")
        .values_list("project_id", "province_id")
    )
    participants = _grouped(
        Participation.objects.filter(project_id__in=ids)
        .order_by("role", "organisation__slug")
        .values_list("project_id", "organisation__slug", "organisation__name", "role", "note")
    )
    stale = set(
        Project.objects.filter(stale_condition(), id__in=ids).values_list("id", flat=True)
    )  # the same cut-off date as the API
    return [
        {
            "slug": row["slug"],
            "name": row["name"],
            "summary": row["summary"],
            "phase": row["phase"],
            "corridor": row["corridor__code"],
            "pillars": pillars[row["id"]],
            "sector": row["sector__code"],
            "status": row["status"] or None,
            "status_since": row["status_since"],
            "is_stale": row["id"] in stale,
            "provinces": provinces[row["id"]],
            "place_name": row["place_name"],
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "location_precision": row["location_precision"] or None,
            "capacity_value": row["capacity_value"],
            "capacity_unit": row["capacity_unit"] or None,
            "announced_usd": row["announced_usd"],
            "committed_usd": row["committed_usd"],
            "realised_usd": row["realised_usd"],
            "realisation_ratio": row["realisation_ratio"],
            "participants": [
                {"organisation": slug, "name": name, "role": role, "note": note}
                for slug, name, role, note in participants[row["id"]]
            ],
            "confidence": row["confidence"] or None,
            "publication": row["publication"],
            "updated_at": row["updated_at"],
            "url": f"{base_url}{row['slug']}/",
        }
        for row in rows
    ]


def _projects_url(request) -> str:
    return request.build_absolute_uri(reverse("project-list"))


def project_list(request):
    """One page of projects with the page's count, like ``GET /api/v1/projects/`` (``page`` by OFFSET, as the API)."""
    queryset = published_projects(request)
    size = int(request.GET.get("page_size", 50))
    start = (int(request.GET.get("page", 1)) - 1) * size
    rows = list(queryset.values(*PROJECT_VALUES)[start : start + size])
    return json_response({"count": queryset.count(), "results": project_rows(rows, _projects_url(request))})


def project_detail(request, slug: str):
    row = Project.objects.filter(publication=PUBLISHED, slug=slug).values(*PROJECT_VALUES, *DETAIL_VALUES).first()
    if row is None:
        return json_response({"detail": "Not found."})
    data = project_rows([row], _projects_url(request))[0]
    del data["url"]
    data.update({name: row[name] for name in DETAIL_VALUES})

    def source(prefix_row: dict, prefix: str = "source__") -> dict:
        return {name: prefix_row[prefix + name] for name in SOURCE_VALUES}

    history = StatusChange.objects.filter(project_id=row["id"]).order_by("date", "id")
    data["status_history"] = [
        {
            "id": item["id"],
            "status": item["status"],
            "date": item["date"],
            "note": item["note"],
            "quote": item["quote"],
            "source": source(item),
        }
        for item in history.values(
            "id", "status", "date", "note", "quote", *(f"source__{name}" for name in SOURCE_VALUES)
        )
    ]
    claims = InvestmentFigure.objects.filter(project_id=row["id"]).order_by("kind", "as_of", "id")
    claim_values = [
        "id",
        "kind",
        "amount",
        "currency",
        "amount_usd",
        "amount_usd_converted",
        "no_usd_reason",
        "as_of",
        "is_preferred",
    ]
    rate_values = ["exchange_rate__id", "exchange_rate__currency", "exchange_rate__year", "exchange_rate__usd_per_unit"]
    rate_sources = [f"exchange_rate__source__{name}" for name in SOURCE_VALUES]
    rates_url = request.build_absolute_uri(reverse("exchange-rate-list"))

    def rate(item: dict) -> dict | None:
        if item["exchange_rate__id"] is None:
            return None
        return {
            "id": item["exchange_rate__id"],
            "currency": item["exchange_rate__currency"],
            "year": item["exchange_rate__year"],
            "usd_per_unit": item["exchange_rate__usd_per_unit"],
            "source": source(item, "exchange_rate__source__"),
            "url": f"{rates_url}{item['exchange_rate__id']}/",
        }

    data["investments"] = [
        {
            **{name: item[name] for name in claim_values},
            "note": item["note"],
            "quote": item["quote"],
            "source": source(item),
            "exchange_rate": rate(item),
        }
        for item in claims.values(
            *claim_values, "note", "quote", *(f"source__{name}" for name in SOURCE_VALUES), *rate_values, *rate_sources
        )
    ]
    data["external_ids"] = list(
        ExternalIdentifier.objects.filter(project_id=row["id"])
        .order_by("scheme", "value")
        .values("scheme", "value", "url", "quote")
    )
    links = EventProject.objects.filter(project_id=row["id"]).order_by("event__date", "event__slug", "role")
    data["events"] = [
        {
            "event": item["event__slug"],
            "title": item["event__title"],
            "kind": item["event__kind"],
            "date": partial_date(item["event__date"], item["event__date_precision"]),
            "role": item["role"],
            "note": item["note"],
        }
        for item in links.values(
            "event__slug", "event__title", "event__kind", "event__date", "event__date_precision", "role", "note"
        )
    ]
    sources = Project.sources.through.objects.filter(project_id=row["id"]).order_by("source_id")
    data["sources"] = [source(item) for item in sources.values(*(f"source__{name}" for name in SOURCE_VALUES))]
    data["observations_url"] = request.build_absolute_uri(reverse("observation-list")) + f"?project={slug}"
    data["url"] = f"{_projects_url(request)}{slug}/"
    return json_response(data)


def _row_batches(request) -> Iterator[list[dict]]:
    """The filtered published projects in the list shape, 1000 rows at a time, from ``values().iterator()``."""
    queryset = published_projects(request).values(*PROJECT_VALUES)
    base_url = _projects_url(request)
    batch = []
    for row in queryset.iterator(chunk_size=1000):
        batch.append(row)
        if len(batch) == 1000:
            yield project_rows(batch, base_url)
            batch = []
    if batch:
        yield project_rows(batch, base_url)


def project_csv(request):
    """Every filtered project as CSV, streamed: rows from ``values().iterator()``, related codes per 1000 rows."""
    columns = LIST_COLUMNS

    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        buffer.write(UTF8_BOM)
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for batch in _row_batches(request):
            yield _csv_batch(writer, buffer, columns, batch)
        yield buffer.getvalue().encode()

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="baseline.csv"'
    return response


def project_geojson(request):
    """Every filtered project as a GeoJSON FeatureCollection, streamed: rows from ``values().iterator()``, related
    codes and one orjson call per 1000 rows."""
    queryset = published_projects(request).values(*PROJECT_VALUES)
    base_url = _projects_url(request)

    def chunks() -> Iterator[bytes]:
        yield b'{"type":"FeatureCollection","features":['
        batch, separator = [], b""
        for row in queryset.iterator(chunk_size=1000):
            batch.append(row)
            if len(batch) == 1000:
                yield separator + _geojson_batch(batch, base_url)
                batch, separator = [], b","
        yield (separator + _geojson_batch(batch, base_url) if batch else b"") + b"]}"

    response = StreamingHttpResponse(chunks(), content_type="application/geo+json")
    response["Content-Disposition"] = 'attachment; filename="baseline.geojson"'
    return response


def _geojson_batch(rows: list[dict], base_url: str) -> bytes:
    features = [
        {
            "type": "Feature",
            "id": item["slug"],
            "geometry": None
            if item["latitude"] is None or item["longitude"] is None
            else {"type": "Point", "coordinates": [float(item["longitude"]), float(item["latitude"])]},
            "properties": item,
        }
        for item in project_rows(rows, base_url)
    ]
    return orjson.dumps(features, default=json_default)[1:-1]  # the features, comma-separated, without [ ]


# The CSV's columns: the list shape's fields, the participants' names beside their slug:role pairs.
LIST_COLUMNS = [
    *PROJECT_LIST_FIELDS[: PROJECT_LIST_FIELDS.index("participants") + 1],
    "participant_names",
    *PROJECT_LIST_FIELDS[PROJECT_LIST_FIELDS.index("participants") + 1 :],
]


def _csv_batch(writer, buffer: io.StringIO, columns: list[str], items: list[dict]) -> bytes:
    for item in items:
        item["participant_names"] = [p["name"] for p in item["participants"]]
        item["participants"] = [f"{p['organisation']}:{p['role']}" for p in item["participants"]]
        item["updated_at"] = item["updated_at"].isoformat()
        writer.writerow([csv_cell(item[column]) for column in columns])
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data


CAPACITY_UNITS = choices.CapacityUnit.values
BOTH = "p.announced_usd IS NOT NULL AND p.realised_usd IS NOT NULL"
STATS_DIMENSIONS = {"corridor": "c.code", "status": "p.status"}  # the dimensions the benchmark groups by


def stats_sql(dimensions: list[str]) -> str:
    columns = ", ".join(STATS_DIMENSIONS[name] for name in dimensions)
    return f"""
    SELECT {columns}, GROUPING({columns}) AS is_total,
           COUNT(*), SUM(p.announced_usd), SUM(p.committed_usd), SUM(p.realised_usd),
           COUNT(*) FILTER (WHERE {BOTH}),
           SUM(p.announced_usd) FILTER (WHERE {BOTH}),
           SUM(p.realised_usd) FILTER (WHERE {BOTH}),
           {", ".join("SUM(p.capacity_value) FILTER (WHERE p.capacity_unit = %s)" for _ in CAPACITY_UNITS)}
    FROM projects_project p LEFT JOIN projects_corridor c ON c.id = p.corridor_id
    WHERE p.publication = %s
    GROUP BY GROUPING SETS (({columns}), ())
    ORDER BY is_total DESC, {columns}
"""


def investment_stats(request):
    """``stats/investment?group_by=...`` (corridor and/or status) over published projects: one GROUP BY with a
    totals set."""
    dimensions = _split(request, "group_by") or ["corridor", "status"]
    with connection.cursor() as cursor:
        cursor.execute(stats_sql(dimensions), [*CAPACITY_UNITS, PUBLISHED])
        rows = cursor.fetchall()
    width = len(dimensions) + 1  # the group's values, then GROUPING()

    def figures(row) -> dict:
        count, announced, committed, realised, with_both, with_both_announced, with_both_realised = row[
            width : width + 7
        ]
        capacity = dict(zip(CAPACITY_UNITS, row[width + 7 :], strict=True))
        return {
            "project_count": count,
            "announced_usd": announced,
            "committed_usd": committed,
            "realised_usd": realised,
            "ratio_project_count": with_both,
            "realisation_ratio": realisation_ratio(with_both_announced, with_both_realised),
            "realisation_ratio_all_projects": realisation_ratio(announced, realised),
            "capacity": {unit: total for unit, total in capacity.items() if total is not None},
        }

    def group(row) -> dict:
        # A project without a status has "" in the column and null in the API.
        values = {name: value or None for name, value in zip(dimensions, row, strict=False)}
        return {**values, **figures(row)}

    totals = figures(rows[0])
    return json_response({"group_by": dimensions, "totals": totals, "groups": [group(row) for row in rows[1:]]})


def observation_list(request):
    """One page of observations in (period_start, id) order, like the API's cursor pages (without the cursor)."""
    queryset = Observation.objects.filter(~Q(scope="project") | Q(project__publication=PUBLISHED))
    if indicators := _split(request, "indicator"):
        queryset = queryset.filter(indicator__code__in=indicators)
    if scopes := _split(request, "scope"):
        queryset = queryset.filter(scope__in=scopes)
    if kinds := _split(request, "kind"):
        queryset = queryset.filter(kind__in=kinds)
    if after := request.GET.get("period_after"):
        queryset = queryset.filter(period_end__gte=after)
    size = int(request.GET.get("page_size", 50))
    base_url = request.build_absolute_uri(reverse("observation-list"))
    results = [
        {
            "id": row["id"],
            "indicator": row["indicator__code"],
            "scope": row["scope"],
            "subject": row["province_id"] or row["corridor__code"] or row["project__slug"],
            "period_start": row["period_start"],
            "period_end": row["period_end"],
            "kind": row["kind"],
            "value": row["value"],
            "source": row["source_id"],
            "note": row["note"],
            "quote": row["quote"],
            "is_preferred": row["is_preferred"],
            "url": f"{base_url}{row['id']}/",
        }
        for row in queryset.order_by("period_start", "id").values(*OBSERVATION_LIST_VALUES)[:size]
    ]
    return json_response({"results": results})


# --- the naive view: what a first DRF version of the detail would be --------------------------------------------
# Not a lower bound like the views above but the other side of the issue-16 target "detail faster than a naive
# ModelSerializer view": DRF's generic view with nested ModelSerializers, the project's DRF defaults, and the
# related lists prefetched. The document holds the same record in DRF's default shapes (not byte-identical).


class NaiveSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "publisher", "url", "published_on", "accessed_on", "kind"]


class NaiveStatusChangeSerializer(serializers.ModelSerializer):
    source = NaiveSourceSerializer()

    class Meta:
        model = StatusChange
        exclude = ["project"]


class NaiveInvestmentSerializer(serializers.ModelSerializer):
    source = NaiveSourceSerializer()

    class Meta:
        model = InvestmentFigure
        exclude = ["project"]
        depth = 1


class NaiveParticipationSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Participation
        exclude = ["project"]


class NaiveExternalIdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExternalIdentifier
        exclude = ["project"]


class NaiveEventLinkSerializer(serializers.ModelSerializer):
    event = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = EventProject
        exclude = ["project"]


class NaiveProjectSerializer(serializers.ModelSerializer):
    corridor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sector = serializers.SlugRelatedField(slug_field="code", read_only=True)
    pillars = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    provinces = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    participations = NaiveParticipationSerializer(many=True)
    status_changes = NaiveStatusChangeSerializer(many=True)
    investments = NaiveInvestmentSerializer(many=True)
    external_ids = NaiveExternalIdentifierSerializer(many=True)
    event_links = NaiveEventLinkSerializer(many=True)
    sources = NaiveSourceSerializer(many=True)

    class Meta:
        model = Project
        fields = "__all__"


class NaiveProjectDetail(generics.RetrieveAPIView):
    serializer_class = NaiveProjectSerializer
    lookup_field = "slug"
    queryset = (
        Project.objects.filter(publication=PUBLISHED)
        .select_related("corridor", "sector")
        .prefetch_related(
            "pillars",
            "provinces",
            "participations__organisation",
            "status_changes__source",
            "investments__source",
            "investments__exchange_rate",
            "external_ids",
            "event_links__event",
            "sources",
        )
    )


naive_project_detail = NaiveProjectDetail.as_view()
