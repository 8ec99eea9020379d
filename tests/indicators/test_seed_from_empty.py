"""The indicators seed loaded into a database that does not hold it yet: what it reuses and what it refuses.

Apart from tests/indicators/test_seed.py because those tests share one load for the module (``loaded``), which
these tests must not see.
"""

import json
from pathlib import Path

import pytest

from indicators.models import Indicator, Observation
from indicators.seed import FIXTURES_DIR, SeedDataError, load_indicators
from projects.models import Source
from tests.factories import CorridorFactory, SourceFactory

REUTERS_FIREWALL_URL = (
    "https://www.reuters.com/technology/pakistans-internet-firewall-could-cost-economy-300-million-"
    "association-says-2024-08-15/"
)


def test_load_indicators_reuses_existing_source_by_url(corridors):
    existing = SourceFactory(url=REUTERS_FIREWALL_URL, title="Firewall cost (Reuters)")

    counts = load_indicators()

    assert (counts["sources_created"], counts["sources_reused"]) == (51, 1)
    assert Observation.objects.get(indicator__code="it-exports-usd", period_start="2023-07-01").source == existing
    existing.refresh_from_db()
    assert existing.title == "Firewall cost (Reuters)"


def test_load_indicators_missing_corridor_fails_clearly_and_writes_nothing(db):
    for code in ["growth", "livelihood", "innovation", "connectivity"]:
        CorridorFactory(code=code)

    with pytest.raises(SeedDataError) as raised:
        load_indicators()

    assert str(raised.value) == (
        "Missing corridor(s) green, used by indicator(s) electricity-reliability, tariff-predictability, "
        "renewable-integration, power-circular-debt, solar-panel-imports, cpec-power-capacity-mw: load the corridor "
        "vocabulary first."
    )
    assert (Indicator.objects.count(), Source.objects.count()) == (0, 0)


def test_load_indicators_invalid_observation_fails_with_its_entry_and_writes_nothing(corridors, tmp_path: Path):
    indicators = json.loads((FIXTURES_DIR / "indicators.json").read_text(encoding="utf-8"))
    observations = json.loads((FIXTURES_DIR / "observations.json").read_text(encoding="utf-8"))
    observations[1]["period_end"] = "2023-12-31"
    (tmp_path / "indicators.json").write_text(json.dumps(indicators), encoding="utf-8")
    (tmp_path / "observations.json").write_text(json.dumps(observations), encoding="utf-8")

    with pytest.raises(SeedDataError) as raised:
        load_indicators(tmp_path)

    assert str(raised.value) == (
        "observations.json, entry 2 (exports-usd, 2024-01-01): "
        "period_end: The period cannot end (2023-12-31) before it starts (2024-01-01)."
    )
    assert (Indicator.objects.count(), Observation.objects.count()) == (0, 0)
