"""Fill the change feed of a registry that kept its history before the feed had a table of its own.

Editors' entries are the history records as they were made. The public feed starts here: one "created" entry, now,
for each record the public sees (the rules of ``projects.visibility`` as they stand at this migration), so that a
client that replays it from the start ends with what the lists show. A new database has no history yet: nothing to do.
"""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}
PUBLISHED = "published"
# feed name: (app, model, identifier, owner foreign key or None)
MODELS = [
    ("corridor", "projects", "Corridor", "code", None),
    ("pillar", "projects", "Pillar", "code", None),
    ("sector", "projects", "Sector", "code", None),
    ("source", "projects", "Source", "id", None),
    ("exchange-rate", "projects", "ExchangeRate", "id", None),
    ("organisation", "projects", "Organisation", "slug", None),
    ("project", "projects", "Project", "slug", None),
    ("status-change", "projects", "StatusChange", "id", "project_id"),
    ("investment", "projects", "InvestmentFigure", "id", "project_id"),
    ("participation", "projects", "Participation", "id", "project_id"),
    ("external-identifier", "projects", "ExternalIdentifier", "id", "project_id"),
    ("indicator", "indicators", "Indicator", "code", None),
    ("observation", "indicators", "Observation", "id", "project_id"),
]


def public_rows(apps, name, model):
    Project = apps.get_model("projects", "Project")
    published = Project.objects.filter(publication=PUBLISHED).values("id")
    if name == "project":
        return model.objects.filter(publication=PUBLISHED)
    if name in ("status-change", "investment", "participation", "external-identifier"):
        return model.objects.filter(project_id__in=published)
    if name == "observation":
        return model.objects.filter(~Q(scope="project") | Q(project_id__in=published))
    if name == "organisation":
        Participation = apps.get_model("projects", "Participation")
        return model.objects.filter(
            id__in=Participation.objects.filter(project_id__in=published).values("organisation_id")
        )
    if name == "source":
        cited = Q(id__in=Project.sources.through.objects.filter(project_id__in=published).values("source_id"))
        for app, model_name, path in [
            ("projects", "StatusChange", "project_id"),
            ("projects", "InvestmentFigure", "project_id"),
            ("indicators", "Observation", None),
        ]:
            citing = apps.get_model(app, model_name).objects.all()
            if model_name == "Observation":
                citing = citing.filter(~Q(scope="project") | Q(project_id__in=published))
            else:
                citing = citing.filter(**{f"{path}__in": published})
            cited |= Q(id__in=citing.values("source_id"))
        cited |= Q(id__in=apps.get_model("projects", "ExchangeRate").objects.values("source_id"))
        return model.objects.filter(cited)
    return model.objects.all()


def backfill(apps, schema_editor):
    ChangeEntry = apps.get_model("registry", "ChangeEntry")
    if ChangeEntry.objects.exists():
        return
    records = []
    for name, app, model_name, identifier, owner in MODELS:
        history = apps.get_model(app, f"Historical{model_name}")
        for row in history.objects.all().iterator():
            records.append((row.history_date, name, row.history_id, row, identifier, owner))
    if not records:
        return
    records.sort(key=lambda item: item[:3])
    ChangeEntry.objects.bulk_create(
        [
            ChangeEntry(
                at=row.history_date,
                model=name,
                object_pk=str(row.id) if hasattr(row, "id") else str(row.pk),
                object=str(getattr(row, identifier)),
                action=ACTIONS[row.history_type],
                changed_fields=list(row.changed_fields or []),
                owner_model="project" if owner and getattr(row, owner) is not None else "",
                owner_pk=str(getattr(row, owner)) if owner and getattr(row, owner) is not None else "",
                user_id=row.history_user_id,
                editor=True,
            )
            for _, name, _, row, identifier, owner in records
        ],
        batch_size=1000,
    )
    now = timezone.now()
    snapshot = []
    for name, app, model_name, identifier, owner in MODELS:
        model = apps.get_model(app, model_name)
        for row in public_rows(apps, name, model).iterator():
            snapshot.append(
                ChangeEntry(
                    at=now,
                    model=name,
                    object_pk=str(row.pk),
                    object=str(getattr(row, identifier)),
                    action="created",
                    owner_model="project" if owner and getattr(row, owner) is not None else "",
                    owner_pk=str(getattr(row, owner)) if owner and getattr(row, owner) is not None else "",
                    public=True,
                )
            )
    ChangeEntry.objects.bulk_create(snapshot, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_change_feed"),
        ("projects", "0004_api_ordering_and_filter_indexes"),
        ("indicators", "0002_observation_page_indexes"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
