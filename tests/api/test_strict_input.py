"""Strict input (API.md: Conventions): every bad query is a 400 whose JSON body names the parameter and, for a
choice, what is allowed. Never a 500, never silently unfiltered data, and never CSV or GeoJSON for an error.

Each test sends all the bad requests of one kind and compares every answer at once, so that a failure shows
each request that went wrong.
"""

import base64
import json
from urllib.parse import urlencode

import pytest

from tests import factories

PROJECTS = "/api/v1/projects/"
STATS = "/api/v1/stats/investment/"
CHANGES = "/api/v1/changes/"
STATUSES = "pipeline, mou, implementation, operational, suspended, cancelled"
ROLES = "sponsor, financier, contractor, operator, implementing-agency, government-counterpart"
PROVINCES = "PK-PB, PK-SD, PK-KP, PK-BA, PK-GB, PK-JK, PK-IS, none"
ORDERINGS = "name, announced_usd, realised_usd, realisation_ratio, status_since, updated_at, capacity_value"
DIMENSIONS = "corridor, pillar, sector, status, province, phase, confidence, organisation"
MODELS = (
    "corridor, event, event-project, exchange-rate, external-identifier, indicator, investment, observation, "
    "organisation, participation, pillar, project, sector, source, status-change"
)
# The documented project filters (API.md: "Project filters"); `publication` is for editors only.
PROJECT_FILTERS = [
    "announced_usd_max",
    "announced_usd_min",
    "bbox",
    "committed_usd_max",
    "committed_usd_min",
    "completed_after",
    "confidence",
    "completed_before",
    "corridor",
    "country",
    "event",
    "event_role",
    "has_location",
    "is_stale",
    "organisation",
    "phase",
    "pillar",
    "province",
    "realisation_ratio_max",
    "realisation_ratio_min",
    "realised_usd_max",
    "realised_usd_min",
    "role",
    "search",
    "sector",
    "status",
    "status_since_after",
    "status_since_before",
    "updated_since",
]
AS_OF = ["as_of", "include_future"]
PROJECT_LIST_PARAMETERS = [
    *PROJECT_FILTERS,
    *AS_OF,
    "cursor",
    "fields",
    "format",
    "ordering",
    "page",
    "page_size",
    "pagination",
]
STATS_PARAMETERS = [*PROJECT_FILTERS, *AS_OF, "format", "group_by"]
NUMBER_FILTERS = [name for name in PROJECT_FILTERS if name.endswith(("_min", "_max"))]
DATE_FILTERS = ["status_since_after", "status_since_before", "completed_after", "completed_before"]


