"""Writes that touch several rows: projects with their many-to-many fields, status history, investment figures.

Every write path (admin, API, seed loader, shell) calls these functions. Each runs ``full_clean()`` and the
cross-row rules inside one transaction and recomputes the project's derived fields in that same transaction.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from projects import choices
from projects.history import recorded_as_one_change
from projects.models import InvestmentFigure, Participation, Pillar, Project, Province, Source, StatusChange

DERIVED_FIELDS = ["status", "status_since", "announced_usd", "committed_usd", "realised_usd", "realisation_ratio"]
STATUS_RANK = {status: rank for rank, status in enumerate(choices.STATUS_LADDER)}
RATIO_PLACES = Decimal("0.0001")


# --- status history rules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    status: str
    date: Any


def validate_status_history(entries: Sequence[Any]) -> None:
    """Check a project's status history, in entry order: dates never go back, transitions follow the ladder."""
    for previous, current in zip(entries, entries[1:], strict=False):
        if current.date < previous.date:
            raise ValidationError(
                {
                    "date": f"Dates along a project's history never go backwards: {current.date} is before "
                    f"the previous status change ({previous.status}, {previous.date})."
                }
            )
        if previous.status == choices.Status.CANCELLED:
            raise ValidationError({"status": f"The project was cancelled on {previous.date}; cancelled is final."})
        if (
            previous.status in STATUS_RANK
            and current.status in STATUS_RANK
            and STATUS_RANK[current.status] < STATUS_RANK[previous.status]
        ):
            raise ValidationError(
                {
                    "status": f"A project cannot move back from {previous.status} to {current.status}; "
                    "a backward move is allowed only from suspended."
                }
            )


def history_with(status_change: StatusChange) -> list[HistoryEntry]:
    """The project's history, in entry order, as it would be with this status change saved."""
    entries = []
    replaced = False
    for existing in StatusChange.objects.filter(project_id=status_change.project_id).order_by("id"):
        if status_change.pk is not None and existing.pk == status_change.pk:
            entries.append(HistoryEntry(status_change.status, status_change.date))
            replaced = True
        else:
            entries.append(HistoryEntry(existing.status, existing.date))
    if not replaced:
        entries.append(HistoryEntry(status_change.status, status_change.date))
    return entries


def history_without(status_change: StatusChange) -> list[HistoryEntry]:
    """The project's history, in entry order, as it would be with this status change deleted."""
    return [
        HistoryEntry(existing.status, existing.date)
        for existing in StatusChange.objects.filter(project_id=status_change.project_id).order_by("id")
        if existing.pk != status_change.pk
    ]


# --- derived fields -------------------------------------------------------------------------------------------


def headline_amount(figures: Iterable[InvestmentFigure]) -> Decimal | None:
    """The preferred figure, else the one with the latest ``as_of`` (ties: the latest created)."""
    figures = list(figures)
    if not figures:
        return None
    preferred = [figure for figure in figures if figure.is_preferred]
    chosen = preferred[0] if preferred else max(figures, key=lambda f: (f.as_of, f.created_at, f.pk))
    return chosen.amount_usd


def realisation_ratio(announced: Decimal | None, realised: Decimal | None) -> Decimal | None:
    if announced is None or realised is None or announced == 0:
        return None
    return (realised / announced).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def compute_derived(project: Project) -> dict[str, Any]:
    """Recompute the derived fields from the database, without saving them."""
    latest = StatusChange.objects.filter(project=project).order_by("-date", "-id").first()
    figures = list(InvestmentFigure.objects.filter(project=project))
    money = {
        kind: headline_amount(figure for figure in figures if figure.kind == kind)
        for kind in choices.InvestmentKind.values
    }
    return {
        "status": latest.status if latest else "",
        "status_since": latest.date if latest else None,
        "announced_usd": money[choices.InvestmentKind.ANNOUNCED],
        "committed_usd": money[choices.InvestmentKind.COMMITTED],
        "realised_usd": money[choices.InvestmentKind.REALISED],
        "realisation_ratio": realisation_ratio(
            money[choices.InvestmentKind.ANNOUNCED], money[choices.InvestmentKind.REALISED]
        ),
    }


