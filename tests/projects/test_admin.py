"""The editors' admin: lists, filters, inline saves through the rules, actions, history and permissions."""

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import choices, services
from projects.models import ExchangeRate, InvestmentFigure, Project, StatusChange
from tests.factories import (
    CorridorFactory,
    OrganisationFactory,
    PillarFactory,
    SectorFactory,
    SourceFactory,
    add_figure,
    add_participant,
    add_status,
    make_project,
)

CHANGELIST = "/admin/projects/project/"
ADD = "/admin/projects/project/add/"
INLINE_PREFIXES = ["status_changes", "investments", "participations", "external_ids"]
STATUS = choices.Status
KIND = choices.InvestmentKind


def change_url(project):
    return f"/admin/projects/project/{project.pk}/change/"


def form_data(fields, **rows):
    """The POST body of the project form with its inline rows; a row with an ``id`` is an existing one."""
    data = {key: value for key, value in fields.items() if value is not None}
    for prefix in INLINE_PREFIXES:
        prefix_rows = rows.get(prefix, [])
        existing = [row for row in prefix_rows if "id" in row]
        ordered = existing + [row for row in prefix_rows if "id" not in row]
        data |= {
            f"{prefix}-TOTAL_FORMS": len(ordered),
            f"{prefix}-INITIAL_FORMS": len(existing),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
        for index, row in enumerate(ordered):
            for name, value in row.items():
                if value is True:
                    value = "on"
                if value not in (None, False):
                    data[f"{prefix}-{index}-{name}"] = value
    return data


def project_fields(vocab, **overrides):
    fields = {
        "name": "Karot Hydropower Project",
        "slug": "karot-hydropower",
        "summary": "",
        "phase": choices.Phase.CPEC_1,
        "corridor": vocab.corridor.pk,
        "pillars": [vocab.pillar.pk],
        "sector": vocab.sector.pk,
        "provinces": ["PK-PB", "PK-JK"],
        "place_name": "Karot, Rawalpindi",
        "publication": choices.Publication.DRAFT,
    }
    return fields | overrides


def fields_of(project, vocab):
    """The project's current field values as the change form would post them back."""
    return project_fields(
        vocab,
        name=project.name,
        slug=project.slug,
        phase=project.phase,
        corridor=project.corridor_id,
        pillars=[pillar.pk for pillar in project.pillars.all()],
        sector=project.sector_id,
        provinces=[province.pk for province in project.provinces.all()],
        place_name=project.place_name,
        publication=project.publication,
    )


def status_row(status_change, **changes):
    row = {
        "id": status_change.pk,
        "status": status_change.status,
        "date": status_change.date.isoformat(),
        "source": status_change.source_id,
        "note": status_change.note,
    }
    return row | changes


def figure_row(figure, **changes):
    row = {
        "id": figure.pk,
        "kind": figure.kind,
        "amount": str(figure.amount),
        "currency": figure.currency,
        "amount_usd": "" if figure.amount_usd is None else str(figure.amount_usd),
        "as_of": figure.as_of.isoformat(),
        "source": figure.source_id,
        "is_preferred": figure.is_preferred,
        "note": figure.note,
    }
    return row | changes


def new_status(status, date, source, note=""):
    return {"status": status, "date": date, "source": source.pk, "note": note}


def new_figure(kind, amount, as_of, source, *, currency="USD", amount_usd="", is_preferred=False):
    return {
        "kind": kind,
        "amount": amount,
        "currency": currency,
        "amount_usd": amount_usd,
        "as_of": as_of,
        "source": source.pk,
        "is_preferred": is_preferred,
    }


def inline_errors(response, prefix):
    """Each row's errors and the formset's own errors, for one inline of a re-displayed form."""
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == prefix:
            formset = inline.formset
            return [dict(form.errors) for form in formset.forms], list(formset.non_form_errors())
    raise AssertionError(f"no inline {prefix}")


def derived(project):
    project.refresh_from_db()
    return {name: getattr(project, name) for name in services.DERIVED_FIELDS}


@pytest.fixture
def vocab(db):
    return SimpleNamespace(
        corridor=CorridorFactory(code="green", name="Green Corridor"),
        other_corridor=CorridorFactory(code="connectivity", name="Regional Connectivity Corridor"),
        pillar=PillarFactory(code="energy", name="Energy"),
        other_pillar=PillarFactory(code="export", name="Export"),
        sector=SectorFactory(code="energy", name="Energy"),
        other_sector=SectorFactory(code="transport", name="Transport"),
        source=SourceFactory(title="PPIB project list", publisher="PPIB"),
        other_source=SourceFactory(title="Karot financial close", publisher="Dawn"),
    )


@pytest.fixture
def editor(db, django_user_model):
    call_command("setup_editors", stdout=io.StringIO())
    user = django_user_model.objects.create_user(username="editor", password="editor-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


# --- the changelist -------------------------------------------------------------------------------------------


@pytest.fixture
def two_projects(vocab):
    hydro = make_project(
        slug="karot-hydropower",
        name="Karot Hydropower Project",
        corridor=vocab.corridor,
        pillars=[vocab.pillar],
        sector=vocab.sector,
        provinces=["PK-PB"],
        place_name="Karot",
        phase=choices.Phase.CPEC_1,
        publication=choices.Publication.PUBLISHED,
    )
    add_status(hydro, STATUS.IMPLEMENTATION, datetime.date(2015, 12, 1))  # idle for years: stale
    add_participant(hydro, OrganisationFactory(slug="three-gorges", name="China Three Gorges"))
    road = make_project(
        slug="ml-1-railway",
        name="ML-1 Railway Upgrade",
        corridor=vocab.other_corridor,
        pillars=[vocab.other_pillar],
        sector=vocab.other_sector,
        provinces=["PK-SD", "PK-BA"],
        place_name="Karachi to Peshawar",
        phase=choices.Phase.CPEC_2,
        publication=choices.Publication.DRAFT,
    )
    add_status(road, STATUS.OPERATIONAL, datetime.date(2022, 6, 1))
    add_participant(road, OrganisationFactory(slug="crec", name="China Railway Engineering"))
    return SimpleNamespace(hydro=hydro, road=road, vocab=vocab)


def listed_slugs(response):
    return sorted(project.slug for project in response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        ("corridor__id__exact", lambda w: w.vocab.other_corridor.pk, ["ml-1-railway"]),
        ("pillars__id__exact", lambda w: w.vocab.pillar.pk, ["karot-hydropower"]),
        ("sector__id__exact", lambda w: w.vocab.other_sector.pk, ["ml-1-railway"]),
        ("status__exact", lambda w: STATUS.IMPLEMENTATION, ["karot-hydropower"]),
        ("provinces__code__exact", lambda w: "PK-BA", ["ml-1-railway"]),
        ("phase__exact", lambda w: choices.Phase.CPEC_1, ["karot-hydropower"]),
        ("publication__exact", lambda w: choices.Publication.DRAFT, ["ml-1-railway"]),
        ("staleness", lambda w: "stale", ["karot-hydropower"]),
        ("staleness", lambda w: "current", ["ml-1-railway"]),
    ],
)
def test_project_changelist_filter_selects_matching_projects(admin_client, two_projects, parameter, value, expected):
    response = admin_client.get(CHANGELIST, {parameter: value(two_projects)})

    assert response.status_code == 200
    assert listed_slugs(response) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Railway Upgrade", ["ml-1-railway"]),  # name
        ("Karot", ["karot-hydropower"]),  # name and place
        ("Peshawar", ["ml-1-railway"]),  # place
        ("Three Gorges", ["karot-hydropower"]),  # participating organisation
        ("China", ["karot-hydropower", "ml-1-railway"]),  # both organisations, each project once
    ],
)
def test_project_changelist_search_finds_name_place_and_participant(admin_client, two_projects, query, expected):
    response = admin_client.get(CHANGELIST, {"q": query})

    assert response.status_code == 200
    assert listed_slugs(response) == expected


