"""Schemathesis hooks for the live fuzzing (.ci/fuzz-live, loaded through SCHEMATHESIS_HOOKS).

``positive_data_acceptance`` runs with every other check: a request the schema calls valid must not be refused. An
OpenAPI schema cannot know which codes, slugs, ids, pages and cursors exist in the database, nor which slugs are
already taken, and by contract (API.md: "Strict input") the registry refuses those with a 400 naming the parameter or
field. ``filter_failure`` drops a positive_data_acceptance failure only when *every* complaint in the 400 body is
one of these refusals, matched on the registry's exact messages, and a "does not exist" only for a parameter or
field that the schema documents without an enum (an unknown value of an enum is the schema's fault). Anything else
(a pattern the schema lacks, a value the server refuses that the schema allows) still fails the run.
"""

import json
import re

import schemathesis

CHECK = "positive_data_acceptance"


def messages(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.DOTALL)


# A page past the last one (registry.api.pagination) and a cursor the server did not hand out (any string is a
# schema-valid cursor): they depend on how many rows there are.
PAGE_OUT_OF_RANGE = messages(r"Page \d+ is out of range \(last page: \d+\)\.")
STALE_CURSOR = messages(r"Invalid cursor: use the `next`(?: or `previous`)? link as given\.")
# A code, slug or id that is not in the database: the list filters (registry.api.filters) and DRF's related fields.
UNKNOWN = messages(
    r"Unknown value\(s\) .+\.",
    r"Object with (?:code|slug)=.* does not exist\.",
    r'Invalid pk ".*" - object does not exist\.',
)
# A slug, code or source URL another record already has.
TAKEN = messages(
    r"\w[\w ]* with this \w[\w ]* already exists\.",
    r"A source with this URL is already registered: cite that one\.",
)
# The series' subject (indicators.services.resolve_subject): one that is not in the database, or one given or
# missing against the scope. OpenAPI 3.0 cannot make one query parameter depend on another's value, so subject's
# description says it; the pairing is accepted here, message by message.
SUBJECT = messages(
    r"No (?:province|corridor|project) with (?:code|slug) (?:'.*'|\".*\")\.(?: Known: .*\.)?",
    r"A (?:province|corridor|project) observation needs a subject: give the .*\.",
    r"A national observation has no subject: leave it empty, not (?:'.*'|\".*\")\.",
)
# The other documented pairings of query parameters that OpenAPI 3.0 cannot express (each parameter's description
# says it): paging modes (registry.api.pagination.PageOrCursorPagination) and include_future without as_of.
PAIRINGS = {
    "cursor": messages(r"A cursor belongs to pagination=cursor: add it\."),
    "page": messages(r"Cursor pages have no number: follow `next`\."),
    "ordering": messages(r"Cursor pages are ordered by \w+: leave ordering out\."),
    "include_future": messages(r"include_future applies to a registry read as of a date: give as_of\."),
    "bbox": messages(r"Each minimum must be at most its maximum \(min_lon ≤ max_lon, min_lat ≤ max_lat\); got '.*'\."),
}

# Write bodies: rules between fields (OpenAPI 3.0 has no "both or neither" nor "this field given that one's value")
# and rules over the stored records (a status ladder, one preferred figure, an entry's project, an exchange rate
# for the year). Each field's description states its rule; the exact messages are accepted here, by field.
ONE_PREFERRED = messages(
    r"This project already has a preferred figure of this kind: unmark that one first \(.*\)\.",
    r"Another value of this indicator, subject, period and kind is already preferred: unmark that one first \(.*\)\.",
)
BODY_RULES = {
    # The status ladder over the project's stored history (projects.rules.status_history_error).
    "date": messages(
        r"Dates along a project's history never go backwards: \S+ is before the previous status change "
        r"\([\w-]+, \S+\)\."
    ),
    "status": messages(
        r"The project was cancelled on \S+; cancelled is final\.",
        r"A project cannot move back from [\w-]+ to [\w-]+; a backward move is allowed only from suspended\.",
    ),
    "slug": messages(r"A published project's slug cannot change: .*"),
    "latitude": messages(r"Give both latitude and longitude, or neither\."),
    "longitude": messages(r"Give both latitude and longitude, or neither\."),
    "capacity_unit": messages(r"Give a capacity value together with its unit, or neither\."),
    "capacity_value": messages(r"Give a capacity value together with its unit, or neither\."),
    "completed_on": messages(r"The completion date cannot be before construction started\."),
    "period_end": messages(r"The period cannot end \(.*\) before it starts \(.*\)\."),
    "subject": SUBJECT,
    "province": messages(
        r"A \w+ observation (?:needs the province it is about|has no province: leave it empty"
        r"|is about a \w+ only: leave the province empty)\."
    ),
    "corridor": messages(
        r"A \w+ observation (?:needs the corridor it is about|has no corridor: leave it empty"
        r"|is about a \w+ only: leave the corridor empty)\."
    ),
    "project": messages(
        r"A \w+ observation (?:needs the project it is about|has no project: leave it empty"
        r"|is about a \w+ only: leave the project empty)\.",
        r"A (?:status change|figure) cannot move to another project; delete and re-add it\.",
    ),
    "is_preferred": ONE_PREFERRED,
    # One value per indicator, subject, period, kind and source (indicators.models.DUPLICATE_SOURCE_MESSAGE).
    "source": messages(
        r"This source already gives a value of this indicator for this subject, period and kind: correct that one "
        r"\(a competing value needs another source\)\."
    ),
    # A figure's one preferred per kind, and a stored USD figure whose USD amount a PATCH changes alone (the model's
    # constraints, reported for the whole record).
    "non_field_errors": messages(ONE_PREFERRED.pattern, r"For a figure in USD, the USD amount equals the amount\."),
    "no_usd_reason": messages(
        r"A figure in USD has its USD amount: leave this empty\.",
        r"A figure with a USD amount needs no reason for lacking one: leave it empty\.",
    ),
    "amount_usd": messages(
        r"For a figure in USD, the USD amount equals the amount\.",
        r"No exchange rate for [A-Z]{3} in \d+: .*",
        r"Converted at .* USD per [A-Z]{3}, .* is .* USD, too large to store \(the limit is below .* USD\)\.",
    ),
}


