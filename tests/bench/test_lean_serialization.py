"""The project list's and detail's lean paths (values() rows, attached relations, fields built once) give exactly
DRF's generic output."""

import csv
import datetime
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Prefetch
from django.db.models.signals import post_init
from django.utils.http import http_date
from rest_framework.test import APIRequestFactory

from projects import choices, services
from projects.api.serializers import PROJECT_LIST_FIELDS, ProjectDetailSerializer, ProjectSerializer
from projects.api.views import PARTICIPANT_ORDER
from projects.as_of import apply_as_of, projects_as_of
from projects.models import (
    EventProject,
    ExternalIdentifier,
    InvestmentFigure,
    Participation,
    Pillar,
    Project,
    Province,
    Source,
    StatusChange,
)
from registry.api.renderers import dumps
from tests import factories


@pytest.fixture
def synthetic_registry(db):
    call_command("seed_synthetic", projects=120, observations=200, stdout=StringIO())


def list_prefetches() -> list[Prefetch]:
    """The relations of the list shape, prefetched the classic way (the reference the row paths must equal)."""
    return [
        Prefetch("pillars", queryset=Pillar.objects.order_by("code")),
        Prefetch("provinces", queryset=Province.objects.order_by("code")),
        Prefetch(
            "participations",
            queryset=Participation.objects.select_related("organisation").order_by(*PARTICIPANT_ORDER),
        ),
    ]


def generic_rows(slugs: list[str]) -> list[dict]:
    """The list shape through DRF's generic field loop, relations prefetched the classic way."""
    projects = {
        project.slug: project
        for project in Project.objects.filter(slug__in=slugs)
        .select_related("corridor", "sector")
        .prefetch_related(*list_prefetches())
    }
    request = APIRequestFactory().get("/api/v1/projects/")
    serializer = ProjectSerializer(context={"request": request})
    return [serializer.generic_representation(projects[slug]) for slug in slugs]


def test_project_list_lean_rows_equal_generic_serializer_byte_for_byte(api, synthetic_registry):
    rows = api.get("/api/v1/projects/?page_size=500").json()["results"]

    expected = generic_rows([row["slug"] for row in rows])

    assert len(rows) > 90
    assert [list(row) for row in rows[:1]] == [PROJECT_LIST_FIELDS]
    assert dumps(rows) == dumps(expected)


def test_project_list_lean_rows_equal_the_detail_view(api, synthetic_registry):
    rows = api.get("/api/v1/projects/?page_size=20&ordering=-announced_usd").json()["results"]

    details = [api.get(row["url"]).json() for row in rows]

    assert rows == [{name: detail[name] for name in PROJECT_LIST_FIELDS} for detail in details]


def test_project_csv_export_rows_equal_the_json_list(api, synthetic_registry):
    rows = api.get("/api/v1/projects/?page_size=500").json()["results"]

    response = api.get("/api/v1/projects/?format=csv")
    exported = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert [row["slug"] for row in exported] == [row["slug"] for row in rows]
    assert [row["pillars"] for row in exported] == [";".join(row["pillars"]) for row in rows]
    assert [row["participants"] for row in exported] == [
        ";".join(f"{p['organisation']}:{p['role']}" for p in row["participants"]) for row in rows
    ]
    assert [row["announced_usd"] for row in exported] == [
        "" if row["announced_usd"] is None else str(row["announced_usd"]) for row in rows
    ]


def test_project_list_rows_as_of_a_date_equal_the_detail_view_as_of_it(api, synthetic_registry):
    query = "as_of=2018-06-30&include_future=true"
    rows = api.get(f"/api/v1/projects/?page_size=40&ordering=-realised_usd&{query}").json()["results"]

    details = [api.get(f"{row['url']}?{query}").json() for row in rows]

    assert len(rows) == 40
    assert {row["status"] for row in rows} > {None}  # some had no status yet, some had one
    assert rows == [{name: detail[name] for name in PROJECT_LIST_FIELDS} for detail in details]


def test_project_list_rows_with_fields_equal_the_full_rows_cut_down(api, synthetic_registry):
    wanted = ["url", "is_stale", "participants", "corridor"]
    full = api.get("/api/v1/projects/?page_size=60").json()["results"]

    rows = api.get(f"/api/v1/projects/?page_size=60&fields={','.join(wanted)}").json()["results"]

    assert rows == [{name: row[name] for name in wanted} for row in full]


# --- the detail ---------------------------------------------------------------------------------------------------


