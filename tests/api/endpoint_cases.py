"""The API's router entries declared once (NetBox's ``APIViewTestCases`` is the model, as a table instead of classes):
for each, where it lives, which record its detail reads, what a write sends and what comes back, and which caller may
do what. ``tests/api/test_endpoint_matrix.py`` runs every entry × caller × method from this table.

The records are built once per test module (``build_world``, in a transaction rolled back after the module); each
test still runs in its own savepoint, so a write is gone before the next test.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group, User
from django.core import serializers
from django.core.management import call_command
from django.db import models
from django.utils.crypto import get_random_string
from knox.models import AuthToken
from rest_framework.test import APIClient

from indicators.models import Indicator, Observation
from projects import choices, services
from projects.models import (
    Corridor,
    Event,
    ExchangeRate,
    InvestmentFigure,
    Organisation,
    Pillar,
    Project,
    Province,
    Sector,
    Source,
    StatusChange,
)
from registry.feed import REGISTRY
from registry.models import ChangeEntry
from tests import factories
from tests.api_fixtures import build_registry, build_vocab, editor_user

# --- callers ----------------------------------------------------------------------------------------------------

# anonymous: no credentials. reader: signed in with a token, without any permission (not an editor).
# editor: a member of the `editors` group that `manage.py setup_editors` makes, signed in to a session (with the CSRF
# token, as the browsable API sends it). token: an API token of a user holding every registry permission.
ROLES = ("anonymous", "reader", "editor", "token")
EDITORS = {"editor", "token"}  # who reads drafts (registry.permissions.is_editor)
WRITES = ("post", "put", "patch", "delete")
# What the `editors` group may not do (setup_editors): delete anything but the rows that hang off a project.
EDITOR_DELETES = {"status-changes", "investments", "observations"}

NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}
NO_PERMISSION = {"detail": "You do not have permission to perform this action."}


def not_found(model) -> dict:
    return {"detail": f"No {model.__name__} matches the given query."}


def not_allowed(method: str) -> dict:
    return {"detail": f'Method "{method.upper()}" not allowed.'}


def client_for(role: str, world: dict) -> APIClient:
    """A fresh client of that kind (the users and tokens are the world's)."""
    if role == "anonymous":
        return APIClient()
    if role == "editor":
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(world["users"]["editor"])
        secret = get_random_string(32)
        client.cookies["csrftoken"] = secret
        client.credentials(HTTP_X_CSRFTOKEN=secret)
        return client
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][role]}")
    return client


# --- the records every test reads ---------------------------------------------------------------------------------


def build_world() -> dict:
    """The small registry of tests.api_fixtures plus a record of every kind the API serves, and the callers."""
    vocab = build_vocab()
    world = {**build_registry(vocab), **vocab}
    karot, draft = world["karot"], world["draft"]
    world["wapda"] = Organisation.objects.get(slug="wapda")
    world["unused_org"] = factories.OrganisationFactory(slug="unused-org", name="Unused Organisation")
    world["draft_org"] = factories.OrganisationFactory(slug="pnra", name="Pakistan Nuclear Regulatory Authority")
    factories.add_participant(draft, world["draft_org"], choices.ParticipationRole.OPERATOR)
    world["karot_operational"] = karot.status_changes.get(status="operational")
    world["karot_realised"] = karot.investments.get(kind="realised")
    world["draft_status"] = draft.status_changes.get()
    world["draft_figure"] = draft.investments.get()
    world["uncited_source"] = factories.SourceFactory(title="Unused clipping", publisher="Dawn")
    world["rate"] = factories.add_rate("PKR", 2020, "0.006")
    world["jcc6"] = services.event_create(
        slug="jcc-6",
        kind=choices.EventKind.JCC_MEETING,
        title="6th JCC meeting",
        date=datetime.date(2016, 12, 29),
        place="Beijing",
        sources=[factories.SourceFactory(title="JCC minutes")],
        projects=[
            {"project": world["ml1"], "role": choices.EventRole.REVIEWED},
            {"project": draft, "role": choices.EventRole.APPROVED},
        ],
    )
    world["gdp"] = factories.IndicatorFactory(code="gdp-usd", name="Gross domestic product", unit="usd")
    world["unused_indicator"] = factories.IndicatorFactory(code="cold-chain-capacity", unit="tonnes")
    world["gdp_2025"] = factories.ObservationFactory(indicator=world["gdp"], value="374.6")
    world["draft_observation"] = factories.ObservationFactory(
        indicator=world["gdp"], scope="project", project=draft, value="9"
    )
    call_command("setup_editors", verbosity=0)
    editor = User.objects.create_user(username="group-editor", password="x-editor-password", is_staff=True)
    editor.groups.add(Group.objects.get(name="editors"))
    reader = User.objects.create_user(username="reader", password="x-reader-password")
    world["users"] = {"editor": editor, "reader": reader, "token": editor_user("token-editor")}
    world["tokens"] = {role: AuthToken.objects.create(user=world["users"][role])[1] for role in ("reader", "token")}
    return world


