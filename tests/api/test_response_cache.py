"""The shared response cache of anonymous reads (registry.response_cache) and its version-derived ETags."""

import gzip

import pytest
from django.core.cache import cache
from django.test import Client

from projects import services
from projects.models import Project
from registry import data_version
from registry.settings import redis_cache
from tests import factories
from tests.admin_forms import BrowserForm
from tests.outages import closed_port, real_redis_cache, redis_commands_sent

LIST = "/api/v1/projects/"
KAROT = "/api/v1/projects/karot-hydropower/"


def slugs(response) -> list[str]:
    return [row["slug"] for row in response.json()["results"]]


# --- hits -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, KAROT, "/api/v1/corridors/", "/api/v1/changes/"])
def test_response_cache_second_anonymous_read_is_served_without_queries(api, registry, path, django_assert_num_queries):
    first = api.get(path)

    with django_assert_num_queries(0):
        second = api.get(path)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Cache-Control"] == "public, max-age=60"


def test_response_cache_hit_keeps_last_modified_of_a_detail(api, registry):
    first = api.get(KAROT)

    second = api.get(KAROT)

    assert second["Last-Modified"] == first["Last-Modified"]


def test_response_cache_query_parameters_in_another_order_share_an_answer(api, registry, django_assert_num_queries):
    first = api.get(f"{LIST}?page=2&page_size=1")

    with django_assert_num_queries(0):
        second = api.get(f"{LIST}?page_size=1&page=2")

    assert second.content == first.content
    assert second["Link"] == first["Link"]


def test_response_cache_other_parameters_are_other_answers(api, registry):
    api.get(f"{LIST}?status=operational")

    response = api.get(f"{LIST}?status=mou")

    assert slugs(response) == ["ml-1-railway"]


def test_response_cache_other_host_is_another_answer(api, registry):
    api.get(f"{LIST}?page=2&page_size=1")

    response = api.get(f"{LIST}?page=2&page_size=1", HTTP_HOST="localhost")

    assert response.json()["next"] == "http://localhost/api/v1/projects/?page=3&page_size=1"


def test_response_cache_other_accept_is_another_answer(api, registry):
    api.get(LIST)

    response = api.get(LIST, HTTP_ACCEPT="text/html")

    assert response["Content-Type"].startswith("text/html")


