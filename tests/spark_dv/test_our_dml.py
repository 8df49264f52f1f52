"""Our row-level DML (issue 19) read by Spark and delta-rs, and run on Spark-written DV tables.

1. A partitioned table we create with `delta.enableDeletionVectors=true`: appends, then our DELETE,
   UPDATE (of the partition column too: rows move partitions), MERGE (update-all + insert-all from
   a file), MERGE (conditional matched-delete + not-matched-by-source delete) and a second DELETE
   on files that already carry our vector. The log holds deletionVector adds; at every version
   Spark, delta-rs (through DataFusion: its to_pyarrow_table refuses DV tables) and
   `neuralake table read` return the same rows.
2. The same sequence with --mode copy-on-write on an unpartitioned table without vectors: no
   vector in the log, the three readers agree at every version.
3. A Spark-written DV table (Spark's DELETE and UPDATE leave vectors), then our DELETE, UPDATE and
   MERGE in deletion-vector mode (files with Spark's vectors get united ones): Spark reads our
   versions identically; then Spark DELETEs and MERGEs again and we read Spark's result.
Writers take turns (s3a has no conditional put). Small tables: the module shares one SparkSession.
"""
import json

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder

from conftest import interop
from nltest import delta_rs_storage_options
from test_spark_dv import dv_files, log_actions

COUNTRIES = ["fr", "de"]  # few partitions: fewer files for Spark to list and read


def batch(ids, country=None, scale=1.5):
    """Rows (id, country, amount); amounts are never whole so CSV inference keeps them double."""
    return [(i, country or COUNTRIES[i % 2], i * scale + 0.25) for i in ids]


def delta_rs_rows(loc, version, deletion_vectors):
    """The rows delta-rs reads at `version`, normalized as interop.normalize_rows does."""
    table = DeltaTable(loc.s3, version=version, storage_options=delta_rs_storage_options())
    if deletion_vectors:
        data = pa.table(QueryBuilder().register("t", table).execute("select * from t").read_all())
    else:
        data = table.to_pyarrow_table()
    return interop.normalize_rows(data.column_names, data.to_pylist())


def latest_version(loc):
    """The newest commit in the log (a listing on MinIO: cheaper than DESCRIBE HISTORY)."""
    return max(log_actions(loc))


def assert_all_readers_agree(spark, nl, loc, deletion_vectors):
    """Spark and we agree at every version (interop), and delta-rs agrees with us too."""
    last = latest_version(loc)
    rows = interop.assert_same_at_every_version(spark, nl, loc, last=last)
    for version in range(last + 1):
        ours = nl.read(loc.s3, version)
        theirs = delta_rs_rows(loc, version, deletion_vectors)
        assert theirs == ours, (f"delta-rs differs at version {version} of {loc.s3}:\n"
                                f"ours:     {ours[:5]}...\ndelta-rs: {theirs[:5]}...")
    return rows


def dml(nl, loc, command, *args, mode="auto"):
    """Runs `neuralake table <command>`; returns its JSON result."""
    proc = nl.run("table", command, loc.s3, *args, "--mode", mode, "--format", "json")
    return json.loads(proc.stdout)


def ids_of(rows):
    return sorted(dict(r)["id"] for r in rows)


def run_dml_sequence(nl, loc, mode):
    """DELETE, UPDATE (country too), two MERGEs and a second DELETE on a table with ids 0..899;
    returns the expected final ids. Every step must commit one version."""
    header = ["id", "country", "amount"]
    results = [
        dml(nl, loc, "delete", "--where", "id % 7 = 0", mode=mode),
        dml(nl, loc, "update", "--set",
            "amount = -amount, country = CASE WHEN country = 'fr' THEN 'de' ELSE 'fr' END",
            "--where", "id % 5 = 1", mode=mode)]
    upsert_ids = range(850, 950, 3)  # below 900 and not deleted: matched; the others: inserted
    upsert = nl.csv(header, batch(upsert_ids, "mx", 2.0))
    results.append(dml(nl, loc, "merge", "--source", upsert, "--on", "t.id = s.id",
                       "--when-matched-update-all", "--when-not-matched-insert-all", mode=mode))
    inserted = [i for i in upsert_ids if i >= 900 or i % 7 == 0]
    assert results[-1]["rows_inserted"] == len(inserted), results[-1]
    assert results[-1]["rows_updated"] == len(upsert_ids) - len(inserted), results[-1]
    # Source: every live id except 200..259 (deleted by source); amount < 0 marks matched deletes.
    live = ids_of(nl.read(loc.s3))
    keep = [(i, "src", -1.5 if i % 11 == 0 else 1.5) for i in live if not 200 <= i < 260]
    prune = nl.csv(header, keep)
    results.append(dml(nl, loc, "merge", "--source", prune, "--on", "t.id = s.id",
                       "--when-matched-delete", "--condition", "s.amount < 0",
                       "--when-not-matched-by-source-delete", mode=mode))
    results.append(dml(nl, loc, "delete", "--where", "id BETWEEN 100 AND 130 OR id % 13 = 0",
                       mode=mode))
    for result in results:
        assert result.get("committed"), result
    expected = [i for i in live if not 200 <= i < 260 and i % 11 != 0]
    return [i for i in expected if not (100 <= i <= 130 or i % 13 == 0)]


def dv_versions(loc):
    return {v for v, acts in log_actions(loc).items()
            if any((a.get("add") or {}).get("deletionVector") for a in acts)}


