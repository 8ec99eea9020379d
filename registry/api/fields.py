"""Serializer fields shared by the registry's APIs."""

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


class RegistryModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: OffsetDateTimeField,
    }
