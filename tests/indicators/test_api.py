import csv
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory

from indicators.api.serializers import ObservationSerializer
from indicators.models import Indicator, Observation
from registry.api.renderers import dumps
from tests import factories, snapshots


def observe(indicator, value, start, end=None, *, scope="national", kind="actual", source=None, **subject):
    observation = Observation(
        indicator=indicator,
        scope=scope,
        period_start=start,
        period_end=end or start,
        kind=kind,
        value=Decimal(str(value)),
        source=source or factories.SourceFactory(),
        **subject,
    )
    observation.full_clean()
    observation.save()
    return observation


def make_indicator(code, *, level="mechanism", dimension="industrial-upgrading", corridors=(), **fields):
    indicator = Indicator(
        code=code,
        name=fields.pop("name", code.title()),
        unit=fields.pop("unit", "zones"),
        level=level,
        dimension=dimension,
        **fields,
    )
    indicator.full_clean()
    indicator.save()
    indicator.corridors.set(corridors)
    return indicator


@pytest.fixture
def indicators(registry, vocab):
    return snapshots.built_or_restored("indicator-api", lambda: build_indicators(registry, vocab))


def build_indicators(registry, vocab) -> dict:
    growth, green = vocab["corridors"]["growth"], vocab["corridors"]["green"]
    sez = make_indicator("approved-sez-count", name="Approved special economic zones", corridors=[growth])
    renewables = make_indicator(
        "renewable-integration", level="outcome", dimension="green-transition", unit="percent", corridors=[green]
    )
    gdp = make_indicator("gdp-usd", level="context", dimension="", name="Gross domestic product")
    observe(sez, 44, datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    observe(sez, 7, datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))
    observe(sez, 50, datetime.date(2030, 1, 1), kind="target")
    observe(renewables, 60, datetime.date(2030, 1, 1), datetime.date(2030, 12, 31), kind="target")
    observe(
        renewables, 31, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31), scope="province", province_id="PK-SD"
    )
    observe(renewables, 12, datetime.date(2024, 1, 1), datetime.date(2024, 12, 31), scope="corridor", corridor=green)
    observe(renewables, 96, datetime.date(2024, 1, 1), scope="project", project=registry["karot"])
    observe(renewables, 99, datetime.date(2024, 1, 1), scope="project", project=registry["draft"])
    return {"sez": sez, "renewables": renewables, "gdp": gdp}


def test_indicator_list_has_latest_national_actual(api, indicators):
    response = api.get("/api/v1/indicators/")

    by_code = {item["code"]: item for item in response.json()["results"]}
    assert response.status_code == 200
    assert by_code["approved-sez-count"]["latest"]["value"] == 44
    assert by_code["approved-sez-count"]["latest"]["period_end"] == "2026-01-31"
    assert by_code["approved-sez-count"]["corridors"] == ["growth"]
    assert by_code["renewable-integration"]["latest"] is None  # targets and sub-national values are not "latest"
    assert by_code["gdp-usd"]["latest"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=mechanism", ["approved-sez-count"]),
        ("level=outcome,context", ["gdp-usd", "renewable-integration"]),
        ("dimension=green-transition", ["renewable-integration"]),
        ("corridor=green", ["renewable-integration"]),
        ("corridor=green,growth", ["approved-sez-count", "renewable-integration"]),
        ("search=domestic", ["gdp-usd"]),
        ("search=ZONES", ["approved-sez-count", "gdp-usd"]),
    ],
)
def test_indicator_filters_select_exactly(api, indicators, query, expected):
    response = api.get(f"/api/v1/indicators/?{query}")

    assert sorted(item["code"] for item in response.json()["results"]) == expected


def test_indicator_series_national_is_ordered_by_period(api, indicators):
    response = api.get("/api/v1/indicators/approved-sez-count/series/?scope=national&kind=actual")

    body = response.json()
    assert response.status_code == 200
    assert [(p["period_start"], p["value"]) for p in body["points"]] == [("2025-12-01", 7), ("2026-01-01", 44)]
    assert (body["indicator"], body["scope"], body["subject"], body["unit"]) == (
        "approved-sez-count",
        "national",
        None,
        "zones",
    )


def test_indicator_series_defaults_to_national_all_kinds(api, indicators):
    response = api.get("/api/v1/indicators/approved-sez-count/series/")

    assert [(p["value"], p["kind"]) for p in response.json()["points"]] == [
        (7, "actual"),
        (44, "actual"),
        (50, "target"),
    ]