def matches(pattern: re.Pattern, texts: list) -> bool:
    return all(isinstance(text, str) and pattern.fullmatch(text) for text in texts)


def query_complaint_is_data_dependent(case, name: str, texts: list) -> bool:
    if name == "page" and matches(PAGE_OUT_OF_RANGE, texts):
        return True
    if name == "cursor" and matches(STALE_CURSOR, texts):
        return True
    if name in PAIRINGS and matches(PAIRINGS[name], texts):
        return True
    if name == "subject" and case.operation.path.endswith("/series/"):
        return matches(SUBJECT, texts)
    parameter = query_parameter(case, name)
    return parameter is not None and not has_enum(case, parameter.get("schema", {})) and matches(UNKNOWN, texts)


# A project (an organisation) listed twice in one role: uniqueItems compares whole items (notes included), so the
# schema can only say it in the list's description.
LISTED_TWICE = messages(r"\S+ is listed twice as [\w-]+\.")


def body_complaint_is_data_dependent(case, path: list[str], texts: list) -> bool:
    if path[0] in {"projects", "participants"} and matches(LISTED_TWICE, texts):
        return True
    if matches(TAKEN, texts) and len(path) <= 1:
        return True
    if len(path) == 1 and path[0] in BODY_RULES and matches(BODY_RULES[path[0]], texts):
        return True
    schema = body_field_schema(case, path)
    return schema is not None and not has_enum(case, schema) and matches(UNKNOWN, texts)


def complaints(body, path=()):
    """(path, messages) for every list of messages in a DRF error body, nested ones included."""
    if isinstance(body, list) and all(isinstance(item, str) for item in body):
        yield list(path), body
    elif isinstance(body, dict) and body:
        for key, value in body.items():
            yield from complaints(value, (*path, str(key)))
    elif isinstance(body, list) and body:
        for index, value in enumerate(body):
            if value:
                yield from complaints(value, (*path, str(index)))
    else:
        yield list(path), [body]  # an unexpected shape: never data-dependent


def query_parameter(case, name: str) -> dict | None:
    """The operation's query parameter ``name`` as the schema documents it, if the request sent it."""
    if name not in (case.query or {}):
        return None
    for parameter in case.operation.definition.raw.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") == name:
            return parameter
    return None


def body_field_schema(case, path: list[str]) -> dict | None:
    """The schema of the request body's field at ``path`` (``["projects", "0", "project"]``), if documented."""
    content = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    schema = resolve(case, content.get("application/json", {}).get("schema", {}))
    for key in path:
        schema = resolve(case, schema)
        if "allOf" in schema and len(schema["allOf"]) == 1:
            schema = resolve(case, schema["allOf"][0])
        if schema.get("type") == "array" and key.isdigit():
            schema = schema.get("items", {})
        elif key in schema.get("properties", {}):
            schema = schema["properties"][key]
        else:
            return None
    return resolve(case, schema)


def has_enum(case, schema: dict) -> bool:
    schema = resolve(case, schema)
    items = resolve(case, schema.get("items", {}))
    return any("enum" in resolve(case, part) for part in [schema, items, *schema.get("allOf", [])])


def resolve(case, schema: dict) -> dict:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if not ref:
        return schema if isinstance(schema, dict) else {}
    node = case.operation.schema.raw_schema
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def data_dependent(case, body) -> bool:
    """Whether every complaint of a 400 body refuses only data the database lacks (or already has)."""
    found = list(complaints(body))
    if not found:
        return False
    for path, texts in found:
        if not path:
            return False
        if case.method.upper() == "GET":
            if len(path) != 1 or not query_complaint_is_data_dependent(case, path[0], texts):
                return False
        elif not body_complaint_is_data_dependent(case, path, texts):
            return False
    return True


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep every failure except a positive_data_acceptance 400 that only refuses data the database lacks."""
    if CHECK not in type(failure).checks or response.status_code != 400:
        return True
    try:
        body = json.loads(response.content)
    except ValueError:
        return True
    return not (isinstance(body, dict) and data_dependent(case, body))
