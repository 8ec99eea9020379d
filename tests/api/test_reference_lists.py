"""Reference lists (API.md: Endpoints): corridors, pillars, sectors and provinces, with their shapes and the
counts and sums over PUBLISHED projects only."""

import pytest

from projects import choices, services
from tests import factories

PAGE = {"count": None, "next": None, "previous": None}


@pytest.fixture
def reference(registry, vocab):
    """The registry, plus money and a second draft that must not count anywhere.

    Published: Karot (green, energy, energy-hydro, PB+JK, announced 1.42bn, realised 1.698bn), Sahiwal (green,
    energy+export, energy-coal, PB, announced 1.912bn), ML-1 (connectivity, export, transport, SD+PB+KP, announced
    6.8bn), the zone (growth, export+equity, transport, KP, no money).
    Drafts: Chashma-5 (green, energy, energy, PB, announced 3.7bn, realised 3bn) and a Gwadar project (growth,
    equity, transport, BA, announced 0.5bn, realised 0.4bn).
    """
    factories.add_figure(registry["draft"], "realised", "3000000000")
    gwadar = factories.make_project(
        slug="gwadar-draft",
        corridor=vocab["corridors"]["growth"],
        pillars=[vocab["pillars"]["equity"]],
        sector=vocab["sectors"]["transport"],
        provinces=["PK-BA"],
        publication=choices.Publication.DRAFT,
    )
    factories.add_figure(gwadar, "announced", "500000000")
    factories.add_figure(gwadar, "realised", "400000000")
    return registry


def corridor(code, name, aliases, order, count, announced, realised):
    return {
        "code": code,
        "name": name,
        "aliases": aliases,
        "description": "",
        "order": order,
        "project_count": count,
        "announced_usd": announced,
        "realised_usd": realised,
        "url": f"http://testserver/api/v1/corridors/{code}/",
    }


GROWTH = corridor("growth", "Growth Corridor", ["Corridor of Growth"], 0, 1, None, None)
GREEN = corridor(
    "green",
    "Green Corridor",
    ["Corridor of Green Energy", "Green Development"],
    1,
    2,
    1420000000 + 1912000000,
    1698000000,
)
CONNECTIVITY = corridor("connectivity", "Regional Connectivity Corridor", ["Openness Corridor"], 2, 1, 6800000000, None)


# --- corridors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("client_name", ["api", "reader_api", "editor_api"])
def test_corridor_list_counts_and_sums_published_projects_only(request, reference, client_name):
    client = request.getfixturevalue(client_name)

    response = client.get("/api/v1/corridors/")

    assert response.status_code == 200
    assert response.json() == {**PAGE, "count": 3, "results": [GROWTH, GREEN, CONNECTIVITY]}


def test_corridor_money_is_json_numbers(api, reference):
    content = api.get("/api/v1/corridors/green/").content

    assert b'"announced_usd":3332000000,' in content
    assert b'"realised_usd":1698000000,' in content


@pytest.mark.parametrize("corridor_", [GROWTH, GREEN, CONNECTIVITY], ids=lambda c: c["code"])
def test_corridor_detail_is_the_list_entry(api, reference, corridor_):
    response = api.get(f"/api/v1/corridors/{corridor_['code']}/")

    assert response.status_code == 200
    assert response.json() == corridor_


def test_corridor_aggregates_follow_publication(api, reference):
    services.project_set_publication(projects=[reference["karot"]], publication=choices.Publication.DRAFT)
    services.project_set_publication(projects=[reference["draft"]], publication=choices.Publication.PUBLISHED)

    green = api.get("/api/v1/corridors/green/").json()

    assert (green["project_count"], green["announced_usd"], green["realised_usd"]) == (
        2,
        1912000000 + 3700000000,
        3000000000,
    )


def test_corridor_without_projects_counts_zero(api, vocab):
    response = api.get("/api/v1/corridors/growth/")

    assert response.json() == {**GROWTH, "project_count": 0}


