"""HTTP as caches and clients expect it: conditional reads, Cache-Control, Vary, Link, RateLimit, compression."""

import datetime
import gzip

import brotli
import pytest
from django.utils.http import http_date

from projects.models import Project
from tests import factories
from tests.outages import real_redis_cache, redis_commands_sent

LIST = "/api/v1/projects/"
KAROT = "/api/v1/projects/karot-hydropower/"


def test_if_none_match_weak_etag_of_a_list_is_304(api, registry):
    etag = api.get(LIST)["ETag"]

    response = api.get(LIST, HTTP_IF_NONE_MATCH=f"W/{etag}")

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_if_none_match_weak_etag_among_others_of_a_detail_is_304(api, registry):
    etag = api.get(KAROT)["ETag"]

    response = api.get(KAROT, HTTP_IF_NONE_MATCH=f'"stale", W/{etag}')

    assert response.status_code == 304


def test_if_none_match_other_etag_is_200(api, registry):
    response = api.get(KAROT, HTTP_IF_NONE_MATCH='W/"stale"')

    assert response.status_code == 200


def test_if_match_stays_a_strong_comparison(editor_api, registry):
    etag = editor_api.get(KAROT)["ETag"]

    response = editor_api.patch(KAROT, {"summary": "Run-of-river."}, format="json", HTTP_IF_MATCH=f"W/{etag}")

    assert response.status_code == 412


def test_last_modified_on_a_detail_is_its_updated_at(api, registry):
    updated_at = Project.objects.get(slug="karot-hydropower").updated_at

    response = api.get(KAROT)

    assert response["Last-Modified"] == http_date(updated_at.timestamp())


def test_last_modified_absent_on_lists_and_as_of_reads(api, registry):
    listed = api.get(LIST)
    as_of = api.get(f"{KAROT}?as_of=2020-01-01")

    assert "Last-Modified" not in listed
    assert "Last-Modified" not in as_of


def test_if_modified_since_at_last_modified_is_304(api, registry):
    last_modified = api.get(KAROT)["Last-Modified"]

    response = api.get(KAROT, HTTP_IF_MODIFIED_SINCE=last_modified)

    assert response.status_code == 304
    assert response["Last-Modified"] == last_modified


def test_if_modified_since_before_the_change_is_200(api, registry):
    updated_at = Project.objects.get(slug="karot-hydropower").updated_at
    earlier = http_date((updated_at - datetime.timedelta(seconds=2)).timestamp())

    response = api.get(KAROT, HTTP_IF_MODIFIED_SINCE=earlier)

    assert response.status_code == 200


def test_if_modified_since_ignored_when_if_none_match_is_sent(api, registry):
    last_modified = api.get(KAROT)["Last-Modified"]

    response = api.get(KAROT, HTTP_IF_MODIFIED_SINCE=last_modified, HTTP_IF_NONE_MATCH='"stale"')

    assert response.status_code == 200


def test_if_modified_since_unparseable_is_ignored(api, registry):
    response = api.get(KAROT, HTTP_IF_MODIFIED_SINCE="yesterday")

    assert response.status_code == 200


def test_cache_control_anonymous_read_is_public_and_short(api, registry, settings):
    settings.API_CACHE_MAX_AGE = 60

    response = api.get(LIST)

    assert response["Cache-Control"] == "public, max-age=60"


def test_cache_control_anonymous_304_keeps_it(api, registry):
    etag = api.get(KAROT)["ETag"]

    response = api.get(KAROT, HTTP_IF_NONE_MATCH=etag)

    assert response["Cache-Control"] == "public, max-age=60"


def test_cache_control_authenticated_read_is_private_no_store(editor_api, registry):
    response = editor_api.get(LIST)

    assert response["Cache-Control"] == "private, no-store"


def test_cache_control_error_is_no_store(api, registry):
    response = api.get("/api/v1/projects/no-such-project/")

    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"


def test_cache_control_not_set_outside_the_api(client, db):
    response = client.get("/healthz")

    assert "public" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("path", [LIST, f"{LIST}?format=csv", KAROT, "/api/v1/projects/no-such-project/"])
