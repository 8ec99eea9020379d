"""The public change feed follows what the public lists show: publishing a draft creates it and what hangs off it,
unpublishing or deleting deletes them, organisations and sources appear with their first public citation, and a
project's public history holds nothing of its draft life."""

import datetime

import pytest
from django.apps import apps
from django.db import DatabaseError, transaction
from django.db.models.signals import pre_delete
from django.utils import timezone

from projects import choices, services
from projects.models import Project
from registry import feed
from tests import factories


def public_entries_since(client, since) -> list[tuple[str, str, str]]:
    """(model, object, action) of the public entries made since ``since``, oldest first."""
    entries, url = [], f"/api/v1/changes/?page_size=100&since={since.isoformat().replace('+', '%2B')}"
    while url:
        body = client.get(url).json()
        entries += body["results"]
        url = body["next"]
    return [(entry["model"], entry["object"], entry["action"]) for entry in reversed(entries)]


def draft_with_parts(registry):
    """The registry's draft, with a participant and a source that nothing published cites."""
    draft = registry["draft"]
    contractor = factories.OrganisationFactory(slug="draft-only-contractor", name="Draft-only Contractor")
    factories.add_participant(draft, contractor, choices.ParticipationRole.CONTRACTOR)
    return draft


def parts_of(project: Project) -> set[tuple[str, str]]:
    parts = {("project", project.slug)}
    parts |= {("status-change", str(pk)) for pk in project.status_changes.values_list("pk", flat=True)}
    parts |= {("investment", str(pk)) for pk in project.investments.values_list("pk", flat=True)}
    parts |= {("participation", str(pk)) for pk in project.participations.values_list("pk", flat=True)}
    parts |= {("organisation", slug) for slug in project.participations.values_list("organisation__slug", flat=True)}
    sources = set(project.status_changes.values_list("source_id", flat=True))
    sources |= set(project.investments.values_list("source_id", flat=True))
    parts |= {("source", str(pk)) for pk in sources}
    return parts


def test_publishing_a_draft_creates_it_and_everything_that_hangs_off_it(api, editor_api, registry):
    draft = draft_with_parts(registry)
    since = timezone.now()

    response = editor_api.patch("/api/v1/projects/chashma-5/", {"publication": "published"}, format="json")

    assert response.status_code == 200
    entries = public_entries_since(api, since)
    assert {(model, obj) for model, obj, action in entries} == parts_of(draft)
    assert {action for _, _, action in entries} == {"created"}
    assert entries[0] == ("project", "chashma-5", "created")


def test_unpublishing_deletes_it_and_what_only_it_cites(api, editor_api, registry):
    draft = draft_with_parts(registry)
    services.project_set_publication(projects=[draft], publication=choices.Publication.PUBLISHED)
    since = timezone.now()

    editor_api.patch("/api/v1/projects/chashma-5/", {"publication": "draft"}, format="json")

    entries = public_entries_since(api, since)
    assert {(model, obj) for model, obj, action in entries} == parts_of(draft)
    assert {action for _, _, action in entries} == {"deleted"}
    assert api.get("/api/v1/organisations/draft-only-contractor/").status_code == 404


def test_deleting_a_published_project_emits_its_rows_before_itself(api, editor_api, registry):
    karot = registry["karot"]
    sources = {("source", str(pk)) for pk in karot.status_changes.values_list("source_id", flat=True)}
    sources |= {("source", str(pk)) for pk in karot.investments.values_list("source_id", flat=True)}
    rows = {("status-change", str(pk)) for pk in karot.status_changes.values_list("pk", flat=True)}
    rows |= {("investment", str(pk)) for pk in karot.investments.values_list("pk", flat=True)}
    rows |= {("participation", str(pk)) for pk in karot.participations.values_list("pk", flat=True)}
    since = timezone.now()

    editor_api.delete("/api/v1/projects/karot-hydropower/")

    entries = public_entries_since(api, since)
    named = [(model, obj) for model, obj, _ in entries]
    assert set(named) == rows | sources | {("organisation", "china-three-gorges"), ("project", "karot-hydropower")}
    assert {action for _, _, action in entries} == {"deleted"}
    assert named.index(("project", "karot-hydropower")) > max(named.index(row) for row in rows)


