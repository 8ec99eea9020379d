"""The projects list's filters, ordering and pagination (API.md: "Project filters"), and the other lists' filters.

Each filter is tried against the small registry of tests/api_fixtures.py (four published projects and the draft
"chashma-5") and must select exactly the right projects; comma lists and repeated parameters mean "any of".
Each test compares all its queries at once, so that a failure shows every query that went wrong.
"""

import datetime

import pytest
from django.http import QueryDict
from django.utils import timezone

from projects import choices, services
from projects.filtersets import ProjectFilterSet
from projects.models import Project
from tests import factories

PROJECTS = "/api/v1/projects/"
ALL_PUBLISHED = ["karot-hydropower", "ml-1-railway", "rashakai-sez", "sahiwal-coal"]
WITH_DRAFT = ["chashma-5", *ALL_PUBLISHED]


def slugs(response) -> list[str]:
    """The sorted slugs of a 200 list response."""
    assert response.status_code == 200, response.content
    return sorted(row["slug"] for row in response.json()["results"])


def in_order(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def results(client, cases: dict, url: str = PROJECTS, rows=slugs) -> dict:
    """``{query string: rows(response)}`` for every query of ``cases``, to compare with ``cases`` in one go."""
    return {query: rows(client.get(f"{url}?{query}")) for query in cases}


# --- corridor, pillar, sector, phase, status, province ----------------------------------------------------------


def test_project_filter_corridor_selects_any_of_the_codes(api, registry):
    cases = {
        "corridor=green": ["karot-hydropower", "sahiwal-coal"],
        "corridor=connectivity": ["ml-1-railway"],
        "corridor=green,growth": ["karot-hydropower", "rashakai-sez", "sahiwal-coal"],
        "corridor=green&corridor=growth": ["karot-hydropower", "rashakai-sez", "sahiwal-coal"],
        "corridor=green,%20growth": ["karot-hydropower", "rashakai-sez", "sahiwal-coal"],
        "corridor=green,connectivity,growth": ALL_PUBLISHED,
    }

    assert results(api, cases) == cases


def test_project_filter_pillar_selects_projects_in_any_of_the_pillars(api, registry):
    cases = {
        "pillar=energy": ["karot-hydropower", "sahiwal-coal"],
        "pillar=export": ["ml-1-railway", "rashakai-sez", "sahiwal-coal"],
        "pillar=equity": ["rashakai-sez"],
        "pillar=energy,equity": ["karot-hydropower", "rashakai-sez", "sahiwal-coal"],
        "pillar=energy&pillar=equity": ["karot-hydropower", "rashakai-sez", "sahiwal-coal"],
    }

    assert results(api, cases) == cases


def test_project_filter_pillar_lists_a_project_in_two_matching_pillars_once(api, registry):
    response = api.get(f"{PROJECTS}?pillar=export,equity")

    assert in_order(response) == ["ml-1-railway", "rashakai-sez", "sahiwal-coal"]
    assert response.json()["count"] == 3


def test_project_filter_sector_top_level_code_matches_itself_and_its_children(api, registry, vocab):
    factories.make_project(slug="tarbela-extension", sector=vocab["sectors"]["energy"])
    cases = {
        "sector=energy": ["karot-hydropower", "sahiwal-coal", "tarbela-extension"],
        "sector=energy-hydro": ["karot-hydropower"],
        "sector=energy-coal": ["sahiwal-coal"],
        "sector=transport": ["ml-1-railway", "rashakai-sez"],
        "sector=energy-coal,transport": ["ml-1-railway", "rashakai-sez", "sahiwal-coal"],
        "sector=energy-hydro&sector=transport": ["karot-hydropower", "ml-1-railway", "rashakai-sez"],
    }

    assert results(api, cases) == cases


def test_project_filter_phase(api, registry):
    cases = {
        "phase=1": ["karot-hydropower", "sahiwal-coal"],
        "phase=2": ["ml-1-railway", "rashakai-sez"],
        "phase=1,2": ALL_PUBLISHED,
        "phase=1&phase=2": ALL_PUBLISHED,
    }

    assert results(api, cases) == cases


def test_project_filter_status_selects_the_current_status(api, registry):
    cases = {
        "status=operational": ["karot-hydropower", "sahiwal-coal"],
        "status=mou": ["ml-1-railway"],
        "status=mou,operational": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "status=mou&status=operational": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "status=implementation": [],  # Karot was in implementation once; only the draft is now
        "status=pipeline,suspended,cancelled": [],  # a project without any status is never matched
    }

    assert results(api, cases) == cases


def test_project_filter_province_selects_projects_in_any_of_the_provinces(api, registry):
    cases = {
        "province=PK-PB": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "province=PK-KP": ["ml-1-railway", "rashakai-sez"],
        "province=PK-JK": ["karot-hydropower"],
        "province=PK-JK,PK-SD": ["karot-hydropower", "ml-1-railway"],
        "province=PK-JK&province=PK-SD": ["karot-hydropower", "ml-1-railway"],
        "province=PK-PB,PK-KP,PK-SD": ALL_PUBLISHED,
        "province=PK-BA": [],
    }

    assert results(api, cases) == cases


def test_project_filter_province_counts_a_project_in_several_matching_provinces_once(api, registry):
    response = api.get(f"{PROJECTS}?province=PK-PB,PK-KP,PK-SD")

    assert response.json()["count"] == 4
    assert in_order(response) == ["karot-hydropower", "ml-1-railway", "rashakai-sez", "sahiwal-coal"]


# --- participants -----------------------------------------------------------------------------------------------


@pytest.fixture
def participants(registry):
    """Three Gorges also builds ML-1, a private company finances Sahiwal, a Pakistani bank finances the draft."""
    three_gorges = registry["karot"].participations.get().organisation
    factories.add_participant(registry["ml1"], three_gorges, choices.ParticipationRole.CONTRACTOR)
    huaneng = factories.OrganisationFactory(
        slug="huaneng-shandong", name="Huaneng Shandong", country="CN", kind=choices.OrganisationKind.PRIVATE
    )
    factories.add_participant(registry["sahiwal"], huaneng, choices.ParticipationRole.FINANCIER)
    bank = factories.OrganisationFactory(
        slug="national-bank", name="National Bank of Pakistan", country="PK", kind=choices.OrganisationKind.FINANCIER
    )
    factories.add_participant(registry["draft"], bank, choices.ParticipationRole.FINANCIER)
    return registry


def test_project_filter_organisation_selects_projects_with_any_of_the_participants(api, participants):
    cases = {
        "organisation=china-three-gorges": ["karot-hydropower", "ml-1-railway"],
        "organisation=wapda": ["ml-1-railway"],
        "organisation=huaneng-shandong,wapda": ["ml-1-railway", "sahiwal-coal"],
        "organisation=huaneng-shandong&organisation=wapda": ["ml-1-railway", "sahiwal-coal"],
        "organisation=national-bank": [],  # it only finances the draft
    }

    assert results(api, cases) == cases


def test_project_filter_role_alone_selects_projects_with_any_participant_in_the_role(api, participants):
    cases = {
        "role=sponsor": ["karot-hydropower"],
        "role=contractor": ["ml-1-railway"],
        "role=financier": ["sahiwal-coal"],  # not the draft
        "role=sponsor,financier": ["karot-hydropower", "sahiwal-coal"],
        "role=sponsor&role=implementing-agency": ["karot-hydropower", "ml-1-railway"],
        "role=operator": [],
    }

    assert results(api, cases) == cases


def test_project_filter_role_with_organisation_restricts_to_that_organisations_role(api, participants):
    cases = {
        "organisation=china-three-gorges&role=sponsor": ["karot-hydropower"],
        "organisation=china-three-gorges&role=contractor": ["ml-1-railway"],
        "organisation=china-three-gorges&role=sponsor,contractor": ["karot-hydropower", "ml-1-railway"],
        # ML-1 has WAPDA and a contractor, but WAPDA is not the contractor: the pair must be one participation.
        "organisation=wapda&role=contractor": [],
        "role=contractor&organisation=wapda": [],
        "organisation=wapda&role=implementing-agency": ["ml-1-railway"],
        "organisation=wapda,huaneng-shandong&role=financier": ["sahiwal-coal"],
    }

    assert results(api, cases) == cases


def test_project_filter_country_selects_projects_with_a_participant_from_any_of_the_countries(api, participants):
    cases = {
        "country=CN": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "country=PK": ["ml-1-railway"],  # the Pakistani bank only finances the draft
        "country=cn": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "country=CN,PK": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "country=PK&country=CN": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "country=US": [],
    }

    assert results(api, cases) == cases


# --- money ------------------------------------------------------------------------------------------------------


@pytest.fixture
def money(registry):
    """Headline money: announced Karot 1.42bn, Sahiwal 1.912bn, ML-1 6.8bn, the zone none; committed Sahiwal
    1.8bn, ML-1 0.5bn; realised Karot 1.698bn (ratio 1.1958), Sahiwal 1bn (ratio 0.5230). The draft has all three."""
    factories.add_figure(registry["sahiwal"], "committed", "1800000000")
    factories.add_figure(registry["ml1"], "committed", "500000000")
    factories.add_figure(registry["sahiwal"], "realised", "1000000000", as_of=datetime.date(2019, 1, 1))
    factories.add_figure(registry["draft"], "committed", "3000000000")
    factories.add_figure(registry["draft"], "realised", "3000000000")
    return registry


def test_project_filter_money_ranges_are_inclusive_and_skip_unknown_amounts(api, money):
    cases = {
        "announced_usd_min=1500000000": ["ml-1-railway", "sahiwal-coal"],
        "announced_usd_max=1500000000": ["karot-hydropower"],
        "announced_usd_min=1420000000": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "announced_usd_max=1420000000": ["karot-hydropower"],
        "announced_usd_min=1500000000&announced_usd_max=2000000000": ["sahiwal-coal"],
        "announced_usd_min=1.5e9": ["ml-1-railway", "sahiwal-coal"],
        "announced_usd_min=1419999999.99": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
        "announced_usd_min=1420000000.01": ["ml-1-railway", "sahiwal-coal"],
        "announced_usd_max=0": [],  # a project without an announced figure is never in a range
        "announced_usd_min=10000000000": [],
        "committed_usd_min=1000000000": ["sahiwal-coal"],
        "committed_usd_max=1000000000": ["ml-1-railway"],
        "committed_usd_min=0": ["ml-1-railway", "sahiwal-coal"],
        "realised_usd_min=1500000000": ["karot-hydropower"],
        "realised_usd_max=1500000000": ["sahiwal-coal"],
        "realised_usd_min=0": ["karot-hydropower", "sahiwal-coal"],
        "realisation_ratio_min=1": ["karot-hydropower"],
        "realisation_ratio_max=1": ["sahiwal-coal"],
        "realisation_ratio_min=0.5&realisation_ratio_max=0.6": ["sahiwal-coal"],
        "realisation_ratio_min=1.1958&realisation_ratio_max=1.1958": ["karot-hydropower"],
        "announced_usd_max=1e49": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],  # huge, but a number
        "announced_usd_min=1e49": [],
        "realisation_ratio_min=-1e49": ["karot-hydropower", "sahiwal-coal"],
    }

    assert results(api, cases) == cases


