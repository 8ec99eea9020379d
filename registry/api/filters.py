"""Filter building blocks for strict, documented query parameters (API.md: Conventions).

Multi-value filters accept ``?x=a,b`` and ``?x=a&x=b`` alike ("any of"); an unknown value is a 400 that names the
parameter and, for short vocabularies, lists the allowed values.
"""

import copy
import datetime
import re
from decimal import Decimal, InvalidOperation

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone
from django_filters.filters import FilterMethod
from drf_spectacular.utils import extend_schema_field

from registry import data_version
from registry.api import code_maps

# Vocabularies up to this size are listed in full in error messages.
LIST_ALLOWED_UP_TO = 40


def reject_blank_items(values) -> None:
    """``?x=a,,b`` or ``?x=,`` name an empty value: a 400, not a silently shorter list (``?x=`` means no filter)."""
    if values is None:
        return
    raw = [values] if isinstance(values, str) else [str(value) for value in values]
    listed = any(raw) or len(raw) > 1  # " " is a blank item, as the schema's item pattern says; "" is no filter
    if listed and any(not item.strip() for text in raw for item in text.split(",")):
        raise ValidationError("An empty value in the list: give values separated by single commas.", code="blank")


def split_values(values) -> list[str]:
    """``["a,b", "c"]`` → ``["a", "b", "c"]``; blank items are dropped."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return [item.strip() for value in values for item in str(value).split(",") if item.strip()]


class CommaOrRepeatedInput(forms.TextInput):
    """Reads every occurrence of a repeated parameter (``?x=a&x=b``), not just the last one."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)


class CommaSeparatedMultipleChoiceField(forms.MultipleChoiceField):
    def to_python(self, value):
        reject_blank_items(value)
        return split_values(value)

    def validate(self, value):
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        allowed = [str(key) for key, _ in self.choices]
        unknown = [item for item in value if item not in allowed]
        if unknown:
            raise ValidationError(
                f"Unknown value(s) {', '.join(repr(u) for u in unknown)}. Allowed: {', '.join(allowed)}.",
                code="invalid_choice",
            )


class CommaSeparatedModelMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    # The data version this request reads under (``data_version.request_version``), set by a filter whose codes may be
    # answered from the process's map of its vocabulary (``MultiCodeFilter(cached=True)``); None: always query.
    read_version = None

    def __init__(self, *args, none_value: str | None = None, **kwargs):
        self.none_value = none_value  # a value that asks for rows without any (``none``), kept as that string
        super().__init__(*args, **kwargs)

    def clean(self, value):
        reject_blank_items(value)
        values = split_values(value)
        if not values:
            return self.queryset.none() if self.required else []
        wants_none = self.none_value is not None and self.none_value in values
        values = [item for item in values if item != self.none_value] if wants_none else values
        if not values:
            return [self.none_value]
        key = self.to_field_name or "pk"
        found = self.found_rows(key, values)
        unknown = [item for item in values if item not in found]
        if unknown:
            message = f"Unknown value(s) {', '.join(repr(u) for u in unknown)}."
            if self.queryset.count() <= LIST_ALLOWED_UP_TO:
                allowed = sorted(str(v) for v in self.queryset.values_list(key, flat=True))
                allowed += [self.none_value] if self.none_value is not None else []
                message += f" Allowed: {', '.join(allowed)}."
            raise ValidationError(message, code="invalid_choice")
        return [*found.values(), *([self.none_value] if wants_none else [])]

    def found_rows(self, key: str, values: list[str]) -> dict:
        """The rows of ``values`` that exist (code -> row): from the process's map of the vocabulary when it holds
        every one of them at this request's data version (no query), else from the database (``code_maps``)."""
        version = self.read_version() if self.read_version is not None else None
        model = self.queryset.model
        if version is not None:
            kept = code_maps.kept_rows(model, key, version)
            if all(item in kept for item in values):
                wanted = set(values)
                return {code: row for code, row in kept.items() if code in wanted}
        try:
            queryset = code_maps.lookup_database(self.queryset, version).filter(**{f"{key}__in": values})
            found = {str(getattr(obj, key)): obj for obj in queryset}
        except (ValueError, TypeError, ValidationError):  # e.g. a non-number where ids are numbers
            raise ValidationError(f"Invalid value(s): {', '.join(repr(v) for v in values)}.", code="invalid") from None
        if version is not None:
            code_maps.keep_rows(model, key, version, found)
        return found


