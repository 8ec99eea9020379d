import json

import pytest
from rest_framework.exceptions import ParseError

from projects.models import Organisation
from registry.api.parsers import MAX_DEPTH, TOO_DEEP, check_structure


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


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


@pytest.mark.parametrize(
    "body",
    [nested_lists(5000), nested_objects(5000), nested_lists(MAX_DEPTH + 1)],
    ids=["lists-5000-deep", "objects-5000-deep", "lists-33-deep"],
)
def test_deeply_nested_json_body_is_400_naming_the_limit(editor_api, registry, body):
    response = editor_api.patch("/api/v1/projects/karot-hydropower/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}
    assert TOO_DEEP == "The request body is nested more than 32 arrays or objects deep, which is never valid here."


def test_check_structure_accepts_the_depth_limit_and_refuses_one_more():
    check_structure(json.loads(nested_objects(MAX_DEPTH)))

    with pytest.raises(ParseError) as refused:
        check_structure(json.loads(nested_objects(MAX_DEPTH + 1)))

    assert str(refused.value.detail) == TOO_DEEP


def test_nul_deep_inside_an_allowed_body_is_refused():
    body = json.loads(nested_objects(MAX_DEPTH - 1).replace("1", r'"a\u0000b"'))

    with pytest.raises(ParseError) as refused:
        check_structure(body)

    assert "NUL" in str(refused.value.detail)
