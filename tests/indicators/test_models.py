"""Indicators and observations: every database constraint, the matching clean() errors, public(), history."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from indicators import services
from indicators.models import DUPLICATE_SOURCE_MESSAGE, ONE_PREFERRED_MESSAGE, Indicator, Observation
from tests.factories import (
    CorridorFactory,
    IndicatorFactory,
    ObservationFactory,
    SourceFactory,
    make_project,
    province,
)

pytestmark = pytest.mark.django_db


def assert_refused_by_database(observation: Observation, constraint: str | None = None) -> None:
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        observation.save()
    if constraint is not None:
        assert constraint in str(raised.value)


def clean_errors(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as raised:
        instance.full_clean()
    return raised.value.message_dict


def unsaved_observation(**fields) -> Observation:
    return ObservationFactory.build(
        indicator=fields.pop("indicator", None) or IndicatorFactory(),
        source=fields.pop("source", None) or SourceFactory(),
        **fields,
    )


# --- subject matches scope ------------------------------------------------------------------------------------


@pytest.fixture
def subjects():
    return {
        "province": province("PK-BA"),
        "corridor": CorridorFactory(code="green"),
        "project": make_project(slug="gwadar-port"),
    }


@pytest.mark.parametrize(
    ("scope", "given"),
    [
        ("national", ["province"]),
        ("national", ["project"]),
        ("province", []),
        ("province", ["province", "corridor"]),
        ("corridor", ["project"]),
        ("corridor", ["corridor", "province"]),
        ("project", []),
        ("project", ["project", "corridor"]),
    ],
)
def test_observation_subject_not_matching_scope_refused_by_database(subjects, scope, given):
    observation = unsaved_observation(scope=scope, **{name: subjects[name] for name in given})

    assert_refused_by_database(observation, "observation_subject_matches_scope")


@pytest.mark.parametrize("scope", ["province", "corridor", "project"])
def test_observation_subject_matching_scope_saved(subjects, scope):
    observation = unsaved_observation(scope=scope, **{scope: subjects[scope]})

    observation.full_clean()
    observation.save()

    assert Observation.objects.get().subject == subjects[scope]


def test_observation_clean_national_with_province_names_the_field(subjects):
    observation = unsaved_observation(scope="national", province=subjects["province"])

    assert clean_errors(observation) == {"province": ["A national observation has no province: leave it empty."]}


def test_observation_clean_province_without_province_names_the_field():
    observation = unsaved_observation(scope="province")

    assert clean_errors(observation) == {"province": ["A province observation needs the province it is about."]}


def test_observation_clean_corridor_with_project_too_names_both_problems(subjects):
    observation = unsaved_observation(scope="corridor", project=subjects["project"])

    assert clean_errors(observation) == {
        "corridor": ["A corridor observation needs the corridor it is about."],
        "project": ["A corridor observation is about a corridor only: leave the project empty."],
    }


def test_observation_subject_code_is_the_public_identifier(subjects):
    national = ObservationFactory()
    by_province = ObservationFactory(scope="province", province=subjects["province"])
    by_corridor = ObservationFactory(scope="corridor", corridor=subjects["corridor"])
    by_project = ObservationFactory(scope="project", project=subjects["project"])

    codes = [o.subject_code for o in (national, by_province, by_corridor, by_project)]

    assert codes == ["", "PK-BA", "green", "gwadar-port"]


# --- period ---------------------------------------------------------------------------------------------------


def test_observation_period_end_before_start_refused_by_database():
    observation = unsaved_observation(period_start=datetime.date(2025, 2, 1), period_end=datetime.date(2025, 1, 31))

    assert_refused_by_database(observation, "observation_period_end_not_before_start")


def test_observation_clean_period_end_before_start_names_period_end():
    observation = unsaved_observation(period_start=datetime.date(2025, 2, 1), period_end=datetime.date(2025, 1, 31))

    assert clean_errors(observation) == {
        "period_end": ["The period cannot end (2025-01-31) before it starts (2025-02-01)."]
    }


def test_observation_single_day_period_accepted():
    observation = unsaved_observation(period_start=datetime.date(2015, 4, 20), period_end=datetime.date(2015, 4, 20))

    observation.full_clean()
    observation.save()

    assert Observation.objects.count() == 1


# --- choices --------------------------------------------------------------------------------------------------


def test_observation_unknown_scope_refused_by_database():
    observation = unsaved_observation(scope="regional")

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        observation.save()

    # An unknown scope also matches no subject rule; the database may report either constraint.
    message = str(raised.value)
    assert "observation_scope_valid" in message or "observation_subject_matches_scope" in message


def test_observation_unknown_kind_refused_by_database():
    observation = unsaved_observation(kind="forecast")

    assert_refused_by_database(observation, "observation_kind_valid")


def test_observation_clean_unknown_scope_and_kind_name_the_fields():
    observation = unsaved_observation(scope="regional", kind="forecast")

    assert clean_errors(observation) == {
        "scope": ["Value 'regional' is not a valid choice."],
        "kind": ["Value 'forecast' is not a valid choice."],
    }


def test_indicator_unknown_level_refused_by_database():
    indicator = IndicatorFactory.build(level="impact")

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        indicator.save()

    assert "indicator_level_valid" in str(raised.value)


def test_indicator_unknown_dimension_refused_by_database():
    indicator = IndicatorFactory.build(dimension="growth")

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        indicator.save()

    assert "indicator_dimension_valid" in str(raised.value)


def test_indicator_without_dimension_or_direction_is_valid():
    indicator = IndicatorFactory.build(code="gdp-usd", dimension="", higher_is_better=None)

    indicator.full_clean()
    indicator.save()

    assert Indicator.objects.get().dimension == ""


def test_indicator_code_must_be_a_slug():
    indicator = IndicatorFactory.build(code="GDP in USD")

    assert list(clean_errors(indicator)) == ["code"]


# --- uniqueness per scope -------------------------------------------------------------------------------------


def test_observation_duplicate_national_same_source_refused_although_subject_is_null():
    first = ObservationFactory()
    duplicate = unsaved_observation(indicator=first.indicator, source=first.source, value=Decimal("2"))

    assert_refused_by_database(duplicate)


def test_observation_clean_duplicate_national_same_source_names_the_source():
    first = ObservationFactory()
    duplicate = unsaved_observation(indicator=first.indicator, source=first.source, value=Decimal("2"))

    assert clean_errors(duplicate) == {"source": [DUPLICATE_SOURCE_MESSAGE]}


@pytest.mark.parametrize("scope", ["province", "corridor", "project"])
def test_observation_duplicate_per_subject_same_source_refused(subjects, scope):
    first = ObservationFactory(scope=scope, **{scope: subjects[scope]})
    duplicate = unsaved_observation(
        indicator=first.indicator, scope=scope, source=first.source, **{scope: subjects[scope]}
    )

    assert list(clean_errors(duplicate)) == ["source"]
    assert_refused_by_database(duplicate)


@pytest.mark.parametrize("scope", ["national", "province", "corridor", "project"])
def test_observation_competing_value_from_another_source_accepted(subjects, scope):
    subject = {scope: subjects[scope]} if scope != "national" else {}
    first = ObservationFactory(scope=scope, **subject)
    competing = unsaved_observation(indicator=first.indicator, scope=scope, value=Decimal("2"), **subject)

    competing.full_clean()
    competing.save()

    assert first.indicator.observations.count() == 2


@pytest.mark.parametrize("scope", ["national", "province", "corridor", "project"])
def test_observation_second_preferred_value_refused(subjects, scope):
    subject = {scope: subjects[scope]} if scope != "national" else {}
    first = ObservationFactory(scope=scope, is_preferred=True, **subject)
    competing = unsaved_observation(indicator=first.indicator, scope=scope, is_preferred=True, **subject)

    assert clean_errors(competing) == {"is_preferred": [ONE_PREFERRED_MESSAGE]}
    assert_refused_by_database(competing)


def test_observation_preferred_in_other_period_or_kind_accepted():
    first = ObservationFactory(is_preferred=True)
    others = [
        unsaved_observation(indicator=first.indicator, is_preferred=True, kind="target"),
        unsaved_observation(indicator=first.indicator, is_preferred=True, period_end=datetime.date(2025, 6, 30)),
    ]

    for observation in others:
        observation.full_clean()
        observation.save()

    assert first.indicator.observations.filter(is_preferred=True).count() == 3


def test_observation_record_service_refuses_second_preferred_and_writes_nothing():
    first = ObservationFactory(is_preferred=True)

    with pytest.raises(ValidationError) as raised:
        services.observation_record(
            indicator=first.indicator,
            scope="national",
            period_start=first.period_start,
            period_end=first.period_end,
            kind="actual",
            value=Decimal("5"),
            source=SourceFactory(),
            is_preferred=True,
        )

    assert raised.value.message_dict == {"is_preferred": [ONE_PREFERRED_MESSAGE]}
    assert Observation.objects.count() == 1


def test_observation_update_service_refuses_same_source_as_competitor():
    first = ObservationFactory()
    competing = ObservationFactory(indicator=first.indicator, value=Decimal("2"))

    with pytest.raises(ValidationError) as raised:
        services.observation_update(observation=competing, source=first.source)

    assert raised.value.message_dict == {"source": [DUPLICATE_SOURCE_MESSAGE]}
    competing.refresh_from_db()
    assert competing.source_id != first.source_id


def test_observation_update_service_keeps_its_own_preferred_flag():
    observation = ObservationFactory(is_preferred=True)

    services.observation_update(observation=observation, value=Decimal("3"), quote="three zones")

    observation.refresh_from_db()
    assert (observation.value, observation.quote, observation.is_preferred) == (Decimal("3"), "three zones", True)


def test_observation_same_period_other_province_kind_or_period_accepted():
    first = ObservationFactory(scope="province", province=province("PK-PB"))
    others = [
        unsaved_observation(indicator=first.indicator, scope="province", province=province("PK-SD")),
        unsaved_observation(indicator=first.indicator, scope="province", province=province("PK-PB"), kind="target"),
        unsaved_observation(
            indicator=first.indicator,
            scope="province",
            province=province("PK-PB"),
            period_end=datetime.date(2025, 6, 30),
        ),
        unsaved_observation(indicator=first.indicator),  # national, same period
    ]

    for observation in others:
        observation.full_clean()
        observation.save()

    assert Observation.objects.count() == 5


# --- publication ----------------------------------------------------------------------------------------------


def test_public_hides_observations_of_draft_projects():
    published = make_project(slug="karot-hydropower")
    draft = make_project(slug="secret-plant", publication="draft")
    national = ObservationFactory()
    by_corridor = ObservationFactory(scope="corridor", corridor=CorridorFactory(code="green"))
    of_published = ObservationFactory(scope="project", project=published)
    ObservationFactory(scope="project", project=draft)

    visible = set(Observation.objects.public())

    assert visible == {national, by_corridor, of_published}


def test_public_shows_observation_once_its_project_is_published():
    draft = make_project(slug="secret-plant", publication="draft")
    observation = ObservationFactory(scope="project", project=draft)
    draft.publication = "published"
    draft.save()

    assert list(Observation.objects.public()) == [observation]


# --- deletion and history -------------------------------------------------------------------------------------


def test_deleting_project_deletes_its_observations_and_history_keeps_them():
    project = make_project(slug="gwadar-port")
    observation = ObservationFactory(scope="project", project=project, value=Decimal("12.5"))

    project.delete()

    assert Observation.objects.count() == 0
    deleted = Observation.history.get(id=observation.pk, history_type="-")
    assert deleted.value == Decimal("12.5")


def test_deleting_indicator_with_observations_refused():
    observation = ObservationFactory()

    with pytest.raises(ProtectedError):
        observation.indicator.delete()


def test_deleting_source_of_observation_refused():
    observation = ObservationFactory()

    with pytest.raises(ProtectedError):
        observation.source.delete()


def test_observation_change_recorded_with_changed_fields():
    observation = ObservationFactory(value=Decimal("7"))

    observation.value = Decimal("44")
    observation.save()

    latest = observation.history.order_by("-history_id").first()
    assert (latest.history_type, latest.changed_fields, latest.value) == ("~", ["value"], Decimal("44"))


def test_indicator_history_tracks_corridors():
    indicator = IndicatorFactory(code="sez-firm-entry")

    indicator.corridors.set([CorridorFactory(code="growth")])

    latest = indicator.history.order_by("-history_id").first()
    assert latest.changed_fields == ["corridors"]
    assert [c.corridor.code for c in latest.corridors.all()] == ["growth"]
