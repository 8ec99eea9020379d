"""The schema says what the server accepts, and the server accepts what the schema says: the gaps the live fuzzer's
positive_data_acceptance check found (.ci/fuzz-live), each closed in the schema or on the server."""

import datetime
import re

import pytest

from projects.api.serializers import ProjectSerializer
from projects.filtersets import BBOX_PATTERN
from projects.models import PARTIAL_DATE_PATTERN, Pillar, Sector, StatusChange
from registry.api.schema import LIST_ITEM_PATTERN, NOT_BLANK_PATTERN
from registry.validators import WEB_URL_PATTERN
from tests import factories

PROJECTS = "/api/v1/projects/"


@pytest.fixture
def schema(api, db):
    return api.get("/api/schema/?format=json").json()


def parameter(schema, path, name, method="get"):
    return next(item for item in schema["paths"][path][method]["parameters"] if item["name"] == name)


def component(schema, name):
    return schema["components"]["schemas"][name]


def resolved(schema, node):
    for part in node.get("allOf", []):
        if "$ref" in part:
            return component(schema, part["$ref"].rsplit("/", 1)[-1])
    if "$ref" in node:
        return component(schema, node["$ref"].rsplit("/", 1)[-1])
    return node


# --- the editors-only publication filter ------------------------------------------------------------------------


def test_publication_filter_anonymous_is_401_naming_it(api, registry):
    response = api.get(PROJECTS, {"publication": "draft"})

    assert response.status_code == 401
    assert response.json() == {
        "publication": [
            "Only editors may use publication: send an editor's token (Authorization: Token <key>). Other readers "
            "see published records only."
        ]
    }


@pytest.mark.parametrize("path", [PROJECTS, "/api/v1/stats/investment/?group_by=corridor"])
def test_publication_filter_without_editor_permission_is_403(reader_api, registry, path):
    response = reader_api.get(path, {"publication": "draft"})

    assert response.status_code == 403
    assert list(response.json()) == ["publication"]


def test_publication_filter_is_documented_as_editors_only(schema):
    operation = schema["paths"][PROJECTS]["get"]

    assert parameter(schema, PROJECTS, "publication")["description"].startswith("Editors only")
    assert {"401", "403"} <= set(operation["responses"])
    assert "403" not in schema["paths"]["/api/v1/projects/{slug}/"]["get"]["responses"]


# --- empty values read as "not given" ---------------------------------------------------------------------------


def test_series_empty_kind_is_every_kind(api, db):
    indicator = factories.IndicatorFactory(code="gdp")
    factories.ObservationFactory(indicator=indicator, kind="actual")
    factories.ObservationFactory(indicator=indicator, kind="target", value="2")

    response = api.get("/api/v1/indicators/gdp/series/?kind=")

    assert response.status_code == 200
    assert sorted(point["kind"] for point in response.json()["points"]) == ["actual", "target"]


@pytest.mark.parametrize(
    "path", ["/api/v1/changes/?cursor=", "/api/v1/observations/?cursor=", f"{PROJECTS}?cursor=&pagination=cursor"]
)
def test_empty_cursor_is_the_first_page(api, registry, path):
    response = api.get(path)

    assert response.status_code == 200


def test_empty_cursor_with_numbered_pages_is_ignored(api, registry):
    response = api.get(f"{PROJECTS}?cursor=&pagination=page")

    assert response.status_code == 200
    assert response.json()["count"] == 4  # the published projects


# --- vocabularies enumerated from the database ------------------------------------------------------------------


def test_corridor_pillar_and_sector_codes_are_enumerated_from_the_database(registry, schema):
    request = component(schema, "ProjectDetailRequest")["properties"]

    assert parameter(schema, PROJECTS, "corridor")["schema"]["items"]["enum"] == [
        "connectivity",
        "green",
        "growth",
        "none",
    ]
    assert resolved(schema, request["corridor"])["enum"] == ["connectivity", "green", "growth"]
    assert resolved(schema, request["pillars"]["items"])["enum"] == sorted(
        Pillar.objects.values_list("code", flat=True)
    )
    assert resolved(schema, request["sector"])["enum"] == sorted(Sector.objects.values_list("code", flat=True))


def test_vocabulary_without_a_database_documents_no_enum():
    # No db fixture: pytest-django refuses database access, as when a schema is loaded before the tables exist.
    field = ProjectSerializer().fields["corridor"]

    assert field.documented_values() is None