def lock_project(pk: Any) -> Project:
    """Lock the project's row until the end of the transaction and return it as stored.

    Every write to a project's status history or figures takes this lock first, so concurrent writes to one
    project queue up and each validates and derives from what the previous one committed (PostgreSQL; SQLite
    lets one writer in at a time anyway).
    """
    return Project.objects.select_for_update().get(pk=pk)


# Per-instance history settings (django-simple-history's and ``recorded_as_one_change``'s) that must follow a
# save made through a fresh copy of the row.
HISTORY_ATTRIBUTES = ("_history_user", "_history_date", "_change_reason", "skip_history_when_saving")


def _copy_history_attributes(source: Project, target: Project) -> None:
    for name in HISTORY_ATTRIBUTES:
        if hasattr(source, name):
            setattr(target, name, getattr(source, name))


def project_refresh_derived(project: Project) -> Project:
    """Store freshly computed derived fields (only those that changed) and copy them onto ``project``.

    Compares with the row as stored, not with ``project``, which may be an older copy: a stale copy must neither
    hide a needed update nor write its other old values back into the row or its history.
    """
    stored = lock_project(project.pk)
    derived = compute_derived(stored)
    changed = [name for name, value in derived.items() if getattr(stored, name) != value]
    if changed:
        for name in changed:
            setattr(stored, name, derived[name])
        _copy_history_attributes(project, stored)
        stored.save(update_fields=[*changed, "updated_at"])
        project.updated_at = stored.updated_at
    for name, value in derived.items():
        setattr(project, name, value)
    return project


# --- projects -------------------------------------------------------------------------------------------------

M2M_FIELDS = ("pillars", "provinces", "sources")


REQUIRED_RELATIONS = {"pillars": "pillar", "provinces": "province"}
PROJECT_FIELDS = {field.name for field in Project._meta.get_fields() if field.concrete}


def _refuse_derived(fields: dict[str, Any]) -> None:
    derived = [name for name in fields if name in DERIVED_FIELDS]
    if derived:
        raise ValidationError(
            dict.fromkeys(derived, "This field is derived from the status history and investment figures.")
        )


def _validate_project(project: Project, relations: dict[str, list]) -> None:
    """``full_clean()`` plus the many-to-many rules, reported together."""
    errors: dict[str, list] = {}
    try:
        project.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    for name, noun in REQUIRED_RELATIONS.items():
        if name in relations and not relations[name]:
            errors.setdefault(name, []).append(ValidationError(f"Choose at least one {noun}."))
    if errors:
        raise ValidationError(errors)


def _set_project_relations(project: Project, relations: dict[str, list]) -> None:
    for name in M2M_FIELDS:
        if name in relations:
            getattr(project, name).set(relations[name])


@transaction.atomic
def project_create(
    *,
    pillars: Iterable[Pillar],
    provinces: Iterable[Province],
    sources: Iterable[Source] = (),
    **fields: Any,
) -> Project:
    _refuse_derived(fields)
    # Lists, so that a generator given here is not used up by the validation before it is saved.
    relations = {"pillars": list(pillars), "provinces": list(provinces), "sources": list(sources)}
    project = Project(**fields)
    _validate_project(project, relations)
    with recorded_as_one_change(project, created=True):
        project.save()
        _set_project_relations(project, relations)
    return project


@transaction.atomic
def project_update(*, project: Project, **fields: Any) -> Project:
    relations = {name: list(fields.pop(name)) for name in M2M_FIELDS if name in fields}
    unknown = sorted(set(fields) - PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"project_update() got unknown project fields: {', '.join(unknown)}")
    _refuse_derived(fields)
    stored = lock_project(project.pk)
    # Saving writes every column: take the derived ones as stored, whatever this (possibly older) copy holds.
    for name in DERIVED_FIELDS:
        setattr(project, name, getattr(stored, name))
    for name, value in fields.items():
        setattr(project, name, value)
    _validate_project(project, relations)
    with recorded_as_one_change(project, created=False):
        project.save()
        _set_project_relations(project, relations)
    return project


