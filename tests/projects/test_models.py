"""Single-row rules of the projects domain: field validators and clean() (what full_clean reports) and the named
database constraints behind them (what a write that skips full_clean hits)."""

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction

from projects import choices, services
from projects.models import (
    ExchangeRate,
    ExternalIdentifier,
    InvestmentFigure,
    Participation,
    Project,
    Sector,
    Source,
    stale_cutoff,
)
from tests.factories import (
    CorridorFactory,
    OrganisationFactory,
    SectorFactory,
    SourceFactory,
    add_figure,
    add_participant,
    add_rate,
    add_status,
    make_project,
)

pytestmark = pytest.mark.django_db

D = datetime.date
ONE_PREFERRED = (
    "This project already has a preferred figure of this kind: unmark that one first "
    "(at most one preferred figure per project and kind)."
)


@contextmanager
def violates(model: type[models.Model], name: str):
    """Expect the block to hit the named database constraint of ``model`` (and nothing else)."""
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        yield
    message = str(caught.value)
    constraint = next(c for c in model._meta.constraints if c.name == name)
    if connection.vendor == "sqlite" and isinstance(constraint, models.UniqueConstraint):
        # SQLite names the columns of a failed unique index, not the index.
        table = model._meta.db_table
        columns = [model._meta.get_field(field).column for field in constraint.fields]
        assert message == "UNIQUE constraint failed: " + ", ".join(f"{table}.{column}" for column in columns)
    else:
        assert name in message


