"""Create or update the ``editors`` group: the permissions an editor needs in the admin and the API.

Editors add, change and view every registry record; they delete only the rows that hang off a project (status
changes, investment figures, participations, external identifiers, event links), never a project, an event or a
vocabulary entry.
Running the command again brings the group back to exactly this set.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import transaction
from simple_history.models import HistoricalChanges

GROUP_NAME = "editors"
REGISTRY_APPS = ["projects", "indicators"]
# Fixed lists created by migrations: editors read them, nobody edits them in the admin.
VIEW_ONLY_MODELS = {"projects.province"}
# Rows that belong to one project and are edited in its inlines; removing a wrong one is ordinary editing.
DELETABLE_MODELS = {
    "projects.statuschange",
    "projects.investmentfigure",
    "projects.participation",
    "projects.externalidentifier",
    "projects.eventproject",
    # A wrong value in a time series is removed like a wrong figure; its history keeps it.
    "indicators.observation",
}


def registry_models():
    """The registry's own models in the registry apps that exist (history tables excluded)."""
    for label in REGISTRY_APPS:
        try:
            app_config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in app_config.get_models():
            if not issubclass(model, HistoricalChanges):
                yield model


def editor_permissions() -> list[Permission]:
    wanted = []
    for model in registry_models():
        label = model._meta.label_lower
        actions = ["view"] if label in VIEW_ONLY_MODELS else ["add", "change", "view"]
        if label in DELETABLE_MODELS:
            actions.append("delete")
        content_type = ContentType.objects.get_for_model(model)
        for action in actions:
            wanted.append(
                Permission.objects.get(content_type=content_type, codename=f"{action}_{model._meta.model_name}")
            )
    return wanted


class Command(BaseCommand):
    help = (
        "Create or update the 'editors' group: add/change/view on every registry model, delete only on a "
        "project's status changes, investment figures, participations and external identifiers."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        for label in REGISTRY_APPS:
            try:
                # Permissions are normally created after migrate; make sure they exist before assigning them.
                create_permissions(apps.get_app_config(label), verbosity=0)
            except LookupError:
                continue
        group, created = Group.objects.get_or_create(name=GROUP_NAME)

        wanted = {permission.pk: permission for permission in editor_permissions()}
        current = set(group.permissions.values_list("pk", flat=True))
        added = [wanted[pk] for pk in wanted.keys() - current]
        removed = list(Permission.objects.filter(pk__in=current - wanted.keys()).select_related("content_type"))
        group.permissions.set(wanted.values())

        # One line by default (`make run` prints it on every start); each permission with --verbosity 2.
        if options["verbosity"] >= 2:
            for verb, permissions in (("Granted", added), ("Revoked", removed)):
                for permission in sorted(permissions, key=_permission_name):
                    self.stdout.write(f"  {verb} {_permission_name(permission)}")
        state = "created" if created else ("updated" if added or removed else "already up to date")
        self.stdout.write(
            self.style.SUCCESS(
                f"Group '{GROUP_NAME}' {state}: {len(wanted)} permissions ({len(added)} granted, "
                f"{len(removed)} revoked). Make a staff user an editor by adding them to it."
            )
        )
        self.stdout.write(
            "Give an editor an API token (hashed, expiring) with `manage.py api_token issue <username>`; "
            "revoke it with `manage.py api_token revoke <id>`."
        )


def _permission_name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"
