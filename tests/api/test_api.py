"""`neuralake serve` as a client sees it, over tables on MinIO.

Oracle: delta-rs reads the same table from MinIO and DuckDB-Python runs the same filter over it,
so every filter operator is checked against an independent engine. Also: `_next` paging returns
each of 10,000 rows exactly once while a writer appends; time travel equals `table read
--version`; JSON/NDJSON/CSV/Parquet parse with pandas/pyarrow with the right types; API keys.
"""
import datetime
import decimal
import hashlib
import io
import json
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake
from nltest import binary, cli_env, delta_rs_storage_options

RUN = uuid.uuid4().hex[:8]
ROOT = f"s3://lake/api-test-{RUN}"


def run(*args):
    proc = subprocess.run([binary(), *args], capture_output=True, text=True, env=cli_env(), timeout=300)
    assert proc.returncode == 0, f"neuralake {' '.join(args)} failed:\n{proc.stderr}"
    return proc


def types_table():
    """Nulls, unicode, decimals, timestamps, dates, lists and structs."""
    n = 400
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "name": pa.array([None if i % 9 == 0 else f"näme-{i}-✓" for i in range(n)], pa.string()),
        "grp": pa.array([i % 5 for i in range(n)], pa.int32()),
        "score": pa.array([None if i % 11 == 0 else i / 4 for i in range(n)], pa.float64()),
        "amount": pa.array([decimal.Decimal(i) * decimal.Decimal("1234567.891") for i in range(n)],
                           pa.decimal128(20, 3)),
        "day": pa.array([datetime.date(2026, 1, 1) + datetime.timedelta(days=i % 40) for i in range(n)],
                        pa.date32()),
        "ts": pa.array([datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
                        + datetime.timedelta(minutes=17 * i) for i in range(n)], pa.timestamp("us", "UTC")),
        "flag": pa.array([None if i % 13 == 0 else i % 2 == 0 for i in range(n)], pa.bool_()),
        "tags": pa.array([[i % 3, i % 4] if i % 10 else None for i in range(n)], pa.list_(pa.int64())),
        "info": pa.array([{"a": i, "b": f"x{i}"} for i in range(n)],
                         pa.struct([("a", pa.int64()), ("b", pa.string())])),
    })


