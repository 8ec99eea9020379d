"""The live fuzzer's filter_failure hook (.ci/schemathesis_hooks.py) drops only data-dependent refusals."""

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from schemathesis.openapi.checks import RejectedPositiveData

spec = importlib.util.spec_from_file_location(
    "schemathesis_hooks", Path(__file__).resolve().parent.parent / ".ci" / "schemathesis_hooks.py"
)
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)

FAILURE = RejectedPositiveData(operation="GET /", message="rejected", status_code=400, allowed_statuses=["2xx"])
PARAMETERS = [
    {"in": "query", "name": "project", "schema": {"type": "array", "items": {"type": "string"}}},
    {"in": "query", "name": "corridor", "schema": {"type": "array", "items": {"type": "string", "enum": ["green"]}}},
    {"in": "query", "name": "page", "schema": {"type": "integer"}},
]


def case(query: dict, method="GET", path="/api/v1/projects/", body_schema=None):
    raw = {"parameters": PARAMETERS}
    if body_schema is not None:
        raw["requestBody"] = {"content": {"application/json": {"schema": body_schema}}}
    operation = SimpleNamespace(
        path=path, definition=SimpleNamespace(raw=raw), schema=SimpleNamespace(raw_schema={"components": {}})
    )
    return SimpleNamespace(query=query, method=method, operation=operation)


def kept(body: dict, a_case) -> bool:
    return hooks.filter_failure(None, FAILURE, a_case, SimpleNamespace(status_code=400, content=json.dumps(body)))


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"project": "x"}, {"project": ["Unknown value(s) 'x'."]}),
        ({"page": 9}, {"page": ["Page 9 is out of range (last page: 1)."]}),
        ({"cursor": "x"}, {"cursor": ["Invalid cursor: use the `next` or `previous` link as given."]}),
    ],
)
def test_fuzz_hook_drops_data_dependent_refusal(query, body):
    assert kept(body, case(query)) is False


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({"corridor": "blue"}, {"corridor": ["Unknown value(s) 'blue'. Allowed: green."]}),  # an enum's gap
        ({"project": "x"}, {"project": ["An empty value in the list: give values separated by single commas."]}),
        ({"project": "x", "page": 9}, {"project": ["Unknown value(s) 'x'."], "page": ["Must be a whole number."]}),
        ({"project": "x"}, {"detail": "Something else."}),
    ],
)
def test_fuzz_hook_keeps_any_other_refusal(query, body):
    assert kept(body, case(query)) is True


def test_fuzz_hook_drops_unknown_nested_reference_in_a_body():
    body_schema = {
        "type": "object",
        "properties": {"projects": {"type": "array", "items": {"properties": {"project": {"type": "string"}}}}},
    }
    refusal = {"projects": {"0": {"project": ["Object with slug=x does not exist."]}}}

    assert kept(refusal, case({}, method="POST", body_schema=body_schema)) is False


def test_fuzz_hook_drops_a_rule_over_stored_records_with_a_cross_field_rule():
    refusal = {
        "amount_usd": ["For a figure in USD, the USD amount equals the amount."],
        "non_field_errors": [
            "This project already has a preferred figure of this kind: unmark that one first (at most one preferred "
            "figure per project and kind)."
        ],
    }

    assert kept(refusal, case({}, method="PUT", body_schema={"type": "object"})) is False


@pytest.mark.parametrize(
    "refusal",
    [
        {"status": ["The project was cancelled on 2025-09-05; cancelled is final."]},
        {
            "date": [
                "Dates along a project's history never go backwards: 2015-07-31 is before the previous status change "
                "(mou, 2026-01-31)."
            ]
        },
    ],
)
def test_fuzz_hook_drops_the_status_ladder_over_the_stored_history(refusal):
    assert kept(refusal, case({}, method="POST", body_schema={"type": "object"})) is False


def test_fuzz_hook_drops_a_project_listed_twice_in_one_role():
    refusal = {"slug": ["Event with this Slug already exists."], "projects": ["0 is listed twice as dropped."]}

    assert kept(refusal, case({}, method="PATCH", body_schema={"type": "object"})) is False


def test_fuzz_hook_drops_a_usd_figure_whose_usd_amount_alone_changes():
    refusal = {
        "no_usd_reason": ["A figure in USD has its USD amount: leave this empty."],
        "non_field_errors": ["For a figure in USD, the USD amount equals the amount."],
    }

    assert kept(refusal, case({}, method="PATCH", body_schema={"type": "object"})) is False


def test_fuzz_hook_drops_a_second_value_from_the_same_source():
    refusal = {
        "source": [
            "This source already gives a value of this indicator for this subject, period and kind: correct that one "
            "(a competing value needs another source)."
        ]
    }

    assert kept(refusal, case({}, method="POST", body_schema={"type": "object"})) is False
