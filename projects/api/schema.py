"""How the projects API's own serializer fields appear in the OpenAPI schema (drf-spectacular extensions,
registered on import: ``ProjectsConfig.ready``)."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes

from projects.api.serializers import SourceSerializer


class SourceReferenceFieldExtension(OpenApiSerializerFieldExtension):
    """Sources are written as ids and read as objects."""

    target_class = "projects.api.serializers.SourceReferenceField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(SourceSerializer, direction).ref
