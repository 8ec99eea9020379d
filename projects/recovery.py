"""Recovering deleted projects from their change history.

Deleting a project deletes what hangs off it (status changes, investment figures, participations, external
identifiers, project observations); django-simple-history keeps every deleted row as a "-" record. This module lists
the projects that are gone and puts one back, with what was deleted with it, under its old id (so its history reads
on), through the same validation and services as any other write, in one transaction.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max, OuterRef, Q, Subquery

from projects import rules, services
from projects.models import Project, StatusChange

# Deletions recorded before deletion batches (``registry.history.deletion_batch``) have none: for them, the rows
# deleted with the project are told by time. Django deletes a project and its rows in one go, a model at a time
# (several projects together in a bulk delete): the deletion records follow each other closely. A row deleted on its
# own earlier is separated from them by a pause longer than CASCADE_GAP, or by an edit. No deletion is looked for
# further back than CASCADE_SPAN.
CASCADE_GAP = datetime.timedelta(seconds=10)
CASCADE_SPAN = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class DeletedProject:
    """A project that was deleted and not restored since; ``history_id`` identifies it for ``project_restore``."""

    history_id: int
    project_id: int
    slug: str
    name: str
    publication: str
    deleted_at: datetime.datetime
    deleted_by: str | None  # the username, when the deletion was made by a known user


def _history_model(model: type[models.Model]) -> type[models.Model]:
    return getattr(model, model._meta.simple_history_manager_attribute).model


def deleted_projects() -> list[DeletedProject]:
    """Projects whose latest history record is their deletion and that do not exist now, newest deletion first."""
    HistoricalProject = _history_model(Project)
    latest = (
        HistoricalProject.objects.filter(id=OuterRef("id"))
        .order_by("-history_date", "-history_id")
        .values("history_id")
    )
    rows = (
        HistoricalProject.objects.filter(history_type="-", history_id=Subquery(latest[:1]))
        .exclude(id__in=Project.objects.values("pk"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    return [
        DeletedProject(
            history_id=row.history_id,
            project_id=row.id,
            slug=row.slug,
            name=row.name,
            publication=row.publication,
            deleted_at=row.history_date,
            deleted_by=row.history_user.get_username() if row.history_user else None,
        )
        for row in rows
    ]


# --- what a restore puts back ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A kind of row that hangs off a project and is deleted with it (a CASCADE foreign key), with history."""

    model: type[models.Model]
    project_field: str


def project_parts() -> list[Part]:
    """Every tracked model that a project's deletion cascades to, found from the relations (apps included)."""
    parts = []
    for relation in Project._meta.related_objects:
        model = relation.related_model
        if (
            relation.one_to_many
            and relation.on_delete is models.CASCADE
            and getattr(model._meta, "simple_history_manager_attribute", None)
        ):
            parts.append(Part(model, relation.field.name))
    return parts


def _copied_fields(model: type[models.Model], *, skip: set[str]) -> list[models.Field]:
    """The fields a restore takes from a history record: not the automatic timestamps, not ``skip``, and not the
    references the registry derives itself (a figure's exchange rate, found again when it is validated)."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.name not in skip
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
        and not (field.is_relation and not field.editable)
    ]


def _describe(row) -> str:
    return f"{row.instance_type._meta.verbose_name} {row.id}"


def _before(row) -> Q:
    return Q(history_date__lt=row.history_date) | Q(history_date=row.history_date, history_id__lt=row.history_id)


def _deleted_with(deletion) -> list[tuple[Part, object]]:
    """The deletion records of the project's rows that went with it: those of its deletion batch (a row removed on
    its own before has none, or another), each kind together, in the order its rows were first created (a status
    history is validated in that order)."""
    parts = project_parts()
    kept = []
    for index, part in enumerate(parts):
        rows = _history_model(part.model).objects.filter(**{part.project_field: deletion.id}, history_type="-")
        if deletion.deletion_batch is not None:
            rows = rows.filter(deletion_batch=deletion.deletion_batch)
        else:
            rows = rows.filter(_deleted_with_by_time(deletion, parts))
        rows = rows.exclude(id__in=part.model._base_manager.values("pk"))
        kept += [(index, part, row) for row in rows]
    kept.sort(key=lambda item: (item[0], _creation_order(item[2])))
    return [(part, row) for _, part, row in kept]


def _deleted_with_by_time(deletion, parts: list[Part]) -> Q:
    """For a deletion recorded without a batch: the rows' deletion records in the same run of deletions as the
    project's, after the last edit of the project or its rows (an edit, or a pause longer than CASCADE_GAP,
    separates a row deleted on its own before from the project's deletion)."""
    at = deletion.history_date
    edits = [
        _history_model(Project)
        .objects.filter(id=deletion.id)
        .filter(_before(deletion))
        .exclude(history_type="-")
        .aggregate(at=Max("history_date"))["at"]
    ]
    for part in parts:
        rows = _history_model(part.model).objects.filter(**{part.project_field: deletion.id}, history_date__lte=at)
        edits.append(rows.exclude(history_type="-").aggregate(at=Max("history_date"))["at"])
    last_edit = max((moment for moment in edits if moment is not None), default=None)
    condition = Q(history_date__gte=_deletion_began(deletion, parts), history_date__lte=at)
    if last_edit is not None:
        condition &= Q(history_date__gt=last_edit)
    return condition