@pytest.fixture
def full_records(db):
    """Projects with every kind of related record (a figure converted with an exchange rate, events dated to the
    day, month and year, identifiers, sources, participants), one with none, and a draft with some."""
    sources = [factories.SourceFactory(title=f"Source {n}", url=f"https://example.org/{n}") for n in range(3)]
    bare_source = factories.SourceFactory(title="Print only", url="", published_on=None)
    rate = factories.add_rate("PKR", 2019, "0.0071", source=sources[2])
    pillars = [factories.PillarFactory(code="energy"), factories.PillarFactory(code="export")]
    full = factories.make_project(
        slug="full-record",
        pillars=pillars,
        provinces=["PK-SD", "PK-BA"],
        latitude="25.123456",
        longitude="66.5",
        capacity_value="1320",
        capacity_unit=choices.CapacityUnit.MW,
        confidence=choices.Confidence.MEDIUM,
        location_precision=choices.LocationPrecision.EXACT,
        mou_signed_on=datetime.date(2014, 4, 20),
        financial_close_on=datetime.date(2015, 12, 1),
        sources=[sources[1], bare_source],
    )
    for organisation, role in [("wapda", "operator"), ("ctg", "sponsor"), ("icbc", "financier")]:
        factories.add_participant(full, factories.OrganisationFactory(slug=organisation), role)
    factories.add_status(full, "mou", datetime.date(2014, 4, 20), source=sources[0], note="MoU signed")
    factories.add_status(full, "implementation", datetime.date(2016, 1, 5), source=bare_source)
    factories.add_status(full, "operational", datetime.date(2019, 6, 30), source=sources[1])
    factories.add_figure(full, "announced", "1980000000", as_of=datetime.date(2014, 4, 20), source=sources[0])
    factories.add_figure(
        full, "announced", "2085000000.50", as_of=datetime.date(2017, 3, 1), is_preferred=True, note="revised"
    )
    factories.add_figure(full, "committed", "250000000000", currency="PKR", as_of=datetime.date(2019, 2, 1))
    factories.add_figure(full, "realised", "1200000000", as_of=datetime.date(2018, 12, 31), source=sources[2])
    ExternalIdentifier.objects.create(project=full, scheme=choices.IdentifierScheme.GEM, value="G100", url="")
    ExternalIdentifier.objects.create(
        project=full, scheme=choices.IdentifierScheme.AIDDATA, value="52000", url="https://aiddata.org/52000"
    )
    bare = factories.make_project(slug="bare-record", corridor=None, sector=factories.SectorFactory(code="social"))
    draft = factories.make_project(slug="draft-record", publication=choices.Publication.DRAFT, sources=[sources[0]])
    factories.add_status(draft, "pipeline", datetime.date(2021, 3, 1), source=sources[0])
    for slug, date, precision, links in [
        ("jcc-4", datetime.date(2014, 12, 1), choices.DatePrecision.MONTH, [(full, "announced"), (draft, "reviewed")]),
        ("jcc-6", datetime.date(2016, 12, 29), choices.DatePrecision.DAY, [(full, "reviewed"), (full, "financed")]),
        ("plan-2017", datetime.date(2017, 1, 1), choices.DatePrecision.YEAR, [(full, "approved")]),
    ]:
        services.event_create(
            slug=slug,
            kind=choices.EventKind.JCC_MEETING,
            title=slug.upper(),
            date=date,
            date_precision=precision,
            sources=[sources[0]],
            projects=[{"project": project, "role": role, "note": f"{slug} {role}"} for project, role in links],
        )
    assert InvestmentFigure.objects.get(currency="PKR").exchange_rate == rate  # converted, so it shows the rate
    return {"full": full, "bare": bare, "draft": draft}


def generic_detail(slug: str, *, on: datetime.date | None = None, fields: list[str] | None = None, query=""):
    """The full record through DRF's generic field loop, its relations prefetched the classic way (as of ``on``:
    the derived fields annotated and applied, the status changes and figures dated by then)."""
    status_changes = StatusChange.objects.select_related("source").order_by("date", "id")
    investments = InvestmentFigure.objects.select_related("source", "exchange_rate__source").order_by(
        "kind", "as_of", "id"
    )
    projects = Project.objects.filter(slug=slug)
    if on is not None:
        projects = projects_as_of(projects, on, include_future=True)
        status_changes, investments = status_changes.filter(date__lte=on), investments.filter(as_of__lte=on)
    project = (
        projects.select_related("corridor", "sector")
        .prefetch_related(
            *list_prefetches(),
            Prefetch("status_changes", queryset=status_changes),
            Prefetch("investments", queryset=investments),
            "external_ids",
            Prefetch(
                "event_links",
                queryset=EventProject.objects.select_related("event").order_by("event__date", "event__slug", "role"),
            ),
            Prefetch("sources", queryset=Source.objects.order_by("id")),
        )
        .get()
    )
    if on is not None:
        apply_as_of(project, on)
    request = APIRequestFactory().get(f"/api/v1/projects/{slug}/?{query}")
    serializer = ProjectDetailSerializer(context={"request": request, "fields": fields})
    return serializer.generic_representation(project)