def messages(caught: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return caught.value.message_dict


def raw_project(**fields) -> Project:
    """A project written straight to the table, skipping full_clean: only the database's constraints apply."""
    defaults = {
        "slug": "raw-project",
        "name": "Raw project",
        "phase": choices.Phase.CPEC_1,
        "corridor": CorridorFactory(code="green"),
        "sector": SectorFactory(code="energy"),
    }
    return Project.objects.create(**{**defaults, **fields})


def raw_figure(project: Project, **fields) -> InvestmentFigure:
    defaults = {
        "kind": choices.InvestmentKind.ANNOUNCED,
        "amount": Decimal("100.00"),
        "currency": "USD",
        "amount_usd": Decimal("100.00"),
        "as_of": D(2020, 1, 1),
        "source": SourceFactory(),
    }
    return InvestmentFigure.objects.create(project=project, **{**defaults, **fields})


# --- investment figures: one preferred per project and kind -----------------------------------------------------


def test_investment_figure_second_preferred_of_a_kind_refused_by_full_clean():
    project = make_project()
    add_figure(project, "announced", 100, is_preferred=True)
    second = InvestmentFigure(
        project=project,
        kind="announced",
        amount=Decimal(200),
        currency="USD",
        as_of=D(2021, 1, 1),
        source=SourceFactory(),
        is_preferred=True,
    )

    with pytest.raises(ValidationError) as caught:
        second.full_clean()

    assert messages(caught) == {"__all__": [ONE_PREFERRED]}


def test_investment_figure_second_preferred_of_a_kind_refused_by_service():
    project = make_project()
    add_figure(project, "announced", 100, is_preferred=True)

    with pytest.raises(ValidationError) as caught:
        add_figure(project, "announced", 200, is_preferred=True)

    assert messages(caught) == {"__all__": [ONE_PREFERRED]}
    assert project.investments.count() == 1


def test_investment_figure_second_preferred_of_a_kind_refused_by_database():
    project = make_project()
    raw_figure(project, is_preferred=True)

    with violates(InvestmentFigure, "investment_one_preferred_per_kind"):
        raw_figure(project, is_preferred=True, amount=Decimal(5), amount_usd=Decimal(5))


def test_investment_figure_preferred_allowed_once_per_kind_and_project():
    project, other = make_project(), make_project()
    add_figure(project, "announced", 100, is_preferred=True)

    add_figure(project, "committed", 90, is_preferred=True)
    add_figure(project, "announced", 80)
    add_figure(other, "announced", 70, is_preferred=True)

    assert InvestmentFigure.objects.filter(is_preferred=True).count() == 3


# --- investment figures: amounts ----------------------------------------------------------------------------------


def test_investment_figure_negative_amount_refused_by_validator():
    project = make_project()

    with pytest.raises(ValidationError) as caught:
        add_figure(project, "announced", "-0.01")

    assert messages(caught) == {"amount": ["Must not be negative."]}


def test_investment_figure_negative_amount_refused_by_database():
    project = make_project()

    with violates(InvestmentFigure, "investment_amount_non_negative"):
        raw_figure(project, amount=Decimal("-1"), currency="PKR", amount_usd=Decimal(5))


def test_investment_figure_negative_usd_amount_refused_by_validator_and_database():
    project = make_project()

    with pytest.raises(ValidationError) as caught:
        add_figure(project, "announced", 1000, currency="PKR", amount_usd=Decimal("-1"))
    assert messages(caught) == {"amount_usd": ["Must not be negative."]}

    with violates(InvestmentFigure, "investment_amount_usd_non_negative"):
        raw_figure(project, amount=Decimal(5), currency="PKR", amount_usd=Decimal("-1"))


def test_investment_figure_in_usd_gets_usd_amount_automatically():
    project = make_project()

    figure = add_figure(project, "announced", "1420.50")

    figure.refresh_from_db()
    assert (figure.amount_usd, figure.amount_usd_converted) == (Decimal("1420.50"), False)


def test_investment_figure_in_usd_with_different_usd_amount_refused():
    project = make_project()

    with pytest.raises(ValidationError) as caught:
        add_figure(project, "announced", 100, amount_usd=Decimal(99))

    assert messages(caught) == {"amount_usd": ["For a figure in USD, the USD amount equals the amount."]}


def test_investment_figure_in_usd_with_different_usd_amount_refused_by_database():
    project = make_project()

    with violates(InvestmentFigure, "investment_usd_amount_equals_amount"):
        raw_figure(project, amount=Decimal(100), amount_usd=Decimal(99))


def test_investment_figure_in_usd_without_usd_amount_refused_by_database():
    project = make_project()

    with violates(InvestmentFigure, "investment_usd_amount_equals_amount"):
        raw_figure(project, amount=Decimal(100), amount_usd=None)


def test_investment_figure_not_in_usd_keeps_given_usd_amount():
    project = make_project()
    add_rate("PKR", 2020, "0.0060000000")

    figure = add_figure(project, "announced", 1_000_000, currency="PKR", amount_usd=Decimal("6250.00"))

    figure.refresh_from_db()
    assert (figure.amount_usd, figure.amount_usd_converted) == (Decimal("6250.00"), False)


def test_investment_figure_not_in_usd_converted_with_rate_of_the_year_of_as_of():
    project = make_project()
    add_rate("PKR", 2019, "0.0070000000")
    add_rate("PKR", 2020, "0.0060000000")
    add_rate("PKR", 2021, "0.0050000000")

    figure = add_figure(project, "announced", 1_000_000, currency="PKR", as_of=D(2020, 12, 31))

    figure.refresh_from_db()
    assert (figure.amount_usd, figure.amount_usd_converted) == (Decimal("6000.00"), True)


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [
        ("1", "0.0050000000", "0.01"),  # exactly half a cent: up, where banker's rounding would give 0.00
        ("3", "0.0050000000", "0.02"),
        ("2800000", "0.0071428571", "20000.00"),  # 19999.99988
        ("123456789.99", "0.1368000000", "16888888.87"),  # 16888888.870632
        ("0.01", "0.0000000001", "0.00"),
    ],
)
def test_investment_figure_conversion_exact_and_rounded_half_up_to_cents(amount, rate, expected):
    project = make_project()
    add_rate("CNY", 2020, rate)

    figure = add_figure(project, "announced", amount, currency="CNY")

    figure.refresh_from_db()
    assert figure.amount_usd == Decimal(expected)


def test_investment_figure_conversion_without_rate_refused_with_clear_message():
    project = make_project()
    add_rate("CNY", 2020, "0.1400000000")

    with pytest.raises(ValidationError) as caught:
        add_figure(project, "announced", 1000, currency="CNY", as_of=D(2021, 3, 1))

    assert messages(caught) == {
        "amount_usd": [
            "No exchange rate for CNY in 2021: enter the USD amount the source gives, add an exchange rate for that "
            "year first, or say in no_usd_reason why the figure stays in its currency."
        ]
    }
    assert project.investments.count() == 0


