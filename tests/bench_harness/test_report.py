"""Tests for report.py: the pure computations and a report built from a fake results.json.

    ~/.cache/neuralake/venv/bin/python -m pytest bench/harness/test_report.py
"""
import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "harness"))
import report  # noqa: E402


def query(name, warm, cold, status="ok", match="exact", error=None):
    return {"name": name, "status": status, "error": error, "cold_ms": cold, "warm_ms": warm,
            "p50_ms": report.percentile(warm, 50) if warm else None, "rows": 4, "cpu_s": 0.1,
            "bytes_read": 1000, "checksum": "ab12cd34ef56ab12", "match": match}


CRASH_ERROR = "worker killed by signal 11 (SIGSEGV) after q01"


def fake_results(history=None):
    """3 engines on suite tpch: neuralake (reference, q04 errors), duckdb (q03 wrong answer),
    polars (crashed after q01). The common ok set of the two finished engines is q01, q02."""
    neuralake = [query("q01", [10.0, 12.0, 11.0], 30.0, match="reference"),
                 query("q02", [100.0, 100.0], 200.0, match="reference"),
                 query("q03", [5.0, 5.0], 9.0, match="reference"),
                 query("q04", [], None, status="error", match=None,
                       error="Unsupported: correlated subquery\nat plan.cc:12")]
    duckdb = [query("q01", [40.0, 40.0], 60.0),
              query("q02", [25.0, 25.0], 50.0, match="tolerance"),
              query("q03", [4.0, 4.0], 8.0, status="wrong", match="wrong"),
              query("q04", [7.0], 9.0)]
    polars = [query("q01", [1.0, 1.0], 2.0)]
    def run(engine, status, queries, error=None, throughput=None):
        return {"suite": "tpch", "engine": engine, "engine_version": f"{engine} 1.0",
                "status": status, "error": error, "wall_s": 10.0, "cpu_s": 15.0,
                "peak_rss_mb": 512.0, "s3_bytes": 123456789, "s3_gets": 812, "setup_s": 0.4,
                "queries": queries, "throughput": throughput or []}
    return {
        "run_id": "20261203-210501-sf1", "started": "2026-12-03T21:05:01Z",
        "finished": "2026-12-03T21:15:01Z",
        "host": {"cores": 2, "memory_gb": 23, "load_before": [1.2, 0.9, 0.8]},
        "git": "0633ddf", "sf": 1, "suites": ["tpch"],
        "engines": ["neuralake", "duckdb", "polars"], "reference": {"tpch": "neuralake"},
        "status": "wrong-answers",
        "runs": [
            run("neuralake", "ok", neuralake,
                throughput=[{"concurrency": 1, "queries": 8, "errors": 0, "seconds": 3.2,
                             "qps": 2.5, "cpu_s": 6.1},
                            {"concurrency": 4, "queries": 32, "errors": 1, "seconds": 6.4,
                             "qps": 5.0, "cpu_s": 12.0}]),
            run("duckdb", "ok", duckdb,
                throughput=[{"concurrency": 1, "queries": 8, "errors": 0, "seconds": 2.0,
                             "qps": 4.0, "cpu_s": 4.0}]),
            run("polars", "crashed", polars, error=CRASH_ERROR),
        ],
        "history": history if history is not None else [
            {"run_id": "20261101-000000-sf0.1", "sf": 0.1, "suite": "tpch",
             "engine": "duckdb", "geomean_warm_ms": 5.0, "geomean_cold_ms": 8.0},
            {"run_id": "20261101-000000-sf0.1", "sf": 0.1, "suite": "tpch",
             "engine": "neuralake", "geomean_warm_ms": 4.0, "geomean_cold_ms": 9.0},
        ],
    }


def write(tmp_path, results):
    (tmp_path / "results.json").write_text(json.dumps(results))
    return tmp_path


