from django.core.management import call_command


def test_schema_validates_without_warnings(tmp_path):
    schema_file = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema_file))

    assert schema_file.read_text().startswith("openapi: 3.0.3")


def test_schema_served_as_json(client, db):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "CPEC Project Registry API"


def test_docs_swagger_ui_served_from_local_static_files(client, db):
    response = client.get("/api/docs/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower()


def test_docs_redoc_served_from_the_registry(client, db):
    response = client.get("/api/redoc/")

    body = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/api/redoc/redoc.standalone.js"></script>' in body
    assert "cdn" not in body.lower()


def test_api_root_lists_schema_and_docs(client, db):
    response = client.get("/api/v1/")

    assert response.status_code == 200
    assert response.json()["schema"] == "http://testserver/api/schema/"
    assert response.json()["docs"] == "http://testserver/api/docs/"


def test_admin_login_page_renders(client, db):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert "CPEC Project Registry" in response.content.decode()
