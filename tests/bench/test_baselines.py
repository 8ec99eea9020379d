"""The benchmark's baselines return what the API returns: a shape change in the API shows here, in `make test`,
not first in the benchmark's setup check (bench/run.py compares the same way before it measures)."""

import pytest
from django.db import connection

from bench import run
from projects.models import Project
from tests.bench.test_lean_serialization import synthetic_registry  # noqa: F401 (a fixture)


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _endpoints():
    return run.endpoints(detail_slugs=["placeholder"], csv_runs=1)


@pytest.mark.parametrize("name", [endpoint.name for endpoint in _endpoints()])
def test_bench_baseline_returns_what_the_api_returns(client, settings, synthetic_registry, name):  # noqa: F811
    if "stats" in name and connection.vendor != "postgresql":
        pytest.skip("the stats baseline is PostgreSQL SQL (GROUPING SETS)")
    settings.ROOT_URLCONF = "bench.urls"
    slugs = list(Project.objects.published().order_by("id").values_list("slug", flat=True)[:3])
    endpoint = next(endpoint for endpoint in run.endpoints(slugs, csv_runs=1) if endpoint.name == name)

    mismatches = []
    for api_path, baseline_path in zip(endpoint.api, endpoint.baseline, strict=True):
        api_reply, baseline_reply = client.get(api_path), client.get(baseline_path)
        assert (api_reply.status_code, baseline_reply.status_code) == (200, 200)
        mismatches.append(endpoint.compare(_body(api_reply), _body(baseline_reply)))

    assert mismatches == [None] * len(endpoint.api)
