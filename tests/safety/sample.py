"""A small but complete registry for the data-safety tests: every kind of record, with a history worth keeping."""

import datetime
from decimal import Decimal

from django.http import HttpResponse
from django.test import RequestFactory
from simple_history.middleware import HistoryRequestMiddleware

from indicators.models import Observation
from projects import choices, services
from projects.models import ExchangeRate, ExternalIdentifier, Project
from tests import factories, snapshots

D = datetime.date


def run_as(user, action):
    """Run ``action()`` in a request by ``user`` through django-simple-history's middleware, as an admin view runs,
    so that the history entries it writes name the user; return what it returns."""
    results = []

    def view(request):
        results.append(action())
        return HttpResponse()

    request = RequestFactory().post("/admin/")
    request.user = user
    HistoryRequestMiddleware(view)(request)
    return results[0]


def add_external_id(project: Project, scheme: str, value: str, url: str = "") -> ExternalIdentifier:
    identifier = ExternalIdentifier(project=project, scheme=scheme, value=value, url=url)
    identifier.full_clean()
    identifier.save()
    return identifier


def add_observation(**fields) -> Observation:
    """An observation validated like an editor's (the factory saves without ``full_clean()``)."""
    fields.setdefault("source", factories.SourceFactory())
    observation = factories.ObservationFactory.build(**fields)
    observation.full_clean()
    observation.save()
    return observation


def build_project(slug: str = "karot-hydropower", **fields) -> Project:
    """A published project with every kind of row hanging off it: a three-step status history, competing figures
    (one in PKR converted with an exchange rate), participants, external identifiers, sources, an observation."""
    green = factories.CorridorFactory(code="green", name="Green Corridor")
    energy = factories.PillarFactory(code="energy")
    export = factories.PillarFactory(code="export")
    hydro = factories.SectorFactory(code="energy-hydro", name="Hydro", parent=factories.SectorFactory(code="energy"))
    general = factories.SourceFactory(title="CPEC Authority project page", kind=choices.SourceKind.OFFICIAL)
    project = factories.make_project(
        slug=slug,
        name=fields.pop("name", "Karot Hydropower Project"),
        corridor=green,
        pillars=[energy, export],
        sector=hydro,
        provinces=["PK-PB", "PK-JK"],
        place_name="Karot, Jhelum River",
        latitude=Decimal("33.600000"),
        longitude=Decimal("73.600000"),
        capacity_value=Decimal("720"),
        capacity_unit=choices.CapacityUnit.MW,
        **fields,
    )
    services.project_update(project=project, sources=[general])
    factories.add_status(project, choices.Status.MOU, D(2014, 4, 20), note="MoU signed in Beijing")
    factories.add_status(project, choices.Status.IMPLEMENTATION, D(2016, 12, 1))
    factories.add_status(project, choices.Status.OPERATIONAL, D(2022, 6, 29))
    factories.add_figure(project, choices.InvestmentKind.ANNOUNCED, "1420000000", as_of=D(2014, 4, 20))
    factories.add_figure(
        project, choices.InvestmentKind.ANNOUNCED, "1698000000", as_of=D(2016, 1, 1), is_preferred=True
    )
    if not ExchangeRate.objects.filter(currency="PKR", year=2019).exists():
        factories.add_rate("PKR", 2019, "0.0062")
    factories.add_figure(project, choices.InvestmentKind.COMMITTED, "250000000000", currency="PKR", as_of=D(2019, 3, 1))
    factories.add_figure(project, choices.InvestmentKind.REALISED, "1500000000", as_of=D(2022, 6, 29))
    sponsor = factories.OrganisationFactory(slug="china-three-gorges", name="China Three Gorges", country="CN")
    counterpart = factories.OrganisationFactory(
        slug="ppib", name="Private Power and Infrastructure Board", country="PK", kind="government"
    )
    services.project_set_participants(
        project=project,
        participants=[
            {"organisation": sponsor, "role": choices.ParticipationRole.SPONSOR, "note": "100% equity"},
            {"organisation": counterpart, "role": choices.ParticipationRole.GOVERNMENT_COUNTERPART},
        ],
    )
    add_external_id(project, "gem", f"G{project.pk:06d}", url=f"https://www.gem.wiki/{slug}")
    add_external_id(project, "aiddata", f"{project.pk}-{slug}")
    add_observation(
        indicator=factories.IndicatorFactory(code="local-employment-share", unit="percent"),
        scope="project",
        project=project,
        value=Decimal("71.5"),
    )
    return Project.objects.get(pk=project.pk)


def sample_project() -> Project:
    """``build_project()``: built once per test process, restored as rows afterwards (tests/snapshots.py)."""
    return snapshots.built_or_restored("safety-sample-project", build_project)
