import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import stats
from projects.models import Project
from tests import factories


def _number(value):
    return None if value is None else Decimal(str(value))


def _expected(projects, group_by):
    """Sums computed here, in Python, from each project's headline money: independent of the ORM aggregation."""

    def keys(project, dimension):
        return {
            "corridor": [project.corridor.code if project.corridor else None],
            "pillar": [p.code for p in project.pillars.all()],
            "sector": [project.sector.code],
            "status": [project.status or None],
            "province": [p.code for p in project.provinces.all()],
            "phase": [project.phase],
            "confidence": [project.confidence or None],
        }[dimension]

    def summarise(members):
        def total(field):
            values = [getattr(p, field) for p in members if getattr(p, field) is not None]
            return sum(values) if values else None

        both = [p for p in members if p.announced_usd is not None and p.realised_usd is not None]
        announced_both = sum(p.announced_usd for p in both)
        ratio = None
        if both and announced_both:
            ratio = (sum(p.realised_usd for p in both) / announced_both).quantize(Decimal("0.0001"))
        announced, realised = total("announced_usd"), total("realised_usd")
        ratio_all = None
        if announced and realised is not None:
            ratio_all = (realised / announced).quantize(Decimal("0.0001"))
        capacity = defaultdict(Decimal)
        for p in members:
            if p.capacity_value is not None:
                capacity[p.capacity_unit] += p.capacity_value
        return {
            "project_count": len(members),
            "announced_usd": announced,
            "committed_usd": total("committed_usd"),
            "realised_usd": realised,
            "realisation_ratio": ratio,
            "ratio_project_count": len(both),
            "realisation_ratio_all_projects": ratio_all,
            "capacity": dict(capacity),
        }

    groups = defaultdict(list)
    for project in projects:
        combos = [()]
        for dimension in group_by:
            combos = [combo + (key,) for combo in combos for key in keys(project, dimension)]
        for combo in combos:
            groups[combo].append(project)
    expected_groups = {combo: summarise(members) for combo, members in groups.items()}
    return summarise(list(projects)), expected_groups


def _as_decimals(row):
    decimals = {
        key: _number(value) if key.endswith(("_usd", "ratio", "_projects")) else value for key, value in row.items()
    }
    decimals["capacity"] = {unit: _number(value) for unit, value in row["capacity"].items()}
    return decimals


@pytest.fixture
def more_money(registry):
    zone = registry["zone"]
    factories.add_status(zone, "implementation", datetime.date(2021, 3, 1))
    factories.add_figure(zone, "announced", "250000000", as_of=datetime.date(2020, 1, 1))
    factories.add_figure(zone, "committed", "120000000", as_of=datetime.date(2021, 1, 1))
    factories.add_figure(zone, "realised", "50000000", as_of=datetime.date(2023, 1, 1))
    factories.add_figure(registry["sahiwal"], "realised", "1600000000", as_of=datetime.date(2017, 12, 6))
    Project.objects.filter(slug="karot-hydropower").update(confidence="high")
    Project.objects.filter(slug="ml-1-railway").update(confidence="low")
    return registry


@pytest.mark.parametrize(
    "group_by",
    [
        ["corridor"],
        ["pillar"],
        ["province"],
        ["status"],
        ["sector"],
        ["phase"],
        ["confidence"],
        ["corridor", "confidence"],
        ["corridor", "status"],
        ["pillar", "province"],
        ["province", "phase"],
    ],
)
def test_stats_investment_groups_and_totals_match_independent_sums(api, more_money, group_by):
    published = (
        Project.objects.published().prefetch_related("pillars", "provinces").select_related("corridor", "sector")
    )
    expected_totals, expected_groups = _expected(list(published), group_by)

    response = api.get(f"/api/v1/stats/investment/?group_by={','.join(group_by)}")

    body = response.json()
    assert response.status_code == 200
    assert body["group_by"] == group_by
    assert _as_decimals(body["totals"]) == expected_totals
    actual_groups = {tuple(group[d] for d in group_by): _as_decimals(group) for group in body["groups"]}
    assert set(actual_groups) == set(expected_groups)
    for combo, expected in expected_groups.items():
        actual = {key: value for key, value in actual_groups[combo].items() if key not in group_by}
        assert actual == expected


