"""The registry read as of a date: status, status_since, headline money and every derived filter as they stood."""

import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import choices
from projects.models import InvestmentFigure, StatusChange
from tests import factories, snapshots

D = datetime.date


@pytest.fixture
def history(registry):
    """Ravi Dam: mou 2015-04-20, implementation 2017-03-01, operational 2021-07-15; announced 1000 (2015), revised to
    1200 (2018), a preferred 1100 (2019); realised 600 (2019), 1250 (2022). Built once per process, then restored."""
    return snapshots.built_or_restored("as-of-history", lambda: build_history(registry))


def build_history(registry):
    project = factories.make_project(slug="ravi-dam", name="Ravi Dam", corridor=registry["karot"].corridor)
    for status, date in [("mou", D(2015, 4, 20)), ("implementation", D(2017, 3, 1)), ("operational", D(2021, 7, 15))]:
        factories.add_status(project, status, date)
    factories.add_figure(project, "announced", "1000000000", as_of=D(2015, 4, 20))
    factories.add_figure(project, "announced", "1200000000", as_of=D(2018, 1, 1))
    factories.add_figure(project, "announced", "1100000000", as_of=D(2019, 6, 30), is_preferred=True)
    factories.add_figure(project, "realised", "600000000", as_of=D(2019, 12, 31))
    factories.add_figure(project, "realised", "1250000000", as_of=D(2022, 6, 30))
    return project


def ravi(api, on: str, **params):
    response = api.get("/api/v1/projects/ravi-dam/", {"as_of": on, **params})
    assert response.status_code in (200, 404), response.content
    return response


def derived(body: dict) -> tuple:
    return (
        body["status"],
        body["status_since"],
        body["announced_usd"],
        body["realised_usd"],
        body["realisation_ratio"],
        body["is_stale"],
    )


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2015-04-20", ("mou", "2015-04-20", 1000000000, None, None, False)),
        ("2016-12-31", ("mou", "2015-04-20", 1000000000, None, None, False)),
        ("2017-03-01", ("implementation", "2017-03-01", 1000000000, None, None, False)),
        ("2018-06-01", ("implementation", "2017-03-01", 1200000000, None, None, False)),
        ("2020-01-01", ("implementation", "2017-03-01", 1100000000, 600000000, 0.5455, False)),
        ("2021-07-14", ("implementation", "2017-03-01", 1100000000, 600000000, 0.5455, True)),
        ("2021-07-15", ("operational", "2021-07-15", 1100000000, 600000000, 0.5455, False)),
        ("2023-01-01", ("operational", "2021-07-15", 1100000000, 1250000000, 1.1364, False)),
    ],
)
def test_project_detail_as_of_a_date_reads_its_history_then(api, history, on, expected):
    body = ravi(api, on).json()

    assert derived(body) == expected
    assert all(entry["date"] <= on for entry in body["status_history"])
    assert all(figure["as_of"] <= on for figure in body["investments"])


def test_project_detail_as_of_before_its_first_status_change_is_404_unless_future_included(api, history):
    assert ravi(api, "2015-04-19").status_code == 404

    body = ravi(api, "2015-04-19", include_future="true").json()

    assert derived(body) == (None, None, None, None, None, False)
    assert (body["status_history"], body["investments"]) == ([], [])


def test_project_list_as_of_filters_on_the_values_then(api, history):
    def slugs(**params):
        response = api.get("/api/v1/projects/", params)
        assert response.status_code == 200, response.content
        return [row["slug"] for row in response.json()["results"]]

    assert slugs(as_of="2018-06-01", status="implementation") == ["karot-hydropower", "ravi-dam"]
    assert slugs(as_of="2022-01-01", status="implementation") == ["karot-hydropower"]
    assert slugs(as_of="2018-06-01", announced_usd_min="1200000000") == ["karot-hydropower", "ravi-dam", "sahiwal-coal"]
    assert slugs(as_of="2020-01-01", announced_usd_min="1200000000") == ["karot-hydropower", "sahiwal-coal"]
    assert slugs(as_of="2020-01-01", realisation_ratio_min="0.5", realisation_ratio_max="0.6") == ["ravi-dam"]
    assert slugs(as_of="2021-07-14", is_stale="true") == ["karot-hydropower", "ml-1-railway", "ravi-dam"]
    assert slugs(as_of="2016-01-01") == ["ravi-dam"]
    assert slugs(as_of="2016-01-01", include_future="true") == [
        "karot-hydropower",
        "ml-1-railway",
        "rashakai-sez",
        "ravi-dam",
        "sahiwal-coal",
    ]
    assert slugs(as_of="2017-06-01", status_since_after="2016-01-10") == [
        "karot-hydropower",
        "ml-1-railway",
        "ravi-dam",
    ]
    assert slugs(as_of="2017-06-01", status_since_after="2016-01-11") == ["ml-1-railway", "ravi-dam"]


def test_project_list_as_of_orders_by_the_values_then(api, history):
    response = api.get("/api/v1/projects/", {"as_of": "2018-06-01", "ordering": "-announced_usd"})

    assert [(row["slug"], row["announced_usd"]) for row in response.json()["results"]] == [
        ("sahiwal-coal", 1912000000),
        ("karot-hydropower", 1420000000),
        ("ravi-dam", 1200000000),
        ("ml-1-railway", None),
    ]


