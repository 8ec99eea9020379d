import datetime

import pytest

from projects import services
from projects.models import InvestmentFigure, Project, StatusChange
from tests import factories


def _project_body(**overrides):
    body = {
        "slug": "gwadar-east-bay",
        "name": "Gwadar East Bay Expressway",
        "summary": "A 19 km expressway linking Gwadar port to the coastal highway.",
        "phase": "1",
        "corridor": "connectivity",
        "pillars": ["export"],
        "sector": "transport",
        "provinces": ["PK-BA"],
        "place_name": "Gwadar",
        "latitude": 25.12,
        "longitude": 62.33,
        "capacity_value": 19,
        "capacity_unit": "km",
        "participants": [{"organisation": "wapda", "role": "implementing-agency"}],
    }
    body.update(overrides)
    return body


def _assert_not_drifted(slug):
    project = Project.objects.get(slug=slug)
    derived = services.compute_derived(project)
    assert {name: getattr(project, name) for name in derived} == derived


def test_project_create_by_editor_returns_detail(editor_api, registry, editor):
    response = editor_api.post("/api/v1/projects/", _project_body(), format="json")

    body = response.json()
    assert response.status_code == 201, body
    assert body["slug"] == "gwadar-east-bay"
    assert body["status"] is None
    assert body["participants"] == [
        {
            "organisation": "wapda",
            "name": "Water and Power Development Authority",
            "role": "implementing-agency",
            "note": "",
        }
    ]
    assert body["publication"] == "draft"
    assert Project.history.filter(slug="gwadar-east-bay").get().history_user == editor


def test_project_create_without_corridor_or_provinces_keeps_them_empty(editor_api, registry):
    body = {key: value for key, value in _project_body().items() if key not in ("corridor", "provinces")}

    response = editor_api.post("/api/v1/projects/", body, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["corridor"], response.json()["provinces"]) == (None, [])
    assert Project.objects.get(slug="gwadar-east-bay").provinces.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pillars": []}, "pillars"),
        ({"latitude": 10.0}, "latitude"),
        ({"longitude": None}, "longitude"),
        ({"corridor": "nowhere"}, "corridor"),
        ({"provinces": ["PK-XX"]}, "provinces"),
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "karot-hydropower"}, "slug"),
        ({"capacity_value": -1}, "capacity_value"),
        ({"capacity_unit": None, "capacity_value": 5}, "capacity_unit"),
        ({"phase": "3"}, "phase"),
        (
            {
                "participants": [
                    {"organisation": "wapda", "role": "sponsor"},
                    {"organisation": "wapda", "role": "sponsor"},
                ]
            },
            "participants",
        ),
        ({"construction_started_on": "2020-01-01", "completed_on": "2019-01-01"}, "completed_on"),
    ],
)
def test_project_create_rule_violation_is_400_naming_field(editor_api, registry, overrides, field):
    response = editor_api.post("/api/v1/projects/", _project_body(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Project.objects.filter(slug="gwadar-east-bay").exists()


def test_project_derived_fields_are_refused_with_how_they_are_set(editor_api, registry):
    before = editor_api.get("/api/v1/projects/karot-hydropower/").json()

    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/", {"status": "cancelled", "announced_usd": 1}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "status": [
            "This field is read-only. It is derived from the status history: record a status change "
            "(POST /api/v1/status-changes/)."
        ],
        "announced_usd": [
            "This field is read-only. It is derived from the project's investment figures (the preferred one of its "
            "kind, else the latest): record a figure (POST /api/v1/investments/)."
        ],
    }
    assert editor_api.get("/api/v1/projects/karot-hydropower/").json() == before


def test_project_patch_replaces_participants(editor_api, registry):
    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/",
        {"participants": [{"organisation": "wapda", "role": "operator", "note": "grid connection"}]},
        format="json",
    )

    assert response.status_code == 200
    assert [(p["organisation"], p["role"], p["note"]) for p in response.json()["participants"]] == [
        ("wapda", "operator", "grid connection")
    ]


