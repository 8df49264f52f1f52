"""TPC-H through `neuralake sql` vs DuckDB over plain Parquet, plus time travel and the safe surface.

Data: our generator's TPC-H at a small scale factor, written once as Parquet (the oracle's input)
and loaded into Delta tables three ways: unpartitioned on local disk, partitioned (lineitem by
l_shipmode, orders by o_orderpriority) on local disk, and unpartitioned on MinIO.
"""
import decimal
import glob
import json
import math
import os
import subprocess
import uuid

import duckdb
import pyarrow.parquet as pq
import pytest
from nltest import binary, cli_env

SCALE = os.environ.get("NEURALAKE_TPCH_TEST_SCALE", "0.01")
TABLES = ["region", "nation", "supplier", "part", "partsupp", "customer", "orders", "lineitem"]
PARTITIONS = {"lineitem": "l_shipmode", "orders": "o_orderpriority"}
QUERIES_DIR = os.environ.get(
    "NEURALAKE_TPCH_QUERIES",
    os.path.join(os.path.dirname(__file__), "..", "tpch", "queries"))


def run(*args, check=True, stdin=None):
    proc = subprocess.run([binary(), *args], capture_output=True, text=True, env=cli_env(),
                          timeout=600, input=stdin)
    if check and proc.returncode != 0:
        raise AssertionError(f"neuralake {' '.join(args)[:300]} failed ({proc.returncode}):\n"
                             f"{proc.stderr}")
    return proc


def parquet_files(directory):
    files = sorted(glob.glob(os.path.join(directory, "**", "*.parquet"), recursive=True))
    assert files, f"no parquet files under {directory}"
    return files


def write_catalog(path, uris):
    with open(path, "w") as f:
        f.write("databases:\n  tpch:\n    tables:\n")
        for table, uri in uris.items():
            f.write(f'      {table}: {{type: delta, uri: "{uri}"}}\n')
    return str(path)


@pytest.fixture(scope="session")
def tpch(tmp_path_factory):
    root = tmp_path_factory.mktemp("tpch")
    parquet_root = root / "parquet"
    run("generate", "--schema", "tpch", "--scale", SCALE, "--seed", "7", "--format", "parquet",
        "--output", str(parquet_root))
    sources = {t: parquet_files(str(parquet_root / t)) for t in TABLES}

    delta_root = root / "delta"
    run("generate", "--schema", "tpch", "--scale", SCALE, "--seed", "7", "--format", "delta",
        "--output", str(delta_root))
    s3_root = f"s3://lake/tests/tpch-{uuid.uuid4().hex[:10]}"
    run("generate", "--schema", "tpch", "--scale", SCALE, "--seed", "7", "--format", "delta",
        "--output", s3_root)

    partitioned = {}
    for table in TABLES:
        if table in PARTITIONS:
            uri = str(root / "partitioned" / table)
            pattern = os.path.join(os.path.dirname(sources[table][0]), "*.parquet")
            run("table", "create", uri, "--from", pattern, "--partition-by", PARTITIONS[table])
            partitioned[table] = uri
        else:
            partitioned[table] = str(delta_root / table)

    catalogs = {
        "local": write_catalog(root / "local.yaml", {t: str(delta_root / t) for t in TABLES}),
        "partitioned": write_catalog(root / "partitioned.yaml", partitioned),
        "minio": write_catalog(root / "minio.yaml", {t: f"{s3_root}/{t}" for t in TABLES}),
    }
    oracle = duckdb.connect()
    for table, files in sources.items():
        listing = ", ".join(f"'{f}'" for f in files)
        oracle.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet([{listing}])")
    return {"root": root, "catalogs": catalogs, "oracle": oracle, "sources": sources}


def normalize(value):
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return round(value, 6)
    if isinstance(value, decimal.Decimal):
        return round(float(value), 6)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def canonical(rows):
    return sorted((tuple(normalize(v) for v in row) for row in rows), key=repr)


def query_numbers():
    return [f"q{n:02d}" for n in range(1, 23)]


def read_query(name):
    path = os.path.join(QUERIES_DIR, f"{name}.sql")
    assert os.path.exists(path), f"missing {path}"
    with open(path) as f:
        return f.read()


@pytest.mark.parametrize("variant", ["local", "partitioned", "minio"])
@pytest.mark.parametrize("name", query_numbers())
def test_tpch_query_matches_duckdb_on_parquet(tpch, variant, name):
    sql = read_query(name)
    expected = tpch["oracle"].execute(sql).fetchall()
    out = tpch["root"] / f"{variant}-{name}.parquet"
    run("sql", "--catalog", tpch["catalogs"][variant], "--quiet", "--format", "parquet",
        "--output", str(out), sql)
    got = [tuple(r.values()) for r in pq.read_table(out).to_pylist()]
    assert len(got) == len(expected), f"{name} on {variant}: {len(got)} rows, expected {len(expected)}"
    assert canonical(got) == canonical(expected), f"{name} on {variant} differs"


