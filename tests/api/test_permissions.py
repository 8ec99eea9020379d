"""Who may do what: every write endpoint × every kind of caller, read-only reference data, drafts, tokens, CSRF."""

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from knox.models import AuthToken
from rest_framework.test import APIClient

from projects.models import InvestmentFigure, Organisation, Source, StatusChange
from registry.feed import REGISTRY
from tests import factories
from tests.api_fixtures import token_client


@dataclass(frozen=True)
class Write:
    """One write request, built from the ``registry`` fixture, and what an editor gets back for it."""

    method: str
    path: str
    body: dict[str, Any] | None
    status: int
    echoed: dict[str, Any] | None = None  # fields of the editor's response body that must equal these


def _karot_status(registry, status: str) -> StatusChange:
    return registry["karot"].status_changes.get(status=status)


def _karot_figure(registry, kind: str) -> InvestmentFigure:
    return registry["karot"].investments.get(kind=kind)


def _source_id() -> int:
    return factories.SourceFactory().pk


WRITES = {
    "project-create": lambda r: Write(
        "post",
        "/api/v1/projects/",
        {
            "slug": "gwadar-east-bay",
            "name": "Gwadar East Bay Expressway",
            "phase": "1",
            "corridor": "connectivity",
            "pillars": ["export"],
            "sector": "transport",
            "provinces": ["PK-BA"],
            "participants": [{"organisation": "wapda", "role": "implementing-agency"}],
        },
        201,
        {"slug": "gwadar-east-bay", "publication": "draft", "pillars": ["export"]},
    ),
    "project-replace": lambda r: Write(
        "put",
        "/api/v1/projects/sahiwal-coal/",
        {
            "slug": "sahiwal-coal",
            "name": "Sahiwal 1,320 MW Coal Power Plant",
            "phase": "1",
            "corridor": "green",
            "pillars": ["energy"],
            "sector": "energy-coal",
            "provinces": ["PK-PB"],
        },
        200,
        {"name": "Sahiwal 1,320 MW Coal Power Plant", "pillars": ["energy"], "status": "operational"},
    ),
    "project-change": lambda r: Write(
        "patch",
        "/api/v1/projects/karot-hydropower/",
        {"summary": "A 720 MW run-of-river plant on the Jhelum."},
        200,
        {"summary": "A 720 MW run-of-river plant on the Jhelum.", "capacity_value": 720},
    ),
    "project-delete": lambda r: Write("delete", "/api/v1/projects/rashakai-sez/", None, 204),
    "status-change-create": lambda r: Write(
        "post",
        "/api/v1/status-changes/",
        {"project": "rashakai-sez", "status": "pipeline", "date": "2021-03-01", "source": _source_id()},
        201,
        {"project": "rashakai-sez", "status": "pipeline", "date": "2021-03-01"},
    ),
    "status-change-replace": lambda r: Write(
        "put",
        f"/api/v1/status-changes/{_karot_status(r, 'operational').pk}/",
        {
            "project": "karot-hydropower",
            "status": "operational",
            "date": "2022-07-01",
            "source": _source_id(),
            "note": "Commercial operation date.",
        },
        200,
        {"date": "2022-07-01", "note": "Commercial operation date."},
    ),
    "status-change-change": lambda r: Write(
        "patch",
        f"/api/v1/status-changes/{_karot_status(r, 'operational').pk}/",
        {"note": "Inaugurated by the Prime Minister."},
        200,
        {"status": "operational", "note": "Inaugurated by the Prime Minister."},
    ),
    "status-change-delete": lambda r: Write(
        "delete", f"/api/v1/status-changes/{_karot_status(r, 'operational').pk}/", None, 204
    ),
    "investment-create": lambda r: Write(
        "post",
        "/api/v1/investments/",
        {
            "project": "rashakai-sez",
            "kind": "announced",
            "amount": 500000000,
            "currency": "USD",
            "as_of": "2021-01-01",
            "source": _source_id(),
        },
        201,
        {"project": "rashakai-sez", "amount": 500000000, "amount_usd": 500000000},
    ),
    "investment-replace": lambda r: Write(
        "put",
        f"/api/v1/investments/{_karot_figure(r, 'realised').pk}/",
        {
            "project": "karot-hydropower",
            "kind": "realised",
            "amount": 1700000000,
            "currency": "USD",
            "as_of": "2022-06-29",
            "source": _source_id(),
        },
        200,
        {"amount": 1700000000, "amount_usd": 1700000000},
    ),
    "investment-change": lambda r: Write(
        "patch",
        f"/api/v1/investments/{_karot_figure(r, 'realised').pk}/",
        {"note": "Final cost reported at completion."},
        200,
        {"kind": "realised", "note": "Final cost reported at completion."},
    ),
    "investment-delete": lambda r: Write(
        "delete", f"/api/v1/investments/{_karot_figure(r, 'realised').pk}/", None, 204
    ),
    "organisation-create": lambda r: Write(
        "post",
        "/api/v1/organisations/",
        {"slug": "hubco", "name": "Hub Power Company", "country": "PK", "kind": "private"},
        201,
        {"slug": "hubco", "name": "Hub Power Company"},
    ),
    "organisation-replace": lambda r: Write(
        "put",
        "/api/v1/organisations/wapda/",
        {"slug": "wapda", "name": "WAPDA", "country": "PK", "kind": "government"},
        200,
        {"slug": "wapda", "name": "WAPDA"},
    ),
    "organisation-change": lambda r: Write(
        "patch",
        "/api/v1/organisations/wapda/",
        {"website": "https://www.wapda.gov.pk/"},
        200,
        {"website": "https://www.wapda.gov.pk/", "kind": "government"},
    ),
    "organisation-delete": lambda r: Write(
        "delete", f"/api/v1/organisations/{factories.OrganisationFactory(slug='unused-org').slug}/", None, 204
    ),
    "source-create": lambda r: Write(
        "post",
        "/api/v1/sources/",
        {"title": "Karot tariff determination", "publisher": "NEPRA", "url": "https://nepra.org.pk/karot"},
        201,
        {"title": "Karot tariff determination", "kind": "other"},
    ),
    "source-replace": lambda r: Write(
        "put",
        f"/api/v1/sources/{_karot_status(r, 'operational').source_id}/",
        {"title": "Karot completes", "publisher": "Dawn", "url": "https://www.dawn.com/karot", "kind": "news"},
        200,
        {"title": "Karot completes", "url": "https://www.dawn.com/karot"},
    ),
    "source-change": lambda r: Write(
        "patch",
        f"/api/v1/sources/{_karot_status(r, 'operational').source_id}/",
        {"publisher": "The Express Tribune"},
        200,
        {"publisher": "The Express Tribune"},
    ),
    "source-delete": lambda r: Write("delete", f"/api/v1/sources/{_source_id()}/", None, 204),
}

