"""Fixtures of the catalog-sources suite: one data set ("items") stored as every table kind.

The same 300 rows are written as a Delta table on MinIO (delta-rs), a Hive-partitioned Parquet
prefix in a temporary directory (DuckDB-Python) and on MinIO (pyarrow), and a PostgreSQL table
(psycopg COPY); a view reads the PostgreSQL table and a function table generates events. The
oracle is a DuckDB-Python connection holding the same tables under the same names (`app.<name>`),
the PostgreSQL one built from the rows psycopg copies back out, so one SQL text runs unchanged on
both sides.
"""
import datetime
import decimal
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
import uuid

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from deltalake import write_deltalake
from nltest import MINIO, binary, cli_env, delta_rs_storage_options

# Test modules import this file as `conftest` too, a second copy of the module beside pytest's: the
# run id lives in the environment so both copies name the same schema and prefix.
RUN = os.environ.setdefault("NLCAT_TEST_RUN", uuid.uuid4().hex[:8])
S3_ROOT = f"s3://lake/catalog-test-{RUN}"
PG_SCHEMA = f"nlcat_{RUN}"
N_ITEMS = 300
EVENTS_ROWS = 5000

ITEMS_SCHEMA = pa.schema([
    ("id", pa.int32()),
    ("name", pa.string()),
    ("amount", pa.decimal128(12, 2)),
    ("ts", pa.timestamp("us", "UTC")),
    ("tags", pa.list_(pa.string())),
    ("region", pa.string()),
])
COLORS = ["red", "green", "blue", "black"]


def pg_port():
    dsn = os.environ.get("NEURALAKE_PG_DSN", "")
    match = re.search(r"port=(\d+)", dsn)
    if match:
        return int(match.group(1))
    cache = os.environ.get("NEURALAKE_CACHE", os.path.expanduser("~/.cache/neuralake"))
    with open(os.path.join(cache, "run", "postgres.port")) as f:
        return int(f.read().strip())


PG_PORT = pg_port()


def pg_dsn(user="postgres", port=None):
    return f"host=127.0.0.1 port={port or PG_PORT} dbname=neuralake user={user}"


def pg_connect():
    return psycopg.connect(pg_dsn(), autocommit=True)


def items_rows():
    """The data set, as Python values (NULL names, NULL and empty tag lists)."""
    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    words = ["alpha", "beta", "gamma", "delta", "omega"]
    rows = []
    for i in range(1, N_ITEMS + 1):
        if i % 11 == 0:
            tags = None
        elif i % 17 == 0:
            tags = []
        else:
            tags = [c for bit, c in enumerate(COLORS) if (i >> bit) & 1]
        rows.append({
            "id": i,
            "name": None if i % 7 == 0 else f"{words[i % 5]}-{i % 13}",
            "amount": decimal.Decimal(i * 37 % 20000) / 100,
            "ts": base + datetime.timedelta(hours=5 * i),
            "tags": tags,
            "region": ["eu", "us", "apac"][i % 3],
        })
    return rows


def arrow_of(rows, schema=ITEMS_SCHEMA):
    return pa.Table.from_pylist(rows, schema=schema)


def s3_fs():
    return pafs.S3FileSystem(endpoint_override=MINIO["endpoint"], access_key=MINIO["access_key"],
                             secret_key=MINIO["secret_key"], region="us-east-1", scheme="http")


def run_cli(*args, env=None, timeout=300):
    """Runs the CLI; returns the CompletedProcess (the caller checks the exit code)."""
    return subprocess.run([binary(), *args], capture_output=True, text=True,
                          env=env or cli_env(), timeout=timeout)


def sql_rows(catalog, query, env=None):
    """`neuralake sql --format json` rows as dicts (DECIMAL as decimal.Decimal)."""
    proc = run_cli("sql", "--catalog", str(catalog), "--quiet", "--format", "json", query, env=env)
    assert proc.returncode == 0, f"neuralake sql failed ({proc.returncode}): {query}\n{proc.stderr}"
    return [json.loads(line, parse_float=decimal.Decimal)
            for line in proc.stdout.splitlines() if line.strip()]


