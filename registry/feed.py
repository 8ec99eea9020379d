"""The change feed: every change to registry data, written in the transaction that makes it, for two audiences.

Apps ``register`` each tracked model with what the public may see of it; ``record_change`` is called for every
history record and writes the entries (``registry.models.ChangeEntry``):

- the editors' entry is the change as it was made, by whom, with the fields it changed;
- the public entries say what the public view of the registry became. Whether a record is public is asked of the
  app's own public queryset (the one the API lists use) after the change, and compared with what the public feed
  last said of it: a record that became visible is ``created`` (publishing a draft, a source first cited by
  published data), one that stopped being visible is ``deleted`` (unpublishing, deleting, a source no longer cited by
  anything public), and a visible one that changed is ``updated``. When a record's visibility changes, so does that
  of the rows that hang off it (``owner``) and of the records it cites (``references``); records whose
  representation shows it (``Embedding``) read as updated.

So a client that replays the public feed from any point, fetching what each entry names, ends with exactly what the
public lists show; fields computed from other records at read time (totals and counts on vocabularies) or from
today's date (``is_stale``) are not changes of a record and have no entries.
"""

import datetime
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, pre_delete
from django.urls import NoReverseMatch, reverse

from registry.models import ChangeEntry

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}
# Bookkeeping columns that change on every save and say nothing to a reader.
UNTRACKED_FIELDS = {"id", "updated_at", "created_at"}


@dataclass(frozen=True)
class Embedding:
    """Records whose representation shows this one, so that they read as updated when it changes.

    Either ``via``, this row's foreign key to them, or ``rows``, a function from this row's primary key to theirs.
    ``when`` narrows it to changes of the fields they show (a project shows its corridor's code, not its name).
    """

    model: str
    fields: tuple[str, ...]
    via: str | None = None
    rows: Callable[[Any], Iterable] | None = None
    when: tuple[str, ...] | None = None


@dataclass(frozen=True)
class FeedModel:
    """A tracked model as the feed knows it."""

    name: str  # the public name in the feed's ``model`` field
    model: type[models.Model]
    identifier: str  # the public identifier field: slug, code or id
    public: Callable[[QuerySet], QuerySet]  # narrows a queryset of the model to what anonymous readers see
    url_name: str | None = None  # the API's detail route, when the record has one of its own
    owner: tuple[str, str] | None = None  # (foreign key, feed name): the record this row hangs off and is public with
    owner_shown_as: str | None = None  # the API's name of the field that shows the owner, if not the foreign key's
    references: tuple[str, ...] = ()  # fields naming records that may be public because this row cites them
    embedded_in: tuple[Embedding, ...] = ()
    private_fields: tuple[str, ...] = ()  # editors-only fields: never named in the public feed

    @property
    def url_kwarg(self) -> str:
        return "pk" if self.identifier == "id" else self.identifier


REGISTRY: dict[str, FeedModel] = {}
_BY_MODEL: dict[type[models.Model], FeedModel] = {}


def register(feed_model: FeedModel) -> None:
    """Put a model in the feed (apps call this from ``AppConfig.ready``)."""
    REGISTRY[feed_model.name] = feed_model
    _BY_MODEL[feed_model.model] = feed_model
    pre_delete.connect(_deletion_begins, sender=feed_model.model, dispatch_uid=f"feed-pre-{feed_model.name}")
    post_delete.connect(_deletion_ends, sender=feed_model.model, dispatch_uid=f"feed-post-{feed_model.name}")


def feed_model_for(model: type[models.Model]) -> FeedModel | None:
    return _BY_MODEL.get(model)


# Records being deleted by the write in progress: rows deleted with them (a project's status changes) do not make them
# "updated". Each is kept with its write: a deletion that fails half-way (pre_delete sent, post_delete never) leaves
# its record here, and a later write must not take that record for one being deleted.
_deleting: ContextVar[frozenset] = ContextVar("feed_deleting", default=frozenset())


def _deletion_begins(sender, instance, **kwargs):
    write = current_write()
    still = {item for item in _deleting.get() if item[0] == write}  # what earlier, failed writes left is dropped
    _deleting.set(frozenset(still | {(write, sender, str(instance.pk))}))


def _deletion_ends(sender, instance, **kwargs):
    _deleting.set(_deleting.get() - {(current_write(), sender, str(instance.pk))})


# --- writing ----------------------------------------------------------------------------------------------------


def record_change(history_instance, changed_fields: list[str]) -> None:
    """Write the feed entries of one history record (django-simple-history's, with the fields it changed)."""
    feed_model = _BY_MODEL.get(history_instance.instance_type)
    if feed_model is None:
        return
    pk = getattr(history_instance, feed_model.model._meta.pk.attname)
    change = _Pass(history_instance.history_date, history_instance.history_user_id)
    change.record(feed_model, pk, history_instance, ACTIONS[history_instance.history_type], changed_fields)


