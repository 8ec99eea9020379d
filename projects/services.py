"""Writes that touch several rows: projects with their many-to-many fields, status history, investment figures.

The admin, the API, the imports and the seed loader write projects, status changes, investment figures,
participants, events and exchange rates through these functions (single-row records such as sources and
organisations are saved after their own ``full_clean()``; deleting a whole project is the model's ``delete()``).
Each runs ``full_clean()`` and the cross-row rules inside one transaction and recomputes the project's derived
fields in that same transaction.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction

from projects import choices, rules
from projects.models import (
    Event,
    EventProject,
    ExchangeRate,
    InvestmentFigure,
    Participation,
    Pillar,
    Project,
    Province,
    Source,
    StatusChange,
)
from registry.history import UNTRACKED_FIELDS, join_open_change, recorded_as_one_change

DERIVED_FIELDS = ["status", "status_since", "announced_usd", "committed_usd", "realised_usd", "realisation_ratio"]
# The ratio keeps the stored column's decimal places (projects.as_of rounds its SQL reading to the same).
RATIO_PLACES = Decimal(1).scaleb(-Project._meta.get_field("realisation_ratio").decimal_places)


# --- status history -------------------------------------------------------------------------------------------

# The rule itself lives in projects.rules (pure, below the models); these names stay importable from here.
HistoryEntry = rules.HistoryEntry
validate_status_history = rules.validate_status_history


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


def headline_figure(figures: Iterable[InvestmentFigure]) -> InvestmentFigure | None:
    """The preferred figure, else the one with the latest ``as_of`` (ties: the latest created), among those with a
    USD amount (a figure kept in its currency, ``no_usd_reason``, cannot head a USD total)."""
    figures = [figure for figure in figures if figure.amount_usd is not None]
    if not figures:
        return None
    preferred = [figure for figure in figures if figure.is_preferred]
    return preferred[0] if preferred else max(figures, key=lambda f: (f.as_of, f.created_at, f.pk))


def headline_amount(figures: Iterable[InvestmentFigure]) -> Decimal | None:
    """The headline figure's USD amount (``headline_figure``)."""
    chosen = headline_figure(figures)
    return chosen.amount_usd if chosen is not None else None


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
    return _refresh_derived(project, lock_project(project.pk))


def _refresh_derived(project: Project, stored: Project) -> Project:
    """``project_refresh_derived`` for a write that has locked the project already (``stored``: its locked row)."""
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


# Provinces may be empty: a project without a known province (a nationwide grant) has none (filter province=none).
REQUIRED_RELATIONS = {"pillars": "pillar"}
# What an editor gives for a project (the admin form and the import columns): every field but the derived ones and
# the timestamps; related rows by their public identifiers.
PROJECT_INPUT_FIELDS = (
    "slug",
    "name",
    "summary",
    "phase",
    "corridor",
    "pillars",
    "sector",
    "provinces",
    "place_name",
    "latitude",
    "longitude",
    "location_precision",
    "capacity_value",
    "capacity_unit",
    "mou_signed_on",
    "financial_close_on",
    "construction_started_on",
    "completed_on",
    "sources",
    "confidence",
    "editorial_note",
    "publication",
)
PROJECT_FIELDS = {field.name for field in Project._meta.get_fields() if field.concrete}
STABLE_SLUG_MESSAGE = (
    "A published project's slug cannot change: readers, mirrors and citations address it by its slug. To rename it, "
    "unpublish it first (the public change feed then shows the old slug deleted), change the slug, and publish it "
    "again (the feed shows the new slug created)."
)


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


def project_validate(*, project: Project, **relations: Iterable) -> None:
    """Check a project (and the many-to-many lists given) as ``project_create`` and ``project_update`` do, without
    saving: for a form that shows the errors before anything is written."""
    _validate_project(project, {name: list(values) for name, values in relations.items()})


def _set_project_relations(project: Project, relations: dict[str, list]) -> None:
    for name in M2M_FIELDS:
        if name in relations:
            getattr(project, name).set(relations[name])