class Server:
    def __init__(self, catalog, *extra):
        self.proc = subprocess.Popen([binary(), "serve", "--catalog", catalog, "--port", "0", "-q",
                                      "--refresh", "0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=cli_env())
        line = self.proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, f"server did not start: {line!r} {self.proc.stderr.read() if not match else ''}"
        self.base = f"http://127.0.0.1:{match.group(1)}"

    def get(self, path, headers=None, raw=False):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                body = response.read()
                return response.status, (body if raw else json.loads(body)), response.headers
        except urllib.error.HTTPError as error:
            body = error.read()
            return error.code, (json.loads(body) if body.startswith(b"{") else body), error.headers

    def post(self, path, payload, headers=None):
        data = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        request = urllib.request.Request(self.base + path, data=data, method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            body = error.read()
            return error.code, (json.loads(body) if body.startswith(b"{") else body)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    events = f"{ROOT}/events"
    run("generate", "--schema", "events", "--rows", "20000", "--rows-per-file", "4000",
        "--format", "delta", "--output", events)
    types = f"{ROOT}/types"
    write_deltalake(types, types_table(), storage_options=delta_rs_storage_options())
    other = f"{ROOT}/other"
    write_deltalake(other, pa.table({"secret": [1, 2, 3]}), storage_options=delta_rs_storage_options())
    catalog = tmp / "catalog.yaml"
    catalog.write_text(
        "databases:\n  demo:\n    tables:\n"
        f"      events: {{type: delta, uri: \"{events}\", description: generated events}}\n"
        f"      types: {{type: delta, uri: \"{types}\"}}\n"
        f"  hr:\n    tables:\n      other: {{type: delta, uri: \"{other}\"}}\n")
    keys = tmp / "keys.yaml"
    keys.write_text("keys:\n"
                    f"  - {{name: analyst, sha256: {hashlib.sha256(b'demo-key').hexdigest()}, databases: [demo]}}\n"
                    f"  - {{name: admin, sha256: {hashlib.sha256(b'admin-key').hexdigest()}, databases: ['*']}}\n")
    server = Server(str(catalog))
    yield {"server": server, "events": events, "types": types, "catalog": str(catalog), "keys": str(keys)}
    server.stop()


def oracle(uri, where, columns="*"):
    """DuckDB-Python over the table as delta-rs reads it from MinIO."""
    t = DeltaTable(uri, storage_options=delta_rs_storage_options()).to_pyarrow_table()
    return duckdb.sql(f"SELECT {columns} FROM t WHERE {where} ORDER BY id").fetchall()


# Each case: the query string, the same filter in SQL for the oracle.
FILTERS = [
    ("grp=3", "grp = 3"),
    ("grp__ne=3", "grp <> 3"),
    ("score__lt=20.5", "score < 20.5"),
    ("score__lte=20.5", "score <= 20.5"),
    ("amount__gt=400000000", "amount > 400000000"),
    ("amount__gte=123456789.1", "amount >= 123456789.1"),
    ("grp__in=1,4", "grp IN (1, 4)"),
    ("grp__notin=1,4", "grp NOT IN (1, 4)"),
    ("name__contains=-1", "contains(name, '-1')"),
    ("name__startswith=n%C3%A4me-2", "starts_with(name, 'näme-2')"),
    ("name__endswith=7-%E2%9C%93", "ends_with(name, '7-✓')"),
    ("name__isnull=1", "name IS NULL"),
    ("score__notnull=1", "score IS NOT NULL"),
    ("day=2026-01-07", "day = DATE '2026-01-07'"),
    ("day__gt=2026-02-01", "day > DATE '2026-02-01'"),
    ("ts__gte=2026-01-04T00:00:00Z", "ts >= TIMESTAMPTZ '2026-01-04 00:00:00+00'"),
    ("ts__lt=2026-01-02T02:00:00%2B02:00", "ts < TIMESTAMPTZ '2026-01-02 00:00:00+00'"),
    ("flag=true", "flag = true"),
    ("tags__includes=2", "list_contains(tags, 2)"),
    ("tags__includes_any=2,3", "list_has_any(tags, [2, 3])"),
    ("tags__includes_all=1,3", "list_has_all(tags, [1, 3])"),
    ("id__lt=50&grp=2", "id < 50 AND grp = 2"),
]


@pytest.mark.parametrize("query,sql", FILTERS, ids=[q for q, _ in FILTERS])
def test_every_filter_operator_equals_duckdb(lake, query, sql):
    status, body, _ = lake["server"].get(f"/api/v1/tables/demo/types?{query}&_columns=id&_size=1000&_sort=id")
    assert status == 200, body
    got = [row["id"] for row in body["rows"]]
    want = [row[0] for row in oracle(lake["types"], sql, "id")]
    assert got == want
    assert body["truncated"] is False and body["next"] is None


def test_json_cells_are_typed(lake):
    status, body, _ = lake["server"].get("/api/v1/tables/demo/types?id=9&_columns=id,name,amount,ts,tags,info,day")
    assert status == 200
    row = body["rows"][0]
    assert row["name"] is None
    assert row["ts"] == "2026-01-01T02:33:00.000000Z"
    assert row["tags"] == [0, 1]
    assert row["info"] == {"a": 9, "b": "x9"}
    assert row["day"] == "2026-01-10"
    assert decimal.Decimal(str(row["amount"])) == decimal.Decimal("11111111.019")
    types = {c["name"]: c["type"] for c in body["columns"]}
    assert types["amount"] == "DECIMAL(20,3)" and types["tags"] == "BIGINT[]"


def test_paging_returns_each_row_once_while_a_writer_appends(lake, tmp_path):
    stop = threading.Event()
    appended = []
    source = tmp_path / "more.csv"

    def writer():
        n = 0
        while not stop.is_set():
            # Rows whose ids the pages also return (0..9): an unpinned page would show them twice.
            source.write_text("event_id\n" + "\n".join(str(k) for k in range(10)) + "\n")
            proc = subprocess.run([binary(), "table", "append", lake["events"], "--from", str(source)],
                                  env=cli_env(), capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            appended.append(n)
            n += 1
            time.sleep(0.05)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen = []
        versions = set()
        target = "/api/v1/tables/demo/events?_columns=event_id&_size=700&event_id__lt=10000"
        while True:
            status, body, _ = lake["server"].get(target)
            assert status == 200, body
            seen.extend(row["event_id"] for row in body["rows"])
            versions.add(body["stats"]["version"])
            if body["next"] is None:
                break
            target = ("/api/v1/tables/demo/events?_columns=event_id&_size=700&event_id__lt=10000&_next="
                      + body["next"])
    finally:
        stop.set()
        thread.join()
    assert len(appended) > 0
    assert len(seen) == 10_000 and sorted(seen) == list(range(10_000))
    assert len(versions) == 1  # the token pinned the first page's version
    status, body, _ = lake["server"].get("/api/v1/tables/demo/events?event_id=3")
    assert body["stats"]["version"] > min(versions)  # a new request sees the new commits
    assert len(body["rows"]) == 1 + len(appended)


def test_time_travel_equals_table_read_version(lake):
    status, body, _ = lake["server"].get("/api/v1/tables/demo/events/history")
    assert status == 200
    versions = [c["version"] for c in body["commits"]]
    assert 0 in versions
    for version in sorted(versions)[:3]:
        cli = run("table", "read", lake["events"], "--version", str(version), "--format", "ndjson")
        want = sorted(json.loads(line)["event_id"] for line in cli.stdout.splitlines() if line)
        status, raw, _ = lake["server"].get(f"/api/v1/tables/demo/events?_version={version}&_format=ndjson"
                                            "&_columns=event_id", raw=True)
        assert status == 200
        got = sorted(json.loads(line)["event_id"] for line in raw.decode().splitlines() if line)
        assert got == want


def test_formats_parse_with_pandas_and_pyarrow(lake):
    server = lake["server"]
    expected = types_table().sort_by("id")
    status, raw, headers = server.get("/api/v1/tables/demo/types?_format=parquet&_sort=id", raw=True)
    assert status == 200 and headers["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(raw))
    assert table.num_rows == 400
    assert table.schema.field("amount").type == pa.decimal128(20, 3)
    assert table.column("amount").to_pylist() == expected.column("amount").to_pylist()
    assert table.column("name").to_pylist() == expected.column("name").to_pylist()
    assert table.column("tags").to_pylist() == expected.column("tags").to_pylist()
    assert pa.types.is_timestamp(table.schema.field("ts").type)

    status, raw, headers = server.get("/api/v1/tables/demo/types?_sort=id&_columns=id,name,score,day,flag",
                                      headers={"Accept": "application/x-ndjson"}, raw=True)
    assert status == 200 and "ndjson" in headers["Content-Type"]
    frame = pd.read_json(io.BytesIO(raw), lines=True, dtype=False)
    assert len(frame) == 400
    assert frame["name"].isna().sum() == expected.column("name").null_count
    assert frame["name"][1] == "näme-1-✓"

    status, raw, headers = server.get("/api/v1/tables/demo/types?_format=csv&_sort=id&_columns=id,name,amount,day",
                                      raw=True)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    csv = pacsv.read_csv(io.BytesIO(raw), convert_options=pacsv.ConvertOptions(
        column_types={"amount": pa.decimal128(20, 3), "day": pa.date32(), "name": pa.string()},
        strings_can_be_null=True, quoted_strings_can_be_null=False))
    assert csv.column("amount").to_pylist() == expected.column("amount").to_pylist()
    assert csv.column("name").to_pylist() == expected.column("name").to_pylist()
    assert csv.column("day").to_pylist() == expected.column("day").to_pylist()

    status, body, _ = server.get("/api/v1/tables/demo/types?_size=3&_shape=arrays&_columns=id,grp&_sort=id")
    assert body["rows"] == [[0, 0], [1, 1], [2, 2]]
    assert body["next"] is not None


def test_sql_route(lake):
    server = lake["server"]
    status, body = server.post("/api/v1/sql", {"sql": "SELECT grp, count(*) AS n FROM demo.types "
                                                      "WHERE id < $1 GROUP BY grp ORDER BY grp", "params": [100]})
    assert status == 200, body
    assert body["rows"] == [{"grp": g, "n": 20} for g in range(5)]
    assert body["stats"]["files_read"] >= 1
    status, body = server.post("/api/v1/sql", {"sql": "SELECT * FROM demo.types", "max_rows": 5})
    assert status == 200 and len(body["rows"]) == 5 and body["truncated"] is True
    for bad, code in [({"sql": "DELETE FROM demo.types"}, 400), ({"sql": "SELECT * FROM nope.t"}, 404),
                      ({"sql": "SELECT 1; SELECT 2"}, 400), ({"nosql": 1}, 400),
                      ({"sql": "SELECT * FROM read_csv('/etc/passwd')"}, 400),
                      ({"sql": "SELECT $1::INT", "params": ["x"]}, 422)]:
        status, body = server.post("/api/v1/sql", bad)
        assert status == code, (bad, body)
        assert body["error"]["message"]
    # A 10 MB body: refused from its Content-Length with 413 before it is read (the server then
    # closes, so a client still sending sees the answer on the socket, not a clean exchange).
    import socket
    host, port = server.base.rsplit(":", 1)
    with socket.create_connection(("127.0.0.1", int(port)), timeout=30) as conn:
        conn.sendall(b"POST /api/v1/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 10485770\r\n\r\n" + b"x" * 65536)
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert server.get("/api/v1/health")[0] == 200


def test_bad_input_names_what_is_wrong(lake):
    server = lake["server"]
    cases = [("/api/v1/tables/demo/nope", 404, "nope"),
             ("/api/v1/tables/demo/types?nope=1", 400, "nope"),
             ("/api/v1/tables/demo/types?grp__like=1", 400, "like"),
             ("/api/v1/tables/demo/types?grp=abc", 422, "grp"),
             ("/api/v1/tables/demo/types?day=tomorrow", 422, "day"),
             ("/api/v1/tables/demo/types?_version=99", 404, "99"),
             ("/api/v1/tables/demo/types?_format=xml", 400, "xml")]
    for path, code, named in cases:
        status, body, _ = server.get(path)
        assert status == code, (path, body)
        assert named in body["error"]["message"], (path, body)
    status, body, _ = server.get("/api/v1/catalog")
    tables = {t["name"]: t for d in body["databases"] for t in d["tables"]}
    assert tables["events"]["rows"] >= 20000 and tables["types"]["rows"] == 400
    assert tables["events"]["description"] == "generated events"


def test_api_keys(lake):
    server = Server(lake["catalog"], "--api-keys", lake["keys"])
    try:
        assert server.get("/api/v1/tables/demo/types?id=1")[0] == 401
        assert server.get("/api/v1/tables/demo/types?id=1", {"Authorization": "Bearer wrong"})[0] == 401
        status, body, _ = server.get("/api/v1/tables/demo/types?id=1", {"Authorization": "Bearer demo-key"})
        assert status == 200 and len(body["rows"]) == 1
        assert server.get("/api/v1/tables/hr/other", {"Authorization": "Bearer demo-key"})[0] == 403
        assert server.get("/api/v1/tables/hr/other", {"Authorization": "Bearer admin-key"})[0] == 200
        status, body = server.post("/api/v1/sql", {"sql": "SELECT * FROM hr.other"},
                                   {"Authorization": "Bearer demo-key"})
        assert status == 404 and "secret" not in json.dumps(body)
        assert server.get("/api/v1/health")[0] == 200
    finally:
        server.stop()


def test_off_loopback_needs_keys(lake):
    proc = subprocess.run([binary(), "serve", "--catalog", lake["catalog"], "--host", "0.0.0.0", "--port", "0"],
                          capture_output=True, text=True, env=cli_env(), timeout=30)
    assert proc.returncode != 0
    assert "--api-keys" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