def _filled_fields(instance: models.Model) -> list[str]:
    """The fields a newly visible record holds a value in: what a "created" entry lists."""
    names = [
        field.name
        for field in instance._meta.concrete_fields
        if field.name not in UNTRACKED_FIELDS and getattr(instance, field.attname) not in (None, "", [], {})
    ]
    names += [field.name for field in instance._meta.many_to_many if getattr(instance, field.name).exists()]
    return sorted(names)


def _related_ids(row, field: models.Field) -> set:
    """The primary keys a row (live or historical) names in a foreign key or many-to-many field."""
    if field.many_to_many:
        if hasattr(row, "history_id"):  # a historical record's links are rows of django-simple-history's own table
            return set(getattr(row, field.name).values_list(f"{field.m2m_reverse_field_name()}_id", flat=True))
        return set(getattr(row, field.name).values_list("pk", flat=True))
    value = getattr(row, field.attname)
    return set() if value is None else {value}


def current_write() -> uuid.UUID | None:
    """An id for the write in progress: its transaction (in tests, the outermost atomic block that is not the test's
    own, each time it is entered); None outside any transaction, where each statement stands alone.

    The id lives on the connection until that transaction ends: a callback that ``on_commit`` holds for it tells
    whether it is still the same one (Django drops pending callbacks at commit and at rollback).
    """
    connection = transaction.get_connection()
    depth = next((depth for depth, block in enumerate(connection.atomic_blocks) if not block._from_testcase), None)
    if depth is None:
        return None
    block = connection.atomic_blocks[depth]
    savepoint = connection.savepoint_ids[depth - 1] if depth > 0 else None
    key = (id(block), savepoint)
    known = getattr(connection, "registry_feed_write", None)
    if known is not None and known[0] == key and any(item[1] is known[2] for item in connection.run_on_commit):
        return known[1]

    def write_ended():
        """Marks the write as pending until it commits."""

    transaction.on_commit(write_ended)
    connection.registry_feed_write = (key, uuid.uuid4(), write_ended)
    return connection.registry_feed_write[1]


