"""Data-quality expectations through the CLI, on MinIO, with delta-rs and DuckDB-Python as oracles.

The table starts as a Delta table written by delta-rs; the catalog declares expectations of every
type on it. DuckDB-Python computes the expected violation counts from the same rows, so each
number `neuralake check` prints is checked against an independent reading of the data.
"""
import json
import os
import subprocess
import uuid

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from nltest import binary, cli_env, delta_rs_storage_options

RUN = uuid.uuid4().hex[:8]
ROOT = f"s3://lake/quality-test-{RUN}"
STORAGE = delta_rs_storage_options()

ROWS = [  # id, val, name, country
    (1, 10, "alpha", "DE"), (2, 20, "beta", "FR"), (3, None, "gamma", "DE"),
    (4, -4, "delta4", "XX"), (5, 50, None, None), (6, 60, "o'brien", "ES"),
    (7, 70, "eta", "DE"), (8, -8, "theta", "FR"), (9, 90, "iota", "YY"), (9, 95, "iota2", "DE"),
]
SCHEMA = pa.schema([("id", pa.int64()), ("val", pa.int64()), ("name", pa.string()),
                    ("country", pa.string())])


def arrow(rows):
    return pa.Table.from_pylist([dict(zip(SCHEMA.names, r)) for r in rows], schema=SCHEMA)


def run(*args, check=None, env=None):
    proc = subprocess.run([binary(), *args], capture_output=True, text=True,
                          env=env or cli_env(), timeout=120)
    if check is not None:
        assert proc.returncode == check, proc.stdout + proc.stderr
    return proc


def catalog_yaml(name, table_uri, expectations):
    lines = ["databases:", "  q:", "    tables:",
             f"      countries: {{type: delta, uri: \"{ROOT}/countries\"}}",
             f"      quality: {{type: delta, uri: \"{ROOT}/_quality\"}}",
             f"      {name}:", "        type: delta", f"        uri: \"{table_uri}\"",
             "        expectations:"]
    lines += [f"          - {e}" for e in expectations]
    return "\n".join(lines) + "\n"


EVERY_TYPE = [
    "{name: val_set, type: not_null, column: val, on_violation: warn}",
    "{name: positive, type: range, column: val, min: 0, max: 90, on_violation: drop}",
    "{name: known, type: accepted_values, column: country, values: [DE, FR, ES], on_violation: warn}",
    "{name: lower, type: regex, column: name, pattern: '[a-z]+', on_violation: warn}",
    "{name: id_unique, type: unique, columns: [id], on_violation: fail}",
    "{name: enough, type: row_count, min: 5, max: 100, on_violation: fail}",
    "{name: in_ref, type: foreign_key, column: country, references: 'q.countries(code)', on_violation: warn}",
    "{name: val_vs_id, type: sql, sql: 'val >= id', on_violation: warn, mostly: 0.7}",
]


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    write_deltalake(f"{ROOT}/countries", pa.table({"code": ["DE", "FR", "ES"]}),
                    storage_options=STORAGE)
    return tmp_path_factory.mktemp("quality")


def make_table(lake, name, expectations, rows=ROWS):
    uri = f"{ROOT}/{name}"
    write_deltalake(uri, arrow(rows), storage_options=STORAGE)
    catalog = lake / f"{name}.yaml"
    catalog.write_text(catalog_yaml(name, uri, expectations))
    return uri, str(catalog)


def oracle_counts(rows):
    con = duckdb.connect()
    con.register("t", arrow(rows))
    q = lambda sql: con.execute(sql).fetchone()[0]
    return {
        "val_set": q("SELECT count(*) FROM t WHERE val IS NULL"),
        "positive": q("SELECT count(*) FROM t WHERE val < 0 OR val > 90"),
        "known": q("SELECT count(*) FROM t WHERE country NOT IN ('DE', 'FR', 'ES')"),
        "lower": q("SELECT count(*) FROM t WHERE NOT regexp_full_match(name, '[a-z]+')"),
        "id_unique": q("SELECT count(*) FROM t WHERE id IN "
                       "(SELECT id FROM t GROUP BY id HAVING count(*) > 1)"),
        "enough": 0,
        "in_ref": q("SELECT count(*) FROM t WHERE country NOT IN ('DE', 'FR', 'ES')"),
        "val_vs_id": q("SELECT count(*) FROM t WHERE NOT coalesce(val >= id, false)"),
    }


def test_check_counts_every_type_and_fails_on_fail(lake):
    _, catalog = make_table(lake, "items_check", EVERY_TYPE)
    proc = run("check", "q.items_check", "--catalog", catalog, "--format", "json", check=1)
    report = json.loads(proc.stdout)
    assert report["failed"] is True and report["version"] == 0
    got = {r["expectation"]: r["violations"] for r in report["results"]}
    assert got == oracle_counts(ROWS)
    by_name = {r["expectation"]: r for r in report["results"]}
    assert by_name["id_unique"]["status"] == "FAIL" and by_name["id_unique"]["sample"] == [9]
    assert by_name["val_vs_id"]["passed"] is True  # 3 of 10 violate; mostly 0.7 holds
    assert by_name["positive"]["status"] == "DROP"
    assert sorted(by_name["positive"]["sample"]) == [-8, -4, 95]
    assert "expectation 'id_unique' (unique, fail) violated by 2 of 10 rows" in proc.stderr
    text = run("check", "q.items_check", "--catalog", catalog, check=1).stdout
    assert "FAIL id_unique (unique, fail): 2 of 10 rows violate" in text
    assert "ok   enough (row_count, fail)" in text


