"""Records read as ``values_list()`` tuples and represented with a serializer's own fields, built once per process:
DRF's representation of the same records without building a model instance (and its related ones) per record."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

TYPED, SLUG, NESTED, COMPUTED = "typed", "slug", "nested", "computed"


@dataclass(frozen=True)
class Computed:
    """A field that is not one column typed by its field object (a ``source="*"`` field, a URL): the columns it reads
    and how its value is made from the serializer's context and their values, ``value(context, *values)``."""

    columns: tuple[str, ...]
    value: Callable[..., Any]


class RowReader:
    """How ``serializer_class`` represents a record, read from one ``values_list(*reader.columns)`` tuple instead of
    a model instance; ``read`` gives what the serializer's ``to_representation`` gives for the record (tests/bench
    pins the project detail byte for byte).

    Each field reads the column its ``source`` names (``prefix`` first: the record seen from the row that points to
    it), typed by the serializer's field object built once per process (``reading_fields``; its
    ``to_representation`` reads no request or instance), as DRF's loop does: null stays null. A slug-related field
    reads the slug's column; a nested serializer reads its record's columns and is null when the record's ``id`` is;
    a field named in ``computed`` (a nested one as ``"exchange_rate.url"``) reads its own columns.
    """

    def __init__(self, serializer_class, *, prefix: str = "", computed: Mapping[str, Computed] | None = None):
        self.columns: list[str] = []
        self._entries = self._plan(serializer_class, prefix, computed or {})

    def read(self, values: tuple, context: Mapping) -> dict:
        return self._read(self._entries, values, context)

    def _column(self, name: str) -> int:
        self.columns.append(name)
        return len(self.columns) - 1

    def _plan(self, serializer_class, prefix: str, computed: Mapping[str, Computed]) -> list[tuple]:
        entries = []
        for name, field in serializer_class.reading_fields().items():
            path = "__".join(field.source_attrs)
            if name in computed:
                indexes = tuple(self._column(prefix + column) for column in computed[name].columns)
                entries.append((name, COMPUTED, (indexes, computed[name].value)))
            elif not path:
                raise ImproperlyConfigured(f"{serializer_class.__name__}.{name} reads the whole record: compute it.")
            elif isinstance(field, serializers.BaseSerializer):
                nested = {key.partition(".")[2]: spec for key, spec in computed.items() if key.startswith(f"{name}.")}
                present = self._column(f"{prefix}{path}__id")
                entries.append((name, NESTED, (present, self._plan(type(field), f"{prefix}{path}__", nested))))
            elif isinstance(field, serializers.SlugRelatedField):
                entries.append((name, SLUG, self._column(f"{prefix}{path}__{field.slug_field}")))
            else:
                entries.append((name, TYPED, (self._column(prefix + path), field)))
        return entries

    def _read(self, entries: list[tuple], values: tuple, context: Mapping) -> dict:
        data = {}
        for name, kind, spec in entries:
            if kind == TYPED:
                index, field = spec
                value = values[index]
                data[name] = None if value is None else field.to_representation(value)
            elif kind == SLUG:
                data[name] = values[spec]
            elif kind == NESTED:
                present, nested = spec
                data[name] = None if values[present] is None else self._read(nested, values, context)
            else:
                indexes, make = spec
                data[name] = make(context, *(values[index] for index in indexes))
        return data