class _Pass:
    """The entries that one history record leads to; each record is settled once."""

    def __init__(self, at: datetime.datetime, user_id):
        self.at, self.user_id = at, user_id
        self.batch = current_write()
        self.settled: set[tuple[str, str]] = set()

    def write(self, feed_model: FeedModel, pk, identifier: str, action: str, changed, *, editor, public, owner):
        """Write an entry; an update of a record that this write already has an entry for joins that entry (one
        entry per record and write, whatever steps the write took), audience by audience."""
        if action == "updated" and self.batch is not None:
            wanted = {name for name, on in (("editor", editor), ("public", public)) if on}
            earlier = ChangeEntry.objects.filter(
                batch=self.batch, model=feed_model.name, object_pk=str(pk), action__in=["created", "updated"]
            ).order_by("-id")
            for entry in earlier:
                served = {name for name in wanted if getattr(entry, name)}
                if not served:
                    continue
                merged = sorted(set(entry.changed_fields) | set(changed))
                if merged != entry.changed_fields:
                    entry.changed_fields = merged
                    entry.save(update_fields=["changed_fields"])
                wanted -= served
                if not wanted:
                    return
            editor, public = "editor" in wanted, "public" in wanted
        owner_model, owner_pk = owner if owner else ("", "")
        ChangeEntry.objects.create(
            batch=self.batch,
            at=self.at,
            model=feed_model.name,
            object_pk=str(pk),
            object=identifier,
            action=action,
            changed_fields=list(changed),
            owner_model=owner_model,
            owner_pk=str(owner_pk) if owner_pk is not None else "",
            user_id=self.user_id,
            editor=editor,
            public=public,
        )

    def write_all(self, feed_model: FeedModel, pk, entries: list[tuple[str, str, list]], **audience) -> None:
        for action, identifier, changed in entries:
            self.write(feed_model, pk, identifier, action, changed, **audience)

    def record(self, feed_model: FeedModel, pk, history_instance, action: str, changed: list[str]) -> None:
        """The change itself: the editors' entries, then what it did to the public view. A new identifier reads as
        the old one deleted and the new one created, to both audiences, so that a mirror keyed by it follows."""
        self.settled.add((feed_model.name, str(pk)))
        identifier = str(getattr(history_instance, feed_model.identifier))
        owner = _owner_of(feed_model, history_instance)
        live = feed_model.model._default_manager.filter(pk=pk).first() if action != "deleted" else None
        previous = history_instance.prev_record if action != "created" else None
        before = str(getattr(previous, feed_model.identifier)) if previous is not None else identifier
        if action == "updated" and before != identifier and live is not None:
            editors = [("deleted", before, []), ("created", identifier, _filled_fields(live))]
        else:
            editors = [(action, identifier, changed)]
        shown = [name for name in changed if name not in feed_model.private_fields]
        if action == "updated" and changed and not shown and before == identifier:
            public = []  # only editors-only fields changed: nothing the public can see
        else:
            public = self.public_entries(feed_model, pk, live, identifier, action=action, changed=shown)
        both = public == editors
        self.write_all(feed_model, pk, editors, editor=True, public=both, owner=owner)
        if not both:
            self.write_all(feed_model, pk, public, editor=False, public=True, owner=owner)
        visibility_changed = any(entry[0] != "updated" for entry in public)
        self.follow(feed_model, pk, live, [history_instance, previous], visibility_changed)
        self.show_in_embeddings(feed_model, pk, history_instance, action, changed)
        if before != identifier and live is not None:
            self.show_new_identifier(feed_model, pk)

    def settle(self, feed_model: FeedModel, pk) -> None:
        """A record this change may have made visible or invisible, though the record itself did not change."""
        key = (feed_model.name, str(pk))
        if key in self.settled:
            return
        self.settled.add(key)
        live = feed_model.model._default_manager.filter(pk=pk).first()
        identifier = str(getattr(live, feed_model.identifier)) if live is not None else None
        public = self.public_entries(feed_model, pk, live, identifier, action=None, changed=[])
        owner = _owner_of(feed_model, live) if live is not None else None
        for public_action, public_identifier, public_changed in public:
            self.write(
                feed_model, pk, public_identifier, public_action, public_changed, editor=False, public=True, owner=owner
            )
        if public:
            self.follow(feed_model, pk, live, [live], visibility_changed=True)

    def public_entries(self, feed_model, pk, live, identifier, *, action, changed) -> list[tuple[str, str, list]]:
        """What the public feed says of the record now: (action, identifier, changed fields) entries."""
        entries = self._public_entries(feed_model, pk, live, identifier, action=action, changed=changed)
        private = set(feed_model.private_fields)
        return [(act, name, [field for field in fields if field not in private]) for act, name, fields in entries]

    def _public_entries(self, feed_model, pk, live, identifier, *, action, changed) -> list[tuple[str, str, list]]:
        now = live is not None and feed_model.public(feed_model.model._default_manager.filter(pk=pk)).exists()
        shown = last_public_identifier(feed_model, pk)
        if now and shown is None:
            return [("created", identifier, changed if action == "created" else _filled_fields(live))]
        if now and shown != identifier:
            return [("deleted", shown, []), ("created", identifier, _filled_fields(live))]
        if now and action is not None:
            return [("updated", identifier, changed)]
        if not now and shown is not None:
            return [("deleted", shown, changed if action == "updated" else [])]
        return []

    def follow(self, feed_model: FeedModel, pk, live, rows: list, visibility_changed: bool) -> None:
        """Settle the rows that are public with this record (when its visibility changed) and what it cites."""
        if visibility_changed and live is not None:
            for follower in _followers(feed_model):
                for row_pk in follower.model._default_manager.filter(**{follower.owner[0]: pk}).values_list(
                    "pk", flat=True
                ):
                    self.settle(follower, row_pk)
        for name in feed_model.references:
            field = feed_model.model._meta.get_field(name)
            target = _BY_MODEL.get(field.related_model)
            if target is None:
                continue
            cited = [_related_ids(row, field) if row is not None else set() for row in rows]
            settling = set().union(*cited)
            if not visibility_changed:  # as public as before: only a record it began or stopped citing may change
                settling -= set.intersection(*cited)
            for target_pk in sorted(settling, key=str):
                self.settle(target, target_pk)

    def show_new_identifier(self, feed_model: FeedModel, pk) -> None:
        """The rows that hang off a record show its identifier (a status change its project's slug): they read as
        updated when it changes."""
        for follower in _followers(feed_model):
            for row in follower.model._default_manager.filter(**{follower.owner[0]: pk}):
                key = (follower.name, str(row.pk))
                if key in self.settled:
                    continue
                self.settled.add(key)
                identifier = str(getattr(row, follower.identifier))
                public = (
                    follower.public(follower.model._default_manager.filter(pk=row.pk)).exists()
                    and last_public_identifier(follower, row.pk) == identifier
                )
                shown_as = [follower.owner_shown_as or follower.owner[0]]
                self.write(
                    follower,
                    row.pk,
                    identifier,
                    "updated",
                    shown_as,
                    editor=True,
                    public=public,
                    owner=_owner_of(follower, row),
                )
                self.show_in_embeddings(follower, row.pk, row, "updated", shown_as)  # and what shows the row

    def show_in_embeddings(self, feed_model: FeedModel, pk, history_instance, action: str, changed) -> None:
        """Records that show this one read as updated (to editors, and to the public when both are public)."""
        for embedding in feed_model.embedded_in:
            if embedding.when is not None and action == "updated" and not set(embedding.when) & set(changed):
                continue
            container = REGISTRY[embedding.model]
            if embedding.via is not None:
                field = feed_model.model._meta.get_field(embedding.via)
                targets = _related_ids(history_instance, field)
            else:
                targets = set(embedding.rows(pk))
            for target_pk in sorted(targets, key=str):
                key = (container.name, str(target_pk))
                if key in self.settled or (self.batch, container.model, str(target_pk)) in _deleting.get():
                    continue
                self.settled.add(key)
                live = container.model._default_manager.filter(pk=target_pk).first()
                if live is None or not _in_feed(container, target_pk):
                    continue  # gone, or created in this same write with its entry still to come
                identifier = str(getattr(live, container.identifier))
                public = (
                    container.public(container.model._default_manager.filter(pk=target_pk)).exists()
                    and last_public_identifier(container, target_pk) == identifier
                )
                self.write(
                    container,
                    target_pk,
                    identifier,
                    "updated",
                    embedding.fields,
                    editor=True,
                    public=public,
                    owner=_owner_of(container, live),
                )