def test_percentile_interpolates_like_numpy():
    assert report.percentile([], 50) is None
    assert report.percentile([7.0], 99) == 7.0
    assert report.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert report.percentile([4, 1, 3, 2], 95) == pytest.approx(3.85)
    assert report.percentile([1, None, "x", 3], 50) == pytest.approx(2.0)


def test_geomean():
    assert report.geomean([]) is None
    assert report.geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert report.geomean([2.0, None]) is None  # a partial set is no geomean
    assert report.geomean([0.0, 1.0]) == pytest.approx(math.sqrt(report.GEOMEAN_FLOOR_MS))


def test_common_ok_set_leaves_out_wrong_error_and_crashed_runs():
    results = fake_results()
    view = report.SuiteView(results, "tpch")
    assert view.participants == ["neuralake", "duckdb"]
    assert view.common == ["q01", "q02"]
    assert view.geomeans["neuralake"]["warm"] == pytest.approx(math.sqrt(11.0 * 100.0))
    assert view.geomeans["neuralake"]["cold"] == pytest.approx(math.sqrt(30.0 * 200.0))
    assert view.geomeans["duckdb"]["warm"] == pytest.approx(math.sqrt(40.0 * 25.0))
    assert "polars" not in view.geomeans
    assert view.failed_runs == ["polars"]
    problems = {(engine, name): state for engine, name, state, _ in view.problems}
    assert problems == {("neuralake", "q04"): "error", ("duckdb", "q03"): "wrong"}


def test_ratios_and_engine_colors():
    ratios = report.ratios_to_fastest({"a": 10.0, "b": 25.0, "c": None})
    assert ratios == {"a": 1.0, "b": 2.5, "c": None}
    assert report.engine_color("duckdb") == report.ENGINE_COLORS["duckdb"]
    assert report.engine_color("some-new-engine") == report.engine_color("some-new-engine")


def test_scaling_points_prefer_this_run_and_latest_history():
    history = [{"run_id": "a", "sf": 1, "suite": "tpch", "engine": "duckdb", "geomean_warm_ms": 9},
               {"run_id": "b", "sf": 1, "suite": "tpch", "engine": "duckdb", "geomean_warm_ms": 8},
               {"run_id": "b", "sf": 0.1, "suite": "tpch", "engine": "duckdb",
                "geomean_warm_ms": 1},
               {"run_id": "b", "sf": 10, "suite": "tpch", "engine": "duckdb",
                "geomean_warm_ms": 50},
               {"run_id": "b", "sf": 1, "suite": "events", "engine": "duckdb",
                "geomean_warm_ms": 3}]
    points = report.scaling_points(history, "tpch", 10, {"duckdb": 40.0, "polars": None})
    assert points == {"duckdb": [(0.1, 1.0), (1.0, 8.0), (10.0, 40.0)]}


def test_build_report_writes_files_and_mentions_the_crash(tmp_path):
    run_dir = write(tmp_path, fake_results())
    files = report.build_report(run_dir)
    names = {Path(f).name for f in files}
    assert {"report.html", "summary.md", "tpch-queries.png", "tpch-cdf.png",
            "tpch-concurrency.png", "tpch-scaling.png", "tpch-resources.png"} <= names
    for f in files:
        assert Path(f).stat().st_size > 0
    page = (run_dir / "report.html").read_text()
    assert "worker killed by signal 11 (SIGSEGV) after q01" in page
    assert "Unsupported: correlated subquery" in page  # the error text in a title attribute
    assert "the 2 of 4 queries" in page
    summary = (run_dir / "summary.md").read_text()
    assert "![tpch queries](tpch-queries.png)" in summary
    assert "polars** run crashed" in summary
    # A second build at a single SF drops the stale scaling plot.
    results = fake_results(history=[])
    write(tmp_path, results)
    names = {Path(f).name for f in report.build_report(run_dir)}
    assert "tpch-scaling.png" not in names and not (run_dir / "tpch-scaling.png").exists()


