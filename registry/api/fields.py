"""Serializer fields shared by the registry's APIs."""

from collections.abc import Mapping

from django.db import models
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


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
        path = reverse(self.view_name, kwargs={self.lookup_field: getattr(instance, self.lookup_field)})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


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


class RegistryModelSerializer(serializers.ModelSerializer):
    """Strict about JSON types: ``"name": 0``, ``"amount": "12"`` or ``"is_preferred": "yes"`` are 400s, as the
    schema says, instead of being coerced the way DRF's fields do by default."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: OffsetDateTimeField,
    }

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or field.field_name not in data:
                    continue
                error = json_type_error(field, data[field.field_name])
                if error:
                    errors[name] = [error]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
