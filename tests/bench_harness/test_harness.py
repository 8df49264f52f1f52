"""The benchmark harness (bench/harness/) run at a tiny scale: a test of the harness itself.

Every suite runs with its engines on real MinIO data and real peers; the assertions are about
correctness only (answers agree across engines, every figure is present, results reach the
bench.runs Delta table and the report), never about timings. Bad input: an unknown suite or
engine, a missing dataset, a peer that crashes and a peer that answers wrong are each reported
for that engine while the others run.
"""
import json
import os
import subprocess
import sys
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "pylib"))
from nltest import binary, cli_env  # noqa: E402

HARNESS = os.path.join(REPO, "bench", "harness", "harness.py")
QUERY_ENGINES = "neuralake,neuralake-cli,duckdb,polars,datafusion"
PREFIX = f"s3://lake/test-bench-harness/{uuid.uuid4().hex[:8]}"
DATASETS = f"{PREFIX}/datasets"
RUNS = f"{PREFIX}/runs"


def harness(tmp_path, *args, env_extra=None):
    env = {**cli_env(), **(env_extra or {})}
    command = [sys.executable, HARNESS, "--out", str(tmp_path), "--datasets-root", DATASETS,
               "--runs-table", RUNS, "--neuralake", binary(),
               "--bench-worker", os.path.join(os.path.dirname(binary()), "bench_worker"),
               "--repeats", "1", "--throughput-rounds", "1", "--timeout", "300",
               "--engine-budget", "900", *args]
    out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO,
                         timeout=1800)
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert lines, out.stderr
    run_dir = lines[-1]
    assert os.path.isfile(os.path.join(run_dir, "results.json")), out.stdout[-3000:] + out.stderr
    with open(os.path.join(run_dir, "results.json")) as f:
        results = json.load(f)
    return out, run_dir, results


def runs_of(results, suite):
    return {r["engine"]: r for r in results["runs"] if r["suite"] == suite}


def neuralake_sql(sql):
    catalog = os.path.join(REPO, "build", "bench-harness-test-catalog.yaml")
    with open(catalog, "w") as f:
        f.write(f'databases:\n  bench:\n    tables:\n      runs: {{type: delta, uri: "{RUNS}"}}\n')
    out = subprocess.run([binary(), "sql", "--catalog", catalog, "--format", "json", "-q", sql],
                         capture_output=True, text=True, env=cli_env())
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module", autouse=True)
def cleanup():
    yield
    subprocess.run([binary(), "storage", "rm", "-r", PREFIX], env=cli_env(), capture_output=True)


def assert_agreement(results, suite, engines, min_answered):
    """Every engine ran; every answer present agrees with the others; the reference engine
    answered every query; each peer answered at least `min_answered` of them."""
    runs = runs_of(results, suite)
    assert set(engines) <= set(runs), (suite, sorted(runs))
    names = {q["name"] for q in runs["neuralake"]["queries"]}
    assert names, suite
    for engine in engines:
        run = runs[engine]
        assert run["status"] == "ok", (suite, engine, run.get("error"))
        assert run["engine_version"], (suite, engine)
        assert run["wall_s"] > 0 and run["cpu_s"] > 0 and run["peak_rss_mb"] > 0
        answered = 0
        for q in run["queries"]:
            assert q["status"] != "wrong", (suite, engine, q["name"], q["error"])
            if q["status"] == "ok":
                answered += 1
                assert q["match"] in ("exact", "tolerance"), (suite, engine, q)
                assert len(q["checksum"]) == 16
                assert q["cold_ms"] > 0 and len(q["warm_ms"]) == 1 and q["p50_ms"] > 0
                assert q["rows"] is not None and q["cpu_s"] is not None
            else:
                assert q["status"] in ("error", "unsupported"), (suite, engine, q)
                assert q["error"], (suite, engine, q)
        if engine == "neuralake":
            assert answered == len(names), [q for q in run["queries"] if q["status"] != "ok"]
        else:
            assert answered >= min_answered, (suite, engine, answered,
                                              [(q["name"], q["error"]) for q in run["queries"]
                                               if q["status"] != "ok"])
    # answers really are compared: the same checksum per query among the engines that answered
    for name in names:
        sums = {q["checksum"] for r in runs.values() for q in r["queries"]
                if q["name"] == name and q.get("match") == "exact"}
        assert len(sums) <= 1, (suite, name, sums)