class TextSearchFilter(django_filters.CharFilter):
    """``search=``: the records whose any of ``fields`` holds the text, case-insensitively (blank: no filter)."""

    def __init__(self, *, fields: tuple[str, ...], **kwargs):
        self.search_fields = fields
        super().__init__(**kwargs)

    def filter(self, queryset, value):
        term = (value or "").strip()
        return queryset.filter(self.condition(term)) if term else queryset

    def condition(self, term: str) -> Q:
        """The records that match ``term`` (not blank); a subclass may widen it to related records."""
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": term})
        return condition


class MultiChoiceFilter(django_filters.MultipleChoiceFilter):
    """Any of a fixed list of values (an enum in the schema)."""

    field_class = CommaSeparatedMultipleChoiceField

    def __init__(self, *args, **kwargs):
        # The values are one column of the row (or a method filtering with EXISTS), so no row can match twice:
        # django-filter's default DISTINCT would only make the database sort or hash every matching row.
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string"})
class MultiCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Any of the rows identified by their public code/slug (``to_field_name``). With ``none_value="none"`` that
    value also matches rows whose foreign key is empty (``?corridor=none``, ``?corridor=green,none``)."""

    field_class = CommaSeparatedModelMultipleChoiceField

    def __init__(self, *args, enumerated: bool = False, cached: bool = False, **kwargs):
        # A short, editorial vocabulary (corridors, pillars, sectors): the schema lists its codes, read from the
        # database when the schema is generated.
        self.enumerated = enumerated
        # A small table filtered whole (``queryset=Model.objects.all()``): codes found are kept in the process under
        # the data version, and a request whose codes are all kept makes no query (``registry.api.code_maps``).
        self.cached = cached
        super().__init__(*args, **kwargs)
        queryset = self.extra.get("queryset")
        if cached and (queryset is None or callable(queryset) or queryset.query.has_filters()):
            raise ImproperlyConfigured(
                "A cached code filter needs a whole table as its queryset (Model.objects.all())."
            )

    @property
    def field(self):
        field = super().field
        if self.cached:
            request = self.get_request()
            field.read_version = lambda: data_version.request_version(request)
        return field

    def documented_values(self) -> list[str] | None:
        """The values the schema lists for this filter (its codes, plus ``none_value``), or None: not enumerated, or
        no database to read them from yet (a schema loaded before the tables exist)."""
        queryset = self.extra.get("queryset")
        if not self.enumerated or queryset is None or callable(queryset):
            return None
        key = self.extra.get("to_field_name") or "pk"
        try:
            codes = sorted(str(code) for code in queryset.values_list(key, flat=True))
        except (DatabaseError, RuntimeError):  # RuntimeError: pytest-django refuses database access outside a test
            return None
        if not codes:
            return None  # an empty enum is no schema
        none_value = self.extra.get("none_value")
        return [*codes, *([none_value] if none_value is not None else [])]

    def filter(self, qs, value):
        if not value:
            return qs
        none_value = self.extra.get("none_value")
        codes = [item for item in value if item != none_value] if none_value is not None else list(value)
        condition = Q(**{f"{self.field_name}__in": codes}) if codes else Q(pk__in=[])
        if none_value is not None and none_value in value:
            condition |= Q(**{f"{self.field_name}__isnull": True})
        return qs.filter(condition)


# A plain decimal number in ASCII; Decimal() alone would also take "1_000" and non-ASCII digits such as "١٢".
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NUMBER_LIMIT = Decimal("1e50")
# Enough for any IEEE 754 double (the smallest, 5e-324, has 324 places) so that every number a JSON client can send
# is taken; PostgreSQL's numeric keeps up to 16,383, so a filter value never reaches the database's limit.
MAX_DECIMAL_PLACES = 330
NUMBER_HELP = (
    f"A decimal number (an exponent such as 1e9 allowed) between -1e50 and 1e50, with at most {MAX_DECIMAL_PLACES} "
    "decimal places."
)


class StrictDecimalField(forms.DecimalField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"Enter a number; got {value!r}.", code="invalid") from None
        if not number.is_finite():
            raise ValidationError(f"Enter a finite number; got {value!r}.", code="invalid")
        if not PLAIN_NUMBER.fullmatch(text):
            raise ValidationError(f"Enter a number; got {value!r}.", code="invalid")
        # PostgreSQL's numeric cannot take 1e-999999999 or -1e999999: keep to what any filter could mean.
        if not -NUMBER_LIMIT < number < NUMBER_LIMIT:
            raise ValidationError(f"Enter a number between -1e50 and 1e50; got {value!r}.", code="invalid")
        if number.is_zero():
            return Decimal(0)  # without an exponent such as 0e-999999999's
        sign, digits, exponent = number.as_tuple()
        significant = "".join(map(str, digits)).rstrip("0")  # 1.500 has one decimal place
        exponent += len(digits) - len(significant)
        if exponent < -MAX_DECIMAL_PLACES:
            raise ValidationError(
                f"Enter a number with at most {MAX_DECIMAL_PLACES} decimal places; got {value!r}.", code="invalid"
            )
        return Decimal(f"{'-' if sign else ''}{significant}e{exponent}")


@extend_schema_field({"type": "number"})
class NumberFilter(django_filters.NumberFilter):
    field_class = StrictDecimalField


class StrictDateField(forms.DateField):
    input_formats = ["%Y-%m-%d"]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(f"Enter a date as YYYY-MM-DD; got {value!r}.", code="invalid") from None


@extend_schema_field({"type": "string", "format": "date"})
class DateFilter(django_filters.DateFilter):
    field_class = StrictDateField


class StrictDateTimeField(forms.DateTimeField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                f"Enter an ISO 8601 datetime such as 2026-01-31T12:00:00+00:00; got {value!r}.", code="invalid"
            ) from None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, datetime.UTC)
        try:
            # The database compares in UTC: 0001-01-01T00:00+14:00 has no UTC equivalent.
            return parsed.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(f"The datetime {value!r} is out of range in UTC.", code="invalid") from None


@extend_schema_field({"type": "string", "format": "date-time"})
class DateTimeFilter(django_filters.DateTimeFilter):
    field_class = StrictDateTimeField


BOOLEAN_SPELLINGS = {"true": True, "1": True, "false": False, "0": False}
BOOLEAN_HELP = "Write true or false (or 1 or 0)"


class StrictBooleanField(forms.Field):
    """A yes/no query parameter: ``true``/``1`` or ``false``/``0``, exactly these spellings (README: "Booleans")."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in BOOLEAN_SPELLINGS:
            return BOOLEAN_SPELLINGS[value]
        raise ValidationError(f"{BOOLEAN_HELP}; got {value!r}.", code="invalid")


