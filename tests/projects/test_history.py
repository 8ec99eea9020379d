"""Every change to every projects-domain record is kept: when, who, what kind of change and which fields it touched,
one entry per logical change, and the entries outlive the record."""

import datetime
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.test import RequestFactory
from django.utils import timezone
from simple_history.models import HistoricalRecords

from projects import choices, services
from projects.models import (
    Corridor,
    ExchangeRate,
    ExternalIdentifier,
    InvestmentFigure,
    Organisation,
    Participation,
    Pillar,
    Project,
    Sector,
    Source,
    StatusChange,
)
from registry.history import recorded_as_one_change
from tests.factories import (
    OrganisationFactory,
    PillarFactory,
    SectorFactory,
    SourceFactory,
    add_figure,
    add_rate,
    add_status,
    make_project,
    province,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def editor():
    return get_user_model().objects.create_user("editor", password="not-used-here")


@contextmanager
def acting_as(user):
    """What django-simple-history's HistoryRequestMiddleware does for a request by ``user``."""
    request = RequestFactory().post("/")
    request.user = user
    HistoricalRecords.context.request = request
    try:
        yield
    finally:
        del HistoricalRecords.context.request


def entries(model: type[models.Model], pk) -> list[tuple[str, str | None, list[str]]]:
    """(type, username, changed fields) of every history entry of one record, oldest first."""
    rows = model.history.filter(id=pk).order_by("history_date", "history_id").select_related("history_user")
    return [(row.history_type, getattr(row.history_user, "username", None), row.changed_fields) for row in rows]


# --- create, update and delete of each model -------------------------------------------------------------------------


@dataclass
class Case:
    build: Callable[[], models.Model]
    created: list[str]
    update: dict
    updated: list[str]


def participation() -> Participation:
    return Participation(
        project=make_project(), organisation=OrganisationFactory(slug="power-china"), role="contractor"
    )


CASES = {
    "corridor": Case(
        lambda: Corridor(code="growth", name="Growth Corridor", order=1),
        ["code", "name", "order"],
        {"aliases": ["Corridor of Growth"], "description": "Industry and exports."},
        ["aliases", "description"],
    ),
    "pillar": Case(lambda: Pillar(code="export", name="Export"), ["code", "name"], {"name": "Exports"}, ["name"]),
    "sector": Case(
        lambda: Sector(code="energy-hydro", name="Hydropower", parent=SectorFactory(code="energy")),
        ["code", "name", "parent"],
        {"parent": None},
        ["parent"],
    ),
    "organisation": Case(
        lambda: Organisation(slug="china-three-gorges", name="CTG", country="CN", kind="state-owned"),
        ["slug", "name", "country", "kind"],
        {"name": "China Three Gorges", "website": "https://www.ctg.com.cn/"},
        ["name", "website"],
    ),
    "source": Case(
        lambda: Source(title="CPEC projects list", url="https://cpec.gov.pk/projects", kind="official"),
        ["title", "url", "kind"],
        {"published_on": D(2024, 1, 31)},
        ["published_on"],
    ),
    "exchange rate": Case(
        lambda: ExchangeRate(currency="PKR", year=2020, usd_per_unit=Decimal("0.0062"), source=SourceFactory()),
        ["currency", "year", "usd_per_unit", "source"],
        {"usd_per_unit": Decimal("0.0063")},
        ["usd_per_unit"],
    ),
    "participation": Case(
        participation, ["project", "organisation", "role"], {"note": "EPC contractor, 100%"}, ["note"]
    ),
    "external identifier": Case(
        lambda: ExternalIdentifier(project=make_project(), scheme="gem", value="G100000509542"),
        ["project", "scheme", "value"],
        {"url": "https://www.gem.wiki/Karot_Hydropower_Project", "value": "G100000509543"},
        ["url", "value"],
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_history_records_create_update_delete_with_user_and_changed_fields(case, editor):
    record = case.build()
    record._history_user = editor
    record.full_clean()
    record.save()
    pk = record.pk
    for name, value in case.update.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()

    record.delete()

    model = type(record)
    assert entries(model, pk) == [("+", "editor", case.created), ("~", "editor", case.updated), ("-", "editor", [])]
    assert model.objects.filter(pk=pk).exists() is False


def test_history_records_time_of_change():
    before = timezone.now()
    source = SourceFactory()
    after = timezone.now()

    (entry,) = Source.history.filter(id=source.pk)

    assert before <= entry.history_date <= after


def test_history_without_a_user_records_none():
    source = SourceFactory(title="Anonymous import")

    assert entries(Source, source.pk) == [("+", None, ["title", "publisher", "url", "kind"])]


# --- projects: one entry per logical change --------------------------------------------------------------------------


def test_project_create_records_one_entry_with_its_fields_and_relations(editor):
    with acting_as(editor):
        project = make_project(slug="karot-hydropower", summary="720 MW run-of-river plant.", sources=[SourceFactory()])

    assert entries(Project, project.pk) == [
        (
            "+",
            "editor",
            [
                "slug",
                "name",
                "summary",
                "phase",
                "corridor",
                "sector",
                "publication",
                "pillars",
                "provinces",
                "sources",
            ],
        )
    ]
    created = project.history.get()
    assert [pillar.pillar.code for pillar in created.pillars.all()] == ["energy"]
    assert [row.province_id for row in created.provinces.all()] == ["PK-PB"]


def test_project_rename_records_name_only(editor):
    project = make_project(name="Karot")

    with acting_as(editor):
        services.project_update(project=project, name="Karot Hydropower Project")

    assert entries(Project, project.pk)[1:] == [("~", "editor", ["name"])]
    assert project.history.as_of(project.history.earliest().history_date).name == "Karot"


def test_project_update_of_relations_records_one_entry_naming_them(editor):
    project = make_project()

    with acting_as(editor):
        services.project_update(
            project=project,
            pillars=[PillarFactory(code="energy"), PillarFactory(code="environment")],
            provinces=[province("PK-JK"), province("PK-PB")],
            sources=[SourceFactory()],
        )
        services.project_update(project=project, sources=[])

    assert entries(Project, project.pk)[1:] == [
        ("~", "editor", ["pillars", "provinces", "sources"]),
        ("~", "editor", ["sources"]),
    ]


def test_project_update_with_nothing_changed_records_no_entry():
    project = make_project()
    updated_at = Project.objects.get(pk=project.pk).updated_at

    services.project_update(project=project, name=project.name)

    assert entries(Project, project.pk)[1:] == []
    assert Project.objects.get(pk=project.pk).updated_at == updated_at


def test_project_update_refused_records_nothing():
    project = make_project()

    with pytest.raises(Exception, match="Choose at least one pillar"):
        services.project_update(project=project, name="Renamed", pillars=[])

    assert len(entries(Project, project.pk)) == 1


def test_status_change_records_its_own_entry_and_the_projects_new_status(editor):
    project = make_project()

    with acting_as(editor):
        status_change = add_status(project, choices.Status.MOU, D(2016, 1, 1))

    assert entries(StatusChange, status_change.pk) == [("+", "editor", ["project", "status", "date", "source"])]
    assert entries(Project, project.pk)[1:] == [("~", "editor", ["status", "status_since"])]
    assert project.history.latest().status == "mou"


def test_status_change_edit_and_delete_record_entries_on_both(editor):
    project = make_project()
    add_status(project, choices.Status.PIPELINE, D(2015, 1, 1))
    status_change = add_status(project, choices.Status.MOU, D(2016, 1, 1))

    pk = status_change.pk

    with acting_as(editor):
        services.status_change_update(status_change=status_change, date=D(2016, 2, 1), note="Signed in Beijing.")
        services.status_change_delete(status_change=status_change)

    assert entries(StatusChange, pk)[1:] == [("~", "editor", ["date", "note"]), ("-", "editor", [])]
    assert entries(Project, project.pk)[3:] == [
        ("~", "editor", ["status_since"]),
        ("~", "editor", ["status", "status_since"]),
    ]


def test_investment_figures_record_entries_and_the_projects_new_money(editor):
    project = make_project()
    add_rate("PKR", 2020, "0.0060000000")

    with acting_as(editor):
        announced = add_figure(project, "announced", 1000)
        realised = add_figure(project, "realised", 100_000, currency="PKR")
        realised_pk = realised.pk
        services.investment_figure_update(investment=announced, amount=Decimal(1200))
        services.investment_figure_update(investment=realised, is_preferred=True)
        services.investment_figure_delete(investment=realised)

    assert entries(InvestmentFigure, announced.pk) == [
        (
            "+",
            "editor",
            [
                "project",
                "kind",
                "amount",
                "currency",
                "amount_usd",
                "amount_usd_converted",
                "as_of",
                "source",
                "is_preferred",
            ],
        ),
        ("~", "editor", ["amount", "amount_usd"]),
    ]
    assert entries(InvestmentFigure, realised_pk)[1:] == [("~", "editor", ["is_preferred"]), ("-", "editor", [])]
    assert entries(Project, project.pk)[1:] == [
        ("~", "editor", ["announced_usd"]),
        ("~", "editor", ["realisation_ratio", "realised_usd"]),
        ("~", "editor", ["announced_usd", "realisation_ratio"]),
        ("~", "editor", ["realisation_ratio", "realised_usd"]),
    ]


def test_project_publication_change_records_publication_only(editor):
    project = make_project(publication="draft")
    add_status(project, choices.Status.MOU, D(2016, 1, 1))
    older_copy = Project.objects.get(pk=project.pk)
    add_status(project, choices.Status.IMPLEMENTATION, D(2018, 1, 1))

    with acting_as(editor):
        services.project_set_publication(projects=[older_copy], publication="published")

    assert entries(Project, project.pk)[-1] == ("~", "editor", ["publication"])


# --- history outlives the record ---------------------------------------------------------------------------------


def test_project_history_survives_its_deletion(editor):
    project = make_project(slug="gwadar-airport")
    status_change = add_status(project, choices.Status.OPERATIONAL, D(2024, 10, 14))
    figure = add_figure(project, "announced", 246_000_000)
    pk = project.pk

    with acting_as(editor):
        project.delete()

    assert Project.objects.filter(pk=pk).exists() is False
    assert [entry[0] for entry in entries(Project, pk)] == ["+", "~", "~", "-"]
    assert entries(Project, pk)[-1] == ("-", "editor", [])
    assert entries(StatusChange, status_change.pk)[-1] == ("-", "editor", [])
    assert entries(InvestmentFigure, figure.pk)[-1] == ("-", "editor", [])
    last = Project.history.filter(id=pk).latest()
    assert (last.slug, last.status, last.announced_usd) == ("gwadar-airport", "operational", Decimal("246000000.00"))


# --- the history machinery itself --------------------------------------------------------------------------------


def test_recorded_as_one_change_records_nothing_when_the_block_fails():
    project = make_project()

    with pytest.raises(RuntimeError), recorded_as_one_change(project, created=False):
        project.name = "Half-done"
        project.save()
        raise RuntimeError("interrupted")

    assert len(entries(Project, project.pk)) == 1
    assert not hasattr(project, "skip_history_when_saving")


def test_recorded_as_one_change_lets_a_database_error_through():
    make_project(slug="taken")
    project = make_project(slug="free")
    project.slug = "taken"

    # On PostgreSQL the transaction is aborted after the error: recording history then would raise a different
    # error and hide this one.
    with pytest.raises(IntegrityError), transaction.atomic(), recorded_as_one_change(project, created=False):
        project.save()


def test_changed_fields_of_entries_with_the_same_timestamp_compare_with_the_one_just_before():
    source = SourceFactory(title="Draft title", publisher="Dawn")
    source._history_date = timezone.now()  # e.g. an import that stamps all its changes with one time

    source.title = "Final title"
    source.save()
    source.publisher = "The News"
    source.save()

    assert entries(Source, source.pk)[1:] == [("~", None, ["title"]), ("~", None, ["publisher"])]