# --- dates, staleness, place, time of change -------------------------------------------------------------------


def test_project_filter_status_since_range_is_inclusive(api, registry):
    cases = {
        "status_since_after=2017-01-01": ["karot-hydropower", "sahiwal-coal"],
        "status_since_before=2017-01-01": ["ml-1-railway"],
        "status_since_after=2017-10-28": ["karot-hydropower", "sahiwal-coal"],
        "status_since_before=2017-10-28": ["ml-1-railway", "sahiwal-coal"],
        "status_since_after=2016-05-02&status_since_before=2022-06-28": ["sahiwal-coal"],
        "status_since_after=2023-01-01": [],  # the draft's 2024 status is not for the public
        "status_since_before=2100-01-01": ["karot-hydropower", "ml-1-railway", "sahiwal-coal"],
    }

    assert results(api, cases) == cases


def test_project_filter_completed_range_skips_projects_not_completed(api, registry):
    services.project_update(project=registry["karot"], completed_on=datetime.date(2022, 6, 29))
    services.project_update(project=registry["sahiwal"], completed_on=datetime.date(2017, 7, 3))
    services.project_update(project=registry["draft"], completed_on=datetime.date(2025, 1, 1))
    cases = {
        "completed_after=2020-01-01": ["karot-hydropower"],
        "completed_before=2020-01-01": ["sahiwal-coal"],
        "completed_after=2017-07-03": ["karot-hydropower", "sahiwal-coal"],
        "completed_before=2017-07-03": ["sahiwal-coal"],
        "completed_after=2017-07-04&completed_before=2022-06-29": ["karot-hydropower"],
        "completed_after=2023-01-01": [],
    }

    assert results(api, cases) == cases