@extend_schema_field({"type": "boolean"})
class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class SplitOrderingField(forms.CharField):
    """Validates ``ordering``: comma-separated names from the allowed list, optionally prefixed with ``-``."""

    widget = CommaOrRepeatedInput

    def __init__(self, *args, allowed=(), **kwargs):
        self.allowed = list(allowed)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        names = split_values(value)
        unknown = [name for name in names if name.removeprefix("-") not in self.allowed]
        if unknown:
            raise ValidationError(
                f"Unknown ordering {', '.join(repr(u) for u in unknown)}. Allowed: {', '.join(self.allowed)} "
                "(prefix with - for descending).",
                code="invalid_choice",
            )
        return names


class NullsLastOrderingFilter(django_filters.Filter):
    """``ordering=a,-b``: allowed names only, nulls last in both directions, a unique tie-breaker appended."""

    field_class = SplitOrderingField

    # Without the parameter it still orders (by ``default``): a filterset built for the given parameters keeps it.
    applies_without_value = True

    def __init__(self, *, fields: dict[str, str], default: str, tie_breaker: str, **kwargs):
        self.param_map = fields
        self.default = default
        self.tie_breaker = tie_breaker
        super().__init__(allowed=list(fields), **kwargs)

    def filter(self, qs, value):
        ordering = []
        field_for = getattr(self.parent, "ordering_field", lambda name: name)  # a filterset may map derived fields
        for name in value or [self.default]:
            field = field_for(self.param_map[name.removeprefix("-")])
            descending = name.startswith("-")
            ordering.append(F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True))
        return qs.order_by(*ordering, self.tie_breaker)


def ordering_filter(fields: dict[str, str], *, default: str, tie_breaker: str, label: str) -> NullsLastOrderingFilter:
    """An ``ordering`` filter: public names (keys) mapped to model fields (values); documented as an enum."""
    enum = [name for public in fields for name in (public, f"-{public}")]
    schema = {"type": "array", "items": {"type": "string", "enum": enum}}
    documented = extend_schema_field(schema)(type("OrderingFilter", (NullsLastOrderingFilter,), {}))
    return documented(fields=fields, default=default, tie_breaker=tie_breaker, label=label)


class CommaListWidget(django_filters.widgets.BaseCSVWidget, CommaOrRepeatedInput):
    """Every occurrence of the parameter, each possibly a comma-separated list (split by ``CommaListField``)."""


class CommaListField(django_filters.fields.BaseCSVField):
    """The base field of ``CommaListFilter``: ``?x=a,b`` and ``?x=a&x=b`` alike, an empty item a 400. The concrete
    field validates the list as a whole (``clean_items``), so one message names every bad item."""

    base_widget_class = CommaListWidget

    def clean(self, value):
        reject_blank_items(value)
        items = split_values(value)
        if not items and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return self.clean_items(items) if items else []  # clean_items: the item field's (CodeField, ...)


