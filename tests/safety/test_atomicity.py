"""Every multi-row write is atomic: a write that fails half-way, after some of its rows were written, leaves nothing
behind, neither the rows nor their history.

The tests commit for real (``transaction=True``), as production does, so a write that is not atomic would leave its
first rows in the database. The failures are real: a validation error on a later row, a row deleted meanwhile by
someone else, or the database refusing a row (a trigger the test installs, standing for any constraint or storage
failure) after the earlier rows of the write were stored.
"""

import datetime
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from projects import choices, services
from projects.models import Organisation, Pillar, Project, Province, StatusChange
from tests import factories
from tests.api_fixtures import editor_user, token_client
from tests.safety.sample import build_project

pytestmark = pytest.mark.django_db(transaction=True)

D = datetime.date
TRIGGER = "safety_test_refusal"


def registry_state() -> dict[str, list[dict]]:
    """Every row of every table of the registry apps: records, their history, many-to-many links."""
    return {
        model._meta.label_lower: list(model._base_manager.order_by("pk").values())
        for app_label in ("projects", "indicators")
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True)
    }


@contextmanager
def database_refuses(table: str, event: str, condition: str = "1 = 1"):
    """Make the database reject ``event`` (INSERT, UPDATE, DELETE) on ``table`` for rows matching ``condition``
    (SQL over NEW or OLD), as a violated constraint would: the write gets an IntegrityError."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"RAISE EXCEPTION 'refused by {TRIGGER}' USING ERRCODE = 'integrity_constraint_violation'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE {event} ON {table} FOR EACH ROW WHEN ({condition}) "
                f"EXECUTE FUNCTION {TRIGGER}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE {event} ON {table} FOR EACH ROW WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, 'refused by {TRIGGER}'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")


@pytest.fixture
def editor_client():
    client = token_client(editor_user())
    client.raise_request_exception = False  # a database failure is a 500 response, as in production
    return client


def project_fields(**overrides) -> dict:
    return {
        "slug": "thar-coal-block-1",
        "name": "Thar Coal Block I",
        "phase": choices.Phase.CPEC_1,
        "corridor": factories.CorridorFactory(code="green"),
        "sector": factories.SectorFactory(code="energy"),
        "pillars": [factories.PillarFactory(code="energy")],
        "provinces": [Province.objects.get(code="PK-SD")],
        **overrides,
    }


def project_body(**overrides) -> dict:
    factories.CorridorFactory(code="green")
    factories.SectorFactory(code="energy")
    factories.PillarFactory(code="energy")
    factories.OrganisationFactory(slug="shanghai-electric")
    return {
        "slug": "thar-coal-block-1",
        "name": "Thar Coal Block I",
        "phase": "1",
        "corridor": "green",
        "sector": "energy",
        "pillars": ["energy"],
        "provinces": ["PK-SD"],
        "participants": [{"organisation": "shanghai-electric", "role": "sponsor"}],
        **overrides,
    }


# --- the service path -----------------------------------------------------------------------------------------


def test_project_create_refused_after_its_row_stores_nothing():
    fields = project_fields(provinces=[Province.objects.get(code="PK-SD"), Province.objects.get(code="PK-IS")])
    before = registry_state()

    # The project row is stored, then its second province link is refused.
    refusal = database_refuses("projects_project_provinces", "INSERT", "NEW.province_id = 'PK-IS'")
    with refusal, pytest.raises(IntegrityError):
        services.project_create(**fields)

    assert registry_state() == before


def test_project_create_with_a_pillar_deleted_meanwhile_stores_nothing():
    fields = project_fields()
    Pillar.objects.filter(code="energy").delete()  # another editor, between reading the form and saving it
    before = registry_state()

    # Everything is written; the dangling pillar link fails the foreign-key check at commit.
    with pytest.raises(IntegrityError):
        services.project_create(**fields)

    assert registry_state() == before


def test_project_update_refused_after_its_row_stores_nothing():
    project = factories.make_project(slug="sahiwal-coal", name="Sahiwal Coal")
    source = factories.SourceFactory()
    before = registry_state()

    refusal = database_refuses("projects_project_sources", "INSERT")
    with refusal, pytest.raises(IntegrityError):
        services.project_update(project=project, name="Sahiwal Coal Power Plant", sources=[source])

    assert registry_state() == before
    assert Project.objects.get(pk=project.pk).name == "Sahiwal Coal"


def test_participants_failing_on_a_later_row_store_nothing():
    project = factories.make_project(slug="sahiwal-coal")
    sponsor = factories.OrganisationFactory(slug="huaneng")
    contractor = factories.OrganisationFactory(slug="sinohydro")
    before = registry_state()

    # Both rows pass the rules; the database refuses the second one after the first is stored.
    refusal = database_refuses("projects_participation", "INSERT", "NEW.role = 'contractor'")
    with refusal, pytest.raises(IntegrityError):
        services.project_set_participants(
            project=project,
            participants=[
                {"organisation": sponsor, "role": choices.ParticipationRole.SPONSOR},
                {"organisation": contractor, "role": choices.ParticipationRole.CONTRACTOR},
            ],
        )

    assert registry_state() == before


def test_participants_with_an_invalid_later_row_refused_before_any_write():
    project = factories.make_project(slug="sahiwal-coal")
    sponsor = factories.OrganisationFactory(slug="huaneng")
    contractor = factories.OrganisationFactory(slug="sinohydro")
    before = registry_state()

    with pytest.raises(ValidationError) as refused:
        services.project_set_participants(
            project=project,
            participants=[
                {"organisation": sponsor, "role": choices.ParticipationRole.SPONSOR},
                {"organisation": contractor, "role": "builder"},
            ],
        )

    assert {index: error.message_dict for index, error in refused.value.rows.items()} == {
        1: {"role": ["Value 'builder' is not a valid choice."]}
    }
    assert refused.value.messages == ["Row 2: Value 'builder' is not a valid choice."]
    assert registry_state() == before


def test_status_change_record_refused_in_the_derived_fields_stores_nothing():
    project = factories.make_project(slug="gwadar-port")
    factories.add_status(project, choices.Status.IMPLEMENTATION, D(2016, 1, 1))
    source = factories.SourceFactory()
    before = registry_state()

    # The status change and its history entry are stored; recomputing the project's status is refused.
    refusal = database_refuses("projects_project", "UPDATE", "NEW.status = 'cancelled'")
    with refusal, pytest.raises(IntegrityError):
        services.status_change_record(project=project, status="cancelled", date=D(2020, 1, 1), source=source)

    assert registry_state() == before


def test_status_change_delete_refused_in_the_derived_fields_stores_nothing():
    project = factories.make_project(slug="gwadar-port")
    factories.add_status(project, choices.Status.MOU, D(2015, 1, 1))
    latest = factories.add_status(project, choices.Status.IMPLEMENTATION, D(2016, 1, 1))
    before = registry_state()

    refusal = database_refuses("projects_project", "UPDATE", "NEW.status = 'mou'")
    with refusal, pytest.raises(IntegrityError):
        services.status_change_delete(status_change=latest)

    assert registry_state() == before


def test_investment_figure_record_refused_in_the_derived_fields_stores_nothing():
    project = factories.make_project(slug="gwadar-port")
    source = factories.SourceFactory()
    before = registry_state()

    refusal = database_refuses("projects_project", "UPDATE", "NEW.announced_usd IS NOT NULL")
    with refusal, pytest.raises(IntegrityError):
        factories.add_figure(project, choices.InvestmentKind.ANNOUNCED, "1000000", source=source)

    assert registry_state() == before


def test_publishing_several_projects_refused_on_the_second_stores_nothing():
    first = factories.make_project(slug="first", publication=choices.Publication.DRAFT)
    second = factories.make_project(slug="second", publication=choices.Publication.DRAFT)
    before = registry_state()

    refusal = database_refuses("projects_project", "UPDATE", "NEW.slug = 'second'")
    with refusal, pytest.raises(IntegrityError):
        services.project_set_publication(projects=[first, second], publication=choices.Publication.PUBLISHED)

    assert registry_state() == before


# --- the API path ---------------------------------------------------------------------------------------------


def test_api_project_create_refused_at_its_participants_stores_nothing(editor_client):
    body = project_body()
    before = registry_state()

    # The body passes the serializer; the project row, its links and its history entry are stored, then the
    # participation row is refused.
    with database_refuses("projects_participation", "INSERT"):
        response = editor_client.post("/api/v1/projects/", body, format="json")

    assert response.status_code == 500
    assert registry_state() == before


def test_api_project_create_refused_by_the_service_stores_nothing(editor_client):
    body = project_body(pillars=[])  # the serializer accepts an empty list; the service requires a pillar
    before = registry_state()

    response = editor_client.post("/api/v1/projects/", body, format="json")

    assert (response.status_code, response.json()) == (400, {"pillars": ["Choose at least one pillar."]})
    assert registry_state() == before


def test_api_project_update_refused_at_its_participants_stores_nothing(editor_client):
    body = project_body()
    assert editor_client.post("/api/v1/projects/", body, format="json").status_code == 201
    factories.OrganisationFactory(slug="sinohydro")
    before = registry_state()
    changed = {**body, "name": "Thar Block I", "participants": [{"organisation": "sinohydro", "role": "contractor"}]}

    with database_refuses("projects_participation", "INSERT"):
        response = editor_client.put("/api/v1/projects/thar-coal-block-1/", changed, format="json")

    assert response.status_code == 500
    assert registry_state() == before


def test_api_status_change_refused_in_the_derived_fields_stores_nothing(editor_client):
    project = factories.make_project(slug="gwadar-port")
    factories.add_status(project, choices.Status.IMPLEMENTATION, D(2016, 1, 1))
    source = factories.SourceFactory()
    body = {"project": "gwadar-port", "status": "cancelled", "date": "2020-01-01", "source": source.pk}
    before = registry_state()

    with database_refuses("projects_project", "UPDATE", "NEW.status = 'cancelled'"):
        response = editor_client.post("/api/v1/status-changes/", body, format="json")

    assert response.status_code == 500
    assert registry_state() == before
    assert StatusChange.objects.filter(project=project).count() == 1


def test_api_project_delete_refused_at_the_project_row_deletes_nothing(editor_client):
    build_project()
    before = registry_state()

    # The status changes, figures, participations, identifiers and observations go first, each with a history
    # entry; the project row itself is refused.
    with database_refuses("projects_project", "DELETE"):
        response = editor_client.delete("/api/v1/projects/karot-hydropower/")

    assert response.status_code == 500
    assert registry_state() == before


def test_api_record_update_refused_at_its_history_entry_changes_nothing(editor_client):
    factories.OrganisationFactory(slug="sinohydro", name="Sinohydro")
    before = registry_state()

    with database_refuses("projects_historicalorganisation", "INSERT"):
        response = editor_client.patch("/api/v1/organisations/sinohydro/", {"name": "PowerChina"}, format="json")

    assert response.status_code == 500
    assert registry_state() == before


def test_api_indicator_create_refused_at_its_corridors_stores_nothing(editor_client):
    factories.CorridorFactory(code="growth")
    body = {"code": "sez-firm-entry", "name": "SEZ firm entry", "unit": "firms", "level": "outcome"}
    before = registry_state()

    with database_refuses("indicators_indicator_corridors", "INSERT"):
        response = editor_client.post("/api/v1/indicators/", {**body, "corridors": ["growth"]}, format="json")

    assert response.status_code == 500
    assert registry_state() == before


def test_api_record_refused_at_its_history_entry_stores_nothing(editor_client):
    before = registry_state()

    with database_refuses("projects_historicalorganisation", "INSERT"):
        response = editor_client.post(
            "/api/v1/organisations/", {"slug": "sinohydro", "name": "Sinohydro", "kind": "state-owned"}, format="json"
        )

    assert response.status_code == 500
    assert registry_state() == before
    assert not Organisation.objects.filter(slug="sinohydro").exists()
