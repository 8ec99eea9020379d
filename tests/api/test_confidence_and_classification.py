"""How sure and how precise a project is (confidence, location_precision), the editors-only editorial note, and the
honest classification: projects without a corridor (corridor=none) or without a known province (province=none)."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services
from projects.models import Project

PROJECTS = "/api/v1/projects/"
SECRET = "Editors only: the figure's source is doubtful, check before publishing."


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["slug"] for row in response.json()["results"])


@pytest.fixture
def graded(registry):
    """The registry with grades, precisions, an editors' note, and the zone without a corridor or a province."""
    services.project_update(
        project=registry["karot"], confidence="high", location_precision="approximate", editorial_note=SECRET
    )
    services.project_update(project=registry["sahiwal"], confidence="low", location_precision="exact")
    services.project_update(project=registry["zone"], corridor=None, provinces=[], confidence="medium")
    return registry


def test_project_filter_confidence_selects_any_of_the_grades(api, graded):
    cases = {
        "confidence=high": ["karot-hydropower"],
        "confidence=low": ["sahiwal-coal"],
        "confidence=high,medium": ["karot-hydropower", "rashakai-sez"],
        "confidence=high&confidence=low": ["karot-hydropower", "sahiwal-coal"],
    }

    assert {query: slugs(api.get(f"{PROJECTS}?{query}")) for query in cases} == cases


def test_project_filter_corridor_none_selects_projects_without_a_corridor(api, graded):
    cases = {
        "corridor=none": ["rashakai-sez"],
        "corridor=green,none": ["karot-hydropower", "rashakai-sez", "sahiwal-coal"],
        "corridor=connectivity&corridor=none": ["ml-1-railway", "rashakai-sez"],
        "corridor=growth": [],
    }

    assert {query: slugs(api.get(f"{PROJECTS}?{query}")) for query in cases} == cases


def test_project_filter_province_none_selects_projects_without_a_province(api, graded):
    cases = {
        "province=none": ["rashakai-sez"],
        "province=PK-SD,none": ["ml-1-railway", "rashakai-sez"],
        "province=PK-KP": ["ml-1-railway"],
    }

    assert {query: slugs(api.get(f"{PROJECTS}?{query}")) for query in cases} == cases


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("confidence=certain", {"confidence": ["Unknown value(s) 'certain'. Allowed: high, medium, low."]}),
        ("confidence=HIGH", {"confidence": ["Unknown value(s) 'HIGH'. Allowed: high, medium, low."]}),
        ("confidence=high,", {"confidence": ["An empty value in the list: give values separated by single commas."]}),
        ("corridor=None", {"corridor": ["Unknown value(s) 'None'. Allowed: connectivity, green, growth, none."]}),
        ("corridor=null", {"corridor": ["Unknown value(s) 'null'. Allowed: connectivity, green, growth, none."]}),
        (
            "province=NONE",
            {"province": ["Unknown value(s) 'NONE'. Allowed: PK-PB, PK-SD, PK-KP, PK-BA, PK-GB, PK-JK, PK-IS, none."]},
        ),
    ],
)
def test_project_filter_bad_grade_or_none_value_is_400_naming_the_parameter(api, graded, query, errors):
    response = api.get(f"{PROJECTS}?{query}")

    assert (response.status_code, response.json()) == (400, errors)


def test_project_list_and_detail_show_grade_precision_and_unassigned_classification(api, graded):
    listed = {row["slug"]: row for row in api.get(PROJECTS).json()["results"]}
    detail = api.get(f"{PROJECTS}rashakai-sez/").json()

    assert {slug: (row["confidence"], row["location_precision"]) for slug, row in listed.items()} == {
        "karot-hydropower": ("high", "approximate"),
        "ml-1-railway": (None, None),
        "rashakai-sez": ("medium", None),
        "sahiwal-coal": ("low", "exact"),
    }
    assert (detail["corridor"], detail["provinces"], detail["confidence"]) == (None, [], "medium")


