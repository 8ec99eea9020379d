"""Deleting a project never loses its past: a deleted project comes back, with what was deleted with it, as it was."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from indicators.models import Observation
from projects import choices, recovery, services
from projects.models import (
    ExchangeRate,
    ExternalIdentifier,
    InvestmentFigure,
    Organisation,
    Participation,
    Project,
    StatusChange,
)
from tests import factories
from tests.safety.sample import add_external_id, build_project, run_as, sample_project

pytestmark = pytest.mark.django_db

SLUG = "karot-hydropower"
PARTS = [StatusChange, InvestmentFigure, Participation, ExternalIdentifier, Observation]


def detail(client, slug: str = SLUG) -> dict:
    """The project as the API shows it, without ``updated_at`` (a restore is a change)."""
    response = client.get(f"/api/v1/projects/{slug}/")
    assert response.status_code == 200, response.content
    data = response.json()
    del data["updated_at"]
    return data


def project_lists(client, slug: str = SLUG) -> dict:
    lists = {}
    for path in ("status-changes", "investments", "observations"):
        response = client.get(f"/api/v1/{path}/", {"project": slug})
        assert response.status_code == 200, response.content
        lists[path] = response.json()["results"]
    return lists


def history_entries(client, slug: str = SLUG) -> list[dict]:
    response = client.get(f"/api/v1/projects/{slug}/history/", {"page_size": 500})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def at(entry: dict) -> datetime.datetime:
    return datetime.datetime.fromisoformat(entry["at"])


def delete(client, slug: str = SLUG) -> int:
    """Delete the project through the API, as an editor with the right would; return its deletion record's id."""
    project_id = Project.objects.get(slug=slug).pk
    response = client.delete(f"/api/v1/projects/{slug}/")
    assert response.status_code == 204, response.content
    return Project.history.filter(id=project_id, history_type="-").latest().history_id


def stored_rows() -> dict[str, int]:
    """How many rows every live and history table of a project holds."""
    counts = {}
    for model in [Project, *PARTS]:
        counts[model._meta.label] = model.objects.count()
        counts[model.history.model._meta.label] = model.history.count()
    return counts


def restore_refused(history_id: int) -> list[str]:
    before = stored_rows()
    with pytest.raises(ValidationError) as refused:
        recovery.project_restore(history_id=history_id)
    assert stored_rows() == before  # nothing was stored, not even the rows written before the failure
    return refused.value.messages


# --- listing --------------------------------------------------------------------------------------------------


def test_deleted_projects_lists_a_deleted_project_with_when_and_who(editor_api):
    project = sample_project()
    history_id = delete(editor_api)

    deletion = Project.history.get(history_id=history_id)
    assert recovery.deleted_projects() == [
        recovery.DeletedProject(
            history_id=history_id,
            project_id=project.pk,
            slug=SLUG,
            name="Karot Hydropower Project",
            publication=choices.Publication.PUBLISHED,
            deleted_at=deletion.history_date,
            deleted_by="editor",
        )
    ]


def test_deleted_projects_are_newest_first_and_omit_live_and_restored_projects(editor_api):
    factories.make_project(slug="still-here")
    build_project(slug="first-gone")
    build_project(slug="second-gone", name="Second")
    build_project(slug="comes-back", name="Comes back")
    delete(editor_api, "first-gone")
    delete(editor_api, "second-gone")
    recovery.project_restore(history_id=delete(editor_api, "comes-back"))

    assert [deleted.slug for deleted in recovery.deleted_projects()] == ["second-gone", "first-gone"]


def test_deleted_projects_is_empty_when_nothing_was_deleted():
    sample_project()

    assert recovery.deleted_projects() == []


# --- restoring ------------------------------------------------------------------------------------------------


def test_project_restore_brings_back_the_project_as_the_api_showed_it(editor_api):
    project = sample_project()
    before, lists_before = detail(editor_api), project_lists(editor_api)
    history_id = delete(editor_api)

    restored = recovery.project_restore(history_id=history_id)

    assert (restored.pk, restored.slug) == (project.pk, SLUG)
    assert detail(editor_api) == before
    assert project_lists(editor_api) == lists_before
    assert recovery.deleted_projects() == []


def test_project_restore_recomputes_the_derived_fields(editor_api):
    sample_project()
    history_id = delete(editor_api)
    rate = ExchangeRate.objects.get(currency="PKR", year=2019)
    rate.usd_per_unit = Decimal("0.0050")  # corrected since the deletion: the converted figure follows it
    rate.full_clean()
    rate.save()

    restored = recovery.project_restore(history_id=history_id)

    assert restored.committed_usd == Decimal("1250000000.00")
    stored = Project.objects.get(pk=restored.pk)
    assert {name: getattr(stored, name) for name in services.DERIVED_FIELDS} == services.compute_derived(stored)
    assert (stored.status, stored.status_since) == (choices.Status.OPERATIONAL, datetime.date(2022, 6, 29))
    assert (stored.announced_usd, stored.realised_usd, stored.realisation_ratio) == (
        Decimal("1698000000.00"),
        Decimal("1500000000.00"),
        Decimal("0.8834"),
    )


