"""The indicators seed: the build script's rules, the loader's counts, idempotency and the figures it must give."""

import datetime
import importlib.util
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from indicators.models import Indicator, Observation
from indicators.seed import FIXTURES_DIR, SeedDataError, load_indicators
from projects.models import Source
from tests.factories import CorridorFactory, SourceFactory, make_project

CORRIDORS = ["growth", "livelihood", "innovation", "green", "connectivity"]
REUTERS_FIREWALL_URL = (
    "https://www.reuters.com/technology/pakistans-internet-firewall-could-cost-economy-300-million-"
    "association-says-2024-08-15/"
)


def load_build_module():
    spec = importlib.util.spec_from_file_location("indicators_fixture_build", FIXTURES_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build_module()


# The projects observations_more.csv has values about (the projects loader creates them before the indicators).
SEED_PROJECTS = ["allama-iqbal-industrial-city", "rashakai-sez"]


@pytest.fixture
def corridors(db):
    created = {code: CorridorFactory(code=code) for code in CORRIDORS}
    for slug in SEED_PROJECTS:
        make_project(slug=slug, corridor=created["growth"])
    return created


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


def test_load_indicators_creates_every_row(corridors):
    counts = load_indicators()

    assert counts == {
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


def test_load_indicators_keeps_definitions(corridors):
    load_indicators()

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


def test_load_indicators_approved_zones_go_from_7_to_44(corridors):
    load_indicators()

    series = Observation.objects.filter(indicator__code="approved-sez-count", scope="national", kind="actual").order_by(
        "period_start"
    )
    assert [(o.period_start, o.period_end, o.value) for o in series] == [
        (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31), Decimal("7")),
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31), Decimal("44")),
    ]


def test_load_indicators_sources_shared_and_partial_dates_first_day(corridors):
    load_indicators()

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


def test_load_indicators_second_run_creates_and_changes_nothing(corridors):
    load_indicators()
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


def test_load_indicators_reuses_existing_source_by_url(corridors):
    existing = SourceFactory(url=REUTERS_FIREWALL_URL, title="Firewall cost (Reuters)")

    counts = load_indicators()

    assert (counts["sources_created"], counts["sources_reused"]) == (51, 1)
    assert Observation.objects.get(indicator__code="it-exports-usd", period_start="2023-07-01").source == existing
    existing.refresh_from_db()
    assert existing.title == "Firewall cost (Reuters)"


def test_load_indicators_leaves_rows_as_editors_made_them(corridors):
    load_indicators()
    observation = Observation.objects.get(indicator__code="gdp-usd", period_start="2024-01-01")
    observation.value = Decimal("375")
    observation.save()
    Indicator.objects.filter(code="gdp-usd").update(unit="USD bn")

    counts = load_indicators()

    observation.refresh_from_db()
    assert (counts["observations_created"], counts["indicators_created"]) == (0, 0)
    assert (observation.value, Indicator.objects.get(code="gdp-usd").unit) == (Decimal("375"), "USD bn")


def test_load_indicators_adds_only_what_is_missing(corridors):
    load_indicators()
    Observation.objects.get(indicator__code="renewable-integration", kind="target").delete()

    counts = load_indicators()

    assert (counts["observations_created"], counts["observations_skipped"], counts["sources_reused"]) == (1, 96, 52)
    assert Observation.objects.get(indicator__code="renewable-integration", kind="target").value == Decimal("60")


def test_load_indicators_missing_corridor_fails_clearly_and_writes_nothing(db):
    for code in ["growth", "livelihood", "innovation", "connectivity"]:
        CorridorFactory(code=code)

    with pytest.raises(SeedDataError) as raised:
        load_indicators()

    assert str(raised.value) == (
        "Missing corridor(s) green, used by indicator(s) electricity-reliability, tariff-predictability, "
        "renewable-integration, power-circular-debt, solar-panel-imports, cpec-power-capacity-mw: load the corridor "
        "vocabulary first."
    )
    assert (Indicator.objects.count(), Source.objects.count()) == (0, 0)


def test_load_indicators_invalid_observation_fails_with_its_entry_and_writes_nothing(corridors, tmp_path: Path):
    indicators = json.loads((FIXTURES_DIR / "indicators.json").read_text(encoding="utf-8"))
    observations = json.loads((FIXTURES_DIR / "observations.json").read_text(encoding="utf-8"))
    observations[1]["period_end"] = "2023-12-31"
    (tmp_path / "indicators.json").write_text(json.dumps(indicators), encoding="utf-8")
    (tmp_path / "observations.json").write_text(json.dumps(observations), encoding="utf-8")

    with pytest.raises(SeedDataError) as raised:
        load_indicators(tmp_path)

    assert str(raised.value) == (
        "observations.json, entry 2 (exports-usd, 2024-01-01): "
        "period_end: The period cannot end (2023-12-31) before it starts (2024-01-01)."
    )
    assert (Indicator.objects.count(), Observation.objects.count()) == (0, 0)


