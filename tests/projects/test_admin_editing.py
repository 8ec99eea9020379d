"""Editing a project in the admin as a browser does (every pre-filled field posted back): figures follow the
services' USD rule, unchanged rows leave no history, and a save over someone else's change is refused."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from projects import choices
from projects.models import ExternalIdentifier, InvestmentFigure, Participation, Project, StatusChange
from registry.admin_versions import read_version
from tests import snapshots
from tests.admin_forms import BrowserForm
from tests.factories import (
    CorridorFactory,
    IndicatorFactory,
    ObservationFactory,
    OrganisationFactory,
    PillarFactory,
    SectorFactory,
    SourceFactory,
    add_figure,
    add_participant,
    add_rate,
    add_status,
    make_project,
)

pytestmark = pytest.mark.django_db
KIND = choices.InvestmentKind
STATUS = choices.Status
D = datetime.date


def change_url(project):
    return f"/admin/projects/project/{project.pk}/change/"


@pytest.fixture
def karot(db):
    return snapshots.built_or_restored("admin-editing-karot", build_karot)


def build_karot():
    project = make_project(
        slug="karot-hydropower",
        name="Karot Hydropower Project",
        corridor=CorridorFactory(code="green", name="Green Corridor"),
        pillars=[PillarFactory(code="energy", name="Energy")],
        sector=SectorFactory(code="energy-hydro", name="Hydropower"),
    )
    add_status(project, STATUS.MOU, D(2014, 4, 20))
    add_status(project, STATUS.IMPLEMENTATION, D(2016, 12, 1))
    add_figure(project, KIND.ANNOUNCED, "1000", as_of=D(2016, 2, 1))
    add_participant(project, OrganisationFactory(slug="three-gorges", name="China Three Gorges"))
    return project


def saved(response):
    assert response.status_code == 302, response.context and response.context["errors"]
    return response


def errors_of(response, prefix):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == prefix:
            return [dict(form.errors) for form in inline.formset.forms]
    raise AssertionError(prefix)


# --- the figure bugs of issue 11 ----------------------------------------------------------------------------------


def test_admin_figure_currency_changed_to_pkr_is_converted_like_the_api(admin_client, karot):
    add_rate("PKR", 2016, "0.0095")
    form = BrowserForm(admin_client, change_url(karot))
    assert form.fields["investments-0-amount_usd"] == ["1000.00"]  # pre-filled, left as it is

    saved(form.set(**{"investments-0-currency": "PKR"}).post())

    figure = InvestmentFigure.objects.get(project=karot)
    assert (figure.currency, figure.amount_usd, figure.amount_usd_converted) == ("PKR", Decimal("9.50"), True)
    karot.refresh_from_db()
    assert karot.announced_usd == Decimal("9.50")


def test_admin_usd_figure_amount_changed_with_prefilled_usd_amount_follows_the_amount(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))

    saved(form.set(**{"investments-0-amount": "2000"}).post())

    figure = InvestmentFigure.objects.get(project=karot)
    assert (figure.amount, figure.amount_usd, figure.amount_usd_converted) == (
        Decimal("2000.00"),
        Decimal("2000.00"),
        False,
    )
    karot.refresh_from_db()
    assert karot.announced_usd == Decimal("2000.00")


def test_admin_usd_amount_typed_by_the_editor_is_kept(admin_client, karot):
    add_rate("PKR", 2016, "0.0095")
    form = BrowserForm(admin_client, change_url(karot))

    saved(form.set(**{"investments-0-currency": "PKR", "investments-0-amount_usd": "12"}).post())

    figure = InvestmentFigure.objects.get(project=karot)
    assert (figure.amount_usd, figure.amount_usd_converted) == (Decimal("12.00"), False)


def test_admin_pkr_figure_without_a_rate_shows_the_services_error_on_its_row(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))

    response = form.set(**{"investments-0-currency": "PKR"}).post()

    assert response.status_code == 200
    assert errors_of(response, "investments") == [
        {
            "amount_usd": [
                "No exchange rate for PKR in 2016: enter the USD amount the source gives, add an exchange rate "
                "for that year first, or say in no_usd_reason why the figure stays in its currency."
            ]
        }
    ]
    assert InvestmentFigure.objects.get(project=karot).currency == "USD"


# --- saves that change nothing, and new rows --------------------------------------------------------------------


def test_admin_resubmitting_the_page_unchanged_records_no_row_history(admin_client, karot):
    rows_before = {
        model: model.history.count() for model in (StatusChange, InvestmentFigure, karot.participations.model)
    }

    saved(BrowserForm(admin_client, change_url(karot)).post())

    assert {model: model.history.count() for model in rows_before} == rows_before


def test_admin_new_status_row_added_like_the_browser_updates_the_derived_status(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))
    form.add_row("status_changes", status=STATUS.OPERATIONAL, date="2022-06-29", source=SourceFactory().pk)
    entries_before = karot.history.count()

    saved(form.post())

    karot.refresh_from_db()
    assert (karot.status, karot.status_since) == (STATUS.OPERATIONAL, D(2022, 6, 29))
    assert karot.history.count() == entries_before + 1  # one entry for the whole submit
    assert karot.history.first().changed_fields == ["status", "status_since"]


def test_admin_invalid_status_transition_is_shown_on_its_row(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))
    form.add_row("status_changes", status=STATUS.PIPELINE, date="2020-01-01", source=SourceFactory().pk)

    response = form.post()

    assert response.status_code == 200
    assert errors_of(response, "status_changes") == [
        {},
        {},
        {
            "status": [
                "A project cannot move back from implementation to pipeline; a backward move is allowed only from "
                "suspended."
            ]
        },
    ]
    assert StatusChange.objects.filter(project=karot).count() == 2


def test_admin_two_status_dates_moved_together_are_checked_as_a_whole(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))

    saved(form.set(**{"status_changes-0-date": "2017-01-01", "status_changes-1-date": "2018-01-01"}).post())

    assert list(StatusChange.objects.filter(project=karot).values_list("date", flat=True)) == [
        D(2017, 1, 1),
        D(2018, 1, 1),
    ]


# --- the lost-update guard ----------------------------------------------------------------------------------------


def saved_by(instance) -> str:
    """ "(by admin on 2026-01-05 at 10:42)", as the row's latest history entry has it."""
    record = type(instance).history.filter(id=instance.pk).order_by("-history_date", "-history_id").first()
    when = timezone.localtime(record.history_date)
    return f"(by {record.history_user} on {when:%Y-%m-%d} at {when:%H:%M})"


