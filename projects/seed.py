"""Load the reference vocabularies and the real CPEC seed data (fixtures/vocabularies.json, fixtures/projects.json).

Create-or-skip, never update: a vocabulary entry is matched by code, a source by URL, an organisation by slug and a
project by slug; what exists is left exactly as editors made it, so a second run creates nothing and changes nothing.
Every row goes through the registry's own validation: projects, status changes and investment figures through
``projects.services``, everything else through ``full_clean()``. Each project is loaded in its own transaction, so a
project the rules refuse leaves nothing behind and does not stop the others; the refusals are reported together.
"""

import datetime
import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction

from projects import services
from projects.models import (
    Corridor,
    Event,
    ExchangeRate,
    ExternalIdentifier,
    Organisation,
    Participation,
    Pillar,
    Project,
    Province,
    Sector,
    Source,
)

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
VOCABULARIES_FILE = FIXTURES_DIR / "vocabularies.json"
PROJECTS_FILE = FIXTURES_DIR / "projects.json"


class SeedDataError(Exception):
    """The fixtures cannot be loaded as they are; the message names the record and what is wrong."""


def _read(path: Path) -> Any:
    try:
        # Decimals, not floats: coordinates and capacities keep exactly the digits the fixture has.
        return json.loads(Path(path).read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise SeedDataError(f"{path} does not exist.") from None
    except json.JSONDecodeError as error:
        raise SeedDataError(f"{path} is not valid JSON: {error}") from None


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _create_or_skip(model: type[models.Model], lookup: dict, fields: dict, counts: Counter, label: str):
    """The existing row matching ``lookup``, untouched; else a new, validated one."""
    existing = model.objects.filter(**lookup).first()
    if existing is not None:
        counts[f"{label}_skipped"] += 1
        return existing
    instance = model(**lookup, **fields)
    try:
        instance.full_clean()
    except ValidationError as error:
        key = ", ".join(str(value) for value in lookup.values())
        raise SeedDataError(f"{model._meta.verbose_name} {key}: {_describe(error)}") from None
    instance.save()
    counts[f"{label}_created"] += 1
    return instance


def _create_each(
    records: list,
    create: Callable[[dict], Any],
    *,
    model: type[models.Model],
    noun: str,
    counts: Counter,
    path: Path,
) -> None:
    """Create every record whose slug is not taken in ``model`` yet, each in its own transaction; the records the
    rules refuse leave nothing behind, do not stop the others, and are raised together as one ``SeedDataError``.

    Counts ``<noun>s_created`` and ``<noun>s_skipped`` in ``counts``.
    """
    refused = []
    for record in records:
        slug = record.get("slug") if isinstance(record, dict) else None
        if not slug:
            article = "an" if noun[0] in "aeiou" else "a"
            raise SeedDataError(f"{path}: {article} {noun} record without a slug: {str(record)[:200]}")
        if model.objects.filter(slug=slug).exists():
            counts[f"{noun}s_skipped"] += 1
            continue
        try:
            with transaction.atomic():
                create(record)
        except ValidationError as error:
            refused.append(f"{slug}: {_describe(error)}")
            continue
        except SeedDataError as error:
            refused.append(f"{slug}: {error}")
            continue
        except (KeyError, TypeError, ValueError) as error:
            refused.append(f"{slug}: malformed record ({error!r})")
            continue
        counts[f"{noun}s_created"] += 1
    if refused:
        raise SeedDataError(
            f"{len(refused)} {noun}(s) of {path} refused by the registry's rules "
            f"({counts[f'{noun}s_created']} created, {counts[f'{noun}s_skipped']} already there):\n  "
            + "\n  ".join(refused)
        )


def _result(counts: Counter, labels: list[str]) -> dict[str, int]:
    return {
        f"{label}_{outcome}": counts[f"{label}_{outcome}"] for label in labels for outcome in ("created", "skipped")
    }


# --- vocabularies ---------------------------------------------------------------------------------------------


def load_vocabularies(path: Path | None = None) -> dict[str, int]:
    """Create the corridors, pillars and sectors of the vocabulary fixture that do not exist yet (matched by code).

    The fixture is in Django's format (loadable with ``loaddata`` on an empty database); here references between
    its entries (a pillar's aligned corridor, a sector's parent) are resolved through codes, not primary keys, so
    the loader also works on a database whose vocabularies editors have already changed.
    """
    path = path or VOCABULARIES_FILE
    entries = _read(path)
    if not isinstance(entries, list):
        raise SeedDataError(f"{path}: expected a list of Django fixture entries.")
    by_model: dict[str, list[dict]] = {"projects.corridor": [], "projects.pillar": [], "projects.sector": []}
    for entry in entries:
        model = entry.get("model") if isinstance(entry, dict) else None
        if model not in by_model or "pk" not in entry or not isinstance(entry.get("fields"), dict):
            raise SeedDataError(f"{path}: unexpected entry {entry!r}; expected corridors, pillars and sectors.")
        by_model[model].append(entry)
    corridor_codes = {entry["pk"]: entry["fields"]["code"] for entry in by_model["projects.corridor"]}
    sector_codes = {entry["pk"]: entry["fields"]["code"] for entry in by_model["projects.sector"]}

    counts: Counter = Counter()
    with transaction.atomic():
        for entry in by_model["projects.corridor"]:
            fields = dict(entry["fields"])
            _create_or_skip(Corridor, {"code": fields.pop("code")}, fields, counts, "corridors")
        for entry in by_model["projects.pillar"]:
            fields = dict(entry["fields"])
            aligned = fields.pop("aligned_corridor", None)
            fields["aligned_corridor"] = _vocabulary(Corridor, corridor_codes, aligned, path) if aligned else None
            _create_or_skip(Pillar, {"code": fields.pop("code")}, fields, counts, "pillars")
        # Top-level sectors first, so that every child finds its parent.
        for entry in sorted(by_model["projects.sector"], key=lambda e: e["fields"].get("parent") is not None):
            fields = dict(entry["fields"])
            parent = fields.pop("parent", None)
            fields["parent"] = _vocabulary(Sector, sector_codes, parent, path) if parent else None
            _create_or_skip(Sector, {"code": fields.pop("code")}, fields, counts, "sectors")
    return _result(counts, ["corridors", "pillars", "sectors"])


def _vocabulary(model: type[models.Model], codes: dict[int, str], pk: int, path: Path):
    if pk not in codes:
        raise SeedDataError(f"{path}: no {model._meta.verbose_name} with pk {pk} in the fixture.")
    found = model.objects.filter(code=codes[pk]).first()
    if found is None:
        raise SeedDataError(f"{path}: {model._meta.verbose_name} {codes[pk]!r} is missing.")
    return found


# --- projects -------------------------------------------------------------------------------------------------


def load_projects(path: Path | None = None) -> dict[str, int]:
    """Create the sources, organisations and projects of the seed data that do not exist yet.

    Needs the vocabularies (``load_vocabularies``). A project whose slug exists is skipped whole, with everything
    that hangs off it, so editors' changes are never overwritten. Raises ``SeedDataError`` listing every project
    the registry's rules refused, after loading all the others.
    """
    path = path or PROJECTS_FILE
    data = _read(path)
    lists = ("sources", "organisations", "projects")
    if not isinstance(data, dict) or not all(isinstance(data.get(key), list) for key in lists):
        raise SeedDataError(f"{path}: expected an object with the lists 'sources', 'organisations' and 'projects'.")
    references = _vocabularies(data["projects"])
    counts: Counter = Counter()

    try:
        with transaction.atomic():
            sources = {
                entry["url"]: _create_or_skip(
                    Source,
                    {"url": entry["url"]},
                    {
                        "title": entry["title"],
                        "publisher": entry.get("publisher", ""),
                        "kind": entry["kind"],
                        "published_on": _date(entry.get("published_on")),
                    },
                    counts,
                    "sources",
                )
                for entry in data["sources"]
            }
            organisations = {
                entry["slug"]: _create_or_skip(
                    Organisation,
                    {"slug": entry["slug"]},
                    {"name": entry["name"], "country": entry.get("country", ""), "kind": entry["kind"]},
                    counts,
                    "organisations",
                )
                for entry in data["organisations"]
            }
            for entry in data.get("exchange_rates", []):
                _exchange_rate(entry, sources, counts)
    except (KeyError, TypeError, ValueError) as error:
        raise SeedDataError(f"{path}: malformed source, organisation or exchange-rate entry ({error!r}).") from None

    _create_each(
        data["projects"],
        lambda record: _create_project(record, references, sources, organisations),
        model=Project,
        noun="project",
        counts=counts,
        path=path,
    )
    return _result(counts, ["sources", "organisations", "exchange_rates", "projects"])


def _exchange_rate(entry: dict, sources: dict[str, Source], counts: Counter) -> None:
    """Create-or-skip a rate by currency and year, through ``services.exchange_rate_save``; before the projects,
    whose figures it converts."""
    if ExchangeRate.objects.filter(currency=entry["currency"], year=entry["year"]).exists():
        counts["exchange_rates_skipped"] += 1
        return
    rate = ExchangeRate(
        currency=entry["currency"],
        year=entry["year"],
        usd_per_unit=Decimal(entry["usd_per_unit"]),
        source=_source(sources, entry["source_url"]),
    )
    try:
        services.exchange_rate_save(rate=rate)
    except ValidationError as error:
        raise SeedDataError(f"exchange rate {entry['currency']} {entry['year']}: {_describe(error)}") from None
    counts["exchange_rates_created"] += 1


def _vocabularies(records: list[dict]) -> dict[str, dict[str, models.Model]]:
    """The vocabulary rows the projects refer to, by code; refuses to start when one is missing."""
    references = {
        "corridor": {row.code: row for row in Corridor.objects.all()},
        "pillars": {row.code: row for row in Pillar.objects.all()},
        "sector": {row.code: row for row in Sector.objects.all()},
        "provinces": {row.code: row for row in Province.objects.all()},
    }
    missing = set()
    for record in records:
        if not isinstance(record, dict):
            continue
        for key, table in references.items():
            wanted = record.get(key)
            for code in wanted if isinstance(wanted, list) else [wanted]:
                if code is not None and code not in table:
                    missing.add(f"{key} {code!r}")
    if missing:
        raise SeedDataError(
            f"Missing vocabulary entries: {', '.join(sorted(missing))}. Load the vocabularies first "
            "(load_vocabularies, or the load_seed_data command, which does both)."
        )
    return references


def _source(sources: dict[str, Source], url: str) -> Source:
    if url not in sources:
        raise SeedDataError(f"cites {url}, which is not in the fixture's sources.")
    return sources[url]


def _create_project(record: dict, references: dict, sources: dict, organisations: dict) -> Project:
    project = services.project_create(
        slug=record["slug"],
        name=record["name"],
        summary=record.get("summary", ""),
        editorial_note=record.get("editorial_note", ""),
        confidence=record.get("confidence", ""),
        location_precision=record.get("location_precision", ""),
        phase=record["phase"],
        corridor=references["corridor"][record["corridor"]] if record.get("corridor") else None,
        pillars=[references["pillars"][code] for code in record["pillars"]],
        sector=references["sector"][record["sector"]],
        provinces=[references["provinces"][code] for code in record["provinces"]],
        sources=[_source(sources, url) for url in record.get("sources", [])],
        place_name=record.get("place_name", ""),
        latitude=record.get("latitude"),
        longitude=record.get("longitude"),
        capacity_value=record.get("capacity_value"),
        capacity_unit=record.get("capacity_unit", ""),
        mou_signed_on=_date(record.get("mou_signed_on")),
        financial_close_on=_date(record.get("financial_close_on")),
        construction_started_on=_date(record.get("construction_started_on")),
        completed_on=_date(record.get("completed_on")),
        publication=record["publication"],
    )
    # In the fixture's order, which is date order: the registry checks each step against the ones before it.
    for change in record.get("status_changes", []):
        services.status_change_record(
            project=project,
            status=change["status"],
            date=_date(change["date"]),
            source=_source(sources, change["source_url"]),
            note=change.get("note", ""),
            quote=change.get("quote", ""),
        )
    for figure in record.get("investments", []):
        services.investment_figure_record(
            project=project,
            kind=figure["kind"],
            amount=Decimal(figure["amount"]),
            currency=figure["currency"],
            no_usd_reason=figure.get("no_usd_reason", ""),
            as_of=_date(figure["as_of"]),
            source=_source(sources, figure["source_url"]),
            note=figure.get("note", ""),
            quote=figure.get("quote", ""),
            is_preferred=figure.get("is_preferred", False),
        )
    for participation in record.get("participations", []):
        if participation["organisation"] not in organisations:
            raise SeedDataError(f"names organisation {participation['organisation']!r}, which is not in the fixture.")
        row = Participation(
            project=project,
            organisation=organisations[participation["organisation"]],
            role=participation["role"],
            note=participation.get("note", ""),
        )
        row.full_clean()
        row.save()
    for identifier in record.get("external_ids", []):
        row = ExternalIdentifier(
            project=project,
            scheme=identifier["scheme"],
            value=identifier["value"],
            url=identifier.get("url", ""),
            quote=identifier.get("quote", ""),
        )
        row.full_clean()
        row.save()
    return project


# --- governance events ----------------------------------------------------------------------------------------


def load_events(path: Path | None = None) -> dict[str, int]:
    """Create the governance events of the seed data that do not exist yet (matched by slug), through
    ``services.event_create`` with their sources and the projects they concern.

    Needs the projects and sources (``load_projects``). An event whose slug exists is skipped whole, links
    included. Each event is created in its own transaction; refusals are reported together, after the others.
    """
    path = path or PROJECTS_FILE
    data = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("events", []), list):
        raise SeedDataError(f"{path}: expected an object whose 'events' is a list.")
    counts: Counter = Counter()
    _create_each(
        data.get("events", []),
        _create_event,
        model=Event,
        noun="event",
        counts=counts,
        path=path,
    )
    return _result(counts, ["events"])


def _create_event(record: dict) -> Event:
    sources = []
    for url in record["sources"]:
        source = Source.objects.filter(url=url).first()
        if source is None:
            raise SeedDataError(f"cites {url}, which is not loaded (load the projects first).")
        sources.append(source)
    links = []
    for link in record.get("projects", []):
        project = Project.objects.filter(slug=link["project"]).first()
        if project is None:
            raise SeedDataError(f"names project {link['project']!r}, which is not loaded.")
        links.append({"project": project, "role": link["role"], "note": link.get("note", "")})
    return services.event_create(
        slug=record["slug"],
        kind=record["kind"],
        title=record["title"],
        date=_date(record["date"]),
        date_precision=record["date_precision"],
        place=record.get("place", ""),
        summary=record.get("summary", ""),
        quote=record.get("quote", ""),
        sources=sources,
        projects=links,
    )
