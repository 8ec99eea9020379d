"""Behaviour every registry viewset shares: strict query parameters, exports, ETags, JSON errors."""

import datetime
import hashlib
from itertools import islice

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpResponseNotModified
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response

from registry.api import filters
from registry.api.renderers import (
    EXPORT_CHUNK_SIZE,
    EXPORT_FORMATS,
    BrowsableAPIRenderer,
    CSVRenderer,
    GeoJSONRenderer,
    ORJSONRenderer,
    dumps,
    export_response,
    stream_csv,
    stream_geojson,
)
from registry.permissions import is_editor

ALWAYS_ACCEPTED = {"format"}


def form_errors(errors) -> exceptions.ValidationError:
    """A form's or filterset's errors as a 400. Unlike django-filter, do not %-format messages that have no
    parameters: they quote the caller's input, which may hold a ``%``."""
    detail = {}
    for name, error_list in errors.items():
        detail[name] = [
            exceptions.ErrorDetail(message, code=error.code) for error in error_list.as_data() for message in error
        ]
    return exceptions.ValidationError(detail)


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list" and not (
            request.query_params.keys() & getattr(view, "detail_query_params", frozenset())
        ):
            # One record, or a write: the list's filters do not apply (the strict check has refused them), so no
            # filterset is built; a detail's own parameters (a project read as of a date) still go through it.
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        kwargs = self.get_filterset_kwargs(request, queryset, view)
        if issubclass(filterset_class, filters.RegistryFilterSet):
            kwargs["given_only"] = True  # only the filters of the given parameters (RegistryFilterSet.__init__)
        filterset = filterset_class(**kwargs)
        if not filterset.is_valid():
            raise form_errors(filterset.errors)
        return filterset.qs


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it: GET it again, re-apply your change, and resend it."
    default_code = "precondition_failed"


def etag_for(content: bytes) -> str:
    return f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"'


EDITOR_ONLY_MESSAGE = (
    "Only editors may use {name}: send an editor's token (Authorization: Token <key>). Other readers see published "
    "records only."
)


class StrictQueryParamsMixin:
    """An unknown query parameter or ``format`` is a 400 naming it and listing what is accepted."""

    paginated_actions = ("list", "history")
    # Filter parameters that a single record accepts too (a project read as of a date).
    detail_query_params: frozenset[str] = frozenset()

    def accepted_query_params(self) -> set[str]:
        accepted = set(ALWAYS_ACCEPTED)
        action = getattr(self, "action", None)
        if action == "retrieve":
            accepted |= self.detail_query_params
        if action in getattr(self, "sparse_actions", ()):
            accepted.add("fields")
        filterset_class = getattr(self, "filterset_class", None)
        if action == "list" and filterset_class is not None:
            accepted |= filterset_class.accepted_params(editor=self.user_is_editor())
        if action in self.paginated_actions:
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                accepted |= {
                    name
                    for name in (
                        getattr(paginator, "page_query_param", None),
                        getattr(paginator, "page_size_query_param", None),
                        getattr(paginator, "cursor_query_param", None),
                        getattr(paginator, "mode_query_param", None),
                    )
                    if name
                }
        return accepted

    def user_is_editor(self) -> bool:
        return is_editor(self.request.user)

    def editor_only_query_params(self) -> frozenset[str]:
        """The filters of this request's filterset that only editors may use (``RegistryFilterSet.EDITOR_ONLY``)."""
        filterset_class = getattr(self, "filterset_class", None)
        if getattr(self, "action", None) != "list" or filterset_class is None:
            return frozenset()
        return getattr(filterset_class, "EDITOR_ONLY", frozenset())

    def check_query_params(self, request):
        accepted = self.accepted_query_params()
        editor_only = sorted((set(request.query_params) - accepted) & self.editor_only_query_params())
        if editor_only:
            # A documented parameter the reader may not use: say so (401 asks for credentials, 403 for an editor's),
            # rather than calling it unknown.
            detail = {name: [EDITOR_ONLY_MESSAGE.format(name=name)] for name in editor_only}
            if request.authenticators and not request.successful_authenticator:
                raise exceptions.NotAuthenticated(detail)
            raise exceptions.PermissionDenied(detail)
        unknown = sorted(set(request.query_params) - accepted)
        if unknown:
            listing = ", ".join(sorted(accepted))
            raise exceptions.ValidationError(
                {name: [f"Unknown query parameter. Accepted parameters: {listing}."] for name in unknown}
            )
        requested = request.query_params.get("format")
        formats = [renderer.format for renderer in self.get_renderers()]
        if requested is not None and requested not in formats:
            raise exceptions.ValidationError(
                {"format": [f"Unknown format {requested!r}. Allowed: {', '.join(formats)}."]}
            )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.check_query_params(request)

    def check_permissions(self, request):
        # A method the route does not offer is a 405 for everyone (before credentials and query parameters are
        # judged), not a 401/403 that suggests credentials would help. Handlers are bound per route.
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method)
        super().check_permissions(request)

    def perform_content_negotiation(self, request, force=False):
        # Validate `format` ourselves (a 400, not DRF's 404) before negotiation uses it.
        requested = request.query_params.get("format")
        if requested is not None and requested not in [renderer.format for renderer in self.get_renderers()]:
            return (ORJSONRenderer(), ORJSONRenderer.media_type)
        return super().perform_content_negotiation(request, force)