def test_project_filter_is_stale(api, registry):
    # ML-1 has been at mou since 2016. In implementation for 5 years is stale too; for 3 years is not.
    today = timezone.now().date()
    for slug, years in [("gwadar-airport", 5), ("gwadar-port-road", 3)]:
        project = factories.make_project(slug=slug)
        factories.add_status(project, "implementation", today.replace(year=today.year - years, day=1))
    stale = ["gwadar-airport", "ml-1-railway"]
    fresh = ["gwadar-port-road", "karot-hydropower", "rashakai-sez", "sahiwal-coal"]
    cases = {"is_stale=true": stale, "is_stale=false": fresh, "is_stale=1": stale, "is_stale=0": fresh}

    assert results(api, cases) == cases
    is_stale = {row["slug"]: row["is_stale"] for row in api.get(PROJECTS).json()["results"]}
    assert is_stale == {**dict.fromkeys(stale, True), **dict.fromkeys(fresh, False)}


def test_project_filter_has_location(api, registry):
    cases = {
        "has_location=true": ["karot-hydropower", "sahiwal-coal"],
        "has_location=false": ["ml-1-railway", "rashakai-sez"],
        "has_location=1": ["karot-hydropower", "sahiwal-coal"],
        "has_location=0": ["ml-1-railway", "rashakai-sez"],
    }

    assert results(api, cases) == cases


