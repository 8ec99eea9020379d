import datetime
from collections import defaultdict
from decimal import Decimal

import pytest

from projects.models import Project
from tests import factories


def _number(value):
    return None if value is None else Decimal(str(value))


def _expected(projects, group_by):
    """Sums computed here, in Python, from each project's headline money: independent of the ORM aggregation."""

    def keys(project, dimension):
        return {
            "corridor": [project.corridor.code],
            "pillar": [p.code for p in project.pillars.all()],
            "sector": [project.sector.code],
            "status": [project.status or None],
            "province": [p.code for p in project.provinces.all()],
            "phase": [project.phase],
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
        return {
            "project_count": len(members),
            "announced_usd": total("announced_usd"),
            "committed_usd": total("committed_usd"),
            "realised_usd": total("realised_usd"),
            "realisation_ratio": ratio,
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
    return {key: _number(value) if key.endswith(("_usd", "ratio")) else value for key, value in row.items()}


@pytest.fixture
def more_money(registry):
    zone = registry["zone"]
    factories.add_status(zone, "implementation", datetime.date(2021, 3, 1))
    factories.add_figure(zone, "announced", "250000000", as_of=datetime.date(2020, 1, 1))
    factories.add_figure(zone, "committed", "120000000", as_of=datetime.date(2021, 1, 1))
    factories.add_figure(zone, "realised", "50000000", as_of=datetime.date(2023, 1, 1))
    factories.add_figure(registry["sahiwal"], "realised", "1600000000", as_of=datetime.date(2017, 12, 6))
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
    }


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
