"""How the projects API's own serializer fields appear in the OpenAPI schema (drf-spectacular extensions,
registered on import: ``ProjectsConfig.ready``)."""

import copy

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes

from projects import choices
from projects.api.serializers import SourceSerializer


class SourceReferenceFieldExtension(OpenApiSerializerFieldExtension):
    """Sources are written as ids and read as objects."""

    target_class = "projects.api.serializers.SourceReferenceField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(SourceSerializer, direction).ref


# Rules of the models that the generated component schemas do not carry: (component name prefix, field) -> schema.
MODEL_RULES = {
    ("ProjectDetail", "pillars"): {"minItems": 1},  # Project.clean: "Choose at least one pillar."
    ("ProjectDetail", "latitude"): {"minimum": choices.PAKISTAN_LAT_MIN, "maximum": choices.PAKISTAN_LAT_MAX},
    ("ProjectDetail", "longitude"): {"minimum": choices.PAKISTAN_LON_MIN, "maximum": choices.PAKISTAN_LON_MAX},
    ("Event", "sources"): {"minItems": 1},  # services.event_save: "Give at least one source."
}


# Records whose project is set when they are created and never changes (services: "cannot move to another project").
FIXED_PROJECT = {"/api/v1/status-changes/{id}/": "StatusChange", "/api/v1/investments/{id}/": "InvestmentFigure"}
FIXED_PROJECT_TEXT = "Project slug: set when the entry is created; an update may leave it out or repeat it unchanged."


def fixed_project(component: dict) -> dict:
    component = copy.deepcopy(component)
    component["properties"]["project"] = {**component["properties"]["project"], "readOnly": True}
    component["properties"]["project"]["description"] = FIXED_PROJECT_TEXT
    required = [name for name in component.get("required", []) if name != "project"]
    component.pop("required", None)
    if required:
        component["required"] = required
    return component


def document_model_rules(result, generator, request, public):
    """Add the models' single-field rules to the write bodies' schemas (drf-spectacular postprocessing hook):
    coordinates inside Pakistan, at least one pillar, at least one source for an event; and a status change's or
    figure's project, read-only once it exists (PUT and PATCH)."""
    components = result.get("components", {}).get("schemas", {})
    for path, name in FIXED_PROJECT.items():
        operations = result.get("paths", {}).get(path, {})
        if f"{name}Request" in components and "put" in operations:
            components[f"{name}UpdateRequest"] = fixed_project(components[f"{name}Request"])
            for content in operations["put"]["requestBody"]["content"].values():
                content["schema"] = {"$ref": f"#/components/schemas/{name}UpdateRequest"}
        if f"Patched{name}Request" in components:
            components[f"Patched{name}Request"] = fixed_project(components[f"Patched{name}Request"])
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        base = name.removeprefix("Patched").removesuffix("Request")
        for (prefix, field), rule in MODEL_RULES.items():
            schema = component.get("properties", {}).get(field)
            if base == prefix and schema is not None:
                for key in ("exclusiveMinimum", "exclusiveMaximum"):
                    schema.pop(key, None)
                schema.update(rule)
    return result