def test_project_filter_bbox_selects_projects_inside_the_box(api, registry):
    # Karot is at (73.6, 33.6), Sahiwal at (73.2432, 30.7135); ML-1 and the zone have no coordinates.
    cases = {
        "bbox=73.0,30.0,74.0,31.0": ["sahiwal-coal"],
        "bbox=73.5,33.5,73.7,33.7": ["karot-hydropower"],
        "bbox=60.8,23.5,77.9,37.1": ["karot-hydropower", "sahiwal-coal"],  # all of Pakistan
        "bbox=73.6,33.6,73.6,33.6": ["karot-hydropower"],  # edges are inside
        "bbox=73.2432,30.7135,73.6,33.6": ["karot-hydropower", "sahiwal-coal"],
        "bbox=-180,-90,180,90": ["karot-hydropower", "sahiwal-coal"],
        "bbox=60.8,23.5,70.0,30.0": [],
        "bbox=73.5,30.0,74.0,31.0": [],  # Sahiwal's latitude but not its longitude
        "bbox=%2073.0%20,%2030.0,74.0,31.0": ["sahiwal-coal"],  # spaces around the numbers
    }

    assert results(api, cases) == cases


def test_project_filter_updated_since_selects_projects_changed_at_or_after(api, registry):
    cutoff = timezone.now()
    services.project_update(project=registry["zone"], summary="A special economic zone on the M-1 motorway.")
    factories.add_status(registry["sahiwal"], "operational", datetime.date(2018, 1, 1))  # a derived field changes
    services.project_update(project=registry["draft"], summary="Not public.")
    changed_at = Project.objects.get(slug="rashakai-sez").updated_at
    utc = cutoff.astimezone(datetime.UTC)
    karachi = cutoff.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    changed = ["rashakai-sez", "sahiwal-coal"]
    cases = {
        cutoff.isoformat(): changed,
        utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"): changed,
        utc.replace(tzinfo=None).isoformat(): changed,  # naive means UTC
        karachi.isoformat(): changed,  # the same instant in another offset
        changed_at.isoformat(): ["rashakai-sez", "sahiwal-coal"],  # inclusive
        "2000-01-01T00:00:00+00:00": ALL_PUBLISHED,
        (timezone.now() + datetime.timedelta(days=1)).isoformat(): [],
    }

    assert {when: slugs(api.get(PROJECTS, {"updated_since": when})) for when in cases} == cases


# --- search -----------------------------------------------------------------------------------------------------


def test_project_filter_search_in_names_summaries_places_participants_and_corridors(api, participants):
    services.project_update(project=participants["zone"], summary="An industrial estate on the M-1 motorway, Nowshera.")
    services.project_update(project=participants["draft"], summary="A nuclear plant near Mianwali.")
    cases = {
        "karot": ["karot-hydropower"],  # name
        "KAROT hydro": ["karot-hydropower"],  # case-insensitive
        "railway upgrade": ["ml-1-railway"],
        "nowshera": ["rashakai-sez"],  # summary
        "Jhelum": ["karot-hydropower"],  # place name
        "sahiwal": ["sahiwal-coal"],  # name and place name: listed once
        "Three Gorges": ["karot-hydropower", "ml-1-railway"],  # participant organisation name
        "water and power": ["ml-1-railway"],
        "HUANENG": ["sahiwal-coal"],
        "Corridor of Green Energy": ["karot-hydropower", "sahiwal-coal"],  # corridor alias
        "green development": ["karot-hydropower", "sahiwal-coal"],
        "openness": ["ml-1-railway"],
        "Growth Corridor": ["rashakai-sez"],  # corridor name
        "  karot  ": ["karot-hydropower"],  # surrounding spaces are ignored
        "chashma": [],  # the draft's name
        "mianwali": [],  # the draft's summary
        "national bank": [],  # the draft's participant
        "hydropower plant in Tibet": [],
        "M%1": [],  # LIKE wildcards are literal: neither "ML-1" nor "M-1" matches
        "M_1": [],
        "m-1": ["rashakai-sez"],  # "the M-1 motorway" in its summary (not "ML-1")
    }

    assert {term: slugs(api.get(PROJECTS, {"search": term})) for term in cases} == cases


# --- publication and drafts -------------------------------------------------------------------------------------


def test_project_filter_publication_for_editors(editor_api, registry):
    cases = {
        "publication=draft": ["chashma-5"],
        "publication=published": ALL_PUBLISHED,
        "publication=draft,published": WITH_DRAFT,
        "publication=draft&publication=published": WITH_DRAFT,
        "publication=draft&corridor=green": ["chashma-5"],
        "publication=published&corridor=green": ["karot-hydropower", "sahiwal-coal"],
    }

    assert results(editor_api, cases) == cases


@pytest.mark.parametrize("client_name", ["api", "reader_api"])
def test_project_filter_publication_is_refused_to_non_editors_naming_it(request, registry, client_name):
    client = request.getfixturevalue(client_name)

    response = client.get(f"{PROJECTS}?publication=draft")

    assert response.status_code == (401 if client_name == "api" else 403)
    assert response.json() == {
        "publication": [
            "Only editors may use publication: send an editor's token (Authorization: Token <key>). Other readers "
            "see published records only."
        ]
    }