def test_query_suites_every_engine_agrees(tmp_path):
    out, run_dir, results = harness(tmp_path, "--suites", "tpch,selective,events", "--sf", "0.01",
                                    "--engines", QUERY_ENGINES, "--concurrency", "1,2")
    assert out.returncode == 0, out.stdout[-4000:]
    engines = QUERY_ENGINES.split(",")
    assert_agreement(results, "tpch", engines, min_answered=18)
    assert_agreement(results, "selective", engines, min_answered=8)
    assert_agreement(results, "events", engines, min_answered=18)
    assert len(runs_of(results, "tpch")["neuralake"]["queries"]) == 22
    assert len(runs_of(results, "events")["neuralake"]["queries"]) == 20
    for run in results["runs"]:
        assert [t["concurrency"] for t in run["throughput"]] == [1, 2], (run["suite"], run["engine"])
        assert all(t["queries"] > 0 and t["errors"] == 0 for t in run["throughput"])
        assert run["s3_bytes"] is None or run["s3_bytes"] > 0
    # the report and the lake
    for name in ("report.html", "summary.md", "tpch-queries.png", "events-cdf.png",
                 "tpch-concurrency.png"):
        assert os.path.isfile(os.path.join(run_dir, name)), name
    with open(os.path.join(run_dir, "report.html")) as f:
        html = f.read()
    assert "datafusion" in html and "q22" in html
    rows = neuralake_sql(f"SELECT kind, count(*) AS n, count(DISTINCT engine) AS engines "
                         f"FROM bench.runs WHERE run_id = '{results['run_id']}' GROUP BY kind "
                         f"ORDER BY kind")
    by_kind = {r["kind"]: r for r in rows}
    queries = sum(len(r["queries"]) for r in results["runs"])
    assert by_kind["query"]["n"] == queries and by_kind["query"]["engines"] == len(engines)
    assert by_kind["engine"]["n"] == len(results["runs"])
    assert by_kind["throughput"]["n"] == 2 * len(results["runs"])


def test_operation_suites(tmp_path):
    out, run_dir, results = harness(
        tmp_path, "--suites", "write,ingest,api", "--sf", "0.001", "--engines", "all",
        "--write-rows", "20000", "--ingest-messages", "3000", "--api-duration", "1",
        "--concurrency", "1,2", "--no-lake")
    assert out.returncode == 0, out.stdout[-4000:]
    for suite, engines in (("write", ["neuralake", "delta-rs"]),
                           ("ingest", ["neuralake", "python-peer"]),
                           ("api", ["neuralake", "fastapi-polars", "fastapi-datafusion"])):
        runs = runs_of(results, suite)
        assert sorted(runs) == sorted(engines), (suite, sorted(runs))
        for engine, run in runs.items():
            assert run["status"] == "ok", (suite, engine, run.get("error"))
            assert run["queries"], (suite, engine)
            for q in run["queries"]:
                assert q["status"] == "ok", (suite, engine, q)
                assert q["match"] in ("exact", "tolerance"), (suite, engine, q)


def test_bad_input_is_reported_per_engine(tmp_path):
    # unknown suite and engine, a missing dataset (never generated here), a crashing peer and a
    # peer whose answer is wrong, in one run: each reported, the rest measured.
    out, run_dir, results = harness(
        tmp_path, "--suites", "nosuch,tpch,selective", "--sf", "0.01",
        "--engines", "neuralake,polars,datafusion,duckdb,nosuchengine",
        "--queries", "q01,q03,q06,s01,s02", "--concurrency", "", "--no-generate", "--no-lake",
        env_extra={"NEURALAKE_BENCH_CRASH": "polars:q03",
                   "NEURALAKE_BENCH_CORRUPT": "datafusion:q06"})
    assert out.returncode == 1, out.stdout[-3000:]  # the wrong answer fails the run
    status = {(r["suite"], r["engine"]): r for r in results["runs"]}
    assert status[("nosuch", "-")]["status"] == "unknown-suite"
    assert status[("-", "nosuchengine")]["status"] == "unknown-engine"
    # tpch SF 0.01 exists (made by the first test or now missing: both are reported cleanly)
    tpch = runs_of(results, "tpch")
    if tpch["neuralake"]["status"] == "missing-dataset":
        pytest.fail("the tpch SF 0.01 dataset of the first test is gone")
    assert tpch["polars"]["status"] == "crashed" and "signal" in tpch["polars"]["error"]
    assert [q["status"] for q in tpch["polars"]["queries"]][:1] == ["ok"]  # q01 kept
    assert tpch["neuralake"]["status"] == "ok" and tpch["duckdb"]["status"] == "ok"
    wrong = [q for q in tpch["datafusion"]["queries"] if q["name"] == "q06"][0]
    assert wrong["status"] == "wrong" and "differs" in wrong["error"]
    right = [q for q in tpch["neuralake"]["queries"] if q["name"] == "q06"][0]
    assert right["match"] == "exact"
    assert results["status"] == "wrong-answers"
    # selective's dataset lives under a root this test never generated
    for engine, run in runs_of(results, "selective").items():
        assert run["status"] in ("ok", "missing-dataset"), (engine, run)
    assert "crashed" in open(os.path.join(run_dir, "report.html")).read()


def test_missing_dataset_is_reported(tmp_path):
    out, run_dir, results = harness(
        tmp_path, "--suites", "events", "--sf", "0.5", "--engines", "neuralake,polars",
        "--no-generate", "--no-lake", "--concurrency", "")
    assert out.returncode == 0
    runs = runs_of(results, "events")
    assert {r["status"] for r in runs.values()} == {"missing-dataset"}
    assert "missing" in runs["neuralake"]["error"]
    assert results["status"] == "errors"