def test_stats_investment_project_in_two_pillars_counts_once_in_totals(api, more_money):
    response = api.get("/api/v1/stats/investment/?group_by=pillar")

    body = response.json()
    assert body["totals"]["project_count"] == 4
    assert sum(group["project_count"] for group in body["groups"]) == 6  # sahiwal and the zone are in two pillars


def test_stats_investment_exact_green_corridor_figures(api, more_money):
    response = api.get("/api/v1/stats/investment/?group_by=corridor")

    green = next(group for group in response.json()["groups"] if group["corridor"] == "green")
    assert green == {
        "corridor": "green",
        "project_count": 2,
        "announced_usd": 3332000000,
        "committed_usd": None,
        "realised_usd": 3298000000,
        "realisation_ratio": 0.9898,
        "ratio_project_count": 2,
        "realisation_ratio_all_projects": 0.9898,
        "capacity": {"MW": 720.0},
    }


def test_stats_investment_unassigned_corridor_is_its_own_group(api, more_money):
    Project.objects.filter(slug="sahiwal-coal").update(corridor=None)

    response = api.get("/api/v1/stats/investment/?group_by=corridor")

    groups = {group["corridor"]: group for group in response.json()["groups"]}
    assert set(groups) == {None, "green", "connectivity", "growth"}
    assert (groups[None]["project_count"], groups[None]["announced_usd"]) == (1, 1912000000)
    assert (groups["green"]["project_count"], groups["green"]["announced_usd"]) == (1, 1420000000)


def test_stats_investment_by_confidence_counts_ungraded_apart(api, more_money):
    response = api.get("/api/v1/stats/investment/?group_by=confidence")

    counts = {group["confidence"]: group["project_count"] for group in response.json()["groups"]}
    assert counts == {"high": 1, "low": 1, None: 2}


def test_stats_investment_ratio_rests_on_the_projects_with_both(api, more_money):
    response = api.get("/api/v1/stats/investment/?group_by=corridor")

    growth = next(group for group in response.json()["groups"] if group["corridor"] == "growth")
    connectivity = next(group for group in response.json()["groups"] if group["corridor"] == "connectivity")
    assert (growth["ratio_project_count"], growth["realisation_ratio"]) == (1, 0.2)
    assert (connectivity["ratio_project_count"], connectivity["realisation_ratio"]) == (0, None)
    assert connectivity["realisation_ratio_all_projects"] is None  # nothing realised: no ratio, not 0


def test_stats_investment_ratio_over_all_projects_divides_whole_sums(api, more_money):
    response = api.get("/api/v1/stats/investment/?group_by=pillar")

    export = next(group for group in response.json()["groups"] if group["pillar"] == "export")
    # sahiwal 1,912m announced + 1,600m realised; ml1 6,800m announced; the zone 250m announced + 50m realised
    assert export["announced_usd"] == 8962000000
    assert export["realised_usd"] == 1650000000
    assert export["realisation_ratio"] == 0.7632  # 1,650 / 2,162 over the two projects with both
    assert export["realisation_ratio_all_projects"] == 0.1841  # 1,650 / 8,962


def test_stats_investment_capacity_summed_per_unit_never_across(api, more_money):
    Project.objects.filter(slug="ml-1-railway").update(capacity_value="1726", capacity_unit="km")
    Project.objects.filter(slug="sahiwal-coal").update(capacity_value="1320", capacity_unit="MW")

    response = api.get("/api/v1/stats/investment/?group_by=pillar")

    body = response.json()
    export = next(group for group in body["groups"] if group["pillar"] == "export")
    assert body["totals"]["capacity"] == {"MW": 2040.0, "km": 1726.0}
    assert export["capacity"] == {"MW": 1320.0, "km": 1726.0}