def test_response_cache_hit_is_compressed_per_request(api, registry):
    plain = api.get(LIST).content

    response = api.get(LIST, HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == plain


def test_response_cache_export_is_never_kept(api, registry):
    first = api.get(f"{LIST}?format=csv")
    b"".join(first.streaming_content)

    second = api.get(f"{LIST}?format=csv")

    assert second.streaming
    assert b"karot-hydropower" in b"".join(second.streaming_content)


def test_response_cache_error_is_never_kept(api, registry):
    api.get("/api/v1/projects/no-such-project/")
    factories.make_project(slug="no-such-project", corridor=registry["karot"].corridor)

    response = api.get("/api/v1/projects/no-such-project/")

    assert response.status_code == 200


# --- version-derived ETags --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", [False, True])
def test_response_cache_if_none_match_current_etag_is_304_without_queries(
    api, registry, weak, django_assert_num_queries
):
    etag = api.get(LIST)["ETag"]

    with django_assert_num_queries(0):
        response = api.get(LIST, HTTP_IF_NONE_MATCH=f"W/{etag}" if weak else etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "public, max-age=60"
    assert etag.startswith('"v')


def test_response_cache_if_none_match_without_a_kept_answer_is_304_without_queries(
    api, registry, django_assert_num_queries
):
    etag = api.get(KAROT)["ETag"]
    version = cache.get(data_version.KEY)
    cache.clear()  # the kept answers go (evicted, or another server's local cache); the version stays
    cache.set(data_version.KEY, version, None)

    with django_assert_num_queries(0):
        response = api.get(KAROT, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304


def test_response_cache_if_modified_since_on_a_hit_is_304(api, registry, django_assert_num_queries):
    last_modified = api.get(KAROT)["Last-Modified"]

    with django_assert_num_queries(0):
        response = api.get(KAROT, HTTP_IF_MODIFIED_SINCE=last_modified)

    assert response.status_code == 304
    assert response["Last-Modified"] == last_modified


def test_response_cache_etag_changes_with_any_write(api, registry):
    etag = api.get(KAROT)["ETag"]
    factories.SourceFactory()

    response = api.get(KAROT, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


# --- who is never served from the cache -----------------------------------------------------------------------


def test_response_cache_editor_read_never_kept_for_the_public(api, editor_api, registry):
    editor = editor_api.get(LIST)

    anonymous = api.get(LIST)

    assert "chashma-5" in slugs(editor)
    assert "chashma-5" not in slugs(anonymous)


def test_response_cache_editor_never_served_the_public_answer(api, editor_api, registry):
    api.get(LIST)

    editor = editor_api.get(LIST)

    assert "chashma-5" in slugs(editor)
    assert editor["Cache-Control"] == "private, no-store"
    assert not editor["ETag"].startswith('"v')


def test_response_cache_invalid_token_is_401_not_a_kept_answer(api, registry):
    api.get(LIST)

    response = api.get(LIST, HTTP_AUTHORIZATION="Token not-a-token")

    assert response.status_code == 401


# --- throttling -------------------------------------------------------------------------------------------------


def test_response_cache_hits_are_throttled(api, registry, low_anon_rate):
    statuses = [api.get("/api/v1/corridors/").status_code for _ in range(3)]

    response = api.get("/api/v1/corridors/")

    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_response_cache_hit_and_miss_count_once_each(api, registry, low_anon_rate):
    miss = api.get("/api/v1/corridors/")
    hit = api.get("/api/v1/corridors/")

    assert (miss["RateLimit-Remaining"], hit["RateLimit-Remaining"]) == ("2", "1")


def test_response_cache_not_modified_is_throttled(api, registry, low_anon_rate):
    etag = api.get(LIST)["ETag"]
    for _ in range(2):
        api.get(LIST, HTTP_IF_NONE_MATCH=etag)

    response = api.get(LIST, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 429


# --- a write is visible to the next read ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_response_cache_api_write_is_visible_to_the_next_anonymous_read(api, editor_api, registry):
    listed, detail = api.get(LIST), api.get(KAROT)
    etag = detail["ETag"]

    written = editor_api.patch(KAROT, {"name": "Karot HPP"}, format="json")

    assert written.status_code == 200
    assert "Karot HPP" in [row["name"] for row in api.get(LIST).json()["results"]]
    assert api.get(KAROT).json()["name"] == "Karot HPP"
    assert api.get(KAROT, HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert listed.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_response_cache_publishing_a_draft_is_visible_to_the_next_anonymous_read(api, editor_api, registry):
    before = slugs(api.get(LIST))

    editor_api.patch("/api/v1/projects/chashma-5/", {"publication": "published"}, format="json")

    assert "chashma-5" not in before
    assert "chashma-5" in slugs(api.get(LIST))


@pytest.mark.django_db(transaction=True)
def test_response_cache_admin_write_is_visible_to_the_next_anonymous_read(api, registry, editor):
    assert api.get(KAROT).json()["name"] == "Karot Hydropower Project"
    admin = Client()
    admin.force_login(editor)

    answer = BrowserForm(admin, f"/admin/projects/project/{registry['karot'].pk}/change/").set(name="Karot HPP").post()

    assert answer.status_code == 302
    assert api.get(KAROT).json()["name"] == "Karot HPP"


@pytest.mark.django_db(transaction=True)
def test_response_cache_service_call_is_visible_to_the_next_anonymous_read(api, registry):
    assert api.get(KAROT).json()["name"] == "Karot Hydropower Project"

    services.project_update(project=Project.objects.get(slug="karot-hydropower"), name="Karot HPP")

    assert api.get(KAROT).json()["name"] == "Karot HPP"


@pytest.mark.django_db(transaction=True)
def test_response_cache_queryset_update_is_visible_to_the_next_anonymous_read(api, registry):
    assert api.get(KAROT).json()["name"] == "Karot Hydropower Project"

    Project.objects.filter(slug="karot-hydropower").update(name="Karot HPP")

    assert api.get(KAROT).json()["name"] == "Karot HPP"


# --- switched off, and the cache down --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "switch",
    [
        {"RESPONSE_CACHE_SECONDS": 0},  # switched off
        {"DATA_VERSION_SHARED": False},  # several workers, each with its own memory, and no REDIS_URL
    ],
)
def test_response_cache_off_reads_the_database_each_time(
    api, registry, settings, django_assert_max_num_queries, switch
):
    for name, value in switch.items():
        setattr(settings, name, value)
    first = api.get(LIST)

    with django_assert_max_num_queries(50) as queries:
        second = api.get(LIST)

    assert len(queries) > 0
    assert second.content == first.content
    assert not second["ETag"].startswith('"v')


def test_response_cache_redis_down_serves_uncached_and_fresh(api, registry, settings):
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{closed_port()}/2")}
    settings.CACHE_RETRY_SECONDS = 0
    first = api.get(KAROT)

    services.project_update(project=Project.objects.get(slug="karot-hydropower"), name="Karot HPP")
    second = api.get(KAROT)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["name"] == "Karot HPP"
    assert not second["ETag"].startswith('"v')


def test_response_cache_write_during_outage_bumps_the_version_when_redis_is_back(registry, settings):
    reachable = real_redis_cache()
    settings.CACHES = {"default": reachable}
    before = data_version.version_or_none()
    settings.CACHES = {"default": redis_cache(f"redis://127.0.0.1:{closed_port()}/2")}
    settings.CACHE_RETRY_SECONDS = 0
    factories.SourceFactory()  # the bump fails
    settings.CACHES = {"default": reachable}

    after = data_version.version_or_none()

    assert after > before


def test_response_cache_hit_with_real_redis_is_two_round_trips(api, registry, settings, monkeypatch):
    settings.CACHES = {"default": real_redis_cache()}
    api.get("/api/v1/corridors/")  # connects, and keeps the answer
    sent = redis_commands_sent(monkeypatch)

    response = api.get("/api/v1/corridors/")

    assert response.status_code == 200
    assert len(sent) == 2  # the throttle's count, then the version and the kept answer together
