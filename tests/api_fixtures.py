"""Fixtures for API tests (loaded for the whole suite by tests/conftest.py): callers of each kind, a small registry."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from projects import choices
from registry.throttling import cache_outage
from tests import factories, snapshots


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()  # throttling counters live in the cache
    cache_outage.reset()
    yield
    cache.clear()
    cache_outage.reset()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def low_anon_rate(monkeypatch):
    """Anonymous API clients may make 3 requests a minute."""
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "3/minute"})


def editor_user(username: str = "editor") -> User:
    user = User.objects.create_user(username=username, password="x-editor-password", is_staff=True)
    group, _ = Group.objects.get_or_create(name="api-test-editors")
    permissions = Permission.objects.filter(content_type__app_label__in=["projects", "indicators"])
    group.permissions.set(permissions)
    user.groups.add(group)
    return user


def token_client(user: User) -> APIClient:
    client = APIClient()
    _, key = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def editor(db):
    return editor_user()


@pytest.fixture
def editor_api(editor):
    return token_client(editor)


@pytest.fixture
def reader_api(db):
    """Authenticated, but without any permission."""
    return token_client(User.objects.create_user(username="reader", password="x-reader-password"))


def build_vocab() -> dict:
    """Three corridors, three pillars, four sectors (two under energy)."""
    corridors = {
        code: factories.CorridorFactory(code=code, name=name, aliases=aliases, order=order)
        for order, (code, name, aliases) in enumerate(
            [
                ("growth", "Growth Corridor", ["Corridor of Growth"]),
                ("green", "Green Corridor", ["Corridor of Green Energy", "Green Development"]),
                ("connectivity", "Regional Connectivity Corridor", ["Openness Corridor"]),
            ]
        )
    }
    pillars = {code: factories.PillarFactory(code=code) for code in ["energy", "export", "equity"]}
    energy = factories.SectorFactory(code="energy", name="Energy")
    sectors = {
        "energy": energy,
        "energy-hydro": factories.SectorFactory(code="energy-hydro", name="Hydro", parent=energy),
        "energy-coal": factories.SectorFactory(code="energy-coal", name="Coal", parent=energy),
        "transport": factories.SectorFactory(code="transport", name="Transport"),
    }
    return {"corridors": corridors, "pillars": pillars, "sectors": sectors}


@pytest.fixture
def vocab(db, request):
    if "registry" in request.fixturenames:
        return _vocab_and_registry(request)["vocab"]
    return build_vocab()


def build_registry(vocab: dict) -> dict:
    """Four published projects and one draft, with histories, money and participants."""
    c, p, s = vocab["corridors"], vocab["pillars"], vocab["sectors"]
    three_gorges = factories.OrganisationFactory(slug="china-three-gorges", name="China Three Gorges", country="CN")
    wapda = factories.OrganisationFactory(
        slug="wapda",
        name="Water and Power Development Authority",
        country="PK",
        kind=choices.OrganisationKind.GOVERNMENT,
    )
    karot = factories.make_project(
        slug="karot-hydropower",
        name="Karot Hydropower Project",
        corridor=c["green"],
        pillars=[p["energy"]],
        sector=s["energy-hydro"],
        provinces=["PK-PB", "PK-JK"],
        place_name="Karot, Jhelum River",
        latitude="33.600000",
        longitude="73.600000",
        capacity_value="720",
        capacity_unit="MW",
    )
    factories.add_status(karot, "implementation", datetime.date(2016, 1, 10))
    factories.add_status(karot, "operational", datetime.date(2022, 6, 29))
    factories.add_figure(karot, "announced", "1420000000", as_of=datetime.date(2016, 1, 1))
    factories.add_figure(karot, "realised", "1698000000", as_of=datetime.date(2022, 6, 29))
    factories.add_participant(karot, three_gorges)

    sahiwal = factories.make_project(
        slug="sahiwal-coal",
        name="Sahiwal Coal Power Plant",
        corridor=c["green"],
        pillars=[p["energy"], p["export"]],
        sector=s["energy-coal"],
        provinces=["PK-PB"],
        place_name="Sahiwal",
        latitude="30.713500",
        longitude="73.243200",
    )
    factories.add_status(sahiwal, "operational", datetime.date(2017, 10, 28))
    factories.add_figure(sahiwal, "announced", "1912000000", as_of=datetime.date(2017, 1, 1))

    ml1 = factories.make_project(
        slug="ml-1-railway",
        name="ML-1 Railway Upgrade",
        corridor=c["connectivity"],
        pillars=[p["export"]],
        sector=s["transport"],
        provinces=["PK-SD", "PK-PB", "PK-KP"],
        phase="2",
    )
    factories.add_status(ml1, "mou", datetime.date(2016, 5, 1))
    factories.add_figure(ml1, "announced", "6800000000", as_of=datetime.date(2020, 8, 1))
    factories.add_participant(ml1, wapda, choices.ParticipationRole.IMPLEMENTING_AGENCY)

    zone = factories.make_project(
        slug="rashakai-sez",
        name="Rashakai Special Economic Zone",
        corridor=c["growth"],
        pillars=[p["export"], p["equity"]],
        sector=s["transport"],
        provinces=["PK-KP"],
        phase="2",
    )

    draft = factories.make_project(
        slug="chashma-5",
        name="Chashma-5 Nuclear (not CPEC)",
        corridor=c["green"],
        pillars=[p["energy"]],
        sector=s["energy"],
        provinces=["PK-PB"],
        publication=choices.Publication.DRAFT,
    )
    factories.add_status(draft, "implementation", datetime.date(2024, 1, 1))
    factories.add_figure(draft, "announced", "3700000000", as_of=datetime.date(2023, 6, 1))
    return {"karot": karot, "sahiwal": sahiwal, "ml1": ml1, "zone": zone, "draft": draft}


def _build_vocab_and_registry() -> dict:
    vocab = build_vocab()
    return {"vocab": vocab, "registry": build_registry(vocab)}


def _vocab_and_registry(request) -> dict:
    """Built once per test process, restored as rows afterwards (tests/snapshots.py); one pair per test."""
    if not hasattr(request.node, "_vocab_and_registry"):
        request.node._vocab_and_registry = snapshots.built_or_restored("registry", _build_vocab_and_registry)
    return request.node._vocab_and_registry


@pytest.fixture
def registry(vocab, request):
    return _vocab_and_registry(request)["registry"]