def answer(response) -> tuple:
    """What a client gets: the status, the content type and the decoded body."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    is_json = response["Content-Type"] == "application/json"
    disposition = response.get("Content-Disposition")
    return response.status_code, response["Content-Type"], json.loads(content) if is_json else content, disposition


def refused(body: dict) -> tuple:
    """The answer to a bad request: a 400 with a JSON body, never an attachment."""
    return 400, "application/json", body, None


def answers(client, urls) -> dict:
    return {url: answer(client.get(url)) for url in urls}


def query(url: str, **params) -> str:
    return f"{url}?{urlencode(params)}"


def unknown_parameter(accepted: list[str]) -> list[str]:
    return [f"Unknown query parameter. Accepted parameters: {', '.join(sorted(accepted))}."]


# --- unknown parameters -----------------------------------------------------------------------------------------


def test_unknown_parameter_on_the_project_list_is_named_with_the_accepted_ones(api, reader_api, editor_api, db):
    url = query(PROJECTS, corridr="green")

    got = {name: answer(client.get(url)) for name, client in [("anonymous", api), ("reader", reader_api)]}
    got["editor"] = answer(editor_api.get(url))

    assert got == {
        "anonymous": refused({"corridr": unknown_parameter(PROJECT_LIST_PARAMETERS)}),
        "reader": refused({"corridr": unknown_parameter(PROJECT_LIST_PARAMETERS)}),
        "editor": refused({"corridr": unknown_parameter([*PROJECT_LIST_PARAMETERS, "publication"])}),
    }


def test_unknown_parameters_are_each_named(api, db):
    response = api.get(PROJECTS, {"stauts": "mou", "corridor": "", "Search": "karot", "limit": "10"})

    assert answer(response) == refused(
        dict.fromkeys(["Search", "limit", "stauts"], unknown_parameter(PROJECT_LIST_PARAMETERS))
    )


def test_unknown_parameter_on_every_list_is_named_with_the_accepted_ones(api, registry):
    cases = {
        "/api/v1/corridors/?colour=red": ["fields", "format", "page", "page_size"],
        "/api/v1/pillars/?colour=red": ["fields", "format", "page", "page_size"],
        "/api/v1/sectors/?colour=red": ["fields", "format", "page", "page_size", "parent"],
        "/api/v1/provinces/?colour=red": ["fields", "format"],
        "/api/v1/organisations/?colour=red": ["country", "fields", "format", "kind", "page", "page_size", "search"],
        "/api/v1/sources/?colour=red": ["fields", "format", "kind", "page", "page_size", "publisher", "search"],
        "/api/v1/status-changes/?colour=red": ["fields", "format", "page", "page_size", "project", "status"],
        "/api/v1/investments/?colour=red": ["currency", "fields", "format", "kind", "page", "page_size", "project"],
        "/api/v1/events/?colour=red": [
            "date_after",
            "date_before",
            "fields",
            "format",
            "kind",
            "page",
            "page_size",
            "project",
            "search",
        ],
        "/api/v1/stats/investment/timeline/?kind=announced&colour=red": [
            *PROJECT_FILTERS,
            "format",
            "group_by",
            "kind",
        ],
        "/api/v1/projects/karot-hydropower/history/?colour=red": ["format", "page", "page_size"],
        "/api/v1/changes/?colour=red": ["cursor", "format", "model", "page_size", "since"],
        "/api/v1/stats/investment/?group_by=corridor&colour=red": STATS_PARAMETERS,
    }

    assert answers(api, cases) == {
        url: refused({"colour": unknown_parameter(accepted)}) for url, accepted in cases.items()
    }


def test_unknown_parameter_on_a_detail_is_named_with_the_accepted_ones(api, registry):
    karot = registry["karot"]
    status_change = karot.status_changes.first()
    details = [
        "/api/v1/projects/karot-hydropower/",
        "/api/v1/corridors/green/",
        "/api/v1/pillars/energy/",
        "/api/v1/sectors/energy-hydro/",
        "/api/v1/provinces/PK-PB/",
        "/api/v1/organisations/wapda/",
        f"/api/v1/status-changes/{status_change.pk}/",
        f"/api/v1/investments/{karot.investments.first().pk}/",
        f"/api/v1/sources/{status_change.source_id}/",
    ]
    cases = {f"{url}?{parameter}=1": parameter for url in details for parameter in ["page", "corridor", "search"]}

    def accepted(url: str) -> list[str]:
        return ["as_of", "fields", "format", "include_future"] if url.startswith(PROJECTS) else ["fields", "format"]

    assert answers(api, cases) == {
        url: refused({parameter: unknown_parameter(accepted(url))}) for url, parameter in cases.items()
    }


# --- choices and codes ------------------------------------------------------------------------------------------


def test_invalid_choice_names_the_parameter_and_lists_the_allowed_values(api, db):
    cases = {
        f"{PROJECTS}?status=bogus": {"status": [f"Unknown value(s) 'bogus'. Allowed: {STATUSES}."]},
        f"{PROJECTS}?status=mou,bogus,worse": {"status": [f"Unknown value(s) 'bogus', 'worse'. Allowed: {STATUSES}."]},
        f"{PROJECTS}?status=mou&status=Operational": {
            "status": [f"Unknown value(s) 'Operational'. Allowed: {STATUSES}."]
        },
        f"{PROJECTS}?phase=3": {"phase": ["Unknown value(s) '3'. Allowed: 1, 2."]},
        f"{PROJECTS}?province=PK-XX": {"province": [f"Unknown value(s) 'PK-XX'. Allowed: {PROVINCES}."]},
        f"{PROJECTS}?province=pk-pb": {"province": [f"Unknown value(s) 'pk-pb'. Allowed: {PROVINCES}."]},
        f"{PROJECTS}?role=boss": {"role": [f"Unknown value(s) 'boss'. Allowed: {ROLES}."]},
        "/api/v1/status-changes/?status=done": {"status": [f"Unknown value(s) 'done'. Allowed: {STATUSES}."]},
        "/api/v1/investments/?kind=pledged": {
            "kind": ["Unknown value(s) 'pledged'. Allowed: announced, committed, realised."]
        },
        "/api/v1/organisations/?kind=ngo": {
            "kind": [
                "Unknown value(s) 'ngo'. Allowed: government, state-owned, private, financier, multilateral, other."
            ]
        },
        "/api/v1/sources/?kind=blog": {
            "kind": ["Unknown value(s) 'blog'. Allowed: official, news, academic, dataset, other."]
        },
    }

    assert answers(api, cases) == {url: refused(body) for url, body in cases.items()}


def test_invalid_publication_choice_for_an_editor_lists_the_allowed_values(editor_api, db):
    response = editor_api.get(PROJECTS, {"publication": "secret"})

    assert answer(response) == refused({"publication": ["Unknown value(s) 'secret'. Allowed: draft, published."]})


def test_unknown_code_names_the_parameter_and_lists_the_known_codes(api, registry):
    corridors = "Allowed: connectivity, green, growth, none."
    published = "Allowed: karot-hydropower, ml-1-railway, rashakai-sez, sahiwal-coal."
    cases = {
        f"{PROJECTS}?corridor=blue": {"corridor": [f"Unknown value(s) 'blue'. {corridors}"]},
        f"{PROJECTS}?corridor=green,blue": {"corridor": [f"Unknown value(s) 'blue'. {corridors}"]},
        f"{PROJECTS}?corridor=green&corridor=blue": {"corridor": [f"Unknown value(s) 'blue'. {corridors}"]},
        f"{PROJECTS}?corridor=GREEN": {"corridor": [f"Unknown value(s) 'GREEN'. {corridors}"]},
        f"{PROJECTS}?pillar=environment": {
            "pillar": ["Unknown value(s) 'environment'. Allowed: energy, equity, export."]
        },
        f"{PROJECTS}?sector=energy-solar": {
            "sector": ["Unknown value(s) 'energy-solar'. Allowed: energy, energy-coal, energy-hydro, transport."]
        },
        f"{PROJECTS}?organisation=nobody,wapda": {
            "organisation": ["Unknown value(s) 'nobody'. Allowed: china-three-gorges, wapda."]
        },
        # The public never learns a draft's slug, not even from an error message.
        "/api/v1/status-changes/?project=chashma-5": {"project": [f"Unknown value(s) 'chashma-5'. {published}"]},
        "/api/v1/investments/?project=nowhere": {"project": [f"Unknown value(s) 'nowhere'. {published}"]},
        # Only top-level sectors are parents.
        "/api/v1/sectors/?parent=energy-hydro": {
            "parent": ["Unknown value(s) 'energy-hydro'. Allowed: energy, transport."]
        },
    }

    assert answers(api, cases) == {url: refused(body) for url, body in cases.items()}


def test_malformed_country_and_currency_codes_are_refused(api, db):
    cases = {
        query(PROJECTS, country="CHN"): {"country": ["Use 2-letter codes such as CN, PK; got 'CHN'."]},
        query(PROJECTS, country="CN,P1"): {"country": ["Use 2-letter codes such as CN, PK; got 'P1'."]},
        query(PROJECTS, country="ÇN"): {"country": ["Use 2-letter codes such as CN, PK; got 'ÇN'."]},
        query("/api/v1/organisations/", country="China"): {
            "country": ["Use 2-letter codes such as CN, PK; got 'China'."]
        },
        query("/api/v1/investments/", currency="US$"): {
            "currency": ["Use 3-letter codes such as USD, PKR; got 'US$'."]
        },
    }

    assert answers(api, cases) == {url: refused(body) for url, body in cases.items()}


# --- dates, datetimes, numbers, booleans, boxes -----------------------------------------------------------------


def test_malformed_date_is_refused(api, db):
    values = ["2020-13-01", "2020-02-30", "yesterday", "2020/01/01", "01-02-2020", "2020-01", "99999-01-01"]
    cases = {query(PROJECTS, **{name: value}): (name, value) for name in DATE_FILTERS for value in values}

    assert answers(api, cases) == {
        url: refused({name: [f"Enter a date as YYYY-MM-DD; got {value!r}."]}) for url, (name, value) in cases.items()
    }


def test_malformed_datetime_is_refused(api, db):
    values = ["yesterday", "2020-01-01T25:00:00", "2020-01-01T10:00:00+25:00", "2020-01-01T10:00:00 UTC", "1700000000"]
    cases = {
        query(url, **{name: value}): (name, value)
        for url, name in [(PROJECTS, "updated_since"), (CHANGES, "since")]
        for value in values
    }

    assert answers(api, cases) == {
        url: refused({name: [f"Enter an ISO 8601 datetime such as 2026-01-31T12:00:00+00:00; got {value!r}."]})
        for url, (name, value) in cases.items()
    }


def test_datetime_without_a_utc_equivalent_is_refused(api, db):
    values = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
    cases = {
        query(url, **{name: value}): (name, value)
        for url, name in [(PROJECTS, "updated_since"), (CHANGES, "since")]
        for value in values
    }

    assert answers(api, cases) == {
        url: refused({name: [f"The datetime {value!r} is out of range in UTC."]})
        for url, (name, value) in cases.items()
    }


def test_malformed_number_is_refused(api, db):
    values = ["abc", "1,000", "1_000", "12abc", "0x10", "1e", "--1", "١٢", "1 000", "½"]
    cases = {query(PROJECTS, **{name: value}): (name, value) for name in NUMBER_FILTERS for value in values}

    assert answers(api, cases) == {
        url: refused({name: [f"Enter a number; got {value!r}."]}) for url, (name, value) in cases.items()
    }


def test_nan_and_infinite_numbers_are_refused(api, db):
    values = ["NaN", "nan", "sNaN", "inf", "-Infinity", "+inf"]
    cases = {query(PROJECTS, **{name: value}): (name, value) for name in NUMBER_FILTERS for value in values}

    assert answers(api, cases) == {
        url: refused({name: [f"Enter a finite number; got {value!r}."]}) for url, (name, value) in cases.items()
    }


def test_number_beyond_what_any_filter_could_mean_is_refused(api, db):
    messages = {
        "1e400": "Enter a number between -1e50 and 1e50; got '1e400'.",
        "-1e999999": "Enter a number between -1e50 and 1e50; got '-1e999999'.",
        "1e50": "Enter a number between -1e50 and 1e50; got '1e50'.",
        "1e-999999999": "Enter a number with at most 330 decimal places; got '1e-999999999'.",
        "1e-331": "Enter a number with at most 330 decimal places; got '1e-331'.",
    }
    cases = {query(PROJECTS, **{name: value}): (name, value) for name in NUMBER_FILTERS for value in messages}

    assert answers(api, cases) == {url: refused({name: [messages[value]]}) for url, (name, value) in cases.items()}


def test_number_at_the_limits_is_accepted(api, registry):
    # Each value as both announced_usd_min and realisation_ratio_max: only Karot has a ratio (about 1.196), and every
    # announced figure is below 1e49.
    values = {
        "-1e49": [],
        "1e49": [],
        "0.00000000000000000001": [],
        "0e-999999999": [],
        "-0": [],
        "+7": ["karot-hydropower"],
        ".5": [],
        "5.": ["karot-hydropower"],
        "1.5" + "0" * 20000: ["karot-hydropower"],
    }

    got = {
        value: answer(api.get(PROJECTS, {"announced_usd_min": value, "realisation_ratio_max": value}))
        for value in values
    }

    assert {
        value: (status, [row["slug"] for row in body["results"]]) for value, (status, _, body, _) in got.items()
    } == {value: (200, slugs) for value, slugs in values.items()}


def test_bad_boolean_is_refused(api, db):
    values = ["maybe", "2", "tru", "yes please", "on", "null", "yes", "no", "True"]
    cases = {
        query(PROJECTS, **{name: value}): (name, value) for name in ["is_stale", "has_location"] for value in values
    }

    assert answers(api, cases) == {
        url: refused({name: [f"Write true or false (or 1 or 0); got {value!r}."]})
        for url, (name, value) in cases.items()
    }


def test_malformed_bbox_is_refused(api, db):
    values = ["1,2,3", "a,b,c,d", "1,2,3,4,5", "73;30;74;31", ",,,", "73.0 30.0 74.0 31.0"]
    # Out of range, or numbers float() reads but the schema's pattern refuses (live fuzzing: 1e1, nan, 7_3).
    values += ["-181,0,0,10", "0,0,181,10", "0,-91,10,0", "0,0,10,91", "nan,30,74,31", "73,30,inf,31"]
    values += ["1e400,30,74,31", "1e1,30,74,31", "7_3,30,74,31", "\t73,30,74,31", "+73,30,74,31"]
    cases = {query(PROJECTS, bbox=value): value for value in values}

    assert answers(api, cases) == {
        url: refused(
            {
                "bbox": [
                    "Give four numbers: min_lon,min_lat,max_lon,max_lat (e.g. 66.5,24.5,68.0,25.5), longitudes in "
                    f"-180..180 and latitudes in -90..90; got {value!r}."
                ]
            }
        )
        for url, value in cases.items()
    }


def test_bbox_inverted_is_refused(api, db):
    values = [
        "74,30,73,31",  # min_lon > max_lon
        "73,31,74,30",  # min_lat > max_lat
    ]
    cases = {query(PROJECTS, bbox=value): value for value in values}

    assert answers(api, cases) == {
        url: refused(
            {
                "bbox": [
                    f"Each minimum must be at most its maximum (min_lon ≤ max_lon, min_lat ≤ max_lat); got {value!r}."
                ]
            }
        )
        for url, value in cases.items()
    }


# --- ordering and pagination ------------------------------------------------------------------------------------


def test_unknown_ordering_is_refused_with_the_allowed_ones(api, db):
    cases = {
        query(PROJECTS, ordering="colour"): "'colour'",
        query(PROJECTS, ordering="-colour"): "'-colour'",
        query(PROJECTS, ordering="slug"): "'slug'",  # the tie-breaker is not a public ordering
        query(PROJECTS, ordering="status"): "'status'",
        query(PROJECTS, ordering="--name"): "'--name'",
        query(PROJECTS, ordering="+name"): "'+name'",
        query(PROJECTS, ordering="-"): "'-'",
        query(PROJECTS, ordering="NAME"): "'NAME'",
        query(PROJECTS, ordering="name,colour,-size"): "'colour', '-size'",
        f"{PROJECTS}?ordering=name&ordering=colour": "'colour'",
    }

    assert answers(api, cases) == {
        url: refused(
            {"ordering": [f"Unknown ordering {unknown}. Allowed: {ORDERINGS} (prefix with - for descending)."]}
        )
        for url, unknown in cases.items()
    }


def test_page_that_is_not_a_whole_number_from_1_is_refused(api, registry):
    values = ["0", "-1", "abc", "1.5", "1e1", "²", "１", " 1", "0x1"]
    cases = {query(PROJECTS, page=value): value for value in values}
    cases[query("/api/v1/projects/karot-hydropower/history/", page="0")] = "0"

    assert answers(api, cases) == {
        url: refused({"page": [f"Must be a whole number from 1; got {value!r}."]}) for url, value in cases.items()
    }


def test_page_past_the_end_is_refused_with_the_last_page(api, registry):
    huge = "9" * 5000
    cases = {
        f"{PROJECTS}?page=2": ("2", 1),
        f"{PROJECTS}?page=3&page_size=2": ("3", 2),
        f"{PROJECTS}?page=5&page_size=1": ("5", 4),
        f"{PROJECTS}?page=2&corridor=growth&phase=1": ("2", 1),  # an empty result has one (empty) page
        f"{PROJECTS}?page={huge}": (huge, 1),
        "/api/v1/corridors/?page=2": ("2", 1),
        "/api/v1/projects/karot-hydropower/history/?page=99": ("99", 1),
    }

    assert answers(api, cases) == {
        url: refused({"page": [f"Page {page} is out of range (last page: {last})."]})
        for url, (page, last) in cases.items()
    }


def test_page_size_outside_1_to_500_is_refused(api, registry):
    values = ["0", "501", "-1", "abc", "1.5", "1e2", "²", "9" * 5000]
    lists = [PROJECTS, "/api/v1/corridors/", "/api/v1/projects/karot-hydropower/history/", CHANGES]
    cases = {query(url, page_size=value): value for url in lists for value in values}

    assert answers(api, cases) == {
        url: refused({"page_size": [f"Must be a whole number from 1 to 500; got {value!r}."]})
        for url, value in cases.items()
    }


# --- formats ----------------------------------------------------------------------------------------------------


def test_unknown_format_is_refused_with_the_allowed_ones(api, registry):
    urls = {
        f"{PROJECTS}?": "json, csv, geojson, api",
        "/api/v1/corridors/?": "json, csv, api",
        "/api/v1/projects/karot-hydropower/?": "json, api",
        "/api/v1/projects/karot-hydropower/history/?": "json, api",
        "/api/v1/corridors/green/?": "json, api",
        f"{STATS}?group_by=corridor&": "json, csv, api",
        f"{CHANGES}?": "json, api",
    }
    cases = {f"{url}format={value}": (value, allowed) for url, allowed in urls.items() for value in ["xml", "JSON"]}
    cases[f"{PROJECTS}karot-hydropower/?format=csv"] = ("csv", "json, api")  # exports are for lists only
    cases[f"{PROJECTS}karot-hydropower/?format=geojson"] = ("geojson", "json, api")
    cases["/api/v1/corridors/?format=geojson"] = ("geojson", "json, csv, api")  # only projects have places

    assert answers(api, cases) == {
        url: refused({"format": [f"Unknown format {value!r}. Allowed: {allowed}."]})
        for url, (value, allowed) in cases.items()
    }


BAD_PROJECT_QUERIES = {
    "status=bogus": "status",
    "corridor=blue": "corridor",
    "bbox=1,2,3": "bbox",
    "ordering=colour": "ordering",
    "colour=red": "colour",
    "announced_usd_min=NaN": "announced_usd_min",
    "updated_since=yesterday": "updated_since",
}


@pytest.mark.parametrize(
    ("format_query", "headers"),
    [
        ("format=csv&", {}),
        ("format=geojson&", {}),
        ("", {"HTTP_ACCEPT": "text/csv"}),
        ("", {"HTTP_ACCEPT": "application/geo+json"}),
    ],
)
def test_errors_are_json_even_when_an_export_was_asked_for(api, vocab, format_query, headers):
    got = {}
    for bad in BAD_PROJECT_QUERIES:
        status, content_type, body, disposition = answer(api.get(f"{PROJECTS}?{format_query}{bad}", **headers))
        got[bad] = (status, content_type, list(body) if isinstance(body, dict) else body, disposition)

    assert got == {bad: (400, "application/json", [name], None) for bad, name in BAD_PROJECT_QUERIES.items()}


def test_errors_on_other_lists_are_json_even_when_csv_was_asked_for(api, vocab):
    corridors = answer(api.get("/api/v1/corridors/?format=csv&colour=red"))
    sectors = answer(api.get("/api/v1/sectors/?parent=nothing", HTTP_ACCEPT="text/csv"))

    assert corridors == refused({"colour": unknown_parameter(["fields", "format", "page", "page_size"])})
    assert sectors == refused({"parent": ["Unknown value(s) 'nothing'. Allowed: energy, transport."]})


# --- NUL bytes --------------------------------------------------------------------------------------------------


def test_nul_byte_in_the_query_string_is_refused(api, db):
    urls = [
        f"{PROJECTS}?search=a%00b",
        f"{PROJECTS}?search=%00",
        f"{PROJECTS}?corridor=green%00",
        f"{PROJECTS}?%00=1",
        f"{PROJECTS}?page=1%00",
        f"{PROJECTS}?format=csv&search=%00",
        query(PROJECTS, search="karot\x00"),
        f"{CHANGES}?model=project%00",
        f"{STATS}?group_by=corridor%00",
        "/api/v1/organisations/?search=%00",
    ]

    assert answers(api, urls) == dict.fromkeys(
        urls, refused({"detail": "The query string contains a NUL byte, which is never valid."})
    )


def test_nul_byte_in_the_path_is_refused(api, db):
    urls = [f"{PROJECTS}karot%00/", f"{PROJECTS}%00/", "/api/v1/corridors/green%00/", "/api/v1/%00/", "/healthz%00"]

    assert answers(api, urls) == dict.fromkeys(
        urls, refused({"detail": "The path contains a NUL byte, which is never valid."})
    )


def test_percent_encoded_percent_sign_is_not_a_nul_byte(api, registry):
    response = api.get(f"{PROJECTS}?search=%2500")

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


# --- statistics -------------------------------------------------------------------------------------------------


def test_investment_stats_bad_input_is_refused(api, vocab):
    one_or_two = {"group_by": [f"Give one or two different dimensions of: {DIMENSIONS}."]}
    cases = {
        STATS: one_or_two,
        f"{STATS}?group_by=": one_or_two,
        f"{STATS}?group_by=corridor,pillar,status": one_or_two,
        f"{STATS}?group_by=corridor&group_by=pillar&group_by=status": one_or_two,
        f"{STATS}?group_by=corridor,corridor": one_or_two,
        f"{STATS}?group_by=country": {"group_by": [f"Unknown dimension(s) country. Allowed: {DIMENSIONS}."]},
        f"{STATS}?group_by=corridor,year": {"group_by": [f"Unknown dimension(s) year. Allowed: {DIMENSIONS}."]},
        f"{STATS}?group_by=corridor&ordering=name": {"ordering": unknown_parameter(STATS_PARAMETERS)},
        f"{STATS}?group_by=corridor&page=2": {"page": unknown_parameter(STATS_PARAMETERS)},
        f"{STATS}?group_by=corridor&status=bogus": {"status": [f"Unknown value(s) 'bogus'. Allowed: {STATUSES}."]},
        f"{STATS}?group_by=corridor&corridor=blue": {
            "corridor": ["Unknown value(s) 'blue'. Allowed: connectivity, green, growth, none."]
        },
        f"{STATS}?group_by=corridor&is_stale=maybe": {"is_stale": ["Write true or false (or 1 or 0); got 'maybe'."]},
        f"{STATS}?group_by=corridor&announced_usd_min=inf": {
            "announced_usd_min": ["Enter a finite number; got 'inf'."]
        },
    }

    assert answers(api, cases) == {url: refused(body) for url, body in cases.items()}


def test_investment_stats_publication_filter_is_for_editors(editor_api, registry):
    response = editor_api.get(f"{STATS}?group_by=corridor&publication=draft")

    body = response.json()
    assert response.status_code == 200
    assert [(group["corridor"], group["project_count"], group["announced_usd"]) for group in body["groups"]] == [
        ("green", 1, 3700000000)
    ]
    assert (body["totals"]["project_count"], body["totals"]["announced_usd"]) == (1, 3700000000)


# --- the change feed --------------------------------------------------------------------------------------------


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_change_feed_bad_input_is_refused(api, db):
    invalid_cursor = {"cursor": ["Invalid cursor: use the `next` link as given."]}
    cases = {
        query(CHANGES, since="last week"): {
            "since": ["Enter an ISO 8601 datetime such as 2026-01-31T12:00:00+00:00; got 'last week'."]
        },
        query(CHANGES, model="projects"): {"model": [f"Unknown value(s) 'projects'. Allowed: {MODELS}."]},
        query(CHANGES, model="project,user"): {"model": [f"Unknown value(s) 'user'. Allowed: {MODELS}."]},
        query(CHANGES, cursor="abc"): invalid_cursor,
        query(CHANGES, cursor="!!!not-base64!!!"): invalid_cursor,
        query(CHANGES, cursor=cursor_of(["x"])): invalid_cursor,
        query(CHANGES, cursor=cursor_of({"at": 1})): invalid_cursor,
        query(CHANGES, cursor=raw_cursor("before:")): invalid_cursor,
        query(CHANGES, cursor=raw_cursor("before:-1")): invalid_cursor,
        query(CHANGES, cursor=raw_cursor("before:1e3")): invalid_cursor,
        query(CHANGES, cursor=raw_cursor("after:12")): invalid_cursor,
        query(CHANGES, page="2"): {"page": unknown_parameter(["cursor", "format", "model", "page_size", "since"])},
    }

    assert answers(api, cases) == {url: refused(body) for url, body in cases.items()}


def test_change_feed_accepts_the_cursor_it_gives(api, registry):
    first = api.get(CHANGES, {"page_size": 2})
    four = api.get(CHANGES, {"page_size": 4}).json()["results"]

    second = api.get(first.json()["next"])

    assert second.status_code == 200
    assert second.json()["results"] == four[2:]


# --- never a 500 ------------------------------------------------------------------------------------------------


EMPTY_PAGE = {"count": 0, "next": None, "previous": None, "results": []}
BBOX_EXAMPLE = "66.5,24.5,68.0,25.5"
SOURCE_KINDS = "official, news, academic, dataset, other"


def test_odd_input_never_gives_a_server_error(api, vocab):
    corridors = "Allowed: connectivity, green, growth, none."
    no_projects = "Allowed: ."
    cases = {
        f"{PROJECTS}?corridor=%FF%FE": (400, {"corridor": [f"Unknown value(s) '\ufffd\ufffd'. {corridors}"]}),
        f"{PROJECTS}?search=%FF": (200, EMPTY_PAGE),
        f"{PROJECTS}?search={'x' * 10000}": (200, EMPTY_PAGE),
        f"{PROJECTS}?ordering=%F0%9F%92%A9": (
            400,
            {"ordering": [f"Unknown ordering '\U0001f4a9'. Allowed: {ORDERINGS} (prefix with - for descending)."]},
        ),
        f"{PROJECTS}?bbox=%E2%80%93180,0,0,10": (
            400,
            {
                "bbox": [
                    f"Give four numbers: min_lon,min_lat,max_lon,max_lat (e.g. {BBOX_EXAMPLE}), longitudes in "
                    "-180..180 and latitudes in -90..90; got '\u2013180,0,0,10'."
                ]
            },
        ),
        f"{PROJECTS}?{'corridor=green&' * 200}phase=9": (400, {"phase": ["Unknown value(s) '9'. Allowed: 1, 2."]}),
        f"{PROJECTS}?status_since_after=0000-01-01": (
            400,
            {"status_since_after": ["Enter a date as YYYY-MM-DD; got '0000-01-01'."]},
        ),
        f"{PROJECTS}?status_since_after=0001-01-01&completed_before=9999-12-31": (200, EMPTY_PAGE),
        f"{PROJECTS}?updated_since=2026-01-01T00:00:00%2B99:00": (
            400,
            {
                "updated_since": [
                    "Enter an ISO 8601 datetime such as 2026-01-31T12:00:00+00:00; got '2026-01-01T00:00:00+99:00'."
                ]
            },
        ),
        f"{PROJECTS}?updated_since=0001-01-01T00:00:00Z": (200, EMPTY_PAGE),
        f"{PROJECTS}?realisation_ratio_min={'9' * 5000}": (
            400,
            {"realisation_ratio_min": [f"Enter a number between -1e50 and 1e50; got '{'9' * 5000}'."]},
        ),
        f"{PROJECTS}?announced_usd_min=1e-999999999": (
            400,
            {"announced_usd_min": ["Enter a number with at most 330 decimal places; got '1e-999999999'."]},
        ),
        "/api/v1/investments/?project=%01x": (400, {"project": [f"Unknown value(s) '\\x01x'. {no_projects}"]}),
        "/api/v1/status-changes/?project=" + "a" * 1000: (
            400,
            {"project": [f"Unknown value(s) '{'a' * 1000}'. {no_projects}"]},
        ),
        "/api/v1/sources/?kind=" + ",".join(["x"] * 500): (
            400,
            {"kind": [f"Unknown value(s) {', '.join([repr('x')] * 500)}. Allowed: {SOURCE_KINDS}."]},
        ),
        f"{CHANGES}?since=2026-01-01T00:00:00%2B14:00&model=" + "project," * 50: (
            400,
            {"model": ["An empty value in the list: give values separated by single commas."]},
        ),
        "/api/v1/sources/abc/": (404, {"detail": "Not found."}),
        "/api/v1/investments/99999999999999999999999/": (
            404,
            {"detail": "No InvestmentFigure matches the given query."},
        ),
    }

    got = {url: answer(api.get(url)) for url in cases}

    assert {url[:80]: (status, body) for url, (status, _, body, _) in got.items()} == {
        url[:80]: expected for url, expected in cases.items()
    }


def test_source_detail_with_a_non_numeric_id_is_not_found(api, db):
    factories.SourceFactory()

    response = api.get("/api/v1/sources/abc/")

    assert answer(response) == (404, "application/json", {"detail": "Not found."}, None)
