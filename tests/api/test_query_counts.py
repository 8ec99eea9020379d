"""N+1 guards: every list endpoint (and the project detail) runs the same number of queries at 1 and at 30 rows.

Each row is fully populated (two pillars, two provinces, two participants, status history, money claims, an
external identifier, sources), so a serializer field that reaches a relation the queryset does not name shows up
as a count that grows with the rows.
"""

import datetime
import itertools

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from projects import choices, services
from projects.models import ExternalIdentifier, Project
from tests import factories, snapshots
from tests.api_fixtures import editor_user, token_client


def populate(count: int, *, publication: str = choices.Publication.PUBLISHED) -> list[Project]:
    """``count`` projects, each with its own corridor, pillars, sector (with a parent) and organisations."""
    projects = []
    first = Project.objects.filter(slug__startswith="project-q").count() + 1  # numbers unique within the test
    for n in range(first, first + count):
        corridor = factories.CorridorFactory(code=f"corridor-q{n}", aliases=[f"Alias {n}"])
        pillars = [factories.PillarFactory(code=f"pillar-q{n}-{k}", aligned_corridor=corridor) for k in ("a", "b")]
        parent = factories.SectorFactory(code=f"sector-q{n}")
        sector = factories.SectorFactory(code=f"sector-q{n}-child", parent=parent)
        sources = [factories.SourceFactory(), factories.SourceFactory()]
        project = factories.make_project(
            slug=f"project-q{n}",
            corridor=corridor,
            pillars=pillars,
            sector=sector,
            provinces=["PK-PB", "PK-SD"],
            place_name=f"Place {n}",
            latitude="30.000000",
            longitude="70.000000",
            capacity_value="100",
            capacity_unit=choices.CapacityUnit.MW,
            sources=sources,
            publication=publication,
        )
        services.project_set_participants(
            project=project,
            participants=[
                {"organisation": factories.OrganisationFactory(slug=f"organisation-q{n}-{k}"), "role": role}
                for k, role in (("a", choices.ParticipationRole.SPONSOR), ("b", choices.ParticipationRole.FINANCIER))
            ],
        )
        factories.add_status(project, "mou", datetime.date(2019, 1, 1), source=sources[0])
        factories.add_status(project, "implementation", datetime.date(2021, 1, 1), source=sources[1])
        factories.add_figure(project, "announced", "1000000", source=sources[0])
        factories.add_figure(project, "committed", "900000", source=sources[1])
        factories.add_figure(project, "realised", "500000", source=sources[1], as_of=datetime.date(2022, 1, 1))
        ExternalIdentifier.objects.create(project=project, scheme=choices.IdentifierScheme.IATI, value=f"IATI-{n}")
        projects.append(project)
    return projects


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def fetch(client, url: str):
    response = client.get(url)
    _content(response)  # exports run their queries while streaming
    assert response.status_code == 200, response.content
    return response


def captured_queries(client, url: str) -> list[str]:
    """The SQL of a request (for ``measured``, which outlives the tests' ``django_assert_num_queries``)."""
    with CaptureQueriesContext(connection) as context:
        fetch(client, url)
    return [query["sql"] for query in context.captured_queries]


# (url, queries for an anonymous reader, queries for an editor with a token). The editor also pays for the token
# lookup, knox's sweep of the editor's expired tokens, and the permission check (user and group permissions) that
# tells whether editors-only filters apply; lists without filters (corridors, pillars, provinces) skip that check.
LIST_ENDPOINTS = [
    ("/api/v1/projects/", 5, 9),
    ("/api/v1/projects/?format=csv", 4, 8),
    ("/api/v1/projects/?format=geojson", 4, 8),
    ("/api/v1/corridors/", 2, 4),
    ("/api/v1/pillars/", 2, 4),
    ("/api/v1/sectors/", 2, 6),
    ("/api/v1/provinces/", 1, 3),
    ("/api/v1/status-changes/", 2, 6),
    ("/api/v1/investments/", 2, 6),
    ("/api/v1/organisations/", 2, 6),
    ("/api/v1/sources/", 2, 6),
    ("/api/v1/stats/investment/?group_by=corridor,pillar", 1, 5),
    ("/api/v1/stats/investment/?group_by=corridor,status", 1, 5),
    ("/api/v1/stats/investment/?group_by=organisation&role=sponsor", 1, 5),
    ("/api/v1/changes/", 1, 5),
]
CALLERS = ["anonymous", "editor"]


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """The queries of every list URL for each caller at 1 and at 30 projects (plus as many drafts).

    Populating 60 fully related projects takes seconds, so it is done once for the module, inside a transaction
    that is rolled back before any test runs.
    """
    at_one, at_thirty = {}, {}
    listed = None
    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()  # throttling counters
        clients = {"anonymous": APIClient(), "editor": token_client(editor_user("query-count-editor"))}
        populate(1)
        populate(1, publication=choices.Publication.DRAFT)
        for (url, *_), caller in itertools.product(LIST_ENDPOINTS, CALLERS):
            at_one[url, caller] = captured_queries(clients[caller], url)
        populate(29)
        populate(29, publication=choices.Publication.DRAFT)
        assert Project.objects.count() == 60
        for (url, *_), caller in itertools.product(LIST_ENDPOINTS, CALLERS):
            at_thirty[url, caller] = captured_queries(clients[caller], url)
        listed = fetch(clients["anonymous"], "/api/v1/projects/").json()
        transaction.set_rollback(True)
    cache.clear()
    return at_one, at_thirty, listed


