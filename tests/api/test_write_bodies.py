"""Write bodies are applied or refused, never acknowledged and dropped: unknown and read-only fields, empty bodies,
bodies that change nothing, chunked bodies."""

import io
import json

import pytest

from projects import choices
from projects.models import Project
from registry.models import ChangeEntry
from registry.wsgi import application
from tests import factories

PROJECT_WRITABLE = (
    "slug, name, summary, phase, corridor, pillars, sector, provinces, place_name, latitude, longitude, "
    "location_precision, capacity_value, capacity_unit, participants, confidence, publication, mou_signed_on, "
    "financial_close_on, construction_started_on, completed_on, sources"
)


def new_project_body(**extra) -> dict:
    return {
        "slug": "gwadar-port",
        "name": "Gwadar Port",
        "phase": "1",
        "corridor": "connectivity",
        "pillars": ["export"],
        "sector": "transport",
        "provinces": ["PK-BA"],
        **extra,
    }


def test_project_post_with_unknown_field_is_refused_naming_it(editor_api, registry):
    response = editor_api.post("/api/v1/projects/", new_project_body(websit="https://x.example"), format="json")

    assert response.status_code == 400
    assert response.json() == {"websit": [f"Unknown field. Writable fields: {PROJECT_WRITABLE}."]}
    assert not Project.objects.filter(slug="gwadar-port").exists()


def test_project_post_with_derived_fields_is_refused_saying_how_they_are_set(editor_api, registry):
    response = editor_api.post(
        "/api/v1/projects/", new_project_body(status="operational", realisation_ratio=1), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "status": [
            "This field is read-only. It is derived from the status history: record a status change "
            "(POST /api/v1/status-changes/)."
        ],
        "realisation_ratio": ["This field is read-only. It is derived: realised_usd / announced_usd."],
    }
    assert not Project.objects.filter(slug="gwadar-port").exists()


def test_project_put_with_bookkeeping_fields_is_refused(editor_api, registry):
    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/", {"updated_at": "2020-01-01T00:00:00+00:00", "url": "x"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "updated_at": ["This field is read-only. It is set by the registry on every change."],
        "url": ["This field is read-only. It is the record's address, set by the registry."],
    }


def test_participant_with_unknown_or_read_only_key_is_refused(editor_api, registry):
    before = editor_api.get("/api/v1/projects/karot-hydropower/").json()

    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/",
        {"participants": [{"organisation": "wapda", "role": "operator", "name": "WAPDA", "share": 10}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "participants": {
            "0": {
                "name": ["This field is read-only. It is the name of the organisation given in `organisation`."],
                "share": ["Unknown field. Writable fields: organisation, role, note."],
            }
        }
    }
    assert editor_api.get("/api/v1/projects/karot-hydropower/").json() == before


@pytest.mark.parametrize(
    ("path", "writable"),
    [
        ("/api/v1/status-changes/", "project, status, date, source, note, quote"),
        (
            "/api/v1/investments/",
            "project, kind, amount, currency, amount_usd, no_usd_reason, as_of, source, note, quote, is_preferred",
        ),
        ("/api/v1/organisations/", "slug, name, country, kind, website"),
        ("/api/v1/sources/", "title, publisher, url, published_on, accessed_on, kind"),
        (
            "/api/v1/observations/",
            "indicator, scope, subject, period_start, period_end, kind, value, source, quote, is_preferred, note",
        ),
    ],
)
def test_post_with_unknown_field_is_refused_on_every_write_endpoint(editor_api, registry, path, writable):
    before = ChangeEntry.objects.count()

    response = editor_api.post(path, {"colour": "red"}, format="json")

    assert response.status_code == 400
    assert response.json()["colour"] == [f"Unknown field. Writable fields: {writable}."]
    assert ChangeEntry.objects.count() == before


def test_investment_post_with_read_only_converted_flag_is_refused(editor_api, registry):
    response = editor_api.post("/api/v1/investments/", {"amount_usd_converted": True}, format="json")

    assert response.status_code == 400
    assert response.json()["amount_usd_converted"] == [
        "This field is read-only. It is set by the registry: true when it converted amount_usd with an exchange rate."
    ]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/projects/"),
        ("patch", "/api/v1/projects/karot-hydropower/"),
        ("put", "/api/v1/projects/karot-hydropower/"),
        ("post", "/api/v1/sources/"),
    ],
)
def test_write_with_empty_body_is_refused(editor_api, registry, method, path):
    before = ChangeEntry.objects.count()

    response = getattr(editor_api, method)(path, b"", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is empty: send the record's fields as a JSON object."}
    assert ChangeEntry.objects.count() == before


def test_project_patch_changing_nothing_records_nothing(editor_api, registry):
    stored = Project.objects.get(slug="karot-hydropower")
    history = stored.history.count()
    entries = ChangeEntry.objects.count()

    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/",
        {"name": stored.name, "pillars": ["energy"], "provinces": ["PK-JK", "PK-PB"]},
        format="json",
    )

    assert response.status_code == 200
    assert Project.objects.get(pk=stored.pk).updated_at == stored.updated_at
    assert (stored.history.count(), ChangeEntry.objects.count()) == (history, entries)