def test_check_passes_without_fail_violations_and_reads_versions(lake):
    uri, catalog = make_table(lake, "items_warn", [
        "{name: val_set, type: not_null, column: val, on_violation: warn}",
        "{name: enough, type: row_count, max: 10, on_violation: fail}"])
    report = json.loads(run("check", "q.items_warn", "--catalog", catalog, "--format", "json",
                            check=0).stdout)
    assert report["failed"] is False
    write_deltalake(uri, arrow([(11, None, "x", "DE")]), mode="append", storage_options=STORAGE)
    latest = json.loads(run("check", "q.items_warn", "--catalog", catalog, "--format", "json",
                            check=1).stdout)
    assert latest["version"] == 1
    assert [r["violations"] for r in latest["results"]] == [2, 1]
    old = json.loads(run("check", "q.items_warn", "--catalog", catalog, "--version", "0",
                         "--format", "json", check=0).stdout)
    assert [r["violations"] for r in old["results"]] == [1, 0]


def write_csv(lake, name, rows):
    path = lake / name
    con = duckdb.connect()
    con.register("t", arrow(rows))
    con.execute(f"COPY t TO '{path}' (HEADER)")
    return str(path)


NEW_ROWS = [(100 + i, (-1 if i % 4 == 0 else i), (None if i == 5 else f"n{i}"), "DE")
            for i in range(1, 21)]


def test_append_fail_commits_nothing(lake):
    uri, catalog = make_table(lake, "items_fail", [
        "{name: positive, type: range, column: val, min: 0, on_violation: fail}"], rows=ROWS[:2])
    data = write_csv(lake, "fail.csv", NEW_ROWS)
    proc = run("table", "append", uri, "--from", data, "--catalog", catalog, check=1)
    assert "expectation 'positive' (range, fail) violated by 5 of 20 rows; nothing committed" \
        in proc.stderr
    table = DeltaTable(uri, storage_options=STORAGE)
    assert table.version() == 0 and table.to_pyarrow_table().num_rows == 2


def test_append_drop_quarantines_exactly_the_bad_rows(lake):
    uri, catalog = make_table(lake, "items_drop", [
        "{name: positive, type: range, column: val, min: 0, on_violation: drop}",
        "{name: named, type: not_null, column: name, on_violation: drop}",
        "{name: small, type: range, column: id, max: 115, on_violation: warn}"], rows=ROWS[:2])
    data = write_csv(lake, "drop.csv", NEW_ROWS)
    args = ("table", "append", uri, "--from", data, "--catalog", catalog,
            "--txn-app-id", "loader", "--txn-version", "1")
    proc = run(*args, check=0)
    assert f"quarantined 6 rows violating positive, named: {uri}_quarantine version 0" in proc.stdout
    assert "warning: expectation small (range, warn): 5 of 20 rows violate" in proc.stderr
    bad = {r[0] for r in NEW_ROWS if r[1] < 0 or r[2] is None}
    quarantine = DeltaTable(f"{uri}_quarantine", storage_options=STORAGE).to_pyarrow_table()
    assert sorted(quarantine.column("id").to_pylist()) == sorted(bad)
    reasons = dict(zip(quarantine.column("id").to_pylist(),
                       quarantine.column("_expectation").to_pylist()))
    assert reasons[105] == "named" and reasons[104] == "positive"
    main = DeltaTable(uri, storage_options=STORAGE).to_pyarrow_table()
    assert sorted(main.column("id").to_pylist()) == sorted(
        [1, 2] + [r[0] for r in NEW_ROWS if r[0] not in bad])
    # The same write again (same txn): nothing doubles in either table.
    run(*args, check=0)
    assert DeltaTable(uri, storage_options=STORAGE).to_pyarrow_table().num_rows == main.num_rows
    assert DeltaTable(f"{uri}_quarantine",
                      storage_options=STORAGE).to_pyarrow_table().num_rows == len(bad)


