"""The derived project fields cannot drift: after every write through the services, the stored status, headline money
and realisation ratio equal both services.compute_derived() and the values worked out by hand in this file."""

import datetime
from decimal import Decimal

import pytest

from projects import choices, services
from projects.models import InvestmentFigure, Project
from tests.factories import add_figure, add_rate, add_status, make_project

pytestmark = pytest.mark.django_db

D = datetime.date
S = choices.Status
NOTHING = {
    "status": "",
    "status_since": None,
    "announced_usd": None,
    "committed_usd": None,
    "realised_usd": None,
    "realisation_ratio": None,
}


def usd(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def ratio(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def assert_derived(project: Project, step: str, **expected) -> None:
    """The stored derived fields equal compute_derived() and the hand-computed values (unnamed fields: empty)."""
    stored = Project.objects.filter(pk=project.pk).values(*services.DERIVED_FIELDS).get()
    computed = services.compute_derived(Project.objects.get(pk=project.pk))
    assert stored == computed, step
    assert stored == {**NOTHING, **expected}, step
    # The caller's copy is kept in step too.
    assert {name: getattr(project, name) for name in services.DERIVED_FIELDS} == stored, step


def test_derived_fields_never_drift_through_a_scripted_history():
    project = make_project()
    add_rate("PKR", 2017, "0.0095000000")
    add_rate("PKR", 2019, "0.0070000000")
    add_rate("CNY", 2018, "0.1500000000")
    assert_derived(project, "a new project has nothing derived")

    # Status history.
    money = {}
    mou = add_status(project, S.MOU, D(2015, 4, 20))
    assert_derived(project, "first status", status="mou", status_since=D(2015, 4, 20))

    implementation = add_status(project, S.IMPLEMENTATION, D(2016, 12, 1))
    state = {"status": "implementation", "status_since": D(2016, 12, 1)}
    assert_derived(project, "second status", **state)

    # Announced figures: the latest as_of wins; an older one does not; a tie goes to the latest created.
    a1 = add_figure(project, "announced", 1_420_000_000, as_of=D(2015, 4, 20))
    money["announced_usd"] = usd("1420000000")
    assert_derived(project, "first announced", **state, **money)

    a2 = add_figure(project, "announced", 1_698_000_000, as_of=D(2016, 1, 1))
    money["announced_usd"] = usd("1698000000")
    assert_derived(project, "later announced", **state, **money)

    a3 = add_figure(project, "announced", 1_780_000_000, as_of=D(2015, 12, 31))
    assert_derived(project, "older announced changes nothing", **state, **money)

    a4 = add_figure(project, "announced", 1_980_000_000, as_of=D(2016, 1, 1))
    money["announced_usd"] = usd("1980000000")
    assert_derived(project, "same as_of, created later", **state, **money)

    # Committed in CNY, converted with the 2018 rate.
    add_figure(project, "committed", 10_000_000_000, currency="CNY", as_of=D(2018, 6, 30))
    money["committed_usd"] = usd("1500000000")
    assert_derived(project, "converted committed", **state, **money)

    # Realised in PKR, converted with the 2017 rate; the ratio appears.
    r1 = add_figure(project, "realised", 100_000_000_000, currency="PKR", as_of=D(2017, 3, 1))
    money |= {"realised_usd": usd("950000000"), "realisation_ratio": ratio("0.4798")}
    assert_derived(project, "converted realised", **state, **money)

    # A preferred announced figure wins over later ones.
    services.investment_figure_update(investment=a1, is_preferred=True)
    money |= {"announced_usd": usd("1420000000"), "realisation_ratio": ratio("0.6690")}
    assert_derived(project, "preferred announced", **state, **money)

    r2 = add_figure(project, "realised", 1_200_000_000, as_of=D(2019, 6, 30))
    money |= {"realised_usd": usd("1200000000"), "realisation_ratio": ratio("0.8451")}
    assert_derived(project, "later realised in USD", **state, **money)

    services.investment_figure_update(investment=r2, amount=Decimal(1_300_000_000))
    money |= {"realised_usd": usd("1300000000"), "realisation_ratio": ratio("0.9155")}
    assert_derived(project, "headline amount changed", **state, **money)

    # Changing a figure that is not the headline changes nothing derived (but is re-converted).
    services.investment_figure_update(investment=r1, amount=Decimal(150_000_000_000))
    assert InvestmentFigure.objects.get(pk=r1.pk).amount_usd == usd("1425000000")
    assert_derived(project, "non-headline amount changed", **state, **money)

    # Moving its as_of makes it the latest, converted with the new year's rate.
    services.investment_figure_update(investment=r1, as_of=D(2019, 12, 31))
    money |= {"realised_usd": usd("1050000000"), "realisation_ratio": ratio("0.7394")}
    assert_derived(project, "converted figure becomes the latest", **state, **money)

    operational = add_status(project, S.OPERATIONAL, D(2018, 10, 1))
    state = {"status": "operational", "status_since": D(2018, 10, 1)}
    assert_derived(project, "operational", **state, **money)

    # Deleting the preferred figure falls back to the latest as_of, ties to the latest created.
    services.investment_figure_delete(investment=a1)
    money |= {"announced_usd": usd("1980000000"), "realisation_ratio": ratio("0.5303")}
    assert_derived(project, "preferred deleted", **state, **money)

    services.investment_figure_update(investment=a3, is_preferred=True)
    money |= {"announced_usd": usd("1780000000"), "realisation_ratio": ratio("0.5899")}
    assert_derived(project, "older figure preferred", **state, **money)

    services.investment_figure_update(investment=a3, is_preferred=False)
    money |= {"announced_usd": usd("1980000000"), "realisation_ratio": ratio("0.5303")}
    assert_derived(project, "preference removed", **state, **money)

    services.investment_figure_update(investment=a2, is_preferred=True)
    money |= {"announced_usd": usd("1698000000"), "realisation_ratio": ratio("0.6184")}
    assert_derived(project, "preference moved", **state, **money)

    # Editing and deleting status changes.
    services.status_change_update(status_change=operational, date=D(2019, 1, 15))
    state = {"status": "operational", "status_since": D(2019, 1, 15)}
    assert_derived(project, "status date edited", **state, **money)

    services.status_change_delete(status_change=operational)
    state = {"status": "implementation", "status_since": D(2016, 12, 1)}
    assert_derived(project, "latest status deleted", **state, **money)

    suspended = add_status(project, S.SUSPENDED, D(2020, 1, 1))
    back = add_status(project, S.PIPELINE, D(2021, 1, 1))
    state = {"status": "pipeline", "status_since": D(2021, 1, 1)}
    assert_derived(project, "back to pipeline after suspension", **state, **money)

    # Realised figures gone: no realised, no ratio; a realised 0 gives a ratio of 0.
    services.investment_figure_delete(investment=r1)
    money |= {"realised_usd": usd("1300000000"), "realisation_ratio": ratio("0.7656")}
    assert_derived(project, "latest realised deleted", **state, **money)

    services.investment_figure_delete(investment=r2)
    money |= {"realised_usd": None, "realisation_ratio": None}
    assert_derived(project, "no realised left", **state, **money)

    zero = add_figure(project, "realised", 0, as_of=D(2022, 1, 1))
    money |= {"realised_usd": usd(0), "realisation_ratio": ratio("0.0000")}
    assert_derived(project, "realised zero", **state, **money)

    # An announced 0 makes the ratio null, not a division by zero.
    services.investment_figure_update(investment=a2, amount=Decimal(0))
    money |= {"announced_usd": usd(0), "realisation_ratio": None}
    assert_derived(project, "preferred announced zero", **state, **money)

    for figure in (a2, a3, a4):
        services.investment_figure_delete(investment=figure)
    money |= {"announced_usd": None}
    assert_derived(project, "no announced left", **state, **money)

    services.investment_figure_delete(investment=zero)
    money |= {"realised_usd": None}
    assert_derived(project, "only committed left", **state, **money)

    for entry in (back, suspended, implementation, mou):
        services.status_change_delete(status_change=entry)
    assert_derived(project, "history emptied", **money)


def test_realisation_ratio_null_without_announced():
    project = make_project()

    add_figure(project, "realised", 500)

    assert_derived(project, "realised only", realised_usd=usd(500))


def test_realisation_ratio_null_without_realised():
    project = make_project()

    add_figure(project, "announced", 500)

    assert_derived(project, "announced only", announced_usd=usd(500))


def test_realisation_ratio_null_when_announced_is_zero():
    project = make_project()
    add_figure(project, "announced", 0)

    add_figure(project, "realised", 500)

    assert_derived(project, "announced zero", announced_usd=usd(0), realised_usd=usd(500))


def test_realisation_ratio_rounded_half_up_to_four_places():
    project = make_project()
    add_figure(project, "announced", 32)

    add_figure(project, "realised", 1)

    assert_derived(project, "1/32", announced_usd=usd(32), realised_usd=usd(1), realisation_ratio=ratio("0.0313"))


def test_realisation_ratio_of_a_mistyped_tiny_announcement_still_stored():
    project = make_project()
    add_figure(project, "announced", "0.01")

    add_figure(project, "realised", 1_000_000_000_000)

    assert_derived(
        project,
        "huge ratio",
        announced_usd=usd("0.01"),
        realised_usd=usd(1_000_000_000_000),
        realisation_ratio=ratio("100000000000000.0000"),
    )