def render_errors_as_json(view, response) -> None:
    """An error is JSON whatever format was asked for (CSV, GeoJSON, the schema's YAML, a docs page)."""
    if isinstance(response, Response) and response.status_code >= 400:
        renderer = getattr(response, "accepted_renderer", None)
        if renderer is not None and not isinstance(renderer, ORJSONRenderer):
            response.accepted_renderer = ORJSONRenderer()
            response.accepted_media_type = ORJSONRenderer.media_type
            response.renderer_context = view.get_renderer_context()


class JSONErrorsMixin:
    """For API views whose answers are not JSON: their errors still are."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        render_errors_as_json(self, response)
        return response


def etag_matches(etag: str, header: str) -> bool:
    """RFC 9110's weak comparison, which ``If-None-Match`` uses: ``W/"x"`` matches ``"x"`` (a proxy that compresses
    an answer marks its ETag weak, and a client sends back what it got)."""
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == opaque for tag in parse_etags(header))


def not_modified_since(last_modified: datetime.datetime | None, header: str) -> bool:
    """True when ``If-Modified-Since`` is a valid date no earlier than ``last_modified`` (whole seconds)."""
    since = parse_http_date_safe(header) if header else None
    return last_modified is not None and since is not None and int(last_modified.timestamp()) <= since


class ConditionalMixin:
    """``ETag`` on GET (304 on ``If-None-Match``, weak comparison); ``Last-Modified`` on a record that has an
    ``updated_at`` (304 on ``If-Modified-Since`` when no ``If-None-Match`` is sent, RFC 9110 13.2.2)."""

    # The shown record's ``updated_at``: set by get_object, or by a view that reads the record as a values() row.
    shown_updated_at: datetime.datetime | None = None

    def last_modified(self) -> datetime.datetime | None:
        """The shown record's ``updated_at`` (a detail read of the record as it is now); None elsewhere."""
        if getattr(self, "action", None) != "retrieve" or self.request.query_params.get("as_of"):
            return None
        return self.shown_updated_at

    def get_object(self):
        instance = super().get_object()
        self.shown_updated_at = getattr(instance, "updated_at", None)
        return instance

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        render_errors_as_json(self, response)
        if request.method in ("GET", "HEAD") and isinstance(response, Response) and response.status_code == 200:
            # The response cache (registry.response_cache) hands anonymous reads an ETag made from the data version;
            # other reads hash what they answer.
            etag = getattr(request, "version_etag", None)
            if etag is None:
                response.render()
                etag = etag_for(response.content)
            response["ETag"] = etag
            last_modified = self.last_modified()
            if last_modified is not None:
                response["Last-Modified"] = http_date(last_modified.timestamp())
            if_none_match = request.headers.get("If-None-Match")
            if (if_none_match is not None and etag_matches(etag, if_none_match)) or (
                if_none_match is None and not_modified_since(last_modified, request.headers.get("If-Modified-Since"))
            ):
                not_modified = HttpResponseNotModified()
                for header in ("ETag", "Last-Modified", "Cache-Control", "Vary"):
                    if header in response:
                        not_modified[header] = response[header]
                return not_modified
        return response


class IfMatchMixin:
    """``If-Match`` on PUT/PATCH/DELETE (412 when it changed). Only for viewsets that write: defining ``update``
    and ``destroy`` makes the router route PUT and DELETE to them."""

    def current_etag(self, instance) -> str:
        data = self.get_serializer(instance).data
        return etag_for(dumps(data))

    def check_if_match(self, instance):
        header = self.request.headers.get("If-Match")
        if not header or header.strip() == "*":
            return
        if self.current_etag(instance) not in parse_etags(header):
            raise PreconditionFailed()

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            self.check_if_match(self.get_object_for_update())
            return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            self.check_if_match(self.get_object_for_update())
            return super().destroy(request, *args, **kwargs)

    def get_object_for_update(self):
        """The row as it is now, locked until the write commits so that no one slips in between."""
        instance = self.get_object()
        list(type(instance).objects.select_for_update().filter(pk=instance.pk).values_list("pk", flat=True))
        return self.get_object()


