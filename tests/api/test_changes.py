import datetime

from django.utils import timezone

from projects import choices, services
from tests import factories


def _feed(client, query=""):
    response = client.get(f"/api/v1/changes/?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _walk(client, query="page_size=4"):
    """Follow `next` links to the end; returns every entry."""
    entries, url = [], f"/api/v1/changes/?{query}"
    while url:
        body = client.get(url).json()
        entries += body["results"]
        url = body["next"]
    return entries


def test_changes_feed_is_newest_first_without_count(api, registry):
    body = _feed(api)

    times = [entry["at"] for entry in body["results"]]
    assert set(body) == {"next", "previous", "results"}
    assert times == sorted(times, reverse=True)


def test_changes_feed_cursor_walk_returns_every_entry_once(api, registry):
    everything = _feed(api, "page_size=500")["results"]

    walked = _walk(api, "page_size=4")

    assert walked == everything
    assert len(walked) > 8


def test_changes_feed_hides_drafts_from_anonymous(api, editor_api, registry):
    public = _walk(api, "page_size=100")
    editor = _walk(editor_api, "page_size=100")

    assert "chashma-5" not in [entry["object"] for entry in public if entry["model"] == "project"]
    assert "chashma-5" in [entry["object"] for entry in editor if entry["model"] == "project"]
    draft_children = {str(pk) for pk in registry["draft"].investments.values_list("pk", flat=True)}
    assert not draft_children & {entry["object"] for entry in public if entry["model"] == "investment"}


def test_changes_feed_shows_users_to_editors_only(api, editor_api, editor, registry):
    editor_api.patch("/api/v1/projects/karot-hydropower/", {"summary": "Edited."}, format="json")

    public = _feed(api, "model=project&page_size=1")["results"][0]
    private = _feed(editor_api, "model=project&page_size=1")["results"][0]

    assert (public["object"], public["action"], public["changed_fields"], public["user"]) == (
        "karot-hydropower",
        "updated",
        ["summary"],
        None,
    )
    assert private["user"] == "editor"


def test_changes_feed_since_filters_by_time(api, registry):
    cutoff = timezone.now()
    services.project_update(project=registry["ml1"], name="ML-1 Main Line Upgrade")

    body = _feed(api, f"since={cutoff.isoformat().replace('+', '%2B')}")

    assert [(e["model"], e["object"], e["changed_fields"]) for e in body["results"]] == [
        ("project", "ml-1-railway", ["name"])
    ]


def test_changes_feed_model_filter(api, registry):
    body = _feed(api, "model=status-change,investment&page_size=500")

    assert {entry["model"] for entry in body["results"]} == {"status-change", "investment"}


def test_changes_feed_unpublishing_shows_as_deleted_to_public(api, registry):
    services.project_set_publication(projects=[registry["sahiwal"]], publication=choices.Publication.DRAFT)

    latest = _feed(api, "model=project&page_size=1")["results"][0]

    assert (latest["object"], latest["action"], latest["changed_fields"]) == (
        "sahiwal-coal",
        "deleted",
        ["publication"],
    )


def test_changes_feed_deletion_recorded(api, editor_api, registry):
    deleted = editor_api.delete("/api/v1/projects/rashakai-sez/")

    latest = _feed(api, "model=project&page_size=1")["results"][0]

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert (latest["object"], latest["action"]) == ("rashakai-sez", "deleted")
    gone = api.get(latest["url"])
    assert (gone.status_code, gone.json()) == (404, {"detail": "No Project matches the given query."})


def test_changes_feed_etag_and_304(api, registry):
    first = api.get("/api/v1/changes/")

    second = api.get("/api/v1/changes/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert (first.status_code, first.json()["results"]) == (200, _walk(api, "page_size=500"))
    assert (second.status_code, second.content, second["ETag"]) == (304, b"", first["ETag"])


def test_project_history_lists_project_and_children_newest_first(api, registry):
    factories.add_status(registry["ml1"], "implementation", datetime.date(2024, 2, 1))

    response = api.get("/api/v1/projects/ml-1-railway/history/")

    results = response.json()["results"]
    assert response.status_code == 200
    assert response.json()["count"] == len(results)
    assert [(entry["model"], entry["action"]) for entry in results[:2]] == [
        ("project", "updated"),
        ("status-change", "created"),
    ]
    assert results[0]["changed_fields"] == ["status", "status_history", "status_since"]
    assert results[-1]["model"] == "project" and results[-1]["action"] == "created"
    assert all(entry["user"] is None for entry in results)


# A draft's history for each kind of caller: tests/api/test_permissions.py (test_draft_history_*).


def test_project_history_rejects_filters(api, registry):
    response = api.get("/api/v1/projects/ml-1-railway/history/?status=mou")

    assert (response.status_code, response.json()) == (
        400,
        {"status": ["Unknown query parameter. Accepted parameters: format, page, page_size."]},
    )