@pytest.mark.parametrize("client_name", ["api", "reader_api"])
def test_project_list_never_shows_drafts_to_non_editors(request, registry, client_name):
    client = request.getfixturevalue(client_name)
    cases = {
        "": ALL_PUBLISHED,
        "corridor=green": ["karot-hydropower", "sahiwal-coal"],
        "status=implementation": [],
        "sector=energy": ["karot-hydropower", "sahiwal-coal"],
        "search=chashma": [],
        "announced_usd_min=3000000000": ["ml-1-railway"],
        "page_size=500": ALL_PUBLISHED,
    }

    assert results(client, cases) == cases
    assert client.get(f"{PROJECTS}chashma-5/").status_code == 404


def test_project_list_shows_drafts_to_editors(editor_api, registry):
    cases = {
        "": WITH_DRAFT,
        "corridor=green": ["chashma-5", "karot-hydropower", "sahiwal-coal"],
        "status=implementation": ["chashma-5"],
        "sector=energy": ["chashma-5", "karot-hydropower", "sahiwal-coal"],
        "search=chashma": ["chashma-5"],
        "announced_usd_min=3000000000": ["chashma-5", "ml-1-railway"],
    }

    assert results(editor_api, cases) == cases
    assert editor_api.get(f"{PROJECTS}chashma-5/").status_code == 200


# --- several filters at once -----------------------------------------------------------------------------------


def test_project_filters_combine_with_and(api, registry):
    cases = {
        "corridor=green&pillar=export&province=PK-PB": ["sahiwal-coal"],
        "corridor=green&pillar=energy&announced_usd_max=1500000000&has_location=true": ["karot-hydropower"],
        "phase=2&province=PK-KP&has_location=false&search=railway": ["ml-1-railway"],
        "phase=2&province=PK-KP&is_stale=false&sector=transport": ["rashakai-sez"],
        "corridor=green,connectivity&status=operational,mou&province=PK-PB&country=CN": ["karot-hydropower"],
        "corridor=green&status_since_after=2017-01-01&bbox=73.0,30.0,74.0,31.0&role=sponsor": [],
        "corridor=green&phase=2&province=PK-PB": [],
    }

    assert results(api, cases) == cases


# --- ordering ---------------------------------------------------------------------------------------------------


@pytest.fixture
def ranked(vocab):
    """Four projects that each sortable field puts in a different order, with one null per nullable field.

    | slug    | name         | announced | realised | ratio  | status_since | capacity | updated_at |
    | alpha   | Zulu Dam     | 100       | 150      | 1.5    | 2019-01-01   | null     | day 3      |
    | bravo   | Yankee Port  | 300       | 200      | 0.6667 | 2015-01-01   | 50       | day 1      |
    | charlie | X-ray Road   | 200       | 50       | 0.25   | null         | 10       | day 4      |
    | delta   | Whiskey Zone | null      | null     | null   | 2017-01-01   | 30       | day 2      |
    """
    rows = [
        ("alpha", "Zulu Dam", "100", "150", datetime.date(2019, 1, 1), None, 3),
        ("bravo", "Yankee Port", "300", "200", datetime.date(2015, 1, 1), "50", 1),
        ("charlie", "X-ray Road", "200", "50", None, "10", 4),
        ("delta", "Whiskey Zone", None, None, datetime.date(2017, 1, 1), "30", 2),
    ]
    for slug, name, announced, realised, status_since, capacity, day in rows:
        capacity_fields = {"capacity_value": capacity, "capacity_unit": "MW"} if capacity else {}
        project = factories.make_project(slug=slug, name=name, **capacity_fields)
        if announced:
            factories.add_figure(project, "announced", announced)
            factories.add_figure(project, "realised", realised)
        if status_since:
            factories.add_status(project, "operational", status_since)
        # Known modification times: auto_now cannot be given a value through the services.
        Project.objects.filter(pk=project.pk).update(updated_at=datetime.datetime(2026, 1, day, tzinfo=datetime.UTC))


def test_project_ordering_by_each_field_puts_nulls_last_in_both_directions(api, ranked):
    cases = {
        "ordering=name": ["delta", "charlie", "bravo", "alpha"],
        "ordering=-name": ["alpha", "bravo", "charlie", "delta"],
        "ordering=announced_usd": ["alpha", "charlie", "bravo", "delta"],
        "ordering=-announced_usd": ["bravo", "charlie", "alpha", "delta"],
        "ordering=realised_usd": ["charlie", "alpha", "bravo", "delta"],
        "ordering=-realised_usd": ["bravo", "alpha", "charlie", "delta"],
        "ordering=realisation_ratio": ["charlie", "bravo", "alpha", "delta"],
        "ordering=-realisation_ratio": ["alpha", "bravo", "charlie", "delta"],
        "ordering=status_since": ["bravo", "delta", "alpha", "charlie"],
        "ordering=-status_since": ["alpha", "delta", "bravo", "charlie"],
        "ordering=capacity_value": ["charlie", "delta", "bravo", "alpha"],
        "ordering=-capacity_value": ["bravo", "delta", "charlie", "alpha"],
        "ordering=updated_at": ["bravo", "delta", "alpha", "charlie"],
        "ordering=-updated_at": ["charlie", "alpha", "delta", "bravo"],
    }

    assert results(api, cases, rows=in_order) == cases


