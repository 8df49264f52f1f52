"""Column mapping (name mode) with nested fields, read by us and by delta-rs (the oracle).

delta-rs writes the tables (physical names at every depth: struct fields, list elements, map
values). It cannot rename or drop nested fields, so those commits are written here: a metaData
action whose schema changes logical names and keeps `delta.columnMapping.physicalName`, or leaves
fields out. Every version is read by `table read` (parquet, json, csv) and `sql` and compared with
delta-rs's DataFusion reader. We do not write column-mapped tables (refused, checked below).
"""
import copy
import json
import subprocess
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, QueryBuilder, write_deltalake

from nltest import binary, cli_env, delta_rs_storage_options

INNER = pa.struct([("text", pa.string()), ("x", pa.int32())])
STRUCT = pa.struct([("a", pa.int32()), ("inner", INNER)])
ITEM = pa.struct([("n", pa.int32()), ("label", pa.string()), ("deep", INNER)])
VALUE = pa.struct([("v", pa.int32()), ("w", pa.string())])
SCHEMA = pa.schema([("id", pa.int64()), ("s", STRUCT), ("items", pa.list_(ITEM)),
                    ("m", pa.map_(pa.string(), VALUE)), ("part", pa.string())])


def batch(lo, hi):
    rows = []
    for i in range(lo, hi):
        rows.append({
            "id": i,
            "s": None if i % 7 == 3 else {"a": i, "inner": None if i % 5 == 1 else
                                          {"text": f"t{i}", "x": -i}},
            "items": None if i % 6 == 2 else [
                {"n": i, "label": None if i % 4 == 0 else f"l{i}", "deep": {"text": "d", "x": i}},
                None,
                {"n": -i, "label": "z", "deep": None}][: 1 + i % 3],
            "m": None if i % 8 == 5 else [("k", {"v": i, "w": f"w{i}"}), ("n", None)][: i % 3],
            "part": ["x", "y/z", None][i % 3],
        })
    return pa.Table.from_pylist(rows, schema=SCHEMA)


class Cli:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.env = cli_env()

    def run(self, *args, check=True):
        proc = subprocess.run([binary(), *args], capture_output=True, text=True, env=self.env,
                              timeout=300)
        if check:
            assert proc.returncode == 0, f"neuralake {' '.join(args)}: {proc.stderr}"
        return proc

    def read(self, uri, version, fmt="parquet"):
        out = self.tmp_path / f"read-{uuid.uuid4().hex}.{fmt}"
        self.run("table", "read", uri, "--version", str(version), "--format", fmt, "--output",
                 str(out))
        return pq.read_table(out) if fmt == "parquet" else out.read_text()

    def sql(self, uri, version, query="SELECT * FROM delta_at('cm.t', {version})"):
        catalog = self.tmp_path / f"catalog-{uuid.uuid4().hex}.yaml"
        catalog.write_text(json.dumps({"databases": {"cm": {"tables": {
            "t": {"type": "delta", "uri": uri}}}}}))
        out = self.tmp_path / f"sql-{uuid.uuid4().hex}.parquet"
        self.run("sql", "--catalog", str(catalog), "--quiet", "--format", "parquet", "--output",
                 str(out), query.format(version=version))
        return pq.read_table(out)


@pytest.fixture
def cli(tmp_path):
    return Cli(tmp_path)


@pytest.fixture(params=["local", "minio"])
def table_uri(request, tmp_path):
    name = f"cm-{uuid.uuid4().hex[:12]}"
    return str(tmp_path / name) if request.param == "local" else f"s3://lake/tests/{name}"


def options_for(uri):
    return delta_rs_storage_options() if uri.startswith("s3://") else None


def delta_rs_rows(uri, version):
    dt = DeltaTable(uri, storage_options=options_for(uri))
    dt.load_as_version(version)
    return pa.table(QueryBuilder().register("t", dt).execute("SELECT * FROM t"))


