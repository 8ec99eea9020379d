"""The seed loaders (projects.seed), the load_seed_data command and the committed fixtures they read."""

import datetime
import importlib.util
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from indicators.models import Indicator, Observation
from projects import choices, seed, services
from projects.models import (
    Corridor,
    Event,
    EventProject,
    ExchangeRate,
    InvestmentFigure,
    Pillar,
    Project,
    Sector,
    Source,
    StatusChange,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
SHARED_CSV = PROJECT_DIR.parent / "shared" / "data" / "cpec_projects.csv"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The fixtures loaded once for this module, inside a transaction rolled back after its last test.

    Each test still runs in its own savepoint (the ``db`` fixture), so what a test writes is undone after it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        counts = {**seed.load_vocabularies(), **seed.load_projects(), **seed.load_events()}
        yield counts
        transaction.set_rollback(True)


def snapshot() -> dict:
    """Row counts of every projects table (history tables included) and every project's updated_at."""
    counts = {model._meta.label: model.objects.count() for model in apps.get_app_config("projects").get_models()}
    return {"counts": counts, "updated_at": dict(Project.objects.values_list("slug", "updated_at"))}


def write_fixture(tmp_path: Path, projects: list[dict]) -> Path:
    """A projects fixture with one source, https://example.org/seed-test, and the given project records."""
    path = tmp_path / "projects.json"
    sources = [{"url": "https://example.org/seed-test", "title": "Seed test", "publisher": "", "kind": "other"}]
    data = {"sources": sources, "organisations": [], "projects": projects}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def minimal_project(slug: str, **fields) -> dict:
    return {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "phase": "2",
        "corridor": "growth",
        "pillars": ["export"],
        "sector": "industrial-sez",
        "provinces": ["PK-SD"],
        "publication": "published",
        "sources": ["https://example.org/seed-test"],
        "status_changes": [
            {"status": "pipeline", "date": "2024-01-01", "source_url": "https://example.org/seed-test", "note": ""}
        ],
        **fields,
    }


# --- the real seed data -----------------------------------------------------------------------------------------


def test_load_seed_data_on_empty_database_creates_every_record(seeded):
    assert seeded == {
        "corridors_created": 5,
        "corridors_skipped": 0,
        "pillars_created": 5,
        "pillars_skipped": 0,
        "sectors_created": 21,
        "sectors_skipped": 0,
        "sources_created": 307,
        "sources_skipped": 0,
        "organisations_created": 69,
        "organisations_skipped": 0,
        "exchange_rates_created": 6,
        "exchange_rates_skipped": 0,
        "projects_created": 77,
        "projects_skipped": 0,
        "events_created": 25,
        "events_skipped": 0,
    }


def test_seed_projects_are_published_except_the_records_not_known_to_be_cpec(seeded, db):
    assert Project.objects.count() == 77
    assert Project.objects.published().count() == 75
    assert sorted(Project.objects.filter(publication=choices.Publication.DRAFT).values_list("slug", flat=True)) == [
        "chashma-nuclear-unit-5",
        "mahl-hydropower-project",
    ]


def test_seed_vocabularies_are_the_domain_tables(seeded, db):
    assert [(c.order, c.code, c.name) for c in Corridor.objects.all()] == [
        (1, "growth", "Growth Corridor"),
        (2, "livelihood", "Livelihood Corridor"),
        (3, "innovation", "Innovation Corridor"),
        (4, "green", "Green Corridor"),
        (5, "connectivity", "Regional Connectivity Corridor"),
    ]
    assert dict(Corridor.objects.values_list("code", "aliases")) == {
        "growth": ["Corridor of Growth", "Corridor of Job Creation"],
        "livelihood": ["Livelihood-enhancing Corridor", "Inclusive Regional Development Corridor"],
        "innovation": ["Corridor of Innovation"],
        "green": ["Corridor of Green Energy", "Corridor of Green Economy", "Green Development"],
        "connectivity": ["Openness Corridor", "Corridor of Openness"],
    }
    assert [(p.code, p.name, p.aligned_corridor.code) for p in Pillar.objects.order_by("code")] == [
        ("e-pakistan", "E-Pakistan", "innovation"),
        ("energy", "Energy", "green"),
        ("environment", "Environment", "green"),
        ("equity", "Equity", "livelihood"),
        ("export", "Export", "growth"),
    ]
    children = {
        parent.code: sorted(parent.children.values_list("code", flat=True))
        for parent in Sector.objects.filter(parent=None)
    }
    assert children == {
        "agriculture": [],
        "digital": [],
        "energy": [
            "energy-coal",
            "energy-hydro",
            "energy-nuclear",
            "energy-solar",
            "energy-transmission",
            "energy-wind",
        ],
        "industrial": ["industrial-sez"],
        "ports-logistics": [],
        "social": ["social-education", "social-health", "social-water"],
        "transport": ["transport-aviation", "transport-rail", "transport-road", "transport-urban-transit"],
    }


def test_seed_sahiwal_record_is_exact(seeded, db):
    project = Project.objects.get(slug="sahiwal-coal-power-plant")

    assert (project.name, project.phase, project.corridor, project.sector.code) == (
        "Sahiwal 2x660 MW Coal-fired Power Plant",
        "1",
        None,  # a phase-1 coal plant: no source assigns it to a CPEC 2.0 corridor
        "energy-coal",
    )
    assert (project.confidence, project.location_precision) == ("high", "approximate")
    assert list(project.pillars.values_list("code", flat=True)) == ["energy"]
    assert list(project.provinces.values_list("code", flat=True)) == ["PK-PB"]
    assert (project.latitude, project.longitude) == (Decimal("30.7135"), Decimal("73.2432"))
    assert (project.capacity_value, project.capacity_unit) == (Decimal("1320"), "MW")
    key_dates = (project.mou_signed_on, project.financial_close_on, project.construction_started_on)
    assert key_dates == (datetime.date(2013, 11, 1), datetime.date(2017, 2, 1), datetime.date(2015, 7, 31))
    assert project.completed_on == datetime.date(2017, 10, 28)
    assert (project.status, project.status_since) == ("operational", datetime.date(2017, 10, 28))
    assert (project.announced_usd, project.committed_usd, project.realised_usd, project.realisation_ratio) == (
        Decimal("1912000000"),
        None,
        Decimal("1600000000"),
        Decimal("0.8368"),
    )
    assert [(c.status, c.date, c.source.url) for c in project.status_changes.all()] == [
        ("mou", datetime.date(2013, 11, 1), "https://www.gem.wiki/Sahiwal_power_station"),
        ("implementation", datetime.date(2015, 7, 31), "http://pk.china-embassy.org/eng/zbgx/CPEC/t1627100.htm"),
        (
            "operational",
            datetime.date(2017, 10, 28),
            "https://www.nation.com.pk/26-Sep-2024/annual-capacity-test-for-sahiwal-coal-fired-power-plant-completed",
        ),
    ]
    figures = [(f.kind, f.amount, f.currency, f.as_of, f.is_preferred, f.source.url) for f in project.investments.all()]
    assert figures == [
        ("announced", Decimal("1800000000"), "USD", datetime.date(2017, 8, 2), False,
         "http://pakobserver.net/sahiwal-speed-bringing-cpec-fruition/"),
        ("announced", Decimal("1912000000"), "USD", datetime.date(2024, 1, 1), True,
         "https://www.brecorder.com/news/40333662/cpec-38-projects-worth-25bn-already-completed"),
        ("realised", Decimal("1600000000"), "USD", datetime.date(2017, 12, 6), True,
         "https://www.app.com.pk/work-on-power-projects-under-cpec-ahead-of-shcedule/"),
    ]  # fmt: skip
    assert sorted(project.participations.values_list("organisation__slug", "role")) == [
        ("huaneng-shandong", "sponsor"),
        ("icbc", "financier"),
        ("shandong-ruyi", "sponsor"),
    ]
    assert list(project.external_ids.values_list("scheme", "value")) == [("gem", "Sahiwal_power_station")]
    assert project.sources.count() == 8


def test_seed_history_keeps_the_registry_rules_where_the_data_would_break_them(seeded, db):
    orange_line = Project.objects.get(slug="lahore-orange-line")
    m6 = Project.objects.get(slug="m6-sukkur-hyderabad-motorway")
    azad_pattan = Project.objects.get(slug="azad-pattan-hydropower")

    # The loan agreements came after construction began: not a backward "mou" step, but still the key date.
    assert list(orange_line.status_changes.values_list("status", "date")) == [
        ("implementation", datetime.date(2015, 10, 25)),
        ("operational", datetime.date(2020, 10, 25)),
    ]
    assert orange_line.mou_signed_on == datetime.date(2015, 12, 21)
    # A foundation-stone ceremony in the MoU column is neither an agreement nor a construction start.
    assert list(m6.status_changes.values_list("status", "date")) == [("pipeline", datetime.date(2025, 10, 1))]
    assert m6.mou_signed_on is None
    # "pipeline (agreements signed ...)" after signed agreements confirms the mou stage instead of moving back.
    # A later report of the same stage is a confirmation in the note, not a second step: status_since stays.
    assert list(azad_pattan.status_changes.values_list("status", "date")) == [("mou", datetime.date(2020, 7, 6))]
    assert azad_pattan.status_since == datetime.date(2020, 7, 6)
    assert (
        'on 2024-08-21: "pipeline (agreements signed, financial close pending)"'
        in azad_pattan.status_changes.last().note
    )


def test_seed_statuses_follow_the_mapping(seeded, db):
    statuses = dict.fromkeys(["", *choices.Status.values], 0)
    for status in Project.objects.values_list("status", flat=True):
        statuses[status] += 1

    assert statuses == {
        "": 5,  # the sources give no dated status (three undated, two none)
        "pipeline": 14,  # Islamabad Model SEZ: a foundation stone laid is not implementation
        "mou": 7,
        "implementation": 11,
        "operational": 37,
        "suspended": 2,
        "cancelled": 1,
    }
    assert Project.objects.get(slug="rahim-yar-khan-coal-power-plant").status == "cancelled"


def test_seed_figures_and_status_changes_cite_their_projects_sources(seeded, db):
    uncited = [
        f"{row.project.slug}: {row}"
        for model in (StatusChange, InvestmentFigure)
        for row in model.objects.select_related("project", "source")
        if not row.project.sources.filter(pk=row.source_id).exists() or not row.source.url
    ]

    assert uncited == []
    assert StatusChange.objects.count() == 124
    assert InvestmentFigure.objects.count() == 84
    assert sorted(Project.objects.filter(status="").values_list("slug", flat=True)) == [
        "balochistan-solar-lighting-units",
        "bolan-medical-complex-emergency-centre",
        "gwadar-fishermen-boat-engines",
        "gwadar-fresh-water-treatment-and-supply",
        "khuzdar-panjgur-transmission-line",
    ]


def test_seed_derived_fields_equal_a_fresh_computation(seeded, db):
    drift = {}
    for project in Project.objects.all():
        fresh = services.compute_derived(project)
        stored = {name: getattr(project, name) for name in fresh}
        if stored != fresh:
            drift[project.slug] = (stored, fresh)

    assert drift == {}


def test_seed_havelian_dry_port_from_the_more_csv_is_exact(seeded, db):
    project = Project.objects.get(slug="havelian-dry-port")
    quote = (
        "Framework agreement signed in May 2017; Feasibility report finalized in June 2017 ... Projected Total "
        "Project Costs USD 65 million"
    )

    assert (project.name, project.sector.code, project.place_name, project.publication) == (
        "Havelian Dry Port (Baldhair, Haripur)",
        "ports-logistics",
        "Baldhair, Haripur District",
        "published",
    )
    assert list(project.provinces.values_list("code", flat=True)) == ["PK-KP"]
    assert [(c.status, c.date, c.source.url, c.quote) for c in project.status_changes.all()] == [
        ("mou", datetime.date(2017, 5, 1), "https://www.beltroad-initiative.com/bri-factsheet-series-havelian-dry-port/",
         quote),
    ]  # fmt: skip
    assert 'on 2020-09-28: "pipeline (framework agreement' in project.status_changes.get().note
    figures = [(f.kind, f.amount, f.currency, f.as_of, f.source.url, f.quote) for f in project.investments.all()]
    assert figures == [
        ("announced", Decimal("65000000"), "USD", datetime.date(2016, 11, 1), "https://china.aiddata.org/projects/53722",
         quote),
    ]  # fmt: skip
    assert list(project.external_ids.values_list("scheme", "value", "quote")) == [
        (
            "aiddata",
            "53722",
            "Chinese Government pledges loan for the Havelian Dry Dock Port Project ... In November 2016, a request "
            "was made for Chinese funding for the $65 million Havelian Dry Dock Port.",
        )
    ]


def test_seed_external_id_of_an_existing_project_keeps_its_quote(seeded, db):
    port_qasim = Project.objects.get(slug="port-qasim-coal-power-plant")

    assert list(port_qasim.external_ids.values_list("scheme", "value", "url", "quote")) == [
        (
            "gem",
            "Port_Qasim_EPC_power_station",
            "https://www.gem.wiki/Port_Qasim_EPC_power_station",
            "Port Qasim EPC power station is an operating power station of at least 1320-megawatts (MW) in Port "
            "Qasim, Sindh, Pakistan.",
        )
    ]


def test_seed_undated_status_and_money_stay_in_the_summary(seeded, db):
    project = Project.objects.get(slug="gwadar-fresh-water-treatment-and-supply")

    assert (project.status, project.status_since, project.announced_usd) == ("", None, None)
    assert project.investments.count() == 0
    assert 'without a date: "completed (reported among completed CPEC socio-economic projects)"' in project.summary
    assert "The US$130m figure is not recorded as an investment figure" in project.editorial_note


def test_seed_event_with_a_month_keeps_it_and_links_the_named_projects(seeded, db):
    event = Event.objects.get(slug="3rd-jcc-meeting")

    assert (event.kind, event.date, event.date_precision, event.date_text, event.place) == (
        "jcc-meeting",
        datetime.date(2014, 8, 1),
        "month",
        "2014-08",
        "Beijing",
    )
    assert event.quote.startswith("The request came as the result of a joint feasibility study")
    assert sorted(event.sources.values_list("url", flat=True)) == [
        "https://china.aiddata.org/projects/53722",
        "https://www.beltroad-initiative.com/bri-factsheet-series-havelian-dry-port/",
    ]
    assert sorted(event.project_links.values_list("project__slug", "role", "note")) == [
        ("havelian-dry-port", "reviewed", "Role by the registry's rule for the kind of event (jcc-meeting): reviewed."),
        (
            "ml1-railway-upgrade",
            "reviewed",
            "Role by the registry's rule for the kind of event (jcc-meeting): reviewed.",
        ),
    ]


def test_seed_events_keep_partial_dates_and_the_documented_role_exceptions(seeded, db):
    first = Event.objects.get(slug="1st-jcc-meeting")
    sixth = Event.objects.get(slug="6th-jcc-meeting")

    assert (first.date, first.date_precision, first.project_links.count()) == (datetime.date(2013, 1, 1), "year", 0)
    assert Event.objects.count() == 25
    assert EventProject.objects.count() == 24
    assert sorted(sixth.project_links.values_list("project__slug", "role")) == [
        ("greater-peshawar-mass-transit", "reviewed"),
        ("karachi-circular-railway", "reviewed"),
        ("matiari-lahore-hvdc-line", "approved"),
        ("quetta-mass-transit-train", "reviewed"),
    ]


def test_seed_pkr_final_expenditure_is_converted_at_the_2020_imf_rate(seeded, db):
    kkh = Project.objects.get(slug="kkh-havelian-thakot")
    figure = kkh.investments.get(currency="PKR")

    assert (figure.kind, figure.amount, figure.as_of, figure.source.url) == (
        "realised",
        Decimal("118137670000"),
        datetime.date(2020, 1, 1),
        "https://www.pc.gov.pk/web/projects/cdetail/5",
    )
    assert (figure.exchange_rate.year, figure.exchange_rate.usd_per_unit) == (2020, Decimal("0.0061789422"))
    assert figure.exchange_rate.source.url == "http://www.indexmundi.com/facts/pakistan/indicator/PA.NUS.FCRF"
    assert (figure.amount_usd, figure.amount_usd_converted, figure.no_usd_reason) == (
        Decimal("729965834.57"),  # Rs118,137.67m at 161.84 PKR per USD (1/161.84 to 10 decimal places)
        True,
        "",
    )
    assert kkh.realised_usd == Decimal("729965834.57")
    assert sorted(ExchangeRate.objects.values_list("year", flat=True)) == [2016, 2017, 2018, 2019, 2020, 2021]


def test_seed_pkr_figures_without_a_sourced_rate_say_why(seeded, db):
    kcr = InvestmentFigure.objects.get(project__slug="karachi-circular-railway", currency="PKR")
    m14 = InvestmentFigure.objects.get(project__slug="m14-hakla-di-khan-motorway", currency="PKR")

    assert (kcr.kind, kcr.amount, kcr.as_of, kcr.amount_usd) == (
        "announced",
        Decimal("292400000000"),
        datetime.date(2022, 11, 1),
        None,
    )
    assert (
        kcr.no_usd_reason
        == "No sourced PKR/USD rate for 2022 in the registry (the seeded IMF annual averages end in 2021)."
    )
    assert (m14.kind, m14.amount, m14.as_of, m14.amount_usd) == (
        "realised",
        Decimal("81000000000"),
        datetime.date(2025, 1, 1),
        None,
    )
    assert m14.no_usd_reason.startswith("No sourced PKR/USD rate for 2025")


def test_seed_status_since_is_the_date_the_status_was_reached(seeded, db):
    port_qasim = Project.objects.get(slug="port-qasim-coal-power-plant")
    dawood = Project.objects.get(slug="hydrochina-dawood-wind-farm")
    islamabad_sez = Project.objects.get(slug="islamabad-model-sez")

    assert (port_qasim.status, port_qasim.status_since) == ("operational", datetime.date(2017, 11, 29))
    assert port_qasim.status_changes.last().source.url == "https://fp.brecorder.com/2017/11/20171130323037/"
    assert "As confirmed by" in port_qasim.status_changes.last().note
    assert "on 2023-02-06" in port_qasim.status_changes.last().note
    assert (dawood.status, dawood.status_since) == ("operational", datetime.date(2016, 1, 1))
    assert (islamabad_sez.status, islamabad_sez.construction_started_on) == ("pipeline", None)


def test_seed_flood_grant_and_dtmb_pilot_have_no_province(seeded, db):
    flood = Project.objects.get(slug="flood-rehabilitation-grant")
    dtmb = Project.objects.get(slug="ptv-dtmb-pilot")

    assert list(flood.provinces.all()) == []
    assert list(dtmb.provinces.all()) == []
    assert (flood.location_precision, flood.announced_usd) == ("", Decimal("116000000"))
    assert "Nationwide, with no province named by the sources" in flood.editorial_note


def test_seed_corridors_only_where_the_documented_rule_assigns_one(seeded, db):
    unassigned_phase_2 = Project.objects.filter(phase="2", corridor=None).values_list("sector__code", flat=True)

    assert Project.objects.filter(phase="1").exclude(corridor=None).count() == 0
    assert set(unassigned_phase_2) == {"energy-coal"}
    assert Project.objects.filter(corridor__code="green", sector__code="energy-coal").count() == 0
    assert Project.objects.get(slug="havelian-dry-port").corridor is None  # phase 1 by its 2017 agreement
    assert Project.objects.get(slug="gwadar-port-breakwaters").corridor.code == "connectivity"


def test_seed_public_summaries_carry_no_seed_pipeline_notes(seeded, db):
    leaks = [
        project.slug
        for project in Project.objects.all()
        for marker in ("mou_date", "cod_date", "construction_start", "status_as_of", "Seed-data confidence",
                       "(seed data:")
        if marker in project.summary
    ]  # fmt: skip
    n30 = Project.objects.get(slug="n30-khuzdar-basima-road")

    assert leaks == []
    assert n30.summary.startswith(
        "Highway (2-lane). Included in CPEC at 6th JCC (Dec 2016); length also given as 106 km; operational per "
        "Economic Survey 2024-25 (opening date not captured)."
    )
    assert "mou_date = ECNEC PC-I approval 12 Apr 2017" in n30.editorial_note
    assert n30.confidence == "medium"
    assert sorted(set(Project.objects.values_list("confidence", flat=True))) == ["high", "low", "medium"]


def test_seed_second_load_creates_and_changes_nothing(seeded, db):
    before = snapshot()

    counts = {**seed.load_vocabularies(), **seed.load_projects(), **seed.load_events()}

    assert counts == {
        "corridors_created": 0,
        "corridors_skipped": 5,
        "pillars_created": 0,
        "pillars_skipped": 5,
        "sectors_created": 0,
        "sectors_skipped": 21,
        "sources_created": 0,
        "sources_skipped": 307,
        "organisations_created": 0,
        "organisations_skipped": 69,
        "exchange_rates_created": 0,
        "exchange_rates_skipped": 6,
        "projects_created": 0,
        "projects_skipped": 77,
        "events_created": 0,
        "events_skipped": 25,
    }
    assert snapshot() == before


def test_seed_second_load_keeps_editors_changes(seeded, db):
    project = Project.objects.get(slug="karot-hydropower")
    services.project_update(project=project, name="Karot Hydropower Project (edited)")
    source = Source.objects.get(url="https://dawn.com/news/1321768")
    source.title = "Hub ground-breaking"
    source.save()

    seed.load_projects()

    assert Project.objects.get(slug="karot-hydropower").name == "Karot Hydropower Project (edited)"
    assert Source.objects.get(url="https://dawn.com/news/1321768").title == "Hub ground-breaking"


def observations_and_history() -> tuple:
    observations = list(
        Observation.objects.order_by("pk").values_list(
            "indicator__code", "scope", "project__slug", "period_start", "value", "source__url", "is_preferred", "quote"
        )
    )
    history = Indicator.history.count() + Observation.history.count() + Source.history.count()
    return observations, history, Source.objects.count()


def test_load_seed_data_command_reports_what_it_did_and_changes_nothing_the_second_time(seeded, db):
    call_command("load_seed_data", stdout=io.StringIO())  # the indicators, which `seeded` does not load
    before = observations_and_history()
    out = io.StringIO()

    call_command("load_seed_data", stdout=out)

    assert observations_and_history() == before
    assert len(before[0]) == 97
    assert out.getvalue().splitlines() == [
        "projects.seed.load_vocabularies: corridors 0 created, 5 skipped; pillars 0 created, 5 skipped; "
        "sectors 0 created, 21 skipped",
        "projects.seed.load_projects: sources 0 created, 307 skipped; organisations 0 created, 69 skipped; "
        "exchange_rates 0 created, 6 skipped; projects 0 created, 77 skipped",
        "projects.seed.load_events: events 0 created, 25 skipped",
        "indicators.seed.load_indicators: indicators 0 created, 32 skipped; sources 0 created, 52 reused; "
        "observations 0 created, 97 skipped",
        "Seed data already loaded.",
    ]


# --- refusals ---------------------------------------------------------------------------------------------------


def test_load_projects_refuses_an_invalid_project_and_loads_the_others(seeded, db, tmp_path):
    path = write_fixture(
        tmp_path,
        [
            minimal_project("seed-test-valid"),
            minimal_project("seed-test-outside-pakistan", latitude=10, longitude=70),
        ],
    )

    with pytest.raises(seed.SeedDataError) as raised:
        seed.load_projects(path)

    assert "seed-test-outside-pakistan: latitude: Latitude 10 is outside Pakistan" in str(raised.value)
    assert "1 project(s)" in str(raised.value)
    assert Project.objects.filter(slug="seed-test-valid").exists()
    assert not Project.objects.filter(slug="seed-test-outside-pakistan").exists()


def test_load_projects_refuses_a_backward_status_history(seeded, db, tmp_path):
    history = [
        {"status": "operational", "date": "2020-01-01", "source_url": "https://example.org/seed-test", "note": ""},
        {"status": "pipeline", "date": "2021-01-01", "source_url": "https://example.org/seed-test", "note": ""},
    ]
    path = write_fixture(tmp_path, [minimal_project("seed-test-backward", status_changes=history)])

    with pytest.raises(seed.SeedDataError) as raised:
        seed.load_projects(path)

    assert "seed-test-backward: status: A project cannot move back from operational to pipeline" in str(raised.value)
    assert not Project.objects.filter(slug="seed-test-backward").exists()


def test_load_projects_names_a_source_missing_from_the_fixture(seeded, db, tmp_path):
    path = write_fixture(tmp_path, [minimal_project("seed-test-unsourced", sources=["https://example.org/not-listed"])])

    with pytest.raises(seed.SeedDataError) as raised:
        seed.load_projects(path)

    assert "seed-test-unsourced: cites https://example.org/not-listed, which is not in the fixture's sources." in str(
        raised.value
    )


def test_load_projects_names_missing_vocabulary_before_writing(seeded, db, tmp_path):
    path = write_fixture(tmp_path, [minimal_project("seed-test-unknown-corridor", corridor="no-such-corridor")])

    with pytest.raises(seed.SeedDataError) as raised:
        seed.load_projects(path)

    assert str(raised.value).startswith(
        "Missing vocabulary entries: corridor 'no-such-corridor'. Load the vocabularies"
    )
    assert not Source.objects.filter(url="https://example.org/seed-test").exists()


def test_load_seed_data_command_turns_refusals_into_a_command_error(seeded, db, tmp_path, monkeypatch):
    path = write_fixture(tmp_path, [minimal_project("seed-test-bad-phase", phase="3")])
    monkeypatch.setattr(seed, "PROJECTS_FILE", path)

    with pytest.raises(CommandError) as raised:
        call_command("load_seed_data", stdout=io.StringIO())

    assert str(raised.value).startswith("projects.seed.load_projects: 1 project(s) of")
    assert "seed-test-bad-phase: phase: Value '3' is not a valid choice." in str(raised.value)


# --- the committed fixture files --------------------------------------------------------------------------------


def test_vocabularies_fixture_is_in_django_fixture_format(db):
    text = (PROJECT_DIR / "fixtures" / "vocabularies.json").read_text(encoding="utf-8")

    objects = [item.object for item in serializers.deserialize("json", text)]

    assert [type(obj).__name__ for obj in objects].count("Corridor") == 5
    assert [type(obj).__name__ for obj in objects].count("Pillar") == 5
    assert [type(obj).__name__ for obj in objects].count("Sector") == 21


@pytest.mark.skipif(not SHARED_CSV.exists(), reason="the shared seed CSV is not next to this checkout")
def test_build_projects_reproduces_the_committed_fixture(tmp_path):
    spec = importlib.util.spec_from_file_location("build_projects", PROJECT_DIR / "fixtures" / "build_projects.py")
    build_projects = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_projects)
    output = tmp_path / "projects.json"

    exit_code = build_projects.main([str(SHARED_CSV), "--output", str(output)])

    assert exit_code == 0
    assert output.read_text(encoding="utf-8") == (PROJECT_DIR / "fixtures" / "projects.json").read_text(
        encoding="utf-8"
    )