# --- query parameters: the pattern is the server's rule ---------------------------------------------------------


@pytest.mark.parametrize("bbox", ["1e1,24,70,30", "nan,24,70,30", "7_3,24,75,30", "\t60,24,70,30", "60,24,181,30"])
def test_bbox_outside_its_pattern_is_400(api, registry, bbox):
    response = api.get(PROJECTS, {"bbox": bbox})

    assert re.fullmatch(BBOX_PATTERN, bbox) is None
    assert response.status_code == 400
    assert list(response.json()) == ["bbox"]


def test_bbox_in_its_pattern_is_accepted_and_documented(api, schema, registry):
    response = api.get(PROJECTS, {"bbox": "-180,-90,180.0,90.000"})

    assert response.status_code == 200
    assert parameter(schema, PROJECTS, "bbox")["schema"]["pattern"] == BBOX_PATTERN


@pytest.mark.parametrize("item", ["\u00a0", " ", "a,", ",b"])
def test_blank_or_comma_list_item_is_refused_by_schema_and_server(api, schema, registry, item):
    response = api.get(PROJECTS, {"organisation": item})

    assert parameter(schema, PROJECTS, "organisation")["schema"]["items"]["pattern"] == LIST_ITEM_PATTERN
    assert re.fullmatch(LIST_ITEM_PATTERN, item) is None
    assert response.status_code == 400


def test_number_filter_documents_its_bounds_and_takes_any_double(api, schema, registry):
    response = api.get(PROJECTS, {"announced_usd_min": "5e-324"})

    documented = parameter(schema, PROJECTS, "announced_usd_min")["schema"]
    assert response.status_code == 200
    assert (documented["minimum"], documented["maximum"]) == (-1e50, 1e50)
    assert documented["exclusiveMinimum"] is documented["exclusiveMaximum"] is True


# --- write bodies -----------------------------------------------------------------------------------------------


def test_write_bodies_refuse_unknown_fields_and_nul_in_the_schema(schema):
    request = component(schema, "OrganisationRequest")

    assert request["additionalProperties"] is False
    assert component(schema, "PatchedOrganisationRequest")["additionalProperties"] is False
    assert request["properties"]["name"]["pattern"] == NOT_BLANK_PATTERN  # DRF trims, then refuses a blank
    assert re.fullmatch(NOT_BLANK_PATTERN, "\x0b") is None
    assert component(schema, "SourceRequest")["properties"]["publisher"]["pattern"] == "^[^\\x00]*$"


def test_patch_body_is_required(schema, api):
    assert schema["paths"]["/api/v1/sources/{id}/"]["patch"]["requestBody"]["required"] is True


def test_patch_schema_requires_no_field(schema):
    assert "required" not in component(schema, "PatchedProjectDetailRequest")
    assert component(schema, "ProjectDetailRequest")["required"] == ["name", "phase", "pillars", "sector", "slug"]


def test_decimal_fields_document_their_decimal_places(schema):
    assert component(schema, "InvestmentFigureRequest")["properties"]["amount"]["multipleOf"] == 0.01
    assert component(schema, "ProjectDetailRequest")["properties"]["latitude"]["multipleOf"] == 1e-06
    assert component(schema, "ProjectDetailRequest")["properties"]["capacity_value"]["multipleOf"] == 0.001


def test_excess_decimal_places_are_refused_naming_the_field(editor_api, registry):
    body = {"project": "karot-hydropower", "kind": "committed", "amount": 12.001, "as_of": "2020-01-01"}
    body["source"] = factories.SourceFactory().pk

    response = editor_api.post("/api/v1/investments/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"amount": ["Ensure that there are no more than 2 decimal places."]}


def test_model_rules_are_in_the_write_schema(schema):
    project = component(schema, "ProjectDetailRequest")["properties"]

    assert (project["latitude"]["minimum"], project["latitude"]["maximum"]) == (23.5, 37.1)
    assert (project["longitude"]["minimum"], project["longitude"]["maximum"]) == (60.8, 77.9)
    assert project["pillars"]["minItems"] == 1
    assert component(schema, "EventRequest")["properties"]["sources"]["minItems"] == 1


# --- web addresses ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://0.a",
        "http://localhost/",
        "http://127.0.0.1/report",
        "https://example.org/a\x01b",
        "https://example.org/a\x7fb",
        "https://example.org/a|b",
        f"https://{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 63}.org/",  # a host of 259 characters
    ],
)
def test_url_outside_the_schema_pattern_is_refused(editor_api, db, url):
    response = editor_api.post("/api/v1/sources/", {"title": "A report", "url": url}, format="json")

    assert re.fullmatch(WEB_URL_PATTERN, url) is None
    assert response.status_code == 400
    assert list(response.json()) == ["url"]


