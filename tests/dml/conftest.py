"""Fixtures for the DML suite: Delta tables (local or MinIO) made through the CLI, read back by our
reader and by delta-rs, their files listed, and DuckDB-Python as the reference engine."""
import datetime
import os
import random
import uuid

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, QueryBuilder
from pyarrow import fs

from nltest import MINIO, NeuralakeCli, delta_rs_storage_options

COLUMNS = ["id", "name", "v", "d", "p"]
SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("v", pa.int64()),
                    ("d", pa.date32()), ("p", pa.string())])


def rows_table(rng, ids):
    """Rows with NULLs in v and d; p has three values (a partition column in some tests)."""
    day0 = datetime.date(2024, 1, 1)
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "name": pa.array([f"n{i}" for i in ids], pa.string()),
        "v": pa.array([None if rng.random() < 0.1 else rng.randrange(-100, 100) for _ in ids],
                      pa.int64()),
        "d": pa.array([None if rng.random() < 0.1 else day0 + datetime.timedelta(rng.randrange(60))
                       for _ in ids], pa.date32()),
        "p": pa.array([rng.choice("xyz") for _ in ids], pa.string()),
    }, schema=SCHEMA)


def write_parquet(directory, table):
    path = os.path.join(str(directory), f"in-{uuid.uuid4().hex[:8]}.parquet")
    pq.write_table(table, path)
    return path


def normalized(table):
    """Rows as sorted tuples in COLUMNS order (string_view and string compare equal)."""
    columns = [table.column(name).to_pylist() for name in COLUMNS]
    return sorted(zip(*columns), key=repr)


class Table:
    """One Delta table under test, at a local path or on MinIO."""

    def __init__(self, nl, uri, work_dir):
        self.nl = nl
        self.uri = uri
        self.work_dir = work_dir
        self.storage_options = delta_rs_storage_options() if uri.startswith("s3://") else None

    def create(self, data, dv, partition_by=None):
        args = ["table", "create", self.uri, "--from", write_parquet(self.work_dir, data)]
        if dv:
            args += ["--property", "delta.enableDeletionVectors=true"]
        if partition_by:
            args += ["--partition-by", partition_by]
        self.nl.run(*args)

    def append(self, data):
        self.nl.run("table", "append", self.uri, "--from", write_parquet(self.work_dir, data))

    def version(self):
        return DeltaTable(self.uri, storage_options=self.storage_options).version()

    def rows_ours(self):
        return normalized(self.nl.read_arrow(self.uri))

    def rows_delta_rs(self):
        """delta-rs through its query engine, which applies deletion vectors (to_pyarrow_table
        refuses tables with them)."""
        table = DeltaTable(self.uri, storage_options=self.storage_options)
        return normalized(pa.table(QueryBuilder().register("t", table).execute("SELECT * FROM t")))

    def rows(self, ours=True):
        """The rows by delta-rs and (ours=True) by our reader, asserting the two agree."""
        theirs = self.rows_delta_rs()
        if ours:
            assert self.rows_ours() == theirs, "delta-rs and neuralake read different rows"
        return theirs

    def files(self):
        """Every object under the table location (data, DV and log files), relative paths."""
        if not self.uri.startswith("s3://"):
            return {os.path.relpath(os.path.join(root, name), self.uri)
                    for root, _, names in os.walk(self.uri) for name in names}
        s3 = fs.S3FileSystem(access_key=MINIO["access_key"], secret_key=MINIO["secret_key"],
                             endpoint_override=MINIO["endpoint"], region="us-east-1")
        base = self.uri[len("s3://"):]
        infos = s3.get_file_info(fs.FileSelector(base, recursive=True))
        return {info.path[len(base) + 1:] for info in infos if info.type == fs.FileType.File}


class Reference:
    """The same DML run by DuckDB on a plain table holding the rows before."""

    def __init__(self, rows):
        self.con = duckdb.connect()
        before = pa.Table.from_pylist([dict(zip(COLUMNS, row)) for row in rows], schema=SCHEMA)
        self.con.register("before_rows", before)
        self.con.execute("CREATE TABLE t AS SELECT * FROM before_rows")

    def source(self, path):
        self.con.execute(f"CREATE OR REPLACE TABLE s AS SELECT * FROM read_parquet('{path}')")

    def run(self, sql):
        """Affected-row counts: {'deleted', 'updated', 'inserted'} (MERGE by merge_action)."""
        if sql.lstrip().upper().startswith("MERGE"):
            actions = [row[0] for row in self.con.execute(sql + " RETURNING merge_action")
                       .fetchall()]
            return {"deleted": actions.count("DELETE"), "updated": actions.count("UPDATE"),
                    "inserted": actions.count("INSERT")}
        count = self.con.execute(sql).fetchone()[0]
        kind = "deleted" if sql.lstrip().upper().startswith("DELETE") else "updated"
        return {"deleted": 0, "updated": 0, "inserted": 0, kind: count}

    def rows(self):
        return normalized(self.con.execute("SELECT * FROM t").fetch_arrow_table())


@pytest.fixture
def nl(tmp_path):
    return NeuralakeCli(tmp_path, timeout=120)


@pytest.fixture
def rng(request):
    return random.Random(request.node.name)


def new_table(nl, work_dir, where):
    name = f"dml-{uuid.uuid4().hex[:12]}"
    uri = os.path.join(str(work_dir), name) if where == "local" else f"s3://lake/tests/{name}"
    return Table(nl, uri, work_dir)


@pytest.fixture
def make_table(nl, tmp_path):
    return lambda where="local": new_table(nl, tmp_path, where)