class ExportMixin:
    """``?format=csv`` / ``?format=geojson`` on a list: the whole filtered result, streamed, with a filename."""

    export_basename = "export"
    offers_geojson = False

    def get_renderers(self):
        renderers = [ORJSONRenderer()]
        if self.action == "list":
            renderers.append(CSVRenderer())
            if self.offers_geojson:
                renderers.append(GeoJSONRenderer())
        renderers.append(BrowsableAPIRenderer())
        return renderers

    def export_rows(self, queryset):
        # One serializer for every row, as a list serializer does: building one per row (deep-copying its fields)
        # cost milliseconds per row, minutes for a whole-registry export.
        serializer = self.get_export_serializer_class()(context=self.get_serializer_context())
        instances = queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)
        while batch := list(islice(instances, EXPORT_CHUNK_SIZE)):
            for instance in self.prepare_rows(batch):
                yield serializer.to_representation(instance)

    def prepare_rows(self, instances: list) -> list:
        """Load, in a few queries for the whole batch, what the list serializer reads of a page or export chunk."""
        return instances

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return self.prepare_rows(page) if page is not None and self.action == "list" else page

    def csv_row(self, row: dict) -> dict:
        """Flatten a row for CSV; lists are joined with ';' by the writer."""
        return row

    def get_export_serializer_class(self):
        return self.get_serializer_class()

    def feature_geometry(self, row: dict) -> dict | None:
        raise NotImplementedError("Lists that offer GeoJSON say where each row is.")

    def feature_id(self, row: dict) -> str | None:
        """The feature's ``id`` (its public identifier), or None for none."""
        return None

    def export_columns(self) -> list[str]:
        return list(self.get_export_serializer_class()(context=self.get_serializer_context()).fields)

    def list(self, request, *args, **kwargs):
        export_format = getattr(request.accepted_renderer, "format", "json")
        if export_format not in EXPORT_FORMATS:
            return super().list(request, *args, **kwargs)
        if self.paginator is not None and hasattr(self.paginator, "check_params"):
            self.paginator.check_params(request)
        queryset = self.filter_queryset(self.get_queryset())
        rows = self.export_rows(queryset)
        if export_format == "csv":
            chunks = stream_csv(self.export_columns(), (self.csv_row(row) for row in rows))
            return export_response(
                chunks, content_type="text/csv; charset=utf-8", basename=self.export_basename, extension="csv"
            )
        chunks = stream_geojson(rows, self.feature_geometry, self.feature_id)
        return export_response(
            chunks, content_type="application/geo+json", basename=self.export_basename, extension="geojson"
        )


class SparseFieldsMixin:
    """``fields=a,b,c`` on lists, details and their exports (NetBox-style): only those fields, in that order; an
    unknown name is a 400 listing the allowed ones. Serializers read the choice from their context
    (``RegistryModelSerializer``), and a viewset may fetch less for it (``requested_fields``)."""

    sparse_actions = ("list", "retrieve")

    def field_names(self) -> list[str]:
        """Every field the action's serializer shows."""
        serializer_class = self.get_export_serializer_class() if self.action == "list" else self.get_serializer_class()
        return list(serializer_class(context={"request": self.request}).fields)

    def requested_fields(self) -> list[str] | None:
        """The fields the caller asked for, or None for all of them."""
        if hasattr(self, "_requested_fields"):
            return self._requested_fields
        self._requested_fields = None
        raw = self.request.query_params.getlist("fields") if self.action in self.sparse_actions else []
        if any(raw):  # "" asks for every field; " " is a blank name (a 400), as the schema says
            try:
                filters.reject_blank_items(raw)
            except DjangoValidationError as error:
                raise exceptions.ValidationError({"fields": error.messages}) from None
            names = filters.split_values(raw)
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise exceptions.ValidationError(
                    {"fields": [f"Each field once: {', '.join(repr(name) for name in repeated)} is listed twice."]}
                )
            allowed = self.field_names()
            unknown = [name for name in names if name not in allowed]
            if unknown:
                raise exceptions.ValidationError(
                    {
                        "fields": [
                            f"Unknown field(s) {', '.join(repr(name) for name in unknown)}. "
                            f"Allowed: {', '.join(allowed)}."
                        ]
                    }
                )
            self._requested_fields = names
        return self._requested_fields

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["fields"] = self.requested_fields()
        return context


class RegistryViewSetMixin(StrictQueryParamsMixin, SparseFieldsMixin, ConditionalMixin, ExportMixin):
    """Mix into every registry viewset (before the DRF base class)."""

    # Any identifier reaches the view, so that a malformed one is the API's JSON 404, not Django's HTML page.
    lookup_value_regex = "[^/]+"

    filter_backends = [FilterBackend]


class RegistryReadOnlyViewSet(RegistryViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


EMPTY_BODY = "The request body is empty: send the record's fields as a JSON object."


class RegistryModelViewSet(IfMatchMixin, RegistryViewSetMixin, viewsets.ModelViewSet):
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A write without a body would be applied as "change nothing": refuse it, so that a body lost on the way
        # (a client or proxy that drops it) is never acknowledged.
        if request.method in ("POST", "PUT", "PATCH") and not request.body:
            raise exceptions.ParseError(EMPTY_BODY)

    def create(self, request, *args, **kwargs):
        # The row, its history entry and its many-to-many links are stored together or not at all.
        with transaction.atomic():
            return super().create(request, *args, **kwargs)
