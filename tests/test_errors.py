"""Every error the app gives on an API path is JSON: from Django itself (host, slash, CSRF, 500, database outage)
as well as from the API views (405); other paths keep Django's pages."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from registry.api.root import ApiRootView
from tests.outages import UNREACHABLE_DATABASES, request_without_database


@pytest.fixture
def client_500():
    """A client that returns the 500 response instead of raising the view's exception into the test."""
    return Client(raise_request_exception=False)


def test_bad_host_header_on_api_path_is_json_400(client_500, db):
    response = client_500.get("/api/v1/projects/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert response.json() == {"detail": "The Host header names a host this site does not serve."}


def test_bad_host_header_on_admin_stays_html_400(client_500, db):
    response = client_500.get("/admin/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_unhandled_exception_in_api_view_is_json_500(client_500, db, monkeypatch):
    def fail(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ApiRootView, "get", fail)

    response = client_500.get("/api/v1/")

    assert response.status_code == 500
    assert response.json() == {"detail": "The registry failed to answer this request; the error has been logged."}


@pytest.mark.urls("tests.error_urls")
def test_unhandled_exception_in_plain_view_under_api_is_json_500(client_500, db):
    response = client_500.get("/api/v1/failing/")

    assert response.status_code == 500
    assert response.json() == {"detail": "The registry failed to answer this request; the error has been logged."}


@pytest.mark.urls("tests.error_urls")
def test_unhandled_exception_outside_api_stays_html_500(client_500, db):
    response = client_500.get("/failing/")

    assert response.status_code == 500
    assert response["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("database_url", UNREACHABLE_DATABASES.values(), ids=UNREACHABLE_DATABASES.keys())
def test_database_outage_on_api_is_json_503(database_url):
    answer = request_without_database(database_url, "/api/v1/projects/?corridor=green")

    assert answer == {
        "status": 503,
        "content_type": "application/json",
        "body": {"detail": "The database is unavailable; try again in a moment."},
    }


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_api_url_without_trailing_slash_is_json_308_to_it(client_500, db, method):
    response = getattr(client_500, method)("/api/v1/projects?corridor=green", content_type="application/json")

    assert response.status_code == 308
    assert response["Location"] == "/api/v1/projects/?corridor=green"
    assert response.json() == {
        "detail": "This URL ends with a slash: /api/v1/projects/?corridor=green (repeat the request there)."
    }


def test_api_post_without_trailing_slash_under_debug_is_308_not_runtime_error(client_500, db, settings):
    settings.DEBUG = True

    response = client_500.post("/api/v1/organisations", {"slug": "hubco"}, content_type="application/json")

    assert response.status_code == 308
    assert response["Location"] == "/api/v1/organisations/"


def test_api_post_followed_to_the_slash_keeps_method_and_body(editor_api, registry):
    body = {"slug": "hubco", "name": "Hubco", "kind": "private", "country": "PK"}

    response = editor_api.post("/api/v1/organisations", body, format="json", follow=True)

    assert response.redirect_chain == [("/api/v1/organisations/", 308)]
    assert response.status_code == 201
    assert response.json()["slug"] == "hubco"


def test_unknown_api_url_without_slash_is_json_404(client_500, db):
    response = client_500.post("/api/v1/nowhere", content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/corridors/"),
        ("delete", "/api/v1/"),
        ("put", "/api/schema/"),
        ("post", "/api/docs/"),
        ("post", "/api/redoc/"),
        ("post", "/api/redoc/redoc.standalone.js"),  # a plain Django view (require_safe)
    ],
)
def test_method_not_allowed_on_api_is_json_405(client_500, db, method, path):
    response = getattr(client_500, method)(path)

    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


@pytest.mark.urls("tests.error_urls")
def test_csrf_failure_on_plain_api_view_is_json_403(db):
    User.objects.create_user(username="amina", password="x-editor-password", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.login(username="amina", password="x-editor-password")

    response = client.post("/api/v1/plain-form/", {"anything": "x"})

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}


def test_csrf_failure_on_admin_stays_html_403(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "amina", "password": "x"})

    assert response.status_code == 403
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_api_over_plain_http_with_ssl_redirect_is_json_308_to_https(client_500, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client_500.post("/api/v1/organisations/?x=1", {"slug": "hubco"}, content_type="application/json")

    assert response.status_code == 308
    assert response["Location"] == "https://testserver/api/v1/organisations/?x=1"
    assert response.json() == {"detail": "This API is served over HTTPS only: repeat the request there."}


def test_admin_over_plain_http_with_ssl_redirect_stays_a_301(client_500, db, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client_500.get("/admin/login/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"


def test_schema_documents_the_database_outage_on_every_operation(api, db):
    paths = api.get("/api/schema/?format=json").json()["paths"]

    operations = [operation for methods in paths.values() for operation in methods.values()]
    assert operations
    assert all(
        operation["responses"]["503"]["description"] == "The database is unavailable: try again in a moment."
        for operation in operations
    )


def test_schema_documents_the_too_long_request_line_on_every_operation(api, db):
    paths = api.get("/api/schema/?format=json").json()["paths"]

    operations = [operation for methods in paths.values() for operation in methods.values()]
    assert operations
    assert all(
        operation["responses"]["414"]
        == {
            "description": "The request line is over 8,190 bytes: send fewer or shorter query parameters (or split "
            "the request)."
        }
        for operation in operations
    )
