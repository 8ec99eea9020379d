"""Load the indicators seed data (fixtures/indicators/*.json, built from the shared CSVs) into the database.

Create-or-skip, never update, like ``projects.seed``: indicators are matched by code, observations by (indicator,
scope, subject, period, kind, source), sources by URL (or by title and publisher when they have none); what exists is
left exactly as editors made it, so a second run creates nothing and changes nothing. Every observation is written
through ``indicators.services`` (``full_clean()``), all in one transaction.
Corridors (and the projects observations are about) are not created here: they come from the earlier loaders.
"""

import datetime
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from indicators import services
from indicators.models import Indicator, Observation
from indicators.services import resolve_subject
from projects.models import Corridor, Source
from registry.history import recorded_as_one_change

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures" / "indicators"
INDICATOR_FIELDS = ("name", "description", "unit", "level", "dimension", "higher_is_better", "method")
COUNTS = (
    "indicators_created",
    "indicators_skipped",
    "sources_created",
    "sources_reused",
    "observations_created",
    "observations_skipped",
)


class SeedDataError(Exception):
    """The fixtures cannot be loaded as they are: a missing reference or an invalid row, named in the message."""


def _invalid(where: str, error: ValidationError) -> SeedDataError:
    details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return SeedDataError(f"{where}: {details}")


def _read(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedDataError(f"{path} does not exist: run python fixtures/indicators/build.py") from None


def _check_corridors_exist(indicators: list[dict], corridors: dict[str, Corridor]) -> None:
    missing = sorted({code for entry in indicators for code in entry["corridors"]} - corridors.keys())
    if missing:
        users = [entry["code"] for entry in indicators if set(entry["corridors"]) & set(missing)]
        raise SeedDataError(
            f"Missing corridor(s) {', '.join(missing)}, used by indicator(s) {', '.join(users)}: "
            "load the corridor vocabulary first."
        )


def _load_indicator(entry: dict, corridors: dict[str, Corridor], counts: Counter) -> None:
    code = entry["code"]
    if Indicator.objects.filter(code=code).exists():
        counts["indicators_skipped"] += 1
        return
    indicator = Indicator(code=code, **{name: entry[name] for name in INDICATOR_FIELDS})
    try:
        indicator.full_clean()
    except ValidationError as error:
        raise _invalid(f"indicators.json, indicator {code!r}", error) from error
    with recorded_as_one_change(indicator, created=True):
        indicator.save()
        indicator.corridors.set([corridors[corridor] for corridor in entry["corridors"]])
    counts["indicators_created"] += 1


def _source(entry: dict, cache: dict[tuple, Source], counts: Counter, where: str) -> Source:
    identity = ("url", entry["url"]) if entry["url"] else ("title", entry["title"], entry["publisher"])
    if identity in cache:
        return cache[identity]
    if entry["url"]:
        source = Source.objects.filter(url=entry["url"]).first()
    else:
        source = (
            Source.objects.filter(url="", title=entry["title"], publisher=entry["publisher"]).order_by("id").first()
        )
    if source is not None:
        counts["sources_reused"] += 1
    else:
        published_on = entry["published_on"]
        source = Source(
            title=entry["title"],
            publisher=entry["publisher"],
            url=entry["url"],
            published_on=datetime.date.fromisoformat(published_on) if published_on else None,
            kind=entry["kind"],
        )
        try:
            source.full_clean()
        except ValidationError as error:
            raise _invalid(f"{where}, source {entry['title']!r}", error) from error
        source.save()
        counts["sources_created"] += 1
    cache[identity] = source
    return source


def _load_observation(entry: dict, number: int, sources: dict[tuple, Source], counts: Counter) -> None:
    where = f"observations.json, entry {number} ({entry['indicator']}, {entry['period_start']})"
    indicator = Indicator.objects.filter(code=entry["indicator"]).first()
    if indicator is None:
        raise SeedDataError(f"{where}: no indicator with code {entry['indicator']!r}.")
    try:
        subject = resolve_subject(scope=entry["scope"], subject=entry["subject"])
    except ValidationError as error:
        raise _invalid(where, error) from error
    key = {
        "indicator": indicator,
        "scope": entry["scope"],
        **subject,
        "period_start": datetime.date.fromisoformat(entry["period_start"]),
        "period_end": datetime.date.fromisoformat(entry["period_end"]),
        "kind": entry["kind"],
        # Competing values of one indicator, subject, period and kind differ by their source.
        "source": _source(entry["source"], sources, counts, where),
    }
    if Observation.objects.filter(**key).exists():
        counts["observations_skipped"] += 1
        return
    try:
        services.observation_record(
            **key,
            value=Decimal(entry["value"]),
            quote=entry.get("quote", ""),
            is_preferred=entry.get("is_preferred", False),
            note=entry["note"],
        )
    except ValidationError as error:
        raise _invalid(where, error) from error
    counts["observations_created"] += 1


@transaction.atomic
def load_indicators(fixtures_dir: Path = FIXTURES_DIR) -> dict[str, int]:
    """Load indicators.json then observations.json; return how many rows were created, reused or skipped.

    Raises ``SeedDataError`` (and writes nothing) when a referenced corridor, indicator or subject is missing or a
    row is invalid.
    """
    counts = Counter()
    corridors = {corridor.code: corridor for corridor in Corridor.objects.all()}
    indicators = _read(fixtures_dir / "indicators.json")
    _check_corridors_exist(indicators, corridors)
    for entry in indicators:
        _load_indicator(entry, corridors, counts)
    sources: dict[tuple, Source] = {}
    for number, entry in enumerate(_read(fixtures_dir / "observations.json"), start=1):
        _load_observation(entry, number, sources, counts)
    return {name: counts[name] for name in COUNTS}
