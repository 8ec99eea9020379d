"""Who may do what beyond the endpoint matrix (test_endpoint_matrix.py): partial permissions, read-only endpoints
outside the routers, drafts in histories, searches, exports, statistics and the feed, tokens, CSRF."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import AnonymousUser, Permission, User
from knox.models import AuthToken
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from projects.models import Organisation, Source
from registry.api.permissions import ModelPermissionsOrAnonReadOnly
from tests import factories
from tests.api.endpoint_cases import NO_PERMISSION, history_rows
from tests.api_fixtures import token_client

# Every router entry × caller × method, with what a refused write leaves alone, is in test_endpoint_matrix.py; this
# module covers the rest: partial permissions, endpoints outside the routers, drafts in searches, exports, statistics
# and the feed, and credentials.
REFUSED = {"anonymous": 401, "reader": 403}
CLIENT_FIXTURES = {"anonymous": "api", "reader": "reader_api", "editor": "editor_api"}


def test_write_with_change_permission_only_cannot_delete(registry):
    user = User.objects.create_user(username="copy-editor", password="x-copy-editor-password")
    user.user_permissions.add(Permission.objects.get(codename="change_organisation"))
    client = token_client(user)

    patched = client.patch("/api/v1/organisations/wapda/", {"name": "WAPDA"}, format="json")
    deleted = client.delete("/api/v1/organisations/wapda/")
    created = client.post("/api/v1/organisations/", {"slug": "hubco", "name": "Hubco", "kind": "private"})

    assert (patched.status_code, patched.json()["name"]) == (200, "WAPDA")
    assert [(r.status_code, r.json()) for r in (deleted, created)] == [(403, NO_PERMISSION), (403, NO_PERMISSION)]
    assert Organisation.objects.get(slug="wapda").name == "WAPDA"
    assert Organisation.objects.filter(slug="hubco").exists() is False


# --- read-only reference data ---------------------------------------------------------------------------------

# Outside the routers (the router entries' own 405s are in test_endpoint_matrix.py).
READ_ONLY_PATHS = [
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


# --- drafts ---------------------------------------------------------------------------------------------------


# The drafts' own details (project, status change, investment) are in test_endpoint_matrix.py.
@pytest.mark.parametrize("caller", sorted(REFUSED))
def test_draft_history_is_404_for_public(request, registry, caller):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])

    response = client.get("/api/v1/projects/chashma-5/history/")

    assert (response.status_code, response.json()) == (404, {"detail": "No Project matches the given query."})


def test_draft_history_is_visible_to_editor(editor_api, registry):
    response = editor_api.get("/api/v1/projects/chashma-5/history/")

    assert response.status_code == 200
    assert [(entry["model"], entry["object"], entry["action"]) for entry in response.json()["results"]][-1] == (
        "project",
        "chashma-5",
        "created",
    )


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _slugs(response) -> set[str]:
    return {item["slug"] for item in response.json()["results"]}


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


# (path, what a reader gets from the response, what shows the draft is in it); the plain lists of projects, status
# changes and investments are in test_endpoint_matrix.py.
DRAFT_LISTS = {
    "projects-search": ("/api/v1/projects/?search=chashma", _slugs, lambda r: {"chashma-5"}),
    "projects-filtered": ("/api/v1/projects/?corridor=green&status=implementation", _slugs, lambda r: {"chashma-5"}),
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
def test_draft_publication_filter_is_refused_to_public(request, registry, caller):
    client = request.getfixturevalue(CLIENT_FIXTURES[caller])

    response = client.get("/api/v1/projects/?publication=draft")

    assert response.status_code == (401 if caller == "anonymous" else 403)
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


class QuerysetlessView:
    """A view whose queryset must not be needed to judge the request."""

    def get_queryset(self):
        raise AssertionError("the queryset was built")


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_default_permission_judges_a_read_without_building_the_views_queryset(db, method):
    request = Request(getattr(APIRequestFactory(), method)("/api/v1/projects/"))
    request.user = AnonymousUser()

    allowed = ModelPermissionsOrAnonReadOnly().has_permission(request, QuerysetlessView())

    assert allowed is True


def test_default_permission_still_refuses_a_write_without_the_model_permission(db):
    request = Request(APIRequestFactory().post("/api/v1/organisations/"))
    request.user = User.objects.create_user(username="reader-only", password="x-reader-only-password")

    class OrganisationView:
        def get_queryset(self):
            return Organisation.objects.all()

    allowed = ModelPermissionsOrAnonReadOnly().has_permission(request, OrganisationView())

    assert allowed is False