def test_project_ordering_default_is_name(api, ranked):
    cases = {"": ["delta", "charlie", "bravo", "alpha"], "ordering=": ["delta", "charlie", "bravo", "alpha"]}

    assert results(api, cases, rows=in_order) == cases


def test_project_ordering_by_several_fields_in_turn(api, vocab):
    for slug, name, announced in [("alpha", "A", "100"), ("beta", "B", "100"), ("gamma", "C", "200")]:
        factories.add_figure(factories.make_project(slug=slug, name=name), "announced", announced)
    factories.make_project(slug="delta", name="D")
    cases = {
        "ordering=-announced_usd,name": ["gamma", "alpha", "beta", "delta"],
        "ordering=-announced_usd,-name": ["gamma", "beta", "alpha", "delta"],
        "ordering=announced_usd,-name": ["beta", "alpha", "gamma", "delta"],
        "ordering=-announced_usd&ordering=-name": ["gamma", "beta", "alpha", "delta"],  # repeated == comma list
        "ordering=capacity_value,-name": ["delta", "gamma", "beta", "alpha"],  # all capacities are null
    }

    assert results(api, cases, rows=in_order) == cases


def test_project_ordering_ties_are_broken_by_slug(api, vocab):
    for slug in ["twin-c", "twin-a", "twin-b"]:
        factories.add_figure(factories.make_project(slug=slug, name="Twin"), "announced", "100")
    in_slug_order = ["twin-a", "twin-b", "twin-c"]
    cases = {f"ordering={name}": in_slug_order for name in ["name", "-name", "announced_usd", "-announced_usd"]}

    assert results(api, cases, rows=in_order) == cases


# --- pagination -------------------------------------------------------------------------------------------------


def test_project_pagination_pages_through_every_result_once(api, registry):
    first = api.get(PROJECTS, {"page_size": 3})
    second = api.get(first.json()["next"])

    assert first.json()["count"] == 4
    assert first.json()["previous"] is None
    assert first.json()["next"] == "http://testserver/api/v1/projects/?page=2&page_size=3"
    assert in_order(first) == ["karot-hydropower", "ml-1-railway", "rashakai-sez"]
    assert second.json()["count"] == 4
    assert second.json()["next"] is None  # the last page
    assert second.json()["previous"] == "http://testserver/api/v1/projects/?page_size=3"
    assert in_order(second) == ["sahiwal-coal"]


def test_project_pagination_links_keep_the_filters_and_ordering(api, registry):
    first = api.get(PROJECTS, {"corridor": "green,connectivity", "ordering": "-announced_usd", "page_size": 1})
    middle = api.get(first.json()["next"])
    last = api.get(middle.json()["next"])

    assert [first.json()["count"], middle.json()["count"], last.json()["count"]] == [3, 3, 3]
    assert [in_order(first), in_order(middle), in_order(last)] == [
        ["ml-1-railway"],
        ["sahiwal-coal"],
        ["karot-hydropower"],
    ]
    assert middle.json()["next"] == (
        "http://testserver/api/v1/projects/?corridor=green%2Cconnectivity&ordering=-announced_usd&page=3&page_size=1"
    )
    assert last.json()["previous"] == (
        "http://testserver/api/v1/projects/?corridor=green%2Cconnectivity&ordering=-announced_usd&page=2&page_size=1"
    )
    assert last.json()["next"] is None


def test_project_pagination_defaults_to_50_per_page(api, vocab):
    for number in range(51):
        factories.make_project(slug=f"project-{number:02d}")

    first = api.get(PROJECTS)
    last = api.get(PROJECTS, {"page": 2})

    assert first.json()["count"] == 51
    assert in_order(first) == [f"project-{number:02d}" for number in range(50)]
    assert first.json()["next"] == "http://testserver/api/v1/projects/?page=2"
    assert in_order(last) == ["project-50"]
    assert last.json()["next"] is None
    assert last.json()["previous"] == "http://testserver/api/v1/projects/"


def test_project_pagination_page_size_from_1_to_500(api, registry):
    sizes = {size: len(api.get(PROJECTS, {"page_size": size}).json()["results"]) for size in ["1", "3", "4", "500"]}

    assert sizes == {"1": 1, "3": 3, "4": 4, "500": 4}


