"""``projects.as_of`` against the annotations it replaced (``tests.projects.as_of_reference``): the same values,
filters, orderings, counts and statistics as of every kind of date, with records dated after the date and without."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from projects import choices
from projects.as_of import AS_OF_FIELDS, projects_as_of, status_in
from projects.models import Project
from tests import factories
from tests.projects.as_of_reference import reference_projects_as_of

D = datetime.date
TODAY = datetime.date.today()
# Before every record, in the thick of the synthetic histories, after the last synthetic record but before the
# records dated in the future, today, and after everything.
DATES = [D(2010, 1, 1), D(2016, 6, 30), D(2019, 12, 31), D(2025, 1, 1), TODAY, D(2041, 1, 1)]
STATUS_SETS = [["implementation"], ["mou", "operational"], ["pipeline", "suspended", "cancelled"]]


@pytest.fixture
def histories(db):
    """120 synthetic projects, and a few records dated in the future, so that as of today some projects' status and
    some figures of every kind are not yet the stored ones (the shortcuts of ``projects.as_of`` must not apply)."""
    call_command("seed_synthetic", projects=120, observations=200, stdout=StringIO())
    moving = Project.objects.filter(status=choices.Status.MOU).order_by("slug")[:2]
    for project in moving:
        factories.add_status(project, choices.Status.IMPLEMENTATION, D(2040, 1, 1))
    funded = Project.objects.order_by("slug")[:3]
    for kind in choices.InvestmentKind.values:
        factories.add_figure(funded[0], kind, "7000000", as_of=D(2040, 6, 30))
    factories.add_figure(
        funded[1], choices.InvestmentKind.ANNOUNCED, "9000000", as_of=D(2040, 6, 30), is_preferred=True
    )
    return Project.objects.all()


def values(queryset) -> list[tuple]:
    """(id, the as-of values) of every project, by id; the ratio read through an annotation (it is an alias)."""
    queryset = queryset.annotate(ratio_then=F("as_of_realisation_ratio"))
    names = [name for name in AS_OF_FIELDS.values() if name != "as_of_realisation_ratio"]
    return list(queryset.order_by("id").values_list("id", *names, "ratio_then"))


@pytest.mark.parametrize("include_future", [False, True])
@pytest.mark.parametrize("on", DATES)
def test_projects_as_of_values_equal_the_reference_annotations(histories, on, include_future):
    expected = values(reference_projects_as_of(histories, on, include_future=include_future))

    actual = values(projects_as_of(histories, on, include_future=include_future))

    assert actual == expected
    assert len(expected) > (0 if on > D(2010, 1, 1) or include_future else -1)


def test_projects_as_of_today_differs_from_the_stored_values_where_records_are_dated_later(histories):
    as_of_today = {row[0]: row[1:6] for row in values(projects_as_of(histories, TODAY, include_future=True))}

    changed = [
        project.slug
        for project in histories.order_by("slug")
        if as_of_today[project.id]
        != (project.status, project.status_since, project.announced_usd, project.committed_usd, project.realised_usd)
    ]

    assert len(changed) == 4  # two moved to implementation in 2040, two have figures dated 2040


@pytest.mark.parametrize("on", DATES)
def test_projects_as_of_filters_and_orderings_equal_the_reference(histories, on):
    reference = reference_projects_as_of(histories, on, include_future=True)
    actual = projects_as_of(histories, on, include_future=True)

    for statuses in STATUS_SETS:
        assert set(actual.filter(status_in(on, statuses)).values_list("id", flat=True)) == set(
            reference.filter(as_of_status__in=statuses).values_list("id", flat=True)
        ), statuses
        assert actual.filter(status_in(on, statuses)).count() == reference.filter(as_of_status__in=statuses).count()
    for annotation in AS_OF_FIELDS.values():
        for descending in (False, True):
            order = F(annotation).desc(nulls_last=True) if descending else F(annotation).asc(nulls_last=True)
            assert list(actual.order_by(order, "slug").values_list("slug", flat=True)) == list(
                reference.order_by(order, "slug").values_list("slug", flat=True)
            ), (annotation, descending)
    for bound in (Decimal("0.3"), Decimal("1")):
        assert set(actual.filter(as_of_realisation_ratio__gte=bound).values_list("id", flat=True)) == set(
            reference.filter(as_of_realisation_ratio__gte=bound).values_list("id", flat=True)
        )


def api_slugs(api, params: dict) -> list[str]:
    response = api.get("/api/v1/projects/", {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return [row["slug"] for row in body["results"]]


@pytest.mark.parametrize(
    ("params", "condition", "ordering"),
    [
        ({}, {}, ["name"]),
        (
            {"status": "implementation,operational", "ordering": "-announced_usd"},
            {"as_of_status__in": ["implementation", "operational"]},
            [F("as_of_announced_usd").desc(nulls_last=True)],
        ),
        (
            {"realisation_ratio_min": "0.4", "ordering": "realisation_ratio"},
            {"as_of_realisation_ratio__gte": Decimal("0.4")},
            [F("as_of_realisation_ratio").asc(nulls_last=True)],
        ),
        (
            {"announced_usd_max": "500000000", "ordering": "-status_since"},
            {"as_of_announced_usd__lte": 500000000},
            [F("as_of_status_since").desc(nulls_last=True)],
        ),
        (
            {"include_future": "true", "status": "mou", "ordering": "-realised_usd"},
            {"as_of_status__in": ["mou"]},
            [F("as_of_realised_usd").desc(nulls_last=True)],
        ),
    ],
)
@pytest.mark.parametrize("on", [D(2016, 6, 30), D(2019, 12, 31), TODAY])
def test_project_list_as_of_equals_the_reference_query(api, histories, on, params, condition, ordering):
    published = histories.filter(publication=choices.Publication.PUBLISHED)
    include_future = params.get("include_future") == "true"
    reference = reference_projects_as_of(published, on, include_future=include_future).filter(**condition)
    expected = list(
        reference.order_by(*ordering, "name" if ordering == ["name"] else "slug").values_list("slug", flat=True)
    )

    assert api_slugs(api, {"as_of": on.isoformat(), **params}) == expected


def test_project_detail_as_of_today_reads_a_status_dated_later_from_the_history(api, histories):
    project = histories.filter(status_since=D(2040, 1, 1)).order_by("slug").first()

    body = api.get(f"/api/v1/projects/{project.slug}/", {"as_of": TODAY.isoformat()}).json()

    assert (body["status"], body["status_since"] < "2040-01-01") == ("mou", True)


@pytest.mark.parametrize("on", [D(2016, 6, 30), TODAY])
def test_stats_as_of_equal_the_reference_sums(api, histories, on):
    reference = reference_projects_as_of(histories.filter(publication=choices.Publication.PUBLISHED), on)
    expected = {}
    for status, announced in reference.values_list("as_of_status", "as_of_announced_usd"):
        count, total = expected.get(status, (0, None))
        expected[status] = (count + 1, total if announced is None else (total or 0) + announced)

    body = api.get("/api/v1/stats/investment/", {"as_of": on.isoformat(), "group_by": "status"}).json()

    assert {group["status"]: (group["project_count"], group["announced_usd"]) for group in body["groups"]} == expected


@pytest.mark.parametrize("on", [D(2016, 6, 30), D(2019, 12, 31)])
def test_projects_as_of_nested_in_another_query_reads_its_own_projects(histories, on):
    # Nested, the inner query's tables are renamed (V0, U0...): the written-out lookups must follow the outer id.
    as_of = projects_as_of(histories, on).filter(status_in(on, ["implementation", "operational"]))
    as_of = as_of.filter(as_of_announced_usd__gte=100000000)
    expected = set(as_of.values_list("id", flat=True))

    nested = set(Project.objects.filter(pk__in=as_of.values("id")).values_list("id", flat=True))

    assert nested == expected
    assert len(expected) > 3