def test_vary_names_accept_and_authorization(api, registry, path):
    response = api.get(path)

    vary = [name.strip().lower() for name in response["Vary"].split(",")]
    assert "accept" in vary
    assert "authorization" in vary


def test_link_on_a_middle_page_names_next_and_prev(api, registry):
    response = api.get(f"{LIST}?page=2&page_size=1")

    assert response["Link"] == (
        '<http://testserver/api/v1/projects/?page=3&page_size=1>; rel="next", '
        '<http://testserver/api/v1/projects/?page_size=1>; rel="prev"'
    )


def test_link_absent_on_a_single_page(api, registry):
    response = api.get(LIST)

    assert "Link" not in response


def test_link_on_a_cursor_list_matches_its_next_link(api, db):
    indicator = factories.IndicatorFactory(code="gdp-growth")
    for year in (2023, 2024, 2025):
        factories.ObservationFactory(
            indicator=indicator, period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31)
        )

    response = api.get("/api/v1/observations/?page_size=1")

    assert response["Link"] == f'<{response.json()["next"]}>; rel="next"'


def test_link_on_the_change_feed_matches_its_next_link(api, registry):
    response = api.get("/api/v1/changes/?page_size=1")

    assert response["Link"] == f'<{response.json()["next"]}>; rel="next"'


def test_ratelimit_headers_count_down(api, registry, low_anon_rate):
    first = api.get("/api/v1/corridors/")
    second = api.get("/api/v1/corridors/")

    assert (first["RateLimit-Limit"], first["RateLimit-Remaining"]) == ("3", "2")
    assert (second["RateLimit-Limit"], second["RateLimit-Remaining"]) == ("3", "1")
    assert 0 < int(second["RateLimit-Reset"]) <= 60


def test_ratelimit_on_429_has_retry_after_and_nothing_remaining(api, registry, low_anon_rate):
    for _ in range(3):
        api.get("/api/v1/corridors/")

    response = api.get("/api/v1/corridors/")

    assert response.status_code == 429
    assert response["RateLimit-Remaining"] == "0"
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["Retry-After"] == response["RateLimit-Reset"]


def test_ratelimit_absent_for_authenticated_editors(editor_api, registry, low_anon_rate):
    response = editor_api.get("/api/v1/corridors/")

    assert "RateLimit-Limit" not in response


def test_ratelimit_with_real_redis_is_one_round_trip(api, registry, low_anon_rate, settings, monkeypatch):
    settings.CACHES = {"default": real_redis_cache()}
    settings.RESPONSE_CACHE_SECONDS = 0  # the throttle's own cost (the response cache's: test_response_cache.py)
    api.get("/api/v1/corridors/")  # connects (the connection's handshake is not the throttle's)
    sent = redis_commands_sent(monkeypatch)

    response = api.get("/api/v1/corridors/")

    assert len(sent) == 1
    assert response["RateLimit-Remaining"] == "1"


def test_compression_gzip_of_json(api, registry):
    plain = api.get(LIST).content

    response = api.get(LIST, HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.content) == plain
    assert "accept-encoding" in response["Vary"].lower()


def test_compression_brotli_preferred_when_accepted(api, registry):
    plain = api.get(LIST).content

    response = api.get(LIST, HTTP_ACCEPT_ENCODING="gzip, br")

    assert response["Content-Encoding"] == "br"
    assert brotli.decompress(response.content) == plain


@pytest.mark.parametrize("export_format", ["csv", "geojson"])
def test_compression_of_an_export_keeps_it_streaming(api, registry, export_format):
    plain = b"".join(api.get(f"{LIST}?format={export_format}").streaming_content)

    response = api.get(f"{LIST}?format={export_format}", HTTP_ACCEPT_ENCODING="gzip")

    assert response.streaming
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(response.streaming_content)) == plain


def test_compression_not_applied_without_accept_encoding(api, registry):
    response = api.get(LIST)

    assert "Content-Encoding" not in response
