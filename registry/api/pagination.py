"""Page-number pagination that refuses bad input instead of guessing (API.md: Conventions)."""

from django.core.paginator import InvalidPage
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

MAX_PAGE_SIZE = 500
# Larger than any page number or size; longer digit strings stand for "huge" without int() parsing them.
HUGE = 10**18


def whole_number(raw: str) -> int | None:
    """``raw`` as a non-negative int, or None. ASCII digits only: int() would choke on "²" or 5,000 digits."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    digits = raw.lstrip("0") or "0"
    return int(digits) if len(digits) < len(str(HUGE)) else HUGE


def parse_page_size(request, default: int) -> int:
    """Read ``page_size``: a whole number from 1 to 500; anything else is a 400 naming the parameter."""
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return default
    size = whole_number(raw)
    if size is None or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Must be a whole number from 1 to {MAX_PAGE_SIZE}; got {raw!r}."]})
    return size


def document_bounds(parameters: list[dict], bounds: dict[str, dict]) -> list[dict]:
    """Add the accepted range (``minimum``/``maximum``) to the pagination parameters of the OpenAPI schema."""
    for parameter in parameters:
        parameter["schema"].update(bounds.get(parameter["name"], {}))
    return parameters


class CountedOn:
    """Rows to page through, counted on another queryset that selects the same rows more cheaply: a ``values()``
    list joins the tables its columns come from (a project's corridor and sector codes), and ``count()`` keeps those
    joins; the queryset the rows were read from counts the same rows without them. Everything else is the rows'."""

    def __init__(self, rows, counted):
        self.rows, self.counted = rows, counted

    def count(self) -> int:
        return self.counted.count()

    def __getitem__(self, key):
        return self.rows[key]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getattr__(self, name):
        return getattr(self.rows, name)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Number of results per page (1–{MAX_PAGE_SIZE}, default 50)."
    page_query_description = "Page number, from 1."

    def get_page_size(self, request):
        return parse_page_size(request, self.page_size)

    def get_page_number(self, request) -> int:
        raw = request.query_params.get(self.page_query_param) or "1"
        number = whole_number(raw)
        if number is None or number < 1:
            raise ValidationError({"page": [f"Must be a whole number from 1; got {raw!r}."]})
        return number

    def check_params(self, request) -> None:
        """Refuse malformed paging parameters even where they are not used (exports return every row)."""
        self.get_page_number(request)
        self.get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        raw = request.query_params.get(self.page_query_param) or "1"
        number = self.get_page_number(request)
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            message = f"Page {raw} is out of range (last page: {paginator.num_pages})."
            raise ValidationError({"page": [message]}) from None
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": MAX_PAGE_SIZE},
        }
        return document_bounds(super().get_schema_operation_parameters(view), bounds)


class CursorPagination(pagination.CursorPagination):
    """For tables that grow without bound: no COUNT(*), stable under concurrent inserts."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = f"Number of results per page (1–{MAX_PAGE_SIZE}, default 50)."

    def get_page_size(self, request):
        return parse_page_size(request, self.page_size)

    def get_schema_operation_parameters(self, view):
        bounds = {self.page_size_query_param: {"minimum": 1, "maximum": MAX_PAGE_SIZE}}
        return document_bounds(super().get_schema_operation_parameters(view), bounds)

    def check_params(self, request) -> None:
        """Refuse malformed paging parameters even where they are not used (exports return every row)."""
        self.get_page_size(request)
        self.decode_cursor(request)

    def decode_cursor(self, request):
        if not request.query_params.get(self.cursor_query_param):
            return None  # empty, as every parameter reads it: the first page
        try:
            return super().decode_cursor(request)
        except Exception:
            raise ValidationError({"cursor": ["Invalid cursor: use the `next` or `previous` link as given."]}) from None


class PageOrCursorPagination(PageNumberPagination):
    """Page numbers by default; keyset (cursor) pages with ``pagination=cursor``, for clients that walk the whole
    list: each page is found by an index seek from the last row of the one before, so page 1,000 costs what page 1
    does (an offset page scans every row before it). Cursor pages are ordered by ``cursor_ordering`` (a unique
    column); the response has the same shape (``count``, ``next``, ``previous``, ``results``)."""

    mode_query_param = "pagination"
    cursor_query_param = "cursor"
    cursor_ordering = "slug"
    modes = ("page", "cursor")

    def __init__(self):
        super().__init__()
        self.keyset: CursorPagination | None = None

    def uses_cursor(self, request) -> bool:
        mode = request.query_params.get(self.mode_query_param) or "page"
        if mode not in self.modes:
            raise ValidationError({self.mode_query_param: [f"Give one of: {', '.join(self.modes)} (got {mode!r})."]})
        cursor = request.query_params.get(self.cursor_query_param)
        if mode == "page" and cursor:
            raise ValidationError({self.cursor_query_param: ["A cursor belongs to pagination=cursor: add it."]})
        if mode == "cursor":
            if request.query_params.get(self.page_query_param) is not None:
                raise ValidationError({self.page_query_param: ["Cursor pages have no number: follow `next`."]})
            ordering = request.query_params.get("ordering")
            if ordering not in (None, "", self.cursor_ordering):
                raise ValidationError(
                    {"ordering": [f"Cursor pages are ordered by {self.cursor_ordering}: leave ordering out."]}
                )
        return mode == "cursor"

    def _keyset(self) -> "CursorPagination":
        keyset = CursorPagination()
        keyset.ordering = self.cursor_ordering
        keyset.page_size = self.page_size
        return keyset

    def check_params(self, request) -> None:
        if self.uses_cursor(request):
            self._keyset().check_params(request)
        else:
            super().check_params(request)

    def paginate_queryset(self, queryset, request, view=None):
        if not self.uses_cursor(request):
            self.keyset = None
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.keyset = self._keyset()
        self.count = queryset.count()
        return self.keyset.paginate_queryset(queryset.order_by(self.cursor_ordering), request, view)

    def get_paginated_response(self, data):
        if self.keyset is None:
            return super().get_paginated_response(data)
        return Response(
            {
                "count": self.count,
                "next": self.keyset.get_next_link(),
                "previous": self.keyset.get_previous_link(),
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.mode_query_param,
                "required": False,
                "in": "query",
                "description": "page (default): numbered pages; cursor: keyset pages ordered by slug, for walking the "
                "whole list (follow `next`; no `page`, no `ordering`).",
                "schema": {"type": "string", "enum": list(self.modes)},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "With pagination=cursor: the position, as given in a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
        ]
