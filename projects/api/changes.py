"""The change feed and project histories, read from the django-simple-history tables of every tracked model.

Public readers see changes to published data only: a project's rows while it was published (its unpublishing shows
as "deleted"), rows of what hangs off a project while that project is published, and every vocabulary change.
Editors see everything, with the editor's name.
"""

import base64
import binascii
import datetime
import heapq
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from rest_framework.exceptions import ValidationError

from projects import choices
from projects.models import (
    Corridor,
    ExchangeRate,
    ExternalIdentifier,
    InvestmentFigure,
    Organisation,
    Participation,
    Pillar,
    Project,
    Sector,
    Source,
    StatusChange,
)

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}
PUBLISHED = choices.Publication.PUBLISHED


@dataclass(frozen=True)
class TrackedModel:
    name: str  # the public name in the feed's `model` field
    model: type
    identifier: str  # the public identifier field: slug, code or id
    project_path: str | None = None  # for rows that hang off a project: the project id column
    publication_path: str | None = None  # for rows public only when they say so themselves


TRACKED: dict[str, TrackedModel] = {}


def register_tracked_model(tracked: TrackedModel) -> None:
    TRACKED[tracked.name] = tracked


for _tracked in [
    TrackedModel("project", Project, "slug", publication_path="publication"),
    TrackedModel("status-change", StatusChange, "id", project_path="project_id"),
    TrackedModel("investment", InvestmentFigure, "id", project_path="project_id"),
    TrackedModel("participation", Participation, "id", project_path="project_id"),
    TrackedModel("external-identifier", ExternalIdentifier, "id", project_path="project_id"),
    TrackedModel("organisation", Organisation, "slug"),
    TrackedModel("source", Source, "id"),
    TrackedModel("corridor", Corridor, "code"),
    TrackedModel("pillar", Pillar, "code"),
    TrackedModel("sector", Sector, "code"),
    TrackedModel("exchange-rate", ExchangeRate, "id"),
]:
    register_tracked_model(_tracked)


def public_rows(tracked: TrackedModel, rows):
    """Narrow a historical queryset to what an anonymous reader may see."""
    if tracked.publication_path:
        became_draft = Q(history_type="~", changed_fields__icontains='"publication"')
        return rows.filter(Q(**{tracked.publication_path: PUBLISHED}) | became_draft)
    if tracked.project_path:
        published_ids = Project.objects.filter(publication=PUBLISHED).values("id")
        return rows.filter(**{f"{tracked.project_path}__in": published_ids})
    return rows


def entry(tracked: TrackedModel, row, *, editor: bool, public_feed: bool = False) -> dict[str, Any]:
    action = ACTIONS[row.history_type]
    changed = list(row.changed_fields or [])
    if public_feed and tracked.publication_path and getattr(row, tracked.publication_path) != PUBLISHED:
        # To a public reader, a project that leaves publication is gone.
        action, changed = "deleted", ["publication"]
    user = None
    if editor and row.history_user_id is not None:
        user = row.history_user.get_username() if row.history_user else None
    result = {
        "at": row.history_date,
        "model": tracked.name,
        "object": str(getattr(row, tracked.identifier)),
        "action": action,
        "changed_fields": changed,
        "user": user,
    }
    return result


# --- the feed -------------------------------------------------------------------------------------------------


def encode_cursor(at: datetime.datetime, model: str, history_id: int) -> str:
    raw = json.dumps([at.isoformat(), model, history_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, model, history_id = json.loads(raw)
        parsed = datetime.datetime.fromisoformat(at)
        if model not in TRACKED or not isinstance(history_id, int) or parsed.tzinfo is None:
            raise ValueError
        return parsed, model, history_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError({"cursor": ["Invalid cursor: use the `next` link as given."]}) from None


def before_cursor(tracked: TrackedModel, cursor: tuple[datetime.datetime, str, int]) -> Q:
    """Rows after the cursor in the feed's order: (history_date, model name, history_id), newest first."""
    at, model, history_id = cursor
    if tracked.name < model:
        return Q(history_date__lte=at)
    if tracked.name > model:
        return Q(history_date__lt=at)
    return Q(history_date__lt=at) | Q(history_date=at, history_id__lt=history_id)


def change_feed(
    *,
    editor: bool,
    page_size: int,
    since: datetime.datetime | None = None,
    models: list[str] | None = None,
    cursor: tuple[datetime.datetime, str, int] | None = None,
) -> tuple[list[dict[str, Any]], tuple | None]:
    """One page of the feed, newest first, and the cursor of the next page (None at the end)."""
    candidates = []
    for name in models or sorted(TRACKED):
        tracked = TRACKED[name]
        rows = tracked.model.history.select_related("history_user") if editor else tracked.model.history.all()
        if not editor:
            rows = public_rows(tracked, rows)
        if since is not None:
            rows = rows.filter(history_date__gte=since)
        if cursor is not None:
            rows = rows.filter(before_cursor(tracked, cursor))
        for row in rows.order_by("-history_date", "-history_id")[: page_size + 1]:
            candidates.append(((row.history_date, tracked.name, row.history_id), tracked, row))
    newest = heapq.nlargest(page_size + 1, candidates, key=lambda item: item[0])
    page = newest[:page_size]
    next_cursor = page[-1][0] if len(newest) > page_size else None
    entries = [entry(tracked, row, editor=editor, public_feed=not editor) for _, tracked, row in page]
    return entries, next_cursor


def project_history(project: Project, *, editor: bool) -> list[dict[str, Any]]:
    """Every historical row of the project and of what hangs off it, newest first."""
    entries = []
    for tracked in TRACKED.values():
        if tracked.model is Project:
            rows = Project.history.filter(id=project.pk)
        elif tracked.project_path:
            rows = tracked.model.history.filter(**{tracked.project_path: project.pk})
        else:
            continue
        rows = rows.select_related("history_user") if editor else rows
        entries += [
            (row.history_date, tracked.name, row.history_id, entry(tracked, row, editor=editor)) for row in rows
        ]
    entries.sort(key=lambda item: item[:3], reverse=True)
    return [item[3] for item in entries]