RELOAD = 'Please <a href="" class="reload-link">reload the page</a> to see their version.'


def test_admin_second_editor_saving_a_stale_project_form_is_refused_with_the_difference(admin_client, karot):
    first, second = BrowserForm(admin_client, change_url(karot)), BrowserForm(admin_client, change_url(karot))
    saved(first.set(name="Karot Hydropower Plant").post())

    response = second.set(summary="Run-of-river plant on the Jhelum.").post()

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        f"Someone else saved this project {saved_by(karot)} after you opened the page: Name: “Karot Hydropower "
        "Project” → “Karot Hydropower Plant”. Saving your page would undo their change, so nothing was saved. Your "
        "changes on this page, to make again: Summary: (empty) → “Run-of-river plant on the Jhelum.”. " + RELOAD
    ]
    assert Project.objects.get(pk=karot.pk).name == "Karot Hydropower Plant"
    assert Project.objects.get(pk=karot.pk).summary == ""


def test_admin_stale_project_form_lists_pillars_changed_by_someone_else(admin_client, karot):
    first, second = BrowserForm(admin_client, change_url(karot)), BrowserForm(admin_client, change_url(karot))
    transport = PillarFactory(code="transport", name="Transport")
    saved(first.set(pillars=[str(p.pk) for p in karot.pillars.all()] + [str(transport.pk)]).post())

    response = second.set(place_name="Kotli").post()

    assert response.status_code == 200
    (error,) = response.context["adminform"].form.non_field_errors()
    assert "after you opened the page: Pillars: “Energy” → “Energy, Transport”. Saving your page" in error
    assert "Your changes on this page, to make again: Place name: (empty) → “Kotli”." in error
    assert list(Project.objects.get(pk=karot.pk).pillars.values_list("code", flat=True)) == ["energy", "transport"]


def test_admin_stale_form_with_an_unreadable_version_is_refused(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))

    response = form.set(version="not-a-version", name="Karot Hydropower Plant").post()

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This page's copy of the project cannot be checked against changes saved since it was opened, so nothing "
        'was saved. Please <a href="" class="reload-link">reload the page</a>, then make your change again.'
    ]
    assert Project.objects.get(pk=karot.pk).name == "Karot Hydropower Project"


def test_admin_form_posted_without_a_version_is_not_checked(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))
    Project.objects.filter(pk=karot.pk).update(place_name="Kotli")

    saved(form.set(version="", name="Karot Hydropower Plant").post())

    assert Project.objects.get(pk=karot.pk).name == "Karot Hydropower Plant"


