"""``fields=a,b,c`` on every list and detail and in CSV columns: only those fields, and only the queries they need."""

import csv
import io
import json

import pytest

PROJECT_LIST_FIELDS = (
    "slug, name, summary, phase, corridor, pillars, sector, status, status_since, is_stale, provinces, place_name, "
    "latitude, longitude, location_precision, capacity_value, capacity_unit, announced_usd, committed_usd, "
    "realised_usd, realisation_ratio, participants, confidence, publication, updated_at, url"
)


def body(response):
    return b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else response.content.decode()


def test_project_list_with_fields_has_only_those_in_that_order(api, registry):
    response = api.get("/api/v1/projects/", {"fields": "status,slug,announced_usd"})

    assert response.status_code == 200
    assert [list(row.items()) for row in response.json()["results"]][:2] == [
        [("status", "operational"), ("slug", "karot-hydropower"), ("announced_usd", 1420000000)],
        [("status", "mou"), ("slug", "ml-1-railway"), ("announced_usd", 6800000000)],
    ]


def test_project_detail_with_fields(api, registry):
    response = api.get("/api/v1/projects/karot-hydropower/", {"fields": "slug,status_history"})

    assert list(response.json()) == ["slug", "status_history"]
    assert [entry["status"] for entry in response.json()["status_history"]] == ["implementation", "operational"]


def test_project_csv_and_geojson_with_fields(api, registry):
    csv_text = body(api.get("/api/v1/projects/", {"fields": "slug,participants", "format": "csv"}))
    geojson = json.loads(body(api.get("/api/v1/projects/", {"fields": "slug,name", "format": "geojson"})))

    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0] == ["slug", "participants", "participant_names"]
    assert rows[1] == ["karot-hydropower", "china-three-gorges:sponsor", "China Three Gorges"]
    assert {tuple(feature["properties"]) for feature in geojson["features"]} == {("slug", "name")}


def test_repeated_fields_parameter_is_one_list(api, registry):
    response = api.get("/api/v1/projects/?fields=slug&fields=name")

    assert list(response.json()["results"][0]) == ["slug", "name"]


@pytest.mark.parametrize(
    ("path", "first_field"),
    [
        ("/api/v1/corridors/", "code"),
        ("/api/v1/pillars/", "code"),
        ("/api/v1/sectors/", "code"),
        ("/api/v1/provinces/", "code"),
        ("/api/v1/status-changes/", "id"),
        ("/api/v1/investments/", "id"),
        ("/api/v1/organisations/", "slug"),
        ("/api/v1/sources/", "id"),
        ("/api/v1/indicators/", "code"),
        ("/api/v1/observations/", "id"),
    ],
)
def test_every_list_takes_fields(api, registry, path, first_field):
    response = api.get(path, {"fields": first_field})

    data = response.json()
    rows = data["results"] if isinstance(data, dict) else data
    assert response.status_code == 200
    assert {tuple(row) for row in rows} <= {(first_field,)}


def test_unknown_field_is_a_400_listing_the_allowed_ones(api, registry):
    response = api.get("/api/v1/projects/", {"fields": "slug,colour"})

    assert response.status_code == 400
    assert response.json() == {"fields": [f"Unknown field(s) 'colour'. Allowed: {PROJECT_LIST_FIELDS}."]}


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/v1/projects/karot-hydropower/", {"fields": "investments,spend"}, "Unknown field(s) 'spend'."),
        ("/api/v1/organisations/", {"fields": "country,,slug"}, "An empty value in the list"),
        ("/api/v1/sources/", {"fields": "title,url,title"}, "Each field once: 'title' is listed twice."),
        ("/api/v1/organisations/", {"fields": "url", "format": "csv"}, None),
    ],
)
def test_fields_bad_input(api, registry, path, params, message):
    response = api.get(path, params)

    if message is None:
        assert response.status_code == 200
        assert body(response).splitlines()[0] == "url"
    else:
        assert response.status_code == 400
        assert response.json()["fields"][0].startswith(message)


def test_fewer_fields_fetch_less(api, registry, django_assert_num_queries):
    with django_assert_num_queries(5):
        assert api.get("/api/v1/projects/").status_code == 200
    with django_assert_num_queries(2) as sparse:  # count and page; pillars, provinces and participants not fetched
        assert api.get("/api/v1/projects/?fields=slug,name,status").status_code == 200
    with django_assert_num_queries(9):
        assert api.get("/api/v1/projects/karot-hydropower/").status_code == 200
    with django_assert_num_queries(1):
        assert api.get("/api/v1/projects/karot-hydropower/?fields=slug,status").status_code == 200

    page = sparse.captured_queries[1]["sql"]
    assert "corridor" not in page and "summary" not in page