def test_project_detail_lean_record_equals_generic_serializer_byte_for_byte(api, full_records):
    responses = {slug: api.get(f"/api/v1/projects/{slug}/") for slug in ("full-record", "bare-record")}

    full = responses["full-record"].json()
    assert [len(full[name]) for name in ("status_history", "investments", "external_ids", "events", "sources")] == [
        3,
        4,
        2,
        4,
        2,
    ]
    assert [claim["exchange_rate"] is not None for claim in full["investments"]] == [False, False, True, False]
    assert [event["date"] for event in full["events"]] == ["2014-12", "2016-12-29", "2016-12-29", "2017"]
    for slug, response in responses.items():
        assert response.content == dumps(generic_detail(slug))


def test_project_detail_lean_record_of_a_draft_equals_generic_serializer_for_an_editor(api, editor_api, full_records):
    response = editor_api.get("/api/v1/projects/draft-record/")

    assert response.content == dumps(generic_detail("draft-record"))
    assert api.get("/api/v1/projects/draft-record/").status_code == 404


@pytest.mark.parametrize("on", ["2013-12-31", "2016-06-30", "2018-12-31"])
def test_project_detail_lean_record_as_of_a_date_equals_generic_serializer(api, full_records, on):
    query = f"as_of={on}&include_future=true"

    response = api.get(f"/api/v1/projects/full-record/?{query}")

    assert response.content == dumps(generic_detail("full-record", on=datetime.date.fromisoformat(on), query=query))


def test_project_detail_lean_record_as_of_a_date_before_its_history_is_not_found(api, full_records):
    response = api.get("/api/v1/projects/full-record/?as_of=2013-12-31")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "wanted",
    [
        ["investments", "slug", "is_stale"],
        ["events", "sources", "observations_url", "url"],
        ["status_history", "status", "announced_usd", "realisation_ratio", "participants", "completed_on"],
    ],
)
def test_project_detail_lean_record_with_fields_equals_generic_serializer(api, full_records, wanted):
    query = f"fields={','.join(wanted)}&as_of=2018-06-30"

    response = api.get(f"/api/v1/projects/full-record/?{query}")

    expected = generic_detail("full-record", on=datetime.date(2018, 6, 30), fields=wanted, query=query)
    assert list(response.json()) == wanted
    assert response.content == dumps(expected)


def test_project_detail_with_fields_queries_only_the_wanted_relations(api, full_records, django_assert_num_queries):
    with django_assert_num_queries(3):  # the project, its status history, its sources
        response = api.get("/api/v1/projects/full-record/?fields=slug,status_history,sources,observations_url")

    assert [len(response.json()[name]) for name in ("status_history", "sources")] == [3, 2]


def test_project_detail_lean_records_equal_generic_serializer_over_synthetic_projects(api, synthetic_registry):
    slugs = list(Project.objects.filter(publication="published").order_by("slug").values_list("slug", flat=True))

    mismatched = [slug for slug in slugs if api.get(f"/api/v1/projects/{slug}/").content != dumps(generic_detail(slug))]

    assert len(slugs) > 90
    assert mismatched == []


def test_project_detail_etag_of_the_lean_record_is_the_written_records(editor_api, full_records):
    etag = editor_api.get("/api/v1/projects/full-record/")["ETag"]

    response = editor_api.patch(
        "/api/v1/projects/full-record/", {"place_name": "Port Qasim"}, format="json", HTTP_IF_MATCH=etag
    )

    after = editor_api.get("/api/v1/projects/full-record/")
    assert response.status_code == 200  # If-Match compares with the ETag of the serializer's own output
    assert editor_api.get("/api/v1/projects/full-record/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert editor_api.get("/api/v1/projects/full-record/", HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_project_detail_last_modified_is_sent_with_fields(api, full_records):
    response = api.get("/api/v1/projects/full-record/?fields=slug")

    assert response["Last-Modified"] == http_date(full_records["full"].updated_at.timestamp())
    assert api.get("/api/v1/projects/full-record/?fields=slug&as_of=2018-01-01").has_header("Last-Modified") is False


def test_project_detail_read_builds_no_model_instances(api, full_records):
    built = []

    def count(sender, **kwargs):
        built.append(sender.__name__)

    post_init.connect(count)
    try:
        response = api.get("/api/v1/projects/full-record/?as_of=2018-06-30")
    finally:
        post_init.disconnect(count)

    assert response.status_code == 200
    assert built == []
