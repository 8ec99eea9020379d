"""A visitor opens the landing page in a real browser, at a laptop's and at a phone's width."""

import datetime

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published():
    corridor = factories.CorridorFactory(code="green", name="Green Corridor")
    project = factories.make_project(slug="karot-hydropower", name="Karot Hydropower Project", corridor=corridor)
    factories.add_status(project, "operational", datetime.date(2022, 6, 29))
    factories.add_figure(project, "announced", "1420000000", as_of=datetime.date(2016, 1, 1))
    factories.add_figure(project, "realised", "1698000000", as_of=datetime.date(2022, 6, 29))
    return project


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)], ids=["laptop", "phone"])
def test_landing_page_reads_at_laptop_and_phone_width(page, published, screenshot, width, height):
    page.set_viewport_size({"width": width, "height": height})

    page.goto("/")

    expect(page.locator("#count-projects")).to_have_text("1")
    expect(page.locator("#total-announced")).to_have_text("US$1.4 bn")
    visible_chart = page.locator("#corridor-heading + figure svg:visible")
    expect(visible_chart).to_have_count(1)
    expect(visible_chart.locator("text.chart-category")).to_have_text(["Green Corridor"])
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    screenshot(page, f"landing-{width}")
    assert page.external_requests == []
    assert page.problems == []


def test_landing_page_links_lead_to_working_pages(page, published):
    page.goto("/")

    page.get_by_role("link", name="API root").click()

    expect(page).to_have_url(f"{page.url.split('/api/')[0]}/api/v1/")
    assert page.external_requests == []
    assert page.problems == []