# --- the table ----------------------------------------------------------------------------------------------------

World = dict[str, Any]


@dataclass(frozen=True)
class Write:
    """A write's body (built from the world) and the fields its 2xx response must show."""

    body: Callable[[World], dict]
    echoed: dict[str, Any]


@dataclass(frozen=True)
class Endpoint:
    """One router entry."""

    name: str  # its path under /api/v1/ and the test id
    model: type[models.Model]
    identifier: str  # the field of the body that names the record in its URL: code, slug or id
    shown: Callable[[World], models.Model]  # a public record, read by GET, changed by PUT and PATCH
    shows: Callable[[World], dict]  # fields of that record's detail (and list entry) with their values
    hidden: Callable[[World], models.Model] | None = None  # a record only editors see
    deleted: Callable[[World], models.Model] | None = None  # the record DELETE removes (None: the shown one)
    create: Write | None = None  # None: a read-only entry (405 on every write)
    replace: Write | None = None
    change: Write | None = None
    paginated: bool = True
    editor_deletes: bool = False  # whether the `editors` group may delete its records
    editor_shows: Callable[[World], dict] | None = field(default=None)  # what editors see differently, if anything

    @property
    def list_url(self) -> str:
        return f"/api/v1/{self.name}/"

    def url(self, record: models.Model) -> str:
        return f"{self.list_url}{getattr(record, self.identifier)}/"

    def write(self, method: str) -> Write | None:
        return {"post": self.create, "put": self.replace, "patch": self.change}.get(method)

    def target(self, method: str, world: World) -> models.Model | None:
        """The record a write names: none for POST, the deleted one for DELETE, else the shown one."""
        if method == "post":
            return None
        if method == "delete" and self.deleted is not None:
            return self.deleted(world)
        return self.shown(world)


def outcome(endpoint: Endpoint, role: str, method: str) -> tuple[int, dict | None]:
    """The status and body a caller gets for a write, or (2xx, None) when it is applied."""
    if endpoint.create is None:
        return 405, not_allowed(method)
    if role == "anonymous":
        return 401, NOT_SIGNED_IN
    if role == "reader" or (role == "editor" and method == "delete" and not endpoint.editor_deletes):
        return 403, NO_PERMISSION
    return {"post": 201, "put": 200, "patch": 200, "delete": 204}[method], None


def _source(world: World) -> int:
    return world["uncited_source"].pk


