"""Fixtures for Spark <-> neuralake interop on MinIO: one SparkSession, the CLI, table locations,
and row comparison at every version (Spark `versionAsOf` against `neuralake table read --version`).

Spark and our writers take turns on a table, never at the same time: Delta on s3a has no
conditional put (S3SingleDriverLogStore), so only one writer may commit at once.
"""
import datetime
import decimal
import os
import sys
import time
import uuid

import pytest
from pyarrow import fs

from nltest import MINIO, NeuralakeCli, binary, cli_env

os.environ["TZ"] = "UTC"  # Python datetimes from Spark are local time: make that UTC
time.tzset()
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "spark_support"))
from nlspark import spark_session  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = spark_session("neuralake-spark-interop")
    yield session
    session.stop()


class Neuralake(NeuralakeCli):
    """Runs the CLI; fails the test on a non-zero exit unless check=False."""

    def read(self, uri, version=None):
        """The rows of `uri` at `version` (latest when None), normalized (see normalize_rows)."""
        table = self.read_arrow(uri, version)
        return normalize_rows(table.column_names, table.to_pylist())

    def csv(self, header, records):
        path = self.tmp_path / f"in-{uuid.uuid4().hex}.csv"
        with open(path, "w") as f:
            f.write(",".join(header) + "\n")
            for record in records:
                f.write(",".join("" if v is None else str(v) for v in record) + "\n")
        return str(path)


@pytest.fixture
def nl(tmp_path):
    return Neuralake(tmp_path)


class Location:
    """One table on MinIO, named for both engines: s3://lake/... (us) and s3a://lake/... (Spark)."""

    def __init__(self, name):
        self.key = f"tests/spark-interop-{uuid.uuid4().hex[:10]}/{name}"
        self.s3 = f"s3://lake/{self.key}"
        self.s3a = f"s3a://lake/{self.key}"
        self.sql = f"delta.`{self.s3a}`"

    def log_files(self):
        """Names below _delta_log/ (recursive: `_sidecars/x.parquet`)."""
        s3 = minio_fs()
        prefix = f"lake/{self.key}/_delta_log/"
        infos = s3.get_file_info(fs.FileSelector(prefix, recursive=True, allow_not_found=True))
        return sorted(i.path[len(prefix):] for i in infos if i.type == fs.FileType.File)

    def commits_mention(self, text):
        """Whether any JSON commit of the log contains `text`."""
        s3 = minio_fs()
        for name in self.log_files():
            if name.endswith(".json") and "/" not in name and ".checkpoint." not in name:
                with s3.open_input_stream(f"lake/{self.key}/_delta_log/{name}") as f:
                    if text in f.read().decode():
                        return True
        return False


def minio_fs():
    endpoint = MINIO["endpoint"]
    return fs.S3FileSystem(endpoint_override=endpoint.split("://", 1)[1],
                           scheme=endpoint.split("://", 1)[0], access_key=MINIO["access_key"],
                           secret_key=MINIO["secret_key"], region="us-east-1")


@pytest.fixture
def location():
    return Location


def _normalize(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value.normalize())
    if isinstance(value, dict):
        return tuple(sorted((k, _normalize(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_normalize(v) for v in value)
    return value


def normalize_rows(columns, records):
    """Rows as sorted tuples of (column, value) pairs, columns by name: order-independent."""
    names = sorted(columns)
    out = [tuple((c, _normalize(r[c])) for c in names) for r in records]
    return sorted(out, key=repr)


def spark_rows(spark, loc, version=None):
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    df = reader.load(loc.s3a)
    return normalize_rows(df.columns, [r.asDict(recursive=True) for r in df.collect()])


def spark_version(spark, loc):
    return spark.sql(f"DESCRIBE HISTORY {loc.sql} LIMIT 1").collect()[0]["version"]


def spark_rows_at_versions(spark, loc, versions):
    """{version: rows} as Spark reads them with versionAsOf. Versions with the same schema are read
    as one union and collected once (one Spark job instead of one per version)."""
    from pyspark.sql import functions as F

    frames = [(v, spark.read.format("delta").option("versionAsOf", v).load(loc.s3a))
              for v in versions]
    out = {}
    group = []
    for i, (version, df) in enumerate(frames + [(None, None)]):
        if group and (df is None or df.schema != group[0][1].schema):
            union = None
            for v, frame in group:
                tagged = frame.withColumn("__nl_version", F.lit(v))
                union = tagged if union is None else union.unionByName(tagged)
            columns = group[0][1].columns
            by_version = {v: [] for v, _ in group}
            for row in union.collect():
                record = row.asDict(recursive=True)
                by_version[record.pop("__nl_version")].append(record)
            for v, records in by_version.items():
                out[v] = normalize_rows(columns, records)
            group = []
        if df is not None:
            group.append((version, df))
    return out


def assert_same_at_every_version(spark, nl, loc, first=0, last=None):
    """Spark and we see the same rows at every version in [first, last]; returns the latest rows."""
    if last is None:
        last = spark_version(spark, loc)
    spark_at = spark_rows_at_versions(spark, loc, range(first, last + 1))
    rows = None
    for version in range(first, last + 1):
        theirs = spark_at[version]
        ours = nl.read(loc.s3, version)
        assert ours == theirs, (f"rows differ at version {version} of {loc.s3}:\n"
                                f"ours:  {ours[:5]}...\nspark: {theirs[:5]}...")
        rows = ours
    return rows