@pytest.mark.django_db  # so that pytest-django sets up the test database that `measured` uses
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("url", "anonymous", "editor"), LIST_ENDPOINTS)
def test_list_query_count_same_at_one_and_thirty_rows(measured, url, anonymous, editor, caller):
    at_one, at_thirty, _ = measured
    expected = {"anonymous": anonymous, "editor": editor}[caller]
    one, thirty = at_one[url, caller], at_thirty[url, caller]

    assert (len(one), len(thirty)) == (expected, expected), "\n".join(thirty)


@pytest.mark.django_db
def test_list_query_count_thirty_rows_are_all_listed(measured):
    *_, listed = measured  # the anonymous list at thirty published projects (and thirty drafts)

    results = listed["results"]
    assert listed["count"] == 30
    assert {len(item["pillars"]) for item in results} == {2}
    assert {len(item["provinces"]) for item in results} == {2}
    assert {len(item["participants"]) for item in results} == {2}


def test_project_history_query_count_constant(api, db, django_assert_num_queries):
    (project,) = populate(1)
    url = f"/api/v1/projects/{project.slug}/history/"
    with django_assert_num_queries(3):
        fetch(api, url)
    for year in range(2022, 2052):
        factories.add_figure(project, "announced", str(year * 1000), as_of=datetime.date(year, 1, 1))

    with django_assert_num_queries(3):
        response = fetch(api, url)

    assert len(response.json()["results"]) == 50


def test_project_history_query_count_constant_for_editor(editor_api, db, django_assert_num_queries):
    (project,) = populate(1, publication=choices.Publication.DRAFT)
    url = f"/api/v1/projects/{project.slug}/history/"
    with django_assert_num_queries(7):
        fetch(editor_api, url)
    for year in range(2022, 2052):
        factories.add_figure(project, "announced", str(year * 1000), as_of=datetime.date(year, 1, 1))

    with django_assert_num_queries(7):
        response = fetch(editor_api, url)

    assert len(response.json()["results"]) == 50


def test_project_detail_query_count_constant(api, db, django_assert_num_queries):
    (project,) = populate(1)
    url = f"/api/v1/projects/{project.slug}/"
    with django_assert_num_queries(9):  # the project, then each related list once (events included)
        fetch(api, url)
    for year in range(2022, 2052):
        factories.add_status(project, "implementation", datetime.date(year, 1, 1))
        factories.add_figure(project, "announced", str(year * 1000), as_of=datetime.date(year, 1, 1))
    factories.add_status(project, "operational", datetime.date(2052, 1, 1))

    with django_assert_num_queries(9):
        response = fetch(api, url)

    assert len(response.json()["status_history"]) == 33


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/corridors/{corridor}/", 1),
        ("/api/v1/pillars/{pillar}/", 1),
        ("/api/v1/sectors/{sector}/", 1),
        ("/api/v1/status-changes/{status_change}/", 1),
        ("/api/v1/investments/{investment}/", 1),
        ("/api/v1/organisations/{organisation}/", 1),
        ("/api/v1/sources/{source}/", 1),
    ],
)
def test_detail_query_count(api, db, django_assert_num_queries, path, expected):
    project, *_ = snapshots.built_or_restored("query-count-details", lambda: populate(3))
    url = path.format(
        corridor=project.corridor.code,
        pillar=project.pillars.first().code,
        sector=project.sector.code,
        status_change=project.status_changes.first().pk,
        investment=project.investments.first().pk,
        organisation=project.participations.first().organisation.slug,
        source=project.sources.first().pk,
    )

    with django_assert_num_queries(expected):
        fetch(api, url)
