"""OpenAPI generation: every operation lists its error responses, and is tagged by its resource."""

import copy
from decimal import Decimal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance, is_list_serializer
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from registry import validators
from registry.api import descriptions, filters

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
    "503": "The database is unavailable: try again in a moment.",
}
# Reads with a filter only editors may use (RegistryFilterSet.EDITOR_ONLY): anonymous, then without the permission.
EDITOR_ONLY_ERRORS = {
    "401": "Credentials are required for the editors-only parameter(s) {names} (Authorization: Token <key>).",
    "403": "Only editors may use the parameter(s) {names}.",
}
URI_TOO_LONG = "The request line is over 8,190 bytes: send fewer or shorter query parameters (or split the request)."
# Every URL the registry shows is a web address; the scheme's case does not matter (RFC 3986), and a link to the
# API itself names the host the request did (an IP address, say). A URL a client writes must be the narrower
# registry.validators.WEB_URL_PATTERN, which the models check too.
WEB_URL_PATTERN = "^[Hh][Tt][Tt][Pp][Ss]?://"
NO_NUL_PATTERN = "^[^\\x00]*$"
# One item of a comma-separated (or repeated) query parameter: not blank, no comma, no NUL (registry.api.filters).
# A text that must not be blank: DRF trims surrounding whitespace first ("This field may not be blank.").
NOT_BLANK_PATTERN = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
LIST_ITEM_PATTERN = "^[^,\\x00]*[^,\\s\\x00][^,\\x00]*$"
# What the viewsets' lookup_value_regex lets through to the view (registry.api.views.RegistryViewSetMixin).
ANY_IDENTIFIER_PATTERN = "^[^/]+$"
BOOLEAN_SPELLINGS = "Write true or false (or 1 or 0)."
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSV, GEOJSON = "text/csv", "application/geo+json"
CSV_SCHEMA = {
    "type": "string",
    "description": "The whole filtered list as CSV: a header row of field names, list fields joined with ';'.",
}


def feature_collection_schema(properties: dict) -> dict:
    """A GeoJSON FeatureCollection of the list's rows: each row's fields are its feature's properties."""
    point = {
        "type": "object",
        "nullable": True,
        "description": "The row's location as a GeoJSON Point (longitude, latitude), or null.",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        },
    }
    feature = {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string", "description": "The row's public identifier (a project's slug)."},
            "geometry": point,
            "properties": properties,
        },
    }
    return {
        "type": "object",
        "description": "The whole filtered list as a GeoJSON FeatureCollection.",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": feature},
        },
    }


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def describe_query_parameter(parameter: dict, filter_field) -> None:
    """What drf-spectacular leaves out of a filter's parameter: its label when its schema is overridden, the ISO
    code pattern, non-empty items in multi-value lists, distinct ``group_by`` dimensions."""
    if not parameter.get("description") and filter_field is not None:
        label = filter_field.extra.get("help_text") or filter_field.label
        if label:
            parameter["description"] = str(label)
    # drf-spectacular shares an overridden schema (extend_schema_field) between parameters: change a copy.
    schema = parameter["schema"] = copy.deepcopy(parameter.get("schema", {}))
    items = schema.get("items") if schema.get("type") == "array" else None
    length = (
        getattr(filter_field, "extra", {}).get("length") if isinstance(filter_field, filters.CodeListFilter) else None
    )
    if items is not None and length:
        items["pattern"] = f"^[A-Z]{{{length}}}$"
    if items is not None and isinstance(filter_field, filters.MultiCodeFilter):
        codes = filter_field.documented_values()
        if codes is not None:
            items["enum"] = codes
        elif filter_field.extra.get("to_field_name") in (None, "pk"):
            items["pattern"] = "^[0-9]+$"  # record ids
    if items is not None and items.get("type") == "string" and "enum" not in items:
        items.setdefault("minLength", 1)
        items.setdefault("pattern", LIST_ITEM_PATTERN)
    if isinstance(filter_field, filters.NumberFilter):
        bound = float(filters.NUMBER_LIMIT)
        schema.update(minimum=-bound, maximum=bound, exclusiveMinimum=True, exclusiveMaximum=True)
        parameter["description"] = f"{parameter.get('description', '').rstrip()} {filters.NUMBER_HELP}".strip()
    if parameter["name"] == "group_by" and items is not None:
        schema["uniqueItems"] = True


