"""Governance events: partial dates kept partial, sources required, links to projects both ways, drafts hidden."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from projects import choices, services
from projects.models import Event
from tests import factories

D = datetime.date


@pytest.fixture
def events(registry):
    memo = factories.SourceFactory(title="JCC minutes")
    sixth = services.event_create(
        slug="jcc-6",
        kind=choices.EventKind.JCC_MEETING,
        title="6th JCC meeting",
        date=D(2016, 12, 29),
        place="Beijing",
        sources=[memo],
        projects=[
            {"project": registry["ml1"], "role": choices.EventRole.REVIEWED},
            {"project": registry["draft"], "role": choices.EventRole.APPROVED, "note": "secret-draft-link"},
        ],
    )
    fifth = services.event_create(
        slug="jcc-5",
        kind=choices.EventKind.JCC_MEETING,
        title="5th JCC meeting",
        date=D(2015, 11, 1),
        date_precision=choices.DatePrecision.MONTH,
        place="Karachi",
        sources=[memo],
    )
    first = services.event_create(
        slug="jcc-1",
        kind=choices.EventKind.JCC_MEETING,
        title="1st JCC meeting",
        date=D(2013, 1, 1),
        date_precision=choices.DatePrecision.YEAR,
        place="Islamabad",
        sources=[memo],
    )
    deal = services.event_create(
        slug="karot-financing",
        kind=choices.EventKind.AGREEMENT,
        title="Karot financing agreement",
        date=D(2016, 1, 10),
        sources=[factories.SourceFactory(title="Three Gorges release")],
        projects=[{"project": registry["karot"], "role": choices.EventRole.FINANCED}],
    )
    return {"sixth": sixth, "fifth": fifth, "first": first, "deal": deal, "memo": memo}


def slugs(client, **params) -> list[str]:
    response = client.get("/api/v1/events/", params)
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_event_dates_are_as_precise_as_their_sources(api, events):
    rows = {row["slug"]: row for row in api.get("/api/v1/events/").json()["results"]}

    assert [(rows[s]["date"], rows[s]["date_precision"]) for s in ("jcc-1", "jcc-5", "jcc-6")] == [
        ("2013", "year"),
        ("2015-11", "month"),
        ("2016-12-29", "day"),
    ]
    assert list(rows) == ["jcc-1", "jcc-5", "karot-financing", "jcc-6"]  # by date


def test_event_detail_shows_sources_and_published_projects_only(api, editor_api, events):
    public = api.get("/api/v1/events/jcc-6/").json()
    editor = editor_api.get("/api/v1/events/jcc-6/").json()

    assert public["projects"] == [
        {"project": "ml-1-railway", "name": "ML-1 Railway Upgrade", "role": "reviewed", "note": ""}
    ]
    assert [link["project"] for link in editor["projects"]] == ["chashma-5", "ml-1-railway"]
    assert [source["title"] for source in public["sources"]] == ["JCC minutes"]
    assert "chashma-5" not in b"".join(api.get("/api/v1/events/?format=csv").streaming_content).decode("utf-8-sig")
    assert "chashma-5" in b"".join(editor_api.get("/api/v1/events/?format=csv").streaming_content).decode("utf-8-sig")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "agreement"}, ["karot-financing"]),
        ({"kind": "jcc-meeting,agreement"}, ["jcc-1", "jcc-5", "karot-financing", "jcc-6"]),
        ({"date_after": "2015-11-20"}, ["jcc-5", "karot-financing", "jcc-6"]),  # November 2015 reaches the 20th
        ({"date_after": "2015-12-01"}, ["karot-financing", "jcc-6"]),
        ({"date_after": "2013-06-30", "date_before": "2014-12-31"}, ["jcc-1"]),  # the year 2013 holds 30 June
        ({"date_before": "2015-11-01"}, ["jcc-1", "jcc-5"]),
        ({"date_before": "2015-10-31"}, ["jcc-1"]),
        ({"project": "karot-hydropower"}, ["karot-financing"]),
        ({"project": "ml-1-railway,karot-hydropower"}, ["karot-financing", "jcc-6"]),
        ({"search": "karachi"}, ["jcc-5"]),
        ({"search": "FINANCING"}, ["karot-financing"]),
    ],
)
def test_event_filters(api, events, params, expected):
    assert slugs(api, **params) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "summit"}, "kind"),
        ({"date_after": "2015-11"}, "date_after"),
        ({"project": "chashma-5"}, "project"),  # a draft is unknown to the public
        ({"colour": "red"}, "colour"),
    ],
)
def test_event_filters_bad_input_is_400(api, events, params, field):
    response = api.get("/api/v1/events/", params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_project_detail_lists_its_events_by_date(api, events, registry):
    services.event_set_projects(
        event=events["first"], links=[{"project": registry["karot"], "role": choices.EventRole.ANNOUNCED}]
    )

    body = api.get("/api/v1/projects/karot-hydropower/").json()

    assert body["events"] == [
        {
            "event": "jcc-1",
            "title": "1st JCC meeting",
            "kind": "jcc-meeting",
            "date": "2013",
            "role": "announced",
            "note": "",
        },
        {
            "event": "karot-financing",
            "title": "Karot financing agreement",
            "kind": "agreement",
            "date": "2016-01-10",
            "role": "financed",
            "note": "",
        },
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"event": "jcc-6"}, ["ml-1-railway"]),
        ({"event": "jcc-6,karot-financing"}, ["karot-hydropower", "ml-1-railway"]),
        ({"event": "karot-financing", "event_role": "reviewed"}, []),
        ({"event_role": "financed"}, ["karot-hydropower"]),
    ],
)
def test_project_filter_by_event(api, events, params, expected):
    response = api.get("/api/v1/projects/", params)

    assert [row["slug"] for row in response.json()["results"]] == expected


def test_event_create_with_partial_date_projects_and_sources(editor_api, events):
    response = editor_api.post(
        "/api/v1/events/",
        {
            "slug": "jcc-3",
            "kind": "jcc-meeting",
            "title": "3rd JCC meeting",
            "date": "2014-08",
            "place": "Beijing",
            "sources": [events["memo"].pk],
            "projects": [{"project": "ml-1-railway", "role": "reviewed", "note": "joint feasibility study"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    stored = Event.objects.get(slug="jcc-3")
    assert (stored.date, stored.date_precision) == (D(2014, 8, 1), "month")
    assert response.json()["date"] == "2014-08"
    assert list(stored.project_links.values_list("project__slug", "role", "note")) == [
        ("ml-1-railway", "reviewed", "joint feasibility study")
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date": "2014-8"}, "date", "Give a date as YYYY-MM-DD, YYYY-MM or YYYY; got '2014-8'."),
        ({"date": "2014-02-30"}, "date", "'2014-02-30' is not a date on the calendar."),
        ({"date": 2014}, "date", "Expected a string, got a number."),
        (
            {"date_precision": "month"},
            "date_precision",
            "This field is read-only. It follows from `date`: give YYYY-MM-DD, YYYY-MM or YYYY.",
        ),
        ({"sources": []}, "sources", "Give at least one source."),
        ({"kind": "summit"}, "kind", '"summit" is not a valid choice.'),
        (
            {"projects": [{"project": "ml-1-railway", "role": "reviewed"}] * 2},
            "projects",
            "ml-1-railway is listed twice as reviewed.",
        ),
    ],
)
def test_event_write_bad_input_is_400_and_writes_nothing(editor_api, events, change, field, message):
    body = {"slug": "jcc-3", "kind": "jcc-meeting", "title": "3rd JCC", "date": "2014", "sources": [events["memo"].pk]}

    response = editor_api.post("/api/v1/events/", {**body, **change}, format="json")

    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert not Event.objects.filter(slug="jcc-3").exists()


@pytest.mark.parametrize(("client", "status"), [("api", 401), ("reader_api", 403)])
def test_event_writes_need_permission(request, events, client, status):
    caller = request.getfixturevalue(client)
    body = {"slug": "jcc-3", "kind": "jcc-meeting", "title": "3rd JCC", "date": "2014", "sources": [events["memo"].pk]}

    responses = [
        caller.post("/api/v1/events/", body, format="json"),
        caller.patch("/api/v1/events/jcc-6/", {"title": "x"}, format="json"),
        caller.delete("/api/v1/events/jcc-6/"),
    ]

    assert [response.status_code for response in responses] == [status] * 3
    assert Event.objects.get(slug="jcc-6").title == "6th JCC meeting"


def test_event_patch_replaces_projects_and_the_feed_says_so(api, editor_api, events):
    since = timezone.now()

    response = editor_api.patch(
        "/api/v1/events/jcc-6/", {"projects": [{"project": "karot-hydropower", "role": "reviewed"}]}, format="json"
    )

    assert response.status_code == 200, response.content
    entries = api.get(f"/api/v1/changes/?since={since.isoformat().replace('+', '%2B')}").json()["results"]
    named = {(entry["model"], entry["object"], entry["action"]) for entry in entries}
    assert ("event", "jcc-6", "updated") in named
    assert ("project", "karot-hydropower", "updated") in named
    assert ("project", "ml-1-railway", "updated") in named
    assert not any("chashma" in entry["object"] for entry in entries)


def test_event_csv_has_sources_as_ids_and_projects_with_roles(api, events):
    text = b"".join(api.get("/api/v1/events/", {"format": "csv"}).streaming_content).decode("utf-8-sig")

    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["jcc-6"]["projects"] == "ml-1-railway:reviewed"
    assert rows["jcc-6"]["sources"] == str(events["memo"].pk)
    assert rows["jcc-5"]["date"] == "2015-11"


def test_event_list_query_count_does_not_grow(api, django_assert_num_queries, events, registry):
    for number in range(10):
        services.event_create(
            slug=f"visit-{number}",
            kind=choices.EventKind.VISIT,
            title=f"Visit {number}",
            date=D(2020, 1, 1 + number),
            sources=[events["memo"]],
            projects=[{"project": registry["karot"], "role": choices.EventRole.ANNOUNCED}],
        )

    with django_assert_num_queries(4):  # count, page, sources, project links
        api.get("/api/v1/events/")


def test_event_model_refuses_a_day_inside_a_month_precision():
    event = Event(slug="x", kind="visit", title="x", date=D(2015, 11, 8), date_precision="month")

    with pytest.raises(Exception) as refused:
        event.clean()

    assert refused.value.message_dict == {"date": ["A date of month precision is the month's first day (YYYY-MM-01)."]}
