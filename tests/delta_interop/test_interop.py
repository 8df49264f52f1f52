"""Delta interop, both directions, at every version, with delta-rs as the oracle."""
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from conftest import delta_rs_storage_options, rows, write_csv


def open_delta_rs(uri, version=None):
    options = delta_rs_storage_options() if uri.startswith("s3://") else None
    table = DeltaTable(uri, storage_options=options)
    if version is not None:
        table.load_as_version(version)
    return table


def test_tables_we_write_are_read_by_delta_rs_at_every_version(nl, table_uri, tmp_path):
    cities = ["paris", "berlin", "tokyo"]
    v0 = [(i, cities[i % 3], i * 1.5) for i in range(300)]
    v1 = [(i, cities[i % 3], i * 1.5) for i in range(300, 500)]
    v2 = [(i, "lima", i * 2.0, i % 7) for i in range(500, 600)]          # adds column `tip`
    v3 = [(i, "paris", -1.0, None) for i in range(1000, 1010)]           # replaces paris

    nl.run("table", "create", table_uri, "--from",
           write_csv(tmp_path / "v0.csv", ["id", "city", "fare"], v0), "--partition-by", "city")
    nl.run("table", "append", table_uri, "--from",
           write_csv(tmp_path / "v1.csv", ["id", "city", "fare"], v1))
    nl.run("table", "append", table_uri, "--from",
           write_csv(tmp_path / "v2.csv", ["id", "city", "fare", "tip"], v2),
           "--schema-mode", "merge")
    nl.run("table", "overwrite", table_uri, "--from",
           write_csv(tmp_path / "v3.csv", ["id", "city", "fare", "tip"], v3),
           "--where", "city = 'paris'")
    nl.run("table", "checkpoint", table_uri)
    nl.run("table", "append", table_uri, "--from",
           write_csv(tmp_path / "v4.csv", ["id", "city", "fare", "tip"], [(2000, "oslo", 3.0, 1)]))

    paris_before = sum(1 for r in v0 + v1 if r[1] == "paris")
    expected_counts = [300, 500, 600, 600 - paris_before + 10, 600 - paris_before + 11]
    dt = open_delta_rs(table_uri)
    assert dt.version() == 4
    assert dt.metadata().partition_columns == ["city"]
    for version, count in enumerate(expected_counts):
        theirs = open_delta_rs(table_uri, version).to_pyarrow_table()
        ours = nl.read(table_uri, version)
        assert theirs.num_rows == count, f"delta-rs sees {theirs.num_rows} rows at v{version}"
        assert rows(ours) == rows(theirs), f"rows differ at version {version}"


def test_tables_delta_rs_writes_are_read_by_us_at_every_version(nl, table_uri):
    options = delta_rs_storage_options() if table_uri.startswith("s3://") else None
    batch = lambda lo, hi, city: pa.table({
        "id": pa.array(range(lo, hi), pa.int64()),
        "city": pa.array([city] * (hi - lo)),
        "fare": pa.array([i * 0.25 for i in range(lo, hi)], pa.float64()),
    })
    write_deltalake(table_uri, batch(0, 100, "paris"), partition_by=["city"],
                    storage_options=options)
    write_deltalake(table_uri, batch(100, 250, "rome"), mode="append", storage_options=options)
    evolved = batch(250, 300, "rome").append_column("tip", pa.array(range(50), pa.int32()))
    write_deltalake(table_uri, evolved, mode="append", schema_mode="merge",
                    storage_options=options)
    dt = open_delta_rs(table_uri)
    dt.create_checkpoint()
    replacement = batch(300, 310, "paris").append_column("tip", pa.array([None] * 10, pa.int32()))
    write_deltalake(table_uri, replacement, mode="overwrite",
                    predicate="city = 'paris'", storage_options=options)
    write_deltalake(table_uri, batch(310, 320, "nice"), mode="append", schema_mode="merge",
                    storage_options=options)

    latest = open_delta_rs(table_uri).version()
    assert latest == 4
    for version in range(latest + 1):
        theirs = open_delta_rs(table_uri, version).to_pyarrow_table()
        ours = nl.read(table_uri, version)
        assert rows(ours) == rows(theirs), f"rows differ at version {version}"


def test_describe_and_history_agree_with_delta_rs(nl, table_uri, tmp_path):
    nl.run("table", "create", table_uri, "--from",
           write_csv(tmp_path / "a.csv", ["id", "name"], [(1, "a"), (2, "b")]))
    nl.run("table", "append", table_uri, "--from",
           write_csv(tmp_path / "b.csv", ["id", "name"], [(3, "c")]))
    dt = open_delta_rs(table_uri)
    history = dt.history()
    assert len(history) == 2
    assert {f.name for f in dt.schema().fields} == {"id", "name"}
    described = nl.run("table", "describe", table_uri).stdout
    assert "id" in described and "name" in described
