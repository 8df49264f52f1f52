"""CHECK constraints and NOT NULL columns are enforced both ways between neuralake and delta-rs."""
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("v", pa.int64()),
    pa.field("name", pa.string()),
])


def csv(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("id,v,name\n" + "".join(line + "\n" for line in lines))
    return str(path)


def arrow(ids, vs, names):
    return pa.table({"id": ids, "v": vs, "name": names}, schema=SCHEMA)


def ids(table_uri, storage_options):
    table = DeltaTable(table_uri, storage_options=storage_options).to_pyarrow_table()
    return sorted(table.column("id").to_pylist())


def test_delta_rs_constraint_and_not_null_enforced_by_us(nl, tmp_path, table_uri,
                                                         storage_options):
    write_deltalake(table_uri, arrow([1, 2], [10, 20], ["a", "b"]),
                    storage_options=storage_options)
    DeltaTable(table_uri, storage_options=storage_options).alter.add_constraint(
        {"positive_v": "v > 0"})
    version = DeltaTable(table_uri, storage_options=storage_options).version()

    listed = nl.run("table", "constraint", "list", table_uri).stdout
    assert "positive_v  v > 0" in listed
    assert "NOT NULL  id" in listed

    # Two violators: v = -1 and v NULL (NULL fails, as in Spark and delta-rs).
    bad = csv(tmp_path, "bad.csv", ["3,5,c", "4,-1,d", "5,,e"])
    proc = nl.run("table", "append", table_uri, "--from", bad, check=False)
    assert proc.returncode == 1
    assert "CHECK constraint positive_v (v > 0) violated by 2 rows" in proc.stderr, proc.stderr
    assert DeltaTable(table_uri, storage_options=storage_options).version() == version

    null_id = csv(tmp_path, "null_id.csv", ["6,6,f", ",7,g"])
    proc = nl.run("table", "append", table_uri, "--from", null_id, check=False)
    assert proc.returncode == 1
    assert "id" in proc.stderr and "null" in proc.stderr.lower(), proc.stderr
    assert DeltaTable(table_uri, storage_options=storage_options).version() == version

    good = csv(tmp_path, "good.csv", ["3,5,c", "4,1,d"])
    nl.run("table", "append", table_uri, "--from", good)
    assert ids(table_uri, storage_options) == [1, 2, 3, 4]

    # Overwrite is checked too.
    proc = nl.run("table", "overwrite", table_uri, "--from", bad, check=False)
    assert proc.returncode == 1
    assert ids(table_uri, storage_options) == [1, 2, 3, 4]


def test_our_constraint_enforced_by_delta_rs(nl, tmp_path, table_uri, storage_options):
    nl.run("table", "create", table_uri, "--from", csv(tmp_path, "init.csv", ["1,10,a", "2,20,b"]))
    out = nl.run("table", "constraint", "add", table_uri, "Small_V", "v < 100").stdout
    assert "added CHECK constraint small_v" in out and "protocol upgraded" in out, out

    table = DeltaTable(table_uri, storage_options=storage_options)
    assert table.protocol().min_writer_version == 3
    assert table.metadata().configuration["delta.constraints.small_v"] == "v < 100"
    assert table.history(1)[0]["operation"] == "ADD CONSTRAINT"

    with pytest.raises(Exception, match="(?i)invalid data|constraint|check"):
        write_deltalake(table_uri, arrow([3, 4], [5, 500], ["c", "d"]), mode="append",
                        storage_options=storage_options)
    write_deltalake(table_uri, arrow([3, 4], [5, 50], ["c", "d"]), mode="append",
                    storage_options=storage_options)
    assert ids(table_uri, storage_options) == [1, 2, 3, 4]

    # Dropped: delta-rs writes what the constraint refused.
    nl.run("table", "constraint", "drop", table_uri, "SMALL_V")
    write_deltalake(table_uri, arrow([5], [500], ["e"]), mode="append",
                    storage_options=storage_options)
    assert ids(table_uri, storage_options) == [1, 2, 3, 4, 5]


def test_add_refused_on_violating_rows(nl, tmp_path, table_uri, storage_options):
    write_deltalake(table_uri, arrow([1, 2, 3], [10, -20, -30], ["a", "b", "c"]),
                    storage_options=storage_options)
    proc = nl.run("table", "constraint", "add", table_uri, "positive", "v > 0", check=False)
    assert proc.returncode == 1
    assert "violated by 2 rows" in proc.stderr, proc.stderr
    table = DeltaTable(table_uri, storage_options=storage_options)
    assert table.version() == 0
    assert not any(key.startswith("delta.constraints.") for key in table.metadata().configuration)
    proc = nl.run("table", "constraint", "drop", table_uri, "positive", check=False)
    assert proc.returncode == 1 and "no CHECK constraint" in proc.stderr
    nl.run("table", "constraint", "drop", table_uri, "positive", "--if-exists")
