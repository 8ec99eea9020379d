"""The indicators seed loaded once per module for the tests that only read it (or write in their own savepoint)."""

import pytest
from django.db import transaction

from indicators.seed import load_indicators
from tests.factories import CorridorFactory, make_project

CORRIDORS = ["growth", "livelihood", "innovation", "green", "connectivity"]
# The projects observations_more.csv has values about (the projects loader creates them before the indicators).
SEED_PROJECTS = ["allama-iqbal-industrial-city", "rashakai-sez"]


def create_corridors_and_projects() -> dict:
    created = {code: CorridorFactory(code=code) for code in CORRIDORS}
    for slug in SEED_PROJECTS:
        make_project(slug=slug, corridor=created["growth"])
    return created


@pytest.fixture
def corridors(db):
    return create_corridors_and_projects()


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The counts of one ``load_indicators()``, run once for the module inside a transaction rolled back after its
    last test; each test still runs in its own savepoint through ``db``, so what it writes is undone after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        create_corridors_and_projects()
        yield load_indicators()
        transaction.set_rollback(True)