@transaction.atomic
def project_set_publication(*, projects: Iterable[Project], publication: str) -> int:
    """Publish or unpublish projects, one history entry each."""
    if publication not in choices.Publication.values:
        raise ValidationError(
            {"publication": f"Choose one of: {', '.join(choices.Publication.values)} (not {publication!r})."}
        )
    count = 0
    for project in projects:
        stored = lock_project(project.pk)  # the row as stored, so the history entry holds no stale values
        if stored.publication != publication:
            stored.publication = publication
            _copy_history_attributes(project, stored)
            stored.save(update_fields=["publication", "updated_at"])
            project.updated_at = stored.updated_at
            count += 1
        project.publication = publication
    return count


# --- status changes -------------------------------------------------------------------------------------------


@transaction.atomic
def status_change_record(*, project: Project, status: str, date: Any, source: Source, note: str = "") -> StatusChange:
    lock_project(project.pk)
    status_change = StatusChange(project=project, status=status, date=date, source=source, note=note)
    status_change.full_clean()
    status_change.save()
    project_refresh_derived(project)
    return status_change


@transaction.atomic
def status_change_update(*, status_change: StatusChange, **fields: Any) -> StatusChange:
    if "project" in fields and fields["project"].pk != status_change.project_id:
        raise ValidationError({"project": "A status change cannot move to another project; delete and re-add it."})
    lock_project(status_change.project_id)
    for name, value in fields.items():
        setattr(status_change, name, value)
    status_change.full_clean()
    status_change.save()
    project_refresh_derived(status_change.project)
    return status_change


@transaction.atomic
def status_change_delete(*, status_change: StatusChange) -> None:
    lock_project(status_change.project_id)
    validate_status_history(history_without(status_change))
    project = status_change.project
    status_change.delete()
    project_refresh_derived(project)


# --- investment figures ---------------------------------------------------------------------------------------


@transaction.atomic
def investment_figure_record(*, project: Project, **fields: Any) -> InvestmentFigure:
    lock_project(project.pk)
    figure = InvestmentFigure(project=project, **fields)
    figure.full_clean()
    figure.save()
    project_refresh_derived(project)
    return figure


@transaction.atomic
def investment_figure_update(*, investment: InvestmentFigure, **fields: Any) -> InvestmentFigure:
    if "project" in fields and fields["project"].pk != investment.project_id:
        raise ValidationError({"project": "A figure cannot move to another project; delete and re-add it."})
    lock_project(investment.project_id)
    if "amount_usd" in fields:
        # A USD amount given by the editor is theirs; an empty one asks for conversion again.
        investment.amount_usd_converted = False
    elif {"amount", "currency", "as_of"} & fields.keys():
        # The registry's own USD amount (a copy for USD, a conversion otherwise) follows the new values; one the
        # editor typed from the source stays, unless the figure is now in USD, where it must equal the amount.
        currency = fields.get("currency", investment.currency)
        if investment.amount_usd_converted or "USD" in (investment.currency, currency):
            investment.amount_usd = None
    for name, value in fields.items():
        setattr(investment, name, value)
    investment.full_clean()
    investment.save()
    project_refresh_derived(investment.project)
    return investment


@transaction.atomic
def investment_figure_delete(*, investment: InvestmentFigure) -> None:
    lock_project(investment.project_id)
    project = investment.project
    investment.delete()
    project_refresh_derived(project)


# --- participations -------------------------------------------------------------------------------------------


@transaction.atomic
def project_set_participants(*, project: Project, participants: Iterable[dict[str, Any]]) -> None:
    """Make the project's participations exactly ``participants`` (organisation, role, note), keeping unchanged rows."""
    wanted = {(item["organisation"].pk, item["role"]): item for item in participants}
    for participation in list(project.participations.all()):
        key = (participation.organisation_id, participation.role)
        if key not in wanted:
            participation.delete()
            continue
        note = wanted.pop(key).get("note", participation.note) or ""
        if participation.note != note:
            participation.note = note
            participation.full_clean()
            participation.save()
    for (_, role), item in wanted.items():
        participation = Participation(
            project=project, organisation=item["organisation"], role=role, note=item.get("note") or ""
        )
        participation.full_clean()
        participation.save()