@pytest.mark.parametrize("results", [
    {},
    {"runs": None, "suites": ["tpch"]},
    {"suites": ["tpch"], "runs": [{"suite": "tpch", "engine": "duckdb", "queries": []}]},
    {"suites": ["tpch"], "runs": [{"suite": "tpch", "engine": "x", "status": "unknown-engine",
                                   "error": "no such engine", "queries": None}]},
    {"runs": [{"suite": "events", "engine": "polars", "status": "ok",
               "queries": [{"name": "e1", "status": "error", "error": "boom"},
                           {"name": "e2"}, {"status": "ok"}]},
              {"suite": "events", "engine": "spark", "status": "timeout",
               "queries": [{"name": "e1", "status": "timeout", "warm_ms": [float("nan")]}]}]},
    {"sf": 1, "runs": [{"suite": "tpch", "engine": "neuralake", "status": "ok", "cpu_s": 1,
                        "queries": [{"name": "q01", "cold_ms": 3, "warm_ms": [1, 2, 3]}],
                        "throughput": [{"concurrency": 2}]}],
     "history": [{"sf": "x"}, None, {"sf": 0.1, "suite": "tpch", "engine": "neuralake",
                                     "geomean_warm_ms": 0.5}]},
])
def test_incomplete_results_do_not_crash(tmp_path, results):
    run_dir = write(tmp_path, json.loads(json.dumps(results).replace("NaN", "null")))
    files = report.build_report(run_dir)
    assert (run_dir / "report.html").exists() and (run_dir / "summary.md").exists()
    assert all(Path(f).exists() for f in files)


def test_all_failed_engine_does_not_empty_the_common_set():
    results = fake_results()
    results["runs"].append({"suite": "tpch", "engine": "datafusion", "status": "ok",
                            "queries": [query("q01", [], None, status="error", error="boom"),
                                        query("q02", [], None, status="unsupported")]})
    view = report.SuiteView(results, "tpch")
    assert view.participants == ["neuralake", "duckdb"]
    assert view.common == ["q01", "q02"]
    assert "datafusion (no query ok)" in view.geomean_caption()
    assert "polars (run crashed)" in view.geomean_caption()


def test_one_engine_only(tmp_path):
    results = fake_results()
    results["engines"] = ["neuralake"]
    results["runs"] = results["runs"][:1]
    results["history"] = []
    view = report.SuiteView(results, "tpch")
    assert view.common == ["q01", "q02", "q03"]
    assert view.geomeans["neuralake"]["warm"] == pytest.approx((11.0 * 100.0 * 5.0) ** (1 / 3))
    names = {Path(f).name for f in report.build_report(write(tmp_path, results))}
    assert {"tpch-queries.png", "tpch-cdf.png", "tpch-resources.png"} <= names


def test_own_ok_geomean_matches_the_history_definition():
    run = fake_results()["runs"][1]  # duckdb: q03 wrong, so q01, q02, q04
    assert report.own_ok_geomean(run) == pytest.approx((40.0 * 25.0 * 7.0) ** (1 / 3))
    assert report.own_ok_geomean({"queries": []}) is None


def test_runs_without_suite_or_engine_are_listed_once(tmp_path):
    results = fake_results()
    results["suites"] = ["nosuch", "tpch"]
    results["runs"] += [
        {"suite": "nosuch", "engine": "-", "status": "unknown-suite", "error": "no suite nosuch",
         "queries": []},
        {"suite": "-", "engine": "nosuchengine", "status": "unknown-engine",
         "error": "engines: neuralake, duckdb", "queries": []}]
    assert report.suite_names(results) == ["nosuch", "tpch"]
    assert report.SuiteView(results, "nosuch").engines == []
    report.build_report(write(tmp_path, results))
    page = (tmp_path / "report.html").read_text()
    assert "Runs not started" in page and "unknown-engine" in page and "no suite nosuch" in page
    assert not list(tmp_path.glob("-*.png")) and not list(tmp_path.glob("nosuch-*.png"))