def test_project_restore_is_recorded_in_history_as_made_by_the_restoring_user(editor, editor_api):
    sample_project()
    before_deletion = history_entries(editor_api)
    history_id = delete(editor_api)

    run_as(editor, lambda: recovery.project_restore(history_id=history_id))

    entries = history_entries(editor_api)
    deletion_at = Project.history.get(history_id=history_id).history_date
    restore = [entry for entry in entries if at(entry) > deletion_at]
    deletion = [entry for entry in entries if at(entry) <= deletion_at and entry["action"] == "deleted"]
    assert Counter((entry["model"], entry["action"], entry["user"]) for entry in restore) == Counter(
        {
            # The derived fields, computed from the restored rows, join the project's entry: one entry per write.
            ("project", "created", "editor"): 1,
            ("status-change", "created", "editor"): 3,
            ("investment", "created", "editor"): 4,
            ("participation", "created", "editor"): 2,
            ("external-identifier", "created", "editor"): 2,
            ("observation", "created", "editor"): 1,
        }
    )
    assert Counter((entry["model"], entry["user"]) for entry in deletion) == Counter(
        {
            ("project", "editor"): 1,
            ("status-change", "editor"): 3,
            ("investment", "editor"): 4,
            ("participation", "editor"): 2,
            ("external-identifier", "editor"): 2,
            ("observation", "editor"): 1,
        }
    )
    assert entries[-len(before_deletion) :] == before_deletion  # the project's past is all still there


def test_project_restore_of_a_draft_keeps_it_a_draft(api, editor_api):
    build_project(publication=choices.Publication.DRAFT)
    before = detail(editor_api)
    history_id = delete(editor_api)

    recovery.project_restore(history_id=history_id)

    assert detail(editor_api) == before
    assert api.get(f"/api/v1/projects/{SLUG}/").status_code == 404


def test_project_restore_works_again_after_a_second_deletion(editor_api):
    sample_project()
    before = detail(editor_api)
    recovery.project_restore(history_id=delete(editor_api))

    recovery.project_restore(history_id=delete(editor_api))

    assert detail(editor_api) == before


def test_project_restore_after_a_bulk_delete_brings_back_each_project(editor_api):
    sample_project()
    build_project(slug="sahiwal-coal", name="Sahiwal Coal Power Plant")
    before = {slug: detail(editor_api, slug) for slug in (SLUG, "sahiwal-coal")}
    Project.objects.filter(slug__in=before).delete()  # as the admin's "Delete selected projects" does

    for deleted in recovery.deleted_projects():
        recovery.project_restore(history_id=deleted.history_id)

    assert {slug: detail(editor_api, slug) for slug in before} == before


def test_project_restore_leaves_out_a_row_removed_before_an_edit(editor_api):
    project = sample_project()
    sponsor_only = [{"organisation": Organisation.objects.get(slug="china-three-gorges"), "role": "sponsor"}]
    services.project_set_participants(project=project, participants=sponsor_only)
    factories.add_figure(project, choices.InvestmentKind.REALISED, "1600000000", as_of=datetime.date(2023, 1, 1))
    before = detail(editor_api)

    recovery.project_restore(history_id=delete(editor_api))

    assert detail(editor_api) == before
    assert [participant["organisation"] for participant in before["participants"]] == ["china-three-gorges"]


def test_project_restore_leaves_out_a_row_removed_just_before_without_an_edit(editor_api):
    project = sample_project()
    first = StatusChange.objects.filter(project=project).order_by("date").first()
    services.status_change_delete(status_change=first)  # the current status stays: the project is not touched
    before = detail(editor_api)

    recovery.project_restore(history_id=delete(editor_api))

    assert detail(editor_api) == before
    assert [entry["status"] for entry in before["status_history"]] == ["implementation", "operational"]


def test_project_deletion_records_share_one_batch_that_no_other_deletion_has(editor_api):
    project = sample_project()
    alone = StatusChange.objects.filter(project=project).order_by("date").first()
    alone_id = alone.pk
    services.status_change_delete(status_change=alone)
    build_project(slug="sahiwal-coal", name="Sahiwal Coal Power Plant")

    deletion = Project.history.get(history_id=delete(editor_api))
    other = Project.history.get(history_id=delete(editor_api, "sahiwal-coal"))

    batches = Counter(
        record.deletion_batch for model in [Project, *PARTS] for record in model.history.filter(history_type="-")
    )
    assert batches == {
        deletion.deletion_batch: 1 + 2 + 4 + 2 + 2 + 1,
        other.deletion_batch: 1 + 3 + 4 + 2 + 2 + 1,
        None: 1,
    }
    assert StatusChange.history.get(id=alone_id, history_type="-").deletion_batch is None


