"""Serializer fields shared by the registry's APIs."""

from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from django.db import DatabaseError, models
from django.urls import reverse
from django.utils.text import capfirst
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator


@extend_schema_field(OpenApiTypes.URI)
class AbsoluteUrlField(serializers.Field):
    """The record's canonical absolute URL (without the request's query string, unlike DRF's reverse)."""

    def __init__(self, view_name: str, lookup_field: str, **kwargs):
        self.view_name = view_name
        self.lookup_field = lookup_field
        kwargs["read_only"] = True
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, instance):
        return self.url_for(getattr(instance, self.lookup_field), self.context.get("request"))

    def url_for(self, lookup_value, request) -> str:
        """The URL of the record whose lookup field holds ``lookup_value``, absolute when there is a request."""
        path = reverse(self.view_name, kwargs={self.lookup_field: lookup_value})
        return request.build_absolute_uri(path) if request is not None else path


class VocabularyField(serializers.SlugRelatedField):
    """A reference to a short editorial vocabulary (corridors, pillars, sectors) by code: the schema lists the codes,
    read from the database when it is generated (registry.api.schema.VocabularyFieldExtension)."""

    def documented_values(self) -> list[str] | None:
        """The codes, or None when there is no database to read them from yet."""
        try:
            codes = sorted(str(code) for code in self.get_queryset().values_list(self.slug_field, flat=True))
        except (DatabaseError, RuntimeError):  # RuntimeError: pytest-django refuses database access outside a test
            return None
        return codes or None  # an empty enum is no schema


class OffsetDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a numeric offset (``+00:00``), as API.md shows, rather than DRF's ``Z``."""

    def to_representation(self, value):
        if not value:
            return None
        return self.enforce_timezone(value).isoformat()


INTEGER_PRIMARY_KEYS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"}
TEXT_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.SlugRelatedField,
)


def json_types(field: serializers.Field) -> tuple[tuple[type, ...], str] | None:
    """The JSON types a writable field accepts, as its OpenAPI schema documents them (None: not checked here)."""
    if isinstance(field, serializers.BooleanField):
        return (bool,), "a boolean"
    if isinstance(field, serializers.IntegerField):
        return (int,), "an integer"
    if isinstance(field, serializers.DecimalField):
        return ((str,), "a string") if field.coerce_to_string else ((int, float), "a number")
    if isinstance(field, serializers.FloatField):
        return (int, float), "a number"
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        pk = field.queryset.model._meta.pk if field.queryset is not None else None
        if pk is not None and pk.get_internal_type() in INTEGER_PRIMARY_KEYS:
            return (int,), "an integer id"
        return None
    if isinstance(field, TEXT_FIELDS):
        return (str,), "a string"
    return None


def json_type_error(field: serializers.Field, value) -> str | None:
    """Why ``value`` is not of the field's JSON type, or None when it is (or the field is not checked)."""
    if isinstance(field, serializers.ManyRelatedField):
        if not isinstance(value, list):
            return None if value is None else f"Expected an array, got {json_type_name(value)}."
        errors = [json_type_error(field.child_relation, item) for item in value]
        return next((error for error in errors if error), None)
    expected = json_types(field)
    if value is None or expected is None:
        return None
    types, label = expected
    if isinstance(value, types) and (bool in types or not isinstance(value, bool)):
        return None
    return f"Expected {label}, got {json_type_name(value)}."


def json_type_name(value) -> str:
    for types, name in [(bool, "a boolean"), ((int, float), "a number"), (str, "a string"), (list, "an array")]:
        if isinstance(value, types):
            return name
    return "an object"


# Why a field cannot be written, for the read-only fields most serializers have; others say it in ``read_only_reasons``.
READ_ONLY_REASONS = {
    "id": "It is set by the registry when the record is created.",
    "url": "It is the record's address, set by the registry.",
    "created_at": "It is set by the registry when the record is created.",
    "updated_at": "It is set by the registry on every change.",
}
READ_ONLY_DEFAULT = "It is computed by the registry."