def normalize(value):
    """Maps (lists of pairs, or dicts from our JSON) as sorted pairs; everything else as is."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(e, tuple) and len(e) == 2 for e in value):
            return sorted((k, normalize(v)) for k, v in value)
        return [normalize(v) for v in value]
    return value


def as_rows(table):
    rows = [{k: normalize(v) for k, v in r.items()} for r in table.to_pylist()]
    return sorted(rows, key=lambda r: next(iter(r.values())))  # id (later renamed key) first


def schema_of(uri, version):
    """The latest metaData action's schema (parsed) at or before `version`."""
    dt = DeltaTable(uri, storage_options=options_for(uri))
    dt.load_as_version(version)
    return json.loads(dt.schema().to_json())


def commit_metadata(cli, uri, version, change, partition_renames=None):
    """Writes commit `version` holding a metaData action whose schema is change(previous schema)
    (partition columns are logical names: renamed by `partition_renames`)."""
    dt = DeltaTable(uri, storage_options=options_for(uri))
    dt.load_as_version(version - 1)
    metadata = dt.metadata()
    schema = change(schema_of(uri, version - 1))
    partition_columns = [(partition_renames or {}).get(c, c) for c in metadata.partition_columns]
    action = {"metaData": {
        "id": metadata.id, "name": metadata.name, "description": metadata.description,
        "format": {"provider": "parquet", "options": {}},
        "schemaString": json.dumps(schema), "partitionColumns": partition_columns,
        "configuration": metadata.configuration, "createdTime": metadata.created_time}}
    info = {"commitInfo": {"timestamp": 1_800_000_000_000 + version, "operation": "RENAME COLUMN",
                           "operationParameters": {}}}
    key = f"{uri}/_delta_log/{version:020d}.json"
    cli.run("storage", "put", key, "--data", json.dumps(info) + "\n" + json.dumps(action) + "\n",
            "--if-absent")


def field(fields, name):
    return next(f for f in fields if f["name"] == name)


def rename(fields, old, new):
    field(fields, old)["name"] = new


def drop(fields, name):
    fields[:] = [f for f in fields if f["name"] != name]


def struct_fields(f):
    return f["type"]["fields"]


def rename_at_every_depth(schema):
    schema = copy.deepcopy(schema)
    top = schema["fields"]
    rename(top, "id", "key")                                          # top level
    s = field(top, "s")
    rename(struct_fields(s), "a", "alpha")                            # struct field
    rename(struct_fields(field(struct_fields(s), "inner")), "text", "body")  # struct in struct
    rename(top, "s", "record")
    element = field(top, "items")["type"]["elementType"]["fields"]
    rename(element, "label", "tag")                                   # list<struct> field
    rename(struct_fields(field(element, "deep")), "x", "ex")          # struct in list element
    value = field(top, "m")["type"]["valueType"]["fields"]
    rename(value, "w", "word")                                        # map<_, struct> field
    rename(top, "part", "region")                                     # partition column
    return schema


def drop_at_every_depth(schema):
    schema = copy.deepcopy(schema)
    top = schema["fields"]
    record = field(top, "record")
    drop(struct_fields(field(struct_fields(record), "inner")), "x")   # two levels down
    element = field(top, "items")["type"]["elementType"]["fields"]
    drop(element, "deep")                                             # in list elements
    drop(field(top, "m")["type"]["valueType"]["fields"], "v")         # in map values
    return schema


def dropped(rows):
    """Rows of version 2 as version 3 (drop_at_every_depth) must show them."""
    out = copy.deepcopy(rows)
    for row in out:
        if row["record"] and row["record"]["inner"]:
            del row["record"]["inner"]["x"]
        for element in row["items"] or []:
            if element:
                del element["deep"]
        if row["m"]:
            row["m"] = [(k, v and {"word": v["word"]}) for k, v in row["m"]]
    return out


def check_version(cli, uri, version, expect_columns, expected=None):
    """Our readers against delta-rs (or against `expected` where delta-rs cannot read)."""
    theirs = expected if expected is not None else as_rows(delta_rs_rows(uri, version))
    assert theirs and list(theirs[0].keys()) == expect_columns
    ours = cli.read(uri, version)
    assert ours.column_names == expect_columns
    assert as_rows(ours) == theirs, f"table read differs from delta-rs at v{version}"
    via_sql = cli.sql(uri, version)
    assert as_rows(via_sql) == theirs, f"sql differs from delta-rs at v{version}"
    return theirs


