"""``/api/v1/stats/investment/timeline/``: headline sums as of each 31 December, against sums computed apart."""

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone

from projects import choices, services
from projects.models import InvestmentFigure, Project
from tests import factories

D = datetime.date
URL = "/api/v1/stats/investment/timeline/"


@pytest.fixture
def figures(registry):
    """Karot's announced figure revised in 2019, and a realised one that is preferred though older."""
    factories.add_figure(registry["karot"], "announced", "1500000000", as_of=D(2019, 3, 1))
    factories.add_figure(registry["sahiwal"], "realised", "1800000000", as_of=D(2018, 5, 1), is_preferred=True)
    factories.add_figure(registry["sahiwal"], "realised", "1900000000", as_of=D(2020, 5, 1))
    return registry


def independent_sums(kind: str, group=None) -> dict:
    """{year: {group: (project_count, sum)}} from the figures in Python, with the headline rule of the services."""
    projects = list(Project.objects.filter(publication=choices.Publication.PUBLISHED))
    figures = list(InvestmentFigure.objects.filter(kind=kind, project__in=projects))
    years = range(min(f.as_of for f in figures).year, timezone.now().year + 1)
    result = {}
    for year in years:
        on = D(year, 12, 31)
        sums = defaultdict(lambda: [0, Decimal(0)])
        for project in projects:
            chosen = services.headline_figure(f for f in figures if f.project_id == project.pk and f.as_of <= on)
            if chosen is None:
                continue
            for key in group(project, on) if group else [None]:
                sums[key][0] += 1
                sums[key][1] += chosen.amount_usd
        result[year] = {key: (count, total) for key, (count, total) in sums.items()}
    return result


def test_timeline_totals_equal_sums_computed_apart(api, figures):
    for kind in choices.InvestmentKind.values:
        if not InvestmentFigure.objects.filter(kind=kind, project__publication="published").exists():
            continue
        body = api.get(URL, {"kind": kind}).json()

        expected = independent_sums(kind)
        assert [entry["year"] for entry in body["years"]] == list(expected)
        for entry in body["years"]:
            count, total = expected[entry["year"]].get(None, (0, None))
            assert (entry["project_count"], entry["amount_usd"]) == (count, total), (kind, entry["year"])


def test_timeline_by_hand_for_announced_money(api, figures):
    body = api.get(URL, {"kind": "announced"}).json()

    by_year = {entry["year"]: (entry["project_count"], entry["amount_usd"]) for entry in body["years"]}
    # Karot 1420 (2016), Sahiwal 1912 (2017), ML-1 6800 (2020), Karot revised to 1500 (2019).
    assert by_year[2016] == (1, 1420000000)
    assert by_year[2017] == (2, 3332000000)
    assert by_year[2019] == (2, 3412000000)
    assert by_year[2020] == (3, 10212000000)
    assert body["years"][-1]["year"] == timezone.now().year


def test_timeline_realised_uses_the_preferred_figure_of_its_time(api, figures):
    body = api.get(URL, {"kind": "realised"}).json()

    by_year = {entry["year"]: entry["amount_usd"] for entry in body["years"]}
    assert (by_year[2018], by_year[2021], by_year[2022]) == (1800000000, 1800000000, 3498000000)


def test_timeline_grouped_by_corridor_equals_sums_computed_apart(api, figures):
    body = api.get(URL, {"kind": "announced", "group_by": "corridor"}).json()

    expected = independent_sums("announced", group=lambda project, on: [project.corridor.code])
    for entry in body["years"]:
        groups = {group["corridor"]: (group["project_count"], group["amount_usd"]) for group in entry["groups"]}
        assert groups == expected[entry["year"]], entry["year"]


def test_timeline_grouped_by_organisation_counts_each_role_apart(api, figures):
    wapda = figures["ml1"].participations.get().organisation
    factories.add_participant(figures["karot"], wapda, choices.ParticipationRole.FINANCIER)

    body = api.get(URL, {"kind": "announced", "group_by": "organisation"}).json()

    groups = {
        entry["year"]: {(g["organisation"], g["role"]): g["amount_usd"] for g in entry["groups"]}
        for entry in body["years"]
    }
    assert groups[2020] == {
        ("china-three-gorges", "sponsor"): 1500000000,
        ("wapda", "financier"): 1500000000,
        ("wapda", "implementing-agency"): 6800000000,
        (None, None): 1912000000,
    }


def test_timeline_grouped_by_status_uses_the_status_of_the_year_end(api, figures):
    body = api.get(URL, {"kind": "announced", "group_by": "status"}).json()

    groups = {entry["year"]: {g["status"]: g["project_count"] for g in entry["groups"]} for entry in body["years"]}
    # Karot: implementation from 2016-01-10, operational from 2022-06-29; Sahiwal operational from 2017-10-28.
    assert groups[2016] == {"implementation": 1}
    assert groups[2021] == {"implementation": 1, "mou": 1, "operational": 1}
    assert groups[2022] == {"mou": 1, "operational": 2}


def test_timeline_takes_project_filters_and_hides_drafts(api, editor_api, figures):
    filtered = api.get(URL, {"kind": "announced", "corridor": "connectivity"}).json()
    public = api.get(URL, {"kind": "announced"}).json()
    editor = editor_api.get(URL, {"kind": "announced"}).json()

    assert [(e["year"], e["amount_usd"]) for e in filtered["years"]][0] == (2020, 6800000000)
    assert public["years"][-1]["amount_usd"] == 10212000000
    assert editor["years"][-1]["amount_usd"] == 10212000000 + 3700000000  # the draft's figure


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "kind", "Give one of: announced, committed, realised (got '')."),
        ({"kind": "spent"}, "kind", "Give one of: announced, committed, realised (got 'spent')."),
        (
            {"kind": "announced", "group_by": "corridor,status"},
            "group_by",
            "Give at most one dimension of: corridor, pillar, sector, status, province, phase, confidence, "
            "organisation.",
        ),
        (
            {"kind": "announced", "group_by": "year"},
            "group_by",
            "Unknown dimension year. Allowed: corridor, pillar, sector, status, province, phase, confidence, "
            "organisation.",
        ),
        (
            {"kind": "announced", "corridor": "blue"},
            "corridor",
            "Unknown value(s) 'blue'. Allowed: connectivity, green, growth, none.",
        ),
    ],
)
def test_timeline_bad_input_is_400(api, figures, params, field, message):
    response = api.get(URL, params)

    assert (response.status_code, response.json()) == (400, {field: [message]})


def test_timeline_refuses_as_of(api, figures):
    response = api.get(URL, {"kind": "announced", "as_of": "2020-01-01"})

    assert response.status_code == 400
    assert list(response.json()) == ["as_of"]


def test_timeline_without_figures_has_no_years(api, vocab):
    assert api.get(URL, {"kind": "committed"}).json() == {"kind": "committed", "group_by": [], "years": []}


def test_timeline_query_count_does_not_grow_with_projects(api, django_assert_num_queries, figures, registry):
    years = timezone.now().year - 2016 + 1
    for number in range(10):
        project = factories.make_project(slug=f"extra-{number}", corridor=registry["karot"].corridor)
        factories.add_figure(project, "announced", "5000000", as_of=D(2016 + number % 3, 1, 1))

    with django_assert_num_queries(1 + years * 2):  # the first year, then per year: totals and groups
        api.get(URL, {"kind": "announced", "group_by": "corridor"})
