"""Nothing of a draft is visible to the public anywhere: every public endpoint and format is read after each step of
a draft's life (created, renamed, published, unpublished, renamed again, deleted) and searched for what must not
show."""

import datetime
import json

import pytest

from projects import choices
from projects.stats import DIMENSIONS
from tests import factories

SEARCHES = ["Zeta", "secret", "Secret Contractor"]


def text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def everything_public(client, *, feed: bool = True) -> str:
    """Every public response: each list (all pages) in JSON, CSV and GeoJSON, each record's detail, each project's
    history, statistics by every dimension, searches; with ``feed``, the change feed and the landing page (which
    shows its latest entries) too."""
    bodies = [text(client.get("/"))] if feed else []
    endpoints = client.get("/api/v1/").json()
    for name, url in endpoints.items():
        if name in ("schema", "docs", "changes") or name.startswith("stats"):
            continue
        bodies.append(text(client.get(url, {"format": "csv"})))
        if name == "projects":
            bodies.append(text(client.get(url, {"format": "geojson"})))
        page = url
        while page:
            body = client.get(page).json()
            rows = body["results"] if isinstance(body, dict) else body
            bodies.append(json.dumps(body))
            for row in rows:
                if "url" in row:
                    bodies.append(text(client.get(row["url"])))
                if name == "projects":
                    bodies.append(text(client.get(f"{row['url']}history/?page_size=500")))
                if name == "indicators":
                    bodies.append(text(client.get(f"{row['url']}series/")))
            page = body.get("next") if isinstance(body, dict) else None
    for search in SEARCHES:
        for name in ("projects", "organisations", "sources"):
            bodies.append(text(client.get(endpoints[name], {"search": search})))
    page = "/api/v1/changes/?page_size=500" if feed else None
    while page:
        body = client.get(page).json()
        bodies.append(json.dumps(body))
        page = body["next"]
    for dimension in DIMENSIONS:
        bodies.append(text(client.get("/api/v1/stats/investment/", {"group_by": dimension})))
        for kind in ("announced", "committed", "realised"):
            params = {"kind": kind, "group_by": dimension}
            bodies.append(text(client.get("/api/v1/stats/investment/timeline/", params)))
    return "\n".join(bodies)


def assert_hidden(client, *markers: str) -> None:
    seen = everything_public(client)
    assert [marker for marker in markers if marker in seen] == []


@pytest.fixture
def draft(editor_api, registry):
    """A draft with every kind of row, citing an organisation and sources that nothing published uses."""
    contractor = factories.OrganisationFactory(slug="secret-contractor", name="Secret Contractor Ltd", country="CN")
    memo = factories.SourceFactory(title="Secret memo one", url="https://secret.example/memo")
    letter = factories.SourceFactory(title="Secret letter two", url="https://secret.example/letter")
    response = editor_api.post(
        "/api/v1/projects/",
        {
            "slug": "secret-slug-a",
            "name": "Secret Plant Zeta",
            "summary": "A confidential summary.",
            "phase": "2",
            "corridor": "green",
            "pillars": ["energy"],
            "sector": "energy",
            "provinces": ["PK-BA"],
            "latitude": 25.1,
            "longitude": 62.3,
            "publication": "draft",
            "participants": [{"organisation": "secret-contractor", "role": "contractor"}],
            "sources": [letter.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    project = registry["draft"].__class__.objects.get(slug="secret-slug-a")
    factories.add_status(project, "mou", datetime.date(2025, 3, 1), source=memo, note="Secret note")
    factories.add_figure(project, "announced", "777000000", as_of=datetime.date(2025, 3, 1), source=memo)
    indicator = factories.IndicatorFactory(code="it-exports")
    factories.ObservationFactory(indicator=indicator, scope="project", project=project, value="424242", source=memo)
    return {"project": project, "contractor": contractor, "memo": memo, "letter": letter}


DRAFT_MARKERS = (
    "secret-slug-a",
    "Secret Plant Zeta",
    "confidential summary",
    "secret-contractor",
    "Secret Contractor Ltd",
    "Secret memo one",
    "Secret letter two",
    "secret.example",
    "Secret note",
    "777000000",
    "424242",
)


def test_a_draft_leaks_nowhere_through_its_whole_life(api, editor_api, draft):
    # Created as a draft: nothing of it shows.
    assert_hidden(api, *DRAFT_MARKERS)

    # Renamed while a draft: neither slug shows.
    assert (
        editor_api.patch("/api/v1/projects/secret-slug-a/", {"slug": "secret-slug-b"}, format="json").status_code == 200
    )
    assert_hidden(api, *DRAFT_MARKERS, "secret-slug-b")

    # Published: it shows under its slug, with everything it cites; its draft-era slug never does.
    assert (
        editor_api.patch("/api/v1/projects/secret-slug-b/", {"publication": "published"}, format="json").status_code
        == 200
    )
    assert_hidden(api, "secret-slug-a")
    seen = everything_public(api)
    assert all(marker in seen for marker in ("secret-slug-b", "Secret Contractor Ltd", "Secret memo one", "424242"))

    # Unpublished: gone from every list, detail, export, search and statistic; the feed keeps what was public then.
    assert (
        editor_api.patch("/api/v1/projects/secret-slug-b/", {"publication": "draft"}, format="json").status_code == 200
    )
    current = everything_public(api, feed=False)
    assert [marker for marker in (*DRAFT_MARKERS[1:], "secret-slug-b") if marker in current] == []
    assert api.get("/api/v1/projects/secret-slug-b/history/").status_code == 404
    assert last_public_actions(api, "secret-slug-b", "secret-contractor") == {"deleted"}

    # Renamed again while a draft (the unpublish-and-rename of one editor's afternoon): the new slug never shows.
    assert (
        editor_api.patch("/api/v1/projects/secret-slug-b/", {"slug": "secret-slug-c"}, format="json").status_code == 200
    )
    assert_hidden(api, "secret-slug-a", "secret-slug-c")

    # Deleted: nothing new shows.
    assert editor_api.delete("/api/v1/projects/secret-slug-c/").status_code == 204
    assert_hidden(api, "secret-slug-a", "secret-slug-c")
    assert "secret-slug-b" not in everything_public(api, feed=False)


def test_a_draft_deleted_without_ever_being_published_leaks_nowhere(api, editor_api, draft):
    assert editor_api.delete("/api/v1/projects/secret-slug-a/").status_code == 204

    assert_hidden(api, *DRAFT_MARKERS)


def test_editors_see_the_draft_everywhere_the_public_does_not(editor_api, draft):
    seen = everything_public(editor_api)

    assert all(marker in seen for marker in DRAFT_MARKERS)


def last_public_actions(client, *identifiers: str) -> set[str]:
    """The latest public feed action naming each identifier."""
    entries = client.get("/api/v1/changes/?page_size=500").json()["results"]
    latest = {}
    for entry in entries:  # newest first
        latest.setdefault(entry["object"], entry["action"])
    return {latest[identifier] for identifier in identifiers}


def test_publishing_needs_nothing_of_the_draft_to_leak_first(api, editor_api, draft):
    """The organisation and sources become public with the project, not before."""
    assert api.get("/api/v1/organisations/secret-contractor/").status_code == 404
    assert api.get(f"/api/v1/sources/{draft['memo'].pk}/").status_code == 404

    editor_api.patch("/api/v1/projects/secret-slug-a/", {"publication": choices.Publication.PUBLISHED}, format="json")

    assert api.get("/api/v1/organisations/secret-contractor/").status_code == 200
    assert api.get(f"/api/v1/sources/{draft['memo'].pk}/").status_code == 200
