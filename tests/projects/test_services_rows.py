"""Services that write a project's whole set of rows in one go (what the admin's inlines save): the combined rules,
the save order, one derived-field refresh, and no history for rows that do not change."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from projects import choices, rules, services
from projects.models import InvestmentFigure, Participation, Project, StatusChange
from tests.factories import (
    OrganisationFactory,
    SourceFactory,
    add_figure,
    add_participant,
    add_rate,
    add_status,
    make_project,
)

pytestmark = pytest.mark.django_db
D = datetime.date
S = choices.Status
KIND = choices.InvestmentKind


def status_row(change, **values):
    return {
        "id": change.pk,
        "status": change.status,
        "date": change.date,
        "source": change.source,
        "note": change.note,
    } | values


def figure_row(figure, **values):
    names = ["kind", "amount", "currency", "amount_usd", "as_of", "source", "note", "is_preferred"]
    return {"id": figure.pk, **{name: getattr(figure, name) for name in names}} | values


def row_errors(caught):
    return {index: error.message_dict for index, error in caught.value.rows.items()}


# --- status history ---------------------------------------------------------------------------------------------


def test_status_history_replace_moves_two_dates_together_and_refreshes_once():
    project = make_project()
    pipeline = add_status(project, S.PIPELINE, D(2015, 1, 1))
    mou = add_status(project, S.MOU, D(2016, 1, 1))
    project_entries = project.history.count()

    written = services.status_history_replace(
        project=project, rows=[status_row(pipeline, date=D(2017, 1, 1)), status_row(mou, date=D(2018, 1, 1))]
    )

    assert [(row.pk, fields) for row, fields in written.updated] == [(pipeline.pk, ["date"]), (mou.pk, ["date"])]
    assert list(StatusChange.objects.filter(project=project).values_list("date", flat=True)) == [
        D(2017, 1, 1),
        D(2018, 1, 1),
    ]
    assert Project.objects.get(pk=project.pk).status_since == D(2018, 1, 1)
    assert project.history.count() == project_entries + 1


def test_status_history_replace_deletes_left_out_rows_and_adds_new_ones():
    project = make_project()
    pipeline = add_status(project, S.PIPELINE, D(2015, 1, 1))
    add_status(project, S.MOU, D(2016, 1, 1))
    source = SourceFactory()

    written = services.status_history_replace(
        project=project,
        rows=[status_row(pipeline), {"status": S.IMPLEMENTATION, "date": D(2019, 1, 1), "source": source, "note": ""}],
    )

    assert (len(written.created), written.updated, len(written.deleted)) == (1, [], 1)
    assert list(StatusChange.objects.filter(project=project).values_list("status", flat=True)) == [
        S.PIPELINE,
        S.IMPLEMENTATION,
    ]
    assert Project.objects.get(pk=project.pk).status == S.IMPLEMENTATION


def test_status_history_replace_unchanged_rows_write_nothing():
    project = make_project()
    change = add_status(project, S.PIPELINE, D(2015, 1, 1))
    entries = (StatusChange.history.count(), project.history.count())

    written = services.status_history_replace(project=project, rows=[status_row(change)])

    assert not written.changed
    assert (StatusChange.history.count(), project.history.count()) == entries


def test_status_history_replace_error_lands_on_the_row_that_breaks_the_rule():
    project = make_project()
    implementation = add_status(project, S.IMPLEMENTATION, D(2016, 1, 1))
    source = SourceFactory()

    with pytest.raises(rules.RowsValidationError) as caught:
        services.status_history_replace(
            project=project,
            rows=[
                {"status": S.PIPELINE, "date": D(2018, 1, 1), "source": source, "note": ""},
                status_row(implementation),
            ],
        )

    assert row_errors(caught) == {
        0: {
            "status": [
                "A project cannot move back from implementation to pipeline; a backward move is allowed only from "
                "suspended."
            ]
        }
    }
    assert StatusChange.objects.filter(project=project).count() == 1


def test_status_history_validate_reports_each_rows_own_errors_and_writes_nothing():
    project = make_project()
    source = SourceFactory()

    with pytest.raises(rules.RowsValidationError) as caught:
        services.status_history_validate(
            project=project,
            rows=[
                {"status": "finished", "date": D(2015, 1, 1), "source": source, "note": ""},
                {"status": S.MOU, "date": D(2016, 1, 1), "source": source, "note": ""},
                {"id": 999999, "status": S.MOU},
            ],
        )

    assert row_errors(caught) == {
        0: {"status": ["Value 'finished' is not a valid choice."]},
        2: {"__all__": ["This status change is not one of the project's (it may have been deleted meanwhile)."]},
    }
    assert StatusChange.objects.count() == 0


def test_status_change_record_reports_a_bad_source_and_the_history_rule_together():
    project = make_project()
    add_status(project, S.OPERATIONAL, D(2016, 1, 1))

    with pytest.raises(ValidationError) as caught:
        services.status_change_update(
            status_change=StatusChange(project=project, status=S.MOU, date=D(2017, 1, 1), source_id=999999)
        )

    assert caught.value.message_dict == {
        "source": ["source instance with id 999999 is not a valid choice."],
        "status": [
            "A project cannot move back from operational to mou; a backward move is allowed only from suspended."
        ],
    }


# --- investment figures -----------------------------------------------------------------------------------------


def test_investment_figures_replace_moves_preferred_between_rows():
    project = make_project()
    preferred = add_figure(project, KIND.ANNOUNCED, "1698", as_of=D(2016, 1, 1), is_preferred=True)
    other = add_figure(project, KIND.ANNOUNCED, "1420", as_of=D(2015, 1, 1))

    services.investment_figures_replace(
        project=project, rows=[figure_row(other, is_preferred=True), figure_row(preferred, is_preferred=False)]
    )

    assert list(InvestmentFigure.objects.filter(is_preferred=True)) == [other]
    assert Project.objects.get(pk=project.pk).announced_usd == Decimal("1420.00")


def test_investment_figures_replace_second_preferred_of_a_kind_blames_the_newly_marked_row():
    project = make_project()
    preferred = add_figure(project, KIND.ANNOUNCED, "1698", is_preferred=True)
    other = add_figure(project, KIND.ANNOUNCED, "1420")

    with pytest.raises(rules.RowsValidationError) as caught:
        services.investment_figures_replace(
            project=project, rows=[figure_row(preferred), figure_row(other, is_preferred=True)]
        )

    assert row_errors(caught) == {1: {"is_preferred": [rules.ONE_PREFERRED_MESSAGE]}}


@pytest.mark.parametrize(
    ("stored", "posted", "expected"),
    [
        # (currency, amount, amount_usd) stored -> posted -> (currency, amount_usd, converted)
        (("USD", "1000", None), {"currency": "PKR"}, ("PKR", Decimal("9.50"), True)),
        (("USD", "1000", None), {"amount": Decimal("2000")}, ("USD", Decimal("2000.00"), False)),
        (("PKR", "1000", None), {"amount": Decimal("2000")}, ("PKR", Decimal("19.00"), True)),
        (("PKR", "1000", "12"), {"amount": Decimal("2000")}, ("PKR", Decimal("12.00"), False)),
        (("PKR", "1000", "12"), {"amount_usd": None}, ("PKR", Decimal("9.50"), True)),
        (("PKR", "1000", None), {"amount_usd": Decimal("11")}, ("PKR", Decimal("11.00"), False)),
    ],
    ids=["usd-to-pkr", "usd-amount", "converted-amount", "typed-kept", "typed-cleared", "typed-new"],
)
def test_investment_figures_replace_applies_the_update_rule_for_the_usd_amount(stored, posted, expected):
    add_rate("PKR", 2016, "0.0095")
    project = make_project()
    currency, amount, amount_usd = stored
    figure = add_figure(
        project,
        KIND.ANNOUNCED,
        amount,
        currency=currency,
        as_of=D(2016, 6, 1),
        **({"amount_usd": Decimal(amount_usd)} if amount_usd else {}),
    )

    # The whole row as a form posts it: every value pre-filled, the changes on top.
    services.investment_figures_replace(project=project, rows=[figure_row(figure, **posted)])

    figure.refresh_from_db()
    assert (figure.currency, figure.amount_usd, figure.amount_usd_converted) == expected
    via_api = add_figure(
        make_project(),
        KIND.ANNOUNCED,
        amount,
        currency=currency,
        as_of=D(2016, 6, 1),
        **({"amount_usd": Decimal(amount_usd)} if amount_usd else {}),
    )
    services.investment_figure_update(investment=via_api, **posted)
    assert (via_api.currency, via_api.amount_usd, via_api.amount_usd_converted) == expected


# --- participants ------------------------------------------------------------------------------------------------


def test_project_set_participants_reports_a_repeated_role_on_its_row():
    project = make_project()
    organisation = OrganisationFactory(slug="three-gorges")
    sponsor = {"organisation": organisation, "role": choices.ParticipationRole.SPONSOR}

    with pytest.raises(rules.RowsValidationError) as caught:
        services.project_set_participants(project=project, participants=[sponsor, dict(sponsor)])

    assert row_errors(caught) == {1: {"role": ["three-gorges is listed twice as sponsor."]}}


def test_project_set_participants_reports_what_it_wrote():
    project = make_project()
    kept = add_participant(project, OrganisationFactory(slug="three-gorges"))
    gone = add_participant(project, OrganisationFactory(slug="crec"), role=choices.ParticipationRole.CONTRACTOR)
    new = OrganisationFactory(slug="wapda")

    written = services.project_set_participants(
        project=project,
        participants=[
            {"organisation": kept.organisation, "role": kept.role, "note": "70%"},
            {"organisation": new, "role": choices.ParticipationRole.OPERATOR},
        ],
    )

    assert [(row.pk, fields) for row, fields in written.updated] == [(kept.pk, ["note"])]
    assert [row.organisation.slug for row in written.created] == ["wapda"]
    assert [row.organisation.slug for row in written.deleted] == [gone.organisation.slug]
    assert sorted(Participation.objects.values_list("organisation__slug", "note")) == [
        ("three-gorges", "70%"),
        ("wapda", ""),
    ]
