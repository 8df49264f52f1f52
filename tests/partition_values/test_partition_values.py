"""Partition values survive every writer/reader pair exactly.

Tables partitioned by one column of each Delta partition type hold seeded random values (hostile
strings, extremes, nulls). Each is written by us (`table create` from Parquet, so null and '' stay
apart in the input) and by delta-rs, and read by `table read`, by `sql` and by delta-rs; all must
agree with the input, where Delta's rule is that an empty string partition value is null.
Our CLI runs with TZ=America/New_York: a timestamp partition value without an offset is UTC.
"""
import datetime
import decimal
import json
import math
import os
import random
import subprocess
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from nltest import binary, cli_env, delta_rs_storage_options

SEED = 20261202
HOSTILE = ["", " ", "NULL", "null", "None", "__HIVE_DEFAULT_PARTITION__",
           "%__HIVE_DEFAULT_PARTITION__", "%", "%%", "%2F", "%25", "/", "a/b", "/lead", "trail/",
           "=", "a=b", "a b", " lead", "trail ", "  both  ", ".", "..", "?#:*", "\\", "'", '"',
           "é", "日本", "€uro", "tab\there", "line\nbreak", "x" * 60]
ALPHABET = list("aZ0 /=%2F_.:?#\\'\"-+") + ["é", "€", "日"]
UTC = datetime.timezone.utc


def random_strings(rng, count):
    values = list(HOSTILE)
    while len(values) < count:
        values.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6))))
    return values


def values_for(kind, rng):
    """(pyarrow type, distinct non-null values) for a partition type."""
    if kind == "string":
        return pa.string(), random_strings(rng, 48)
    if kind in ("byte", "short", "integer", "long"):
        bits = {"byte": 8, "short": 16, "integer": 32, "long": 64}[kind]
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        values = {0, 1, -1, lo, hi}
        while len(values) < 12:
            values.add(rng.randint(lo, hi))
        return {"byte": pa.int8(), "short": pa.int16(), "integer": pa.int32(),
                "long": pa.int64()}[kind], sorted(values)
    if kind == "date":
        days = {0, -1, 19782, 2932896, -719162} | {rng.randint(-20000, 40000) for _ in range(8)}
        epoch = datetime.date(1970, 1, 1)
        return pa.date32(), [epoch + datetime.timedelta(days=d) for d in sorted(days)]
    if kind in ("timestamp", "timestamp_ntz"):
        micros = {0, 1, -1, 1704164645123456, 1709164800000000, 253402300799999999}
        while len(micros) < 12:
            micros.add(rng.randint(-10**15, 4 * 10**15))
        epoch = datetime.datetime(1970, 1, 1, tzinfo=UTC)
        stamps = [epoch + datetime.timedelta(microseconds=m) for m in sorted(micros)]
        if kind == "timestamp":
            return pa.timestamp("us", tz="UTC"), stamps
        return pa.timestamp("us"), [s.replace(tzinfo=None) for s in stamps]
    if kind == "boolean":
        return pa.bool_(), [True, False]
    if kind == "decimal":
        # delta-rs 1.6 mangles negative decimal partition values ('0.-50', '-99999999.-99'):
        # see without_negative_decimals.
        values = {decimal.Decimal("0.00"), decimal.Decimal("99999999.99"),
                  decimal.Decimal("-99999999.99"), decimal.Decimal("0.01"),
                  decimal.Decimal("-12.50")}
        while len(values) < 12:
            values.add(decimal.Decimal(rng.randint(100, 10**10 - 1)) / 100)
        return pa.decimal128(10, 2), sorted(values)
    if kind == "double":
        values = [0.0, 1.5, -2.25, 1e20, -1e-7, 123456.789, float("inf"), float("-inf"),
                  float("nan")]
        values += [rng.uniform(-1e6, 1e6) for _ in range(5)]
        return pa.float64(), values
    raise AssertionError(kind)


KINDS = ["string", "byte", "short", "integer", "long", "date", "timestamp", "timestamp_ntz",
         "boolean", "decimal", "double"]


def make_table(kind):
    rng = random.Random(f"{SEED}-{kind}")
    arrow_type, distinct = values_for(kind, rng)
    column = [None, None]
    for value in distinct:
        column += [value] * rng.randint(1, 3)
    rng.shuffle(column)
    return pa.table({"id": pa.array(range(len(column)), pa.int64()),
                     "p": pa.array(column, arrow_type)})


def without_negative_decimals(table):
    """delta-rs 1.6 can neither write nor read negative decimal partition values."""
    keep = [not (isinstance(v, decimal.Decimal) and v < 0) for v in table.column("p").to_pylist()]
    return table.filter(pa.array(keep))


def expected_values(table):
    """The column as Delta readers must return it: '' partition values are null."""
    return [None if v == "" else v for v in table.column("p").to_pylist()]


def canonical(value):
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    return value


def by_id(table):
    table = table.combine_chunks()
    ids = table.column("id").to_pylist()
    values = table.column("p").to_pylist()
    return [canonical(v) for _, v in sorted(zip(ids, values), key=lambda pair: pair[0])]


