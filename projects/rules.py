"""Rules that span several rows of one project, as pure functions of the rows (no database access).

``projects.services`` applies them to every write (one row at a time from the API, a whole set of rows from the
admin and the imports), so each rule is written once. Nothing here imports the models or the services.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from projects import choices


def published(project_path: str = "") -> Q:
    """What "public" means, in one place: the project (reached from the row through ``project_path``) is published.
    ``projects.visibility`` decides who sees past it; querysets and aggregates filter with it."""
    prefix = f"{project_path}__" if project_path else ""
    return Q(**{f"{prefix}publication": choices.Publication.PUBLISHED})


STATUS_RANK = {status: rank for rank, status in enumerate(choices.STATUS_LADDER)}
ONE_PREFERRED_MESSAGE = (
    "This project already has a preferred figure of this kind: unmark that one first (at most one preferred "
    "figure per project and kind)."
)


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a status history: what the rule needs to know of a status change."""

    status: str
    date: datetime.date


def status_history_error(entries: Sequence[Any]) -> tuple[int, ValidationError] | None:
    """The first entry (index, in entry order) that breaks the status rules, with the reason; None when valid.

    Dates never go back along the history, a cancelled project stays cancelled, and a move down the ladder is
    allowed only from suspended (DOMAIN.md, "Status"). ``entries`` are anything with ``status`` and ``date``.
    """
    for index in range(1, len(entries)):
        previous, current = entries[index - 1], entries[index]
        if current.date < previous.date:
            return index, ValidationError(
                {
                    "date": f"Dates along a project's history never go backwards: {current.date} is before "
                    f"the previous status change ({previous.status}, {previous.date})."
                }
            )
        if previous.status == choices.Status.CANCELLED:
            return index, ValidationError(
                {"status": f"The project was cancelled on {previous.date}; cancelled is final."}
            )
        if (
            previous.status in STATUS_RANK
            and current.status in STATUS_RANK
            and STATUS_RANK[current.status] < STATUS_RANK[previous.status]
        ):
            return index, ValidationError(
                {
                    "status": f"A project cannot move back from {previous.status} to {current.status}; "
                    "a backward move is allowed only from suspended."
                }
            )
    return None


def validate_status_history(entries: Sequence[Any]) -> None:
    """Raise the first broken status rule of a history given in entry order (see ``status_history_error``)."""
    found = status_history_error(entries)
    if found is not None:
        raise found[1]


def preferred_conflicts(rows: Sequence[Any], *, newly_preferred: Sequence[bool]) -> set[int]:
    """The indexes of the rows that break "at most one preferred figure per project and kind".

    ``rows`` have ``kind`` and ``is_preferred``. When a kind has several preferred rows, the ones that became
    preferred in this write (``newly_preferred``) are at fault, or all of them when none did.
    """
    by_kind: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        if row.is_preferred:
            by_kind.setdefault(row.kind, []).append(index)
    at_fault: set[int] = set()
    for indexes in by_kind.values():
        if len(indexes) > 1:
            changed = [index for index in indexes if newly_preferred[index]]
            at_fault.update(changed or indexes)
    return at_fault


def duplicate_participants(keys: Sequence[tuple[Any, str]]) -> set[int]:
    """The indexes of (organisation, role) pairs already listed earlier: a role is held once per organisation."""
    seen, duplicates = set(), set()
    for index, key in enumerate(keys):
        if key in seen:
            duplicates.add(index)
        seen.add(key)
    return duplicates


class RowsValidationError(ValidationError):
    """Errors of a write that takes a set of rows: ``rows`` maps a row's index in the given list to its error.

    It is a ``ValidationError`` whose message list is every row's messages prefixed with the row's number, so a
    caller that does not map errors back to rows still shows them all.
    """

    def __init__(self, rows: dict[int, ValidationError]):
        self.rows = dict(sorted(rows.items()))
        super().__init__(
            [f"Row {index + 1}: {message}" for index, error in self.rows.items() for message in error.messages]
        )
