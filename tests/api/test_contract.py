"""Property-based contract test: generated requests against every operation of the OpenAPI document.

Schemathesis reads /api/schema/ and calls the WSGI application in-process: no 5xx, and every response (status code,
content type, headers, body) conforms to the schema; requests the schema forbids are refused. Reads run
anonymously, writes with an editor's token, over the ``registry`` data set plus indicators and observations.
Path parameters are drawn from the identifiers in the database half of the time, so details, updates and deletes
reach real records rather than only answering 404.

``positive_data_acceptance`` is left out: whether a write (or a filter naming a code) is accepted depends on the
rows in the database (existing codes, unique slugs, the status ladder), which no schema can say; the strict-input
and write tests cover those answers.
"""

import datetime
import os
from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType

import pytest
import schemathesis
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from rest_framework.throttling import AnonRateThrottle
from schemathesis.specs.openapi.checks import positive_data_acceptance

from registry.wsgi import application
from tests import factories
from tests.api_fixtures import editor_user

# The in-process WSGI transport does not undo content codings (gzip, br, zstd) as an HTTP client does.
IDENTITY = {"Accept-Encoding": "identity"}
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# CONTRACT_EXAMPLES / CONTRACT_RANDOM widen the search locally; the suite runs a fixed, reproducible sample.
CONTRACT_SETTINGS = settings(
    max_examples=int(os.environ.get("CONTRACT_EXAMPLES", "15")),
    derandomize=not os.environ.get("CONTRACT_RANDOM"),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# The table behind each kind of path parameter: (path prefix, app label, model, identifier field).
IDENTIFIERS = [
    ("/api/v1/projects/", "projects", "Project", "slug"),
    ("/api/v1/corridors/", "projects", "Corridor", "code"),
    ("/api/v1/pillars/", "projects", "Pillar", "code"),
    ("/api/v1/sectors/", "projects", "Sector", "code"),
    ("/api/v1/provinces/", "projects", "Province", "code"),
    ("/api/v1/organisations/", "projects", "Organisation", "slug"),
    ("/api/v1/sources/", "projects", "Source", "id"),
    ("/api/v1/status-changes/", "projects", "StatusChange", "id"),
    ("/api/v1/investments/", "projects", "InvestmentFigure", "id"),
    ("/api/v1/indicators/", "indicators", "Indicator", "code"),
    ("/api/v1/observations/", "indicators", "Observation", "id"),
]


# The identifiers of the running test (``known_identifiers``), by path prefix; None outside such a test.
_known: ContextVar[Mapping[str, tuple] | None] = ContextVar("contract_known_identifiers", default=None)


@pytest.fixture
def known_identifiers(contract_data):
    """The identifiers in the database when the test starts, by path prefix, for the test's whole run: Hypothesis
    replays cases and needs the same choices each time, even after a generated DELETE removed the row (which then
    answers 404). Read once, never changed, and gone with the test."""
    known = {
        prefix: tuple(sorted(apps.get_model(app_label, model_name).objects.values_list(field, flat=True)))
        for prefix, app_label, model_name, field in IDENTIFIERS
    }
    token = _known.set(MappingProxyType(known))
    yield
    _known.reset(token)


def existing_identifiers(path: str) -> tuple:
    known = _known.get() or {}
    return next((identifiers for prefix, identifiers in known.items() if path.startswith(prefix)), ())


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half of the time, replace the generated identifier with one that exists."""
    if context.operation is None or not path_parameters or len(path_parameters) != 1:
        return st.just(path_parameters)
    known = existing_identifiers(context.operation.path)
    if not known:
        return st.just(path_parameters)
    (name,) = path_parameters
    return st.one_of(st.just(path_parameters), st.sampled_from(known).map(lambda value: {name: value}))


@pytest.fixture
def in_process_wsgi(db, monkeypatch):
    """Let in-process WSGI requests run inside the test's transaction, as Django's own test client does.

    Django's WSGI handler closes "unusable" connections when a request starts and finishes, and a connection inside
    the test's transaction (not in autocommit mode) counts as one: it would be closed mid-test. Rather than commit
    the data (``transactional_db``, a flush per test), the handler is disconnected, as the test client does.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": None})  # no 429s from the many requests
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def contract_data(registry, vocab):
    """The API test registry, plus indicators with national and project observations."""
    growth = factories.IndicatorFactory(code="sez-exports", unit="usd-million", level="outcome")
    factories.ObservationFactory(indicator=growth, value="120.5")
    factories.ObservationFactory(
        indicator=growth, period_start=datetime.date(2024, 1, 1), period_end=datetime.date(2024, 12, 31)
    )
    factories.ObservationFactory(indicator=growth, scope="corridor", corridor=vocab["corridors"]["growth"])
    factories.ObservationFactory(indicator=growth, scope="project", project=registry["karot"], value="0.5")
    factories.IndicatorFactory(code="power-outage-hours")
    return registry


@pytest.fixture
def editor_token(db):
    return AuthToken.objects.create(user=editor_user("contract-editor"))[1]


@schema.include(method="GET").parametrize()
@CONTRACT_SETTINGS
def test_read_operation_conforms_to_schema(case, in_process_wsgi, known_identifiers):
    case.call_and_validate(headers=IDENTITY, excluded_checks=[positive_data_acceptance])


@schema.exclude(method="GET").parametrize()
@CONTRACT_SETTINGS
def test_write_operation_conforms_to_schema(case, in_process_wsgi, known_identifiers, editor_token):
    case.call_and_validate(
        headers={**IDENTITY, "Authorization": f"Token {editor_token}"}, excluded_checks=[positive_data_acceptance]
    )


# --- what the fuzzer found, pinned as examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/investments/?project=%25CC",
        "/api/v1/projects/?corridor=100%25",
        "/api/v1/stats/investment/?group_by=corridor&sector=%25s",
        "/api/v1/changes/?model=%25d",
    ],
)
def test_contract_filter_value_with_percent_sign_is_400(api, registry, path):
    response = api.get(path)

    assert response.status_code == 400
    assert "%" in str(response.json())


