"""The ReDoc page and its bundle point at nothing outside the registry."""

import pytest

pytestmark = pytest.mark.django_db


def test_redoc_page_names_no_external_font_or_script(client):
    response = client.get("/api/redoc/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "googleapis" not in html and "gstatic" not in html
    assert '<script src="/api/redoc/redoc.standalone.js"></script>' in html
    assert '<redoc spec-url="/api/schema/"></redoc>' in html


def test_redoc_bundle_shows_the_registry_icon_instead_of_redoclys_logo(client):
    response = client.get("/api/redoc/redoc.standalone.js")

    script = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert "cdn.redoc.ly" not in script
    assert 'src:"/static/registry/favicon.svg"' in script
