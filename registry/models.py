"""The change feed's entries (``registry.feed`` writes and reads them)."""

from django.conf import settings
from django.db import models


class ChangeEntry(models.Model):
    """One entry of the change feed: a record created, updated or deleted, as an audience saw it.

    Editors' entries are every change as it was made (who, when, which fields). Public entries say what published
    data became: publishing a draft is the creation of the project and of everything that hangs off it, unpublishing
    their deletion, and a record that only drafts use appears when something published first cites it. An entry
    that both audiences see alike is one row with both flags.
    """

    at = models.DateTimeField(db_index=True, help_text="When the change was made.")
    model = models.CharField(max_length=50, help_text="The feed's name of the kind of record, e.g. project.")
    object_pk = models.CharField(max_length=100, help_text="The record's primary key.")
    object = models.CharField(max_length=200, help_text="The record's public identifier (slug, code or id) then.")
    action = models.CharField(
        max_length=10, choices=[("created", "created"), ("updated", "updated"), ("deleted", "deleted")]
    )
    changed_fields = models.JSONField(default=list, blank=True)
    owner_model = models.CharField(max_length=50, blank=True, help_text="The record this one hangs off, if any.")
    owner_pk = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="The write (transaction) that made the change, when in one."
    )
    editor = models.BooleanField(default=False, help_text="In the editors' feed.")
    public = models.BooleanField(default=False, help_text="In the public feed.")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "change entries"
        indexes = [
            models.Index(fields=["public", "id"], name="change_public_idx"),
            models.Index(fields=["editor", "id"], name="change_editor_idx"),
            models.Index(fields=["model", "object_pk", "public", "id"], name="change_object_idx"),
            models.Index(fields=["owner_model", "owner_pk", "id"], name="change_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(editor=True) | models.Q(public=True), name="change_has_audience"),
        ]

    def __str__(self):
        return f"{self.model} {self.object} {self.action} at {self.at:%Y-%m-%d %H:%M:%S}"
