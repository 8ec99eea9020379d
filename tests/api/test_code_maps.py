"""The vocabularies' code maps (registry/api/code_maps.py): a filter's codes answered from the process's map at the
request's data version, never from an older one."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.models import Indicator
from projects.models import Sector
from registry import data_version
from registry.api import code_maps, filters
from registry.settings import redis_cache
from tests import factories
from tests.outages import closed_port, real_redis_cache, redis_commands_sent

OBSERVATIONS = "/api/v1/observations/"
INDICATOR_LOOKUP = 'FROM "indicators_indicator" WHERE "indicators_indicator"."code" IN'


@pytest.fixture
def uncached_responses(settings):
    """Every request computes its answer (the response cache would answer a repeated one without any query)."""
    settings.RESPONSE_CACHE_SECONDS = 0


@pytest.fixture
def jobs(db):
    observation = factories.ObservationFactory(indicator=factories.IndicatorFactory(code="jobs"))
    return observation.indicator


def queries_of(client, url: str) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    return response, [query["sql"] for query in context.captured_queries]


def codes_looked_up(queries: list[str]) -> int:
    return sum(INDICATOR_LOOKUP in sql for sql in queries)


def indicators_listed(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["indicator"] for row in response.json()["results"]]


def test_code_map_repeated_filter_makes_one_query_fewer(api, jobs, uncached_responses):
    first, first_queries = queries_of(api, f"{OBSERVATIONS}?indicator=jobs")

    second, second_queries = queries_of(api, f"{OBSERVATIONS}?indicator=jobs&kind=actual")

    assert (codes_looked_up(first_queries), codes_looked_up(second_queries)) == (1, 0)
    assert len(second_queries) == len(first_queries) - 1
    assert indicators_listed(first) == indicators_listed(second) == ["jobs"]


def test_code_map_new_indicator_is_seen_by_the_next_request(api, jobs, uncached_responses):
    api.get(f"{OBSERVATIONS}?indicator=jobs")
    factories.ObservationFactory(indicator=factories.IndicatorFactory(code="exports"))

    response = api.get(f"{OBSERVATIONS}?indicator=jobs,exports")

    assert sorted(indicators_listed(response)) == ["exports", "jobs"]


def test_code_map_code_added_behind_the_version_is_looked_up(api, jobs, uncached_responses):
    # Another process's write that this process's version did not see (one process per LocMem cache): the code
    # missing from the map is looked up, not refused.
    api.get(f"{OBSERVATIONS}?indicator=jobs")
    version = cache.get(data_version.KEY)
    factories.ObservationFactory(indicator=factories.IndicatorFactory(code="exports"))
    cache.set(data_version.KEY, version, timeout=None)

    response, queries = queries_of(api, f"{OBSERVATIONS}?indicator=exports")

    assert indicators_listed(response) == ["exports"]
    assert codes_looked_up(queries) == 1


def test_code_map_renamed_code_is_seen_by_the_next_request(api, editor_api, jobs, uncached_responses):
    api.get(f"{OBSERVATIONS}?indicator=jobs")
    renamed = editor_api.patch("/api/v1/indicators/jobs/", {"code": "employment"}, format="json")
    assert renamed.status_code == 200, renamed.content

    old = api.get(f"{OBSERVATIONS}?indicator=jobs")
    new = api.get(f"{OBSERVATIONS}?indicator=employment")

    assert (old.status_code, old.json()) == (400, {"indicator": ["Unknown value(s) 'jobs'. Allowed: employment."]})
    assert indicators_listed(new) == ["employment"]


def test_code_map_deleted_indicator_is_seen_by_the_next_request(api, editor_api, uncached_responses):
    factories.IndicatorFactory(code="unused")
    factories.ObservationFactory(indicator=factories.IndicatorFactory(code="jobs"))
    assert indicators_listed(api.get(f"{OBSERVATIONS}?indicator=unused")) == []
    deleted = editor_api.delete("/api/v1/indicators/unused/")
    assert deleted.status_code == 204, deleted.content

    response = api.get(f"{OBSERVATIONS}?indicator=unused")

    assert (response.status_code, response.json()) == (
        400,
        {"indicator": ["Unknown value(s) 'unused'. Allowed: jobs."]},
    )


def test_code_map_unknown_code_beside_kept_ones_is_the_same_400(api, jobs, uncached_responses):
    api.get(f"{OBSERVATIONS}?indicator=jobs")

    response = api.get(f"{OBSERVATIONS}?indicator=jobs,nothing")

    assert (response.status_code, response.json()) == (
        400,
        {"indicator": ["Unknown value(s) 'nothing'. Allowed: jobs."]},
    )


def test_code_map_cache_down_always_queries(api, jobs, settings, uncached_responses):
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{closed_port()}/2")}
    settings.CACHE_RETRY_SECONDS = 0
    api.get(f"{OBSERVATIONS}?indicator=jobs")

    response, queries = queries_of(api, f"{OBSERVATIONS}?indicator=jobs")

    assert indicators_listed(response) == ["jobs"]
    assert codes_looked_up(queries) == 1


def test_code_map_response_cache_miss_reads_the_version_once(api, jobs, settings, monkeypatch):
    # The response cache has read the data version for an anonymous read: the filter reuses it, no round trip of
    # its own, so a miss sends what a miss without a vocabulary filter sends.
    settings.CACHES = {"default": real_redis_cache()}
    api.get(f"{OBSERVATIONS}?indicator=jobs")  # connects, fills the map
    sent = redis_commands_sent(monkeypatch)
    api.get(f"{OBSERVATIONS}?kind=actual")
    without_filter = len(sent)
    sent.clear()

    response = api.get(f"{OBSERVATIONS}?indicator=jobs&kind=actual")

    assert indicators_listed(response) == ["jobs"]
    assert len(sent) == without_filter == 3  # the throttle's count; the version and the kept answer; keeping it


def test_code_map_project_filters_answer_from_the_map(api, registry, uncached_responses):
    url = "/api/v1/projects/?corridor=green&pillar=energy&sector=energy"
    first, first_queries = queries_of(api, url)

    second, second_queries = queries_of(api, url)

    assert len(second_queries) == len(first_queries) - 3
    assert second.json() == first.json()


def test_code_map_filter_on_part_of_a_table_is_refused():
    with pytest.raises(ImproperlyConfigured):
        filters.MultiCodeFilter(to_field_name="code", queryset=Sector.objects.filter(parent=None), cached=True)


def test_code_map_indicator_model_is_the_one_kept(api, jobs, uncached_responses):
    api.get(f"{OBSERVATIONS}?indicator=jobs")
    version = data_version.version_or_none()

    assert list(code_maps.kept_rows(Indicator, "code", version)) == ["jobs"]


def test_code_map_without_a_shared_data_version_looks_codes_up_each_time(api, jobs, settings):
    settings.DATA_VERSION_SHARED = False  # several workers, each with its own memory, and no REDIS_URL
    api.get(f"{OBSERVATIONS}?indicator=jobs")

    response, queries = queries_of(api, f"{OBSERVATIONS}?indicator=jobs&kind=actual")

    assert codes_looked_up(queries) == 1
    assert indicators_listed(response) == ["jobs"]