class Cli:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.env = cli_env()
        self.env["TZ"] = "America/New_York"

    def run(self, *args):
        proc = subprocess.run([binary(), *args], capture_output=True, text=True, env=self.env,
                              timeout=300)
        assert proc.returncode == 0, f"neuralake {' '.join(args)}: {proc.stderr}"
        return proc

    def read(self, uri):
        out = self.tmp_path / f"read-{uuid.uuid4().hex}.parquet"
        self.run("table", "read", uri, "--format", "parquet", "--output", str(out))
        return pq.read_table(out)

    def sql(self, uri):
        catalog = self.tmp_path / f"catalog-{uuid.uuid4().hex}.yaml"
        catalog.write_text(json.dumps({"databases": {"pv": {"tables": {
            "t": {"type": "delta", "uri": uri}}}}}))
        out = self.tmp_path / f"sql-{uuid.uuid4().hex}.parquet"
        self.run("sql", "--catalog", str(catalog), "--quiet", "--format", "parquet", "--output",
                 str(out), "SELECT id, p FROM pv.t")
        return pq.read_table(out)


@pytest.fixture
def cli(tmp_path):
    return Cli(tmp_path)


def delta_rs_read(uri):
    options = delta_rs_storage_options() if uri.startswith("s3://") else None
    return DeltaTable(uri, storage_options=options).to_pyarrow_table()


def logged_partition_values(uri, options):
    """id -> partitionValues['p'] from the log, through delta-rs's view of the add actions."""
    dt = DeltaTable(uri, storage_options=options)
    adds = dt.get_add_actions(flatten=True)
    return sorted(adds.column("partition.p").to_pylist(), key=lambda v: (v is None, str(v)))


def location(kind, where, tmp_path):
    name = f"pv-{kind}-{uuid.uuid4().hex[:10]}"
    return str(tmp_path / name) if where == "local" else f"s3://lake/tests/{name}"


CASES = [(kind, "local") for kind in KINDS] + [("string", "minio"), ("timestamp", "minio")]


@pytest.mark.parametrize("kind,where", CASES)
def test_partition_values_we_write(cli, tmp_path, kind, where):
    table = make_table(kind)
    source = tmp_path / "source.parquet"
    pq.write_table(table, source)
    uri = location(kind, where, tmp_path)
    cli.run("table", "create", uri, "--from", str(source), "--partition-by", "p")
    expected = [canonical(v) for v in expected_values(table)]
    assert by_id(cli.read(uri)) == expected, "table read"
    assert by_id(cli.sql(uri)) == expected, "sql"
    if kind == "decimal":
        table = without_negative_decimals(table)
        pq.write_table(table, source)
        uri = location(kind, where, tmp_path)
        cli.run("table", "create", uri, "--from", str(source), "--partition-by", "p")
        expected = [canonical(v) for v in expected_values(table)]
    theirs = by_id(delta_rs_read(uri))
    if kind == "string":
        # delta-rs reads the string '__HIVE_DEFAULT_PARTITION__' in a log as null (it cannot tell
        # it from its own null marker); every other value must match.
        marker = [i for i, v in enumerate(expected) if v == "__HIVE_DEFAULT_PARTITION__"]
        for i in marker:
            if theirs[i] is None:
                theirs[i] = "__HIVE_DEFAULT_PARTITION__"
    assert theirs == expected, "delta-rs"


@pytest.mark.parametrize("kind,where", CASES)
def test_partition_values_delta_rs_writes(cli, tmp_path, kind, where):
    table = make_table(kind)
    uri = location(kind, where, tmp_path)
    options = delta_rs_storage_options() if where == "minio" else None
    table = without_negative_decimals(table)
    if kind == "double":
        # delta-rs cannot partition by NaN/inf consistently; keep the finite values.
        keep = [not (isinstance(v, float) and not math.isfinite(v))
                for v in table.column("p").to_pylist()]
        table = table.filter(pa.array(keep))
    write_deltalake(uri, table, partition_by=["p"], storage_options=options)
    theirs = by_id(delta_rs_read(uri))
    assert by_id(cli.read(uri)) == theirs, "table read vs delta-rs"
    assert by_id(cli.sql(uri)) == theirs, "sql vs delta-rs"
    expected = [canonical(v) for v in expected_values(table)]
    if kind == "string":
        # delta-rs writes the string '__HIVE_DEFAULT_PARTITION__' as a null partition.
        expected = [None if v == "__HIVE_DEFAULT_PARTITION__" else v for v in expected]
    assert theirs == expected, "delta-rs round trip"


def test_appends_keep_null_and_string_null_apart(cli, tmp_path):
    """The reported case: 'NULL' and null appended to one table land in distinct partitions."""
    uri = str(tmp_path / "nulls")
    first = tmp_path / "first.parquet"
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64()),
                             "p": pa.array(["NULL", None])}), first)
    second = tmp_path / "second.parquet"
    pq.write_table(pa.table({"id": pa.array([3, 4, 5], pa.int64()),
                             "p": pa.array([None, "NULL", "__HIVE_DEFAULT_PARTITION__"])}), second)
    cli.run("table", "create", uri, "--from", str(first), "--partition-by", "p")
    cli.run("table", "append", uri, "--from", str(second))
    values = {}
    for name in sorted(os.listdir(os.path.join(uri, "_delta_log"))):
        if name.endswith(".json"):
            for line in open(os.path.join(uri, "_delta_log", name)):
                action = json.loads(line)
                if "add" in action:
                    ids = pq.read_table(os.path.join(uri, action["add"]["path"].replace(
                        "%25", "%"))).column("id").to_pylist()
                    for i in ids:
                        values[i] = action["add"]["partitionValues"]["p"]
    assert values == {1: "NULL", 2: None, 3: None, 4: "NULL", 5: "__HIVE_DEFAULT_PARTITION__"}
    assert by_id(cli.read(uri)) == ["NULL", None, None, "NULL", "__HIVE_DEFAULT_PARTITION__"]
