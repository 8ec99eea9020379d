"""Competing values: several sources for one indicator, subject, period and kind, each with its quote; at most one
preferred. The observation list shows all of them; the series and an indicator's latest value choose one."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from indicators import services
from indicators.models import ONE_PREFERRED_MESSAGE, Observation
from tests.factories import IndicatorFactory, ObservationFactory, SourceFactory

pytestmark = pytest.mark.django_db

JOBS = "cpec-jobs-created"
END_2022 = {"period_start": datetime.date(2013, 7, 5), "period_end": datetime.date(2022, 12, 31)}


def source(published_on: datetime.date | None, **fields):
    return SourceFactory(published_on=published_on, **fields)


def value(indicator, amount, *, published_on, period=END_2022, **fields) -> Observation:
    return services.observation_record(
        indicator=indicator,
        scope="national",
        kind="actual",
        value=Decimal(amount),
        source=source(published_on),
        **period,
        **fields,
    )


@pytest.fixture
def jobs():
    return IndicatorFactory(code=JOBS, unit="jobs")


def series_values(api, code=JOBS) -> list:
    response = api.get(f"/api/v1/indicators/{code}/series/")
    assert response.status_code == 200
    return [(point["period_end"], point["value"]) for point in response.json()["points"]]


# --- which value the series and `latest` use ------------------------------------------------------------------


def test_series_uses_the_preferred_value_over_a_later_source(api, jobs):
    value(jobs, 155000, published_on=datetime.date(2023, 1, 1), is_preferred=True, quote="155,000 went to Pakistanis")
    value(jobs, 192000, published_on=datetime.date(2024, 1, 1))

    assert series_values(api) == [("2022-12-31", 155000)]


def test_series_without_preferred_uses_the_latest_published_source(api, jobs):
    value(jobs, 1, published_on=datetime.date(2021, 5, 1))
    value(jobs, 2, published_on=datetime.date(2023, 5, 1))
    value(jobs, 3, published_on=None)

    assert series_values(api) == [("2022-12-31", 2)]


def test_series_same_publication_date_uses_the_newer_source(api, jobs):
    same_day = datetime.date(2021, 2, 23)
    value(jobs, 5320, published_on=same_day)
    value(jobs, 5340, published_on=same_day)  # its source has the higher id

    assert series_values(api) == [("2022-12-31", 5340)]


def test_series_keeps_one_value_per_period_and_kind(api, jobs):
    value(
        jobs,
        30000,
        published_on=datetime.date(2017, 6, 6),
        period={**END_2022, "period_end": datetime.date(2017, 6, 6)},
    )
    value(jobs, 155000, published_on=datetime.date(2023, 1, 1), is_preferred=True)
    value(jobs, 192000, published_on=datetime.date(2022, 1, 1))
    ObservationFactory(
        indicator=jobs, kind="target", period_start=datetime.date(2030, 1, 1), period_end=datetime.date(2030, 12, 31)
    )

    response = api.get(f"/api/v1/indicators/{JOBS}/series/")

    assert [(p["period_end"], p["kind"], p["value"], p["is_preferred"]) for p in response.json()["points"]] == [
        ("2017-06-06", "actual", 30000, False),
        ("2022-12-31", "actual", 155000, True),
        ("2030-12-31", "target", 1, False),
    ]


@pytest.mark.parametrize("path", ["/api/v1/indicators/", f"/api/v1/indicators/{JOBS}/"])
def test_indicator_latest_uses_the_preference_rule(api, jobs, path):
    value(
        jobs,
        75000,
        published_on=datetime.date(2020, 8, 10),
        period={**END_2022, "period_end": datetime.date(2020, 8, 10)},
    )
    value(jobs, 192000, published_on=datetime.date(2022, 1, 1))
    preferred = value(jobs, 155000, published_on=datetime.date(2021, 1, 1), is_preferred=True, quote="NDRC")

    body = api.get(path).json()

    latest = body["results"][0]["latest"] if "results" in body else body["latest"]
    assert (latest["id"], latest["value"], latest["quote"], latest["is_preferred"]) == (
        preferred.pk,
        155000,
        "NDRC",
        True,
    )


def test_indicator_latest_without_preferred_uses_the_latest_published_source(api, jobs):
    value(jobs, 192000, published_on=datetime.date(2022, 1, 1))
    newer = value(jobs, 155000, published_on=datetime.date(2023, 1, 1))

    assert api.get(f"/api/v1/indicators/{JOBS}/").json()["latest"]["id"] == newer.pk


def test_series_query_count_does_not_grow_with_competing_values(api, jobs, django_assert_num_queries):
    value(jobs, 1, published_on=datetime.date(2020, 1, 1))
    with CaptureQueriesContext(connection) as one:
        api.get(f"/api/v1/indicators/{JOBS}/series/")
    for year in range(2001, 2011):
        period = {"period_start": datetime.date(year, 1, 1), "period_end": datetime.date(year, 12, 31)}
        value(jobs, year, published_on=datetime.date(year + 1, 1, 1), period=period)
        value(jobs, year + 1, published_on=datetime.date(year + 2, 1, 1), period=period)

    with django_assert_num_queries(len(one)):
        response = api.get(f"/api/v1/indicators/{JOBS}/series/")

    assert len(response.json()["points"]) == 11


# --- the observation list shows all of them -------------------------------------------------------------------


def test_observation_list_shows_every_competing_value_with_quote_and_flag(api, jobs):
    ndrc = value(jobs, 155000, published_on=datetime.date(2023, 1, 1), is_preferred=True, quote="155,000 went")
    ambassador = value(jobs, 192000, published_on=datetime.date(2022, 1, 1), quote="provided 192,000 jobs")

    results = api.get(f"/api/v1/observations/?indicator={JOBS}").json()["results"]

    assert sorted((r["id"], r["value"], r["quote"], r["is_preferred"], r["source"]) for r in results) == sorted(
        [
            (ndrc.pk, 155000, "155,000 went", True, ndrc.source_id),
            (ambassador.pk, 192000, "provided 192,000 jobs", False, ambassador.source_id),
        ]
    )


def test_observation_detail_and_csv_show_quote_and_preferred(api, jobs):
    observation = value(jobs, 155000, published_on=datetime.date(2023, 1, 1), is_preferred=True, quote='Quoted, "so"')

    detail = api.get(f"/api/v1/observations/{observation.pk}/").json()
    response = api.get(f"/api/v1/observations/?format=csv&indicator={JOBS}")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert (detail["quote"], detail["is_preferred"]) == ('Quoted, "so"', True)
    assert [(row["quote"], row["is_preferred"]) for row in rows] == [('Quoted, "so"', "true")]


# --- writes through the API -----------------------------------------------------------------------------------


def body_for(indicator_code: str, source_id: int, **fields) -> dict:
    return {
        "indicator": indicator_code,
        "scope": "national",
        "period_start": "2013-07-05",
        "period_end": "2022-12-31",
        "kind": "actual",
        "value": 192000,
        "source": source_id,
        **fields,
    }


def test_observation_create_competing_value_from_another_source_is_201(editor_api, jobs):
    first = value(jobs, 155000, published_on=datetime.date(2023, 1, 1), is_preferred=True)
    other = source(datetime.date(2022, 1, 1))

    response = editor_api.post("/api/v1/observations/", body_for(JOBS, other.pk, quote="192,000"), format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["quote"], response.json()["is_preferred"]) == ("192,000", False)
    assert sorted(Observation.objects.values_list("source_id", flat=True)) == sorted([first.source_id, other.pk])


def test_observation_create_second_preferred_is_400_naming_is_preferred(editor_api, jobs):
    value(jobs, 155000, published_on=datetime.date(2023, 1, 1), is_preferred=True)
    other = source(datetime.date(2022, 1, 1))

    response = editor_api.post("/api/v1/observations/", body_for(JOBS, other.pk, is_preferred=True), format="json")

    assert response.status_code == 400
    assert response.json() == {"is_preferred": [ONE_PREFERRED_MESSAGE]}
    assert Observation.objects.count() == 1


def test_observation_preferred_flag_moves_by_unmarking_then_marking(editor_api, jobs):
    first = value(jobs, 155000, published_on=datetime.date(2023, 1, 1), is_preferred=True)
    second = value(jobs, 192000, published_on=datetime.date(2022, 1, 1))

    unmark = editor_api.patch(f"/api/v1/observations/{first.pk}/", {"is_preferred": False}, format="json")
    mark = editor_api.patch(f"/api/v1/observations/{second.pk}/", {"is_preferred": True}, format="json")

    assert (unmark.status_code, mark.status_code) == (200, 200)
    assert list(Observation.objects.filter(is_preferred=True).values_list("pk", flat=True)) == [second.pk]


@pytest.mark.parametrize(("client_name", "expected"), [("api", 401), ("reader_api", 403), ("editor_api", 200)])
def test_observation_preferred_flag_change_permissions(request, jobs, client_name, expected):
    observation = value(jobs, 155000, published_on=datetime.date(2023, 1, 1))
    client = request.getfixturevalue(client_name)

    response = client.patch(f"/api/v1/observations/{observation.pk}/", {"is_preferred": True}, format="json")

    assert response.status_code == expected
    observation.refresh_from_db()
    assert observation.is_preferred is (expected == 200)


# --- history and the change feed -------------------------------------------------------------------------------


def test_preferred_flag_and_quote_changes_are_in_history_and_the_feed(api, editor_api, jobs):
    observation = value(jobs, 155000, published_on=datetime.date(2023, 1, 1))
    since = timezone.now()

    response = editor_api.patch(
        f"/api/v1/observations/{observation.pk}/", {"is_preferred": True, "quote": "155,000 went"}, format="json"
    )

    assert response.status_code == 200
    entries = api.get(f"/api/v1/changes/?since={since.isoformat().replace('+', '%2B')}").json()["results"]
    assert sorted((e["model"], e["object"], e["action"], e["changed_fields"]) for e in entries) == [
        ("indicator", JOBS, "updated", ["latest"]),
        ("observation", str(observation.pk), "updated", ["is_preferred", "quote"]),
    ]
    latest = observation.history.order_by("-history_id").first()
    assert (latest.is_preferred, latest.quote) == (True, "155,000 went")