@pytest.mark.parametrize("path", ["/api/v1/investments/0.5/", "/api/v1/projects/%C2%84/", "/api/v1/sources/x.y/"])
def test_contract_malformed_identifier_is_json_404(api, registry, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["detail"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/organisations/", {"slug": "zero", "name": 0, "kind": "private"}, "name"),
        ("/api/v1/sources/", {"title": "A title", "publisher": 0}, "publisher"),
        ("/api/v1/sources/", {"title": "A title", "published_on": 20200101}, "published_on"),
        ("/api/v1/projects/karot-hydropower/", {"latitude": "33.6", "longitude": "73.6"}, "latitude"),
        ("/api/v1/projects/karot-hydropower/", {"pillars": {"energy": 1}}, "pillars"),
        ("/api/v1/projects/karot-hydropower/", {"sources": ["1"]}, "sources"),
    ],
)
def test_contract_write_of_wrong_json_type_is_400(editor_api, registry, path, body, field):
    method = editor_api.post if path.endswith("s/") else editor_api.patch

    response = method(path, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_contract_wrong_json_type_in_investment_names_the_type(editor_api, registry):
    body = {"project": "karot-hydropower", "kind": "committed", "amount": "12", "as_of": "2020-01-01", "source": 1}

    response = editor_api.post("/api/v1/investments/", body, format="json")

    assert response.status_code == 400
    assert response.json()["amount"] == ["Expected a number, got a string."]


@pytest.mark.parametrize("query", ["page=null", "page=0", "page_size=501", "page_size=x"])
def test_contract_export_refuses_malformed_paging(api, registry, query):
    response = api.get(f"/api/v1/status-changes/?format=csv&{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_contract_schema_documents_anonymous_reads_and_authenticated_writes(api, db):
    paths = api.get("/api/schema/?format=json").json()["paths"]

    assert {} in paths["/api/v1/projects/"]["get"]["security"]
    assert {} not in paths["/api/v1/projects/"]["post"]["security"]


def test_contract_schema_documents_exports_as_csv_and_geojson(api, db):
    content = api.get("/api/schema/?format=json").json()["paths"]["/api/v1/projects/"]["get"]["responses"]["200"]

    geojson = content["content"]["application/geo+json"]["schema"]
    assert content["content"]["text/csv"]["schema"]["type"] == "string"
    assert geojson["properties"]["features"]["items"]["properties"]["properties"] == {
        "$ref": "#/components/schemas/Project"
    }


def test_contract_schema_documents_page_bounds(api, db):
    parameters = api.get("/api/schema/?format=json").json()["paths"]["/api/v1/projects/"]["get"]["parameters"]

    by_name = {parameter["name"]: parameter for parameter in parameters}
    assert by_name["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert by_name["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}


def test_contract_stats_does_not_document_ordering(api, db):
    parameters = api.get("/api/schema/?format=json").json()["paths"]["/api/v1/stats/investment/"]["get"]["parameters"]

    assert "ordering" not in {parameter["name"] for parameter in parameters}


@pytest.mark.parametrize("method", ["trace", "put"])
def test_contract_undeclared_method_is_405_before_query_is_judged(api, db, method):
    response = api.generic(method.upper(), "/api/v1/stats/investment/?ordering=name&nonsense=1")

    assert response.status_code == 405