def test_indicator_series_for_project_subject(api, indicators):
    response = api.get("/api/v1/indicators/renewable-integration/series/?scope=project&subject=karot-hydropower")

    assert [p["value"] for p in response.json()["points"]] == [96]


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ("scope=planet", {"scope": ["Unknown scope 'planet'. Allowed: national, province, corridor, project."]}),
        ("kind=guess", {"kind": ["Unknown kind 'guess'. Allowed: actual, target, baseline."]}),
        (
            "scope=province",
            {"subject": ["A province observation needs a subject: give the province ISO code (e.g. PK-BA)."]},
        ),
        (
            "scope=province&subject=PK-XX",
            {"subject": ["No province with code 'PK-XX'. Known: PK-BA, PK-GB, PK-IS, PK-JK, PK-KP, PK-PB, PK-SD."]},
        ),
        (
            "scope=national&subject=PK-SD",
            {"subject": ["A national observation has no subject: leave it empty, not 'PK-SD'."]},
        ),
        # A draft is no subject the public may name: the same answer as for a slug that does not exist.
        ("scope=project&subject=chashma-5", {"subject": ["No project with slug 'chashma-5'."]}),
        ("period=2020", {"period": ["Unknown query parameter. Accepted parameters: format, kind, scope, subject."]}),
    ],
)
def test_indicator_series_bad_input_is_400(api, indicators, query, body):
    response = api.get(f"/api/v1/indicators/renewable-integration/series/?{query}")

    assert (response.status_code, response.json()) == (400, body)


@pytest.mark.parametrize(
    ("query", "expected_values"),
    [
        ("indicator=approved-sez-count", [7, 44, 50]),
        ("scope=province", [31]),
        ("scope=corridor,province", [12, 31]),
        ("project=karot-hydropower", [96]),
        ("corridor=green", [12]),
        ("province=PK-SD", [31]),
        ("kind=target", [50, 60]),
        ("period_after=2026-01-01", [44, 50, 60]),
        ("period_before=2024-12-31", [12, 31, 96]),
        ("indicator=renewable-integration&kind=actual&scope=project", [96]),
    ],
)
def test_observation_filters_select_exactly(api, indicators, query, expected_values):
    response = api.get(f"/api/v1/observations/?{query}")

    assert response.status_code == 200
    assert sorted(item["value"] for item in response.json()["results"]) == expected_values


def test_observation_source_filter(api, indicators):
    source = Observation.objects.get(value=44).source

    response = api.get(f"/api/v1/observations/?source={source.pk}")

    assert [item["value"] for item in response.json()["results"]] == [44]


def test_observation_list_hides_draft_projects_from_anonymous(api, editor_api, indicators):
    public = [item["value"] for item in api.get("/api/v1/observations/?scope=project").json()["results"]]
    editor = [item["value"] for item in editor_api.get("/api/v1/observations/?scope=project").json()["results"]]

    assert public == [96]
    assert sorted(editor) == [96, 99]


def test_observation_list_is_cursor_paginated_without_count(api, indicators):
    with CaptureQueriesContext(connection) as queries:
        first = api.get("/api/v1/observations/?page_size=3").json()

    second = api.get(first["next"]).json()
    assert set(first) == {"next", "previous", "results"}
    assert len(first["results"]) == 3
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
    seen = [item["id"] for item in first["results"] + second["results"]]
    assert len(seen) == len(set(seen))


def test_observation_list_bad_cursor_is_400(api, indicators):
    response = api.get("/api/v1/observations/?cursor=not-a-cursor")

    assert (response.status_code, response.json()) == (
        400,
        {"cursor": ["Invalid cursor: use the `next` or `previous` link as given."]},
    )


def test_observation_list_query_count_constant(api, django_assert_num_queries, registry, vocab):
    indicator = make_indicator("local-employment-share")
    observe(indicator, 1, datetime.date(2000, 1, 1), scope="project", project=registry["karot"])
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/observations/")
    for year in range(2001, 2030):
        observe(indicator, year, datetime.date(year, 1, 1), scope="province", province_id="PK-PB")

    with django_assert_num_queries(len(one)):
        response = api.get("/api/v1/observations/")

    assert len(response.json()["results"]) == 30


def test_indicator_list_query_count_constant(api, registry, vocab, django_assert_num_queries):
    make_indicator("first", corridors=[vocab["corridors"]["green"]])
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/indicators/")
    for number in range(29):
        indicator = make_indicator(f"indicator-{number}", corridors=list(vocab["corridors"].values()))
        observe(indicator, number, datetime.date(2020, 1, 1))

    with django_assert_num_queries(len(one)):
        response = api.get("/api/v1/indicators/")

    assert response.json()["count"] == 30


def test_observation_csv_export_matches_json(api, indicators):
    expected = api.get("/api/v1/observations/?page_size=500").json()["results"]

    response = api.get("/api/v1/observations/?format=csv")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert response["Content-Disposition"].startswith('attachment; filename="cpec-observations-')
    assert sorted(row["id"] for row in rows) == sorted(str(item["id"]) for item in expected)


