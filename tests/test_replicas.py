import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from registry.routers import ReplicaRouter, _read_from_replica
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica_0"])


@pytest.fixture
def replica_reads(settings):
    settings.REPLICA_READS = True
    yield
    connections["replica_0"].close()


def _query_counts(call):
    with (
        CaptureQueriesContext(connections["replica_0"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        response = call()
    return response, len(replica), len(primary)


def test_replica_api_get_reads_from_replica(api, vocab, replica_reads, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    factories.make_project(slug="karot-hydropower", corridor=vocab["corridors"]["green"])

    response, replica, primary = _query_counts(lambda: api.get("/api/v1/projects/"))

    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["results"]] == ["karot-hydropower"]
    assert replica > 0
    assert primary == 0


def test_replica_editor_get_reads_from_replica(editor_api, vocab, replica_reads):
    factories.make_project(slug="karot-hydropower", corridor=vocab["corridors"]["green"])

    response, replica, primary = _query_counts(lambda: editor_api.get("/api/v1/projects/"))

    assert response.status_code == 200
    assert replica > 0
    assert primary == 0


def test_replica_response_cache_miss_reads_primary_and_hit_reads_nothing(api, vocab, replica_reads):
    """What the response cache keeps under the data version is read from the primary: a lagging replica could
    still show rows from before the write that made the version."""
    factories.make_project(slug="karot-hydropower", corridor=vocab["corridors"]["green"])

    miss, miss_replica, miss_primary = _query_counts(lambda: api.get("/api/v1/projects/"))
    hit, hit_replica, hit_primary = _query_counts(lambda: api.get("/api/v1/projects/"))

    assert (miss.status_code, hit.status_code) == (200, 200)
    assert hit.content == miss.content
    assert miss_replica == 0
    assert miss_primary > 0
    assert (hit_replica, hit_primary) == (0, 0)


def test_replica_api_write_uses_primary_only(editor_api, vocab, replica_reads):
    body = {"slug": "acme-zone", "name": "Acme", "kind": "private", "country": "PK"}

    response, replica, primary = _query_counts(lambda: editor_api.post("/api/v1/organisations/", body, format="json"))

    assert response.status_code == 201
    assert replica == 0
    assert primary > 0


def test_replica_admin_reads_from_primary(client, vocab, replica_reads, editor):
    client.force_login(editor)

    response, replica, primary = _query_counts(lambda: client.get("/admin/projects/project/"))

    assert response.status_code == 200
    assert replica == 0
    assert primary > 0


def test_replica_router_outside_requests_uses_primary(settings):
    settings.REPLICA_READS = True

    assert _read_from_replica.get() is False
    assert ReplicaRouter().db_for_read(None) == "default"
    assert ReplicaRouter().db_for_write(None) == "default"
    assert ReplicaRouter().allow_migrate("replica_0", "projects") is False