def test_investment_figure_conversion_too_large_to_store_refused():
    project = make_project()
    add_rate("EUR", 2020, "1.2000000000")

    with pytest.raises(ValidationError) as caught:
        add_figure(project, "announced", "9999999999999999.99", currency="EUR")

    assert messages(caught) == {
        "amount_usd": [
            "Converted at 1.2000000000 USD per EUR, 9999999999999999.99 EUR is 11999999999999999.99 USD, "
            "too large to store (the limit is below 10000000000000000 USD)."
        ]
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "a lot"}, "amount"),
        ({"amount_usd": "some"}, "amount_usd"),
        ({"as_of": "2020-02-30"}, "as_of"),
        ({"currency": "pkr"}, "currency"),
    ],
)
def test_investment_figure_unreadable_values_give_field_errors(fields, field):
    project = make_project()
    add_rate("PKR", 2020, "0.0060000000")
    values = {
        "kind": "announced",
        "amount": "1000",
        "currency": "PKR",
        "as_of": D(2020, 1, 1),
        "source": SourceFactory(),
    }

    with pytest.raises(ValidationError) as caught:
        services.investment_figure_record(project=project, **{**values, **fields})

    assert list(messages(caught)) == [field]


# --- exchange rates -----------------------------------------------------------------------------------------------


def test_exchange_rate_second_for_currency_and_year_refused():
    add_rate("PKR", 2020, "0.0060000000")

    with pytest.raises(ValidationError) as caught:
        add_rate("PKR", 2020, "0.0061000000")

    assert messages(caught) == {"__all__": ["Exchange rate with this Currency and Year already exists."]}
    add_rate("PKR", 2021, "0.0061000000")
    add_rate("CNY", 2020, "0.1400000000")
    assert ExchangeRate.objects.count() == 3


def test_exchange_rate_second_for_currency_and_year_refused_by_database():
    source = SourceFactory()
    ExchangeRate.objects.create(currency="PKR", year=2020, usd_per_unit=Decimal("0.006"), source=source)

    with violates(ExchangeRate, "exchange_rate_unique_currency_year"):
        ExchangeRate.objects.create(currency="PKR", year=2020, usd_per_unit=Decimal("0.007"), source=source)


@pytest.mark.parametrize("rate", ["0", "-0.0060000000"])
def test_exchange_rate_not_positive_refused(rate):
    with pytest.raises(ValidationError) as caught:
        add_rate("PKR", 2020, rate)

    assert messages(caught) == {"usd_per_unit": ["The rate must be positive."]}

    with violates(ExchangeRate, "exchange_rate_positive"):
        ExchangeRate.objects.create(currency="PKR", year=2020, usd_per_unit=Decimal(rate), source=SourceFactory())


def test_exchange_rate_for_usd_refused():
    with pytest.raises(ValidationError) as caught:
        add_rate("USD", 2020, "1")

    assert messages(caught) == {"currency": ["US dollars need no exchange rate."]}

    with violates(ExchangeRate, "exchange_rate_not_usd"):
        ExchangeRate.objects.create(currency="USD", year=2020, usd_per_unit=Decimal(1), source=SourceFactory())


def test_exchange_rate_unreadable_rate_gives_field_error():
    rate = ExchangeRate(currency="PKR", year=2020, usd_per_unit="six", source=SourceFactory())

    with pytest.raises(ValidationError) as caught:
        rate.full_clean()

    assert messages(caught) == {"usd_per_unit": ["“six” value must be a decimal number."]}


# --- projects: place ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coordinates", "field"),
    [({"latitude": Decimal("30.1")}, "longitude"), ({"longitude": Decimal("70.2")}, "latitude")],
)
def test_project_latitude_without_longitude_refused(coordinates, field):
    with pytest.raises(ValidationError) as caught:
        make_project(**coordinates)

    assert messages(caught) == {field: ["Give both latitude and longitude, or neither."]}
    assert Project.objects.count() == 0


@pytest.mark.parametrize("coordinates", [{"latitude": Decimal("30.1")}, {"longitude": Decimal("70.2")}])
def test_project_latitude_without_longitude_refused_by_database(coordinates):
    with violates(Project, "project_lat_lon_both_or_neither"):
        raw_project(**coordinates)


@pytest.mark.parametrize(
    ("latitude", "longitude", "field", "message"),
    [
        ("23.4", "70", "latitude", "Latitude 23.4 is outside Pakistan (23.5 to 37.1 N)."),
        ("37.11", "70", "latitude", "Latitude 37.11 is outside Pakistan (23.5 to 37.1 N)."),
        ("-30", "70", "latitude", "Latitude -30 is outside Pakistan (23.5 to 37.1 N)."),
        ("30", "60.79", "longitude", "Longitude 60.79 is outside Pakistan (60.8 to 77.9 E)."),
        ("30", "78", "longitude", "Longitude 78 is outside Pakistan (60.8 to 77.9 E)."),
    ],
)
def test_project_point_outside_pakistan_refused(latitude, longitude, field, message):
    with pytest.raises(ValidationError) as caught:
        make_project(latitude=Decimal(latitude), longitude=Decimal(longitude))

    assert messages(caught) == {field: [message]}


