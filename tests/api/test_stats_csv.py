"""Statistics in CSV: ``?format=csv`` on the investment statistics and the timeline."""

import csv
import io


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_stats_csv_has_a_row_per_group_and_the_totals(api, registry):
    response = api.get("/api/v1/stats/investment/?group_by=corridor&format=csv")

    rows = csv_rows(response)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cpec-investment-stats-')
    assert [(row["row"], row["corridor"], row["project_count"], row["announced_usd"]) for row in rows] == [
        ("group", "connectivity", "1", "6800000000"),
        ("group", "green", "2", "3332000000"),
        ("group", "growth", "1", ""),
        ("total", "", "4", "10132000000"),
    ]
    assert rows[1]["capacity"] == "MW=720"


def test_stats_csv_matches_the_json(api, registry):
    data = api.get("/api/v1/stats/investment/?group_by=status,phase").json()

    rows = csv_rows(api.get("/api/v1/stats/investment/?group_by=status,phase&format=csv"))

    assert [(row["status"], row["phase"], int(row["project_count"])) for row in rows[:-1]] == [
        (group["status"] or "", str(group["phase"] or ""), group["project_count"]) for group in data["groups"]
    ]
    assert int(rows[-1]["project_count"]) == data["totals"]["project_count"]


def test_stats_csv_by_organisation_names_the_role(api, registry):
    rows = csv_rows(api.get("/api/v1/stats/investment/?group_by=organisation&format=csv"))

    assert sorted((row["organisation"], row["role"]) for row in rows if row["row"] == "group") == [
        ("", ""),
        ("china-three-gorges", "sponsor"),
        ("wapda", "implementing-agency"),
    ]
    assert [row["row"] for row in rows][-1] == "total"


def test_stats_csv_by_accept_header(api, registry):
    response = api.get("/api/v1/stats/investment/?group_by=corridor", HTTP_ACCEPT="text/csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_stats_csv_bad_input_is_json_400(api, registry):
    response = api.get("/api/v1/stats/investment/?group_by=colour&format=csv")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["group_by"]


def test_stats_csv_drafts_stay_hidden(api, editor_api, registry):
    public = csv_rows(api.get("/api/v1/stats/investment/?group_by=corridor&format=csv"))
    editors = csv_rows(editor_api.get("/api/v1/stats/investment/?group_by=corridor&format=csv"))

    assert public[-1]["project_count"] == "4"
    assert editors[-1]["project_count"] == "5"


def test_timeline_csv_has_a_total_row_per_year_then_its_groups(api, registry):
    response = api.get("/api/v1/stats/investment/timeline/?kind=announced&group_by=corridor&format=csv")

    rows = csv_rows(response)
    assert response["Content-Disposition"].startswith('attachment; filename="cpec-investment-timeline-')
    assert [tuple(row.values()) for row in rows[:4]] == [
        ("announced", "2016", "total", "", "1", "1420000000"),
        ("announced", "2016", "group", "green", "1", "1420000000"),
        ("announced", "2017", "total", "", "2", "3332000000"),
        ("announced", "2017", "group", "green", "2", "3332000000"),
    ]
    assert list(rows[0]) == ["kind", "year", "row", "corridor", "project_count", "amount_usd"]
