"""A mirror built from the change feed alone stays equal to the lists, whatever editors do.

The mirror reads only ``/api/v1/changes/`` and the URLs its entries give (applying entries oldest first: a created or
updated record is fetched, a deleted one dropped). After every step of a random sequence of editor actions, for the
public and for editors, it must hold exactly what the list endpoints show. Fields computed at read time from other
records or from today's date (vocabulary totals and counts, ``is_stale``) are not records' own and are left out of
the comparison (README: "The change feed").
"""

import datetime
import random

import pytest

from projects import recovery
from tests import factories

# The list endpoints whose records the feed names, by the feed's model name, with each record's identifier.
LISTS = {
    "project": ("/api/v1/projects/", "slug"),
    "status-change": ("/api/v1/status-changes/", "id"),
    "investment": ("/api/v1/investments/", "id"),
    "organisation": ("/api/v1/organisations/", "slug"),
    "source": ("/api/v1/sources/", "id"),
    "corridor": ("/api/v1/corridors/", "code"),
    "pillar": ("/api/v1/pillars/", "code"),
    "sector": ("/api/v1/sectors/", "code"),
    "indicator": ("/api/v1/indicators/", "code"),
    "observation": ("/api/v1/observations/", "id"),
    "event": ("/api/v1/events/", "slug"),
    "exchange-rate": ("/api/v1/exchange-rates/", "id"),
}
COMPUTED_AT_READ_TIME = {"project_count", "announced_usd", "realised_usd", "is_stale"}
VOCABULARIES = {"corridor", "pillar", "sector"}


class Mirror:
    """A client's copy of the registry, kept by replaying the feed."""

    def __init__(self, client):
        self.client = client
        self.records: dict[tuple[str, str], dict] = {}
        self.seen = 0

    def sync(self) -> None:
        new, url = [], "/api/v1/changes/?page_size=100"
        while url:
            body = self.client.get(url).json()
            fresh = [entry for entry in body["results"] if entry["id"] > self.seen]
            new += fresh
            url = body["next"] if len(fresh) == len(body["results"]) else None
        for entry in sorted(new, key=lambda entry: entry["id"]):
            key = (entry["model"], entry["object"])
            if entry["action"] == "deleted":
                self.records.pop(key, None)
            elif entry["url"] is not None:
                response = self.client.get(entry["url"])
                if response.status_code == 200:
                    self.records[key] = response.json()
                else:  # gone since: a later entry says so
                    self.records.pop(key, None)
            self.seen = max(self.seen, entry["id"])


def list_rows(client, path: str) -> list[dict]:
    rows, url = [], f"{path}?page_size=500"
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


def comparable(model: str, row: dict) -> dict:
    if model in VOCABULARIES or model == "project":
        return {name: value for name, value in row.items() if name not in COMPUTED_AT_READ_TIME}
    return row


def assert_mirror_equals_lists(mirror: Mirror, step: str) -> None:
    for model, (path, identifier) in LISTS.items():
        listed = {str(row[identifier]): comparable(model, row) for row in list_rows(mirror.client, path)}
        mirrored = {
            obj: comparable(model, {name: record[name] for name in listed.get(obj, record) if name in record})
            for (name, obj), record in mirror.records.items()
            if name == model
        }
        assert mirrored == listed, f"after {step}: {model}s differ"