def test_observation_create_by_editor(editor_api, indicators):
    source = factories.SourceFactory()
    body = {
        "indicator": "approved-sez-count",
        "scope": "province",
        "subject": "PK-BA",
        "period_start": "2026-02-01",
        "period_end": "2026-02-28",
        "kind": "actual",
        "value": 3,
        "source": source.pk,
    }

    response = editor_api.post("/api/v1/observations/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["subject"] == "PK-BA"
    assert Observation.objects.get(pk=response.json()["id"]).province_id == "PK-BA"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"scope": "national", "subject": "PK-BA"},
            "subject",
            "A national observation has no subject: leave it empty, not 'PK-BA'.",
        ),
        ({"scope": "project", "subject": "no-such-project"}, "subject", "No project with slug 'no-such-project'."),
        (
            {"period_end": "2025-01-01"},
            "period_end",
            "The period cannot end (2025-01-01) before it starts (2026-02-01).",
        ),
        ({"kind": "guess"}, "kind", '"guess" is not a valid choice.'),
        ({"indicator": "nope"}, "indicator", "Object with code=nope does not exist."),
        ({"value": "a lot"}, "value", "Expected a number, got a string."),
        # The national 2026-01 actual exists already, from this source ("existing"): a competing value needs another.
        (
            {"period_start": "2026-01-01", "period_end": "2026-01-31", "subject": None, "scope": "national"},
            "source",
            "This source already gives a value of this indicator for this subject, period and kind: correct that one "
            "(a competing value needs another source).",
        ),
        ({"is_preferred": "perhaps"}, "is_preferred", "Expected a boolean, got a string."),
        ({"quote": 12}, "quote", "Expected a string, got a number."),
    ],
)
def test_observation_create_bad_input_is_400(editor_api, indicators, overrides, field, message):
    existing = Observation.objects.get(indicator__code="approved-sez-count", period_start="2026-01-01")
    source = existing.source if field == "source" else factories.SourceFactory()
    before = Observation.objects.count()
    body = {
        "indicator": "approved-sez-count",
        "scope": "province",
        "subject": "PK-BA",
        "period_start": "2026-02-01",
        "period_end": "2026-02-28",
        "kind": "actual",
        "value": 3,
        "source": source.pk,
        **overrides,
    }

    response = editor_api.post("/api/v1/observations/", body, format="json")

    assert (response.status_code, response.json()) == (400, {field: [message]})
    assert Observation.objects.count() == before


# Who may create, change and delete indicators and observations: tests/api/test_endpoint_matrix.py.


def test_indicator_delete_with_observations_is_409(editor_api, indicators):
    response = editor_api.delete("/api/v1/indicators/approved-sez-count/")

    assert (response.status_code, response.json()) == (
        409,
        {
            "detail": "This record is still referenced by 3 other record(s) (observations); remove those references "
            "first."
        },
    )
    assert Indicator.objects.get(code="approved-sez-count").observations.count() == 3


def test_project_detail_links_to_its_observations(api, indicators):
    link = api.get("/api/v1/projects/karot-hydropower/").json()["observations_url"]

    response = api.get(link)

    assert link == "http://testserver/api/v1/observations/?project=karot-hydropower"
    assert [item["value"] for item in response.json()["results"]] == [96]


def test_indicator_detail_etag_304(api, indicators):
    first = api.get("/api/v1/indicators/gdp-usd/")

    second = api.get("/api/v1/indicators/gdp-usd/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert (first.status_code, first.json()["code"]) == (200, "gdp-usd")
    assert (second.status_code, second.content, second["ETag"]) == (304, b"", first["ETag"])


def _instance_rows(observations, fields=None) -> list[dict]:
    """The observations through the serializer's model-instance path (DRF's field loop), as the reference."""
    request = APIRequestFactory().get("/api/v1/observations/")
    serializer = ObservationSerializer(context={"request": request, "fields": fields})
    return [serializer.to_representation(observation) for observation in observations]


def test_observation_list_rows_equal_the_instance_serializer_byte_for_byte(editor_api, indicators):
    observe(indicators["sez"], "0.000001", datetime.date(2019, 1, 1), quote="“Seven zones”", note="a note")

    response = editor_api.get("/api/v1/observations/?page_size=500")

    rows = response.json()["results"]
    expected = _instance_rows(Observation.objects.order_by("period_start", "id"))
    assert {row["scope"] for row in rows} == {"national", "province", "corridor", "project"}
    assert response.content == dumps({"next": None, "previous": None, "results": expected})


def test_observation_list_rows_with_fields_equal_the_instance_serializer(api, indicators):
    response = api.get("/api/v1/observations/?fields=url,subject,value")

    expected = _instance_rows(Observation.objects.public().order_by("period_start", "id"), ["url", "subject", "value"])
    assert response.json()["results"] == json.loads(dumps(expected))
    assert list(response.json()["results"][0]) == ["url", "subject", "value"]
