"""What the admin's pages read like: ISO dates, money in USD millions with the original currency, stale only as a
warning, readable names for every row, one title, and a "View site" that leads somewhere."""

import datetime
import re
from decimal import Decimal

import pytest

from projects import choices
from projects.models import InvestmentFigure, Project
from tests.factories import (
    OrganisationFactory,
    PillarFactory,
    add_figure,
    add_participant,
    add_rate,
    add_status,
    make_project,
)

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def karot(db):
    add_rate("PKR", 2016, "0.0095")
    project = make_project(
        slug="karot", name="Karot Hydropower Project", pillars=[PillarFactory(code="energy", name="Energy")]
    )
    add_status(project, choices.Status.IMPLEMENTATION, D(2016, 12, 1))  # more than 4 years ago: stale
    add_figure(project, choices.InvestmentKind.ANNOUNCED, "174000000000", currency="PKR", as_of=D(2016, 2, 1))
    add_participant(project, OrganisationFactory(slug="three-gorges", name="China Three Gorges"))
    return project


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_change_form_shows_iso_dates_everywhere(admin_client, karot):
    html = page(admin_client, f"/admin/projects/project/{karot.pk}/change/")

    assert 'name="status_changes-0-date" value="2016-12-01"' in html
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}</div>", html)  # created and updated
    assert not re.search(r"\d{2}/\d{2}/\d{4}|\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}", html)


def test_change_form_money_in_usd_millions_with_the_original_currency(admin_client, karot):
    html = page(admin_client, f"/admin/projects/project/{karot.pk}/change/")

    assert "USD 1,653.0 M (from PKR 174,000.0 M)" in html  # the headline, read-only
    assert "USD 1,653.0 M (converted, from PKR 174,000.0 M)" in html  # the figure's row


def test_stale_project_shows_a_warning_and_a_current_one_does_not(admin_client, karot):
    current = make_project(slug="current")
    add_status(current, choices.Status.OPERATIONAL, D(2016, 12, 1))

    stale_html = page(admin_client, f"/admin/projects/project/{karot.pk}/change/")
    current_html = page(admin_client, f"/admin/projects/project/{current.pk}/change/")
    listed = page(admin_client, "/admin/projects/project/")

    assert "Stale: Implementation since 2016-12-01, no newer status change in over 4 years" in stale_html
    assert "stale-warning" not in current_html and "icon-no.svg" not in current_html
    assert listed.count('class="stale-warning"') == 1


def test_changelist_money_and_dates_are_compact(admin_client, karot):
    html = page(admin_client, "/admin/projects/project/")

    assert "USD 1,653.0 M" in html
    assert f'<td class="field-updated_on">{karot.updated_at.date().isoformat()}</td>' in html


def test_every_row_of_a_project_deletion_has_a_readable_name(admin_client, karot):
    html = page(admin_client, f"/admin/projects/project/{karot.pk}/delete/")

    assert "object (" not in html
    assert "Karot Hydropower Project: pillar Energy" in html
    assert "Karot Hydropower Project: province Punjab" in html
    assert "Announced PKR 174,000.0 M (2016-02-01)" in html
    assert "China Three Gorges (Sponsor)" in html


def test_figure_name_reads_as_money():
    figure = InvestmentFigure(kind="realised", amount=Decimal("1650000000"), currency="USD", as_of=D(2022, 6, 29))

    assert str(figure) == "Realised USD 1,650.0 M (2022-06-29)"


def test_recovery_page_shows_its_title_once(admin_client):
    html = page(admin_client, "/admin/projects/project/recover-deleted/")

    assert html.count("Recover deleted projects</h1>") == 1


def test_view_site_leads_to_the_landing_page(admin_client):
    html = page(admin_client, "/admin/")

    assert '<a href="/">View site</a>' in html
    assert admin_client.get("/").status_code == 200


def test_admin_pages_load_the_registry_script_and_style_from_static_files(admin_client, karot):
    html = page(admin_client, f"/admin/projects/project/{karot.pk}/change/")

    assert '<script src="/static/registry/admin.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/registry/admin.css">' in html
    assert "<script>" not in html  # the Content-Security-Policy allows no inline script
    assert Project.objects.count() == 1
