"""DRF's browsable API: HTML when a browser asks (or ?format=api), with the filter form; strict parameters hold."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/projects/",
        "/api/v1/projects/karot-hydropower/",
        "/api/v1/stats/investment/?group_by=corridor",
        "/api/v1/changes/",
        "/api/v1/observations/",
    ],
)
def test_browsable_api_answers_a_browser_in_html(api, registry, path):
    response = api.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_browsable_api_by_format_parameter_shows_the_filter_form(api, registry):
    response = api.get("/api/v1/projects/?format=api&corridor=green")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="has_location"' in body
    assert "karot-hydropower" in body
    assert "rashakai-sez" not in body


def test_browsable_api_not_chosen_for_clients_that_take_anything(api, registry):
    response = api.get("/api/v1/projects/", HTTP_ACCEPT="*/*")

    assert response["Content-Type"] == "application/json"


def test_browsable_api_unknown_parameter_is_a_json_400(api, registry):
    response = api.get("/api/v1/projects/?format=api&colour=red")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["colour"]


def test_browsable_api_hides_drafts_from_the_public(api, registry):
    response = api.get("/api/v1/projects/?format=api")

    assert "chashma-5" not in response.content.decode()


def test_browsable_api_shows_the_json_indented(api, registry):
    response = api.get("/api/v1/corridors/green/?format=api")

    assert "\n  &quot;code&quot;: &quot;green&quot;," in response.content.decode()