def test_nested_column_mapping_renames_and_drops(cli, table_uri):
    options = options_for(table_uri)
    config = {"delta.columnMapping.mode": "name"}
    write_deltalake(table_uri, batch(0, 40), partition_by=["part"], configuration=config,
                    storage_options=options)
    write_deltalake(table_uri, batch(40, 60), mode="append", storage_options=options)
    physical = schema_of(table_uri, 1)
    inner_text = struct_fields(field(struct_fields(field(physical["fields"], "s")), "inner"))[0]
    assert inner_text["metadata"]["delta.columnMapping.physicalName"] != "text"

    original = ["id", "s", "items", "m", "part"]
    rows = check_version(cli, table_uri, 1, original)
    assert rows[0]["s"]["inner"]["text"] == "t0"                      # not NULL: the bug

    commit_metadata(cli, table_uri, 2, rename_at_every_depth, {"part": "region"})
    renamed = ["key", "record", "items", "m", "region"]
    rows = check_version(cli, table_uri, 2, renamed)
    assert rows[0]["record"] == {"alpha": 0, "inner": {"body": "t0", "x": 0}}
    assert rows[1]["items"][0]["tag"] == "l1" and rows[1]["items"][0]["deep"]["ex"] == 1

    # delta-rs 1.6 fails on a field dropped from map values ("Cannot cast struct field"): the
    # expected rows are version 2's with the fields removed.
    commit_metadata(cli, table_uri, 3, drop_at_every_depth)
    rows = check_version(cli, table_uri, 3, renamed, dropped(rows))
    assert rows[0]["record"] == {"alpha": 0, "inner": {"body": "t0"}}
    assert "deep" not in rows[1]["items"][0]

    # Older versions still read with their own names.
    check_version(cli, table_uri, 1, original)

    # SQL over renamed nested fields: filters, projections of nested paths, unnest.
    query = ("SELECT key, record.inner.body AS body, region, "
             "(SELECT list(e.tag) FROM (SELECT unnest(items) AS e)) AS tags, m['k'].word AS word "
             "FROM delta_at('cm.t', {version}) WHERE region = 'y/z' AND record.alpha > 10 "
             "ORDER BY key")
    got = cli.sql(table_uri, 3, query).to_pylist()
    def body(r):
        return r["record"]["inner"]["body"] if r["record"] and r["record"]["inner"] else None

    def word(r):
        value = dict(r["m"]).get("k") if r["m"] else None
        return value["word"] if value else None

    expected = [{"key": r["key"], "body": body(r), "word": word(r)} for r in rows
                if r["region"] == "y/z" and r["record"] and r["record"]["alpha"] > 10]
    assert got and [g["key"] for g in got] == [e["key"] for e in expected]
    assert [g["body"] for g in got] == [e["body"] for e in expected]
    assert [g["word"] for g in got] == [e["word"] for e in expected]


def test_json_and_csv_output_use_logical_names(cli, tmp_path):
    uri = str(tmp_path / "cm-out")
    write_deltalake(uri, batch(0, 5), configuration={"delta.columnMapping.mode": "name"})
    commit_metadata(cli, uri, 1, lambda s: rename_at_every_depth(s))
    text = cli.read(uri, 1, "json")
    records = [json.loads(line) for line in text.splitlines() if line.strip()] \
        if not text.lstrip().startswith("[") else json.loads(text)
    first = sorted(records, key=lambda r: r["key"])[0]
    assert first["record"]["inner"]["body"] == "t0"
    assert first["items"][0]["tag"] is None and first["items"][0]["deep"]["ex"] == 0
    csv = cli.read(uri, 1, "csv")
    assert "body" in csv and "t0" in csv and "tag" in csv and "col-" not in csv


def test_we_refuse_to_write_column_mapped_tables(cli, tmp_path):
    uri = str(tmp_path / "cm-write")
    write_deltalake(uri, batch(0, 3), configuration={"delta.columnMapping.mode": "name"})
    source = tmp_path / "more.parquet"
    pq.write_table(batch(3, 4), source)
    proc = cli.run("table", "append", uri, "--from", str(source), check=False)
    assert proc.returncode == 1
    assert "column mapping" in proc.stderr.lower() or "columnmapping" in proc.stderr.lower(), \
        proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert DeltaTable(uri).version() == 0