ENDPOINTS = [
    Endpoint(
        "corridors",
        Corridor,
        "code",
        shown=lambda w: w["corridors"]["green"],
        shows=lambda w: {"code": "green", "name": "Green Corridor", "project_count": 2, "announced_usd": 3332000000},
    ),
    Endpoint(
        "pillars",
        Pillar,
        "code",
        shown=lambda w: w["pillars"]["energy"],
        shows=lambda w: {"code": "energy", "name": "Energy", "project_count": 2},
    ),
    Endpoint(
        "sectors",
        Sector,
        "code",
        shown=lambda w: w["sectors"]["energy-hydro"],
        shows=lambda w: {"code": "energy-hydro", "name": "Hydro", "parent": "energy", "project_count": 1},
    ),
    Endpoint(
        "provinces",
        Province,
        "code",
        shown=lambda w: Province.objects.get(code="PK-PB"),
        shows=lambda w: {"code": "PK-PB", "name": "Punjab", "project_count": 3},
        paginated=False,
    ),
    Endpoint(
        "exchange-rates",
        ExchangeRate,
        "id",
        shown=lambda w: w["rate"],
        shows=lambda w: {"id": w["rate"].pk, "currency": "PKR", "year": 2020, "usd_per_unit": 0.006},
    ),
    Endpoint(
        "projects",
        Project,
        "slug",
        shown=lambda w: w["karot"],
        shows=lambda w: {"slug": "karot-hydropower", "status": "operational", "realised_usd": 1698000000},
        hidden=lambda w: w["draft"],
        deleted=lambda w: w["zone"],
        create=Write(
            lambda w: {
                "slug": "gwadar-east-bay",
                "name": "Gwadar East Bay Expressway",
                "phase": "1",
                "corridor": "connectivity",
                "pillars": ["export"],
                "sector": "transport",
                "provinces": ["PK-BA"],
                "participants": [{"organisation": "wapda", "role": "implementing-agency"}],
            },
            {
                "slug": "gwadar-east-bay",
                "publication": "draft",
                "pillars": ["export"],
                "provinces": ["PK-BA"],
                "participants": [
                    {
                        "organisation": "wapda",
                        "name": "Water and Power Development Authority",
                        "role": "implementing-agency",
                        "note": "",
                    }
                ],
                "status": None,
            },
        ),
        replace=Write(
            lambda w: {
                "slug": "karot-hydropower",
                "name": "Karot 720 MW Hydropower Project",
                "phase": "1",
                "corridor": "green",
                "pillars": ["energy", "export"],
                "sector": "energy-hydro",
                "provinces": ["PK-PB"],
            },
            {"name": "Karot 720 MW Hydropower Project", "pillars": ["energy", "export"], "provinces": ["PK-PB"]},
        ),
        change=Write(
            lambda w: {"summary": "A 720 MW run-of-river plant on the Jhelum."},
            {"summary": "A 720 MW run-of-river plant on the Jhelum.", "capacity_value": 720, "status": "operational"},
        ),
    ),
    Endpoint(
        "status-changes",
        StatusChange,
        "id",
        shown=lambda w: w["karot_operational"],
        shows=lambda w: {"project": "karot-hydropower", "status": "operational", "date": "2022-06-29"},
        hidden=lambda w: w["draft_status"],
        create=Write(
            lambda w: {"project": "rashakai-sez", "status": "pipeline", "date": "2021-03-01", "source": _source(w)},
            {"project": "rashakai-sez", "status": "pipeline", "date": "2021-03-01", "note": ""},
        ),
        replace=Write(
            lambda w: {
                "project": "karot-hydropower",
                "status": "operational",
                "date": "2022-07-01",
                "source": _source(w),
                "note": "Commercial operation date.",
            },
            {"status": "operational", "date": "2022-07-01", "note": "Commercial operation date."},
        ),
        change=Write(
            lambda w: {"note": "Inaugurated by the Prime Minister."},
            {"status": "operational", "date": "2022-06-29", "note": "Inaugurated by the Prime Minister."},
        ),
        editor_deletes=True,
    ),
    Endpoint(
        "investments",
        InvestmentFigure,
        "id",
        shown=lambda w: w["karot_realised"],
        shows=lambda w: {"project": "karot-hydropower", "kind": "realised", "amount": 1698000000},
        hidden=lambda w: w["draft_figure"],
        create=Write(
            lambda w: {
                "project": "rashakai-sez",
                "kind": "announced",
                "amount": 500000000,
                "currency": "USD",
                "as_of": "2021-01-01",
                "source": _source(w),
            },
            {"project": "rashakai-sez", "kind": "announced", "amount": 500000000, "amount_usd": 500000000},
        ),
        replace=Write(
            lambda w: {
                "project": "karot-hydropower",
                "kind": "realised",
                "amount": 1700000000,
                "currency": "USD",
                "as_of": "2022-06-29",
                "source": _source(w),
            },
            {"kind": "realised", "amount": 1700000000, "amount_usd": 1700000000, "as_of": "2022-06-29"},
        ),
        change=Write(
            lambda w: {"note": "Final cost reported at completion."},
            {"kind": "realised", "amount": 1698000000, "note": "Final cost reported at completion."},
        ),
        editor_deletes=True,
    ),
    Endpoint(
        "organisations",
        Organisation,
        "slug",
        shown=lambda w: w["wapda"],
        shows=lambda w: {"slug": "wapda", "name": "Water and Power Development Authority", "kind": "government"},
        hidden=lambda w: w["draft_org"],
        deleted=lambda w: w["unused_org"],
        create=Write(
            lambda w: {"slug": "hubco", "name": "Hub Power Company", "country": "PK", "kind": "private"},
            {"slug": "hubco", "name": "Hub Power Company", "country": "PK", "kind": "private", "website": ""},
        ),
        replace=Write(
            lambda w: {"slug": "wapda", "name": "WAPDA", "country": "PK", "kind": "government"},
            {"slug": "wapda", "name": "WAPDA", "country": "PK", "kind": "government"},
        ),
        change=Write(
            lambda w: {"website": "https://www.wapda.gov.pk/"},
            {"website": "https://www.wapda.gov.pk/", "name": "Water and Power Development Authority"},
        ),
    ),
    Endpoint(
        "sources",
        Source,
        "id",
        shown=lambda w: w["karot_operational"].source,
        shows=lambda w: {"id": w["karot_operational"].source_id, "publisher": "Dawn", "kind": "news"},
        hidden=lambda w: w["uncited_source"],
        deleted=lambda w: w["uncited_source"],
        create=Write(
            lambda w: {"title": "Karot tariff determination", "publisher": "NEPRA", "url": "https://nepra.org.pk/k"},
            {"title": "Karot tariff determination", "publisher": "NEPRA", "kind": "other", "published_on": None},
        ),
        replace=Write(
            lambda w: {
                "title": "Karot completes",
                "publisher": "Dawn",
                "url": "https://www.dawn.com/k",
                "kind": "news",
            },
            {"title": "Karot completes", "publisher": "Dawn", "url": "https://www.dawn.com/k", "kind": "news"},
        ),
        change=Write(
            lambda w: {"publisher": "The Express Tribune"},
            {"publisher": "The Express Tribune", "kind": "news"},
        ),
    ),
    Endpoint(
        "events",
        Event,
        "slug",
        shown=lambda w: w["jcc6"],
        shows=lambda w: {
            "slug": "jcc-6",
            "date": "2016-12-29",
            "projects": [{"project": "ml-1-railway", "name": "ML-1 Railway Upgrade", "role": "reviewed", "note": ""}],
        },
        editor_shows=lambda w: {
            "projects": [
                {"project": "chashma-5", "name": "Chashma-5 Nuclear (not CPEC)", "role": "approved", "note": ""},
                {"project": "ml-1-railway", "name": "ML-1 Railway Upgrade", "role": "reviewed", "note": ""},
            ]
        },
        create=Write(
            lambda w: {
                "slug": "jcc-7",
                "kind": "jcc-meeting",
                "title": "7th JCC meeting",
                "date": "2017-11",
                "sources": [_source(w)],
                "projects": [{"project": "karot-hydropower", "role": "financed"}],
            },
            {
                "slug": "jcc-7",
                "date": "2017-11",
                "date_precision": "month",
                "projects": [
                    {"project": "karot-hydropower", "name": "Karot Hydropower Project", "role": "financed", "note": ""}
                ],
            },
        ),
        replace=Write(
            lambda w: {
                "slug": "jcc-6",
                "kind": "jcc-meeting",
                "title": "Sixth JCC meeting",
                "date": "2016-12",
                "sources": [_source(w)],
            },
            {"title": "Sixth JCC meeting", "date": "2016-12", "date_precision": "month"},
        ),
        change=Write(
            lambda w: {"place": "Beijing, Great Hall of the People"},
            {"place": "Beijing, Great Hall of the People", "title": "6th JCC meeting"},
        ),
    ),
    Endpoint(
        "indicators",
        Indicator,
        "code",
        shown=lambda w: w["gdp"],
        shows=lambda w: {"code": "gdp-usd", "name": "Gross domestic product", "unit": "usd"},
        deleted=lambda w: w["unused_indicator"],
        create=Write(
            lambda w: {"code": "port-throughput", "name": "Port throughput", "unit": "tonnes", "level": "mechanism"},
            {"code": "port-throughput", "name": "Port throughput", "unit": "tonnes", "latest": None, "corridors": []},
        ),
        replace=Write(
            lambda w: {
                "code": "gdp-usd",
                "name": "GDP",
                "unit": "usd-billion",
                "level": "context",
                "corridors": ["green"],
            },
            {"code": "gdp-usd", "name": "GDP", "unit": "usd-billion", "level": "context", "corridors": ["green"]},
        ),
        change=Write(
            lambda w: {"description": "Nominal GDP in current US dollars."},
            {"description": "Nominal GDP in current US dollars.", "name": "Gross domestic product"},
        ),
    ),
    Endpoint(
        "observations",
        Observation,
        "id",
        shown=lambda w: w["gdp_2025"],
        shows=lambda w: {"indicator": "gdp-usd", "scope": "national", "subject": None, "value": 374.6},
        hidden=lambda w: w["draft_observation"],
        create=Write(
            lambda w: {
                "indicator": "gdp-usd",
                "scope": "province",
                "subject": "PK-BA",
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
                "kind": "actual",
                "value": 3,
                "source": _source(w),
            },
            {"indicator": "gdp-usd", "scope": "province", "subject": "PK-BA", "value": 3, "is_preferred": False},
        ),
        replace=Write(
            lambda w: {
                "indicator": "gdp-usd",
                "scope": "national",
                "period_start": "2024-07-01",
                "period_end": "2025-06-30",
                "kind": "actual",
                "value": 371.5,
                "source": _source(w),
            },
            {"period_start": "2024-07-01", "period_end": "2025-06-30", "value": 371.5, "subject": None},
        ),
        change=Write(lambda w: {"note": "Provisional."}, {"note": "Provisional.", "value": 374.6}),
        paginated=True,
        editor_deletes=True,
    ),
]
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}
WRITABLE = [endpoint.name for endpoint in ENDPOINTS if endpoint.create is not None]
WITH_HIDDEN = [endpoint.name for endpoint in ENDPOINTS if endpoint.hidden is not None]


# --- what a refused write must leave alone ------------------------------------------------------------------------


def history_rows() -> int:
    """Every recorded change to tracked data."""
    return sum(tracked.model.history.count() for tracked in REGISTRY.values())


def stored(record: models.Model | None) -> list[dict] | None:
    """The record's row as stored (every column and many-to-many link), or None for none."""
    if record is None:
        return None
    return serializers.serialize("python", type(record).objects.filter(pk=record.pk))


def state(endpoint: Endpoint, record: models.Model | None) -> dict:
    """What a write could change: the entry's row count, the record, the history and the change feed."""
    return {
        "rows": endpoint.model.objects.count(),
        "record": stored(record),
        "history": history_rows(),
        "feed": ChangeEntry.objects.count(),
    }


def results(response) -> list[dict]:
    body = response.json()
    return body if isinstance(body, list) else body["results"]
