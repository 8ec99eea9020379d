"""The public landing page at ``/``: live totals over published projects only, charts, latest changes, links."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.charts import Series, compact_usd, grouped_bar_chart
from tests import factories

pytestmark = pytest.mark.django_db


def figure(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">([^<]*)<', html).group(1)


def test_landing_page_shows_totals_of_published_projects_only(client, registry):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert figure(html, "count-projects") == "4"  # the draft Chashma-5 is not counted
    assert figure(html, "count-corridors") == "3"
    assert figure(html, "count-provinces") == "4"  # PK-PB, PK-JK, PK-SD, PK-KP
    assert figure(html, "total-announced") == "US$10.1 bn"  # 1.42 + 1.912 + 6.8, not the draft's 3.7
    assert figure(html, "total-committed") == "–"
    assert figure(html, "total-realised") == "US$1.7 bn"


def test_landing_page_charts_draw_each_corridor_and_phase(client, registry):
    html = client.get("/").content.decode()

    corridor_chart = html.split('id="corridor-heading"')[1].split("</section>")[0]
    for name in ["Growth Corridor", "Green Corridor", "Regional Connectivity Corridor"]:
        assert f">{name}</text>" in corridor_chart
    assert "<title>Announced: US$3.3 bn</title>" in corridor_chart  # green: Karot 1.42 + Sahiwal 1.912
    phase_chart = html.split('id="phase-heading"')[1].split("</section>")[0]
    assert ">CPEC 1.0</text>" in phase_chart and ">CPEC 2.0</text>" in phase_chart
    assert "<title>Announced: US$6.8 bn</title>" in phase_chart  # phase 2: ML-1 only; Rashakai has no figure


def test_landing_page_links_to_docs_api_downloads_and_admin(client, db):
    html = client.get("/").content.decode()

    for href in [
        "/api/v1/",
        "/api/docs/",
        "/api/redoc/",
        "/api/v1/projects/?format=csv",
        "/api/v1/projects/?format=geojson",
        "/admin/",
        "/api/v1/changes/",
    ]:
        assert f'href="{href}"' in html


def test_landing_page_lists_latest_public_changes_without_drafts(client, registry):
    html = client.get("/").content.decode()

    changes = html.split('id="changes-heading"')[1].split("</section>")[0]
    assert changes.count("<li>") == 8
    assert "chashma-5" not in html


def test_landing_page_query_count_does_not_grow_with_projects(client, registry, vocab, django_assert_num_queries):
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for number in range(10):
        project = factories.make_project(slug=f"extra-{number}", corridor=vocab["corridors"]["growth"])
        factories.add_figure(project, "announced", "1000000")

    with django_assert_num_queries(len(few)):
        client.get("/")


def test_landing_page_refuses_writes(client, db):
    response = client.post("/")

    assert response.status_code == 405


def test_favicon_redirects_to_the_static_icon(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/registry/favicon.ico"
    icon = client.get(response["Location"])
    assert b"".join(icon.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_compact_usd_reads_as_a_headline():
    assert [compact_usd(value) for value in [None, 950, 12_500, 450_000_000, 22_210_000_000]] == [
        "–",
        "US$950",
        "US$12.5 k",
        "US$450.0 M",
        "US$22.2 bn",
    ]


def test_bar_chart_escapes_names_and_marks_missing_values():
    chart = grouped_bar_chart(
        title="Money", categories=["<b>A & B</b>"], series=[Series("Announced", "announced", [None])]
    )

    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in chart
    assert "<b>" not in chart
    assert ">no figure</text>" in chart
    assert chart.count("<svg") == 2  # a wide and a narrow drawing
