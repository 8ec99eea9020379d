"""One set of spellings for every yes/no query parameter: true/false and 1/0 (README: "Booleans")."""

import pytest

MESSAGE = "Write true or false (or 1 or 0); got {!r}."
# What some endpoints need besides the parameter under test to reach its validation.
REQUIRED = {
    "/api/v1/stats/investment/": {"group_by": "corridor"},
    "/api/v1/stats/investment/timeline/": {"kind": "announced"},
}


def query(path: str, name: str, value: str) -> dict[str, str]:
    needs_as_of = {"as_of": "2020-01-01"} if name == "include_future" else {}
    return {**REQUIRED.get(path, {}), **needs_as_of, name: value}


def boolean_query_parameters(client) -> list[tuple[str, str]]:
    schema = client.get("/api/schema/?format=json").json()
    return sorted(
        (path, parameter["name"])
        for path, operations in schema["paths"].items()
        if "{" not in path and "get" in operations
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("type") == "boolean"
    )


def test_boolean_parameters_are_the_known_ones(api, db):
    found = boolean_query_parameters(api)

    assert found == [
        ("/api/v1/projects/", "has_location"),
        ("/api/v1/projects/", "include_future"),
        ("/api/v1/projects/", "is_stale"),
        ("/api/v1/stats/investment/", "has_location"),
        ("/api/v1/stats/investment/", "include_future"),
        ("/api/v1/stats/investment/", "is_stale"),
        ("/api/v1/stats/investment/timeline/", "has_location"),
        ("/api/v1/stats/investment/timeline/", "is_stale"),
    ]


@pytest.mark.parametrize("value", ["yes", "no", "True", "FALSE", "on", "2", " true"])
def test_bad_boolean_on_every_boolean_parameter_is_400_listing_the_spellings(api, registry, value):
    cases = boolean_query_parameters(api)

    answers = {(path, name): api.get(path, query(path, name, value)) for path, name in cases}

    assert {case: response.status_code for case, response in answers.items()} == dict.fromkeys(cases, 400)
    assert {case: response.json()[case[1]] for case, response in answers.items()} == dict.fromkeys(
        cases, [MESSAGE.format(value)]
    )


def test_boolean_true_and_1_mean_the_same(api, registry):
    by_word = api.get("/api/v1/projects/", {"has_location": "true"}).json()["results"]
    by_value = api.get("/api/v1/projects/", {"has_location": "1"}).json()["results"]

    assert sorted(row["slug"] for row in by_value) == sorted(row["slug"] for row in by_word)
    assert sorted(row["slug"] for row in by_word) == ["karot-hydropower", "sahiwal-coal"]


def test_boolean_false_and_0_mean_the_same(api, registry):
    by_word = api.get("/api/v1/projects/", {"has_location": "false"}).json()["results"]
    by_value = api.get("/api/v1/projects/", {"has_location": "0"}).json()["results"]

    assert sorted(row["slug"] for row in by_value) == sorted(row["slug"] for row in by_word)
    assert sorted(row["slug"] for row in by_word) == ["ml-1-railway", "rashakai-sez"]
