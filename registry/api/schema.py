"""OpenAPI generation: every operation lists its error responses, and is tagged by its resource."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes

ERROR_SCHEMA = {
    "type": "object",
    "description": 'Either {"detail": "..."} or {"<parameter or field>": ["...", ...]}.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERRORS = {
    "400": "Invalid input: the body names each bad parameter or field and what is allowed.",
    "401": "Credentials are required for this write (Authorization: Token <key>).",
    "403": "Your account lacks the permission for this operation.",
    "404": "No such record (or it is not published).",
    "409": "The record is still referenced by others and cannot be deleted.",
    "412": "If-Match did not match: the record changed since you read it.",
    "429": "Too many requests: wait for the number of seconds in Retry-After.",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


class RegistryAutoSchema(AutoSchema):
    def get_tags(self):
        parts = [part for part in self.path.split("/") if part]
        if len(parts) >= 3 and parts[0] == "api" and parts[1] == "v1":
            return [parts[3] if parts[2] == "stats" and len(parts) > 3 else parts[2]]
        return super().get_tags()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "429"]
        if self.method in WRITE_METHODS:
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in {"PUT", "PATCH", "DELETE"}:
            codes.append("412")
        if self.method == "DELETE":
            codes.append("409")
        for code in codes:
            responses.setdefault(code, error_response(ERRORS[code]))
        return responses


class SourceReferenceFieldExtension(OpenApiSerializerFieldExtension):
    """Sources are written as ids and read as objects."""

    target_class = "projects.api.serializers.SourceReferenceField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        from projects.api.serializers import SourceSerializer

        return auto_schema.resolve_serializer(SourceSerializer, direction).ref