def test_source_patch_changing_nothing_records_nothing(editor_api, registry):
    source = Project.objects.get(slug="karot-hydropower").status_changes.first().source
    history = source.history.count()

    response = editor_api.patch(f"/api/v1/sources/{source.pk}/", {"title": source.title}, format="json")

    assert response.status_code == 200
    assert source.history.count() == history


# --- published slugs are stable -------------------------------------------------------------------------------

STABLE_SLUG = (
    "A published project's slug cannot change: readers, mirrors and citations address it by its slug. To rename it, "
    "unpublish it first (the public change feed then shows the old slug deleted), change the slug, and publish it "
    "again (the feed shows the new slug created)."
)


def test_published_project_slug_change_is_refused(editor_api, registry):
    response = editor_api.patch("/api/v1/projects/karot-hydropower/", {"slug": "karot"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"slug": [STABLE_SLUG]}
    assert Project.objects.filter(slug="karot-hydropower").exists()


def test_unpublish_and_rename_in_one_request_is_refused(editor_api, registry):
    response = editor_api.patch(
        "/api/v1/projects/karot-hydropower/", {"slug": "karot", "publication": "draft"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"slug": [STABLE_SLUG]}
    assert Project.objects.get(slug="karot-hydropower").publication == choices.Publication.PUBLISHED


def test_draft_project_slug_can_change(editor_api, registry):
    response = editor_api.patch("/api/v1/projects/chashma-5/", {"slug": "chashma-unit-5"}, format="json")

    assert response.status_code == 200
    assert response.json()["slug"] == "chashma-unit-5"


# --- chunked bodies (WSGI) ------------------------------------------------------------------------------------


def call_wsgi(method: str, path: str, body: bytes, *, terminated: bool, token: str) -> tuple[str, dict, bytes]:
    """One request through the registry's WSGI application, as gunicorn hands a chunked body to it (decoded, with
    ``wsgi.input_terminated`` set and no Content-Length) or as a server that does not decode it would."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.input_terminated": terminated,
    }
    started = {}

    def start_response(status, headers, exc_info=None):
        started["status"], started["headers"] = status, dict(headers)

    content = b"".join(application(environ, start_response))
    return started["status"], started["headers"], content


@pytest.fixture
def editor_token(editor):
    from knox.models import AuthToken

    return AuthToken.objects.create(user=editor)[1]


@pytest.mark.django_db(transaction=True)
def test_chunked_patch_is_read_whole_and_applied(editor_token):
    project = factories.make_project(slug="karot-hydropower", name="Karot")

    status, _, content = call_wsgi(
        "PATCH",
        "/api/v1/projects/karot-hydropower/",
        json.dumps({"name": "Karot Hydropower Project"}).encode(),
        terminated=True,
        token=editor_token,
    )

    assert status == "200 OK", content
    assert Project.objects.get(pk=project.pk).name == "Karot Hydropower Project"


@pytest.mark.django_db(transaction=True)
def test_chunked_body_the_server_cannot_end_is_a_411(editor_token):
    project = factories.make_project(slug="karot-hydropower", name="Karot")
    entries = ChangeEntry.objects.count()

    status, headers, content = call_wsgi(
        "PATCH", "/api/v1/projects/karot-hydropower/", b'{"name": "Renamed"}', terminated=False, token=editor_token
    )

    assert (status, headers["Content-Type"]) == ("411 Length Required", "application/json")
    assert json.loads(content) == {
        "detail": "Send the request body with a Content-Length header: this server does not read chunked bodies "
        "(Transfer-Encoding: chunked)."
    }
    assert Project.objects.get(pk=project.pk).name == "Karot"
    assert ChangeEntry.objects.count() == entries


@pytest.mark.django_db(transaction=True)
def test_chunked_body_over_the_limit_is_a_413(editor_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    status, _, content = call_wsgi(
        "POST", "/api/v1/sources/", json.dumps({"title": "x" * 200}).encode(), terminated=True, token=editor_token
    )

    assert status == "413 Request Entity Too Large"
    assert json.loads(content) == {"detail": "The request body is too large: more than 100 bytes, the limit is 100."}


def test_write_text_over_max_length_only_by_its_padding_is_400(editor_api, db):
    body = {"code": "padded-unit", "name": "Padded unit", "level": "mechanism", "unit": "\r" + "*" * 100}

    response = editor_api.post("/api/v1/indicators/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"unit": ["Ensure this field has no more than 100 characters."]}