def describe_everything(result, generator, request, public):
    """Every operation, parameter and property has a one-line description (drf-spectacular postprocessing hook):
    what the code does not say is taken from registry.api.descriptions."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if not parameter.get("description") and parameter["name"] in descriptions.PARAMETERS:
                    parameter["description"] = descriptions.PARAMETERS[parameter["name"]]
                schema = parameter.get("schema", {})
                for text in (schema, schema.get("items") or {}):
                    # A NUL byte in a URL is refused before any view (registry.middleware).
                    if text.get("type") == "string" and not {"enum", "pattern", "format"} & set(text):
                        text["pattern"] = NO_NUL_PATTERN
                    elif text.get("pattern") == ANY_IDENTIFIER_PATTERN:
                        text["pattern"] = "^[^/\\x00]+$"
    for name, component in result.get("components", {}).get("schemas", {}).items():
        for field, schema in list(component.get("properties", {}).items()):
            if name.endswith("Request") and is_web_url(schema):
                component["properties"][field] = schema = written_web_url(schema)
            for variant in [schema, *schema.get("oneOf", [])]:
                if variant.get("format") == "uri":
                    variant["pattern"] = WEB_URL_PATTERN
            if schema.get("description"):
                continue
            text = descriptions.field_description(name, field)
            if text is None:
                continue
            if "$ref" in schema:
                # A $ref's siblings are ignored in OpenAPI 3.0: wrap it to describe it.
                component["properties"][field] = {"allOf": [{"$ref": schema.pop("$ref")}], **schema}
                schema = component["properties"][field]
            schema["description"] = text
    return result


class VocabularyFieldExtension(OpenApiSerializerFieldExtension):
    """A vocabulary reference is a string from the codes in the database (when there is one to read)."""

    target_class = "registry.api.fields.VocabularyField"

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "string"}
        codes = self.target.documented_values()
        if codes is not None:
            schema["enum"] = codes
        return schema


def is_web_url(schema: dict) -> bool:
    return any(variant.get("format") == "uri" for variant in [schema, *schema.get("oneOf", [])])


def written_web_url(schema: dict) -> dict:
    """A URL in a write body: one string schema, the models' own pattern (or empty, where the field may be blank).
    drf-spectacular's ``oneOf: [uri, maxLength 0]`` is replaced: "" would be valid for the second branch only, and a
    generator reading "format: uri" writes addresses (``https://0.a``) that no web host has."""
    variants = schema.get("oneOf", [schema])
    blank = any(variant.get("maxLength") == 0 for variant in variants)
    url = next(variant for variant in variants if variant.get("format") == "uri")
    pattern = validators.WEB_URL_PATTERN
    if blank:
        pattern = f"^(?:{pattern.removeprefix('^').removesuffix('$')})?$"
    written = {"type": "string", "format": "uri", "pattern": pattern}
    if "maxLength" in url:
        written["maxLength"] = url["maxLength"]
    for key in ("nullable", "description", "readOnly", "writeOnly"):
        if key in schema:
            written[key] = schema[key]
    if blank:
        written.pop("format")  # "" is no URI: the pattern says what is accepted
    return written


def close_request_bodies(result, generator, request, public):
    """What a write body may hold, as exactly as the server checks it (drf-spectacular postprocessing hook): no field
    the serializer does not know (a 400, registry.api.fields.RegistryModelSerializer), no NUL character in a string
    (a 400, registry.api.parsers), and a body at all (an empty one is a 400 even for PATCH)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request") or component.get("type") != "object":
            continue
        component["additionalProperties"] = False
        for schema in component.get("properties", {}).values():
            for text in [schema, schema.get("items") or {}]:
                if text.get("type") == "string" and not {"enum", "pattern", "format"} & set(text):
                    text["pattern"] = NOT_BLANK_PATTERN if text.get("minLength", 0) >= 1 else NO_NUL_PATTERN
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
    return result


class RegistryAutoSchema(AutoSchema):
    def get_auth(self):
        auths = super().get_auth()
        # drf-spectacular only knows AllowAny and IsAuthenticatedOrReadOnly: anonymous reads under
        # DjangoModelPermissionsOrAnonReadOnly must be documented as needing no credentials too.
        anonymous_reads = any(
            getattr(permission, "authenticated_users_only", True) is False for permission in self.view.get_permissions()
        )
        if anonymous_reads and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # DRF refuses more decimal places than the field keeps ("Ensure that there are no more than 2 decimal
        # places."), never rounds them away: the schema says how fine a value may be.
        if isinstance(field, serializers.DecimalField) and field.decimal_places is not None and not field.read_only:
            schema["multipleOf"] = float(Decimal(1).scaleb(-field.decimal_places))
        return schema

    def get_tags(self):
        parts = [part for part in self.path.split("/") if part]
        if len(parts) >= 3 and parts[0] == "api" and parts[1] == "v1":
            return ["statistics" if parts[2] == "stats" else parts[2]]
        return super().get_tags()

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        view = self.view
        if hasattr(view, "field_names") and getattr(view, "action", None) in getattr(view, "sparse_actions", ()):
            parameters.append(
                OpenApiParameter(
                    "fields",
                    {"type": "array", "items": {"type": "string", "enum": view.field_names()}, "uniqueItems": True},
                    explode=False,
                    description="Only these fields, in this order (comma-separated), in JSON, CSV columns and "
                    "GeoJSON properties; an unknown name is a 400.",
                )
            )
        return parameters

    def get_operation_id(self):
        # A view that is not a record (the API root, statistics) is read, not retrieved: `stats_investment`.
        operation_id = super().get_operation_id()
        if "{" not in self.path and operation_id.endswith("_retrieve"):
            return operation_id.removesuffix("_retrieve")
        return operation_id

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        filterset_class = getattr(self.view, "filterset_class", None)
        base_filters = getattr(filterset_class, "base_filters", {})
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "query":
                describe_query_parameter(parameter, base_filters.get(parameter["name"]))
            # The filters, the pagination and the cursor read an empty value as "not given"; `format` does not.
            if parameter["in"] == "query" and not parameter.get("required") and parameter["name"] != "format":
                parameter["allowEmptyValue"] = True
            if parameter["in"] == "query" and parameter.get("schema", {}).get("type") == "boolean":
                description = parameter.get("description", "").rstrip()
                parameter["description"] = f"{description} {BOOLEAN_SPELLINGS}".strip()
        return operation

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        self._document_exports(responses.get("200", {}).get("content", {}))
        codes = ["400", "429", "503"]
        if self.method in WRITE_METHODS:
            codes += ["401", "403"]
        editor_only = getattr(self.view, "editor_only_query_params", frozenset)()
        if self.method == "GET" and editor_only:
            for code, reason in EDITOR_ONLY_ERRORS.items():
                responses.setdefault(code, error_response(reason.format(names=", ".join(sorted(editor_only)))))
        if "{" in self.path:
            codes.append("404")
        if self.method in {"PUT", "PATCH", "DELETE"}:
            codes.append("412")
        if self.method == "DELETE":
            codes.append("409")
        for code in codes:
            responses.setdefault(code, error_response(ERRORS[code]))
        # Refused by the server before the registry sees it (gunicorn's limit_request_line), with a plain HTML body.
        responses.setdefault("414", {"description": URI_TOO_LONG})
        return responses

    def _document_exports(self, content: dict) -> None:
        """CSV and GeoJSON exports are the whole list, not the JSON page: say what they are."""
        if CSV in content:
            content[CSV] = {"schema": CSV_SCHEMA}
        if GEOJSON in content:
            serializer = force_instance(self.get_response_serializers())
            if is_list_serializer(serializer):
                serializer = serializer.child
            item = self.resolve_serializer(serializer, "response").ref
            content[GEOJSON] = {"schema": feature_collection_schema(item)}


def sparse_responses_have_no_required_fields(result, generator, request, public):
    """Records that ``fields=`` can cut down have no required property in a response: a client asking for some
    fields gets only those (drf-spectacular postprocessing hook)."""
    components = result.get("components", {}).get("schemas", {})
    sparse = set()
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not any(parameter.get("name") == "fields" for parameter in operation.get("parameters", [])):
                continue
            content = operation.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
            sparse |= set(_referenced_components(content.get("schema", {}), components))
    for name in sparse:
        if "required" in components[name] and not name.endswith("Request"):
            del components[name]["required"]
    return result


def _referenced_components(schema: dict, components: dict) -> list[str]:
    """The component a response is, or the one its page's ``results`` list."""
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    if not ref:
        return []
    name = ref.rsplit("/", 1)[-1]
    results = components.get(name, {}).get("properties", {}).get("results", {})
    if results.get("items", {}).get("$ref"):
        return [results["items"]["$ref"].rsplit("/", 1)[-1]]
    return [name]