def _deletion_began(deletion, parts: list[Part]) -> datetime.datetime:
    """When the deletion that removed the project began: walking back from the project's deletion record through the
    deletion records of all projects and their rows, the moment before the first pause longer than CASCADE_GAP."""
    at = deletion.history_date
    moments = set()
    for model in [Project, *(part.model for part in parts)]:
        records = _history_model(model).objects.filter(
            history_type="-", history_date__lte=at, history_date__gte=at - CASCADE_SPAN
        )
        moments.update(records.values_list("history_date", flat=True))
    began = at
    for moment in sorted(moments, reverse=True):
        if began - moment > CASCADE_GAP:
            break
        began = moment
    return began


def _creation_order(row) -> tuple:
    return (row.created_at, row.id) if hasattr(row, "created_at") else (row.id,)


def _missing_references(deletion, snapshot, deleted_with: list[tuple[Part, object]]) -> list[str]:
    """Every record the restored rows would point to that no longer exists, described for the editor."""
    cited: dict[type[models.Model], dict[object, list[str]]] = {}

    def cite(model, pk, by):
        if pk is not None:
            cited.setdefault(model, {}).setdefault(pk, []).append(by)

    for field in _copied_fields(Project, skip=set()):
        if field.is_relation:
            cite(field.related_model, getattr(deletion, field.attname), "the project")
    for name in services.M2M_FIELDS:
        field = Project._meta.get_field(name)
        for pk in _m2m_ids(snapshot, name):
            cite(field.related_model, pk, "the project")
    for part, row in deleted_with:
        for field in _copied_fields(part.model, skip={part.project_field}):
            if field.is_relation:
                cite(field.related_model, getattr(row, field.attname), _describe(row))

    problems = []
    for model, wanted in cited.items():
        present = set(model._base_manager.filter(pk__in=list(wanted)).values_list("pk", flat=True))
        for pk in sorted(set(wanted) - present, key=str):
            citing = sorted(set(wanted[pk]))
            problems.append(
                f"{model._meta.verbose_name} {pk}{_last_known_name(model, pk)} no longer exists "
                f"(cited by {', '.join(citing)}): restore or re-create it first"
            )
    return problems


def _last_known_name(model: type[models.Model], pk) -> str:
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    if not attribute:
        return ""
    row = getattr(model, attribute).filter(id=pk).order_by("-history_date", "-history_id").first()
    name = getattr(row, "name", None) or getattr(row, "title", None)
    return f' ("{name}")' if name else ""


def _m2m_ids(snapshot, name: str) -> list:
    if snapshot is None:
        return []
    field = Project._meta.get_field(name)
    return list(getattr(snapshot, name).values_list(f"{field.m2m_reverse_field_name()}_id", flat=True))


