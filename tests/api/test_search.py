"""``search=`` on the organisation, indicator and source lists: any of the named fields holds the text,
case-insensitively; a blank search filters nothing (registry.api.filters.TextSearchFilter)."""

import pytest

from projects.models import Source
from tests import factories


def slugs(response, key="slug"):
    assert response.status_code == 200, response.content
    return sorted(row[key] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("term", "expected"),
    [("GORGES", ["china-three-gorges"]), ("wap", ["wapda"]), ("Power Development", ["wapda"]), ("  ", None)],
)
def test_search_organisations_matches_name_or_slug(api, registry, term, expected):
    response = api.get("/api/v1/organisations/", {"search": term})

    everyone = ["china-three-gorges", "wapda"]
    assert slugs(response) == (everyone if expected is None else expected)


def test_search_indicators_matches_code_name_description_or_unit(api, db):
    factories.IndicatorFactory(code="sez-firms", name="Firms in SEZs", unit="firms", description="Operating firms.")
    factories.IndicatorFactory(code="it-exports", name="IT exports", unit="USD million", description="Services.")

    by_unit = api.get("/api/v1/indicators/", {"search": "usd MILLION"})
    by_description = api.get("/api/v1/indicators/", {"search": "operating"})

    assert slugs(by_unit, "code") == ["it-exports"]
    assert slugs(by_description, "code") == ["sez-firms"]


def test_search_sources_matches_title_publisher_or_url(editor_api, db):
    factories.SourceFactory(title="Annual plan", publisher="Planning Commission", url="https://pc.gov.pk/plan")
    factories.SourceFactory(title="Port traffic", publisher="Dawn", url="https://www.dawn.com/news/1")

    by_publisher = editor_api.get("/api/v1/sources/", {"search": "planning"})
    by_url = editor_api.get("/api/v1/sources/", {"search": "DAWN.COM"})

    assert [row["title"] for row in by_publisher.json()["results"]] == ["Annual plan"]
    assert [row["title"] for row in by_url.json()["results"]] == ["Port traffic"]
    assert Source.objects.count() == 2