def _followers(feed_model: FeedModel) -> list[FeedModel]:
    """The models whose rows hang off records of this one."""
    return [follower for follower in REGISTRY.values() if follower.owner and follower.owner[1] == feed_model.name]


def _owner_of(feed_model: FeedModel, row) -> tuple[str, Any] | None:
    if feed_model.owner is None or row is None:
        return None
    field = feed_model.model._meta.get_field(feed_model.owner[0])
    value = getattr(row, field.attname)
    return (feed_model.owner[1], value) if value is not None else None


def _in_feed(feed_model: FeedModel, pk) -> bool:
    """Whether the feed has an entry of the record yet."""
    return ChangeEntry.objects.filter(model=feed_model.name, object_pk=str(pk), editor=True).exists()


def last_public_identifier(feed_model: FeedModel, pk) -> str | None:
    """The identifier under which the public feed last showed the record, or None when it shows it as absent."""
    last = (
        ChangeEntry.objects.filter(model=feed_model.name, object_pk=str(pk), public=True)
        .order_by("-id")
        .values_list("action", "object")
        .first()
    )
    if last is None or last[0] == "deleted":
        return None
    return last[1]


# --- reading ----------------------------------------------------------------------------------------------------


def entries_for(*, editor: bool) -> QuerySet:
    """Every entry the audience sees, newest first."""
    rows = ChangeEntry.objects.filter(editor=True) if editor else ChangeEntry.objects.filter(public=True)
    return rows.order_by("-id")


def history_of(feed_name: str, pk, *, editor: bool) -> QuerySet:
    """The entries of one record and of the rows that hang off it, newest first."""
    return entries_for(editor=editor).filter(
        Q(model=feed_name, object_pk=str(pk)) | Q(owner_model=feed_name, owner_pk=str(pk))
    )


def page(
    *,
    editor: bool,
    page_size: int,
    since: datetime.datetime | None = None,
    models: list[str] | None = None,
    before: int | None = None,
) -> tuple[list[ChangeEntry], int | None]:
    """One page of the feed, newest first, and the id to continue before (None at the end)."""
    rows = entries_for(editor=editor)
    if editor:
        rows = rows.select_related("user")
    if since is not None:
        rows = rows.filter(at__gte=since)
    if models:
        rows = rows.filter(model__in=models)
    if before is not None:
        rows = rows.filter(id__lt=before)
    found = list(rows[: page_size + 1])
    return found[:page_size], (found[page_size - 1].id if len(found) > page_size else None)


def represent(entry: ChangeEntry, *, editor: bool, request=None) -> dict[str, Any]:
    """An entry as the API shows it."""
    feed_model = REGISTRY.get(entry.model)
    url = None
    if feed_model is not None and feed_model.url_name:
        try:
            url = reverse(feed_model.url_name, kwargs={feed_model.url_kwarg: entry.object})
        except NoReverseMatch:
            url = None
        if url is not None and request is not None:
            url = request.build_absolute_uri(url)
    user = None
    if editor and entry.user_id is not None and entry.user is not None:
        user = entry.user.get_username()
    return {
        "id": entry.id,
        "at": entry.at,
        "model": entry.model,
        "object": entry.object,
        "action": entry.action,
        "changed_fields": list(entry.changed_fields or []),
        "user": user,
        "url": url,
    }