# --- the 2013-2026 series (indicators_more.csv, observations_more.csv) ----------------------------------------

NEW_INDICATOR_VALUES = [
    # (indicator, scope, subject, period_start, period_end, kind, value, source URL, quote substring)
    (
        "manufacturing-va-gdp",
        "national",
        "",
        "2018-01-01",
        "2018-12-31",
        "actual",
        "12.1",
        "https://www.pbc.org.pk/research/pakistans-economic-trade-manufacturing-data/",
        "highest contribution of manufacturing in GDP was 14.8% in 2008",
    ),
    (
        "exports-gdp",
        "national",
        "",
        "2024-01-01",
        "2024-12-31",
        "actual",
        "10.4",
        "https://bloompakistan.com/?p=112108",
        "declined from an average of 16 percent of GDP in the 1990s",
    ),
    (
        "merchandise-exports-usd",
        "national",
        "",
        "2023-07-01",
        "2024-06-30",
        "actual",
        "30.64",
        "https://profit.pakistantoday.com.pk/2024/08/02/pakistans-exports-rise-by-11-8-trade-deficit-widens-by-19-7-in-july",
        "exports rose by 10.54% to $30.64 billion",
    ),
    (
        "fdi-china-usd",
        "national",
        "",
        "2024-07-01",
        "2025-06-30",
        "actual",
        "1227",
        "https://www.brecorder.com/news/40373464/245bn-fdi-fetched-in-fy25",
        "to $1.227 billion",
    ),
    (
        "cpec-jobs-created",
        "national",
        "",
        "2030-01-01",
        "2030-12-31",
        "target",
        "2300000",
        "https://nation.com.pk/10-Aug-2020/88-cpec-projects-to-benefit-pakistan-with-2-3m-jobs?show=preview",
        "Eighty-eight projects",
    ),
    (
        "cpec-jobs-total",
        "national",
        "",
        "2013-07-05",
        "2022-12-31",
        "actual",
        "236000",
        "https://www.nation.com.pk/20-Oct-2023/cpec-generated-236-000-jobs-in-pakistan-a-aglimpse-of-10-year-old-bri",
        "a total of 236,000 jobs",
    ),
    (
        "cpec-pakistani-workforce-share",
        "national",
        "",
        "2020-08-01",
        "2020-08-10",
        "actual",
        "82.5",
        "https://nation.com.pk/10-Aug-2020/88-cpec-projects-to-benefit-pakistan-with-2-3m-jobs?show=preview",
        "40,000 people are Pakistani citizens",
    ),
    (
        "cpec-power-capacity-mw",
        "national",
        "",
        "2025-09-26",
        "2025-09-26",
        "actual",
        "8000",
        "https://dunyanews.tv/en/Pakistan/908581-cpec-to-usher-in-a-new-era-of-development-especially-for-youth-ahsan",
        "8,000 megawatts of electricity were added",
    ),
    (
        "gwadar-water-supply-mgd",
        "province",
        "PK-BA",
        "2026-02-01",
        "2026-02-13",
        "actual",
        "25",
        "https://www.dailyindependent.com.pk/2026/02/13/gwadar-development-authority-resolves-water-shortages-"
        "elevates-daily-supply-to-over-25-million-gallons",
        "Gwadar Development Authority (GDA)",
    ),
    (
        "gwadar-water-demand-mgd",
        "province",
        "PK-BA",
        "2018-04-01",
        "2018-04-29",
        "actual",
        "6",
        "https://dawn.com/news/1404570/gwadar-water-crisis",
        "The requirement today is around six million gallons.",
    ),
]

