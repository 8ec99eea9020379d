import json

import pytest

from projects.models import Organisation


@pytest.mark.parametrize(
    "query",
    [
        "search=' OR 1=1 --",
        "search=%27%3B DROP TABLE projects_project%3B --",
        "search=%25",
        "search=_",
    ],
)
def test_sql_looking_search_is_treated_as_literal(api, registry, query):
    response = api.get(f"/api/v1/projects/?{query}")

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_sql_looking_slug_is_404(api, registry):
    response = api.get("/api/v1/projects/karot' OR '1'='1/")

    assert response.status_code == 404


def test_oversized_json_body_is_refused(editor_api, registry, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {
        "slug": "big-org",
        "name": "Big",
        "kind": "private",
        "country": "PK",
        "website": "",
        "padding": "x" * 20_000,
    }

    response = editor_api.post("/api/v1/organisations/", json.dumps(body), content_type="application/json")

    assert response.status_code == 413
    assert "too large" in response.json()["detail"].lower()
    assert not Organisation.objects.filter(slug="big-org").exists()


def test_oversized_search_term_is_handled(api, registry):
    response = api.get("/api/v1/projects/?search=" + "a" * 5000)

    assert response.status_code == 200
    assert response.json()["count"] == 0
