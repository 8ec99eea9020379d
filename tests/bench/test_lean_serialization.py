"""The project list's lean path (attached relations, unrolled serializer) gives exactly DRF's generic output."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Prefetch
from rest_framework.test import APIRequestFactory

from projects.api.serializers import PROJECT_LIST_FIELDS, ProjectSerializer
from projects.api.views import PARTICIPANT_ORDER
from projects.models import Participation, Pillar, Project, Province
from registry.api.renderers import dumps


@pytest.fixture
def synthetic_registry(db):
    call_command("seed_synthetic", projects=120, observations=200, stdout=StringIO())


def generic_rows(slugs: list[str]) -> list[dict]:
    """The list shape through DRF's generic field loop, relations prefetched the classic way."""
    projects = {
        project.slug: project
        for project in Project.objects.filter(slug__in=slugs)
        .select_related("corridor", "sector")
        .prefetch_related(
            Prefetch("pillars", queryset=Pillar.objects.order_by("code")),
            Prefetch("provinces", queryset=Province.objects.order_by("code")),
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("organisation").order_by(*PARTICIPANT_ORDER),
            ),
        )
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