@transaction.atomic
def project_create(
    *,
    pillars: Iterable[Pillar],
    provinces: Iterable[Province] = (),
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


def _project_changes(project: Project, stored: Project, relations: dict[str, list]) -> list[str]:
    """The fields (many-to-many included) in which ``project`` and the relations given differ from the stored row."""
    changed = [
        field.name
        for field in Project._meta.concrete_fields
        if field.name not in UNTRACKED_FIELDS and getattr(project, field.attname) != getattr(stored, field.attname)
    ]
    for name, values in relations.items():
        if {getattr(value, "pk", value) for value in values} != set(getattr(stored, name).values_list("pk", flat=True)):
            changed.append(name)
    return changed


@transaction.atomic
def project_update(*, project: Project, **fields: Any) -> Project:
    relations = {name: list(fields.pop(name)) for name in M2M_FIELDS if name in fields}
    unknown = sorted(set(fields) - PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"project_update() got unknown project fields: {', '.join(unknown)}")
    _refuse_derived(fields)
    stored = lock_project(project.pk)
    if stored.is_published and "slug" in fields and fields["slug"] != stored.slug:
        raise ValidationError({"slug": STABLE_SLUG_MESSAGE})
    # Saving writes every column: take the derived ones as stored, whatever this (possibly older) copy holds.
    for name in DERIVED_FIELDS:
        setattr(project, name, getattr(stored, name))
    for name, value in fields.items():
        setattr(project, name, value)
    _validate_project(project, relations)
    if not _project_changes(project, stored, relations):
        project.updated_at = stored.updated_at
        join_open_change(project)  # the rest of an admin save (its rows) still records one entry
        return project  # a write that changes nothing is not saved: no history entry, no new updated_at
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


# --- rows of a project, written as a set ---------------------------------------------------------------------


@dataclass
class RowsWritten:
    """What a write of a project's whole set of rows did: rows created, updated (with the fields changed), deleted."""

    created: list = field(default_factory=list)
    updated: list[tuple[Any, list[str]]] = field(default_factory=list)
    deleted: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass
class _PlannedRow:
    index: int
    instance: Any
    changed: list[str]


def _existing_rows(project: Project, model) -> dict[Any, Any]:
    """The project's stored rows by id, read afresh (never a prefetched copy that planning would change)."""
    if project.pk is None:
        return {}
    return {row.pk: row for row in model.objects.filter(project=project).order_by("pk")}


def _plan_rows(
    *, project: Project, model, rows: Sequence[dict[str, Any]], prepare
) -> tuple[list[_PlannedRow], list, dict[int, ValidationError]]:
    """Each given row as the instance it will be (a copy of the stored row with its changes, or a new row), the
    stored rows the set leaves out (to delete), and the rows' own errors.

    ``prepare(instance, changes)`` applies a row's changed values with the model's write rules. A value equal to
    the stored one is no change: an unchanged row is not saved, so it gets no history entry.
    """
    existing = _existing_rows(project, model)
    planned, errors = [], {}
    for index, row in enumerate(rows):
        pk = row.get("id")
        if pk is not None and pk not in existing:
            errors[index] = ValidationError(
                {
                    NON_FIELD_ERRORS: f"This {model._meta.verbose_name} is not one of the project's (it may have "
                    "been deleted meanwhile)."
                }
            )
            continue
        values = {name: value for name, value in row.items() if name != "id"}
        if pk is None:
            instance = model(project=project)
            changes = values
        else:
            instance = existing[pk]
            changes = {name: value for name, value in values.items() if _differs(instance, name, value)}
        prepare(instance, changes)
        planned.append(_PlannedRow(index, instance, sorted(changes)))
    kept = {row.get("id") for row in rows}
    deleted = [row for pk, row in existing.items() if pk not in kept]
    for item in planned:
        try:
            _clean_row_alone(item.instance, project)
        except ValidationError as error:
            errors[item.index] = error
    return planned, deleted, errors


def _differs(instance, name: str, value) -> bool:
    """Whether ``value`` would change the stored field (a related row compared by id, without fetching it)."""
    model_field = instance._meta.get_field(name)
    if model_field.is_relation:
        return getattr(instance, model_field.attname) != getattr(value, "pk", value)
    return getattr(instance, name) != value


def _clean_row_alone(instance, project: Project) -> None:
    """The row's own rules: fields, ``clean()`` and its one-row constraints. Unique constraints span rows: the
    set's rules check them over the rows as they will be, not against the stored rows that this write replaces."""
    exclude = {"project"} if project.pk is None else set()
    errors: dict[str, list] = {}
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    for constraint in instance._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            try:
                constraint.validate(type(instance), instance, exclude=exclude | set(errors))
            except ValidationError as error:
                errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _save_planned(planned: list[_PlannedRow], written: RowsWritten) -> None:
    for item in planned:
        if item.instance.pk is None:
            item.instance.save()
            written.created.append(item.instance)
        elif item.changed:
            item.instance.save()
            written.updated.append((item.instance, item.changed))


def _write_planned(
    planned: list[_PlannedRow], deleted: list, *, project: Project | None = None, locked: Project | None = None
) -> RowsWritten:
    """Delete the rows left out, then save the planned ones in the order given; with the ``project`` they belong to
    and its ``locked`` row, refresh its derived fields once."""
    written = RowsWritten()
    for row in deleted:
        row.delete()
        written.deleted.append(row)
    _save_planned(planned, written)
    if project is not None and written.changed:
        _refresh_derived(project, locked)
    return written


def _write_project_row(row: StatusChange | InvestmentFigure, *, clean=None, delete: bool = False) -> None:
    """One write to a project's status history or figures: lock the project's row, check the row (``clean``: its
    own rules and any rule over the project's other rows, read under the lock), save or delete it, and store the
    project's derived fields anew. The caller's transaction holds it all together."""
    locked = lock_project(row.project_id)
    project = row.project
    if clean is not None:
        clean()
    if delete:
        row.delete()
    else:
        row.save()
    _refresh_derived(project, locked)


# --- status changes -------------------------------------------------------------------------------------------

STATUS_CHANGE_FIELDS = ("status", "date", "source", "note")


def _clean_status_change(status_change: StatusChange, entries) -> None:
    """``full_clean()`` and the history rule (``entries``: the history with this change), reported together."""
    errors: dict[str, list] = {}
    try:
        status_change.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if not ({"status", "date"} & errors.keys()):
        try:
            rules.validate_status_history(entries(status_change))
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def status_change_record(
    *, project: Project, status: str, date: Any, source: Source, note: str = "", quote: str = ""
) -> StatusChange:
    status_change = StatusChange(project=project, status=status, date=date, source=source, note=note, quote=quote)
    _write_project_row(status_change, clean=lambda: _clean_status_change(status_change, history_with))
    return status_change


@transaction.atomic
def status_change_update(*, status_change: StatusChange, **fields: Any) -> StatusChange:
    if "project" in fields and fields["project"].pk != status_change.project_id:
        raise ValidationError({"project": "A status change cannot move to another project; delete and re-add it."})
    _set_fields(status_change, fields)
    _write_project_row(status_change, clean=lambda: _clean_status_change(status_change, history_with))
    return status_change


@transaction.atomic
def status_change_delete(*, status_change: StatusChange) -> None:
    _write_project_row(
        status_change, clean=lambda: validate_status_history(history_without(status_change)), delete=True
    )


def _set_fields(instance, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(instance, name, value)


def _plan_status_history(project: Project, rows: Sequence[dict[str, Any]]):
    planned, deleted, errors = _plan_rows(project=project, model=StatusChange, rows=rows, prepare=_set_fields)
    if not errors:
        # Entry order: the rows kept, by id, then the new ones as given (they get the next ids, in that order).
        ordered = sorted(planned, key=lambda item: (item.instance.pk is None, item.instance.pk or 0, item.index))
        found = rules.status_history_error([item.instance for item in ordered])
        if found is not None:
            position, error = found
            errors[ordered[position].index] = error
    if errors:
        raise rules.RowsValidationError(errors)
    return planned, deleted


def status_history_validate(*, project: Project, rows: Sequence[dict[str, Any]]) -> None:
    """Check a project's whole status history as ``status_history_replace`` would write it, without writing."""
    _plan_status_history(project, rows)


@transaction.atomic
def status_history_replace(*, project: Project, rows: Sequence[dict[str, Any]]) -> RowsWritten:
    """Make the project's status history exactly ``rows``, in one transaction, with one derived-field refresh.

    Each row is a dict of ``status``, ``date``, ``source``, ``note``, with the ``id`` of the stored status change
    it edits (none for a new one); stored status changes the rows leave out are deleted. The history rule is
    checked on the combined result, so rows can change together (two dates moved at once). Raises
    ``rules.RowsValidationError`` (errors by row index) and writes nothing when any rule breaks.
    """
    locked = lock_project(project.pk)
    planned, deleted = _plan_status_history(project, rows)
    return _write_planned(planned, deleted, project=project, locked=locked)


# --- investment figures ---------------------------------------------------------------------------------------

INVESTMENT_FIELDS = (
    "kind",
    "amount",
    "currency",
    "amount_usd",
    "no_usd_reason",
    "as_of",
    "source",
    "note",
    "quote",
    "is_preferred",
)


def figure_apply_changes(investment: InvestmentFigure, fields: dict[str, Any]) -> None:
    """Set changed values on a figure with the registry's rule for its USD amount (every update of a figure uses it).

    A USD amount given by the editor is theirs; an empty one asks for conversion again. Otherwise the registry's
    own USD amount (a copy for USD, a conversion otherwise) follows new amount, currency or date; one the editor
    typed from the source stays, unless the figure is now in USD, where it must equal the amount.
    """
    if "amount_usd" in fields:
        investment.amount_usd_converted = False
    elif {"amount", "currency", "as_of"} & fields.keys():
        currency = fields.get("currency", investment.currency)
        if investment.amount_usd_converted or "USD" in (investment.currency, currency):
            investment.amount_usd = None
    _set_fields(investment, fields)


@transaction.atomic
def investment_figure_record(*, project: Project, **fields: Any) -> InvestmentFigure:
    figure = InvestmentFigure(project=project, **fields)
    _write_project_row(figure, clean=figure.full_clean)
    return figure


@transaction.atomic
def investment_figure_update(*, investment: InvestmentFigure, **fields: Any) -> InvestmentFigure:
    if "project" in fields and fields["project"].pk != investment.project_id:
        raise ValidationError({"project": "A figure cannot move to another project; delete and re-add it."})
    figure_apply_changes(investment, fields)
    _write_project_row(investment, clean=investment.full_clean)
    return investment


@transaction.atomic
def investment_figure_delete(*, investment: InvestmentFigure) -> None:
    _write_project_row(investment, delete=True)


def _prepare_figure(figure: InvestmentFigure, changes: dict[str, Any]) -> None:
    if figure.pk is None:
        _set_fields(figure, changes)  # a new figure: as investment_figure_record builds it
    else:
        figure_apply_changes(figure, changes)


def _plan_investments(project: Project, rows: Sequence[dict[str, Any]]):
    planned, deleted, errors = _plan_rows(project=project, model=InvestmentFigure, rows=rows, prepare=_prepare_figure)
    if not errors:
        figures = [item.instance for item in planned]
        newly = [
            figure.is_preferred and (figure.pk is None or "is_preferred" in item.changed)
            for figure, item in zip(figures, planned, strict=True)
        ]
        for position in rules.preferred_conflicts(figures, newly_preferred=newly):
            errors[planned[position].index] = ValidationError({"is_preferred": rules.ONE_PREFERRED_MESSAGE})
    if errors:
        raise rules.RowsValidationError(errors)
    return planned, deleted


def investment_figures_validate(*, project: Project, rows: Sequence[dict[str, Any]]) -> None:
    """Check a project's whole set of figures as ``investment_figures_replace`` would write it, without writing."""
    _plan_investments(project, rows)


@transaction.atomic
def investment_figures_replace(*, project: Project, rows: Sequence[dict[str, Any]]) -> RowsWritten:
    """Make the project's investment figures exactly ``rows``, in one transaction, with one derived-field refresh.

    Each row is a dict of the figure's fields (``kind``, ``amount``, ``currency``, ``amount_usd``, ``as_of``,
    ``source``, ``note``, ``is_preferred``), with the ``id`` of the stored figure it edits (none for a new one);
    stored figures the rows leave out are deleted. An existing row's values that differ from the stored ones are
    its changes, applied as ``investment_figure_update`` applies them (``figure_apply_changes``). Figures are saved
    unmarked-first, so "preferred" can move between rows in one write. Raises ``rules.RowsValidationError``.
    """
    locked = lock_project(project.pk)
    planned, deleted = _plan_investments(project, rows)
    # The unique index allows one preferred figure per kind at any moment: unmark before marking.
    unmarked_first = sorted(planned, key=lambda item: item.instance.is_preferred)
    return _write_planned(unmarked_first, deleted, project=project, locked=locked)


# --- participations -------------------------------------------------------------------------------------------


def _plan_participants(project: Project, participants: Sequence[dict[str, Any]]):
    """The participations to keep (with a changed note), create and delete, after the rows' own rules."""
    participants = list(participants)
    keys = [(item["organisation"].pk, item["role"]) for item in participants]
    errors = {
        index: ValidationError(
            {"role": f"{participants[index]['organisation'].slug} is listed twice as {participants[index]['role']}."}
        )
        for index in rules.duplicate_participants(keys)
    }
    stored = {(p.organisation_id, p.role): p for p in _existing_rows(project, Participation).values()}
    planned = []
    for index, item in enumerate(participants):
        if index in errors:
            continue
        participation = stored.get(keys[index])
        if participation is None:
            participation = Participation(
                project=project, organisation=item["organisation"], role=item["role"], note=item.get("note") or ""
            )
            changed = ["organisation", "role", "note"]
        else:
            note = item.get("note", participation.note) or ""
            changed = ["note"] if participation.note != note else []
            participation.note = note
        planned.append(_PlannedRow(index, participation, changed))
        try:
            _clean_row_alone(participation, project)
        except ValidationError as error:
            errors[index] = error
    if errors:
        raise rules.RowsValidationError(errors)
    kept = set(keys)
    deleted = [participation for key, participation in stored.items() if key not in kept]
    return planned, deleted


def participants_validate(*, project: Project, participants: Sequence[dict[str, Any]]) -> None:
    """Check a project's participants as ``project_set_participants`` would write them, without writing."""
    _plan_participants(project, participants)


@transaction.atomic
def project_set_participants(*, project: Project, participants: Iterable[dict[str, Any]]) -> RowsWritten:
    """Make the project's participations exactly ``participants`` (organisation, role, note), keeping unchanged
    rows (matched by organisation and role; a missing note keeps the stored one). Raises
    ``rules.RowsValidationError`` when an organisation is listed twice in one role or a row breaks its rules."""
    planned, deleted = _plan_participants(project, list(participants))
    return _write_planned(planned, deleted)


# --- governance events ----------------------------------------------------------------------------------------

EVENT_FIELDS = {field.name for field in Event._meta.concrete_fields} - {"id"}


def _validate_event(event: Event, sources: list | None) -> None:
    """``full_clean()`` and "one or more sources", reported together."""
    errors: dict[str, list] = {}
    try:
        event.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if sources is not None and not sources:
        errors.setdefault("sources", []).append(ValidationError("Give at least one source."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def event_create(*, sources: Iterable[Source], projects: Iterable[dict[str, Any]] = (), **fields: Any) -> Event:
    """A governance event with its sources and the projects it concerns (``event_set_projects``'s rows)."""
    sources = list(sources)
    event = Event(**fields)
    _validate_event(event, sources)
    with recorded_as_one_change(event, created=True):
        event.save()
        event.sources.set(sources)
    event_set_projects(event=event, links=list(projects))
    return event


@transaction.atomic
def event_update(
    *, event: Event, sources: Iterable[Source] | None = None, projects: Iterable[dict] | None = None, **fields: Any
) -> Event:
    unknown = sorted(set(fields) - EVENT_FIELDS)
    if unknown:
        raise TypeError(f"event_update() got unknown event fields: {', '.join(unknown)}")
    sources = None if sources is None else list(sources)
    for name, value in fields.items():
        setattr(event, name, value)
    _validate_event(event, sources)
    stored = Event.objects.select_for_update().get(pk=event.pk)
    changed = [name for name in EVENT_FIELDS if _differs(stored, name, getattr(event, name))]
    if sources is not None and {s.pk for s in sources} != set(stored.sources.values_list("pk", flat=True)):
        changed.append("sources")
    if changed:
        with recorded_as_one_change(event, created=False):
            event.save()
            if sources is not None:
                event.sources.set(sources)
    if projects is not None:
        event_set_projects(event=event, links=list(projects))
    return event


def event_projects_validate(*, event: Event, links: Sequence[dict[str, Any]]) -> None:
    """Check an event's project links as ``event_set_projects`` would write them, without writing."""
    _plan_event_links(event, links)


@transaction.atomic
def event_set_projects(*, event: Event, links: Sequence[dict[str, Any]]) -> RowsWritten:
    """Make the event's project links exactly ``links`` (``project``, ``role``, ``note``), keeping unchanged rows
    (matched by project and role; a missing note keeps the stored one). Raises ``rules.RowsValidationError``."""
    planned, deleted = _plan_event_links(event, links)
    return _write_planned(planned, deleted)


def _plan_event_links(event: Event, links: Sequence[dict[str, Any]]):
    links = list(links)
    keys = [(link["project"].pk, link["role"]) for link in links]
    errors = {
        index: ValidationError({"role": f"{links[index]['project'].slug} is listed twice as {links[index]['role']}."})
        for index in rules.duplicate_participants(keys)
    }
    stored = {}
    if event.pk is not None:
        stored = {(row.project_id, row.role): row for row in EventProject.objects.filter(event=event).order_by("pk")}
    planned = []
    for index, link in enumerate(links):
        if index in errors:
            continue
        row = stored.get(keys[index])
        if row is None:
            row = EventProject(event=event, project=link["project"], role=link["role"], note=link.get("note") or "")
            changed = ["project", "role", "note"]
        else:
            note = link.get("note", row.note) or ""
            changed = ["note"] if row.note != note else []
            row.note = note
        try:
            row.full_clean(exclude=set() if event.pk else {"event"}, validate_constraints=False)
        except ValidationError as error:
            errors[index] = error
        planned.append(_PlannedRow(index, row, changed))
    if errors:
        raise rules.RowsValidationError(errors)
    kept = set(keys)
    return planned, [row for key, row in stored.items() if key not in kept]


# --- exchange rates -------------------------------------------------------------------------------------------


def exchange_rate_validate(*, rate: ExchangeRate) -> None:
    """Check a rate as ``exchange_rate_save`` would save it: its own rules, and that a rate in use keeps its currency
    and year."""
    stored = ExchangeRate.objects.filter(pk=rate.pk).first() if rate.pk else None
    if stored is not None and (stored.currency, stored.year) != (rate.currency, rate.year):
        used = InvestmentFigure.objects.filter(exchange_rate=stored).count()
        if used:
            raise ValidationError(
                {
                    "year": f"{used} investment figure(s) were converted with this rate: it keeps its currency and "
                    "year (add a rate for the other one)."
                }
            )
    rate.full_clean()


@transaction.atomic
def exchange_rate_save(*, rate: ExchangeRate) -> ExchangeRate:
    """Save an exchange rate and convert again the figures the registry converted with it (their projects' headline
    money follows). A rate in use keeps its currency and year: add a new rate instead."""
    stored = ExchangeRate.objects.select_for_update().filter(pk=rate.pk).first() if rate.pk else None
    exchange_rate_validate(rate=rate)
    users = list(InvestmentFigure.objects.filter(exchange_rate=stored)) if stored is not None else []
    if stored is not None and not any(_differs(stored, name, getattr(rate, name)) for name in RATE_FIELDS):
        return rate
    rate.save()
    for figure in users:
        locked = lock_project(figure.project_id)
        figure.exchange_rate = rate
        figure.amount_usd = None  # converted again, at the rate as it is now
        figure.full_clean()
        if figure.amount_usd != InvestmentFigure.objects.get(pk=figure.pk).amount_usd:
            figure.save()
            _refresh_derived(figure.project, locked)
    return rate


RATE_FIELDS = ("currency", "year", "usd_per_unit", "source")