def test_project_csv_has_confidence_and_location_precision_columns(api, graded):
    text = content(api.get(f"{PROJECTS}?format=csv&corridor=green")).decode("utf-8-sig")

    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames
    assert columns[columns.index("longitude") + 1] == "location_precision"
    assert "editorial_note" not in columns
    assert {row["slug"]: (row["confidence"], row["location_precision"]) for row in reader} == {
        "karot-hydropower": ("high", "approximate"),
        "sahiwal-coal": ("low", "exact"),
    }


def test_project_geojson_features_have_the_slug_as_id_and_the_location_precision(api, graded):
    collection = json.loads(content(api.get(f"{PROJECTS}?format=geojson&corridor=green")))

    features = {feature["id"]: feature for feature in collection["features"]}
    assert sorted(features) == ["karot-hydropower", "sahiwal-coal"]
    assert features["karot-hydropower"]["properties"]["location_precision"] == "approximate"
    assert features["sahiwal-coal"]["geometry"] == {"type": "Point", "coordinates": [73.2432, 30.7135]}


def test_editorial_note_is_absent_from_every_public_representation(api, editor_api, graded):
    answers = {
        "list": content(api.get(PROJECTS)),
        "detail": content(api.get(f"{PROJECTS}karot-hydropower/")),
        "editor detail": content(editor_api.get(f"{PROJECTS}karot-hydropower/")),
        "csv": content(api.get(f"{PROJECTS}?format=csv")),
        "geojson": content(api.get(f"{PROJECTS}?format=geojson")),
        "history": content(api.get(f"{PROJECTS}karot-hydropower/history/")),
        "changes": content(api.get("/api/v1/changes/?page_size=100")),
    }

    assert {
        name: (b"editorial_note" in body, SECRET.encode() in body) for name, body in answers.items()
    } == dict.fromkeys(answers, (False, False))
    assert Project.objects.get(slug="karot-hydropower").editorial_note == SECRET


def test_editorial_note_edit_alone_makes_no_public_change_entry(api, editor_api, graded):
    since = datetime.datetime.now(datetime.UTC)

    services.project_update(project=graded["sahiwal"], editorial_note="Check the 2017 figure.")

    query = f"/api/v1/changes/?since={since.isoformat().replace('+', '%2B')}"
    assert api.get(query).json()["results"] == []
    editors = editor_api.get(query).json()["results"]
    assert [(e["object"], e["action"], e["changed_fields"]) for e in editors] == [
        ("sahiwal-coal", "updated", ["editorial_note"])
    ]


def test_editorial_note_cannot_be_written_through_the_api(editor_api, graded):
    response = editor_api.patch(f"{PROJECTS}sahiwal-coal/", {"editorial_note": "x"}, format="json")

    assert response.status_code == 400
    assert "editorial_note" in response.json()
    assert Project.objects.get(slug="sahiwal-coal").editorial_note == ""


def test_project_write_confidence_and_null_corridor(editor_api, graded):
    response = editor_api.patch(
        f"{PROJECTS}ml-1-railway/",
        {"confidence": "low", "location_precision": "region", "corridor": None, "provinces": []},
        format="json",
    )

    stored = Project.objects.get(slug="ml-1-railway")
    assert response.status_code == 200, response.content
    assert (stored.confidence, stored.location_precision, stored.corridor, stored.provinces.count()) == (
        "low",
        "region",
        None,
        0,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [({"confidence": "certain"}, "confidence"), ({"location_precision": "street"}, "location_precision")],
)
def test_project_write_bad_grade_or_precision_is_400_naming_the_field(editor_api, graded, body, field):
    response = editor_api.patch(f"{PROJECTS}ml-1-railway/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(("client", "status"), [("api", 401), ("reader_api", 403)])
def test_project_write_confidence_needs_an_editor(request, graded, client, status):
    response = request.getfixturevalue(client).patch(f"{PROJECTS}ml-1-railway/", {"confidence": "low"}, format="json")

    assert response.status_code == status
    assert Project.objects.get(slug="ml-1-railway").confidence == ""


def test_project_list_with_unassigned_projects_keeps_its_query_count(api, graded, django_assert_num_queries):
    with CaptureQueriesContext(connection) as all_rows:
        assert api.get(PROJECTS).status_code == 200

    with django_assert_num_queries(len(all_rows)):
        response = api.get(f"{PROJECTS}?corridor=none&province=none&confidence=medium")

    assert response.status_code == 200