# --- pillars ----------------------------------------------------------------------------------------------------


def pillar(code, count, aligned_corridor=None):
    return {
        "code": code,
        "name": code.title(),
        "description": "",
        "aligned_corridor": aligned_corridor,
        "project_count": count,
        "url": f"http://testserver/api/v1/pillars/{code}/",
    }


def test_pillar_list_counts_published_projects_only(api, reference):
    response = api.get("/api/v1/pillars/")

    assert response.status_code == 200
    assert response.json() == {
        **PAGE,
        "count": 3,
        "results": [pillar("energy", 2), pillar("equity", 1), pillar("export", 3)],
    }


def test_pillar_detail_shows_its_aligned_corridor_code(api, reference, vocab):
    energy = vocab["pillars"]["energy"]
    energy.aligned_corridor = vocab["corridors"]["green"]
    energy.full_clean()
    energy.save()

    response = api.get("/api/v1/pillars/energy/")

    assert response.status_code == 200
    assert response.json() == pillar("energy", 2, aligned_corridor="green")


# --- sectors ----------------------------------------------------------------------------------------------------


def sector(code, name, parent, count):
    return {
        "code": code,
        "name": name,
        "parent": parent,
        "project_count": count,
        "url": f"http://testserver/api/v1/sectors/{code}/",
    }


SECTORS = [
    sector("energy", "Energy", None, 0),  # only the draft is in "energy" itself
    sector("energy-coal", "Coal", "energy", 1),
    sector("energy-hydro", "Hydro", "energy", 1),
    sector("transport", "Transport", None, 2),  # not the Gwadar draft
]


def test_sector_list_shows_parent_codes_and_counts_published_projects_in_the_sector_itself(api, reference):
    response = api.get("/api/v1/sectors/")

    assert response.status_code == 200
    assert response.json() == {**PAGE, "count": 4, "results": SECTORS}


@pytest.mark.parametrize("sector_", SECTORS, ids=lambda s: s["code"])
def test_sector_detail_is_the_list_entry(api, reference, sector_):
    response = api.get(f"/api/v1/sectors/{sector_['code']}/")

    assert response.status_code == 200
    assert response.json() == sector_


# --- provinces --------------------------------------------------------------------------------------------------

PROVINCES = [
    {"code": "PK-BA", "name": "Balochistan", "project_count": 0},  # only the Gwadar draft
    {"code": "PK-GB", "name": "Gilgit-Baltistan", "project_count": 0},
    {"code": "PK-IS", "name": "Islamabad Capital Territory", "project_count": 0},
    {"code": "PK-JK", "name": "Azad Jammu and Kashmir", "project_count": 1},
    {"code": "PK-KP", "name": "Khyber Pakhtunkhwa", "project_count": 2},
    {"code": "PK-PB", "name": "Punjab", "project_count": 3},  # not Chashma-5
    {"code": "PK-SD", "name": "Sindh", "project_count": 1},
]


def test_province_list_is_every_province_unpaginated_with_published_counts(api, reference):
    response = api.get("/api/v1/provinces/")

    assert response.status_code == 200
    assert response.json() == PROVINCES


@pytest.mark.parametrize("province", PROVINCES, ids=lambda p: p["code"])
def test_province_detail_is_the_list_entry(api, reference, province):
    response = api.get(f"/api/v1/provinces/{province['code']}/")

    assert response.status_code == 200
    assert response.json() == province


# --- unknown codes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "model"),
    [
        ("/api/v1/corridors/blue/", "Corridor"),
        ("/api/v1/corridors/GREEN/", "Corridor"),
        ("/api/v1/pillars/environment/", "Pillar"),
        ("/api/v1/sectors/energy-solar/", "Sector"),
        ("/api/v1/provinces/PK-XX/", "Province"),
        ("/api/v1/provinces/pk-pb/", "Province"),
    ],
)
def test_unknown_code_is_not_found(api, vocab, url, model):
    response = api.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": f"No {model} matches the given query."}
