"""The API's documentation pages and the admin's login load nothing from outside the registry."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_redoc_renders_the_schema_with_no_external_request(page, screenshot):
    page.goto("/api/redoc/")

    expect(page.get_by_role("heading", name="CPEC Project Registry API (1.0.0)")).to_be_visible()
    expect(page.get_by_role("heading", name="List projects")).to_be_visible()
    screenshot(page, "redoc", full_page=False)  # the whole reference is many screens tall: seconds to render
    assert page.external_requests == []
    assert page.problems == []


def test_swagger_ui_renders_the_schema_with_no_external_request(page):
    page.goto("/api/docs/")

    expect(page.locator(".swagger-ui .title")).to_contain_text("CPEC Project Registry API")
    assert page.external_requests == []
    assert page.problems == []


def test_admin_login_page_has_no_external_request(page):
    page.goto("/admin/login/")

    expect(page.locator("#id_username")).to_be_visible()
    assert page.external_requests == []
    assert page.problems == []