def test_admin_stale_form_whose_values_match_what_is_stored_saves(admin_client, karot):
    first, second = BrowserForm(admin_client, change_url(karot)), BrowserForm(admin_client, change_url(karot))
    saved(first.set(name="Karot Hydropower Plant").post())

    saved(second.set(name="Karot Hydropower Plant").post())

    assert Project.objects.get(pk=karot.pk).name == "Karot Hydropower Plant"


def test_admin_stale_inline_row_is_refused_on_its_row(admin_client, karot):
    first, second = BrowserForm(admin_client, change_url(karot)), BrowserForm(admin_client, change_url(karot))
    saved(first.set(**{"investments-0-amount": "1500"}).post())
    figure = InvestmentFigure.objects.get(project=karot)

    response = second.set(**{"investments-0-note": "From the PPIB list"}).post()

    assert response.status_code == 200
    (figure_errors,) = errors_of(response, "investments")
    assert figure_errors == {
        "__all__": [
            f"Someone else saved this investment figure {saved_by(figure)} after you opened the page: Amount: "
            "“1000.00” → “1500.00”; USD amount: “1000.00” → “1500.00”. Saving your page would undo their change, "
            "so nothing was saved. Your changes on this page, to make again: Note: (empty) → “From the PPIB list”. "
            + RELOAD
        ]
    }
    assert InvestmentFigure.objects.get(project=karot).amount == Decimal("1500.00")


STALE_ROWS = [
    ("status_changes", "note", "Checked", {"status_changes-0-date": "2014-05-01"}),
    ("participations", "note", "Sponsor", {"participations-0-note": "93%"}),
]


@pytest.mark.parametrize(("prefix", "field", "value", "theirs"), STALE_ROWS, ids=["status", "participation"])
def test_admin_stale_row_of_every_inline_is_refused_on_its_row(admin_client, karot, prefix, field, value, theirs):
    first, second = BrowserForm(admin_client, change_url(karot)), BrowserForm(admin_client, change_url(karot))
    saved(first.set(**theirs).post())

    response = second.set(**{f"{prefix}-0-{field}": value}).post()

    assert response.status_code == 200
    (message,) = errors_of(response, prefix)[0]["__all__"]
    assert message.startswith("Someone else saved this ")
    assert "Saving your page would undo their change, so nothing was saved." in message


def test_admin_stale_external_identifier_is_refused_on_its_row(admin_client, karot):
    identifier = ExternalIdentifier.objects.create(project=karot, scheme="aiddata", value="37233")
    first, second = BrowserForm(admin_client, change_url(karot)), BrowserForm(admin_client, change_url(karot))
    saved(first.set(**{"external_ids-0-value": "37234"}).post())

    response = second.set(**{"external_ids-0-url": "https://china.aiddata.org/projects/37233"}).post()

    assert response.status_code == 200
    (message,) = errors_of(response, "external_ids")[0]["__all__"]
    assert "after you opened the page: Value: “37233” → “37234”." in message
    identifier.refresh_from_db()
    assert (identifier.value, identifier.url) == ("37234", "")


@pytest.mark.parametrize("prefix", ["investments", "status_changes", "participations", "external_ids"])
def test_admin_deleting_a_row_someone_else_changed_is_refused(admin_client, karot, prefix):
    ExternalIdentifier.objects.create(project=karot, scheme="aiddata", value="37233")
    first, second = BrowserForm(admin_client, change_url(karot)), BrowserForm(admin_client, change_url(karot))
    saved(first.set(**{f"{prefix}-0-note" if prefix != "external_ids" else f"{prefix}-0-value": "changed"}).post())
    rows_before = {
        "investments": InvestmentFigure,
        "status_changes": StatusChange,
        "participations": Participation,
        "external_ids": ExternalIdentifier,
    }[prefix].objects.count()

    response = second.set(**{f"{prefix}-0-DELETE": "on"}).post()

    assert response.status_code == 200
    inline = next(i for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)
    (message,) = inline.formset.non_form_errors()
    assert message.startswith("Someone else changed the ")
    assert "Deleting it would discard their change, so nothing was saved." in message
    assert type(inline.formset.forms[0].instance).objects.count() == rows_before


def test_admin_deleting_a_row_nobody_else_changed_saves(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))
    add_figure(karot, KIND.REALISED, "800", as_of=D(2022, 1, 1))  # someone else adds a row meanwhile

    saved(form.set(**{"status_changes-1-DELETE": "on"}).post())

    assert list(karot.status_changes.values_list("status", flat=True)) == [STATUS.MOU]
    assert karot.investments.count() == 2


