"""Factories for real database rows. Writes that have rules go through projects.services, as in production."""

import datetime
import itertools
from decimal import Decimal

import factory

from projects import choices, services
from projects.models import Corridor, Organisation, Participation, Pillar, Project, Province, Sector, Source


class CorridorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Corridor
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"corridor-{n}")
    name = factory.LazyAttribute(lambda o: f"{o.code.title()} Corridor")
    aliases = factory.LazyFunction(list)
    order = factory.Sequence(int)


class PillarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pillar
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"pillar-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"sector-{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    parent = None


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Report {n}")
    publisher = "Dawn"
    url = factory.Sequence(lambda n: f"https://example.org/report-{n}")
    kind = choices.SourceKind.NEWS


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"organisation-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    country = "CN"
    kind = choices.OrganisationKind.STATE_OWNED


_project_numbers = itertools.count(1)


def province(code: str = "PK-PB") -> Province:
    return Province.objects.get(code=code)


def make_project(
    *,
    slug: str | None = None,
    corridor: Corridor | None = None,
    pillars: list[Pillar] | None = None,
    sector: Sector | None = None,
    provinces: list[str] | None = None,
    publication: str = choices.Publication.PUBLISHED,
    **fields,
) -> Project:
    """Create a valid project through the service (so derived fields and history behave as in production)."""
    slug = slug or f"project-{next(_project_numbers)}"
    return services.project_create(
        slug=slug,
        name=fields.pop("name", slug.replace("-", " ").title()),
        phase=fields.pop("phase", choices.Phase.CPEC_1),
        corridor=corridor or CorridorFactory(code="green"),
        sector=sector or SectorFactory(code="energy"),
        pillars=pillars or [PillarFactory(code="energy")],
        provinces=[province(code) for code in (provinces or ["PK-PB"])],
        publication=publication,
        **fields,
    )


def add_status(project: Project, status: str, date: datetime.date, source: Source | None = None, note: str = ""):
    return services.status_change_record(
        project=project, status=status, date=date, source=source or SourceFactory(), note=note
    )


def add_figure(
    project: Project,
    kind: str,
    amount: int | str | Decimal,
    *,
    as_of: datetime.date = datetime.date(2020, 1, 1),
    currency: str = "USD",
    source: Source | None = None,
    **fields,
):
    return services.investment_figure_record(
        project=project,
        kind=kind,
        amount=Decimal(amount),
        currency=currency,
        as_of=as_of,
        source=source or SourceFactory(),
        **fields,
    )


def add_participant(project: Project, organisation: Organisation, role: str = choices.ParticipationRole.SPONSOR):
    participation = Participation(project=project, organisation=organisation, role=role)
    participation.full_clean()
    participation.save()
    return participation


def add_rate(currency: str, year: int, usd_per_unit: str | Decimal, source: Source | None = None):
    """An exchange rate row, validated like an editor's."""
    from projects.models import ExchangeRate

    rate = ExchangeRate(
        currency=currency, year=year, usd_per_unit=Decimal(usd_per_unit), source=source or SourceFactory()
    )
    rate.full_clean()
    rate.save()
    return rate


# --- indicators (models named by label so that this module's imports stay as they are) ---------------------------


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "indicators.Indicator"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"indicator-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").capitalize())
    unit = "percent"
    level = "mechanism"
    dimension = "industrial-upgrading"
    higher_is_better = True


class ObservationFactory(factory.django.DjangoModelFactory):
    """A valid national observation; pass ``scope`` with its subject (``province=``, ``corridor=``, ``project=``)."""

    class Meta:
        model = "indicators.Observation"

    indicator = factory.SubFactory(IndicatorFactory)
    scope = "national"
    period_start = datetime.date(2025, 1, 1)
    period_end = datetime.date(2025, 12, 31)
    kind = "actual"
    value = Decimal("1")
    source = factory.SubFactory(SourceFactory)