def test_stats_investment_by_organisation_groups_each_role(api, more_money):
    wapda = more_money["ml1"].participations.get().organisation
    factories.add_participant(more_money["karot"], wapda, "financier")
    factories.add_participant(more_money["karot"], wapda, "contractor")

    response = api.get("/api/v1/stats/investment/?group_by=organisation")

    groups = {(group["organisation"], group["role"]): group for group in response.json()["groups"]}
    assert sorted(groups, key=str) == sorted(
        [
            ("china-three-gorges", "sponsor"),
            ("wapda", "contractor"),
            ("wapda", "implementing-agency"),
            ("wapda", "financier"),
            (None, None),
        ],
        key=str,
    )
    assert groups[("wapda", "financier")]["announced_usd"] == 1420000000
    assert groups[(None, None)]["project_count"] == 2  # sahiwal and the zone have no participant


def test_stats_investment_by_organisation_with_role_keeps_that_role(api, more_money):
    wapda = more_money["ml1"].participations.get().organisation
    factories.add_participant(more_money["karot"], wapda, "financier")

    response = api.get("/api/v1/stats/investment/?group_by=organisation&role=financier")

    body = response.json()
    assert [(group["organisation"], group["role"]) for group in body["groups"]] == [("wapda", "financier")]
    assert body["totals"]["project_count"] == 1
    assert body["groups"][0]["announced_usd"] == 1420000000


def test_stats_investment_applies_project_filters(api, more_money):
    response = api.get("/api/v1/stats/investment/?group_by=corridor&province=PK-KP")

    body = response.json()
    assert body["totals"]["project_count"] == 2
    assert [group["corridor"] for group in body["groups"]] == ["connectivity", "growth"]


def test_stats_investment_excludes_drafts_for_anonymous_but_not_editors(api, editor_api, more_money):
    anonymous = api.get("/api/v1/stats/investment/?group_by=phase").json()
    editor = editor_api.get("/api/v1/stats/investment/?group_by=phase").json()

    assert anonymous["totals"]["project_count"] == 4
    assert editor["totals"]["project_count"] == 5
    assert editor["totals"]["announced_usd"] - anonymous["totals"]["announced_usd"] == 3700000000


def test_stats_investment_by_pillar_with_no_match_has_empty_totals(api, more_money):
    response = api.get("/api/v1/stats/investment/?group_by=pillar,province&search=no-such-project")

    body = response.json()
    assert response.status_code == 200
    assert body["groups"] == []
    assert body["totals"] == {
        "project_count": 0,
        "announced_usd": None,
        "committed_usd": None,
        "realised_usd": None,
        "realisation_ratio": None,
        "ratio_project_count": 0,
        "realisation_ratio_all_projects": None,
        "capacity": {},
    }


def test_stats_investment_by_pillar_answers_groups_and_totals_in_one_query(api, more_money):
    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/stats/investment/?group_by=pillar")

    body = response.json()
    assert len(captured.captured_queries) == 1
    assert body["totals"]["project_count"] == 4
    assert [group["pillar"] for group in body["groups"]] == sorted(group["pillar"] for group in body["groups"])


@pytest.mark.parametrize(
    "group_by", [["corridor"], ["pillar"], ["province", "status"], ["organisation", "sector"], ["phase", "confidence"]]
)
@pytest.mark.parametrize("filtered", [False, True])
def test_stats_compiled_aggregates_are_the_orm_sql_for_each_grouping(group_by, filtered):
    projects = Project.objects.filter(publication="published").order_by()
    if filtered:
        projects = projects.filter(pillars__code__in=["energy"], announced_usd__gte=1).distinct()
        projects = Project.objects.filter(id__in=projects.values("id")).order_by()
    rows, columns = stats._grouped(projects, group_by, stats.DIMENSIONS, ["sponsor"])

    def compiled(aggregates):
        query = rows.values(*columns).annotate(**aggregates).order_by(*columns).query
        return query.get_compiler(using="default").as_sql()

    assert compiled(stats.compiled_aggregates("default")) == compiled(stats._aggregates(stats.CURRENT_FIELDS))
    assert list(stats.compiled_aggregates("default")) == list(stats._aggregates(stats.CURRENT_FIELDS))