@pytest.mark.parametrize(
    ("latitude", "longitude", "constraint"),
    [
        ("23.4", "70", "project_latitude_in_pakistan"),
        ("37.11", "70", "project_latitude_in_pakistan"),
        ("30", "60.79", "project_longitude_in_pakistan"),
        ("30", "78", "project_longitude_in_pakistan"),
    ],
)
def test_project_point_outside_pakistan_refused_by_database(latitude, longitude, constraint):
    with violates(Project, constraint):
        raw_project(latitude=Decimal(latitude), longitude=Decimal(longitude))


@pytest.mark.parametrize(("latitude", "longitude"), [("23.5", "60.8"), ("37.1", "77.9"), ("24.86", "67.01")])
def test_project_point_on_or_inside_the_box_accepted(latitude, longitude):
    project = make_project(latitude=Decimal(latitude), longitude=Decimal(longitude))
    raw = raw_project(latitude=Decimal(latitude), longitude=Decimal(longitude))

    project.refresh_from_db()
    raw.refresh_from_db()
    assert (project.latitude, project.longitude) == (Decimal(latitude), Decimal(longitude))
    assert (raw.latitude, raw.longitude) == (Decimal(latitude), Decimal(longitude))


# --- projects: dates, capacity, slug ---------------------------------------------------------------------------------


def test_project_completed_before_construction_started_refused():
    with pytest.raises(ValidationError) as caught:
        make_project(construction_started_on=D(2016, 5, 1), completed_on=D(2016, 4, 30))

    assert messages(caught) == {"completed_on": ["The completion date cannot be before construction started."]}


def test_project_completed_before_construction_started_refused_by_database():
    with violates(Project, "project_completed_not_before_construction"):
        raw_project(construction_started_on=D(2016, 5, 1), completed_on=D(2016, 4, 30))


def test_project_completed_on_the_day_construction_started_accepted():
    project = make_project(construction_started_on=D(2016, 5, 1), completed_on=D(2016, 5, 1))

    assert project.completed_on == D(2016, 5, 1)


@pytest.mark.parametrize(
    ("capacity", "field", "message"),
    [
        (
            {"capacity_value": Decimal(1320)},
            "capacity_unit",
            "Give a capacity value together with its unit, or neither.",
        ),
        ({"capacity_unit": "MW"}, "capacity_value", "Give a capacity value together with its unit, or neither."),
        ({"capacity_value": Decimal(-1), "capacity_unit": "MW"}, "capacity_value", "Capacity must not be negative."),
    ],
)
def test_project_capacity_value_and_unit_together(capacity, field, message):
    with pytest.raises(ValidationError) as caught:
        make_project(**capacity)

    assert messages(caught) == {field: [message]}


@pytest.mark.parametrize(
    "capacity",
    [
        {"capacity_value": Decimal(1320)},
        {"capacity_unit": "MW"},
        {"capacity_value": Decimal(-1), "capacity_unit": "MW"},
    ],
)
def test_project_capacity_value_and_unit_together_by_database(capacity):
    with violates(Project, "project_capacity_value_and_unit_together"):
        raw_project(**capacity)


def test_project_capacity_with_unit_accepted():
    project = make_project(capacity_value=Decimal("1320"), capacity_unit="MW")

    project.refresh_from_db()
    assert (project.capacity_value, project.capacity_unit) == (Decimal("1320.000"), "MW")


def test_project_duplicate_slug_refused():
    make_project(slug="sahiwal-coal")

    with pytest.raises(ValidationError) as caught:
        make_project(slug="sahiwal-coal")

    assert messages(caught) == {"slug": ["Project with this Slug already exists."]}


def test_project_duplicate_slug_refused_by_database():
    raw_project(slug="sahiwal-coal")

    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        raw_project(slug="sahiwal-coal", name="Another")

    assert "slug" in str(caught.value)


