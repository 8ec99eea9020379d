"""``pagination=cursor`` on the project list: keyset pages ordered by slug, for clients that walk the whole list."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Project
from tests import factories

URL = "/api/v1/projects/"


@pytest.fixture
def many(vocab):
    for number in range(7):
        factories.make_project(slug=f"walk-{number:02d}", name=f"Walk {number}", corridor=vocab["corridors"]["green"])


def walk(api, params: dict) -> tuple[list[str], list[dict]]:
    """Every slug of every page, following `next`, and each page's body."""
    slugs, pages, response = [], [], api.get(URL, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        slugs += [row["slug"] for row in body["results"]]
        if body["next"] is None:
            return slugs, pages
        response = api.get(body["next"])


def test_project_cursor_pages_walk_every_project_once_in_slug_order(api, many):
    slugs, pages = walk(api, {"pagination": "cursor", "page_size": 3})

    published = list(Project.objects.published().order_by("slug").values_list("slug", flat=True))
    assert slugs == published
    assert [len(page["results"]) for page in pages] == [3, 3, 1]
    assert {page["count"] for page in pages} == {7}
    assert pages[0]["previous"] is None


def test_project_cursor_pages_keep_the_filters_in_their_links(api, vocab, many):
    factories.make_project(slug="walk-other", name="Other", corridor=vocab["corridors"]["connectivity"])

    slugs, pages = walk(api, {"pagination": "cursor", "page_size": 2, "corridor": "green"})

    assert slugs == [f"walk-{number:02d}" for number in range(7)]
    query = parse_qs(urlsplit(pages[0]["next"]).query)
    assert (query["corridor"], query["pagination"], query["page_size"]) == (["green"], ["cursor"], ["2"])


def test_project_cursor_page_sends_link_header(api, many):
    response = api.get(URL, {"pagination": "cursor", "page_size": 3})

    assert response["Link"] == f'<{response.json()["next"]}>; rel="next"'


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"pagination": "offset"}, "pagination", "Give one of: page, cursor (got 'offset')."),
        ({"cursor": "abc"}, "cursor", "A cursor belongs to pagination=cursor: add it."),
        (
            {"pagination": "cursor", "cursor": "abc"},
            "cursor",
            "Invalid cursor: use the `next` or `previous` link as given.",
        ),
        ({"pagination": "cursor", "page": "2"}, "page", "Cursor pages have no number: follow `next`."),
        (
            {"pagination": "cursor", "ordering": "-announced_usd"},
            "ordering",
            "Cursor pages are ordered by slug: leave ordering out.",
        ),
    ],
)
def test_project_cursor_pages_bad_input_is_400(api, many, params, field, message):
    response = api.get(URL, params)

    assert (response.status_code, response.json()) == (400, {field: [message]})


def test_project_history_has_no_cursor_pages(api, many):
    response = api.get(f"{URL}walk-00/history/", {"pagination": "cursor"})

    assert response.status_code == 400
    assert list(response.json()) == ["pagination"]


def test_project_cursor_page_query_count_constant(api, many, django_assert_num_queries):
    with django_assert_num_queries(5):
        first = api.get(URL, {"pagination": "cursor", "page_size": 2})
    with django_assert_num_queries(5):
        api.get(first.json()["next"])


@pytest.mark.parametrize("params", [{}, {"pagination": "cursor"}, {"corridor": "green", "ordering": "-name"}])
def test_project_list_counts_without_the_joins_of_its_columns(api, many, params):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(URL, params)

    counts = [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"]]
    assert response.json()["count"] == Project.objects.filter(publication="published", corridor__code="green").count()
    assert len(counts) == 1
    assert "JOIN" not in counts[0]
