"""Every router entry × every caller × GET list, GET detail, POST, PUT, PATCH, DELETE (tests/api/endpoint_cases.py).

A refused write gets its exact status and body and changes nothing: the entry's row count, the record as stored,
the history and the change feed are as they were. An applied write answers with the record as it is now stored, and
the history and the change feed grow. Reads show the declared fields, and drafts to editors only.
"""

import pytest
from django.db import transaction

from tests.api.endpoint_cases import (
    BY_NAME,
    EDITORS,
    ENDPOINTS,
    ROLES,
    WITH_HIDDEN,
    WRITABLE,
    WRITES,
    build_world,
    client_for,
    not_allowed,
    not_found,
    outcome,
    results,
    state,
    stored,
)

ALL = [endpoint.name for endpoint in ENDPOINTS]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The records and callers, built once for the module in a transaction rolled back after its last test; each
    test runs in its own savepoint (``db``), so a write never reaches the next test.

    The block counts as the test case's own (``_from_testcase``), as pytest-django's are: the change feed then sees
    each API write as a write of its own (``registry.feed.current_write``), as it does under ``db`` alone."""
    block = transaction.atomic()
    block._from_testcase = True
    with django_db_blocker.unblock(), block:
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def call(world, db):
    """``call(role, method, path, body=None)``: the response to one request by a fresh client of that kind."""

    def send(role, method, path, body=None):
        client = client_for(role, world)
        return getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)

    return send


def expected_detail(endpoint, role, world) -> dict:
    shows = endpoint.shows(world)
    if role in EDITORS and endpoint.editor_shows is not None:
        shows = {**shows, **endpoint.editor_shows(world)}
    return shows


# --- reads ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ALL)
def test_get_list_shows_the_record_and_drafts_to_editors_only(call, world, name, role):
    endpoint = BY_NAME[name]
    shows = expected_detail(endpoint, role, world)

    response = call(role, "get", endpoint.list_url)

    assert response.status_code == 200
    assert isinstance(response.json(), list) is not endpoint.paginated
    rows = {str(row[endpoint.identifier]): row for row in results(response)}
    row = rows[str(getattr(endpoint.shown(world), endpoint.identifier))]
    assert {key: row[key] for key in shows if key in row} == {key: shows[key] for key in shows if key in row}
    if endpoint.hidden is not None:
        hidden = str(getattr(endpoint.hidden(world), endpoint.identifier))
        assert (hidden in rows) is (role in EDITORS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ALL)
def test_get_detail_shows_the_record(call, world, name, role):
    endpoint = BY_NAME[name]
    shows = expected_detail(endpoint, role, world)

    response = call(role, "get", endpoint.url(endpoint.shown(world)))

    assert response.status_code == 200
    assert {key: response.json()[key] for key in shows} == shows


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", WITH_HIDDEN)
def test_get_detail_of_a_draft_record_is_for_editors_only(call, world, name, role):
    endpoint = BY_NAME[name]
    record = endpoint.hidden(world)

    response = call(role, "get", endpoint.url(record))

    if role in EDITORS:
        assert response.status_code == 200
        assert response.json()[endpoint.identifier] == getattr(record, endpoint.identifier)
    else:
        assert (response.status_code, response.json()) == (404, not_found(endpoint.model))


# --- writes -----------------------------------------------------------------------------------------------------


def refused_cases() -> list[tuple[str, str, str]]:
    return [
        (name, role, method)
        for name in ALL
        for role in ROLES
        for method in WRITES
        if outcome(BY_NAME[name], role, method)[1] is not None
    ]


def applied_cases() -> list[tuple[str, str, str]]:
    return [
        (name, role, method)
        for name in WRITABLE
        for role in ROLES
        for method in WRITES
        if outcome(BY_NAME[name], role, method)[1] is None
    ]


def request_for(endpoint, method, world) -> tuple[str, dict | None]:
    """The path and body of the entry's write of that kind (a read-only entry is sent the shown record's fields)."""
    record = endpoint.target(method, world)
    path = endpoint.list_url if record is None else endpoint.url(record)
    if method == "delete":
        return path, None
    write = endpoint.write(method)
    return path, write.body(world) if write is not None else endpoint.shows(world)


@pytest.mark.parametrize(("name", "role", "method"), refused_cases())
def test_write_refused_changes_nothing(call, world, name, role, method):
    endpoint = BY_NAME[name]
    path, body = request_for(endpoint, method, world)
    record = endpoint.target(method, world)
    before = state(endpoint, record)

    response = call(role, method, path, body)

    assert (response.status_code, response.json()) == outcome(endpoint, role, method)
    assert response.get("WWW-Authenticate") == ("Token" if response.status_code == 401 else None)
    assert state(endpoint, record) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ALL)
def test_write_to_the_wrong_route_is_405_and_changes_nothing(call, world, name, role):
    endpoint = BY_NAME[name]
    record = endpoint.shown(world)
    before = state(endpoint, record)
    requests = [("post", endpoint.url(record)), *((method, endpoint.list_url) for method in ("put", "patch", "delete"))]

    got = {method: call(role, method, path, {}) for method, path in requests}

    assert {method: (r.status_code, r.json()) for method, r in got.items()} == {
        method: (405, not_allowed(method)) for method, _ in requests
    }
    assert state(endpoint, record) == before


@pytest.mark.parametrize(("name", "role", "method"), applied_cases())
def test_write_applied_answers_with_the_stored_record(call, world, name, role, method):
    endpoint = BY_NAME[name]
    path, body = request_for(endpoint, method, world)
    record = endpoint.target(method, world)
    before = state(endpoint, record)
    status = outcome(endpoint, role, method)[0]

    response = call(role, method, path, body)

    after = state(endpoint, record)
    assert response.status_code == status, response.content
    assert (after["history"] > before["history"], after["feed"] > before["feed"]) == (True, True)
    if method == "delete":
        assert response.content == b""
        assert (after["rows"], after["record"]) == (before["rows"] - 1, [])
        assert call("token", "get", path).status_code == 404
        return
    echoed = endpoint.write(method).echoed
    answer = response.json()
    assert {key: answer[key] for key in echoed} == echoed
    assert call("token", "get", f"{endpoint.list_url}{answer[endpoint.identifier]}/").json() == answer
    assert after["rows"] == before["rows"] + (1 if method == "post" else 0)
    if record is not None:
        assert stored(record) != before["record"]