@pytest.mark.parametrize("slug", ["Sahiwal", "sahiwal--coal", "-sahiwal", "sahiwal-", "sahiwal_coal"])
def test_project_badly_formed_slug_refused(slug):
    with pytest.raises(ValidationError) as caught:
        make_project(slug=slug)

    assert messages(caught) == {"slug": ["Use lower-case letters, digits and single hyphens."]}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"latitude": "north", "longitude": Decimal(70)}, "latitude", "“north” value must be a decimal number."),
        ({"capacity_value": "big", "capacity_unit": "MW"}, "capacity_value", "“big” value must be a decimal number."),
        (
            {"construction_started_on": "2016-13-01", "completed_on": D(2017, 1, 1)},
            "construction_started_on",
            "“2016-13-01” value has the correct format (YYYY-MM-DD) but it is an invalid date.",
        ),
    ],
)
def test_project_unreadable_values_give_field_errors_not_crashes(fields, field, message):
    with pytest.raises(ValidationError) as caught:
        make_project(**fields)

    assert messages(caught) == {field: [message]}


# --- sources, participations, identifiers, sectors -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.org/report.pdf", "file:///etc/passwd", "mailto:desk@example.org"])
def test_source_url_other_than_http_refused(url):
    source = SourceFactory.build(url=url)

    with pytest.raises(ValidationError) as caught:
        source.full_clean()

    assert messages(caught)["url"][-1] == "Enter an http:// or https:// URL."


def test_source_url_other_than_http_refused_by_database():
    with violates(Source, "source_url_http_or_https"):
        Source.objects.create(title="Annual report", url="ftp://example.org/report.pdf")


@pytest.mark.parametrize("url", ["http://example.org/a", "https://example.org/b", "HTTPS://example.org/c"])
def test_source_http_url_accepted_by_validator_and_database(url):
    source = SourceFactory.build(url=url)

    source.full_clean()
    source.save()

    assert Source.objects.get(pk=source.pk).url == url


def test_source_duplicate_url_refused():
    SourceFactory(url="https://www.dawn.com/news/1")
    duplicate = SourceFactory.build(url="https://www.dawn.com/news/1")

    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()

    assert messages(caught) == {"__all__": ["A source with this URL is already registered: cite that one."]}

    with violates(Source, "source_url_unique_when_given"):
        Source.objects.create(title="Again", url="https://www.dawn.com/news/1")


def test_sources_without_url_allowed_several_times():
    for title in ["Printed annual plan", "Leaked PDF", "Interview notes"]:
        source = Source(title=title, url="")
        source.full_clean()
        source.save()

    assert Source.objects.filter(url="").count() == 3


def test_participation_duplicate_of_project_organisation_and_role_refused():
    project, organisation = make_project(), OrganisationFactory(slug="power-china")
    add_participant(project, organisation, "contractor")

    with pytest.raises(ValidationError) as caught:
        add_participant(project, organisation, "contractor")

    assert messages(caught) == {"__all__": ["Participation with this Project, Organisation and Role already exists."]}
    add_participant(project, organisation, "sponsor")
    add_participant(make_project(), organisation, "contractor")
    assert Participation.objects.count() == 3

    with violates(Participation, "participation_unique_project_organisation_role"):
        Participation.objects.create(project=project, organisation=organisation, role="contractor")


def test_external_identifier_duplicate_of_scheme_and_value_refused():
    ExternalIdentifier.objects.create(project=make_project(), scheme="gem", value="G100000")
    duplicate = ExternalIdentifier(project=make_project(), scheme="gem", value="G100000")

    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()

    assert messages(caught) == {"__all__": ["External identifier with this Scheme and Value already exists."]}
    same_value_other_scheme = ExternalIdentifier(project=duplicate.project, scheme="aiddata", value="G100000")
    same_value_other_scheme.full_clean()

    with violates(ExternalIdentifier, "external_identifier_unique_scheme_value"):
        ExternalIdentifier.objects.create(project=duplicate.project, scheme="gem", value="G100000")


def test_sector_third_level_refused():
    energy = SectorFactory(code="energy")
    hydro = SectorFactory(code="energy-hydro", parent=energy)
    run_of_river = Sector(code="energy-hydro-ror", name="Run of river", parent=hydro)

    with pytest.raises(ValidationError) as caught:
        run_of_river.full_clean()

    assert messages(caught) == {"parent": ["Sectors have two levels: the parent must be a top-level sector."]}


def test_sector_with_children_cannot_get_a_parent():
    transport = SectorFactory(code="transport")
    energy = SectorFactory(code="energy")
    SectorFactory(code="energy-hydro", parent=energy)
    energy.parent = transport

    with pytest.raises(ValidationError) as caught:
        energy.full_clean()

    assert messages(caught) == {"parent": ["A sector with children cannot itself have a parent."]}


