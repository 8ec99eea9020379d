"""Computed endpoints: investment statistics."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from projects import choices
from projects.api import serializers
from projects.filtersets import ProjectFilterSet
from projects.models import Project
from projects.stats import DIMENSIONS, investment_stats, investment_timeline
from projects.visibility import visible_projects
from registry.api import filters
from registry.api.renderers import BrowsableAPIRenderer, CSVRenderer, ORJSONRenderer, export_response, stream_csv
from registry.api.views import ConditionalMixin, StrictQueryParamsMixin, form_errors


class StatsFilterSet(ProjectFilterSet):
    """The project filters without ``ordering``: statistics have no order to set."""

    ordering = None


class StatsCSVMixin:
    """``?format=csv`` (or ``Accept: text/csv``): the statistics as one table, a row per group and one for the
    totals (the ``row`` column says which), dimensions first, then the figures."""

    renderer_classes = [ORJSONRenderer, CSVRenderer, BrowsableAPIRenderer]
    csv_basename = "cpec-stats"

    def answer(self, data: dict):
        if getattr(self.request.accepted_renderer, "format", "json") != "csv":
            return Response(data)
        columns, rows = self.csv_table(data)
        return export_response(
            stream_csv(columns, rows),
            content_type="text/csv; charset=utf-8",
            basename=self.csv_basename,
            extension="csv",
        )

    @staticmethod
    def dimension_columns(group_by: list[str]) -> list[str]:
        return [*group_by, "role"] if "organisation" in group_by else list(group_by)

    def csv_table(self, data: dict) -> tuple[list[str], list[dict]]:
        raise NotImplementedError


class StatsView(StatsCSVMixin, StrictQueryParamsMixin, ConditionalMixin, generics.GenericAPIView):
    """A statistics endpoint: over the reader's visible projects that its ``filterset_class`` selects; accepts those
    filters and its own ``own_query_params``."""

    queryset = Project.objects.all()
    filter_backends = [DjangoFilterBackend]
    pagination_class = None
    permission_classes = [AllowAny]
    own_query_params: tuple[str, ...] = ()

    def get_queryset(self):
        return visible_projects(self.request.user)

    def accepted_query_params(self):
        return {"format", *self.own_query_params, *self.filterset_class.accepted_params(editor=self.user_is_editor())}

    def editor_only_query_params(self):
        return self.filterset_class.EDITOR_ONLY

    def filtered(self):
        """The filterset over the visible projects, validated (a 400 naming each bad parameter)."""
        filterset = self.filterset_class(
            data=self.request.query_params, queryset=self.get_queryset(), request=self.request, given_only=True
        )
        if not filterset.is_valid():
            raise form_errors(filterset.errors)
        return filterset


class InvestmentStatsView(StatsView):
    """Money grouped by one or two dimensions, over the projects selected by the usual project filters."""

    serializer_class = serializers.InvestmentStatsSerializer
    filterset_class = StatsFilterSet
    own_query_params = ("group_by",)
    csv_basename = "cpec-investment-stats"

    def csv_table(self, data):
        figures = list(serializers.InvestmentTotalsSerializer().fields)
        columns = ["row", *self.dimension_columns(data["group_by"]), *figures]
        rows = [{"row": "group", **group} for group in data["groups"]]
        rows.append({"row": "total", **data["totals"]})
        return columns, rows

    def group_by(self) -> list[str]:
        names = filters.split_values(self.request.query_params.getlist("group_by"))
        allowed = ", ".join(DIMENSIONS)
        if not 1 <= len(names) <= 2 or len(set(names)) != len(names):
            raise exceptions.ValidationError({"group_by": [f"Give one or two different dimensions of: {allowed}."]})
        unknown = [name for name in names if name not in DIMENSIONS]
        if unknown:
            raise exceptions.ValidationError(
                {"group_by": [f"Unknown dimension(s) {', '.join(unknown)}. Allowed: {allowed}."]}
            )
        return names

    @extend_schema(
        tags=["statistics"],
        summary="Investment statistics",
        description="Totals and groups of headline money over the filtered projects. A project in several "
        "pillars or provinces counts in each of its groups; `totals` counts it once.",
        filters=True,
        parameters=[
            OpenApiParameter(
                "group_by",
                {"type": "array", "items": {"type": "string", "enum": list(DIMENSIONS)}, "minItems": 1, "maxItems": 2},
                required=True,
                explode=False,
                description="One or two dimensions, comma-separated.",
            )
        ],
    )
    def get(self, request):
        group_by = self.group_by()
        filterset = self.filtered()
        roles = filterset.form.cleaned_data.get("role") or None
        return self.answer(investment_stats(filterset.qs, group_by, filterset.derived, roles))


class TimelineFilterSet(StatsFilterSet):
    """The project filters, on the projects as they are now; each year is read as of its 31 December."""

    as_of = None
    include_future = None


class InvestmentTimelineView(StatsView):
    """Headline money per calendar year, as of each 31 December: announced against realised over time."""

    serializer_class = serializers.InvestmentTimelineSerializer
    filterset_class = TimelineFilterSet
    own_query_params = ("kind", "group_by")
    csv_basename = "cpec-investment-timeline"

    def csv_table(self, data):
        dimensions = self.dimension_columns(data["group_by"])
        columns = ["kind", "year", "row", *dimensions, "project_count", "amount_usd"]
        rows = []
        for year in data["years"]:
            figures = {"kind": data["kind"], "year": year["year"]}
            rows.append(
                {**figures, "row": "total", "project_count": year["project_count"], "amount_usd": year["amount_usd"]}
            )
            rows += [{**figures, "row": "group", **group} for group in year.get("groups", [])]
        return columns, rows

    def kind(self) -> str:
        kind = self.request.query_params.get("kind", "")
        if kind not in choices.InvestmentKind.values:
            allowed = ", ".join(choices.InvestmentKind.values)
            raise exceptions.ValidationError({"kind": [f"Give one of: {allowed} (got {kind!r})."]})
        return kind

    def group_by(self) -> list[str]:
        names = filters.split_values(self.request.query_params.getlist("group_by"))
        allowed = ", ".join(DIMENSIONS)
        if len(names) > 1:
            raise exceptions.ValidationError({"group_by": [f"Give at most one dimension of: {allowed}."]})
        unknown = [name for name in names if name not in DIMENSIONS]
        if unknown:
            raise exceptions.ValidationError({"group_by": [f"Unknown dimension {unknown[0]}. Allowed: {allowed}."]})
        return names

    @extend_schema(
        tags=["statistics"],
        operation_id="stats_investment_timeline",
        summary="Investment over time",
        description="For each calendar year from the selected projects' earliest figure of `kind` to this year: the "
        "sum of their headline `kind` money as of 31 December (the headline rule over the figures dated on or before "
        "it) and `project_count`, the projects that had such a figure by then; with `group_by`, the same per group "
        "(a `status` group is each project's status on that date; a project in several pillars or provinces counts "
        "in each). The project filters select projects by their values now.",
        filters=True,
        parameters=[
            OpenApiParameter(
                "kind",
                {"type": "string", "enum": list(choices.InvestmentKind.values)},
                required=True,
                description="Which money: announced, committed or realised.",
            ),
            OpenApiParameter(
                "group_by",
                {"type": "string", "enum": list(DIMENSIONS)},
                description="One dimension to break each year down by.",
            ),
        ],
    )
    def get(self, request):
        kind, group_by = self.kind(), self.group_by()
        filterset = self.filtered()
        roles = filterset.form.cleaned_data.get("role") or None
        return self.answer(investment_timeline(filterset.qs, kind, group_by, roles))