def test_project_changelist_shows_derived_status_and_money(admin_client, two_projects):
    add_figure(two_projects.hydro, KIND.ANNOUNCED, "1698000000.00")
    add_figure(two_projects.hydro, KIND.REALISED, "1420500000.50")

    response = admin_client.get(CHANGELIST, {"q": "Karot"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Implementation" in html
    assert "USD 1,698.0 M" in html
    assert "USD 1,420.5 M" in html
    assert '<abbr title="Punjab">PK-PB</abbr>' in html


def make_listed_project(vocab, number):
    project = make_project(
        slug=f"listed-{number}",
        corridor=vocab.corridor,
        pillars=[vocab.pillar, vocab.other_pillar],
        sector=vocab.sector,
        provinces=["PK-PB", "PK-SD"],
    )
    add_status(project, STATUS.MOU, datetime.date(2021, 1, 1), source=vocab.source)
    add_figure(project, KIND.ANNOUNCED, "1000000", source=vocab.source)
    add_participant(project, OrganisationFactory(slug=f"organisation-listed-{number}"))
    return project


def listed(client) -> int:
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(response.context["cl"].result_list)


def test_project_changelist_query_count_does_not_grow_with_rows(admin_client, vocab, django_assert_num_queries):
    make_listed_project(vocab, 0)
    with CaptureQueriesContext(connection) as for_one:
        assert listed(admin_client) == 1
    for number in range(1, 20):
        make_listed_project(vocab, number)

    with django_assert_num_queries(len(for_one)):
        assert listed(admin_client) == 20


# --- adding and changing a project with its inline rows --------------------------------------------------------


def add_karot(client, vocab):
    """Add a project with one status change and two investment figures through the admin."""
    data = form_data(
        project_fields(vocab),
        status_changes=[
            new_status(STATUS.MOU, "2014-04-20", vocab.source),
            new_status(STATUS.IMPLEMENTATION, "2016-12-01", vocab.other_source, note="Financial close"),
        ],
        investments=[
            new_figure(KIND.ANNOUNCED, "1698000000", "2016-02-01", vocab.source),
            new_figure(KIND.REALISED, "1420000000", "2022-06-29", vocab.other_source),
        ],
        participations=[{"organisation": OrganisationFactory(slug="three-gorges").pk, "role": "sponsor"}],
        external_ids=[{"scheme": "gem", "value": "G100000", "url": ""}],
    )
    response = client.post(ADD, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    return Project.objects.get(slug="karot-hydropower")


def test_project_add_with_inlines_stores_derived_fields_from_rows(admin_client, admin_user, vocab):
    project = add_karot(admin_client, vocab)

    assert derived(project) == {
        "status": STATUS.IMPLEMENTATION,
        "status_since": datetime.date(2016, 12, 1),
        "announced_usd": Decimal("1698000000.00"),
        "committed_usd": None,
        "realised_usd": Decimal("1420000000.00"),
        "realisation_ratio": Decimal("0.8363"),
    }
    assert derived(project) == services.compute_derived(project)
    assert sorted(project.provinces.values_list("code", flat=True)) == ["PK-JK", "PK-PB"]
    assert project.participations.count() == 1
    assert list(project.external_ids.values_list("scheme", "value")) == [("gem", "G100000")]
    assert [(record.history_type, record.history_user) for record in project.history.all()] == [("+", admin_user)]
    assert project.history.get().status == STATUS.IMPLEMENTATION


def test_project_change_editing_adding_and_deleting_rows_keeps_derived_fields_in_step(admin_client, vocab):
    project = add_karot(admin_client, vocab)
    mou, implementation = project.status_changes.order_by("id")
    announced, realised = project.investments.order_by("id")
    data = form_data(
        fields_of(project, vocab),
        status_changes=[
            status_row(mou),
            status_row(implementation, date="2017-01-15"),
            new_status(STATUS.OPERATIONAL, "2022-06-29", vocab.source),
        ],
        investments=[
            figure_row(announced, amount="1720000000", amount_usd=""),
            figure_row(realised, DELETE=True),
            new_figure(KIND.COMMITTED, "1740000000", "2016-12-01", vocab.other_source),
        ],
    )

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 302
    assert derived(project) == {
        "status": STATUS.OPERATIONAL,
        "status_since": datetime.date(2022, 6, 29),
        "announced_usd": Decimal("1720000000.00"),
        "committed_usd": Decimal("1740000000.00"),
        "realised_usd": None,
        "realisation_ratio": None,
    }
    assert derived(project) == services.compute_derived(project)
    assert project.history.count() == 2

    deleting_everything = form_data(
        fields_of(project, vocab),
        status_changes=[status_row(change, DELETE=True) for change in project.status_changes.order_by("id")],
        investments=[figure_row(figure, DELETE=True) for figure in project.investments.all()],
    )
    response = admin_client.post(change_url(project), deleting_everything)

    assert response.status_code == 302
    assert derived(project) == services.compute_derived(project)
    assert derived(project)["status"] == ""
    assert derived(project)["announced_usd"] is None


def test_project_change_backward_status_shows_error_and_saves_nothing(admin_client, vocab):
    project = add_karot(admin_client, vocab)
    rows = [status_row(change) for change in project.status_changes.order_by("id")]
    data = form_data(
        fields_of(project, vocab), status_changes=[*rows, new_status(STATUS.MOU, "2018-01-01", vocab.source)]
    )

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 200
    row_errors, _ = inline_errors(response, "status_changes")
    assert row_errors == [
        {},
        {},
        {
            "status": [
                "A project cannot move back from implementation to mou; a backward move is allowed only from suspended."
            ]
        },
    ]
    assert "A project cannot move back from implementation to mou" in response.content.decode()
    assert project.status_changes.count() == 2
    assert derived(project)["status"] == STATUS.IMPLEMENTATION
    assert project.history.count() == 1


def test_project_change_deleting_row_that_breaks_history_shows_error(admin_client, vocab):
    project = make_project(corridor=vocab.corridor, sector=vocab.sector, pillars=[vocab.pillar])
    implementation = add_status(project, STATUS.IMPLEMENTATION, datetime.date(2018, 1, 1))
    suspended = add_status(project, STATUS.SUSPENDED, datetime.date(2019, 1, 1))
    mou = add_status(project, STATUS.MOU, datetime.date(2020, 1, 1))
    data = form_data(
        fields_of(project, vocab),
        status_changes=[status_row(implementation), status_row(suspended, DELETE=True), status_row(mou)],
    )

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 200
    row_errors, _ = inline_errors(response, "status_changes")
    assert row_errors[2] == {
        "status": [
            "A project cannot move back from implementation to mou; a backward move is allowed only from suspended."
        ]
    }
    assert project.status_changes.count() == 3


def test_project_change_moving_dates_together_checks_the_combined_history(admin_client, vocab):
    project = make_project(corridor=vocab.corridor, sector=vocab.sector, pillars=[vocab.pillar])
    pipeline = add_status(project, STATUS.PIPELINE, datetime.date(2015, 1, 1))
    mou = add_status(project, STATUS.MOU, datetime.date(2016, 1, 1))
    # Each edit alone would put the first row after the second; together they keep the order.
    data = form_data(
        fields_of(project, vocab),
        status_changes=[status_row(pipeline, date="2017-01-01"), status_row(mou, date="2018-01-01")],
    )

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 302
    assert list(project.status_changes.order_by("id").values_list("date", flat=True)) == [
        datetime.date(2017, 1, 1),
        datetime.date(2018, 1, 1),
    ]
    assert derived(project)["status_since"] == datetime.date(2018, 1, 1)


def test_project_change_dates_going_backwards_show_error(admin_client, vocab):
    project = add_karot(admin_client, vocab)
    mou, implementation = project.status_changes.order_by("id")
    data = form_data(
        fields_of(project, vocab), status_changes=[status_row(mou), status_row(implementation, date="2013-01-01")]
    )

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 200
    row_errors, _ = inline_errors(response, "status_changes")
    assert row_errors[1] == {
        "date": [
            "Dates along a project's history never go backwards: 2013-01-01 is before the previous status change "
            "(mou, 2014-04-20)."
        ]
    }
    assert implementation.date == StatusChange.objects.get(pk=implementation.pk).date


def test_project_add_two_preferred_figures_of_one_kind_shows_error(admin_client, vocab):
    data = form_data(
        project_fields(vocab),
        investments=[
            new_figure(KIND.ANNOUNCED, "1698000000", "2016-02-01", vocab.source, is_preferred=True),
            new_figure(KIND.ANNOUNCED, "1780000000", "2017-02-01", vocab.other_source, is_preferred=True),
            new_figure(KIND.REALISED, "1420000000", "2022-06-29", vocab.source, is_preferred=True),
        ],
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    row_errors, _ = inline_errors(response, "investments")
    message = (
        "This project already has a preferred figure of this kind: unmark that one first (at most one preferred "
        "figure per project and kind)."
    )
    assert row_errors == [{"is_preferred": [message]}, {"is_preferred": [message]}, {}]
    assert Project.objects.count() == 0


def test_project_change_moving_preferred_between_rows_in_one_submit_saves(admin_client, vocab):
    project = make_project(corridor=vocab.corridor, sector=vocab.sector, pillars=[vocab.pillar])
    preferred = add_figure(project, KIND.ANNOUNCED, "1698000000", as_of=datetime.date(2016, 1, 1), is_preferred=True)
    other = add_figure(project, KIND.ANNOUNCED, "1420000000", as_of=datetime.date(2015, 1, 1))
    # The row taking "preferred" comes first, as the admin lists it (older as_of first): saved in row order it
    # would meet the still-preferred row in the unique index.
    data = form_data(
        fields_of(project, vocab),
        investments=[figure_row(other, is_preferred=True), figure_row(preferred, is_preferred=False)],
    )

    response = admin_client.post(change_url(project), data)

    assert response.status_code == 302
    assert list(InvestmentFigure.objects.filter(project=project, is_preferred=True)) == [other]
    assert derived(project)["announced_usd"] == Decimal("1420000000.00")


def test_project_add_non_usd_figures_keep_typed_usd_and_convert_empty_usd(admin_client, vocab):
    ExchangeRate.objects.create(currency="CNY", year=2016, usd_per_unit=Decimal("0.15"), source=vocab.source)
    data = form_data(
        project_fields(vocab),
        investments=[
            new_figure(
                KIND.ANNOUNCED, "10000000000", "2016-02-01", vocab.source, currency="CNY", amount_usd="1450000000"
            ),
            new_figure(KIND.COMMITTED, "10000000000", "2016-12-01", vocab.source, currency="CNY"),
        ],
    )

    response = admin_client.post(ADD, data)

    assert response.status_code == 302
    project = Project.objects.get(slug="karot-hydropower")
    figures = project.investments.order_by("kind")
    assert [(f.kind, f.amount_usd, f.amount_usd_converted) for f in figures] == [
        (KIND.ANNOUNCED, Decimal("1450000000.00"), False),
        (KIND.COMMITTED, Decimal("1500000000.00"), True),
    ]
    assert derived(project) == services.compute_derived(project)


def test_project_change_typed_usd_amount_replaces_a_converted_one(admin_client, vocab):
    ExchangeRate.objects.create(currency="CNY", year=2016, usd_per_unit=Decimal("0.15"), source=vocab.source)
    project = make_project(corridor=vocab.corridor, sector=vocab.sector, pillars=[vocab.pillar])
    converted = add_figure(project, KIND.ANNOUNCED, "10000000000", currency="CNY", as_of=datetime.date(2016, 2, 1))
    data = form_data(fields_of(project, vocab), investments=[figure_row(converted, amount_usd="1450000000")])

    response = admin_client.post(change_url(project), data)

    converted.refresh_from_db()
    assert response.status_code == 302
    assert (converted.amount_usd, converted.amount_usd_converted) == (Decimal("1450000000.00"), False)
    assert derived(project)["announced_usd"] == Decimal("1450000000.00")


@pytest.mark.parametrize(
    ("overrides", "investment", "field", "message"),
    [
        ({"pillars": []}, None, "pillars", "Choose at least one pillar."),
        (
            {"latitude": "45.0", "longitude": "70.0"},
            None,
            "latitude",
            "Latitude 45 is outside Pakistan (23.5 to 37.1 N).",
        ),
        (
            {},
            {"currency": "PKR", "as_of": "2016-02-01"},
            "amount_usd",
            "No exchange rate for PKR in 2016: enter the USD amount the source gives, add an exchange rate for "
            "that year first, or say in no_usd_reason why the figure stays in its currency.",
        ),
    ],
    ids=["no-pillar", "latitude-outside-pakistan", "no-exchange-rate"],
)
def test_project_add_rule_violation_shows_form_error(admin_client, vocab, overrides, investment, field, message):
    figure = new_figure(KIND.ANNOUNCED, "1000", "2016-02-01", vocab.source) | (investment or {})
    data = form_data(project_fields(vocab, **overrides), investments=[figure] if investment else [])

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    if investment:
        assert inline_errors(response, "investments")[0] == [{field: [message]}]
    else:
        assert response.context["adminform"].form.errors[field] == [message]
    assert Project.objects.count() == 0


def test_project_add_same_organisation_twice_in_one_role_shows_error(admin_client, vocab):
    organisation = OrganisationFactory(slug="three-gorges")
    row = {"organisation": organisation.pk, "role": choices.ParticipationRole.SPONSOR}
    data = form_data(project_fields(vocab), participations=[row, row])

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert inline_errors(response, "participations")[0] == [
        {},
        {"role": ["three-gorges is listed twice as sponsor."]},
    ]
    assert Project.objects.count() == 0


def test_project_add_identifier_taken_by_another_project_shows_error(admin_client, vocab):
    other = make_project(slug="other", corridor=vocab.corridor, sector=vocab.sector, pillars=[vocab.pillar])
    other.external_ids.create(scheme="gem", value="G100000")
    data = form_data(project_fields(vocab), external_ids=[{"scheme": "gem", "value": "G100000"}])

    response = admin_client.post(ADD, data)

    assert response.status_code == 200
    assert inline_errors(response, "external_ids")[0] == [
        {"__all__": ["External identifier with this Scheme and Value already exists."]}
    ]
    assert Project.objects.count() == 1


# --- actions, history, permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "publication", "message"),
    [
        ("publish", choices.Publication.PUBLISHED, "1 project published. 1 already published."),
        ("unpublish", choices.Publication.DRAFT, "1 project moved back to draft. 1 already in draft."),
    ],
)
def test_project_publication_action_sets_selected_projects(admin_client, two_projects, action, publication, message):
    selected = [two_projects.hydro.pk, two_projects.road.pk]

    response = admin_client.post(CHANGELIST, {"action": action, "_selected_action": selected}, follow=True)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [message]
    assert sorted(Project.objects.values_list("publication", flat=True)) == [publication, publication]


def test_project_history_page_lists_who_changed_which_fields(admin_client, admin_user, vocab):
    project = add_karot(admin_client, vocab)
    data = form_data(fields_of(project, vocab) | {"place_name": "Karot, Kahuta"})
    admin_client.post(change_url(project), data)

    response = admin_client.get(f"/admin/projects/project/{project.pk}/history/")

    html = response.content.decode()
    assert response.status_code == 200
    assert project.history.count() == 2
    assert project.history.first().changed_fields == ["place_name"]
    assert html.count(f"<td>{admin_user.username}</td>") == 2
    assert "<td>Place name</td>" in html
    assert "<td>Created</td>" in html
    assert "None" not in html


def test_project_history_old_version_cannot_be_restored(admin_client, vocab):
    project = add_karot(admin_client, vocab)
    version = project.history.get()
    url = f"/admin/projects/project/{project.pk}/history/{version.history_id}/"

    viewed = admin_client.get(url)
    restored = admin_client.post(url, fields_of(project, vocab) | {"name": "Old name"})

    assert viewed.status_code == 200
    assert restored.status_code == 403
    assert Project.objects.get(pk=project.pk).name == "Karot Hydropower Project"


def test_editor_can_add_and_change_but_not_delete_a_project(editor_client, editor, vocab):
    project = add_karot(editor_client, vocab)
    changed = editor_client.post(change_url(project), form_data(fields_of(project, vocab) | {"name": "Karot HPP"}))

    delete_page = editor_client.get(f"/admin/projects/project/{project.pk}/delete/")
    delete_post = editor_client.post(f"/admin/projects/project/{project.pk}/delete/", {"post": "yes"})

    assert changed.status_code == 302
    assert Project.objects.get(pk=project.pk).name == "Karot HPP"
    assert project.history.first().history_user == editor
    assert (delete_page.status_code, delete_post.status_code) == (403, 403)
    assert Project.objects.filter(pk=project.pk).exists()


def test_editor_can_delete_an_inline_row(editor_client, vocab):
    project = add_karot(editor_client, vocab)
    announced, realised = project.investments.order_by("id")
    data = form_data(fields_of(project, vocab), investments=[figure_row(announced), figure_row(realised, DELETE=True)])

    response = editor_client.post(change_url(project), data)

    assert response.status_code == 302
    assert list(project.investments.all()) == [announced]
    assert derived(project)["realised_usd"] is None


def test_editor_autocomplete_finds_sources(editor_client, vocab):
    response = editor_client.get(
        "/admin/autocomplete/",
        {"app_label": "projects", "model_name": "statuschange", "field_name": "source", "term": "PPIB"},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(vocab.source.pk)]


def test_admin_non_staff_user_is_sent_to_login(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="reader", password="reader-pass-123"))

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={CHANGELIST}"


@pytest.mark.parametrize("model", ["corridor", "pillar", "sector", "source", "organisation", "exchangerate", "project"])
def test_admin_pages_of_each_model_render(admin_client, two_projects, model):
    ExchangeRate.objects.create(currency="PKR", year=2020, usd_per_unit=Decimal("0.006"), source=SourceFactory())

    changelist = admin_client.get(f"/admin/projects/{model}/")
    add_page = admin_client.get(f"/admin/projects/{model}/add/")

    assert (changelist.status_code, add_page.status_code) == (200, 200)
    first = changelist.context["cl"].result_list[0]
    assert admin_client.get(f"/admin/projects/{model}/{first.pk}/history/").status_code == 200


def test_admin_province_list_is_not_editable(admin_client, db):
    response = admin_client.get("/admin/projects/province/")

    assert response.status_code == 404


# --- setup_editors ----------------------------------------------------------------------------------------------


def group_permissions():
    group = Group.objects.get(name="editors")
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_setup_editors_grants_add_change_view_and_delete_only_on_project_rows(db, capsys):
    call_command("setup_editors")

    granted = group_permissions()
    output = capsys.readouterr().out
    assert output.splitlines() == [
        f"Group 'editors' created: {len(granted)} permissions ({len(granted)} granted, 0 revoked). "
        "Make a staff user an editor by adding them to it.",
        "Give an editor an API token (hashed, expiring) with `manage.py api_token issue <username>`; revoke it with "
        "`manage.py api_token revoke <id>`.",
    ]
    assert {p for p in granted if p.startswith("projects.")} == {
        f"projects.{action}_{model}"
        for model in ["corridor", "pillar", "sector", "source", "organisation", "exchangerate", "project", "event"]
        for action in ["add", "change", "view"]
    } | {
        f"projects.{action}_{model}"
        for model in ["statuschange", "investmentfigure", "participation", "externalidentifier", "eventproject"]
        for action in ["add", "change", "view", "delete"]
    } | {"projects.view_province"}
    assert "projects.delete_project" not in granted
    assert not any("historical" in permission for permission in granted)


def test_setup_editors_verbose_lists_each_permission_granted(db, capsys):
    call_command("setup_editors", verbosity=2)

    lines = capsys.readouterr().out.splitlines()
    assert "  Granted projects.add_project" in lines
    assert len([line for line in lines if line.startswith("  Granted ")]) == len(group_permissions())


def test_setup_editors_run_twice_changes_nothing_and_restores_the_set(db, capsys):
    call_command("setup_editors")
    first = group_permissions()
    Group.objects.get(name="editors").permissions.add(Permission.objects.get(codename="delete_project"))
    call_command("setup_editors")
    capsys.readouterr()

    call_command("setup_editors")

    assert group_permissions() == first
    assert capsys.readouterr().out.splitlines() == [
        f"Group 'editors' already up to date: {len(first)} permissions (0 granted, 0 revoked). "
        "Make a staff user an editor by adding them to it.",
        "Give an editor an API token (hashed, expiring) with `manage.py api_token issue <username>`; revoke it with "
        "`manage.py api_token revoke <id>`.",
    ]
    assert Group.objects.filter(name="editors").count() == 1


def test_project_change_page_shows_quotes_and_the_editorial_note(admin_client, db):
    project = make_project(slug="port-qasim")
    services.project_update(project=project, editorial_note="Check the COD with PPIB.", confidence="medium")
    services.status_change_record(
        project=project,
        status=STATUS.OPERATIONAL,
        date=datetime.date(2017, 11, 29),
        source=SourceFactory(),
        quote="The first unit was inaugurated on November 29.",
    )
    project.external_ids.create(scheme="gem", value="Port_Qasim_EPC_power_station", quote="It is operating.")

    response = admin_client.get(change_url(project))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="status_changes-0-quote" value="The first unit was inaugurated on November 29."' in page
    assert 'name="investments-__prefix__-quote"' in page
    assert 'value="It is operating."' in page
    assert "Check the COD with PPIB.</textarea>" in page
    assert '<option value="medium" selected>' in page