def test_sector_own_parent_refused():
    energy = SectorFactory(code="energy")
    energy.parent = energy

    with pytest.raises(ValidationError) as caught:
        energy.full_clean()
    assert messages(caught) == {"parent": ["A sector cannot be its own parent."]}

    with violates(Sector, "sector_not_own_parent"):
        Sector.objects.filter(pk=energy.pk).update(parent=energy)


# --- staleness and publication ---------------------------------------------------------------------------------------


def stale_flags(today: datetime.date | None = None) -> dict[str, tuple[bool, bool]]:
    """Per project slug: (in stale(), in not_stale()) at ``today``."""
    stale = set(Project.objects.stale(today).values_list("slug", flat=True))
    fresh = set(Project.objects.not_stale(today).values_list("slug", flat=True))
    return {slug: (slug in stale, slug in fresh) for slug in Project.objects.values_list("slug", flat=True)}


def test_project_stale_at_a_fixed_day():
    today = D(2024, 6, 15)
    cases = {
        "pipeline-over-4-years": ("pipeline", D(2020, 6, 14)),
        "mou-over-4-years": ("mou", D(2019, 1, 1)),
        "implementation-over-4-years": ("implementation", D(2020, 6, 14)),
        "pipeline-exactly-4-years": ("pipeline", D(2020, 6, 15)),
        "implementation-under-4-years": ("implementation", D(2021, 1, 1)),
        "operational-old": ("operational", D(2010, 1, 1)),
        "suspended-old": ("suspended", D(2010, 1, 1)),
        "cancelled-old": ("cancelled", D(2010, 1, 1)),
    }
    for slug, (status, date) in cases.items():
        add_status(make_project(slug=slug), status, date)
    make_project(slug="no-status")

    assert stale_flags(today) == {
        "pipeline-over-4-years": (True, False),
        "mou-over-4-years": (True, False),
        "implementation-over-4-years": (True, False),
        "pipeline-exactly-4-years": (False, True),
        "implementation-under-4-years": (False, True),
        "operational-old": (False, True),
        "suspended-old": (False, True),
        "cancelled-old": (False, True),
        "no-status": (False, True),
    }


def test_project_newer_status_change_ends_staleness():
    today = D(2024, 6, 15)
    project = make_project(slug="moved-on")
    add_status(project, "pipeline", D(2015, 1, 1))
    assert stale_flags(today) == {"moved-on": (True, False)}

    add_status(project, "mou", D(2023, 1, 1))

    assert stale_flags(today) == {"moved-on": (False, True)}


def test_project_is_stale_property_agrees_with_querysets_today():
    cutoff = stale_cutoff()
    one_day = datetime.timedelta(days=1)
    cases = {
        "just-over-4-years": ("implementation", cutoff - one_day, True),
        "exactly-4-years": ("implementation", cutoff, False),
        "under-4-years": ("mou", cutoff + one_day, False),
        "operational-old": ("operational", cutoff - one_day, False),
    }
    for slug, (status, date, _) in cases.items():
        add_status(make_project(slug=slug), status, date)
    make_project(slug="no-status")

    properties = {project.slug: project.is_stale for project in Project.objects.all()}

    assert properties == {slug: expected for slug, (_, _, expected) in cases.items()} | {"no-status": False}
    assert {slug: flags[0] for slug, flags in stale_flags().items()} == properties
    assert {slug: not flags[1] for slug, flags in stale_flags().items()} == properties


def test_stale_cutoff_is_four_years_back_and_handles_29_february():
    assert stale_cutoff(D(2024, 6, 15)) == D(2020, 6, 15)
    assert stale_cutoff(D(2024, 2, 29)) == D(2020, 2, 29)
    assert stale_cutoff(D(2104, 2, 29)) == D(2100, 2, 28)  # 2100 is not a leap year


def test_project_published_excludes_drafts():
    make_project(slug="public", publication="published")
    make_project(slug="draft", publication="draft")

    assert list(Project.objects.published().values_list("slug", flat=True)) == ["public"]
    assert [project.is_published for project in Project.objects.order_by("slug")] == [False, True]


def test_project_unpublishing_removes_it_from_published():
    project = make_project(slug="public", publication="published")

    services.project_set_publication(projects=[project], publication="draft")

    assert list(Project.objects.published()) == []
    assert Project.objects.get(pk=project.pk).publication == "draft"
