"""PostgreSQL tables: the type matrix against psycopg, filters pushed down to PostgreSQL (its
statement log and its table statistics), and a Delta x Parquet x PostgreSQL join against DuckDB.
"""
import base64
import datetime
import decimal
import json
import os
import time
import uuid

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake
from nltest import delta_rs_storage_options
from conftest import (PG_SCHEMA, S3_ROOT, pg_connect, pg_dsn, sql_rows, write_catalog)

UTC = datetime.timezone.utc


# ---- the type matrix -----------------------------------------------------------------------------

def typed_rows():
    rows = []
    for i in range(1, 41):
        rows.append((
            i,
            None if i % 6 == 0 else decimal.Decimal(i * 12345 - 99999) / 100,
            None if i % 4 == 0 else f"text {i} ünïcødé ✓" + (" 'quoted'" if i % 5 == 0 else ""),
            None if i % 9 == 0 else datetime.datetime(2025, 3, 1, 12, tzinfo=UTC)
            + datetime.timedelta(days=i, microseconds=i * 7),
            None if i % 7 == 0 else {"k": i, "nested": {"list": [i, str(i)]}, "s": f"v{i}"},
            None if i % 8 == 0 else uuid.UUID(int=i * 0x1234567890ABCDEF),
            None if i % 10 == 0 else bytes([i, 0, 255, i % 7]),
            None if i % 11 == 0 else [i, i + 1, i % 3],
            None if i % 12 == 0 else [f"t{i % 3}", f"u{i % 5}"],
        ))
    return rows


COLUMNS = ["id", "n", "s", "ts", "j", "u", "b", "ia", "ta"]


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("typed")
    with pg_connect() as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
        conn.execute(f"CREATE TABLE {PG_SCHEMA}.typed (id int, n numeric(12,2), s text, "
                     "ts timestamptz, j jsonb, u uuid, b bytea, ia int[], ta text[])")
        with conn.cursor() as cur:
            with cur.copy(f"COPY {PG_SCHEMA}.typed FROM STDIN") as copy:
                for row in typed_rows():
                    copy.write_row(row[:4] + (None if row[4] is None else json.dumps(row[4]),)
                                   + row[5:])
        oracle = [dict(zip(COLUMNS, r)) for r in
                  conn.execute(f"SELECT * FROM {PG_SCHEMA}.typed ORDER BY id").fetchall()]
    catalog = write_catalog(tmp / "catalog.yaml", {
        "typed": f'{{type: postgres, dsn: "{pg_dsn()}", table: {PG_SCHEMA}.typed}}'})
    return {"catalog": catalog, "oracle": oracle}


def decoded(row):
    """A neuralake JSON row as psycopg's Python values."""
    out = dict(row)
    if out["ts"] is not None:
        out["ts"] = datetime.datetime.fromisoformat(out["ts"].replace("Z", "+00:00"))
    if out["j"] is not None:
        out["j"] = json.loads(out["j"])
    if out["u"] is not None:
        out["u"] = uuid.UUID(out["u"])
    if out["b"] is not None:
        out["b"] = base64.b64decode(out["b"])
    return out


def test_every_type_equals_psycopg(typed):
    rows = sql_rows(typed["catalog"], "SELECT * FROM app.typed ORDER BY id")
    assert list(rows[0].keys()) == COLUMNS
    got = [decoded(r) for r in rows]
    expected = [dict(r, b=bytes(r["b"]) if r["b"] is not None else None) for r in typed["oracle"]]
    assert len(got) == 40
    for g, e in zip(got, expected):
        assert g == e


def test_mapped_types(typed):
    rows = sql_rows(typed["catalog"], "SELECT column_name, column_type FROM "
                                      "(DESCRIBE SELECT * FROM app.typed)")
    types = {r["column_name"]: r["column_type"] for r in rows}
    assert types == {"id": "INTEGER", "n": "DECIMAL(12,2)", "s": "VARCHAR",
                     "ts": "TIMESTAMP WITH TIME ZONE", "j": "VARCHAR", "u": "VARCHAR",
                     "b": "BLOB", "ia": "INTEGER[]", "ta": "VARCHAR[]"}


U7 = str(uuid.UUID(int=7 * 0x1234567890ABCDEF))