def builder():
    spec = importlib.util.spec_from_file_location("build_projects", PROJECT_DIR / "fixtures" / "build_projects.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_events_refuses_a_project_name_it_cannot_match(tmp_path):
    build_projects = builder()
    path = tmp_path / "events.csv"
    path.write_text(
        "kind,title,date,place,summary,projects,sources,quote\n"
        'jcc-meeting,2nd JCC meeting,2014,Beijing,Second JCC.,"Karot Hydropower; Nowhere Road",https://example.org/a,Q\n',
        encoding="utf-8",
    )
    projects = [{"name": "Karot Hydropower", "slug": "karot-hydropower"}]

    with pytest.raises(build_projects.BuildError, match="names 'Nowhere Road', which is no project of the seed data"):
        build_projects.build_events(path, projects)


def test_build_events_keeps_partial_dates_and_roles_by_kind(tmp_path):
    build_projects = builder()
    path = tmp_path / "events.csv"
    path.write_text(
        "kind,title,date,place,summary,projects,sources,quote\n"
        "agreement,6th JCC meeting,2015-11,Karachi,An agreement.,Karot Hydropower,https://example.org/a,Q\n",
        encoding="utf-8",
    )
    projects = [{"name": "Karot Hydropower", "slug": "karot-hydropower"}]
    build_projects.EVENT_ROLE_EXCEPTIONS = {}

    events = build_projects.build_events(path, projects)

    assert [(e["slug"], e["date"], e["date_precision"], e["projects"]) for e in events] == [
        (
            "6th-jcc-meeting",
            "2015-11-01",
            "month",
            [
                {
                    "project": "karot-hydropower",
                    "role": "approved",
                    "note": "Role by the registry's rule for the kind of event (agreement): approved.",
                }
            ],
        )
    ]


def test_build_refuses_a_curated_record_with_a_field_it_does_not_know(tmp_path):
    build_projects = builder()
    path = tmp_path / "cpec_projects.csv"
    path.write_text(",".join(build_projects.COLUMNS) + "\n" + "Karot Hydropower" + "," * 19 + "\n", encoding="utf-8")
    build_projects.CURATED = {
        "cpec_projects.csv": [
            {"name": "Karot Hydropower", "slug": "karot-hydropower", "place": "", "financal_close": "2016"}
        ]
    }

    with pytest.raises(
        build_projects.BuildError, match=r"Karot Hydropower: unknown curation fields \['financal_close'\]"
    ):
        build_projects.curated_rows(path, "cpec_projects.csv")


def test_seed_stats_totals_equal_the_projects_headline_sums_computed_apart(seeded, db, api):
    figures = defaultdict(list)
    for figure in InvestmentFigure.objects.filter(project__publication=choices.Publication.PUBLISHED):
        figures[figure.project_id, figure.kind].append(figure)
    expected = {}
    for kind in choices.InvestmentKind.values:
        amounts = [
            services.headline_amount(figures[project_id, kind])
            for project_id in Project.objects.published().values_list("id", flat=True)
        ]
        expected[f"{kind}_usd"] = sum(amount for amount in amounts if amount is not None)

    body = api.get("/api/v1/stats/investment/", {"group_by": "corridor"}).json()

    totals = {key: Decimal(str(body["totals"][key])) for key in expected}
    assert totals == expected
    assert body["totals"]["project_count"] == Project.objects.published().count()
    unassigned = next(group for group in body["groups"] if group["corridor"] is None)
    assert unassigned["project_count"] == Project.objects.published().filter(corridor=None).count()
    assert sum(group["project_count"] for group in body["groups"]) == body["totals"]["project_count"]
