import pytest
from django.conf import settings


def test_throttling_anonymous_gets_429_with_retry_after(api, registry, low_anon_rate):
    statuses = [api.get("/api/v1/corridors/").status_code for _ in range(3)]

    response = api.get("/api/v1/corridors/")

    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_throttling_does_not_apply_to_authenticated_editors(editor_api, registry, low_anon_rate):
    statuses = {editor_api.get("/api/v1/corridors/").status_code for _ in range(5)}

    assert statuses == {200}


def test_throttling_default_rate_is_documented_value():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["registry.throttling.AnonRateThrottle"]


EXPOSED = "Content-Disposition, ETag, Link, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
ALLOWED_HEADERS = (
    "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with, if-match, if-none-match"
)


def preflight(api, path: str, origin: str, method: str, headers: str = ""):
    extra = {"HTTP_ACCESS_CONTROL_REQUEST_HEADERS": headers} if headers else {}
    return api.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method, **extra)


@pytest.fixture
def write_origin(settings):
    settings.CORS_WRITE_ORIGINS = ["https://editors.example"]
    return "https://editors.example"


def test_cors_get_allowed_from_any_origin_and_exposes_caching_and_paging_headers(api, registry):
    response = api.get("/api/v1/projects/", HTTP_ORIGIN="https://researcher.example")

    assert response["Access-Control-Allow-Origin"] == "https://researcher.example"
    assert response["Access-Control-Expose-Headers"] == EXPOSED
    assert "Access-Control-Allow-Methods" not in response


def test_cors_preflight_from_read_only_origin_advertises_only_reads(api, registry):
    response = preflight(api, "/api/v1/projects/", "https://researcher.example", "GET", "if-none-match")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://researcher.example"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == ALLOWED_HEADERS
    assert response["Access-Control-Max-Age"] == "600"


def test_cors_write_preflight_refused_from_read_only_origin(api, registry):
    response = preflight(api, "/api/v1/projects/", "https://researcher.example", "POST")

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_cors_preflight_from_write_origin_advertises_every_method(api, registry, write_origin, method):
    response = preflight(api, "/api/v1/projects/karot-hydropower/", write_origin, method, "if-match")

    assert response["Access-Control-Allow-Origin"] == write_origin
    assert response["Access-Control-Allow-Methods"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert response["Access-Control-Allow-Headers"] == ALLOWED_HEADERS
    assert response["Access-Control-Max-Age"] == "600"


def test_cors_write_from_write_origin_exposes_headers(editor_api, registry, write_origin):
    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/", {"summary": "Run-of-river."}, format="json", HTTP_ORIGIN=write_origin
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == write_origin
    assert response["Access-Control-Expose-Headers"] == EXPOSED


@pytest.mark.parametrize("path", ["/admin/login/", "/healthz"])
def test_cors_not_offered_outside_the_api(api, db, write_origin, path):
    read = preflight(api, path, "https://researcher.example", "GET")
    write = preflight(api, path, write_origin, "POST")

    for response in (read, write):
        assert not [header for header in response.headers if header.lower().startswith("access-control-")]


def test_security_headers_on_api_responses(api, registry):
    response = api.get("/api/v1/projects/", secure=True)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_hsts_not_sent_over_plain_http(api, registry):
    response = api.get("/api/v1/projects/")

    assert "Strict-Transport-Security" not in response


def test_nul_byte_in_query_string_is_400(api, db):
    response = api.get("/api/v1/projects/?search=a%00b")

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
