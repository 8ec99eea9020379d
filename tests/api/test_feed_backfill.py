"""The migration that fills the change feed of a registry whose history predates it."""

import importlib

from django.apps import apps

from registry import feed
from registry.models import ChangeEntry

backfill = importlib.import_module("registry.migrations.0003_backfill_change_feed").backfill


def test_backfill_gives_editors_the_history_and_the_public_what_it_sees(registry):
    history_rows = sum(feed_model.model.history.count() for feed_model in feed.REGISTRY.values())
    ChangeEntry.objects.all().delete()

    backfill(apps, None)

    assert ChangeEntry.objects.filter(editor=True).count() == history_rows
    public = set(ChangeEntry.objects.filter(public=True).values_list("model", "object_pk", "action"))
    expected = {
        (name, str(pk), "created")
        for name, feed_model in feed.REGISTRY.items()
        for pk in feed_model.public(feed_model.model.objects.all()).values_list("pk", flat=True)
    }
    assert public == expected
    assert ("project", str(registry["draft"].pk), "created") not in public


def test_backfill_leaves_a_feed_that_has_entries_alone(registry):
    before = list(ChangeEntry.objects.values_list("id", flat=True))

    backfill(apps, None)

    assert list(ChangeEntry.objects.values_list("id", flat=True)) == before
