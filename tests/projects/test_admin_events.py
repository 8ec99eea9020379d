"""The events admin and the exchange-rate admin write through the services, as the API does."""

import datetime
from decimal import Decimal

import pytest

from projects import choices, services
from projects.models import Event, InvestmentFigure, Project
from registry.models import ChangeEntry
from tests.admin_forms import BrowserForm
from tests.factories import SourceFactory, add_figure, add_rate, make_project

D = datetime.date


@pytest.fixture
def projects(db):
    return {"ml1": make_project(slug="ml-1", name="ML-1"), "kcr": make_project(slug="kcr", name="KCR")}


def test_event_added_in_the_admin_with_projects_through_the_services(admin_client, projects):
    source = SourceFactory(title="JCC minutes")
    form = BrowserForm(admin_client, "/admin/projects/event/add/", form_id="event_form")
    form.set(slug="jcc-5", kind="jcc-meeting", title="5th JCC", date="2015-11-01", date_precision="month")
    form.set(place="Karachi", sources=[source.pk])
    form.add_row("project_links", project=projects["ml1"].pk, role="reviewed", note="feasibility")
    form.add_row("project_links", project=projects["kcr"].pk, role="announced")

    response = form.post()

    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(slug="jcc-5")
    assert (event.date_text, event.place, list(event.sources.all())) == ("2015-11", "Karachi", [source])
    assert sorted(event.project_links.values_list("project__slug", "role", "note")) == [
        ("kcr", "announced", ""),
        ("ml-1", "reviewed", "feasibility"),
    ]
    assert event.history.count() == 1
    assert ChangeEntry.objects.filter(model="event", object="jcc-5", editor=True).count() == 1


def test_event_admin_refuses_a_day_inside_a_month_and_a_project_twice(admin_client, projects):
    form = BrowserForm(admin_client, "/admin/projects/event/add/", form_id="event_form")
    form.set(slug="jcc-5", kind="jcc-meeting", title="5th JCC", date="2015-11-08", date_precision="month")
    form.set(sources=[SourceFactory().pk])
    form.add_row("project_links", project=projects["ml1"].pk, role="reviewed")
    form.add_row("project_links", project=projects["ml1"].pk, role="reviewed")

    response = form.post()

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "date": ["A date of month precision is the month's first day (YYYY-MM-01)."]
    }
    assert not Event.objects.exists()


def test_event_admin_refuses_a_duplicate_link_on_its_row(admin_client, projects):
    form = BrowserForm(admin_client, "/admin/projects/event/add/", form_id="event_form")
    form.set(slug="jcc-5", kind="jcc-meeting", title="5th JCC", date="2015-11-01", date_precision="month")
    form.set(sources=[SourceFactory().pk])
    form.add_row("project_links", project=projects["ml1"].pk, role="reviewed")
    form.add_row("project_links", project=projects["ml1"].pk, role="reviewed")

    response = form.post()

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.errors for form in formset.forms] == [{}, {"role": ["ml-1 is listed twice as reviewed."]}]
    assert not Event.objects.exists()


def test_event_changed_in_the_admin_replaces_its_links(admin_client, projects):
    event = services.event_create(
        slug="jcc-6",
        kind="jcc-meeting",
        title="6th JCC",
        date=D(2016, 12, 29),
        sources=[SourceFactory()],
        projects=[{"project": projects["ml1"], "role": "reviewed"}],
    )
    form = BrowserForm(admin_client, f"/admin/projects/event/{event.pk}/change/", form_id="event_form")
    form.check("project_links-0-DELETE")
    form.add_row("project_links", project=projects["kcr"].pk, role="approved")

    response = form.post()

    assert response.status_code == 302
    assert list(event.project_links.values_list("project__slug", "role")) == [("kcr", "approved")]


def test_exchange_rate_corrected_in_the_admin_converts_its_figures_again(admin_client, db):
    project = make_project(slug="m-5")
    rate = add_rate("PKR", 2020, "0.0062")
    figure = add_figure(project, "realised", "267577320000", currency="PKR", as_of=D(2020, 7, 31))
    form = BrowserForm(admin_client, f"/admin/projects/exchangerate/{rate.pk}/change/", form_id="exchangerate_form")
    form.set(usd_per_unit="0.0061789")

    response = form.post()

    assert response.status_code == 302
    assert InvestmentFigure.objects.get(pk=figure.pk).amount_usd == Decimal("1653333502.55")  # 267,577.32 M x 0.0061789
    assert Project.objects.get(pk=project.pk).realised_usd == Decimal("1653333502.55")


def test_exchange_rate_in_use_keeps_its_year_in_the_admin(admin_client, db):
    rate = add_rate("PKR", 2020, "0.0062")
    add_figure(make_project(), "realised", "1000", currency="PKR", as_of=D(2020, 7, 31))
    form = BrowserForm(admin_client, f"/admin/projects/exchangerate/{rate.pk}/change/", form_id="exchangerate_form")
    form.set(year="2021")

    response = form.post()

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "year": [
            "1 investment figure(s) were converted with this rate: it keeps its currency and year (add a rate for "
            "the other one)."
        ]
    }


def test_figure_kept_in_its_currency_from_the_admin(admin_client, db):
    project = make_project(slug="kcr")
    source = SourceFactory()
    form = BrowserForm(admin_client, f"/admin/projects/project/{project.pk}/change/")
    form.add_row(
        "investments",
        kind="announced",
        amount="292400000000",
        currency="PKR",
        no_usd_reason="No sourced PKR/USD rate for 2022.",
        as_of="2022-11-15",
        source=source.pk,
    )

    response = form.post()

    assert response.status_code == 302, response.content.decode()[:2000]
    figure = InvestmentFigure.objects.get(project=project)
    assert (figure.amount_usd, figure.no_usd_reason) == (None, "No sourced PKR/USD rate for 2022.")
    assert figure.kind == choices.InvestmentKind.ANNOUNCED