def test_a_child_edit_updates_its_project_in_one_entry_with_its_derived_fields(api, registry):
    source = factories.SourceFactory(title="Railways ministry notice")
    since = timezone.now()

    change = factories.add_status(registry["ml1"], "implementation", datetime.date(2024, 2, 1), source=source)

    entries = api.get(f"/api/v1/changes/?since={since.isoformat().replace('+', '%2B')}").json()["results"]
    assert [(e["model"], e["object"], e["action"], e["changed_fields"]) for e in entries] == [
        ("project", "ml-1-railway", "updated", ["status", "status_history", "status_since"]),
        ("source", str(source.pk), "created", ["kind", "publisher", "title", "url"]),
        ("status-change", str(change.pk), "created", ["project", "status", "date", "source"]),
    ]


def test_a_deletion_that_failed_half_way_does_not_hide_later_updates_of_its_project(api, registry):
    project = registry["ml1"]

    def refuse(sender, instance, **kwargs):
        raise DatabaseError("the database refused the deletion")  # after the feed's own pre_delete receiver ran

    pre_delete.connect(refuse, sender=Project, dispatch_uid="test-refuse-deletion")
    try:
        with pytest.raises(DatabaseError), transaction.atomic():
            project.delete()
    finally:
        pre_delete.disconnect(sender=Project, dispatch_uid="test-refuse-deletion")
    since = timezone.now()

    factories.add_participant(project, factories.OrganisationFactory(slug="new-contractor"))  # no derived field

    entries = api.get(f"/api/v1/changes/?since={since.isoformat().replace('+', '%2B')}").json()["results"]
    assert ("project", "ml-1-railway", "updated", ["participants"]) in [
        (e["model"], e["object"], e["action"], e["changed_fields"]) for e in entries
    ]


def test_feed_entries_link_to_the_record_or_to_nothing(api, registry):
    since = timezone.now()
    factories.add_participant(registry["sahiwal"], factories.OrganisationFactory(slug="hubco", name="Hubco"))

    entries = api.get(f"/api/v1/changes/?since={since.isoformat().replace('+', '%2B')}").json()["results"]

    assert {(e["model"], e["object"], e["url"]) for e in entries if e["model"] != "participation"} == {
        ("project", "sahiwal-coal", "http://testserver/api/v1/projects/sahiwal-coal/"),
        ("organisation", "hubco", "http://testserver/api/v1/organisations/hubco/"),
    }
    assert [e["url"] for e in entries if e["model"] == "participation"] == [None]


def test_public_history_of_a_published_draft_shows_nothing_of_its_draft_life(api, editor_api, registry):
    editor_api.patch("/api/v1/projects/chashma-5/", {"slug": "chashma-unit-5", "name": "Chashma 5"}, format="json")
    editor_api.patch("/api/v1/projects/chashma-unit-5/", {"summary": "Still a draft."}, format="json")
    editor_api.patch("/api/v1/projects/chashma-unit-5/", {"publication": "published"}, format="json")

    public = api.get("/api/v1/projects/chashma-unit-5/history/").json()["results"]
    editor = editor_api.get("/api/v1/projects/chashma-unit-5/history/").json()["results"]

    assert "chashma-5" not in str(public)
    assert {entry["action"] for entry in public} == {"created"}
    assert ("project", "chashma-unit-5", "created") in [(e["model"], e["object"], e["action"]) for e in public]
    assert "chashma-5" in str(editor)
    assert len(editor) > len(public)


def test_every_model_with_history_is_in_the_feed():
    tracked = {
        model
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None) and model._meta.app_label != "auth"
    }

    assert tracked == {feed_model.model for feed_model in feed.REGISTRY.values()}


def test_observations_and_indicators_are_in_the_feed(api, registry):
    since = timezone.now()
    indicator = factories.IndicatorFactory(code="it-exports")

    observation = factories.ObservationFactory(indicator=indicator)

    entries = public_entries_since(api, since)
    assert ("indicator", "it-exports", "created") in entries
    assert ("observation", str(observation.pk), "created") in entries
    assert ("indicator", "it-exports", "updated") in entries  # its latest value