def test_partition_filter_prunes_files(tpch):
    proc = run("sql", "--catalog", tpch["catalogs"]["partitioned"], "--format", "csv",
               "SELECT count(*) FROM lineitem WHERE l_shipmode = 'AIR'")
    scan = [line for line in proc.stderr.splitlines() if line.startswith("scan tpch.lineitem")]
    assert scan, proc.stderr
    read, total = (int(x) for x in scan[0].split(": ")[1].split(" files")[0].split(" of "))
    assert total >= 7 and read * 7 <= total, scan[0]
    expected = tpch["oracle"].execute(
        "SELECT count(*) FROM lineitem WHERE l_shipmode = 'AIR'").fetchone()[0]
    assert int(proc.stdout.splitlines()[1]) == expected


def test_time_travel_in_sql_equals_cli_read(tpch, tmp_path):
    uri = str(tmp_path / "tt")
    first = tpch["sources"]["nation"][0]
    run("table", "create", uri, "--from", first)
    run("table", "append", uri, "--from", first)
    catalog = write_catalog(tmp_path / "tt.yaml", {"tt": uri})
    for version, rows in [(0, 25), (1, 50)]:
        via_sql = run("sql", "--catalog", catalog, "--quiet", "--format", "csv",
                      f"SELECT * FROM delta_at('tpch.tt', {version})").stdout.splitlines()
        via_cli = run("table", "read", uri, "--version", str(version), "--format",
                      "csv").stdout.splitlines()
        assert via_sql[0] == via_cli[0]
        assert sorted(via_sql[1:]) == sorted(via_cli[1:])
        assert len(via_sql) - 1 == rows


@pytest.mark.parametrize("statement", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "COPY (SELECT 1) TO '/tmp/neuralake-should-not-exist.csv'",
    "INSTALL httpfs",
    "ATTACH '/tmp/x.duckdb' AS x",
    "SET memory_limit = '1GB'",
    "CREATE TABLE t AS SELECT 1",
    "DELETE FROM nation",
])
def test_unsafe_statements_are_refused(tpch, statement):
    proc = run("sql", "--catalog", tpch["catalogs"]["local"], statement, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: Invalid:"), proc.stderr
    assert not os.path.exists("/tmp/neuralake-should-not-exist.csv")


@pytest.mark.parametrize("statement,needle", [
    ("SELECT * FROM tpch.no_such_table", "no_such_table"),
    ("SELECT no_such_column FROM nation", "no_such_column"),
    ("SELEC 1", "syntax error"),
])
def test_bad_queries_fail_clearly(tpch, statement, needle):
    proc = run("sql", "--catalog", tpch["catalogs"]["local"], statement, check=False)
    assert proc.returncode == 1
    assert needle in proc.stderr, proc.stderr


def test_unsupported_delta_type_fails_clearly(tmp_path):
    # A table whose schema has a type we do not read (variant): refused by name, exit 1.
    log = tmp_path / "vt" / "_delta_log"
    log.mkdir(parents=True)
    schema = json.dumps({"type": "struct", "fields": [
        {"name": "id", "type": "long", "nullable": True, "metadata": {}},
        {"name": "v", "type": "variant", "nullable": True, "metadata": {}}]})
    (log / "00000000000000000000.json").write_text(
        json.dumps({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}) + "\n" +
        json.dumps({"metaData": {"id": "vt", "format": {"provider": "parquet", "options": {}},
                                 "schemaString": schema, "partitionColumns": [],
                                 "configuration": {}, "createdTime": 1}}) + "\n")
    catalog = tmp_path / "catalog.yaml"
    table = f'vt: {{type: delta, uri: "{log.parent}"}}'
    catalog.write_text(f"databases: {{demo: {{tables: {{{table}}}}}}}\n")
    proc = run("sql", "--catalog", str(catalog), "SELECT id FROM demo.vt", check=False)
    assert proc.returncode == 1
    assert "Delta type 'variant' is not supported" in proc.stderr, proc.stderr


def test_runaway_query_is_cancelled(tpch):
    proc = run("sql", "--catalog", tpch["catalogs"]["local"], "--timeout", "500ms",
               "SELECT count(*) FROM range(10000000000) a, lineitem b WHERE a.range % 97 = b.l_orderkey",
               check=False)
    assert proc.returncode == 1
    assert "Cancelled" in proc.stderr and "timeout" in proc.stderr, proc.stderr