# (SQL condition, the same test in Python over psycopg's rows)
TYPED_FILTERS = [
    ("n = -629.64", lambda r: r["n"] == decimal.Decimal("-629.64")),
    ("n != 0.00", lambda r: r["n"] is not None and r["n"] != 0),
    ("n < 100", lambda r: r["n"] is not None and r["n"] < 100),
    ("n >= 1234.50", lambda r: r["n"] is not None and r["n"] >= decimal.Decimal("1234.50")),
    ("ts > TIMESTAMPTZ '2025-03-20 00:00:00+00'",
     lambda r: r["ts"] is not None and r["ts"] > datetime.datetime(2025, 3, 20, tzinfo=UTC)),
    ("ts <= TIMESTAMPTZ '2025-03-10 12:00:00.00007+00'",
     lambda r: r["ts"] is not None
     and r["ts"] <= datetime.datetime(2025, 3, 10, 12, 0, 0, 70, tzinfo=UTC)),
    (f"u = '{U7}'", lambda r: r["u"] is not None and str(r["u"]) == U7),
    (f"u IN ('{U7}', '00000000-0000-0000-0000-000000000000')",
     lambda r: r["u"] is not None and str(r["u"]) == U7),
    (f"u NOT IN ('{U7}')", lambda r: r["u"] is not None and str(r["u"]) != U7),
    ("s IS NULL", lambda r: r["s"] is None),
    ("contains(s, '''quoted''')", lambda r: r["s"] is not None and "'quoted'" in r["s"]),
    ("starts_with(s, 'text 1')", lambda r: r["s"] is not None and r["s"].startswith("text 1")),
    ("suffix(s, '✓')", lambda r: r["s"] is not None and r["s"].endswith("✓")),
    ("s > 'text 3'", lambda r: r["s"] is not None and r["s"].encode() > b"text 3"),
    ("j IS NOT NULL AND b IS NULL", lambda r: r["j"] is not None and r["b"] is None),
    ("list_contains(ia, 2)", lambda r: r["ia"] is not None and 2 in r["ia"]),
    ("list_has_any(ta, ['t1', 'u4'])",
     lambda r: r["ta"] is not None and bool({"t1", "u4"} & set(r["ta"]))),
    ("list_has_all(ia, [0, 4])", lambda r: r["ia"] is not None and {0, 4} <= set(r["ia"])),
    ("ia IS NULL", lambda r: r["ia"] is None),
]


@pytest.mark.parametrize("where,keep", TYPED_FILTERS, ids=[f[0] for f in TYPED_FILTERS])
def test_typed_filter_equals_psycopg(typed, where, keep):
    expected = [r["id"] for r in typed["oracle"] if keep(r)]
    assert 0 < len(expected) < 40, (where, expected)
    rows = sql_rows(typed["catalog"], f"SELECT id FROM app.typed WHERE {where} ORDER BY id")
    assert [r["id"] for r in rows] == expected


# ---- pushdown ------------------------------------------------------------------------------------

BIG_ROWS = 200_000
LOGGED_ROLE = "nl_catalog_logged"


def pg_log_path():
    cache = os.environ.get("NEURALAKE_CACHE", os.path.expanduser("~/.cache/neuralake"))
    return os.path.join(cache, "logs", "postgres.log")


def table_reads(conn, table):
    row = conn.execute("SELECT coalesce(seq_tup_read, 0), coalesce(idx_tup_fetch, 0) "
                       "FROM pg_stat_user_tables WHERE schemaname = %s AND relname = %s",
                       (PG_SCHEMA, table)).fetchone()
    return row[0] + row[1]


def test_selective_filter_is_pushed_down_and_reads_under_one_percent(tmp_path):
    with pg_connect() as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
        conn.execute(f"CREATE TABLE {PG_SCHEMA}.big AS SELECT g AS id, (g * 7919) % {BIG_ROWS} "
                     f"AS k, md5(g::text) AS payload FROM generate_series(1, {BIG_ROWS}) g")
        conn.execute(f"CREATE INDEX ON {PG_SCHEMA}.big (k)")
        conn.execute(f"ANALYZE {PG_SCHEMA}.big")
        conn.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                     f"'{LOGGED_ROLE}') THEN CREATE ROLE {LOGGED_ROLE} LOGIN; END IF; END $$")
        conn.execute(f"ALTER ROLE {LOGGED_ROLE} SET log_statement = 'all'")
        conn.execute(f"GRANT USAGE ON SCHEMA {PG_SCHEMA} TO {LOGGED_ROLE}")
        conn.execute(f"GRANT SELECT ON {PG_SCHEMA}.big TO {LOGGED_ROLE}")
    # The setup's own reads (CREATE INDEX scans the table) reach the statistics when its backend
    # exits: wait until the figure is stable before taking it as the baseline.
    with pg_connect() as conn:
        before = -1
        for _ in range(40):
            conn.execute("SELECT pg_stat_clear_snapshot()")
            now = table_reads(conn, "big")
            if now == before:
                break
            before = now
            time.sleep(0.5)
    catalog = write_catalog(tmp_path / "catalog.yaml", {
        "big": f'{{type: postgres, dsn: "{pg_dsn(LOGGED_ROLE)}", table: {PG_SCHEMA}.big}}'})
    log = pg_log_path()
    offset = os.path.getsize(log)

    rows = sql_rows(catalog, "SELECT id, k, payload FROM app.big WHERE k BETWEEN 5000 AND 5599 "
                             "ORDER BY k")
    assert [r["k"] for r in rows] == list(range(5000, 5600))
    assert all((r["id"] * 7919) % BIG_ROWS == r["k"] for r in rows)

    # PostgreSQL's statement log shows the WHERE clause on the table, values as parameters.
    deadline = time.time() + 10
    statements = ""
    while time.time() < deadline:
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(offset)
            statements = f.read()
        if f"{PG_SCHEMA}" in statements and "WHERE" in statements:
            break
        time.sleep(0.2)
    reads = [line for line in statements.splitlines()
             if PG_SCHEMA in line and "big" in line and ("DECLARE" in line or "SELECT" in line)]
    assert any("WHERE" in line and '"k"' in line and "$1" in line for line in reads), \
        "no pushed-down WHERE in the PostgreSQL log:\n" + "\n".join(reads)
    assert not any("5000" in line for line in reads), "filter values must be bound, not pasted"

    # PostgreSQL's table statistics: the rows it read for us are the 600 matches, not 200,000.
    with pg_connect() as conn:
        deadline = time.time() + 15
        read = 0
        while time.time() < deadline:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            read = table_reads(conn, "big") - before
            if read >= 600:
                break
            time.sleep(0.25)
    assert 600 <= read < BIG_ROWS // 100, f"PostgreSQL read {read} rows for 600 matches"