class CommaListFilter(django_filters.BaseInFilter):
    """Any of a comma-separated list (django-filter's ``BaseInFilter``: ``field__in``), read by ``CommaListField``;
    ``field_class`` says what an item is (a ``clean_items`` over the whole list). The schema describes the items
    (``extend_schema_field``); the filter makes them an array."""

    base_field_class = CommaListField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", None)  # the label describes the parameter, not django-filter's stock text
        super().__init__(*args, **kwargs)


class CodeField(forms.Field):
    """Codes of a fixed shape (ISO country or currency codes), upper-cased."""

    def __init__(self, *args, length: int, example: str, **kwargs):
        self.length = length
        self.example = example
        super().__init__(*args, **kwargs)

    def clean_items(self, codes: list[str]) -> list[str]:
        invalid = [code for code in codes if len(code) != self.length or not code.isalpha() or not code.isascii()]
        if invalid:
            raise ValidationError(
                f"Use {self.length}-letter codes such as {self.example}; got {', '.join(repr(c) for c in invalid)}.",
                code="invalid",
            )
        return [code.upper() for code in codes]


@extend_schema_field({"type": "string"})
class CodeListFilter(CommaListFilter):
    """Any of a list of ISO codes: ``?country=CN,PK``."""

    field_class = CodeField


def filter_for_one_filterset(filter_: django_filters.Filter) -> django_filters.Filter:
    """A copy of a declared filter for one filterset: what django-filter changes on it per filterset (``parent``,
    ``model``, the request's queryset in ``extra``, the form field it builds, a ``method`` bound to the filterset) is
    its own; the rest is the declaration's configuration (names, choices, a queryset that is only ever cloned),
    shared rather than deep-copied."""
    copied = copy.copy(filter_)
    copied.extra = dict(filter_.extra)
    copied.__dict__.pop("_field", None)
    if isinstance(copied.__dict__.get("filter"), FilterMethod):
        copied.filter = FilterMethod(copied)
    return copied


class FilterCopies(dict):
    """The filters of a filterset built per request: django-filter deep-copies them (a few hundred objects for a
    handful of filters, per request); ``filter_for_one_filterset`` copies what a filterset changes."""

    def __deepcopy__(self, memo):
        return {name: filter_for_one_filterset(filter_) for name, filter_ in self.items()}


class FieldsOfOneForm(dict):
    """The fields of a form class made for one form instance: Django deep-copies a form class's fields for each
    instance so that instances do not share them; with one instance, these fields are already its own."""

    def __deepcopy__(self, memo):
        return dict(self)


class RegistryFilterSet(django_filters.FilterSet):
    """The base of every FilterSet of the API. Its filters are the query parameters a list accepts: the strict check
    (``registry.api.views.StrictQueryParamsMixin``) refuses any other with a 400 naming it, and ``EDITOR_ONLY``
    names the filters only editors may use (for anyone else they are unknown, not silently ignored)."""

    EDITOR_ONLY: frozenset[str] = frozenset()

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, given_only: bool = False):
        """With ``given_only``, only the filters whose parameter the request gives (and those that act without one,
        ``applies_without_value``, such as the default ordering) are built and validated: any other filter would
        read an empty value and leave the queryset as it is. django-filter deep-copies every declared filter and
        builds and cleans a form field for each, per request: about 45 on the project list and statistics, which
        cost more than the rest of a statistics request's Python. Each filter reads the parameter of its own name.
        The browsable API's filter form and the schema still see every filter (they build the filterset without
        ``given_only``)."""
        self.built_per_request = given_only and data is not None and prefix is None
        if self.built_per_request:
            self.base_filters = FilterCopies(self.given_filters(data.keys()))
        super().__init__(data, queryset, request=request, prefix=prefix)

    def get_form_class(self):
        """django-filter's form class, of this filterset's own fields. Built for one request, its form is its only
        instance, so the fields need not be deep-copied again for it (``FieldsOfOneForm``)."""
        form_class = super().get_form_class()
        if self.built_per_request:
            form_class.base_fields = FieldsOfOneForm(form_class.base_fields)
        return form_class

    @classmethod
    def given_filters(cls, names) -> dict:
        """The declared filters, in their order, of the given parameter names or acting without a value."""
        given = set(names)
        return {
            name: filter_
            for name, filter_ in cls.base_filters.items()
            if name in given or getattr(filter_, "applies_without_value", False)
        }

    @classmethod
    def accepted_params(cls, *, editor: bool) -> set[str]:
        """The filter parameters this filterset accepts from an editor, or from anyone else."""
        accepted = set(cls.base_filters)
        return accepted if editor else accepted - cls.EDITOR_ONLY
