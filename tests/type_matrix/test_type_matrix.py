"""Every Delta type through every input and output format of the CLI, against delta-rs and DuckDB.

The data (typedata.py) has one column per Delta type and nested combinations, with edge values
(38-digit decimals, NaN/Infinity, unicode, empty strings and binaries, extreme dates) and nulls at
every level. A table written by delta-rs is read by `neuralake table read` and `neuralake sql` in
every output format; each output is decoded by an independent oracle (a strict JSON parser that
refuses NaN literals and keeps numbers exact, an RFC 4180 parser that tells "" from NULL, pyarrow
for Parquet) and compared with the data. Each input format (CSV, JSON lines, Parquet) is then
appended back into an empty table of the same schema and read by delta-rs and DuckDB-Python.
"""
import json
import os
import subprocess
import uuid

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake
from nltest import binary, cli_env, delta_rs_storage_options

import typedata
from typedata import SCHEMA, csv_rows, expected_rows, json_rows, arrow_rows


def run(*args, check=True):
    proc = subprocess.run([binary(), *args], capture_output=True, text=True, env=cli_env(),
                          timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"neuralake {' '.join(args)[:300]} failed ({proc.returncode}):\n"
                             f"{proc.stderr}")
    return proc


def write_catalog(path, uri):
    path.write_text(f'databases:\n  tm:\n    tables:\n      t: {{type: delta, uri: "{uri}"}}\n')
    return str(path)


def assert_rows(actual, what):
    expected = expected_rows()
    assert len(actual) == len(expected), f"{what}: {len(actual)} rows"
    for got, want in zip(actual, expected):
        for column in SCHEMA.names:
            assert got[column] == want[column], (
                f"{what}: row {want['id']} column {column}: {got[column]!r} != {want[column]!r}")


def delta_rs_rows(uri, storage_options=None):
    return arrow_rows(DeltaTable(uri, storage_options=storage_options).to_pyarrow_table())