def write_catalog(path, tables):
    """A catalog YAML with one database `app` holding `tables` (name -> flow-style YAML text)."""
    lines = ["databases:", "  app:", "    tables:"]
    lines += [f"      {name}: {spec}" for name, spec in tables.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


class Server:
    """`neuralake serve --port 0` over a catalog."""

    def __init__(self, catalog):
        self.proc = subprocess.Popen([binary(), "serve", "--catalog", str(catalog), "--port", "0",
                                      "-q", "--refresh", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=cli_env())
        line = self.proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"server did not start: {line!r} {self.proc.stderr.read()}")
        self.base = f"http://127.0.0.1:{match.group(1)}"

    def get(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=120) as response:
                return response.status, json.loads(response.read(), parse_float=decimal.Decimal)
        except urllib.error.HTTPError as error:
            body = error.read()
            return error.code, (json.loads(body) if body.startswith(b"{") else body)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def create_pg_items(conn, rows):
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
    conn.execute(f"CREATE TABLE {PG_SCHEMA}.items (id int PRIMARY KEY, name text, "
                 "amount numeric(12,2), ts timestamptz, tags text[], region text)")
    with conn.cursor() as cur:
        with cur.copy(f"COPY {PG_SCHEMA}.items (id, name, amount, ts, tags, region) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r["id"], r["name"], r["amount"], r["ts"], r["tags"], r["region"]))


def pg_items_oracle(conn):
    """The PostgreSQL table's rows copied out with psycopg (the oracle for the postgres kind)."""
    cur = conn.execute(f"SELECT id, name, amount, ts, tags, region FROM {PG_SCHEMA}.items ORDER BY id")
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


@pytest.fixture(scope="session", autouse=True)
def cleanup():
    """Drops the run's PostgreSQL schema and MinIO prefix when the session ends."""
    yield
    with pg_connect() as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
    try:
        s3_fs().delete_dir(S3_ROOT[len("s3://"):])
    except OSError:
        pass


@pytest.fixture(scope="session")
def lake(tmp_path_factory):
    """Every kind over the items data, a catalog naming them, and the DuckDB-Python oracle."""
    tmp = tmp_path_factory.mktemp("catalog")
    rows = items_rows()
    table = arrow_of(rows)
    oracle = duckdb.connect()
    oracle.execute("SET TimeZone = 'UTC'")
    oracle.execute("CREATE SCHEMA app")

    # Delta on MinIO, partitioned by region, written by delta-rs in two commits.
    delta_uri = f"{S3_ROOT}/items_delta"
    write_deltalake(delta_uri, table.slice(0, 150), partition_by=["region"],
                    storage_options=delta_rs_storage_options())
    write_deltalake(delta_uri, table.slice(150), partition_by=["region"], mode="append",
                    storage_options=delta_rs_storage_options())

    # Parquet, Hive-partitioned: a local directory written by DuckDB-Python ...
    local_dir = tmp / "items_parquet"
    oracle.register("items_arrow", table)
    oracle.execute(f"COPY (SELECT * FROM items_arrow) TO '{local_dir}' "
                   "(FORMAT parquet, PARTITION_BY (region))")
    # ... and a prefix on MinIO written by pyarrow.
    s3_prefix = f"{S3_ROOT}/items_parquet"
    pq.write_to_dataset(table, root_path=s3_prefix[len("s3://"):], partition_cols=["region"],
                        filesystem=s3_fs())

    # PostgreSQL, and its oracle: the rows psycopg reads back.
    with pg_connect() as conn:
        create_pg_items(conn, rows)
        pg_rows = pg_items_oracle(conn)

    # The function table's oracle: `neuralake generate` with the same preset, rows and seed.
    gen_dir = tmp / "events_gen"
    proc = run_cli("generate", "--schema", "events", "--rows", str(EVENTS_ROWS), "--seed", "42",
                   "--format", "parquet", "--output", str(gen_dir))
    assert proc.returncode == 0, proc.stderr

    for name in ("items_delta", "items_parquet", "items_s3"):
        oracle.execute(f"CREATE TABLE app.{name} AS SELECT * FROM items_arrow")
    oracle.register("pg_arrow", arrow_of(pg_rows))
    oracle.execute("CREATE TABLE app.items_pg AS SELECT * FROM pg_arrow")
    oracle.execute("CREATE VIEW app.items_view AS SELECT id, name, amount, ts, tags, region "
                   "FROM app.items_pg WHERE id <= 250")
    oracle.execute(f"CREATE TABLE app.events_fn AS SELECT * FROM read_parquet('{gen_dir}/*.parquet')")

    catalog = write_catalog(tmp / "catalog.yaml", {
        "items_delta": f'{{type: delta, uri: "{delta_uri}", description: "items in Delta"}}',
        "items_parquet": f'{{type: parquet, uri: "{local_dir}"}}',
        "items_s3": f'{{type: parquet, uri: "{s3_prefix}/", partitions: {{region: VARCHAR}}}}',
        "items_pg": f'{{type: postgres, dsn: "{pg_dsn()}", table: {PG_SCHEMA}.items, owner: qa}}',
        "items_view": '{type: view, sql: "SELECT id, name, amount, ts, tags, region '
                      'FROM app.items_pg WHERE id <= 250"}',
        "events_fn": f"{{type: function, function: generate, args: {{schema: events, "
                     f"rows: {EVENTS_ROWS}}}}}",
    })
    return {"catalog": catalog, "oracle": oracle, "rows": rows, "pg_rows": pg_rows, "tmp": tmp,
            "delta_uri": delta_uri, "s3_prefix": s3_prefix, "gen_dir": gen_dir}


@pytest.fixture(scope="session")
def server(lake):
    server = Server(lake["catalog"])
    yield server
    server.stop()
