"""The browsable API in a real browser: it renders with its own static files, nothing from outside, no CSP errors."""

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/projects/?corridor=green", "/api/v1/projects/karot-hydropower/"])
def test_browsable_api_renders_with_no_external_request(page, screenshot, path):
    corridor = factories.CorridorFactory(code="green", name="Green Corridor")
    factories.make_project(slug="karot-hydropower", name="Karot Hydropower Project", corridor=corridor)

    page.goto(path, wait_until="networkidle")

    screenshot(page, "browsable-" + path.strip("/").replace("/", "-").replace("?", "-"))
    assert page.locator(".response-info").count() == 1
    assert page.external_requests == []
    assert page.problems == []