def duckdb_rows(uri):
    """DuckDB-Python over the Parquet files of the table's current version (listed by delta-rs)."""
    files = DeltaTable(uri).file_uris()
    assert files
    connection = duckdb.connect()
    return arrow_rows(connection.sql(f"SELECT * FROM read_parquet({files!r})").fetch_arrow_table())


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The all-types table, written by delta-rs, and a catalog naming it."""
    root = tmp_path_factory.mktemp("type_matrix")
    uri = str(root / "delta_rs")
    write_deltalake(uri, typedata.table())
    return {"root": root, "uri": uri, "catalog": write_catalog(root / "catalog.yaml", uri)}


def empty_table(root, name):
    uri = str(root / f"{name}-{uuid.uuid4().hex[:8]}")
    DeltaTable.create(uri, SCHEMA)
    return uri


# ---- the oracles agree on the data ----

def test_delta_rs_and_duckdb_read_the_source_as_written(source):
    assert_rows(delta_rs_rows(source["uri"]), "delta-rs")
    assert_rows(duckdb_rows(source["uri"]), "duckdb")


# ---- output formats ----

READERS = {
    "table read": lambda s, *extra: ("table", "read", s["uri"], *extra),
    "sql": lambda s, *extra: ("sql", "--catalog", s["catalog"], "-q",
                              "SELECT * FROM tm.t ORDER BY id", *extra),
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("spelling", ["json", "ndjson"])
def test_json_output_is_strict_exact_and_typed(source, reader, spelling):
    out = run(*READERS[reader](source, "--format", spelling)).stdout
    assert out.endswith("\n")
    assert_rows(json_rows(out), f"{reader} --format {spelling}")
    # The spot checks the issue names: exact 38-digit decimals, NaN as a string, NULL in a struct
    # distinct from the string 'NULL'.
    lines = {json.loads(line)["id"]: line for line in out.splitlines()}
    assert '"dec":-9999999999999999999999999999.9999999999' in lines[2]
    assert '"f":"NaN","d":"Infinity"' in lines[2]
    assert '"st":{"a":null,"b":null,' in lines[2]
    assert '"st":{"a":-1,"b":"NULL",' in lines[3]


@pytest.mark.parametrize("reader", READERS)
def test_csv_output_keeps_null_empty_and_nested_nulls_apart(source, reader):
    out = run(*READERS[reader](source, "--format", "csv")).stdout
    assert_rows(csv_rows(out), f"{reader} --format csv")
    records = {rec[0]: rec for rec in typedata.parse_csv(out)[1:]}
    column = SCHEMA.names.index
    assert records["1"][column("str")] is None          # NULL: an empty unquoted field
    assert records["2"][column("str")] == ""            # '': ""
    assert records["3"][column("str")] == "NULL"
    assert records["2"][column("st")].startswith('{"a":null,"b":null,')


@pytest.mark.parametrize("reader", READERS)
def test_grid_output_shows_exact_values(source, reader):
    out = run(*READERS[reader](source)).stdout
    assert "-9999999999999999999999999999.9999999999" in out
    assert "1234567890123456789012345678.0123456789" in out
    assert "héllo wörld ✓ 😀 中文" in out
    if reader == "table read":
        assert out.rstrip().endswith("5 rows")


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv", "parquet"])
def test_output_files(source, tmp_path, reader, fmt):
    target = tmp_path / f"out.{fmt}"
    run(*READERS[reader](source, "--format", fmt, "--output", str(target)))
    if fmt == "parquet":
        assert_rows(arrow_rows(pq.read_table(target)), f"{reader} --output parquet")
        connection = duckdb.connect()
        assert_rows(arrow_rows(connection.sql(f"SELECT * FROM read_parquet('{target}')")
                               .fetch_arrow_table()), f"{reader} --output parquet (DuckDB)")
    elif fmt == "csv":
        assert_rows(csv_rows(target.read_text()), f"{reader} --output csv")
    else:
        assert_rows(json_rows(target.read_text()), f"{reader} --output {fmt}")


# ---- input formats: our own outputs appended back into a table of the same schema ----

@pytest.mark.parametrize("fmt,extension", [("csv", "csv"), ("json", "jsonl"), ("ndjson", "ndjson"),
                                           ("parquet", "parquet")])
def test_round_trip_through_each_input_format(source, tmp_path, fmt, extension):
    data = tmp_path / f"rows.{extension}"
    run("table", "read", source["uri"], "--format", fmt, "--output", str(data))
    target = empty_table(tmp_path, fmt)
    run("table", "append", target, "--from", str(data))
    assert_rows(delta_rs_rows(target), f"{fmt} -> append -> delta-rs")
    assert_rows(duckdb_rows(target), f"{fmt} -> append -> DuckDB")
    # And our own reader agrees.
    assert_rows(json_rows(run("table", "read", target, "--format", "json").stdout),
                f"{fmt} -> append -> table read")


def test_csv_from_stdout_round_trips(source, tmp_path):
    data = tmp_path / "printed.csv"
    data.write_text(run("table", "read", source["uri"], "--format", "csv").stdout)
    target = empty_table(tmp_path, "printed")
    run("table", "append", target, "--from", str(data))
    assert_rows(delta_rs_rows(target), "printed csv -> append")


def test_parquet_creates_a_table_with_every_type(source, tmp_path):
    data = tmp_path / "all.parquet"
    pq.write_table(typedata.table(), data)
    uri = str(tmp_path / "created")
    run("table", "create", uri, "--from", str(data))
    types = lambda u: [(f.name, str(f.type)) for f in DeltaTable(u).schema().fields]  # noqa: E731
    assert types(uri) == types(source["uri"])
    assert_rows(delta_rs_rows(uri), "parquet -> create -> delta-rs")


# ---- JSON lines written by others: the table's types, clear refusals ----

def test_json_lines_in_other_spellings_are_read_with_the_table_types(tmp_path):
    schema = pa.schema([("id", pa.int64()), ("i", pa.int32()), ("b", pa.int8()),
                        ("f", pa.float32()), ("dec", typedata.DEC38),
                        ("ts", pa.timestamp("us", tz="UTC")), ("st", typedata.ST),
                        ("mp", pa.map_(pa.int32(), pa.string()))])
    uri = str(tmp_path / "typed")
    DeltaTable.create(uri, schema)
    data = tmp_path / "other.jsonl"
    data.write_text(
        '{"id": 1, "i": "42", "b": -3, "f": 0.5, "dec": "12.5", "ts": "2024-01-02T05:04:05+02:00",'
        ' "st": {"b": "only b"}, "mp": {"7": "seven"}}\n'
        '{"id": 2, "f": "-Infinity", "dec": 1234567890123456789012345678.0123456789}\n'
        '{"id": 3, "i": null, "st": {"a": 5, "c": [1, 2], "dec": 0.1, "t": null}, "mp": {}}\n')
    run("table", "append", uri, "--from", str(data))
    rows = sorted(DeltaTable(uri).to_pyarrow_table().to_pylist(), key=lambda r: r["id"])
    assert rows[0]["i"] == 42 and rows[0]["b"] == -3 and rows[0]["f"] == 0.5
    assert str(rows[0]["dec"]) == "12.5000000000"
    assert rows[0]["ts"].isoformat() == "2024-01-02T03:04:05+00:00"
    assert rows[0]["st"] == {"a": None, "b": "only b", "c": None, "dec": None, "t": None}
    assert rows[0]["mp"] == [(7, "seven")]
    assert rows[1]["f"] == float("-inf") and rows[1]["i"] is None and rows[1]["st"] is None
    assert str(rows[1]["dec"]) == "1234567890123456789012345678.0123456789"
    assert rows[2]["st"]["c"] == [1, 2] and str(rows[2]["st"]["dec"]) == "0.1000000000"
    assert rows[2]["mp"] == []


@pytest.mark.parametrize("line,column", [
    ('{"id": 9, "i": "abc"}', "i"),
    ('{"id": 9, "i": 1.5}', "i"),
    ('{"id": 9, "b": 300}', "b"),
    ('{"id": 9, "ts": "yesterday"}', "ts"),
    ('{"id": 9, "st": {"a": "not a number"}}', "st"),
    ('{"id": 9, "lst": {"not": "a list"}}', "lst"),
    ('{"id": 9, "bin": "not base64!"}', "bin"),
])
def test_json_value_that_does_not_convert_is_refused_naming_the_column(tmp_path, line, column):
    uri = empty_table(tmp_path, "refuse")
    data = tmp_path / "bad.jsonl"
    data.write_text('{"id": 1, "i": 1}\n' + line + "\n")
    proc = run("table", "append", uri, "--from", str(data), check=False)
    assert proc.returncode == 1, proc.stdout
    error = proc.stderr.strip()
    assert "\n" not in error, error
    assert f"column '{column}'" in error, error
    assert DeltaTable(uri).version() == 0
    assert DeltaTable(uri).to_pyarrow_table().num_rows == 0


def test_csv_value_that_does_not_convert_is_refused_naming_the_column(tmp_path):
    uri = empty_table(tmp_path, "refuse-csv")
    data = tmp_path / "bad.csv"
    data.write_text('id,i,st\n1,1,"{""a"": 1}"\n2,2,"{""a"": ""x""}"\n')
    proc = run("table", "append", uri, "--from", str(data), check=False)
    assert proc.returncode == 1
    assert "\n" not in proc.stderr.strip(), proc.stderr
    assert "column 'st'" in proc.stderr
    assert DeltaTable(uri).version() == 0


# ---- object storage ----

@pytest.mark.skipif(os.environ.get("NEURALAKE_SKIP_MINIO") == "1", reason="no MinIO")
def test_minio_json_output_and_input(tmp_path):
    options = delta_rs_storage_options()
    base = f"s3://lake/tests/type-matrix-{uuid.uuid4().hex[:10]}"
    write_deltalake(f"{base}/source", typedata.table(), storage_options=options)
    run("table", "read", f"{base}/source", "--format", "ndjson", "--output", f"{base}/rows.json")
    text = run("storage", "cat", f"{base}/rows.json").stdout
    assert_rows(json_rows(text), "table read --output s3:// (ndjson)")
    catalog = write_catalog(tmp_path / "minio.yaml", f"{base}/source")
    run("sql", "--catalog", catalog, "-q", "SELECT * FROM tm.t", "--format", "json", "--output",
        f"{base}/sql.json")
    assert_rows(json_rows(run("storage", "cat", f"{base}/sql.json").stdout), "sql --output s3://")
    DeltaTable.create(f"{base}/target", SCHEMA, storage_options=options)
    run("table", "append", f"{base}/target", "--from", f"{base}/rows.json")
    assert_rows(delta_rs_rows(f"{base}/target", options), "s3 json -> append -> delta-rs")


# ---- the SQL surface through the CLI: refusals and errors are one line ----

@pytest.mark.parametrize("statement", ["PRAGMA database_list", "PRAGMA version",
                                       "PRAGMA show_tables", "CALL pragma_version()"])
def test_pragmas_are_refused(source, statement):
    proc = run("sql", "--catalog", source["catalog"], statement, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: Invalid: only read-only SELECT"), proc.stderr
    assert proc.stdout == ""


def test_relative_paths_reach_nothing_under_the_current_directory(source, tmp_path):
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "x.csv").write_text("secret\n42\n")
    proc = subprocess.run([os.path.abspath(binary()), "sql", "--catalog", source["catalog"],
                           "SELECT * FROM read_csv('.tmp/x.csv')"], capture_output=True,
                          text=True, env=cli_env(), cwd=tmp_path, timeout=60)
    assert proc.returncode == 1, proc.stdout
    assert "42" not in proc.stdout


@pytest.mark.parametrize("statement", [
    "SELECT citi FROM tm.t",
    "SELECT substring(1, 2, 3, 4)",
    "SELECT id FROM tm.t WHERE",
    "SELECT CAST(str AS INTEGER) FROM tm.t",
])
def test_sql_errors_are_one_line(source, statement):
    proc = run("sql", "--catalog", source["catalog"], "-q", statement, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: "), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
