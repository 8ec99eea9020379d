"""The 2013-2026 series of the indicators seed (indicators_more.csv, observations_more.csv), read from one load.

Every test here only reads: the seed is loaded once for the module (``loaded``, tests/indicators/conftest.py)
instead of once per test.
"""

import datetime
from decimal import Decimal

import pytest

from indicators.models import Indicator, Observation

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
    loaded, db, code, scope, subject, start, end, kind, value, url, quoted
):
    observation = Observation.objects.get(
        indicator__code=code, scope=scope, period_start=start, period_end=end, kind=kind, source__url=url
    )
    assert (observation.subject_code, observation.value) == (subject, Decimal(value))
    assert quoted in observation.quote


@pytest.mark.parametrize(("code", "start", "end", "expected"), COMPETING_PAIRS)
def test_load_indicators_competing_pair_keeps_both_and_marks_the_documented_choice(
    loaded, db, code, start, end, expected
):
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


def test_load_indicators_project_subjects_named_by_slug(loaded, db):
    rashakai = Observation.objects.filter(indicator__code="sez-firm-entry", project__slug="rashakai-sez")
    assert [(o.period_start, o.value) for o in rashakai.order_by("period_start")] == [
        (datetime.date(2022, 4, 20), Decimal("11")),
        (datetime.date(2022, 4, 27), Decimal("15")),
    ]


def test_load_indicators_value_beyond_six_decimals_rounded_and_noted(loaded, db):
    gdp_2013 = Observation.objects.get(indicator__code="gdp-usd", period_start="2013-01-01")
    assert gdp_2013.value == Decimal("231.218567")
    assert gdp_2013.note.endswith("Seed value 231.218567179, stored rounded to 6 decimal places.")
    assert gdp_2013.quote == "2013 $231,218,567,179"


def test_load_indicators_series_endpoint_multi_year_for_at_least_8_indicators(loaded, db, api):
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


def test_load_indicators_series_uses_the_preferred_competing_value(loaded, db, api):
    points = api.get("/api/v1/indicators/fdi-china-usd/series/?kind=actual").json()["points"]

    half_years = {(p["period_start"], p["period_end"]): p["value"] for p in points}
    assert (half_years[("2018-07-01", "2018-12-31")], half_years[("2019-07-01", "2019-12-31")]) == (217.1, 422.5)
