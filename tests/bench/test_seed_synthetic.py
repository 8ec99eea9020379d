"""``manage.py seed_synthetic``: refuses real data, marks what it writes, writes rows the registry's rules accept."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from bench import synthetic
from indicators.models import Indicator, Observation
from projects import choices, services
from projects.models import InvestmentFigure, Organisation, Participation, Project, Source, StatusChange
from tests import factories

PROJECTS = 40
OBSERVATIONS = 400


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_synthetic", projects=PROJECTS, observations=OBSERVATIONS, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    seed()


def test_seed_synthetic_refuses_a_database_with_real_projects(db):
    factories.make_project(slug="karot-hydropower")

    with pytest.raises(CommandError) as error:
        seed()

    assert "real records (1 projects)" in str(error.value)
    assert Project.objects.filter(slug__startswith="synthetic-").count() == 0


def test_seed_synthetic_with_force_seeds_beside_real_projects(db):
    factories.make_project(slug="karot-hydropower")

    seed(force=True)

    assert Project.objects.filter(slug__startswith="synthetic-").count() == PROJECTS
    assert Project.objects.filter(slug="karot-hydropower").count() == 1


def test_seed_synthetic_writes_the_requested_counts(seeded):
    assert Project.objects.count() == PROJECTS
    assert Observation.objects.count() == OBSERVATIONS


def test_seed_synthetic_marks_every_record_as_synthetic(seeded):
    assert set(Project.objects.values_list("summary", flat=True)) == {synthetic.SUMMARY}
    assert Project.objects.exclude(slug__startswith="synthetic-").count() == 0
    assert Organisation.objects.exclude(slug__startswith="synthetic-").count() == 0
    assert Source.objects.exclude(title__startswith="Synthetic benchmark data").count() == 0
    assert Source.objects.filter(title="Synthetic benchmark data").count() == 1
    assert Indicator.objects.exclude(code__startswith="synthetic-").count() == 0
    assert Observation.objects.exclude(indicator__code__startswith="synthetic-").count() == 0


def test_seed_synthetic_covers_every_status_scope_and_publication(db):
    call_command("seed_synthetic", projects=300, observations=3000, stdout=StringIO())

    statuses = set(Project.objects.values_list("status", flat=True))
    scopes = set(Observation.objects.values_list("scope", flat=True))
    publications = set(Project.objects.values_list("publication", flat=True))
    assert statuses == {"", *choices.Status.values}
    assert scopes == {"national", "province", "corridor", "project"}
    assert publications == set(choices.Publication.values)


def test_seed_synthetic_derived_fields_equal_compute_derived(seeded):
    projects = list(Project.objects.order_by("slug"))

    mismatches = [
        project.slug
        for project in projects
        if services.compute_derived(project) != {name: getattr(project, name) for name in services.DERIVED_FIELDS}
    ]

    assert len(projects) == PROJECTS
    assert mismatches == []


def test_seed_synthetic_rows_pass_the_registry_rules(seeded):
    for project in Project.objects.all():
        project.full_clean()
        services.validate_status_history(list(StatusChange.objects.filter(project=project).order_by("id")))
    for row in [*InvestmentFigure.objects.all(), *Participation.objects.all(), *Observation.objects.all()[:100]]:
        row.full_clean()


def test_seed_synthetic_gives_projects_one_to_four_figures_and_participants(seeded):
    figures = Project.objects.annotate(n=Count("investments")).values_list("n", flat=True)
    participants = Project.objects.annotate(n=Count("participations")).values_list("n", flat=True)

    assert min(figures) >= 1 and max(figures) <= 4
    assert min(participants) >= 1


def test_seed_synthetic_again_replaces_the_earlier_synthetic_data(seeded):
    output = seed()

    assert "replaced the earlier synthetic data" in output
    assert Project.objects.count() == PROJECTS
    assert Observation.objects.count() == OBSERVATIONS
    assert Source.objects.filter(title="Synthetic benchmark data").count() == 1


def test_seed_synthetic_delete_removes_all_synthetic_rows_and_keeps_real_ones(db):
    real = factories.make_project(slug="karot-hydropower")
    seed(force=True)

    call_command("seed_synthetic", delete=True, stdout=StringIO())

    assert list(Project.objects.values_list("slug", flat=True)) == [real.slug]
    assert Observation.objects.count() == 0
    assert Indicator.objects.filter(code__startswith="synthetic-").count() == 0
    assert Organisation.objects.filter(slug__startswith="synthetic-").count() == 0


def test_seed_synthetic_is_reproducible_with_the_same_seed(db):
    seed()
    first = list(Project.objects.order_by("slug").values_list("slug", "name", "status", "announced_usd"))

    seed()

    assert list(Project.objects.order_by("slug").values_list("slug", "name", "status", "announced_usd")) == first


def test_seed_synthetic_dates_are_not_in_the_future(seeded):
    today = datetime.date.today()

    assert StatusChange.objects.filter(date__gt=today).count() == 0
    assert InvestmentFigure.objects.filter(as_of__gt=today).count() == 0


def test_seed_synthetic_refuses_more_observations_than_fit(db):
    with pytest.raises(CommandError) as error:
        call_command("seed_synthetic", projects=2, observations=100_000, stdout=StringIO())

    assert "distinct observations fit 2 projects" in str(error.value)
    assert Project.objects.count() == 0
