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


def test_cors_get_allowed_from_any_origin(api, registry):
    response = api.get("/api/v1/projects/", HTTP_ORIGIN="https://researcher.example")

    assert response["Access-Control-Allow-Origin"] == "https://researcher.example"


def test_cors_write_preflight_refused_from_unknown_origin(api, registry):
    response = api.options(
        "/api/v1/projects/", HTTP_ORIGIN="https://unknown.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )

    assert "Access-Control-Allow-Origin" not in response


def test_cors_write_preflight_allowed_from_configured_origin(api, registry, settings):
    settings.CORS_WRITE_ORIGINS = ["https://editors.example"]

    response = api.options(
        "/api/v1/projects/", HTTP_ORIGIN="https://editors.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )

    assert response["Access-Control-Allow-Origin"] == "https://editors.example"


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
