"""An editor works in the admin through a real browser: inlines, autocomplete, derived fields, rule errors."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import expect

from projects import choices
from projects.models import Project
from tests.factories import CorridorFactory, PillarFactory, SectorFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def editor(django_user_model):
    call_command("setup_editors", stdout=io.StringIO())
    user = django_user_model.objects.create_user(username="amina", password="a-long-editor-pass", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


def pick_autocomplete(page, select_id, term, label):
    """Choose an option in a select2 autocomplete: open it, type, click the result."""
    page.locator(f"#{select_id} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(term)
    page.locator(".select2-results__option", has_text=label).click()
    expect(page.locator(f"#{select_id} + .select2 .select2-selection__rendered")).to_contain_text(label)


def test_editor_adds_project_with_inlines_and_meets_status_rule(page, editor, tmp_path):
    CorridorFactory(code="green", name="Green Corridor")
    PillarFactory(code="energy", name="Energy")
    hydro = SectorFactory(code="energy-hydro", name="Hydropower", parent=SectorFactory(code="energy", name="Energy"))
    SourceFactory(title="PPIB project list", publisher="PPIB")

    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "amina")
    page.fill("#id_password", "a-long-editor-pass")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_have_text("CPEC Project Registry")
    # The admin's stylesheet loaded under the Content-Security-Policy: the header has its dark background.
    header_colour = page.eval_on_selector("#header", "element => getComputedStyle(element).backgroundColor")
    assert header_colour not in ("rgba(0, 0, 0, 0)", "transparent")

    page.goto("/admin/projects/project/add/")
    page.locator("#id_name").press_sequentially("Karot Hydropower Project")
    expect(page.locator("#id_slug")).to_have_value("karot-hydropower-project")  # prepopulated by the admin's JS
    page.select_option("#id_phase", choices.Phase.CPEC_1)
    page.select_option("#id_corridor", label="Green Corridor")
    page.check("#id_pillars input[type=checkbox] >> nth=0")
    page.select_option("#id_sector", value=str(hydro.pk))
    page.get_by_label("Punjab").check()
    page.get_by_label("Azad Jammu and Kashmir").check()

    page.locator("#status_changes-group .add-row a").click()
    page.select_option("#id_status_changes-0-status", choices.Status.IMPLEMENTATION)
    page.fill("#id_status_changes-0-date", "2016-12-01")
    pick_autocomplete(page, "id_status_changes-0-source", "PPIB", "PPIB project list")

    page.locator("#investments-group .add-row a").click()
    page.select_option("#id_investments-0-kind", choices.InvestmentKind.ANNOUNCED)
    page.fill("#id_investments-0-amount", "1698000000")
    expect(page.locator("#id_investments-0-currency")).to_have_value("USD")
    page.fill("#id_investments-0-as_of", "2016-02-01")
    pick_autocomplete(page, "id_investments-0-source", "PPIB", "PPIB project list")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    row = page.locator("#result_list tbody tr", has_text="Karot Hydropower Project")
    expect(row).to_contain_text("Implementation")
    expect(row).to_contain_text("USD 1,698.0 M")
    expect(row).to_contain_text("PK-JK, PK-PB")
    page.screenshot(path=tmp_path / "changelist.png", full_page=True)
    project = Project.objects.get(slug="karot-hydropower-project")
    assert (project.status, project.status_since, project.announced_usd) == (
        choices.Status.IMPLEMENTATION,
        datetime.date(2016, 12, 1),
        Decimal("1698000000.00"),
    )

    row.get_by_role("link", name="Karot Hydropower Project").click()
    page.locator("#status_changes-group .add-row a").click()
    page.select_option("#id_status_changes-1-status", choices.Status.PIPELINE)
    page.fill("#id_status_changes-1-date", "2020-01-01")
    pick_autocomplete(page, "id_status_changes-1-source", "PPIB", "PPIB project list")
    page.click("input[name=_save]")

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#status_changes-1 .errorlist")).to_have_text(
        "A project cannot move back from implementation to pipeline; a backward move is allowed only from suspended."
    )
    page.screenshot(path=tmp_path / "backward-status-error.png", full_page=True)
    assert project.status_changes.count() == 1
    assert page.problems == []
