"""A schema a generator and a reader can rely on: everything described, tags and operation ids that read well,
patterns and constraints for what the API refuses."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from projects.filtersets import BBOX_PATTERN
from registry.validators import WEB_URL_PATTERN


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def undescribed_properties(where: str, schema: dict) -> list[str]:
    missing = []
    for name, prop in (schema.get("properties") or {}).items():
        if not prop.get("description"):
            missing.append(f"{where}.{name}")
        missing += undescribed_properties(f"{where}.{name}", prop)
        items = prop.get("items")
        if isinstance(items, dict):
            missing += undescribed_properties(f"{where}.{name}[]", items)
    return missing


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_schema_every_operation_has_a_description(schema):
    missing = [
        f"{method.upper()} {path}" for path, method, operation in operations(schema) if not operation.get("description")
    ]

    assert missing == []


def test_schema_every_parameter_has_a_description(schema):
    missing = [
        f"{method.upper()} {path} {parameter['name']}"
        for path, method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]

    assert missing == []


def test_schema_every_property_has_a_description(schema):
    missing = [
        field
        for name, component in schema["components"]["schemas"].items()
        for field in undescribed_properties(name, component)
    ]

    assert missing == []


def test_schema_statistics_are_tagged_statistics_with_readable_ids(schema):
    stats = {
        path: (operation["operationId"], operation["tags"])
        for path, method, operation in operations(schema)
        if path.startswith("/api/v1/stats/")
    }

    assert stats == {
        "/api/v1/stats/investment/": ("stats_investment", ["statistics"]),
        "/api/v1/stats/investment/timeline/": ("stats_investment_timeline", ["statistics"]),
    }
    assert "investment" not in {tag["name"] for tag in schema["tags"]}


def test_schema_operation_ids_of_lists_and_records(schema):
    ids = {(path, method): operation["operationId"] for path, method, operation in operations(schema)}

    assert ids[("/api/v1/changes/", "get")] == "changes_list"
    assert ids[("/api/v1/", "get")] == "root"
    assert ids[("/api/v1/projects/{slug}/", "get")] == "projects_retrieve"


def query_parameter(schema, path: str, name: str) -> dict:
    parameters = schema["paths"][path]["get"]["parameters"]
    return next(parameter for parameter in parameters if parameter["name"] == name)


@pytest.mark.parametrize(
    ("path", "name", "pattern"),
    [
        ("/api/v1/investments/", "currency", "^[A-Z]{3}$"),
        ("/api/v1/exchange-rates/", "currency", "^[A-Z]{3}$"),
        ("/api/v1/organisations/", "country", "^[A-Z]{2}$"),
        ("/api/v1/projects/", "country", "^[A-Z]{2}$"),
    ],
)
def test_schema_iso_code_parameters_have_patterns(schema, path, name, pattern):
    parameter = query_parameter(schema, path, name)

    assert parameter["schema"]["items"]["pattern"] == pattern


def test_schema_iso_code_properties_have_patterns(schema):
    components = schema["components"]["schemas"]

    assert components["InvestmentFigure"]["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    assert components["Organisation"]["properties"]["country"]["oneOf"][0]["pattern"] == "^[A-Z]{2}$"


def test_schema_group_by_items_are_unique(schema):
    parameter = query_parameter(schema, "/api/v1/stats/investment/", "group_by")

    assert parameter["schema"]["uniqueItems"] is True


def test_schema_free_multi_value_items_are_not_empty(schema):
    loose = [
        f"{path} {parameter['name']}"
        for path, method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["schema"].get("type") == "array"
        and parameter["schema"]["items"].get("type") == "string"
        and "enum" not in parameter["schema"]["items"]
        and parameter["schema"]["items"].get("minLength") != 1
    ]

    assert loose == []


def test_schema_boolean_parameters_name_their_spellings(schema):
    parameter = query_parameter(schema, "/api/v1/projects/", "has_location")

    assert parameter["description"] == "true: the project has coordinates. Write true or false (or 1 or 0)."


def test_schema_url_properties_are_web_addresses(schema):
    components = schema["components"]["schemas"]

    written = f"^(?:{WEB_URL_PATTERN.removeprefix('^').removesuffix('$')})?$"  # the models' rule, or blank
    assert components["SourceRequest"]["properties"]["url"]["pattern"] == written
    assert components["OrganisationRequest"]["properties"]["website"]["pattern"] == written
    assert components["Project"]["properties"]["url"]["pattern"] == "^[Hh][Tt][Tt][Pp][Ss]?://"


def test_schema_free_text_parameters_exclude_the_nul_byte(schema):
    free = {
        f"{path} {parameter['name']}": (parameter["schema"].get("items") or parameter["schema"]).get("pattern")
        for path, method, operation in operations(schema)
        for parameter in operation.get("parameters", [])
        if (parameter["schema"].get("items") or parameter["schema"]).get("type") == "string"
        and not {"enum", "format"} & set(parameter["schema"].get("items") or parameter["schema"])
    }

    assert free["/api/v1/projects/ search"] == "^[^\\x00]*$"
    assert free["/api/v1/projects/{slug}/ slug"] == "^[^/\\x00]+$"
    assert free["/api/v1/projects/ bbox"] == BBOX_PATTERN
    assert free["/api/v1/investments/ currency"] == "^[A-Z]{3}$"