def test_status_change_via_api_updates_derived_status(editor_api, registry):
    source = factories.SourceFactory()

    response = editor_api.post(
        "/api/v1/status-changes/",
        {"project": "ml-1-railway", "status": "implementation", "date": "2024-05-01", "source": source.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    detail = editor_api.get("/api/v1/projects/ml-1-railway/").json()
    assert (detail["status"], detail["status_since"]) == ("implementation", "2024-05-01")
    _assert_not_drifted("ml-1-railway")


def test_status_change_backward_via_api_is_400(editor_api, registry):
    source = factories.SourceFactory()

    response = editor_api.post(
        "/api/v1/status-changes/",
        {"project": "karot-hydropower", "status": "mou", "date": "2024-05-01", "source": source.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "cannot move back from operational to mou" in response.json()["status"][0]
    assert StatusChange.objects.filter(project__slug="karot-hydropower").count() == 2


def test_status_change_delete_via_api_recomputes(editor_api, registry):
    latest = StatusChange.objects.filter(project__slug="karot-hydropower").order_by("-date").first()

    response = editor_api.delete(f"/api/v1/status-changes/{latest.pk}/")

    assert response.status_code == 204
    assert Project.objects.get(slug="karot-hydropower").status == "implementation"
    _assert_not_drifted("karot-hydropower")


def test_investment_via_api_preferred_and_drift(editor_api, registry):
    source = factories.SourceFactory()
    body = {
        "project": "karot-hydropower",
        "kind": "announced",
        "amount": 1740000000,
        "currency": "USD",
        "as_of": "2015-01-01",
        "source": source.pk,
        "is_preferred": True,
    }

    created = editor_api.post("/api/v1/investments/", body, format="json")
    second = editor_api.post("/api/v1/investments/", {**body, "amount": 2000000000}, format="json")
    changed = editor_api.patch(f"/api/v1/investments/{created.json()['id']}/", {"amount": 1650000000}, format="json")

    assert created.status_code == 201
    assert second.status_code == 400
    assert "preferred" in str(second.json())
    assert changed.status_code == 200
    assert changed.json()["amount_usd"] == 1650000000
    assert Project.objects.get(slug="karot-hydropower").announced_usd == 1650000000
    _assert_not_drifted("karot-hydropower")


def test_investment_non_usd_without_rate_is_400(editor_api, registry):
    source = factories.SourceFactory()
    body = {"project": "karot-hydropower", "kind": "announced", "amount": 1000, "currency": "PKR"}

    response = editor_api.post(
        "/api/v1/investments/", {**body, "as_of": "2019-01-01", "source": source.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "amount_usd": [
            "No exchange rate for PKR in 2019: enter the USD amount the source gives, add an exchange rate "
            "for that year first, or say in no_usd_reason why the figure stays in its currency."
        ]
    }
    assert not InvestmentFigure.objects.filter(currency="PKR").exists()


def test_status_change_for_draft_project_refused_to_non_editor_lookup(reader_api, registry):
    response = reader_api.get(f"/api/v1/status-changes/?project={registry['draft'].slug}")

    assert response.status_code == 400
    assert "project" in response.json()


def test_organisation_delete_while_referenced_is_409(editor_api, registry):
    response = editor_api.delete("/api/v1/organisations/wapda/")

    assert response.status_code == 409
    assert "referenced" in response.json()["detail"]


def test_project_delete_keeps_history(editor_api, registry):
    response = editor_api.delete("/api/v1/projects/sahiwal-coal/")

    assert response.status_code == 204
    assert not Project.objects.filter(slug="sahiwal-coal").exists()
    assert Project.history.filter(slug="sahiwal-coal", history_type="-").count() == 1
    assert StatusChange.history.filter(project_id=registry["sahiwal"].pk, history_type="-").count() == 1


def test_project_get_etag_then_304(api, registry):
    first = api.get("/api/v1/projects/karot-hydropower/")

    second = api.get("/api/v1/projects/karot-hydropower/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["ETag"].startswith('"')
    assert second.status_code == 304
    assert second["ETag"] == first["ETag"]


def test_project_list_etag_changes_when_data_changes(api, registry):
    before = api.get("/api/v1/projects/")["ETag"]
    services.project_update(project=registry["karot"], name="Karot Hydropower Station")

    response = api.get("/api/v1/projects/", HTTP_IF_NONE_MATCH=before)

    assert response.status_code == 200
    assert response["ETag"] != before


def test_project_patch_with_current_if_match_succeeds(editor_api, registry):
    etag = editor_api.get("/api/v1/projects/karot-hydropower/")["ETag"]

    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/", {"name": "Karot HPP"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Karot HPP"


def test_project_patch_with_stale_if_match_is_412_and_changes_nothing(editor_api, registry):
    etag = editor_api.get("/api/v1/projects/karot-hydropower/")["ETag"]
    editor_api.patch("/api/v1/projects/karot-hydropower/", {"name": "First editor's name"}, format="json")

    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/", {"name": "Second editor's name"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    assert Project.objects.get(slug="karot-hydropower").name == "First editor's name"


def test_investment_put_with_stale_if_match_is_412(editor_api, registry):
    figure = InvestmentFigure.objects.filter(project__slug="karot-hydropower").first()
    url = f"/api/v1/investments/{figure.pk}/"
    etag = editor_api.get(url)["ETag"]
    editor_api.patch(url, {"note": "checked"}, format="json")

    response = editor_api.patch(url, {"note": "overwritten"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert InvestmentFigure.objects.get(pk=figure.pk).note == "checked"


def test_source_create_with_ftp_url_is_400(editor_api, db):
    response = editor_api.post(
        "/api/v1/sources/", {"title": "A", "url": "ftp://example.org/a", "kind": "news"}, format="json"
    )

    assert response.status_code == 400
    assert "url" in response.json()


def test_write_with_invalid_json_is_400(editor_api, registry):
    response = editor_api.generic("POST", "/api/v1/organisations/", b'{"slug": "x", ', content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_project_history_records_token_user_and_changed_fields(editor_api, editor, registry):
    editor_api.patch("/api/v1/projects/karot-hydropower/", {"summary": "Run-of-river plant."}, format="json")

    latest = Project.history.filter(slug="karot-hydropower").order_by("-history_date").first()
    assert latest.history_user == editor
    assert latest.changed_fields == ["summary"]


def test_status_change_in_future_order_date_refused(editor_api, registry):
    source = factories.SourceFactory()
    earlier = datetime.date(2010, 1, 1).isoformat()

    response = editor_api.post(
        "/api/v1/status-changes/",
        {"project": "sahiwal-coal", "status": "operational", "date": earlier, "source": source.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "never go backwards" in response.json()["date"][0]
