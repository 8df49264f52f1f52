"""`neuralake serve` over every table kind: the rows route answers through the one Filter API.

A catalog with a Parquet prefix (written by DuckDB-Python into a temporary directory), a view over
it, a function table (`generate`), a deprecated table and a PostgreSQL table. Oracles:
DuckDB-Python over the same Parquet files (the view's SQL applied there too), DuckDB-Python over
the rows `neuralake generate` writes for the same arguments (the function table), and psycopg
reading the PostgreSQL table.
"""
import json
import os
import re
import subprocess
import uuid

import duckdb
import pytest
from nltest import binary, cli_env
from test_api import FILTERS, Server, types_table

RUN = uuid.uuid4().hex[:8]
VIEW_SQL = "SELECT * FROM demo.pq WHERE id < 300"
DEPRECATION = "table demo.old is deprecated: replaced by pq; use demo.pq"


def pg_port():
    cache = os.environ.get("NEURALAKE_CACHE", os.path.expanduser("~/.cache/neuralake"))
    try:
        with open(os.path.join(cache, "run", "postgres.port")) as f:
            return int(f.read().strip())
    except OSError:
        return None


def pg_table(port):
    """A small PostgreSQL table, or None when no PostgreSQL is reachable."""
    try:
        import psycopg
        conn = psycopg.connect(f"host=127.0.0.1 port={port} dbname=neuralake user=postgres",
                               autocommit=True, connect_timeout=5)
    except Exception:  # noqa: BLE001 - no PostgreSQL here: the case is skipped
        return None
    name = f"api_users_{RUN}"
    conn.execute(f"CREATE TABLE public.{name} (id integer PRIMARY KEY, name text, "
                 "score numeric(10,2), tags text[])")
    with conn.cursor().copy(f"COPY public.{name} (id, name, score, tags) FROM STDIN") as copy:
        for i in range(1, 201):
            copy.write_row((i, None if i % 10 == 0 else f"user-{i}", i * 1.25,
                            ["red", "blue"][: i % 3]))
    return conn, name


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kinds")
    pq_dir = tmp / "pq"
    pq_dir.mkdir()
    data = types_table()  # noqa: F841 - read by DuckDB-Python below by its name
    # Two files, written by DuckDB-Python.
    duckdb.sql(f"COPY (SELECT * FROM data WHERE id < 200) TO '{pq_dir}/part-0.parquet' (FORMAT parquet)")
    duckdb.sql(f"COPY (SELECT * FROM data WHERE id >= 200) TO '{pq_dir}/part-1.parquet' (FORMAT parquet)")
    generated = tmp / "generated"
    subprocess.run([binary(), "generate", "--schema", "events", "--rows", "1000", "--format",
                    "parquet", "--output", str(generated)], check=True, env=cli_env(),
                   capture_output=True, timeout=300)
    tables = (f"      pq: {{type: parquet, uri: \"{pq_dir}/\", owner: lake-team, tags: [ref, silver]}}\n"
              f"      v: {{type: view, sql: \"{VIEW_SQL}\"}}\n"
              "      gen: {type: function, function: generate, args: {schema: events, rows: 1000}}\n"
              f"      old: {{type: parquet, uri: \"{pq_dir}/\", "
              "deprecated: {message: replaced by pq, use: demo.pq}}\n")
    port = pg_port()
    pg = pg_table(port) if port else None
    if pg:
        tables += (f"      users: {{type: postgres, dsn: \"host=127.0.0.1 port={port} dbname=neuralake "
                   f"user=postgres\", table: public.{pg[1]}}}\n")
    catalog = tmp / "catalog.yaml"
    catalog.write_text("databases:\n  demo:\n    tables:\n" + tables)
    server = Server(str(catalog))
    yield {"server": server, "pq": str(pq_dir), "generated": str(generated), "pg": pg}
    server.stop()
    if pg:
        pg[0].execute(f"DROP TABLE public.{pg[1]}")
        pg[0].close()


def ids(server, path, column="id"):
    status, body, headers = server.get(path)
    assert status == 200, (path, body)
    assert body["next"] is None, path
    return [row[column] for row in body["rows"]]


def parquet_oracle(directory, where, extra="TRUE"):
    return [row[0] for row in duckdb.sql(
        f"SELECT id FROM read_parquet('{directory}/*.parquet') WHERE ({where}) AND ({extra}) "
        "ORDER BY id").fetchall()]


@pytest.mark.parametrize("query,sql", FILTERS, ids=[q for q, _ in FILTERS])
def test_parquet_and_view_filters_equal_duckdb(kinds, query, sql):
    server = kinds["server"]
    tail = "&_columns=id&_size=1000&_sort=id"
    assert ids(server, f"/api/v1/tables/demo/pq?{query}{tail}") == parquet_oracle(kinds["pq"], sql)
    # The view is its SQL over the Parquet table; the oracle applies the same condition.
    assert ids(server, f"/api/v1/tables/demo/v?{query}{tail}") == parquet_oracle(kinds["pq"], sql, "id < 300")


GENERATED = [
    ("event_type=click", "event_type = 'click'"),
    ("device__in=tablet,desktop&event_id__lt=400", "device IN ('tablet', 'desktop') AND event_id < 400"),
    ("revenue__isnull=1&event_id__gte=900", "revenue IS NULL AND event_id >= 900"),
    ("revenue__gt=20", "revenue > 20"),
    ("country__startswith=D&event_type__ne=page_view", "starts_with(country, 'D') AND event_type <> 'page_view'"),
    ("url__contains=checkout", "contains(url, 'checkout')"),
    ("event_type__notin=click,search,page_view&duration_ms__lte=300",
     "event_type NOT IN ('click', 'search', 'page_view') AND duration_ms <= 300"),
]


