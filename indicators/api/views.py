"""Viewsets of the indicators API. Observations are cursor-paginated: the table grows without bound, and an
exact COUNT(*) over millions of rows on every request would dominate the response time."""

import functools

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response

from indicators import choices, services
from indicators.api import serializers
from indicators.filtersets import IndicatorFilterSet, ObservationFilterSet
from indicators.models import Indicator, Observation
from projects.visibility import is_editor, visible_projects
from registry.api.pagination import CursorPagination
from registry.api.renderers import EXPORT_FORMATS
from registry.api.views import RegistryModelViewSet


class ObservationCursorPagination(CursorPagination):
    ordering = ("period_start", "id")


def visible_observations(user):
    return _observations(public=not is_editor(user))


def _observations(*, public: bool):
    queryset = Observation.objects.all()
    return queryset.public() if public else queryset


@functools.cache
def _list_rows(*, public: bool):
    return _observations(public=public).values(*serializers.LIST_VALUES)


def visible_list_rows(user):
    """The observations ``user`` may see as the list's values() rows (``serializers.LIST_VALUES``), unfiltered and
    never evaluated: built once per process and cloned per request, as DRF clones a view's ``queryset`` attribute.
    Adding the visibility condition (a join to the project) and the columns cost more per request than a clone."""
    return _list_rows(public=not is_editor(user)).all()


@extend_schema_view(
    list=extend_schema(summary="List indicators", description="Each with its latest actual national observation."),
    retrieve=extend_schema(summary="One indicator"),
    create=extend_schema(summary="Add an indicator"),
    update=extend_schema(summary="Replace an indicator"),
    partial_update=extend_schema(summary="Change an indicator"),
    destroy=extend_schema(summary="Delete an indicator (refused while it has observations)"),
)
class IndicatorViewSet(RegistryModelViewSet):
    serializer_class = serializers.IndicatorSerializer
    filterset_class = IndicatorFilterSet
    lookup_field = "code"
    export_basename = "cpec-indicators"
    queryset = Indicator.objects.order_by("code")

    def get_queryset(self):
        national = (
            Observation.objects.filter(scope=choices.Scope.NATIONAL, kind=choices.ObservationKind.ACTUAL)
            .select_related("province", "corridor", "project", "source")
            .order_by("-period_end", "-period_start", "-id")
        )
        return (
            super()
            .get_queryset()
            .prefetch_related("corridors", Prefetch("observations", queryset=national, to_attr="national_actuals"))
        )

    @extend_schema(
        summary="An indicator's time series for one subject",
        description="Observations of one subject ordered by period (oldest first), one value per period and kind: "
        "where sources compete, the preferred value, else the one from the latest-published source (the "
        "observation list shows all of them).",
        filters=False,
        parameters=[
            OpenApiParameter(
                "scope", str, enum=choices.Scope.values, description="national (default), province, corridor, project."
            ),
            OpenApiParameter(
                "subject", str, description="Province ISO code, corridor code or project slug; omit for national."
            ),
            OpenApiParameter(
                "kind", str, enum=choices.ObservationKind.values, description="Only this kind (empty or omitted: all)."
            ),
        ],
        responses=serializers.SeriesSerializer,
    )
    @action(detail=True, methods=["get"], serializer_class=serializers.SeriesSerializer)
    def series(self, request, code=None):
        indicator = self.get_object()
        scope = request.query_params.get("scope") or choices.Scope.NATIONAL
        if scope not in choices.Scope.values:
            raise exceptions.ValidationError(
                {"scope": [f"Unknown scope {scope!r}. Allowed: {', '.join(choices.Scope.values)}."]}
            )
        kind = request.query_params.get("kind") or None  # empty, as every filter reads it: all kinds
        if kind is not None and kind not in choices.ObservationKind.values:
            raise exceptions.ValidationError(
                {"kind": [f"Unknown kind {kind!r}. Allowed: {', '.join(choices.ObservationKind.values)}."]}
            )
        subject = request.query_params.get("subject", "")
        try:
            columns = services.resolve_subject(scope=scope, subject=subject)
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        project = columns.get("project")
        if project is not None and not visible_projects(request.user).filter(pk=project.pk).exists():
            raise exceptions.ValidationError({"subject": [f"No project with slug {subject!r}."]})
        points = indicator.observations.filter(scope=scope, **columns).select_related(
            "province", "corridor", "project", "source"
        )
        if kind:
            points = points.filter(kind=kind)
        points = services.preferred_values(points.order_by("period_start", "period_end", "kind", "id"))
        return Response(
            {
                "indicator": indicator.code,
                "unit": indicator.unit,
                "scope": scope,
                "subject": subject or None,
                "points": serializers.ObservationPointSerializer(points, many=True).data,
            }
        )

    def accepted_query_params(self):
        if self.action == "series":
            return {"format", "scope", "subject", "kind"}
        return super().accepted_query_params()


@extend_schema_view(
    list=extend_schema(
        summary="List observations",
        description="Cursor-paginated (no `count`): follow `next`. `?format=csv` downloads the whole filtered result.",
    ),
    retrieve=extend_schema(summary="One observation"),
    create=extend_schema(summary="Record an observation"),
    update=extend_schema(summary="Replace an observation"),
    partial_update=extend_schema(summary="Change an observation"),
    destroy=extend_schema(summary="Delete an observation"),
)
class ObservationViewSet(RegistryModelViewSet):
    serializer_class = serializers.ObservationSerializer
    filterset_class = ObservationFilterSet
    pagination_class = ObservationCursorPagination
    export_basename = "cpec-observations"
    queryset = Observation.objects.all()

    def get_queryset(self):
        return visible_observations(self.request.user).select_related("indicator", "province", "corridor", "project")

    def list(self, request, *args, **kwargs):
        if getattr(request.accepted_renderer, "format", "json") in EXPORT_FORMATS:
            return super().list(request, *args, **kwargs)
        # A page is only read: rows from values(), no model instances (the cost that dominated the page).
        queryset = self.filter_queryset(visible_list_rows(request.user))
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer()
        return self.get_paginated_response([serializer.row_representation(row) for row in page])

    def perform_destroy(self, instance):
        services.observation_delete(observation=instance)
