"""The editors' workflows of issue 11 end to end in a real browser at 1366 x 768, each with screenshots: a figure's
currency changed, a concurrent edit refused, a bulk import of 30 projects fixed after its preview, and an invalid
status transition shown next to its field."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import expect

from projects import choices
from projects.models import InvestmentFigure, Project
from tests.browser.conftest import VIEWPORT
from tests.factories import (
    CorridorFactory,
    IndicatorFactory,
    ObservationFactory,
    OrganisationFactory,
    PillarFactory,
    SectorFactory,
    SourceFactory,
    add_figure,
    add_rate,
    add_status,
    make_project,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-editor-pass"
D = datetime.date


@pytest.fixture
def editors(django_user_model):
    call_command("setup_editors", stdout=io.StringIO())
    group = Group.objects.get(name="editors")
    for username in ("amina", "bilal"):
        user = django_user_model.objects.create_user(username=username, password=PASSWORD, is_staff=True)
        user.groups.add(group)


@pytest.fixture
def karot(editors):
    hydro = SectorFactory(code="energy-hydro", name="Hydropower", parent=SectorFactory(code="energy", name="Energy"))
    project = make_project(
        slug="karot-hydropower",
        name="Karot Hydropower Project",
        corridor=CorridorFactory(code="green", name="Green Corridor"),
        pillars=[PillarFactory(code="energy", name="Energy")],
        sector=hydro,
        provinces=["PK-PB", "PK-JK"],
        place_name="Karot, Jhelum River",
    )
    source = SourceFactory(title="PPIB project list", publisher="PPIB")
    add_status(project, choices.Status.MOU, D(2014, 4, 20), source=source)
    add_status(project, choices.Status.IMPLEMENTATION, D(2016, 12, 1), source=source)
    add_figure(project, choices.InvestmentKind.ANNOUNCED, "1698000000", as_of=D(2016, 2, 1), source=source)
    return project


def log_in(tab, username="amina"):
    tab.goto("/admin/login/?next=/admin/")
    tab.fill("#id_username", username)
    tab.fill("#id_password", PASSWORD)
    tab.click("input[type=submit]")
    expect(tab.locator("#site-name")).to_have_text("CPEC Project Registry")
    return tab


def page_width(tab) -> int:
    """The width the page needs: of the page itself, and of any list, inline or fieldset scrolling inside it."""
    return tab.evaluate(
        "() => Math.max(document.documentElement.scrollWidth,"
        " ...[...document.querySelectorAll('.results, .inline-group, fieldset')].map(e => e.scrollWidth))"
    )


def fits_the_screen(tab):
    """Nothing wider than the screen: no sideways scrolling of the page, nor of the list inside it."""
    assert page_width(tab) <= VIEWPORT["width"]


def change_url(project):
    return f"/admin/projects/project/{project.pk}/change/"


def test_editor_changes_a_figures_currency_and_sees_it_converted(browser_context, karot, screenshots):
    add_rate("PKR", 2016, "0.0095")
    tab = log_in(browser_context())
    tab.goto(change_url(karot))
    fits_the_screen(tab)
    tab.screenshot(path=screenshots / "figure-currency-form.png", full_page=True)

    tab.fill("#id_investments-0-currency", "PKR")
    tab.locator("#id_investments-0-currency").scroll_into_view_if_needed()
    tab.screenshot(path=screenshots / "figure-currency-typed.png")
    tab.click("input[name=_continue]")

    expect(tab.locator(".messagelist .success")).to_contain_text("was changed successfully")
    expect(tab.locator("#investments-0 td.field-in_usd")).to_have_text("USD 16.1 M (converted, from PKR 1,698.0 M)")
    tab.locator("#investments-group").scroll_into_view_if_needed()
    tab.screenshot(path=screenshots / "figure-currency-saved.png")
    figure = InvestmentFigure.objects.get(project=karot)
    assert (figure.currency, figure.amount_usd, figure.amount_usd_converted) == ("PKR", Decimal("16131000.00"), True)
    tab.goto("/admin/projects/project/")
    expect(tab.locator("#result_list tbody tr", has_text="Karot")).to_contain_text("USD 16.1 M")
    fits_the_screen(tab)
    tab.screenshot(path=screenshots / "changelist.png")
    assert tab.problems == []


def test_second_editor_saving_over_the_first_is_refused_and_reloads(browser_context, karot, screenshots):
    amina, bilal = log_in(browser_context(), "amina"), log_in(browser_context(), "bilal")
    amina.goto(change_url(karot))
    bilal.goto(change_url(karot))

    amina.fill("#id_name", "Karot Hydropower Plant")
    amina.click("input[name=_save]")
    expect(amina.locator(".messagelist .success")).to_be_visible()
    bilal.fill("#id_place_name", "Karot, Kahuta")
    bilal.click("input[name=_save]")

    refusal = bilal.locator("ul.errorlist.nonfield")
    expect(refusal).to_contain_text("Someone else saved this project (by amina on ")
    expect(refusal).to_contain_text(
        "after you opened the page: Name: “Karot Hydropower Project” → “Karot Hydropower Plant”. Saving your page "
        "would undo their change, so nothing was saved. Your changes on this page, to make again: Place name: "
        "“Karot, Jhelum River” → “Karot, Kahuta”. Please reload the page to see their version."
    )
    expect(bilal.locator("p.errornote a.first-error-link")).to_be_visible()
    bilal.screenshot(path=screenshots / "concurrent-edit-refused.png")
    stored = Project.objects.get(pk=karot.pk)
    assert (stored.name, stored.place_name) == ("Karot Hydropower Plant", "Karot, Jhelum River")

    refusal.get_by_role("link", name="reload the page").click()
    expect(bilal.locator("#id_name")).to_have_value("Karot Hydropower Plant")
    bilal.fill("#id_place_name", "Karot, Kahuta")
    bilal.click("input[name=_save]")
    expect(bilal.locator(".messagelist .success")).to_be_visible()
    stored.refresh_from_db()
    assert (stored.name, stored.place_name) == ("Karot Hydropower Plant", "Karot, Kahuta")
    assert amina.problems == bilal.problems == []


PROJECT_HEADER = "slug,name,phase,corridor,pillars,sector,provinces,place_name,publication"


def jcc_file(bad: dict[int, dict] | None = None) -> bytes:
    lines = [PROJECT_HEADER]
    for number in range(1, 31):
        values = {
            "slug": f"jcc-project-{number:02d}",
            "name": f"JCC Project {number}",
            "phase": "2",
            "corridor": "green",
            "pillars": "energy",
            "sector": "energy-hydro",
            "provinces": "PK-PB",
            "place_name": f"Site {number}",
            "publication": "draft",
        } | (bad or {}).get(number, {})
        lines.append(";".join(values[column] for column in PROJECT_HEADER.split(",")))
    return ("\ufeff" + "\n".join(lines).replace(PROJECT_HEADER, PROJECT_HEADER.replace(",", ";"))).encode()


def test_editor_imports_thirty_projects_fixes_two_bad_rows_and_confirms(browser_context, karot, screenshots, tmp_path):
    tab = log_in(browser_context())
    tab.goto("/admin/projects/project/")
    tab.get_by_role("link", name="Import").click()
    tab.select_option("#id_resource", label="Projects")
    bad_file = tmp_path / "jcc-meeting.csv"
    bad_file.write_bytes(jcc_file({4: {"corridor": "blue"}, 22: {"provinces": "PK-XX"}}))
    tab.set_input_files("#id_import_file", str(bad_file))
    tab.select_option("#id_format", label="csv")
    tab.click("input[type=submit]")

    rows = tab.locator("table.import-invalid tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("corridor: No corridor with code 'blue'. Known: green.")
    expect(rows.nth(1)).to_contain_text("provinces: No province with code 'PK-XX'.")
    expect(rows.nth(1)).to_contain_text("jcc-project-22")
    fits_the_screen(tab)
    rows.nth(0).scroll_into_view_if_needed()
    tab.screenshot(path=screenshots / "import-errors.png")
    assert Project.objects.count() == 1

    fixed_file = tmp_path / "jcc-meeting-fixed.csv"
    fixed_file.write_bytes(jcc_file())
    tab.set_input_files("#id_import_file", str(fixed_file))
    tab.select_option("#id_resource", label="Projects")
    tab.select_option("#id_format", label="csv")
    tab.click("input[type=submit]")
    expect(tab.locator("table.import-preview tr.new")).to_have_count(30)
    fits_the_screen(tab)
    tab.screenshot(path=screenshots / "import-preview.png")
    assert Project.objects.count() == 1
    tab.click("input[name=confirm]")

    expect(tab.locator(".messagelist .success")).to_contain_text("30 new")
    assert Project.objects.count() == 31
    assert [entry.history_type for entry in Project.objects.get(slug="jcc-project-22").history.all()] == ["+"]
    tab.screenshot(path=screenshots / "import-done.png")
    assert tab.problems == []


def test_invalid_status_transition_is_shown_next_to_its_field(browser_context, karot, screenshots):
    tab = log_in(browser_context())
    tab.goto(change_url(karot))
    tab.locator("#status_changes-group .add-row a").click()
    tab.select_option("#id_status_changes-2-status", choices.Status.PIPELINE)
    tab.fill("#id_status_changes-2-date", "2020-01-01")
    tab.locator("#id_status_changes-2-source + .select2").click()
    tab.locator(".select2-container--open .select2-search__field").fill("PPIB")
    tab.locator(".select2-results__option", has_text="PPIB project list").click()
    tab.click("input[name=_save]")

    error = tab.locator("#status_changes-2 td.field-status ul.errorlist")
    expect(error).to_have_text(
        "A project cannot move back from implementation to pipeline; a backward move is allowed only from suspended."
    )
    expect(tab.locator("p.errornote a.first-error-link")).to_have_text("Go to the first error (Status changes)")
    expect(tab.locator("#status_changes-group .error-count")).to_have_text("1 error")
    expect(error).to_be_in_viewport()  # the page scrolled to the error
    expect(tab.locator("#id_status_changes-2-status")).to_be_focused()
    tab.screenshot(path=screenshots / "status-transition-error.png")
    tab.locator("p.errornote").scroll_into_view_if_needed()
    tab.screenshot(path=screenshots / "status-transition-errornote.png")
    assert karot.status_changes.count() == 2
    assert tab.problems == []


LONG_TITLE = "Pakistan Research Center for a Community with Shared Future: Green CPEC 2.0: Powering Industry"
LONG_URL = "https://www.brecorder.com/news/40333662/cpec-38-projects-worth-25bn-already-completed-and-more-to-come"


def test_every_admin_list_and_form_fits_the_screen(browser_context, karot, screenshots):
    source = SourceFactory(title=LONG_TITLE, publisher="Pakistan Research Center", url=LONG_URL)
    add_rate("PKR", 2016, "0.0095", source=source)
    indicator = IndicatorFactory(code="renewable-share", name="Renewable share of electricity generation")
    observation = ObservationFactory(indicator=indicator, source=source, value=Decimal("60"))
    organisation = OrganisationFactory(slug="ctg", name="China Three Gorges Corporation (CTG) International")
    tab = log_in(browser_context())
    pages = {
        "projects": "/admin/projects/project/",
        "project": change_url(karot),
        "project-history": f"/admin/projects/project/{karot.pk}/history/",
        "project-import": "/admin/projects/project/import/",
        "project-export": "/admin/projects/project/export/",
        "recover-deleted": "/admin/projects/project/recover-deleted/",
        "sources": "/admin/projects/source/",
        "source": f"/admin/projects/source/{source.pk}/change/",
        "organisations": "/admin/projects/organisation/",
        "organisation": f"/admin/projects/organisation/{organisation.pk}/change/",
        "exchange-rates": "/admin/projects/exchangerate/",
        "corridors": "/admin/projects/corridor/",
        "pillars": "/admin/projects/pillar/",
        "sectors": "/admin/projects/sector/",
        "indicators": "/admin/indicators/indicator/",
        "indicator": f"/admin/indicators/indicator/{indicator.pk}/change/",
        "observations": "/admin/indicators/observation/",
        "observation": f"/admin/indicators/observation/{observation.pk}/change/",
        "observation-import": "/admin/indicators/observation/import/",
    }
    widths = {}
    for name, url in pages.items():
        tab.goto(url)
        widths[name] = page_width(tab)
        tab.screenshot(path=screenshots / f"fits-{name}.png", full_page=True)

    assert {name: width for name, width in widths.items() if width > VIEWPORT["width"]} == {}
    tab.goto("/admin/indicators/observation/")
    expect(tab.locator("#result_list td.field-value_shown")).to_have_text("60")
    tab.goto("/admin/projects/source/")
    expect(tab.locator("#result_list tr", has_text=LONG_TITLE).locator("td.field-url_link")).to_have_text(
        "brecorder.com"
    )
    assert tab.problems == []