def test_admin_row_deleted_by_someone_else_is_reported_on_the_row(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))
    InvestmentFigure.objects.filter(project=karot).delete()

    response = form.set(**{"investments-0-note": "corrected"}).post()

    assert response.status_code == 200
    assert errors_of(response, "investments")[0] == {
        "__all__": [
            "Someone else deleted this row after you opened the page. Nothing was saved: reload the page to see "
            "the project as it is now."
        ]
    }


def test_admin_row_added_by_someone_else_meanwhile_is_kept(admin_client, karot):
    form = BrowserForm(admin_client, change_url(karot))
    other = add_figure(karot, KIND.REALISED, "800", as_of=D(2022, 1, 1))

    saved(form.set(**{"investments-0-note": "checked"}).post())

    assert InvestmentFigure.objects.filter(project=karot).count() == 2
    assert InvestmentFigure.objects.get(pk=other.pk).amount == Decimal("800.00")


def test_admin_change_form_carries_a_version_for_the_project_and_each_row(admin_client, karot):
    fields = BrowserForm(admin_client, change_url(karot)).fields

    versions = sorted(name for name in fields if name.endswith("version") and "__prefix__" not in name)

    assert versions == [
        "investments-0-version",
        "participations-0-version",
        "status_changes-0-version",
        "status_changes-1-version",
        "version",
    ]
    assert read_version(fields["version"][0])["name"] == "Karot Hydropower Project"
    assert read_version(fields["investments-0-version"][0])["amount"] == "1000.00"


def test_admin_stale_form_of_a_single_record_is_refused_too(admin_client):
    organisation = OrganisationFactory(slug="wapda", name="WAPDA")
    url = f"/admin/projects/organisation/{organisation.pk}/change/"
    first = BrowserForm(admin_client, url, "organisation_form")
    second = BrowserForm(admin_client, url, "organisation_form")
    saved(first.set(name="Water and Power Development Authority").post())

    response = second.set(country="PK").post()

    assert response.status_code == 200
    assert (
        response.context["adminform"]
        .form.non_field_errors()[0]
        .startswith("Someone else saved this organisation (by admin on ")
    )
    organisation.refresh_from_db()
    assert (organisation.name, organisation.country) == ("Water and Power Development Authority", "CN")


def _record(model_name):
    """One stored row of each registry model with an admin of its own, and two fields two editors change."""
    if model_name == "corridor":
        return CorridorFactory(code="green", name="Green Corridor"), "name", "description"
    if model_name == "pillar":
        return PillarFactory(code="energy", name="Energy"), "name", "description"
    if model_name == "sector":
        return SectorFactory(code="energy-hydro", name="Hydropower"), "name", "description"
    if model_name == "source":
        return SourceFactory(title="PPIB project list"), "title", "publisher"
    if model_name == "organisation":
        return OrganisationFactory(slug="wapda", name="WAPDA"), "name", "website"
    if model_name == "exchangerate":
        return add_rate("PKR", 2016, "0.0095"), "usd_per_unit", "year"
    if model_name == "indicator":
        return IndicatorFactory(code="jobs", name="Jobs"), "name", "unit"
    return ObservationFactory(), "value", "note"


OTHER_EDITS = {"name": "Renamed", "title": "Renamed", "usd_per_unit": "0.0096", "value": "12"}
OWN_EDITS = {"description": "Mine", "publisher": "Mine", "website": "https://mine.pk", "year": "2017", "unit": "x"}


@pytest.mark.parametrize(
    "model_name",
    ["corridor", "pillar", "sector", "source", "organisation", "exchangerate", "indicator", "observation"],
)
def test_admin_stale_form_of_every_model_is_refused(admin_client, model_name):
    record, theirs, mine = _record(model_name)
    opts = record._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/{record.pk}/change/"
    first = BrowserForm(admin_client, url, f"{opts.model_name}_form")
    second = BrowserForm(admin_client, url, f"{opts.model_name}_form")
    saved(first.set(**{theirs: OTHER_EDITS[theirs]}).post())

    response = second.set(**{mine: OWN_EDITS.get(mine, "Mine")}).post()

    assert response.status_code == 200
    (message,) = response.context["adminform"].form.non_field_errors()
    label = response.context["adminform"].form.fields[theirs].label
    assert message.startswith(f"Someone else saved this {opts.verbose_name} {saved_by(record)} after you opened")
    assert f"after you opened the page: {label}: " in message
    assert "Saving your page would undo their change, so nothing was saved." in message