COMPETING_PAIRS = [
    # (indicator, period_start, period_end, [(value, is_preferred, source URL)] sorted by value)
    (
        "cpec-jobs-created",
        "2013-07-05",
        "2022-12-31",
        [
            ("155000", True, "https://defence.pk/pdf/threads/cpec-creates-155-000-jobs-for-pakistanis.768297/"),
            (
                "192000",
                False,
                "https://startuppakistan.com.pk/cpec-creates-192000-jobs-for-pakistanis-chinese-ambassador/",
            ),
        ],
    ),
    (
        "cpec-power-capacity-mw",
        "2021-02-23",
        "2021-02-23",
        [
            ("5320", False, "https://arynews.tv/en/cpec-energy-projects-power-plants-completion/"),
            (
                "5340",
                True,
                "https://www.brecorder.com/news/40067045/5340-mw-of-electricity-added-to-grid-under-cpec-power-projects",
            ),
        ],
    ),
    (
        "fdi-china-usd",
        "2018-07-01",
        "2018-12-31",
        [
            ("217.1", True, "https://nation.com.pk/19-Oct-2020/china-emerges-as-top-fdi-country-in-pakistan"),
            ("1104.2", False, "https://timespakistan.com/75877/chinese-investment-jumps-45-26-in-first-half-of-fy19/"),
        ],
    ),
    (
        "fdi-china-usd",
        "2019-07-01",
        "2019-12-31",
        [
            ("422.5", True, "https://nation.com.pk/19-Oct-2020/china-emerges-as-top-fdi-country-in-pakistan"),
            ("501", False, "https://nation.com.pk/18-Jan-2020/china-leads-as-top-foreign-investor-in-pakistan"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("code", "scope", "subject", "start", "end", "kind", "value", "url", "quoted"), NEW_INDICATOR_VALUES
)
def test_load_indicators_new_indicator_value_with_source_and_quote(
    corridors, code, scope, subject, start, end, kind, value, url, quoted
):
    load_indicators()

    observation = Observation.objects.get(
        indicator__code=code, scope=scope, period_start=start, period_end=end, kind=kind, source__url=url
    )
    assert (observation.subject_code, observation.value) == (subject, Decimal(value))
    assert quoted in observation.quote


@pytest.mark.parametrize(("code", "start", "end", "expected"), COMPETING_PAIRS)
def test_load_indicators_competing_pair_keeps_both_and_marks_the_documented_choice(
    corridors, code, start, end, expected
):
    load_indicators()

    pair = Observation.objects.filter(
        indicator__code=code, scope="national", period_start=start, period_end=end, kind="actual"
    ).select_related("source")
    assert sorted(((o.value, o.is_preferred, o.source.url) for o in pair), key=lambda row: row[0]) == [
        (Decimal(amount), preferred, url) for amount, preferred, url in expected
    ]
    preferred = next(o for o in pair if o.is_preferred)
    other = next(o for o in pair if not o.is_preferred)
    assert "Preferred value: " in preferred.note
    assert "Not the preferred value: " in other.note


def test_load_indicators_project_subjects_named_by_slug(corridors):
    load_indicators()

    rashakai = Observation.objects.filter(indicator__code="sez-firm-entry", project__slug="rashakai-sez")
    assert [(o.period_start, o.value) for o in rashakai.order_by("period_start")] == [
        (datetime.date(2022, 4, 20), Decimal("11")),
        (datetime.date(2022, 4, 27), Decimal("15")),
    ]


def test_load_indicators_value_beyond_six_decimals_rounded_and_noted(corridors):
    load_indicators()

    gdp_2013 = Observation.objects.get(indicator__code="gdp-usd", period_start="2013-01-01")
    assert gdp_2013.value == Decimal("231.218567")
    assert gdp_2013.note.endswith("Seed value 231.218567179, stored rounded to 6 decimal places.")
    assert gdp_2013.quote == "2013 $231,218,567,179"


def test_load_indicators_series_endpoint_multi_year_for_at_least_8_indicators(corridors, api):
    load_indicators()

    years_by_indicator = {}
    for code in Indicator.objects.values_list("code", flat=True):
        points = api.get(f"/api/v1/indicators/{code}/series/?kind=actual").json()["points"]
        years_by_indicator[code] = len({point["period_end"][:4] for point in points})

    multi_year = sorted(code for code, years in years_by_indicator.items() if years >= 2)
    assert len(multi_year) >= 8
    assert {
        "cpec-jobs-created",
        "cpec-power-capacity-mw",
        "exports-gdp",
        "fdi-china-usd",
        "gdp-usd",
        "it-exports-usd",
        "merchandise-exports-usd",
        "power-circular-debt",
        "private-credit-gdp",
    } <= set(multi_year)
    assert years_by_indicator["gdp-usd"] == 11


def test_load_indicators_series_uses_the_preferred_competing_value(corridors, api):
    load_indicators()

    points = api.get("/api/v1/indicators/fdi-china-usd/series/?kind=actual").json()["points"]

    half_years = {(p["period_start"], p["period_end"]): p["value"] for p in points}
    assert (half_years[("2018-07-01", "2018-12-31")], half_years[("2019-07-01", "2019-12-31")]) == (217.1, 422.5)


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


def observation_snapshot() -> list[tuple]:
    return list(
        Observation.objects.order_by("pk").values_list(
            "indicator__code", "scope", "project__slug", "period_start", "value", "source__url", "is_preferred", "quote"
        )
    )


def test_load_seed_data_twice_changes_nothing(db):
    call_command("load_seed_data", stdout=io.StringIO())
    before = (observation_snapshot(), history_rows(), Source.objects.count())

    out = io.StringIO()
    call_command("load_seed_data", stdout=out)

    assert (observation_snapshot(), history_rows(), Source.objects.count()) == before
    assert len(before[0]) == 97
    assert out.getvalue().splitlines()[-1] == "Seed data already loaded."