REFUSED = {"anonymous": 401, "reader": 403}
CLIENT_FIXTURES = {"anonymous": "api", "reader": "reader_api", "editor": "editor_api"}


def history_rows() -> int:
    """Every recorded change to tracked data: a refused write must not add one."""
    return sum(tracked.model.history.count() for tracked in REGISTRY.values())


@pytest.mark.parametrize("caller", sorted(REFUSED))
@pytest.mark.parametrize("operation", list(WRITES))
def test_write_refused_without_permission(request, registry, operation, caller):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])
    write = WRITES[operation](registry)
    before = history_rows()

    response = getattr(client, write.method)(write.path, write.body, format="json")

    assert response.status_code == REFUSED[caller]
    assert list(response.json()) == ["detail"]
    assert history_rows() == before


@pytest.mark.parametrize("operation", list(WRITES))
def test_write_by_editor_succeeds(editor_api, registry, operation):
    write = WRITES[operation](registry)
    before = history_rows()

    response = getattr(editor_api, write.method)(write.path, write.body, format="json")

    assert response.status_code == write.status, response.content
    assert history_rows() > before
    if write.method == "delete":
        assert response.content == b""
        assert editor_api.get(write.path).status_code == 404
    else:
        body = response.json()
        assert {name: body[name] for name in write.echoed} == write.echoed