class RawLengthCharField(serializers.CharField):
    """``max_length`` counts the characters as sent, as the schema's ``maxLength`` does: DRF trims surrounding
    whitespace first, so a value over the limit only by its padding was accepted although the schema refuses it."""

    def to_internal_value(self, data):
        if self.max_length is not None and isinstance(data, str) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class RegistryModelSerializer(serializers.ModelSerializer):
    """Strict about write bodies, as the query strings are: an unknown field is a 400 naming it and listing the
    writable ones, a read-only field a 400 saying how it is set (never silently dropped), and a value of the wrong
    JSON type (``"name": 0``, ``"amount": "12"``, ``"is_preferred": "yes"``) a 400 as the schema says, instead of
    being coerced the way DRF's fields do by default."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: OffsetDateTimeField,
        models.CharField: RawLengthCharField,
        models.TextField: RawLengthCharField,
    }
    # Field name -> how the field is set, for read-only fields that a client may try to write.
    read_only_reasons: dict[str, str] = {}

    def get_fields(self):
        """Every field, or only those the caller asked for (``fields=``, ``SparseFieldsMixin``), in that order: on
        the response's own records, not on what they nest."""
        fields = super().get_fields()
        wanted = self.context.get("fields")
        if wanted and self.is_root_record():
            fields = {name: fields[name] for name in wanted if name in fields}
        return fields

    @classmethod
    def shared(cls):
        """One unbound instance of the serializer per class and process, without context, whose fields are built
        once (a ModelSerializer derives its fields from the model on every instance: about a millisecond each)."""
        instance = cls.__dict__.get("_shared")
        if instance is None:
            instance = cls._shared = cls()
        return instance

    @classmethod
    def reading_fields(cls) -> dict[str, serializers.Field]:
        """Every field of the serializer, built once per process, for the paths that build a list's rows directly
        (``row_representation``): they type values with these field objects' ``to_representation``, which reads no
        request or instance state, instead of building all the fields again for each response."""
        return cls.shared().fields

    def shown_field_names(self) -> list[str]:
        """The names of ``fields`` (every field, or those asked for with ``fields=``, in that order), without
        building the fields."""
        every = self.reading_fields()
        wanted = self.context.get("fields")
        if wanted and self.is_root_record():
            return [name for name in wanted if name in every]
        return list(every)

    def row_binders(self) -> Mapping[str, "RowBinder"]:
        """How each field is read from a ``values()`` row (``row_representation``); a serializer with a row path
        names its table of binders (``row_column``, ``row_typed``, ``row_choice``, ``row_computed``)."""
        raise NotImplementedError(f"{type(self).__name__} has no row path.")

    def row_representation(self, row: dict) -> dict:
        """What ``to_representation`` gives for the record, from its ``values()`` row, without building a model
        instance: only the fields shown (``fields=``), each read by its binder. Which fields, their field objects
        and anything else a field needs per response are looked up once per response, not once per value."""
        readers = self.__dict__.get("_row_readers")
        if readers is None:
            binders = self.row_binders()
            readers = self._row_readers = [(name, binders[name](self)) for name in self.shown_field_names()]
        return {name: read(row) for name, read in readers}

    def is_root_record(self) -> bool:
        parent = self.parent
        return parent is None or (isinstance(parent, serializers.ListSerializer) and parent.parent is None)

    def build_standard_field(self, field_name, model_field):
        """A model's slug with the model's rule and words only, and a taken value refused in the model's words: the
        admin's forms show exactly these messages (one set of rules, one set of messages)."""
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if field_class is serializers.SlugField and getattr(model_field, "validators", None):
            field_class = serializers.CharField  # the model's slug validator carries the rule
            field_kwargs.pop("allow_unicode", None)
        for validator in field_kwargs.get("validators", []):
            if isinstance(validator, UniqueValidator):
                validator.message = model_field.error_messages["unique"] % {
                    "model_name": capfirst(model_field.model._meta.verbose_name),
                    "field_label": capfirst(model_field.verbose_name),
                }
        return field_class, field_kwargs

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = self.field_name_errors(data)
            for name, field in self.fields.items():
                if field.read_only or field.field_name not in data:
                    continue
                error = json_type_error(field, data[field.field_name])
                if error:
                    errors[name] = [error]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def writable_field_names(self) -> list[str]:
        return [name for name, field in self.fields.items() if not field.read_only]

    def field_name_errors(self, data: Mapping) -> dict[str, list[str]]:
        errors = {}
        for name in data:
            field = self.fields.get(name)
            if field is None:
                writable = ", ".join(self.writable_field_names())
                errors[name] = [f"Unknown field. Writable fields: {writable}."]
            elif field.read_only:
                reason = self.read_only_reasons.get(name) or READ_ONLY_REASONS.get(name, READ_ONLY_DEFAULT)
                errors[name] = [f"This field is read-only. {reason}"]
        return errors