def test_append_drop_reads_csv_with_the_table_types(lake):
    # A CSV's timestamps come out as TIMESTAMP (no zone); the table's column is a Delta timestamp
    # (UTC). The split of good and dropped rows must read the CSV as a plain append does, and the
    # quarantine must hold the table's types.
    uri = f"{ROOT}/typed_drop"
    schema = pa.schema([("id", pa.int64()), ("ts", pa.timestamp("us", tz="UTC")),
                        ("val", pa.int64())])
    write_deltalake(uri, pa.table({"id": [1], "ts": [0], "val": [1]}, schema=schema),
                    storage_options=STORAGE)
    catalog = lake / "typed_drop.yaml"
    catalog.write_text(catalog_yaml("typed_drop", uri, [
        "{name: positive, type: range, column: val, min: 0, on_violation: drop}"]))
    data = lake / "typed.csv"
    data.write_text("id,ts,val\n2,2024-01-01 10:00:00,5\n3,2024-01-02 11:30:00,-3\n"
                    "4,2024-01-03 12:00:00,7\n")
    proc = run("table", "append", uri, "--from", str(data), "--catalog", str(catalog), check=0)
    assert "quarantined 1 row violating positive" in proc.stdout
    main = DeltaTable(uri, storage_options=STORAGE).to_pyarrow_table().sort_by("id")
    assert main.column("id").to_pylist() == [1, 2, 4]
    assert main.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert str(main.column("ts")[1].as_py()) == "2024-01-01 10:00:00+00:00"
    quarantine = DeltaTable(f"{uri}_quarantine", storage_options=STORAGE).to_pyarrow_table()
    assert quarantine.column("id").to_pylist() == [3]
    assert quarantine.schema.field("ts").type == pa.timestamp("us", tz="UTC")


def test_append_warn_appends_everything_and_results_are_queryable(lake):
    uri, catalog = make_table(lake, "items", [
        "{name: named, type: not_null, column: name, on_violation: warn}"], rows=ROWS[:2])
    data = write_csv(lake, "warn.csv", NEW_ROWS)
    proc = run("table", "append", uri, "--from", data, "--catalog", catalog, check=0)
    assert "warning: expectation named (not_null, warn): 1 of 20 rows violate" in proc.stderr
    assert DeltaTable(uri, storage_options=STORAGE).to_pyarrow_table().num_rows == 22
    run("check", "q.items", "--catalog", catalog, check=0)
    rows = run("sql", "--catalog", catalog, "--format", "json", "-q",
               "SELECT operation, version, violations, rows_checked, passed FROM q.quality "
               "WHERE \"table\" = 'q.items' ORDER BY checked_at", check=0).stdout.splitlines()
    got = [json.loads(line) for line in rows]
    assert got == [
        {"operation": "append", "version": 1, "violations": 1, "rows_checked": 20, "passed": False},
        {"operation": "check", "version": 1, "violations": 1, "rows_checked": 22, "passed": False},
    ]


def test_api_serves_the_latest_results(lake):
    import re
    import urllib.request
    _, catalog = make_table(lake, "items_api", [
        "{name: val_set, type: not_null, column: val, on_violation: warn}",
        "{name: id_unique, type: unique, columns: [id], on_violation: fail}"])
    run("check", "q.items_api", "--catalog", catalog, check=1)
    run("check", "q.items_api", "--catalog", catalog, check=1)
    proc = subprocess.Popen([binary(), "serve", "--catalog", catalog, "--port", "0", "-q",
                             "--refresh", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=cli_env())
    try:
        match = re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
        assert match, proc.stderr.read()
        url = f"http://127.0.0.1:{match.group(1)}/api/v1/tables/q/items_api/quality"
        with urllib.request.urlopen(url, timeout=60) as response:
            body = json.loads(response.read())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert body["table"] == "q.items_api" and body["quality_uri"] == f"{ROOT}/_quality"
    got = [(r["expectation"], r["operation"], r["version"], r["violations"], r["passed"],
            r["sample"]) for r in body["results"]]
    assert got == [("id_unique", "check", 0, 2, False, [9]),
                   ("val_set", "check", 0, 1, False, [None])]


def test_mv_refresh_fails_before_commit_and_warns(lake):
    src = f"{ROOT}/mv_src"
    write_deltalake(src, arrow(ROWS), storage_options=STORAGE)
    view_uri = f"{ROOT}/mv_gold"

    def catalog_with(expectation):
        path = lake / f"mv-{uuid.uuid4().hex[:6]}.yaml"
        path.write_text(
            "databases:\n  q:\n    tables:\n"
            f"      src: {{type: delta, uri: \"{src}\"}}\n"
            "      gold:\n        type: materialized_view\n"
            f"        uri: \"{view_uri}\"\n"
            "        sql: \"SELECT id, val FROM q.src WHERE id > 2\"\n"
            f"        expectations:\n          - {expectation}\n")
        return str(path)

    failing = catalog_with("{name: val_set, type: not_null, column: val, on_violation: fail}")
    proc = run("mv", "refresh", "q.gold", "--catalog", failing, check=1)
    assert "expectation 'val_set' (not_null, fail) violated by 1 of 8 rows" in proc.stderr
    assert "nothing committed" in proc.stderr
    with pytest.raises(Exception):
        DeltaTable(view_uri, storage_options=STORAGE)  # no commit, no table
    warning = catalog_with("{name: val_set, type: not_null, column: val, on_violation: warn}")
    proc = run("mv", "refresh", "q.gold", "--catalog", warning, check=0)
    assert "warning: expectation val_set (not_null, warn): 1 of 8 rows violate" in proc.stderr
    assert DeltaTable(view_uri, storage_options=STORAGE).to_pyarrow_table().num_rows == 8