def test_write_anonymous_gets_authenticate_header(api, registry):
    response = api.post("/api/v1/organisations/", {"slug": "x", "name": "X", "kind": "private"}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_write_with_change_permission_only_cannot_delete(registry):
    user = User.objects.create_user(username="copy-editor", password="x-copy-editor-password")
    user.user_permissions.add(Permission.objects.get(codename="change_organisation"))
    client = token_client(user)

    patched = client.patch("/api/v1/organisations/wapda/", {"name": "WAPDA"}, format="json")
    deleted = client.delete("/api/v1/organisations/wapda/")
    created = client.post("/api/v1/organisations/", {"slug": "hubco", "name": "Hubco", "kind": "private"})

    assert (patched.status_code, deleted.status_code, created.status_code) == (200, 403, 403)
    assert Organisation.objects.filter(slug="hubco").exists() is False


# --- read-only reference data ---------------------------------------------------------------------------------

READ_ONLY_PATHS = [
    "/api/v1/corridors/",
    "/api/v1/corridors/green/",
    "/api/v1/pillars/",
    "/api/v1/pillars/energy/",
    "/api/v1/sectors/",
    "/api/v1/sectors/energy-hydro/",
    "/api/v1/provinces/",
    "/api/v1/provinces/PK-PB/",
    "/api/v1/stats/investment/",
    "/api/v1/changes/",
    "/api/v1/projects/karot-hydropower/history/",
]


@pytest.mark.parametrize("caller", list(CLIENT_FIXTURES))
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", READ_ONLY_PATHS)
def test_write_to_read_only_endpoint_is_405_for_everyone(request, vocab, path, method, caller):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])
    factories.make_project(slug="karot-hydropower")
    before = history_rows()

    response = getattr(client, method)(path, {"code": "green", "name": "Renamed"}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}
    assert history_rows() == before


@pytest.mark.parametrize("caller", list(CLIENT_FIXTURES))
@pytest.mark.parametrize(
    ("method", "path"),
    [("put", "/api/v1/projects/"), ("delete", "/api/v1/sources/"), ("post", "/api/v1/projects/karot-hydropower/")],
)
def test_write_to_wrong_route_is_405_for_everyone(request, vocab, method, path, caller):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])

    response = getattr(client, method)(path, {}, format="json")

    assert response.status_code == 405


# --- drafts ---------------------------------------------------------------------------------------------------


def _draft_paths(registry) -> list[str]:
    draft = registry["draft"]
    return [
        f"/api/v1/projects/{draft.slug}/",
        f"/api/v1/projects/{draft.slug}/history/",
        f"/api/v1/status-changes/{draft.status_changes.get().pk}/",
        f"/api/v1/investments/{draft.investments.get().pk}/",
    ]


@pytest.mark.parametrize("caller", sorted(REFUSED))
def test_draft_detail_is_404_for_public(request, registry, caller):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])

    statuses = [client.get(path).status_code for path in _draft_paths(registry)]

    assert statuses == [404, 404, 404, 404]


def test_draft_detail_is_visible_to_editor(editor_api, registry):
    statuses = [editor_api.get(path).status_code for path in _draft_paths(registry)]

    assert statuses == [200, 200, 200, 200]


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _slugs(response) -> set[str]:
    return {item["slug"] for item in response.json()["results"]}


def _project_slugs(response) -> set[str]:
    return {item["project"] for item in response.json()["results"]}


def _csv_slugs(response) -> set[str]:
    return {row["slug"] for row in csv.DictReader(io.StringIO(_content(response).decode("utf-8-sig")))}


def _geojson_slugs(response) -> set[str]:
    return {feature["properties"]["slug"] for feature in json.loads(_content(response))["features"]}


def _stats_projects(response) -> int:
    return response.json()["totals"]["project_count"]


def _feed_objects(response) -> set[str]:
    return {(entry["model"], entry["object"]) for entry in response.json()["results"]}


def _draft_feed_objects(registry) -> set[tuple[str, str]]:
    draft = registry["draft"]
    return {
        ("project", draft.slug),
        ("status-change", str(draft.status_changes.get().pk)),
        ("investment", str(draft.investments.get().pk)),
    }


# (path, what a reader gets from the response, what shows the draft is in it)
DRAFT_LISTS = {
    "projects": ("/api/v1/projects/", _slugs, lambda r: {"chashma-5"}),
    "projects-search": ("/api/v1/projects/?search=chashma", _slugs, lambda r: {"chashma-5"}),
    "projects-filtered": ("/api/v1/projects/?corridor=green&status=implementation", _slugs, lambda r: {"chashma-5"}),
    "status-changes": ("/api/v1/status-changes/", _project_slugs, lambda r: {"chashma-5"}),
    "investments": ("/api/v1/investments/", _project_slugs, lambda r: {"chashma-5"}),
    "csv": ("/api/v1/projects/?format=csv", _csv_slugs, lambda r: {"chashma-5"}),
    "geojson": ("/api/v1/projects/?format=geojson", _geojson_slugs, lambda r: {"chashma-5"}),
    "changes": ("/api/v1/changes/?page_size=500", _feed_objects, _draft_feed_objects),
}