def test_project_pagination_of_an_empty_result_is_one_empty_page(api, registry):
    response = api.get(PROJECTS, {"corridor": "growth", "status": "operational", "page": 1})

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


# --- the filters of the other lists -----------------------------------------------------------------------------


def status_entries(response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.content
    return sorted((row["project"], row["status"], row["date"]) for row in response.json()["results"])


def test_status_change_filters(api, registry):
    karot_operational = ("karot-hydropower", "operational", "2022-06-29")
    karot_implementation = ("karot-hydropower", "implementation", "2016-01-10")
    ml1_mou = ("ml-1-railway", "mou", "2016-05-01")
    sahiwal_operational = ("sahiwal-coal", "operational", "2017-10-28")
    cases = {
        "": [karot_implementation, karot_operational, ml1_mou, sahiwal_operational],
        "project=karot-hydropower": [karot_implementation, karot_operational],
        "project=ml-1-railway,sahiwal-coal": [ml1_mou, sahiwal_operational],
        "project=ml-1-railway&project=sahiwal-coal": [ml1_mou, sahiwal_operational],
        "status=operational": [karot_operational, sahiwal_operational],
        "status=implementation": [karot_implementation],  # not the draft's
        "status=mou,implementation": [karot_implementation, ml1_mou],
        "project=karot-hydropower&status=operational": [karot_operational],
        "project=rashakai-sez": [],
    }

    assert results(api, cases, "/api/v1/status-changes/", rows=status_entries) == cases


def test_status_change_filters_show_drafts_to_editors(editor_api, registry):
    cases = {
        "status=implementation": [
            ("chashma-5", "implementation", "2024-01-01"),
            ("karot-hydropower", "implementation", "2016-01-10"),
        ],
        "project=chashma-5": [("chashma-5", "implementation", "2024-01-01")],
    }

    assert results(editor_api, cases, "/api/v1/status-changes/", rows=status_entries) == cases


def figure_entries(response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.content
    return sorted((row["project"], row["kind"], row["currency"]) for row in response.json()["results"])


def test_investment_filters(api, registry):
    factories.add_rate("PKR", 2020, "0.0036")
    factories.add_figure(registry["zone"], "announced", "1000000000", currency="PKR", as_of=datetime.date(2020, 3, 1))
    factories.add_figure(registry["ml1"], "committed", "500000000")
    factories.add_figure(registry["draft"], "committed", "100000000", currency="PKR", as_of=datetime.date(2020, 3, 1))
    karot = [("karot-hydropower", "announced", "USD"), ("karot-hydropower", "realised", "USD")]
    ml1 = [("ml-1-railway", "announced", "USD"), ("ml-1-railway", "committed", "USD")]
    zone = [("rashakai-sez", "announced", "PKR")]
    sahiwal = [("sahiwal-coal", "announced", "USD")]
    cases = {
        "": [*karot, *ml1, *zone, *sahiwal],
        "project=karot-hydropower": karot,
        "project=ml-1-railway,rashakai-sez": [*ml1, *zone],
        "project=ml-1-railway&project=rashakai-sez": [*ml1, *zone],
        "kind=realised": [karot[1]],
        "kind=committed": [ml1[1]],  # not the draft's
        "kind=committed,realised": [karot[1], ml1[1]],
        "kind=committed&kind=realised": [karot[1], ml1[1]],
        "currency=PKR": zone,  # not the draft's
        "currency=pkr": zone,
        "currency=USD,PKR&kind=announced": [karot[0], ml1[0], *zone, *sahiwal],
        "currency=USD&currency=PKR&kind=announced": [karot[0], ml1[0], *zone, *sahiwal],
        "currency=USD&kind=announced,committed&project=rashakai-sez,ml-1-railway": ml1,
        "currency=CNY": [],
    }

    assert results(api, cases, "/api/v1/investments/", rows=figure_entries) == cases


def codes(key: str):
    def rows(response) -> list[str]:
        assert response.status_code == 200, response.content
        return sorted(row[key] for row in response.json()["results"])

    return rows


def test_organisation_filters(editor_api, registry):
    """Filters over every organisation: the editors' view (the public one lists only those of published projects)."""
    factories.OrganisationFactory(
        slug="adb", name="Asian Development Bank", country="PH", kind=choices.OrganisationKind.MULTILATERAL
    )
    factories.OrganisationFactory(
        slug="hubco", name="Hub Power Company", country="PK", kind=choices.OrganisationKind.PRIVATE
    )
    cases = {
        "": ["adb", "china-three-gorges", "hubco", "wapda"],
        "country=PK": ["hubco", "wapda"],
        "country=cn,ph": ["adb", "china-three-gorges"],
        "country=CN&country=PH": ["adb", "china-three-gorges"],
        "kind=government": ["wapda"],
        "kind=private,multilateral": ["adb", "hubco"],
        "kind=private&kind=multilateral": ["adb", "hubco"],
        "search=power": ["hubco", "wapda"],  # name
        "search=GORGES": ["china-three-gorges"],
        "search=wapd": ["wapda"],  # slug
        "search=power&country=PK&kind=government": ["wapda"],
        "search=bank&country=CN": [],
    }

    assert results(editor_api, cases, "/api/v1/organisations/", rows=codes("slug")) == cases


def test_source_filters(editor_api, db):
    """Filters over every source: the editors' view (the public one lists only those published data cites)."""
    factories.SourceFactory(
        title="CPEC long-term plan", publisher="Planning Commission", url="https://cpec.gov.pk/ltp", kind="official"
    )
    factories.SourceFactory(
        title="Karot starts generation", publisher="Dawn", url="https://dawn.com/karot", kind="news"
    )
    factories.SourceFactory(title="Sahiwal coal costs", publisher="DAWN", url="https://dawn.com/sahiwal", kind="news")
    factories.SourceFactory(
        title="Chinese loans database", publisher="AidData", url="https://aiddata.org/china", kind="dataset"
    )
    cases = {
        "kind=official": ["CPEC long-term plan"],
        "kind=news": ["Karot starts generation", "Sahiwal coal costs"],
        "kind=official,dataset": ["CPEC long-term plan", "Chinese loans database"],
        "kind=official&kind=dataset": ["CPEC long-term plan", "Chinese loans database"],
        "publisher=dawn": ["Karot starts generation", "Sahiwal coal costs"],  # case-insensitive, whole name
        "publisher=Daw": [],
        "publisher=Planning%20Commission": ["CPEC long-term plan"],
        "search=karot": ["Karot starts generation"],  # title
        "search=aiddata": ["Chinese loans database"],  # publisher and URL
        "search=cpec.gov": ["CPEC long-term plan"],  # URL
        "search=DAWN&kind=news": ["Karot starts generation", "Sahiwal coal costs"],
        "search=coal&publisher=Dawn": ["Sahiwal coal costs"],
    }

    assert results(editor_api, cases, "/api/v1/sources/", rows=codes("title")) == cases


def test_sector_filter_parent(api, vocab):
    cases = {
        "": ["energy", "energy-coal", "energy-hydro", "transport"],
        "parent=energy": ["energy-coal", "energy-hydro"],
        "parent=transport": [],
        "parent=energy,transport": ["energy-coal", "energy-hydro"],
        "parent=energy&parent=transport": ["energy-coal", "energy-hydro"],
    }

    assert results(api, cases, "/api/v1/sectors/", rows=codes("code")) == cases


# --- the filters a request builds -------------------------------------------------------------------------------


def test_project_filterset_given_only_builds_the_given_filters_and_the_default_ordering(registry):
    data = QueryDict("status=operational&corridor=green")

    filterset = ProjectFilterSet(data=data, queryset=Project.objects.all(), given_only=True)

    assert list(filterset.filters) == ["corridor", "status", "ordering"]
    assert list(filterset.form.fields) == ["corridor", "status", "ordering"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=operational,implementation",
        "corridor=green&ordering=-announced_usd",
        "organisation=china-three-gorges&role=sponsor",
        "role=sponsor",
        "as_of=2019-01-01&include_future=true&ordering=status_since",
        "is_stale=false&has_location=true&search=power",
    ],
)
def test_project_filterset_given_only_selects_what_the_whole_filterset_selects(registry, query):
    data = QueryDict(query)
    whole = ProjectFilterSet(data=data, queryset=Project.objects.all())
    given = ProjectFilterSet(data=data, queryset=Project.objects.all(), given_only=True)

    assert given.is_valid() and whole.is_valid()
    assert list(given.qs.values_list("slug", flat=True)) == list(whole.qs.values_list("slug", flat=True))


def test_project_filterset_given_only_filters_and_fields_belong_to_their_filterset(registry):
    data = QueryDict("pillar=energy&status=operational")
    first = ProjectFilterSet(data=data, queryset=Project.objects.all(), given_only=True)
    second = ProjectFilterSet(data=data, queryset=Project.objects.all(), given_only=True)

    declared = ProjectFilterSet.base_filters
    for name in ["pillar", "status", "ordering"]:
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name] is not declared[name]
        assert first.filters[name].extra is not declared[name].extra
        assert first.filters[name].parent is first
        assert first.form.fields[name] is not second.form.fields[name]
    assert first.filters["pillar"].filter.f is first.filters["pillar"]  # its method is looked up on `first`
    assert list(first.qs.values_list("slug", flat=True)) == list(second.qs.values_list("slug", flat=True))


def test_project_filterset_given_only_refuses_include_future_without_as_of(registry):
    filterset = ProjectFilterSet(data=QueryDict("include_future=true"), queryset=Project.objects.all(), given_only=True)

    assert not filterset.is_valid()
    assert filterset.errors == {
        "include_future": ["include_future applies to a registry read as of a date: give as_of."]
    }
