"""The pure parts of bench/http_compare.py: wrk's summary line, /proc CPU times, ratios against the issue-16
targets, and the README section it regenerates. No server, no wrk, no database."""

import pytest

from bench import http_compare, run

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8821
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    95.12ms   20.31ms 250.00ms   80.00%
  Latency Distribution
     50%   90.00ms
     99%  210.00ms
  812 requests in 5.01s, 9.80MB read
Requests/sec:    162.08
LOAD requests=812 seconds=5.010 rps=162.08 mean_ms=95.12 p50_ms=90.00 p90_ms=130.50 p99_ms=210.00 max_ms=250.00 \
non2xx=3 connect_errors=0 read_errors=1 write_errors=0 timeouts=2
"""


def wrk_result(requests: int, seconds: float, p99_ms: float, cpu_s: float | None, mean_ms: float = 10.0) -> dict:
    return {
        "requests": requests,
        "seconds": seconds,
        "mean_ms": mean_ms,
        "p99_ms": p99_ms,
        "cpu_s": cpu_s,
        "non2xx": 0,
    }


def test_parse_wrk_reads_the_load_line_as_numbers():
    parsed = http_compare.parse_wrk(WRK_OUTPUT)

    assert parsed == {
        "requests": 812,
        "seconds": 5.01,
        "rps": 162.08,
        "mean_ms": 95.12,
        "p50_ms": 90.0,
        "p90_ms": 130.5,
        "p99_ms": 210.0,
        "max_ms": 250.0,
        "non2xx": 3,
        "connect_errors": 0,
        "read_errors": 1,
        "write_errors": 0,
        "timeouts": 2,
    }


def test_parse_wrk_without_load_line_raises():
    with pytest.raises(ValueError, match="no LOAD line"):
        http_compare.parse_wrk("Running 5s test @ http://127.0.0.1:8821\nRequests/sec: 10.0\n")


def test_cpu_ticks_adds_user_and_system_time_past_a_command_with_spaces():
    stat = "4242 (gunicorn: worker [x y]) S 4200 4200 4200 0 -1 4194560 9000 0 0 0 1234 567 0 0 20 0 1 0 77 0 0"

    assert http_compare.cpu_ticks(stat) == 1234 + 567


def test_ratios_total_requests_over_rounds_and_take_the_median_p99():
    results = {
        "api": {
            1: [wrk_result(80, 10.0, 30.0, 0.8), wrk_result(120, 10.0, 50.0, 1.2), wrk_result(100, 10.0, 40.0, 1.0)],
        },
        "baseline": {
            1: [wrk_result(100, 10.0, 20.0, 0.5), wrk_result(100, 10.0, 25.0, 0.5), wrk_result(100, 10.0, 30.0, 0.5)],
        },
    }

    found = http_compare.ratios(results)

    assert found["rps"] == {1: pytest.approx(1.0)}
    assert found["p99"] == {1: pytest.approx(40.0 / 25.0)}
    assert found["cpu"] == pytest.approx((3.0 / 300) / (1.5 / 300))
    assert found["errors"] == 0


def test_ratios_of_an_export_compare_mean_wall_time():
    results = {
        "api": {"wall": [wrk_result(2, 12.0, 7000.0, 8.0, mean_ms=6000.0)]},
        "baseline": {"wall": [wrk_result(2, 10.0, 5500.0, 6.0, mean_ms=5000.0)]},
    }

    found = http_compare.ratios(results)

    assert (found["wall"], "rps" in found) == (pytest.approx(1.2), False)


def test_ratios_with_no_finished_request_on_a_side_is_none():
    results = {"api": {16: [wrk_result(0, 3.0, 0.0, 0.0)]}, "baseline": {16: [wrk_result(30, 3.0, 900.0, 0.6)]}}

    found = http_compare.ratios(results)

    assert (found["rps"], found["p99"], found["cpu"]) == ({16: None}, {16: None}, None)


def test_verdict_list_passes_at_the_bounds():
    text, result = http_compare.verdict("list", {"rps": {1: 0.8, 16: 0.95}, "p99": {1: 1.5, 16: 1.1}})

    assert (text, result) == ("req/s ≥0.8×; p99 ≤1.5×", "PASS")


def test_verdict_list_names_every_miss_with_its_connection_count():
    _, result = http_compare.verdict("list", {"rps": {1: 0.79, 16: 0.85}, "p99": {1: 1.2, 16: 1.62}})

    assert result == "MISS (rps 0.79× at 1 conn, p99 1.62× at 16 conn)"


def test_verdict_stats_needs_point_nine():
    _, result = http_compare.verdict("stats", {"rps": {1: 0.91, 16: 0.89}, "p99": {1: 1.0, 16: 1.0}})

    assert result == "MISS (rps 0.89× at 16 conn)"


def test_verdict_export_compares_wall_time():
    assert http_compare.verdict("export", {"wall": 1.2})[1] == "PASS"
    assert http_compare.verdict("export", {"wall": 1.37})[1] == "MISS (wall 1.37×)"


def test_verdict_fields_and_naive_must_be_faster_not_equal():
    assert http_compare.verdict("fields", {"rps": {1: 1.0, 16: 1.3}})[1] == "MISS (rps 1.00× at 1 conn)"
    assert http_compare.verdict("naive", {"rps": {1: 1.01, 16: 1.3}})[1] == "PASS"


def test_verdict_as_of_allows_one_and_a_half_times_the_plain_list():
    text, result = http_compare.verdict("as_of", {"rps": {1: 0.67, 16: 0.66}})

    assert (text, result) == ("time ≤1.5× the plain list (req/s ≥0.67×)", "MISS (rps 0.66× at 16 conn)")


def test_verdict_without_data_is_a_miss():
    assert http_compare.verdict("list", {"rps": {1: None, 16: 0.9}, "p99": {1: None, 16: 1.0}})[1] == (
        "MISS (rps at 1 conn: no data, p99 at 1 conn: no data)"
    )


def test_verdict_of_a_reported_endpoint_has_no_target():
    assert http_compare.verdict("none", {"rps": {1: 0.1}}) == ("reported only", "–")


def test_every_endpoint_kind_has_targets():
    kinds = {endpoint.kind for endpoint in run.endpoints(["a-slug"], csv_runs=1)}

    assert kinds <= set(http_compare.TARGETS)


def test_comparison_table_has_one_row_per_endpoint_with_its_result():
    found = http_compare.ratios(
        {
            "api": {1: [wrk_result(90, 10.0, 30.0, 0.9)], 16: [wrk_result(150, 10.0, 200.0, 1.5)]},
            "baseline": {1: [wrk_result(100, 10.0, 25.0, 0.5)], 16: [wrk_result(200, 10.0, 150.0, 1.0)]},
        }
    )

    lines = http_compare.comparison_table([("project list", "list", found)], [1, 16])

    assert lines[1] == "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
    assert lines[2] == (
        "| project list | 0.90× | 0.75× | 1.20× | 1.33× | – | 2.00× | 9.0 / 15.0 | req/s ≥0.8×; p99 ≤1.5× | "
        "MISS (rps 0.75× at 16 conn) |"
    )


def test_replace_section_keeps_everything_outside_the_markers():
    readme = "# Title\n\n## Performance\nintro\n<!-- bench:http:start -->\nold table\n<!-- bench:http:end -->\nafter\n"

    replaced = http_compare.replace_section(readme, "| new | table |\n")

    assert replaced == (
        "# Title\n\n## Performance\nintro\n<!-- bench:http:start -->\n| new | table |\n<!-- bench:http:end -->\nafter\n"
    )


@pytest.mark.parametrize(
    "readme",
    [
        "no markers at all\n",
        "<!-- bench:http:end -->\n<!-- bench:http:start -->\n",
        "<!-- bench:http:start -->\n<!-- bench:http:start -->\n<!-- bench:http:end -->\n",
    ],
)
def test_replace_section_without_one_ordered_pair_of_markers_raises(readme):
    with pytest.raises(ValueError, match="expected one"):
        http_compare.replace_section(readme, "table")


def test_the_readme_has_the_markers_once():
    readme = (http_compare.ROOT / "README.md").read_text()

    assert http_compare.replace_section(readme, "x").count("x\n<!-- bench:http:end -->") == 1