# ---- Delta x Parquet x PostgreSQL ----------------------------------------------------------------

def test_three_way_join_equals_duckdb(tmp_path):
    countries = ["DE", "FR", "JP", "BR", "US"]
    users = [(u, countries[u % 5], f"user {u}") for u in range(1, 201)]
    products = pa.table({
        "sku": [f"sku-{s:03d}" for s in range(40)],
        "price": pa.array([decimal.Decimal(100 + s * 25) / 100 for s in range(40)],
                          pa.decimal128(10, 2)),
        "category": [["books", "games", "tools", "food"][s % 4] for s in range(40)],
    })
    orders = pa.table({
        "order_id": pa.array(range(3000), pa.int64()),
        "user_id": pa.array([(o * 37) % 230 + 1 for o in range(3000)], pa.int64()),  # some unknown
        "sku": [f"sku-{(o * 13) % 40:03d}" for o in range(3000)],
        "qty": pa.array([o % 4 + 1 for o in range(3000)], pa.int32()),
    })
    with pg_connect() as conn:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
        conn.execute(f"CREATE TABLE {PG_SCHEMA}.users (user_id bigint PRIMARY KEY, "
                     "country text, name text)")
        with conn.cursor() as cur:
            with cur.copy(f"COPY {PG_SCHEMA}.users FROM STDIN") as copy:
                for row in users:
                    copy.write_row(row)
        pg_users = conn.execute(f"SELECT user_id, country, name FROM {PG_SCHEMA}.users").fetchall()
    orders_uri = f"{S3_ROOT}/join_orders"
    write_deltalake(orders_uri, orders, storage_options=delta_rs_storage_options())
    products_dir = tmp_path / "products"
    oracle = duckdb.connect()
    oracle.register("products_arrow", products)
    oracle.execute(f"COPY (SELECT * FROM products_arrow) TO '{products_dir}' "
                   "(FORMAT parquet, PARTITION_BY (category))")
    # The oracle loads all three itself: delta-rs, DuckDB's own Parquet reader, psycopg's rows.
    oracle.execute("CREATE SCHEMA app")
    oracle.register("orders_arrow", DeltaTable(orders_uri, storage_options=delta_rs_storage_options())
                    .to_pyarrow_table())
    oracle.execute("CREATE TABLE app.orders AS SELECT * FROM orders_arrow")
    oracle.execute(f"CREATE TABLE app.products AS SELECT * FROM read_parquet("
                   f"'{products_dir}/**/*.parquet', hive_partitioning = true)")
    oracle.register("users_arrow", pa.table({"user_id": [u[0] for u in pg_users],
                                             "country": [u[1] for u in pg_users],
                                             "name": [u[2] for u in pg_users]}))
    oracle.execute("CREATE TABLE app.users AS SELECT * FROM users_arrow")

    catalog = write_catalog(tmp_path / "catalog.yaml", {
        "orders": f'{{type: delta, uri: "{orders_uri}"}}',
        "products": f'{{type: parquet, uri: "{products_dir}", partitions: {{category: VARCHAR}}}}',
        "users": f'{{type: postgres, dsn: "{pg_dsn()}", table: {PG_SCHEMA}.users}}',
    })
    query = ("SELECT u.country, p.category, count(*) AS orders, sum(o.qty) AS items, "
             "sum(o.qty * p.price) AS revenue, count(DISTINCT u.user_id) AS buyers "
             "FROM app.orders o JOIN app.users u ON o.user_id = u.user_id "
             "JOIN app.products p ON o.sku = p.sku "
             "WHERE u.country != 'US' AND p.category IN ('books', 'games', 'tools') "
             "GROUP BY u.country, p.category ORDER BY u.country, p.category")
    expected = oracle.execute(query).fetchall()
    got = [tuple(r.values()) for r in sql_rows(catalog, query)]
    assert len(expected) == 12
    assert got == expected