@pytest.mark.parametrize("caller", sorted(REFUSED))
@pytest.mark.parametrize("listing", list(DRAFT_LISTS))
def test_draft_never_listed_for_public(request, registry, listing, caller):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])
    path, read, draft_items = DRAFT_LISTS[listing]

    response = client.get(path)

    assert response.status_code == 200
    assert read(response) & draft_items(registry) == set()


@pytest.mark.parametrize("listing", list(DRAFT_LISTS))
def test_draft_listed_for_editor(editor_api, registry, listing):
    path, read, draft_items = DRAFT_LISTS[listing]

    response = editor_api.get(path)

    assert response.status_code == 200
    assert read(response) >= draft_items(registry)


@pytest.mark.parametrize(("caller", "expected"), [("anonymous", 4), ("reader", 4), ("editor", 5)])
def test_draft_counted_in_stats_for_editor_only(request, registry, caller, expected):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])

    response = client.get("/api/v1/stats/investment/?group_by=corridor")

    green = next(group for group in response.json()["groups"] if group["corridor"] == "green")
    assert _stats_projects(response) == expected
    assert green["announced_usd"] == (1420000000 + 1912000000 + (3700000000 if caller == "editor" else 0))


@pytest.mark.parametrize("caller", sorted(REFUSED))
def test_draft_publication_filter_is_unknown_to_public(request, registry, caller):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])

    response = client.get("/api/v1/projects/?publication=draft")

    assert response.status_code == 400
    assert list(response.json()) == ["publication"]


def test_draft_publication_filter_for_editor(editor_api, registry):
    response = editor_api.get("/api/v1/projects/?publication=draft")

    assert _slugs(response) == {"chashma-5"}


# --- credentials ----------------------------------------------------------------------------------------------


def test_revoked_token_is_401(registry, editor):
    client = token_client(editor)
    AuthToken.objects.filter(user=editor).delete()

    write = client.post("/api/v1/organisations/", {"slug": "hubco", "name": "Hubco", "kind": "private"})
    read = client.get("/api/v1/projects/")

    assert (write.status_code, read.status_code) == (401, 401)
    assert write.json() == {"detail": "Invalid token."}
    assert Organisation.objects.filter(slug="hubco").exists() is False


def test_revoked_token_replaced_by_new_one_works(registry, editor):
    AuthToken.objects.filter(user=editor).delete()
    client = token_client(editor)

    response = client.post("/api/v1/organisations/", {"slug": "hubco", "name": "Hubco", "kind": "private"})

    assert response.status_code == 201


def _session_client(editor) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=editor.username, password="x-editor-password")
    return client


def test_session_write_without_csrf_token_is_403(registry, editor):
    client = _session_client(editor)

    response = client.post("/api/v1/organisations/", {"slug": "hubco", "name": "Hubco", "kind": "private"})

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")
    assert Organisation.objects.filter(slug="hubco").exists() is False


def test_session_write_with_csrf_token_succeeds(registry, editor):
    client = _session_client(editor)
    client.get("/admin/")  # the admin page sets the CSRF cookie, as it does for an editor's browser
    csrf_token = client.cookies["csrftoken"].value

    response = client.post(
        "/api/v1/organisations/",
        {"slug": "hubco", "name": "Hubco", "kind": "private"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf_token,
    )

    assert response.status_code == 201
    assert Organisation.objects.get(slug="hubco").history.get().history_user == editor


def test_session_read_needs_no_csrf_token(registry, editor):
    client = _session_client(editor)

    response = client.get("/api/v1/projects/chashma-5/")

    assert response.status_code == 200


def test_session_of_user_without_permission_is_403_even_with_csrf(registry):
    User.objects.create_user(username="visitor", password="x-visitor-password", is_staff=True)
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="visitor", password="x-visitor-password")
    client.get("/admin/")
    before = Source.objects.count()

    response = client.post(
        "/api/v1/sources/",
        {"title": "Anything"},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert Source.objects.count() == before