def test_project_restore_of_a_deletion_recorded_without_a_batch_leaves_out_a_row_removed_a_while_before(editor_api):
    project = sample_project()
    first = StatusChange.objects.filter(project=project).order_by("date").first()
    first_id = first.pk
    services.status_change_delete(status_change=first)
    before = detail(editor_api)
    history_id = delete(editor_api)
    # As recorded before deletion batches existed, with the lone deletion a pause longer than CASCADE_GAP before.
    for model in [Project, *PARTS]:
        model.history.filter(history_type="-").update(deletion_batch=None)
    lone = StatusChange.history.get(id=first_id, history_type="-")
    StatusChange.history.filter(pk=lone.pk).update(
        history_date=lone.history_date - recovery.CASCADE_GAP - datetime.timedelta(seconds=1)
    )

    recovery.project_restore(history_id=history_id)

    assert detail(editor_api) == before
    assert [entry["status"] for entry in before["status_history"]] == ["implementation", "operational"]


# --- refusals -------------------------------------------------------------------------------------------------


def test_project_restore_refuses_a_slug_taken_since(editor_api):
    sample_project()
    history_id = delete(editor_api)
    factories.make_project(slug=SLUG, name="Another Karot")

    assert restore_refused(history_id) == [
        "Cannot restore 'karot-hydropower': its slug is now used by another project ('Another Karot'): "
        "change that project's slug first."
    ]


def test_project_restore_refuses_when_a_cited_source_or_organisation_is_gone(editor_api):
    project = sample_project()
    cited = StatusChange.objects.filter(project=project).order_by("date").first()
    source = cited.source
    participation = Participation.objects.get(project=project, role="sponsor")
    history_id = delete(editor_api)
    source_id, source_title = source.pk, source.title
    source.delete()
    Organisation.objects.get(slug="china-three-gorges").delete()

    assert restore_refused(history_id) == [
        f"Cannot restore 'karot-hydropower': source {source_id} (\"{source_title}\") no longer exists "
        f"(cited by status change {cited.pk}): restore or re-create it first.",
        f"Cannot restore 'karot-hydropower': organisation {participation.organisation_id} (\"China Three Gorges\") "
        f"no longer exists (cited by participation {participation.pk}): restore or re-create it first.",
    ]


def test_project_restore_failing_half_way_stores_nothing(editor_api):
    project = sample_project()
    converted = InvestmentFigure.objects.get(project=project, currency="PKR")
    history_id = delete(editor_api)
    ExchangeRate.objects.get(currency="PKR", year=2019).delete()  # the figure can no longer be converted

    messages = restore_refused(history_id)

    assert messages == [
        f"Cannot restore 'karot-hydropower': investment figure {converted.pk}: amount_usd: No exchange rate for "
        "PKR in 2019: enter the USD amount the source gives, add an exchange rate for that year first, or say in "
        "no_usd_reason why the figure stays in its currency."
    ]
    assert [deleted.slug for deleted in recovery.deleted_projects()] == [SLUG]


def test_project_restore_refuses_an_identifier_now_used_by_another_project(editor_api):
    project = sample_project()
    identifier = ExternalIdentifier.objects.get(project=project, scheme="gem")
    history_id = delete(editor_api)
    add_external_id(factories.make_project(slug="other"), "gem", identifier.value)

    assert restore_refused(history_id) == [
        f"Cannot restore 'karot-hydropower': external identifier {identifier.pk}: "
        "External identifier with this Scheme and Value already exists."
    ]


def test_project_restore_refuses_a_record_that_is_not_a_deletion(editor_api):
    project = sample_project()
    creation = Project.history.get(id=project.pk, history_type="+")

    for history_id in (creation.history_id, 10**9):
        assert restore_refused(history_id) == [f"History record {history_id} is not a project's deletion."]


def test_project_restore_refuses_a_project_restored_already(editor_api):
    sample_project()
    history_id = delete(editor_api)
    recovery.project_restore(history_id=history_id)

    assert restore_refused(history_id) == ["Project 'karot-hydropower' has been restored already."]


def test_project_restore_refuses_an_older_deletion_of_a_project_deleted_again(editor_api):
    sample_project()
    first = delete(editor_api)
    recovery.project_restore(history_id=first)
    delete(editor_api)

    assert restore_refused(first) == [f"History record {first} is not the latest deletion of this project."]
