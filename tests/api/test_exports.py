import csv
import io
import json

import pytest


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _all_json(api, query: str) -> list[dict]:
    return api.get(f"/api/v1/projects/?page_size=500&{query}").json()["results"]


@pytest.mark.parametrize("query", ["", "corridor=green", "province=PK-KP&ordering=-announced_usd"])
def test_projects_csv_matches_json(api, registry, query):
    expected = _all_json(api, query)

    response = api.get(f"/api/v1/projects/?format=csv&{query}")

    rows = list(csv.DictReader(io.StringIO(_content(response).decode())))
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["slug"] for row in rows] == [item["slug"] for item in expected]
    for row, item in zip(rows, expected, strict=True):
        assert row["name"] == item["name"]
        assert row["corridor"] == item["corridor"]
        assert row["pillars"] == ";".join(item["pillars"])
        assert row["provinces"] == ";".join(item["provinces"])
        assert row["status"] == (item["status"] or "")
        assert row["announced_usd"] == ("" if item["announced_usd"] is None else str(item["announced_usd"]))
        assert row["realised_usd"] == ("" if item["realised_usd"] is None else str(item["realised_usd"]))
        assert row["participants"] == ";".join(f"{p['organisation']}:{p['role']}" for p in item["participants"])
        assert row["url"] == item["url"]


def test_projects_csv_by_accept_header(api, registry):
    response = api.get("/api/v1/projects/", HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert _content(response).decode().splitlines()[0].startswith("slug,name,summary,phase,corridor")


def test_projects_csv_has_download_filename(api, registry):
    response = api.get("/api/v1/projects/?format=csv")

    assert response["Content-Disposition"].startswith('attachment; filename="cpec-projects-')
    assert response["Content-Disposition"].endswith('.csv"')


def test_projects_csv_is_not_paginated(api, registry):
    response = api.get("/api/v1/projects/?format=csv&page_size=1&page=2")

    rows = list(csv.DictReader(io.StringIO(_content(response).decode())))
    assert response.status_code == 200
    assert sorted(row["slug"] for row in rows) == ["karot-hydropower", "ml-1-railway", "rashakai-sez", "sahiwal-coal"]


@pytest.mark.parametrize("query", ["", "corridor=green", "has_location=true"])
def test_projects_geojson_matches_json(api, registry, query):
    expected = _all_json(api, query)

    response = api.get(f"/api/v1/projects/?format=geojson&{query}")

    collection = json.loads(_content(response))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"].endswith('.geojson"')
    assert collection["type"] == "FeatureCollection"
    assert [feature["properties"] for feature in collection["features"]] == expected
    for feature, item in zip(collection["features"], expected, strict=True):
        if item["latitude"] is None:
            assert feature["geometry"] is None
        else:
            assert feature["geometry"] == {"type": "Point", "coordinates": [item["longitude"], item["latitude"]]}


def test_projects_geojson_by_accept_header(api, registry):
    response = api.get("/api/v1/projects/", HTTP_ACCEPT="application/geo+json")

    assert response.status_code == 200
    assert json.loads(_content(response))["type"] == "FeatureCollection"


def test_projects_export_excludes_drafts_for_anonymous(api, registry):
    csv_text = _content(api.get("/api/v1/projects/?format=csv")).decode()
    geojson = json.loads(_content(api.get("/api/v1/projects/?format=geojson")))

    assert "chashma-5" not in csv_text
    assert "chashma-5" not in [feature["properties"]["slug"] for feature in geojson["features"]]


def test_projects_export_bad_filter_answers_json_400(api, registry):
    response = api.get("/api/v1/projects/?format=csv&status=finished")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "status" in response.json()


def test_detail_csv_format_refused(api, registry):
    response = api.get("/api/v1/projects/karot-hydropower/?format=csv")

    assert response.status_code == 400
    assert response.json() == {"format": ["Unknown format 'csv'. Allowed: json."]}


@pytest.mark.parametrize(
    "path", ["/api/v1/investments/", "/api/v1/status-changes/", "/api/v1/organisations/", "/api/v1/sources/"]
)
def test_other_lists_csv_matches_json_count(api, registry, path):
    expected = api.get(f"{path}?page_size=500").json()["results"]

    response = api.get(f"{path}?format=csv")

    rows = list(csv.DictReader(io.StringIO(_content(response).decode())))
    assert response.status_code == 200
    assert len(rows) == len(expected)
    assert list(rows[0]) == list(expected[0])