def dv_history(loc):
    """{data file: [(version, vector descriptor), ...]} over the adds that carry a vector."""
    out = {}
    for version, acts in sorted(log_actions(loc).items()):
        for a in acts:
            if (a.get("add") or {}).get("deletionVector"):
                out.setdefault(a["add"]["path"], []).append((version, a["add"]["deletionVector"]))
    return out


def united_at(loc, version):
    """Files whose vector `version` replaced with a larger one (an earlier vector united)."""
    return [path for path, dvs in dv_history(loc).items()
            if len(dvs) > 1 and dvs[-1][0] == version
            and dvs[-1][1]["cardinality"] > dvs[-2][1]["cardinality"]]


def create_ours(nl, loc, *create_args):
    """Our table: create from ids 0..399, then two appends (300 rows each), versions 0..2."""
    header = ["id", "country", "amount"]
    nl.run("table", "create", loc.s3, "--from", nl.csv(header, batch(range(400))), *create_args)
    nl.run("table", "append", loc.s3, "--from", nl.csv(header, batch(range(400, 700))))
    nl.run("table", "append", loc.s3, "--from", nl.csv(header, batch(range(700, 900), "us", 0.5)))


def test_our_deletion_vectors_read_by_spark_and_delta_rs(spark, nl, location):
    loc = location("our-dv")
    create_ours(nl, loc, "--partition-by", "country",
                "--property", "delta.enableDeletionVectors=true")
    expected = run_dml_sequence(nl, loc, "deletion-vectors")
    assert latest_version(loc) == 7
    assert dv_versions(loc) == {3, 4, 5, 6, 7}, dv_versions(loc)
    assert dv_files(loc)
    assert all(dv["storageType"] == "u" for dvs in dv_history(loc).values() for _, dv in dvs)
    assert united_at(loc, 7)  # the last DELETE united vectors with the earlier ones

    rows = assert_all_readers_agree(spark, nl, loc, deletion_vectors=True)
    assert ids_of(rows) == expected
    # UPDATE moved rows between partitions: fr -> de, de and us -> fr (unless MERGE rewrote them).
    for record in map(dict, rows):
        i = record["id"]
        if i % 5 == 1 and record["country"] != "mx":
            before = COUNTRIES[i % 2] if i < 700 else "us"
            assert record["country"] == ("de" if before == "fr" else "fr"), record


def test_our_copy_on_write_read_by_spark_and_delta_rs(spark, nl, location):
    loc = location("our-cow")
    create_ours(nl, loc)
    expected = run_dml_sequence(nl, loc, "copy-on-write")
    assert latest_version(loc) == 7
    assert dv_versions(loc) == set()
    rows = assert_all_readers_agree(spark, nl, loc, deletion_vectors=False)
    assert ids_of(rows) == expected


def test_our_dml_on_spark_deletion_vectors(spark, nl, location):
    loc = location("spark-dv-ours")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE) USING delta "
              "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    schema = "id BIGINT, country STRING, amount DOUBLE"
    spark.createDataFrame(batch(range(800)), schema).repartition(2).write.format("delta") \
        .mode("append").save(loc.s3a)  # two files in one commit
    spark.sql(f"DELETE FROM {loc.sql} WHERE id % 7 = 0")
    spark.sql(f"UPDATE {loc.sql} SET amount = -amount WHERE id % 5 = 1")
    spark_last = latest_version(loc)
    assert {spark_last - 1, spark_last} <= dv_versions(loc)

    # Ours on top, in deletion-vector mode: the files Spark gave vectors get united ones.
    header = ["id", "country", "amount"]
    dml(nl, loc, "delete", "--where", "id % 3 = 0 OR id BETWEEN 600 AND 620",
        mode="deletion-vectors")
    assert united_at(loc, spark_last + 1)  # our vectors include Spark's deleted rows
    dml(nl, loc, "update", "--set", "amount = amount + 1000, country = 'upd'",
        "--where", "id % 4 = 2", mode="deletion-vectors")
    source = nl.csv(header, batch(range(760, 860, 2), "mrg", 3.0))
    dml(nl, loc, "merge", "--source", source, "--on", "t.id = s.id", "--when-matched-update-all",
        "--when-not-matched-insert-all", mode="deletion-vectors")
    ours_last = latest_version(loc)
    assert ours_last == spark_last + 3
    assert set(range(spark_last + 1, ours_last + 1)) <= dv_versions(loc)
    rows = interop.assert_same_at_every_version(spark, nl, loc, last=ours_last)
    assert not [r for r in rows if dict(r)["id"] % 3 == 0 and dict(r)["country"] != "mrg"]

    # Spark again after us: its DELETE and MERGE on our vectors, read back by us.
    spark.sql(f"DELETE FROM {loc.sql} WHERE id % 10 = 1")
    spark.createDataFrame(batch(range(840, 900, 4), "sp", 4.0), schema) \
        .createOrReplaceTempView("spark_src")
    spark.sql(f"""MERGE INTO {loc.sql} t USING spark_src s ON t.id = s.id
                  WHEN MATCHED THEN UPDATE SET *
                  WHEN NOT MATCHED THEN INSERT *""")
    assert latest_version(loc) == ours_last + 2
    final = interop.assert_same_at_every_version(spark, nl, loc, first=ours_last + 1,
                                                 last=ours_last + 2)
    assert not [r for r in final if dict(r)["id"] % 10 == 1 and dict(r)["country"] != "sp"]
    assert final == delta_rs_rows(loc, ours_last + 2, deletion_vectors=True)