def _messages(error: ValidationError) -> str:
    """The error's messages on one line, each with its field, without their final full stops."""
    if hasattr(error, "error_dict"):
        messages = [
            message if field == "__all__" else f"{field}: {message}"
            for field, field_messages in error.message_dict.items()
            for message in field_messages
        ]
    else:
        messages = error.messages
    return "; ".join(message.rstrip(".") for message in messages)


# --- the restore ----------------------------------------------------------------------------------------------


def project_restore(*, history_id: int) -> Project:
    """Recreate a deleted project from its history: the project (same id, slug and publication) with its pillars,
    provinces and sources, and the rows deleted with it, each through ``full_clean()`` (the status history is
    re-validated), then the derived fields recomputed by ``services.project_refresh_derived``. All or nothing.

    ``history_id`` is the project's deletion record (``DeletedProject.history_id``). The restore is recorded in the
    history as new entries, made by the request's user (django-simple-history's middleware), as any admin write.
    Raises ``ValidationError`` with every reason when the project cannot come back as it was: its slug is taken,
    a source, organisation or vocabulary entry it cites was deleted since, or a row no longer passes validation.
    """
    HistoricalProject = _history_model(Project)
    deletion = HistoricalProject.objects.filter(history_id=history_id).first()
    if deletion is None or deletion.history_type != "-":
        raise ValidationError(f"History record {history_id} is not a project's deletion.")
    try:
        with transaction.atomic():
            return _restore(deletion)
    except IntegrityError as error:
        raise ValidationError(
            f"Project {deletion.slug!r} could not be restored: {error}. Someone may have restored or changed it at "
            "the same time: reload the list of deleted projects and try again."
        ) from error


def _restore(deletion) -> Project:
    HistoricalProject = _history_model(Project)
    if Project.objects.filter(pk=deletion.id).exists():
        raise ValidationError(f"Project {deletion.slug!r} has been restored already.")
    newer = HistoricalProject.objects.filter(id=deletion.id).exclude(_before(deletion)).exclude(pk=deletion.pk)
    if newer.exists():
        raise ValidationError(f"History record {deletion.history_id} is not the latest deletion of this project.")
    # The deletion record holds the last values; its many-to-many lists are empty (Django removes the links before
    # the row), so those come from the record before it.
    snapshot = (
        HistoricalProject.objects.filter(id=deletion.id)
        .filter(_before(deletion))
        .order_by("-history_date", "-history_id")
        .first()
    )
    deleted_with = _deleted_with(deletion)

    problems = []
    taken = Project.objects.filter(slug=deletion.slug).first()
    if taken is not None:
        problems.append(f"its slug is now used by another project ({taken.name!r}): change that project's slug first")
    if snapshot is None:
        problems.append("no record before its deletion holds its pillars and provinces")
    problems += _missing_references(deletion, snapshot, deleted_with)
    if problems:
        raise ValidationError([f"Cannot restore {deletion.slug!r}: {problem}." for problem in problems])

    fields = {
        field.attname: getattr(deletion, field.attname)
        for field in _copied_fields(Project, skip=set(services.DERIVED_FIELDS))
    }
    relations = {
        name: Project._meta.get_field(name).related_model.objects.filter(pk__in=_m2m_ids(snapshot, name))
        for name in services.M2M_FIELDS
    }
    try:
        project = services.project_create(**relations, **fields)
    except ValidationError as error:
        raise ValidationError(f"Cannot restore {deletion.slug!r}: the project: {_messages(error)}.") from error
    for part, row in deleted_with:
        values = {
            field.attname: getattr(row, field.attname)
            for field in _copied_fields(part.model, skip={part.project_field})
        }
        instance = part.model(**values, **{part.project_field: project})
        try:
            instance.full_clean()
        except ValidationError as error:
            raise ValidationError(f"Cannot restore {deletion.slug!r}: {_describe(row)}: {_messages(error)}.") from error
        instance.save()
    restored_history = StatusChange.objects.filter(project=project).order_by("id")
    try:
        rules.validate_status_history(list(restored_history))
    except ValidationError as error:
        raise ValidationError(f"Cannot restore {deletion.slug!r}: its status history: {_messages(error)}.") from error
    return services.project_refresh_derived(project)