@pytest.mark.parametrize("url", ["HTTPS://Example.org/a%20b?x=1&y=2#top", "http://example.org:8080/"])
def test_url_in_the_schema_pattern_is_accepted(editor_api, db, url):
    response = editor_api.post("/api/v1/sources/", {"title": "A report", "url": url}, format="json")

    assert re.fullmatch(WEB_URL_PATTERN, url) is not None
    assert response.status_code == 201


def test_written_url_schema_is_the_models_pattern_or_empty(schema):
    website = component(schema, "OrganisationRequest")["properties"]["website"]

    assert re.fullmatch(website["pattern"], "") is not None
    assert re.fullmatch(website["pattern"], "https://example.org/") is not None
    assert "oneOf" not in website
    assert component(schema, "Organisation")["properties"]["url"]["pattern"] == "^[Hh][Tt][Tt][Pp][Ss]?://"


# --- event dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [1, 4, 100, 400, 1900, 2000, 2015, 2024, 9999])
def test_event_date_pattern_accepts_exactly_the_calendar(year):
    texts = [f"{year:04d}"] + [f"{year:04d}-{month:02d}" for month in range(14)]
    texts += [f"{year:04d}-{month:02d}-{day:02d}" for month in range(14) for day in range(33)]

    def on_calendar(text):
        numbers = [int(part) for part in text.split("-")] + [1] * (3 - len(text.split("-")))
        try:
            return bool(datetime.date(*numbers))
        except ValueError:
            return False

    assert [text for text in texts if bool(re.fullmatch(PARTIAL_DATE_PATTERN, text)) != on_calendar(text)] == []


@pytest.mark.parametrize("date", ["2015-13", "2015-02-30", "2015-00", "0000", " 2015-11"])
def test_event_date_outside_the_pattern_is_400_naming_it(editor_api, db, date):
    body = {
        "slug": "jcc",
        "kind": "jcc-meeting",
        "title": "JCC",
        "date": date,
        "sources": [factories.SourceFactory().pk],
    }

    response = editor_api.post("/api/v1/events/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["date"]


# --- an entry's project is fixed once it exists -----------------------------------------------------------------


def test_status_change_put_may_leave_the_project_out(editor_api, registry):
    entry = StatusChange.objects.filter(project__slug="karot-hydropower").order_by("-date").first()
    body = {"status": entry.status, "date": entry.date.isoformat(), "source": entry.source_id, "note": "Checked."}

    response = editor_api.put(f"/api/v1/status-changes/{entry.pk}/", body, format="json")

    assert response.status_code == 200
    assert (response.json()["project"], response.json()["note"]) == ("karot-hydropower", "Checked.")


def test_status_change_put_moving_the_project_is_400(editor_api, registry):
    entry = StatusChange.objects.filter(project__slug="karot-hydropower").order_by("-date").first()

    response = editor_api.patch(f"/api/v1/status-changes/{entry.pk}/", {"project": "sahiwal-coal"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"project": ["A status change cannot move to another project; delete and re-add it."]}


@pytest.mark.parametrize("name", ["StatusChange", "InvestmentFigure"])
def test_project_is_read_only_in_update_schemas(schema, name):
    put = schema["paths"][f"/api/v1/{'status-changes' if name == 'StatusChange' else 'investments'}/{{id}}/"]["put"]

    assert put["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(f"{name}UpdateRequest")
    assert component(schema, f"{name}UpdateRequest")["properties"]["project"]["readOnly"] is True
    assert "project" not in component(schema, f"{name}UpdateRequest")["required"]
    assert component(schema, f"Patched{name}Request")["properties"]["project"]["readOnly"] is True
    assert "project" in component(schema, f"{name}Request")["required"]


# --- sparse fields ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [" ", "\x0c"])
def test_blank_fields_value_is_400(api, registry, value):
    response = api.get("/api/v1/projects/karot-hydropower/", {"fields": value})

    assert response.status_code == 400
    assert list(response.json()) == ["fields"]
