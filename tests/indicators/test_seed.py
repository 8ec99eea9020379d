"""The indicators seed: the build script's rules, the loader's counts, idempotency and the figures it must give."""

import datetime
import importlib.util
from decimal import Decimal

import pytest

from indicators.models import Indicator, Observation
from indicators.seed import FIXTURES_DIR, load_indicators
from projects.models import Source


def load_build_module():
    spec = importlib.util.spec_from_file_location("indicators_fixture_build", FIXTURES_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build_module()


def history_rows() -> int:
    return Indicator.history.count() + Observation.history.count() + Source.history.count()


# --- build.py -------------------------------------------------------------------------------------------------


def test_build_committed_json_matches_the_csvs():
    built = build.outputs()

    assert {path.name: path.read_text(encoding="utf-8") for path in built} == {
        path.name: text for path, text in built.items()
    }


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-01", "2026-01-01", "2026-01-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2025", "2025-01-01", "2025-12-31"),
        ("2015-04-20", "2015-04-20", "2015-04-20"),
    ],
)
def test_build_partial_dates_first_and_last_day(text, first, last):
    assert (build.first_day(text), build.last_day(text)) == (first, last)


@pytest.mark.parametrize("text", ["2026-13", "Jan 2026", "2026-02-30", ""])
def test_build_invalid_date_refused(text):
    with pytest.raises(build.BuildError):
        build.first_day(text)


def test_build_unknown_publisher_refused():
    row = {
        "indicator": "gdp-usd",
        "scope": "national",
        "subject": "",
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "kind": "actual",
        "value": "1",
        "source_title": "A blog post",
        "source_publisher": "Unknown Blog",
        "source_url": "",
        "source_date": "",
        "note": "",
    }

    with pytest.raises(build.BuildError, match="classify the publisher 'Unknown Blog'"):
        build.build_observations([("observations.csv", 2, row)])


# --- loading --------------------------------------------------------------------------------------------------


def test_load_indicators_creates_every_row(loaded, db):
    assert loaded == {
        "indicators_created": 32,
        "indicators_skipped": 0,
        "sources_created": 52,
        "sources_reused": 0,
        "observations_created": 97,
        "observations_skipped": 0,
    }
    assert (Indicator.objects.count(), Observation.objects.count(), Source.objects.count()) == (32, 97, 52)
    # One history entry per indicator, its corridors included.
    assert (Indicator.history.count(), Indicator.history.filter(history_type="+").count()) == (32, 32)


def test_load_indicators_keeps_definitions(loaded, db):
    sez = Indicator.objects.get(code="approved-sez-count")
    gdp = Indicator.objects.get(code="gdp-usd")
    tariff = Indicator.objects.get(code="tariff-predictability")
    assert (sez.level, sez.dimension, sez.unit, sez.higher_is_better) == (
        "mechanism",
        "industrial-upgrading",
        "zones",
        None,
    )
    assert [c.code for c in sez.corridors.all()] == ["growth"]
    assert (gdp.level, gdp.dimension, gdp.higher_is_better, list(gdp.corridors.all())) == ("context", "", None, [])
    assert tariff.higher_is_better is False
    assert sez.description.startswith("Number of special economic zones approved under CPEC")


def test_load_indicators_approved_zones_go_from_7_to_44(loaded, db):
    series = Observation.objects.filter(indicator__code="approved-sez-count", scope="national", kind="actual").order_by(
        "period_start"
    )
    assert [(o.period_start, o.period_end, o.value) for o in series] == [
        (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31), Decimal("7")),
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31), Decimal("44")),
    ]


def test_load_indicators_sources_shared_and_partial_dates_first_day(loaded, db):
    earth_news = Source.objects.get(publisher="Earth News")
    assert (earth_news.url, earth_news.published_on, earth_news.kind) == ("", datetime.date(2026, 1, 1), "news")
    assert earth_news.observations.count() == 6
    assert Source.objects.get(publisher="International Growth Centre").published_on == datetime.date(2025, 4, 1)
    target = Observation.objects.get(indicator__code="renewable-integration", kind="target")
    assert (target.kind, target.value, target.source.publisher) == (
        "target",
        Decimal("60"),
        "Pakistan Research Center for a Community with Shared Future",
    )


def test_load_indicators_second_run_creates_and_changes_nothing(loaded, db):
    history_before = history_rows()

    counts = load_indicators()

    assert counts == {
        "indicators_created": 0,
        "indicators_skipped": 32,
        "sources_created": 0,
        "sources_reused": 52,
        "observations_created": 0,
        "observations_skipped": 97,
    }
    assert (Indicator.objects.count(), Observation.objects.count(), Source.objects.count()) == (32, 97, 52)
    assert history_rows() == history_before


def test_load_indicators_leaves_rows_as_editors_made_them(loaded, db):
    observation = Observation.objects.get(indicator__code="gdp-usd", period_start="2024-01-01")
    observation.value = Decimal("375")
    observation.save()
    Indicator.objects.filter(code="gdp-usd").update(unit="USD bn")

    counts = load_indicators()

    observation.refresh_from_db()
    assert (counts["observations_created"], counts["indicators_created"]) == (0, 0)
    assert (observation.value, Indicator.objects.get(code="gdp-usd").unit) == (Decimal("375"), "USD bn")


def test_load_indicators_adds_only_what_is_missing(loaded, db):
    Observation.objects.get(indicator__code="renewable-integration", kind="target").delete()

    counts = load_indicators()

    assert (counts["observations_created"], counts["observations_skipped"], counts["sources_reused"]) == (1, 96, 52)
    assert Observation.objects.get(indicator__code="renewable-integration", kind="target").value == Decimal("60")


# --- build rules for the competing values ------------------------------------------------------------------


def seed_row(**fields) -> tuple[str, int, dict[str, str]]:
    row = {
        "indicator": "cpec-jobs-created",
        "scope": "national",
        "subject": "",
        "period_start": "2013-07-05",
        "period_end": "2022-12-31",
        "kind": "actual",
        "value": "1",
        "source_title": "A report",
        "source_publisher": "The Nation",
        "source_url": "https://nation.com.pk/a",
        "source_date": "2023",
        "quote": "",
        "note": "",
        **fields,
    }
    return ("observations_more.csv", 2, row)


def test_build_unresolved_competing_values_refused():
    rows = [seed_row(period_end="2021-12-31"), seed_row(period_end="2021-12-31", source_url="https://nation.com.pk/b")]

    with pytest.raises(build.BuildError, match="2 competing values; name the preferred one in PREFERRED"):
        build.build_observations(rows)


def test_build_two_values_from_one_source_refused():
    rows = [seed_row(period_end="2021-12-31"), seed_row(period_end="2021-12-31", value="2")]

    with pytest.raises(build.BuildError, match="two values from one source"):
        build.build_observations(rows)


def test_build_unknown_project_name_refused():
    with pytest.raises(build.BuildError, match="map the project 'Somewhere SEZ' to its slug"):
        build.build_observations([seed_row(scope="project", subject="Somewhere SEZ")])


# --- the whole seed command ------------------------------------------------------------------------------------