@pytest.mark.parametrize("query,sql", GENERATED, ids=[q for q, _ in GENERATED])
def test_function_table_filters_equal_duckdb(kinds, query, sql):
    """The function table `generate` equals `neuralake generate` with the same arguments, read by DuckDB."""
    got = ids(kinds["server"], f"/api/v1/tables/demo/gen?{query}&_columns=event_id&_size=1000&_sort=event_id",
              "event_id")
    want = [row[0] for row in duckdb.sql(
        f"SELECT event_id FROM read_parquet('{kinds['generated']}/**/*.parquet') WHERE {sql} "
        "ORDER BY event_id").fetchall()]
    assert want, "the oracle matched nothing: a weak case"
    assert got == want


def test_unversioned_kinds_refuse_time_travel_and_page_by_offset(kinds):
    server = kinds["server"]
    for table in ["v", "pq", "gen"]:
        for at in ["_version=0", "_timestamp=2026-01-01T00:00:00Z"]:
            status, body, _ = server.get(f"/api/v1/tables/demo/{table}?{at}")
            assert status == 400, (table, at, body)
            assert f"demo.{table}" in body["error"]["message"] and "no versions" in body["error"]["message"]
        status, body, _ = server.get(f"/api/v1/tables/demo/{table}/history")
        assert status == 400 and "only Delta tables" in body["error"]["message"], body
        status, body, _ = server.get(f"/api/v1/tables/demo/{table}/schema")
        assert status == 200 and body["version"] is None
    # Pages of a view: offset tokens, every row once.
    seen, target = [], "/api/v1/tables/demo/v?_columns=id&_size=70"
    while True:
        status, body, _ = server.get(target)
        assert status == 200, body
        seen += [row["id"] for row in body["rows"]]
        if body["next"] is None:
            break
        assert re.fullmatch(r"\d+", body["next"]), body["next"]
        target = "/api/v1/tables/demo/v?_columns=id&_size=70&_next=" + body["next"]
    assert sorted(seen) == list(range(300))


def test_deprecated_table_warns(kinds):
    server = kinds["server"]
    status, body, headers = server.get("/api/v1/tables/demo/old?grp=1&_columns=id&_size=1000&_sort=id")
    assert status == 200, body
    assert headers["Warning"] == f'299 - "{DEPRECATION}"'
    assert body["warnings"] == [DEPRECATION]
    assert [r["id"] for r in body["rows"]] == parquet_oracle(kinds["pq"], "grp = 1")
    status, raw, headers = server.get("/api/v1/tables/demo/old?_format=csv&id__lt=5", raw=True)
    assert status == 200 and headers["Warning"] == f'299 - "{DEPRECATION}"'
    status, body = server.post("/api/v1/sql", {"sql": "SELECT count(*) AS n FROM demo.old"})
    assert status == 200 and body["warnings"] == [DEPRECATION] and body["rows"] == [{"n": 400}]
    status, body, headers = server.get("/api/v1/tables/demo/pq?id=1")
    assert status == 200 and "Warning" not in headers and "warnings" not in body
    status, body = server.post("/api/v1/sql", {"sql": "SELECT count(*) AS n FROM demo.pq"})
    assert status == 200 and "warnings" not in body


def test_catalog_lists_kinds_and_metadata(kinds):
    status, body, _ = kinds["server"].get("/api/v1/catalog")
    assert status == 200
    tables = {t["name"]: t for d in body["databases"] for t in d["tables"]}
    assert {n: tables[n]["kind"] for n in ["pq", "v", "gen", "old"]} == {
        "pq": "parquet", "v": "view", "gen": "function", "old": "parquet"}
    assert tables["pq"]["owner"] == "lake-team" and tables["pq"]["tags"] == ["ref", "silver"]
    assert tables["pq"]["deprecated"] is None
    assert tables["old"]["deprecated"] == {"message": "replaced by pq", "use": "demo.pq"}
    for name in ["pq", "v", "gen"]:
        assert "error" not in tables[name], tables[name]
        assert tables[name]["schema"], name


PG_FILTERS = [
    ("id__lt=50&name__notnull=1", "id < 50 AND name IS NOT NULL"),
    ("score__gte=200.5", "score >= 200.5"),
    ("name__startswith=user-1", "starts_with(name, 'user-1')"),
    ("tags__includes=blue", "list_contains(tags, 'blue')"),
    ("id__in=3,30,300", "id IN (3, 30, 300)"),
]


@pytest.mark.parametrize("query,sql", PG_FILTERS, ids=[q for q, _ in PG_FILTERS])
def test_postgres_table_filters_equal_psycopg(kinds, query, sql):
    if not kinds["pg"]:
        pytest.skip("no PostgreSQL reachable")
    conn, name = kinds["pg"]
    rows = conn.execute(f"SELECT id, name, score::float8, tags FROM public.{name}").fetchall()
    oracle = duckdb.connect()
    oracle.execute("CREATE TABLE users (id INTEGER, name VARCHAR, score DOUBLE, tags VARCHAR[])")
    oracle.executemany("INSERT INTO users VALUES (?, ?, ?, ?)", [list(r) for r in rows])
    want = [r[0] for r in oracle.execute(f"SELECT id FROM users WHERE {sql} ORDER BY id").fetchall()]
    got = ids(kinds["server"], f"/api/v1/tables/demo/users?{query}&_columns=id&_size=1000&_sort=id")
    assert want, "the oracle matched nothing: a weak case"
    assert got == want
    status, body, _ = kinds["server"].get("/api/v1/tables/demo/users?_version=1")
    assert status == 400 and "no versions" in body["error"]["message"]