class Editor:
    """Random editor actions through the API (and the recovery service), with their own bookkeeping."""

    def __init__(self, client, seed: int):
        self.client = client
        self.random = random.Random(seed)
        self.number = 0
        self.sources = [self.client.post("/api/v1/sources/", {"title": "Seed source"}, format="json").json()["id"]]

    def projects(self) -> list[dict]:
        return list_rows(self.client, "/api/v1/projects/")

    def pick(self, rows):
        return self.random.choice(rows) if rows else None

    def next_number(self) -> int:
        self.number += 1
        return self.number

    def act(self) -> str:
        actions = [
            self.create,
            self.create,
            self.edit,
            self.publish,
            self.unpublish,
            self.rename,
            self.delete,
            self.restore,
            self.add_status,
            self.add_figure,
            self.edit_figure,
            self.delete_figure,
            self.set_participants,
            self.rename_organisation,
            self.add_source,
            self.observe,
            self.link_event,
        ]
        return self.random.choice(actions)()

    def ok(self, response, *codes):
        assert response.status_code in codes or response.status_code in (200, 201, 204), response.content
        return response

    def create(self):
        number = self.next_number()
        publication = self.random.choice(["draft", "published"])
        body = {
            "slug": f"project-{number}",
            "name": f"Project {number}",
            "phase": "1",
            "corridor": self.random.choice(["green", "growth"]),
            "pillars": ["energy"],
            "sector": "energy",
            "provinces": ["PK-PB"],
            "publication": publication,
            "participants": [{"organisation": "wapda", "role": "sponsor"}],
        }
        self.ok(self.client.post("/api/v1/projects/", body, format="json"))
        return f"create {publication} project-{number}"

    def edit(self):
        project = self.pick(self.projects())
        if project is None:
            return "edit: nothing"
        self.ok(self.client.patch(project["url"], {"summary": f"Edit {self.next_number()}"}, format="json"))
        return f"edit {project['slug']}"

    def publish(self, publication="published"):
        project = self.pick([p for p in self.projects() if p["publication"] != publication])
        if project is None:
            return f"{publication}: nothing"
        self.ok(self.client.patch(project["url"], {"publication": publication}, format="json"))
        return f"{publication} {project['slug']}"

    def unpublish(self):
        return self.publish("draft")

    def rename(self):
        project = self.pick([p for p in self.projects() if p["publication"] == "draft"])
        if project is None:
            return "rename: nothing"
        slug = f"renamed-{self.next_number()}"
        self.ok(self.client.patch(project["url"], {"slug": slug}, format="json"))
        return f"rename {project['slug']} to {slug}"

    def delete(self):
        project = self.pick(self.projects())
        if project is None:
            return "delete: nothing"
        self.ok(self.client.delete(project["url"]))
        return f"delete {project['slug']}"

    def restore(self):
        deleted = list(recovery.deleted_projects())
        taken = {p["slug"] for p in self.projects()}
        candidates = [item for item in deleted if item.slug not in taken]
        if not candidates:
            return "restore: nothing"
        chosen = self.random.choice(candidates)
        recovery.project_restore(history_id=chosen.history_id)
        return f"restore {chosen.slug}"

    def add_status(self):
        project = self.pick(self.projects())
        if project is None:
            return "status: nothing"
        detail = self.client.get(project["url"]).json()
        last = detail["status_history"][-1]["date"] if detail["status_history"] else "2015-01-01"
        date = datetime.date.fromisoformat(last) + datetime.timedelta(days=self.random.randint(1, 400))
        status = self.random.choice(["pipeline", "mou", "implementation", "operational", "suspended"])
        body = {"project": project["slug"], "status": status, "date": date.isoformat(), "source": self.sources[-1]}
        self.ok(self.client.post("/api/v1/status-changes/", body, format="json"), 400)
        return f"status {status} on {project['slug']}"

    def add_figure(self):
        project = self.pick(self.projects())
        if project is None:
            return "figure: nothing"
        body = {
            "project": project["slug"],
            "kind": self.random.choice(["announced", "committed", "realised"]),
            "amount": self.random.randint(1, 900) * 1_000_000,
            "currency": "USD",
            "as_of": f"{self.random.randint(2015, 2025)}-06-30",
            "source": self.pick(self.sources),
        }
        self.ok(self.client.post("/api/v1/investments/", body, format="json"))
        return f"figure on {project['slug']}"

    def edit_figure(self):
        figure = self.pick(list_rows(self.client, "/api/v1/investments/"))
        if figure is None:
            return "edit figure: nothing"
        path = f"/api/v1/investments/{figure['id']}/"
        self.ok(self.client.patch(path, {"amount": figure["amount"] + 1000, "note": "revised"}, format="json"))
        return f"edit figure {figure['id']}"

    def delete_figure(self):
        figure = self.pick(list_rows(self.client, "/api/v1/investments/"))
        if figure is None:
            return "delete figure: nothing"
        self.ok(self.client.delete(f"/api/v1/investments/{figure['id']}/"))
        return f"delete figure {figure['id']}"

    def set_participants(self):
        project = self.pick(self.projects())
        if project is None:
            return "participants: nothing"
        slug = f"org-{self.next_number()}"
        self.ok(self.client.post("/api/v1/organisations/", {"slug": slug, "name": slug, "kind": "private"}))
        participants = [{"organisation": slug, "role": "contractor"}]
        if self.random.random() < 0.5:
            participants.append({"organisation": "wapda", "role": "sponsor"})
        self.ok(self.client.patch(project["url"], {"participants": participants}, format="json"))
        return f"participants of {project['slug']}"

    def rename_organisation(self):
        organisation = self.pick(list_rows(self.client, "/api/v1/organisations/"))
        if organisation is None:
            return "rename organisation: nothing"
        name = f"Organisation {self.next_number()}"
        self.ok(self.client.patch(organisation["url"], {"name": name}, format="json"))
        return f"rename organisation {organisation['slug']}"

    def add_source(self):
        number = self.next_number()
        source = self.client.post("/api/v1/sources/", {"title": f"Source {number}"}, format="json").json()
        self.sources.append(source["id"])
        return f"source {number}"

    def link_event(self):
        """Create an event about a project, or move an existing event to another project."""
        project = self.pick(self.projects())
        if project is None:
            return "event: nothing"
        events = list_rows(self.client, "/api/v1/events/")
        links = [{"project": project["slug"], "role": self.random.choice(["announced", "reviewed"])}]
        if events and self.random.random() < 0.5:
            event = self.pick(events)
            self.ok(self.client.patch(event["url"], {"projects": links}, format="json"))
            return f"event {event['slug']} now about {project['slug']}"
        number = self.next_number()
        body = {
            "slug": f"event-{number}",
            "kind": "jcc-meeting",
            "title": f"JCC {number}",
            "date": f"{self.random.randint(2013, 2025)}",
            "sources": [self.pick(self.sources)],
            "projects": links,
        }
        self.ok(self.client.post("/api/v1/events/", body, format="json"))
        return f"event-{number} about {project['slug']}"

    def observe(self):
        project = self.pick(self.projects())
        scope = "project" if project is not None and self.random.random() < 0.7 else "national"
        year = self.random.randint(2000, 2030)
        body = {
            "indicator": "it-exports",
            "scope": scope,
            "subject": project["slug"] if scope == "project" else None,
            "period_start": f"{year}-01-01",
            "period_end": f"{year}-12-31",
            "kind": "actual",
            "value": self.random.randint(1, 1000),
            "source": self.pick(self.sources),
        }
        self.ok(self.client.post("/api/v1/observations/", body, format="json"), 400)
        return f"observation ({scope})"


@pytest.mark.parametrize("seed", [1, 2])
def test_mirror_built_from_the_feed_equals_the_lists_after_every_step(api, editor_api, vocab, seed):
    factories.OrganisationFactory(slug="wapda", name="WAPDA", country="PK")
    factories.IndicatorFactory(code="it-exports")
    editor = Editor(editor_api, seed)
    public, private = Mirror(api), Mirror(editor_api)
    done = []

    for _ in range(24):
        done.append(editor.act())
        public.sync()
        private.sync()
        assert_mirror_equals_lists(public, " → ".join(done))
        assert_mirror_equals_lists(private, " → ".join(done))