def test_project_csv_and_geojson_as_of_carry_the_values_then(api, history):
    csv_text = b"".join(
        api.get("/api/v1/projects/", {"as_of": "2018-06-01", "format": "csv"}).streaming_content
    ).decode("utf-8-sig")
    geojson = json.loads(
        b"".join(api.get("/api/v1/projects/", {"as_of": "2018-06-01", "format": "geojson"}).streaming_content)
    )

    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(csv_text))}
    features = {feature["properties"]["slug"]: feature["properties"] for feature in geojson["features"]}
    assert sorted(rows) == sorted(features) == ["karot-hydropower", "ml-1-railway", "ravi-dam", "sahiwal-coal"]
    assert (rows["ravi-dam"]["status"], rows["ravi-dam"]["status_since"], rows["ravi-dam"]["announced_usd"]) == (
        "implementation",
        "2017-03-01",
        "1200000000",
    )
    assert (features["ravi-dam"]["status"], features["ravi-dam"]["announced_usd"]) == ("implementation", 1200000000)


def test_stats_as_of_sum_the_values_then(api, history):
    response = api.get("/api/v1/stats/investment/", {"as_of": "2018-06-01", "group_by": "status"})

    body = response.json()
    assert response.status_code == 200
    # Then: Karot and Ravi in implementation (1420 and 1200 announced), ML-1 in mou (its only figure is dated 2020),
    # Sahiwal operational since 2017-10-28 (1912 announced); Rashakai had no status yet.
    assert {group["status"]: (group["project_count"], group["announced_usd"]) for group in body["groups"]} == {
        "implementation": (2, Decimal("2620000000.00")),
        "mou": (1, None),
        "operational": (1, Decimal("1912000000.00")),
    }
    assert body["totals"]["project_count"] == 4


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"as_of": "2018-13-01"}, "as_of", "Enter a date as YYYY-MM-DD; got '2018-13-01'."),
        ({"as_of": "last year"}, "as_of", "Enter a date as YYYY-MM-DD; got 'last year'."),
        (
            {"include_future": "true"},
            "include_future",
            "include_future applies to a registry read as of a date: give as_of.",
        ),
        (
            {"as_of": "2018-01-01", "include_future": "maybe"},
            "include_future",
            "Write true or false (or 1 or 0); got 'maybe'.",
        ),
    ],
)
def test_as_of_bad_input_is_400(api, history, params, field, message):
    for path, extra in [
        ("/api/v1/projects/", {}),
        ("/api/v1/projects/ravi-dam/", {}),
        ("/api/v1/stats/investment/", {"group_by": "status"}),
    ]:
        response = api.get(path, {**params, **extra})

        assert (response.status_code, response.json()) == (400, {field: [message]}), path


def test_project_list_as_of_query_count_does_not_grow_with_rows(api, django_assert_num_queries, history, registry):
    for number in range(10):
        project = factories.make_project(slug=f"extra-{number}", corridor=registry["karot"].corridor)
        factories.add_status(project, choices.Status.MOU, D(2016, 1, 1))
        factories.add_figure(project, "announced", "5000000", as_of=D(2016, 1, 1))

    api.get("/api/v1/projects/", {"as_of": "2019-01-01"})  # the latest record dates, read once per data version

    with django_assert_num_queries(5):  # count, page (with the as-of values), pillars, provinces, participants
        response = api.get("/api/v1/projects/", {"as_of": "2018-06-01"})

    assert response.json()["count"] == 14


def test_project_list_as_of_after_every_record_reads_the_stored_columns(api, history, registry, settings):
    settings.RESPONSE_CACHE_SECONDS = 0  # each read computes its answer
    latest = max(StatusChange.objects.latest("date").date, InvestmentFigure.objects.latest("as_of").as_of)
    on = (latest + datetime.timedelta(days=1)).isoformat()
    api.get("/api/v1/projects/", {"as_of": on})  # the latest record dates, read once per data version

    with CaptureQueriesContext(connection) as captured:
        then = api.get("/api/v1/projects/", {"as_of": on, "ordering": "-announced_usd", "status": "mou,operational"})
    page = captured.captured_queries[1]["sql"]  # read now: the next request empties the connection's query log
    now = api.get("/api/v1/projects/", {"ordering": "-announced_usd", "status": "mou,operational"})

    def shown(response):
        return [(row["slug"], row["status"], row["announced_usd"]) for row in response.json()["results"]]

    assert then.json()["count"] == now.json()["count"] > 0
    assert shown(then) == shown(now)
    assert "projects_statuschange" not in page
    assert "projects_investmentfigure" not in page


def test_project_list_as_of_first_read_after_a_write_reads_the_latest_dates_again(api, history, registry, settings):
    settings.RESPONSE_CACHE_SECONDS = 0  # each read computes its answer
    karot = registry["karot"]
    status_before = karot.status
    api.get("/api/v1/projects/", {"as_of": "2098-06-01"})
    factories.add_status(karot, choices.Status.SUSPENDED, D(2099, 1, 1))

    with CaptureQueriesContext(connection) as after_the_write:
        api.get("/api/v1/projects/", {"as_of": "2098-06-01"})
    after_the_write_queries = len(after_the_write.captured_queries)  # the next request empties the query log
    with CaptureQueriesContext(connection) as next_read:
        response = api.get("/api/v1/projects/", {"as_of": "2098-06-01"})

    statuses = {row["slug"]: row["status"] for row in response.json()["results"]}
    assert after_the_write_queries == 7  # the two latest-date queries, then the list's five
    assert len(next_read.captured_queries) == 5
    assert statuses[karot.slug] == status_before


def test_stats_as_of_by_pillar_counts_each_project_once_in_totals(api, history):
    response = api.get("/api/v1/stats/investment/", {"as_of": "2018-06-01", "group_by": "pillar"})

    body = response.json()
    assert response.status_code == 200
    assert body["totals"]["project_count"] == 4
    assert body["totals"]["announced_usd"] == Decimal("4532000000.00")
    assert sum(group["project_count"] for group in body["groups"]) > 4  # a project in two pillars is in both
