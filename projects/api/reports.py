"""Computed endpoints: investment statistics and the registry-wide change feed."""

from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from projects.api import changes, serializers
from projects.filtersets import ProjectFilterSet
from projects.models import Project
from projects.stats import DIMENSIONS, investment_stats
from projects.visibility import visible_projects
from registry.api import filters
from registry.api.pagination import MAX_PAGE_SIZE, parse_page_size
from registry.api.renderers import ORJSONRenderer
from registry.api.views import ConditionalMixin, StrictQueryParamsMixin, form_errors


class StatsFilterSet(ProjectFilterSet):
    """The project filters without ``ordering``: statistics have no order to set."""

    ordering = None


class InvestmentStatsView(StrictQueryParamsMixin, ConditionalMixin, generics.GenericAPIView):
    """Money grouped by one or two dimensions, over the projects selected by the usual project filters."""

    queryset = Project.objects.all()
    serializer_class = serializers.InvestmentStatsSerializer
    filterset_class = StatsFilterSet
    filter_backends = [DjangoFilterBackend]
    pagination_class = None
    permission_classes = [AllowAny]
    renderer_classes = [ORJSONRenderer]

    def get_queryset(self):
        return visible_projects(self.request.user)

    def accepted_query_params(self):
        accepted = {"format", "group_by", *StatsFilterSet.base_filters}
        if not self.user_is_editor():
            accepted -= ProjectFilterSet.EDITOR_ONLY
        return accepted

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
        tags=["investment"],
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
        filterset = StatsFilterSet(data=request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise form_errors(filterset.errors)
        return Response(investment_stats(filterset.qs, group_by))


class ModelListField(forms.MultipleChoiceField):
    to_python = filters.CommaSeparatedMultipleChoiceField.to_python
    validate = filters.CommaSeparatedMultipleChoiceField.validate


class ChangeFeedForm(forms.Form):
    since = filters.StrictDateTimeField(required=False)
    model = ModelListField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(name, name) for name in sorted(changes.TRACKED)]


class ChangeFeedView(StrictQueryParamsMixin, ConditionalMixin, generics.GenericAPIView):
    """Every create, update and delete on published registry data, newest first, for incremental sync."""

    serializer_class = serializers.ChangeFeedSerializer
    pagination_class = None
    permission_classes = [AllowAny]
    renderer_classes = [ORJSONRenderer]
    filter_backends = []

    def accepted_query_params(self):
        return {"format", "since", "model", "cursor", "page_size"}

    @extend_schema(
        tags=["changes"],
        summary="The registry-wide change feed",
        description="Cursor-paginated (no `count`): follow `next` to page back in time. Editors also see drafts "
        "and who made each change.",
        parameters=[
            OpenApiParameter("since", {"type": "string", "format": "date-time"}, description="Changes at or after."),
            OpenApiParameter(
                "model",
                {"type": "array", "items": {"type": "string", "enum": sorted(changes.TRACKED)}},
                explode=False,
                description="Kinds of record, comma-separated.",
            ),
            OpenApiParameter("cursor", str, description="The opaque cursor from a `next` link."),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                description=f"Entries per page (1–{MAX_PAGE_SIZE}, default 50).",
            ),
        ],
    )
    def get(self, request):
        form = ChangeFeedForm(
            data={"since": request.query_params.get("since"), "model": request.query_params.getlist("model")}
        )
        if not form.is_valid():
            raise form_errors(form.errors)
        cursor = request.query_params.get("cursor")
        entries, next_cursor = changes.change_feed(
            editor=self.user_is_editor(),
            page_size=parse_page_size(request, 50),
            since=form.cleaned_data["since"],
            models=form.cleaned_data["model"] or None,
            cursor=changes.decode_cursor(cursor) if cursor else None,
        )
        next_url = None
        if next_cursor is not None:
            next_url = replace_query_param(request.build_absolute_uri(), "cursor", changes.encode_cursor(*next_cursor))
        results = serializers.HistoryEntrySerializer(entries, many=True).data
        return Response({"next": next_url, "previous": None, "results": results})