# A row path's field: given the response's serializer, the function that reads the field's value from a row.
ReadsRow = Callable[[dict], Any]
RowBinder = Callable[[RegistryModelSerializer], ReadsRow]


def row_column(column: str) -> RowBinder:
    """The row's ``column`` as it is."""
    return lambda serializer: itemgetter(column)


def row_typed(name: str) -> RowBinder:
    """The row's ``name`` typed by the serializer's field of that name, built once per process (``reading_fields``),
    as DRF's loop does: null stays null."""

    def bind(serializer) -> ReadsRow:
        to_representation = serializer.reading_fields()[name].to_representation

        def read(row: dict):
            value = row[name]
            return None if value is None else to_representation(value)

        return read

    return bind


def row_choice(name: str, *, blank_is_null: bool = True) -> RowBinder:
    """The row's ``name`` through the serializer's choice field of that name; a blank choice reads as null."""

    def bind(serializer) -> ReadsRow:
        to_representation = serializer.reading_fields()[name].to_representation
        if blank_is_null:
            return lambda row: to_representation(row[name]) or None
        return lambda row: to_representation(row[name])

    return bind


def row_computed(compute: Callable[[Any, dict], Any]) -> RowBinder:
    """A value made from the serializer and the row, ``compute(serializer, row)`` (a URL, a nested list)."""
    return lambda serializer: lambda row: compute(serializer, row)


class ContextFreeRepresentation:
    """For a ``RegistryModelSerializer`` whose output reads nothing from the request or the context (no URL, no
    per-user field): it represents a record through its ``shared()`` instance, whose fields are built once per
    process, instead of building its own for each response, or for each record where a field serializes one record at
    a time (a project's sources). Only reads: validation and writes use the instance's own fields. A record shown on
    its own with ``fields=`` keeps its own fields (they depend on the request)."""

    def to_representation(self, instance):
        shared = self.shared()
        if self is shared or (self.context.get("fields") and self.is_root_record()):
            return super().to_representation(instance)
        return shared.to_representation(instance)


class ValidatedModelSerializer(RegistryModelSerializer):
    """Create and update a single-row record through the model's own ``full_clean()``, as the admin does (NetBox's
    ``ValidatedModelSerializer``): the model states its rules once, the serializer copies none. Many-to-many values
    are set after the row is saved."""

    def _split_many_to_many(self, validated_data: dict) -> dict:
        model = self.Meta.model
        return {
            name: validated_data.pop(name)
            for name in list(validated_data)
            if getattr(model._meta.get_field(name), "many_to_many", False)
        }

    def _save(self, instance, many_to_many: dict):
        instance.full_clean()
        instance.save()
        for name, values in many_to_many.items():
            getattr(instance, name).set(values)
        return instance

    def create(self, validated_data):
        many_to_many = self._split_many_to_many(validated_data)
        return self._save(self.Meta.model(**validated_data), many_to_many)

    def update(self, instance, validated_data):
        many_to_many = self._split_many_to_many(validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._save(instance, many_to_many)
