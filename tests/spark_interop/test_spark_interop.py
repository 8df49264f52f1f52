"""Spark and neuralake on the same Delta tables on MinIO, row by row at every version.

1. Tables Spark writes, read by us: partitions, 30+ commits with checkpoints, schema evolution,
   V2 checkpoints (JSON top-level file + Parquet sidecars), column mapping name and id with a
   RENAME and a DROP COLUMN, CLUSTER BY, timestamp_ntz. Features we cannot read or write are
   refused with the feature's name (asserted, never skipped).
2. Tables we write (create, append, overwrite, partition delete, schema merge, OPTIMIZE, Z-ORDER,
   checkpoint, VACUUM), read by Spark.
3. Alternating writers on one table with deletion vectors enabled: Spark appends, we append,
   Spark MERGEs (writing DVs), we OPTIMIZE, five rounds; then both read the same rows. Writers take turns (s3a has no conditional put).
"""
import pytest

from conftest import assert_same_at_every_version, spark_rows, spark_version


def spark_append(spark, loc, values, columns="id BIGINT, country STRING, amount DOUBLE", **opts):
    df = spark.createDataFrame(values, columns).coalesce(1)  # one file per commit: small and quick
    writer = df.write.format("delta").mode("append")
    for key, value in opts.items():
        writer = writer.option(key, value)
    writer.save(loc.s3a)


def test_spark_partitioned_table(spark, nl, location):
    loc = location("partitioned")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE) USING delta "
              "PARTITIONED BY (country)")
    spark_append(spark, loc, [(i, ["fr", "de", "jp"][i % 3], i * 1.5) for i in range(30)])
    spark_append(spark, loc, [(100, "a b/c=d", 1.0), (101, None, 2.0)])  # escaped and null values
    spark.sql(f"DELETE FROM {loc.sql} WHERE country = 'de'")              # whole partition
    spark.sql(f"UPDATE {loc.sql} SET amount = -amount WHERE id % 2 = 0")  # rewrites files
    rows = assert_same_at_every_version(spark, nl, loc)
    assert len(rows) == 22


def test_spark_many_commits_with_checkpoints(spark, nl, location):
    loc = location("commits")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE) USING delta "
              "TBLPROPERTIES ('delta.checkpointInterval' = '5')")
    for i in range(31):
        spark_append(spark, loc, [(i, "fr", float(i))])
        if i % 10 == 9:
            spark.sql(f"DELETE FROM {loc.sql} WHERE id = {i - 5}")
    files = loc.log_files()
    checkpoints = [f for f in files if ".checkpoint." in f]
    assert len(checkpoints) >= 6, files
    assert "_last_checkpoint" in files
    last = spark_version(spark, loc)
    assert last >= 33
    assert_same_at_every_version(spark, nl, loc, last=last)


def test_spark_schema_evolution(spark, nl, location):
    loc = location("evolution")
    spark_append(spark, loc, [(1, "fr", 1.0)])
    spark_append(spark, loc, [(2, "de", 2.0, 7)], "id BIGINT, country STRING, amount DOUBLE, tip INT",
                 mergeSchema="true")
    spark_append(spark, loc, [(3, "jp", 3.0, None, "late")],
                 "id BIGINT, country STRING, amount DOUBLE, tip INT, note STRING",
                 mergeSchema="true")
    spark.sql(f"ALTER TABLE {loc.sql} ADD COLUMNS (extra DATE)")
    spark.sql(f"INSERT INTO {loc.sql} VALUES (4, 'us', 4.0, 1, 'x', DATE'2024-02-29')")
    rows = assert_same_at_every_version(spark, nl, loc)
    assert len(rows) == 4


def test_spark_v2_checkpoint_with_sidecars(spark, nl, location):
    loc = location("v2checkpoint")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE) USING delta "
              "PARTITIONED BY (country) TBLPROPERTIES ('delta.checkpointPolicy' = 'v2', "
              "'delta.checkpointInterval' = '3')")
    for i in range(7):
        spark_append(spark, loc, [(i, ["fr", "de"][i % 2], float(i)), (100 + i, "jp", 0.5)])
    spark.sql(f"DELETE FROM {loc.sql} WHERE country = 'de'")  # a tombstone in the next checkpoint
    spark_append(spark, loc, [(50, "fr", 5.0)])
    files = loc.log_files()
    uuid_named = [f for f in files if ".checkpoint." in f and not f.startswith("_sidecars/")]
    assert uuid_named and all(len(f.split(".")) == 4 for f in uuid_named), files
    assert any(f.startswith("_sidecars/") for f in files), files
    assert_same_at_every_version(spark, nl, loc)

    # We write to it too (v2Checkpoint is a supported writer feature) and checkpoint it the classic
    # way, which the protocol allows on V2 tables; Spark reads both.
    nl.run("table", "append", loc.s3, "--from",
           nl.csv(["id", "country", "amount"], [(60, "fr", 6.0), (61, "nz", 6.5)]))
    nl.run("table", "checkpoint", loc.s3)
    spark_append(spark, loc, [(70, "fr", 7.0)])
    rows = assert_same_at_every_version(spark, nl, loc)
    assert sorted(dict(r)["id"] for r in rows) == sorted(
        [0, 2, 4, 6] + [100 + i for i in range(7)] + [50, 60, 61, 70])


@pytest.mark.parametrize("mode", ["name", "id"])
def test_spark_column_mapping_rename_and_drop(spark, nl, location, mode):
    loc = location(f"mapping-{mode}")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE, gone INT) "
              f"USING delta PARTITIONED BY (country) TBLPROPERTIES "
              f"('delta.columnMapping.mode' = '{mode}')")
    spark.sql(f"INSERT INTO {loc.sql} VALUES (1, 'fr', 1.0, 9), (2, 'de', 2.0, 8)")
    spark.sql(f"ALTER TABLE {loc.sql} RENAME COLUMN amount TO price")
    spark.sql(f"ALTER TABLE {loc.sql} RENAME COLUMN country TO land")  # a partition column
    spark.sql(f"INSERT INTO {loc.sql} VALUES (3, 'jp', 3.0, 7)")
    spark.sql(f"ALTER TABLE {loc.sql} DROP COLUMN gone")
    spark.sql(f"INSERT INTO {loc.sql} VALUES (4, 'fr', 4.0)")
    rows = assert_same_at_every_version(spark, nl, loc)
    assert [c for c, _ in rows[0]] == ["id", "land", "price"]
    # Writing column-mapped tables is not supported yet: refused, and the table is unchanged.
    before = spark_version(spark, loc)
    proc = nl.run("table", "append", loc.s3, "--from",
                  nl.csv(["id", "land", "price"], [(5, "fr", 5.0)]), check=False)
    assert proc.returncode != 0
    assert "column mapping" in proc.stderr, proc.stderr
    assert spark_version(spark, loc) == before


def test_spark_clustered_table(spark, nl, location):
    loc = location("clustered")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE) USING delta "
              "CLUSTER BY (country, id)")
    spark_append(spark, loc, [(i, ["fr", "de"][i % 2], float(i)) for i in range(20)])
    spark_append(spark, loc, [(i, "jp", float(i)) for i in range(20, 30)])
    spark.sql(f"OPTIMIZE {loc.sql}")
    # Appends to a clustered table are allowed: the clustering domain metadata stays as it is.
    nl.run("table", "append", loc.s3, "--from",
           nl.csv(["id", "country", "amount"], [(40, "us", 4.0), (41, "fr", 4.5)]))
    detail = spark.sql(f"DESCRIBE DETAIL {loc.sql}").collect()[0]
    assert list(detail["clusteringColumns"]) == ["country", "id"]
    assert "clustering" in detail["tableFeatures"]
    spark_append(spark, loc, [(50, "de", 5.0)])
    rows = assert_same_at_every_version(spark, nl, loc)
    assert len(rows) == 33


def test_spark_timestamp_ntz(spark, nl, location):
    loc = location("ntz")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, local TIMESTAMP_NTZ, instant TIMESTAMP, "
              "day DATE) USING delta PARTITIONED BY (day)")
    spark.sql(f"INSERT INTO {loc.sql} VALUES "
              "(1, TIMESTAMP_NTZ'2024-03-10 02:30:00.123456', TIMESTAMP'2024-03-10 02:30:00+01:00', "
              "DATE'2024-03-10'), (2, NULL, NULL, NULL), "
              "(3, TIMESTAMP_NTZ'1969-12-31 23:59:59', TIMESTAMP'1900-01-01 00:00:00Z', "
              "DATE'1900-01-01')")
    detail = spark.sql(f"DESCRIBE DETAIL {loc.sql}").collect()[0]
    assert "timestampNtz" in detail["tableFeatures"]
    rows = assert_same_at_every_version(spark, nl, loc)
    assert len(rows) == 3


def test_features_we_lack_are_refused_by_name(spark, nl, location):
    # variantType: a reader feature we do not implement.
    loc = location("variant")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, v VARIANT) USING delta")
    spark.sql(f"INSERT INTO {loc.sql} SELECT 1, parse_json('{{\"a\": 1}}')")
    proc = nl.run("table", "read", loc.s3, check=False)
    assert proc.returncode != 0
    assert "variantType" in proc.stderr, proc.stderr

    # rowTracking: readable, but our writes would have to assign row ids: refused by name.
    loc = location("rowtracking")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE) USING delta "
              "TBLPROPERTIES ('delta.enableRowTracking' = 'true')")
    spark_append(spark, loc, [(1, "fr", 1.0)])
    assert_same_at_every_version(spark, nl, loc)
    proc = nl.run("table", "append", loc.s3, "--from",
                  nl.csv(["id", "country", "amount"], [(2, "de", 2.0)]), check=False)
    assert proc.returncode != 0
    assert "rowTracking" in proc.stderr, proc.stderr
    assert spark_version(spark, loc) == 1


def test_tables_we_write_are_read_by_spark(spark, nl, location):
    loc = location("ours")
    header = ["id", "country", "amount"]
    nl.run("table", "create", loc.s3, "--from",
           nl.csv(header, [(i, ["fr", "de", "jp"][i % 3], i * 0.5) for i in range(60)]),
           "--partition-by", "country", "--property", "delta.checkpointInterval=4")      # 0
    for round_ in range(3):                                                           # 1..3
        nl.run("table", "append", loc.s3, "--from",
               nl.csv(header, [(100 + 10 * round_ + i, "fr", 1.0) for i in range(10)]))
    nl.run("table", "overwrite", loc.s3, "--from",                                    # 4
           nl.csv(header, [(500, "jp", 5.0)]), "--where", "country = 'jp'")
    nl.run("table", "delete", loc.s3, "--where", "country = 'de'")                     # 5
    nl.run("table", "append", loc.s3, "--from",                                       # 6
           nl.csv(header + ["tip"], [(600, "de", 6.0, 3)]), "--schema-mode", "merge")
    nl.run("table", "optimize", loc.s3)                                               # 7..
    nl.run("table", "optimize", loc.s3, "--zorder-by", "id,amount")
    nl.run("table", "checkpoint", loc.s3)
    assert any(".checkpoint.parquet" in f for f in loc.log_files())
    rows = assert_same_at_every_version(spark, nl, loc)
    assert len(rows) == 20 + 30 + 1 + 1
    nl.run("table", "vacuum", loc.s3, "--retention-hours", "0", "--force-retention")
    latest = spark_version(spark, loc)
    assert spark_rows(spark, loc) == nl.read(loc.s3) == rows
    # Spark can still append after our maintenance, and we read that.
    spark_append(spark, loc, [(700, "fr", 7.0, 1)],
                 "id BIGINT, country STRING, amount DOUBLE, tip BIGINT")  # CSV integers are BIGINT
    assert_same_at_every_version(spark, nl, loc, first=latest)


def test_alternating_writers(spark, nl, location):
    loc = location("alternating")
    # Deletion vectors on: Spark's MERGE marks updated rows deleted in place (a DV) and our
    # OPTIMIZE rewrites those files without the deleted rows.
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE) USING delta "
              "PARTITIONED BY (country) TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    header = ["id", "country", "amount"]
    for r in range(5):
        base = 1000 * r
        spark_append(spark, loc, [(base + i, ["fr", "de"][i % 2], float(i)) for i in range(10)])
        nl.run("table", "append", loc.s3, "--from",
               nl.csv(header, [(base + 100 + i, "jp", float(i)) for i in range(5)]))
        updates = spark.createDataFrame(
            [(base + 1, "de", -1.0), (base + 100, "jp", -2.0), (base + 500, "us", 9.0)], header)
        updates.createOrReplaceTempView("updates")
        spark.sql(f"MERGE INTO {loc.sql} t USING updates s ON t.id = s.id "
                  "WHEN MATCHED THEN UPDATE SET amount = s.amount "
                  "WHEN NOT MATCHED THEN INSERT *")
        nl.run("table", "optimize", loc.s3)
    rows = assert_same_at_every_version(spark, nl, loc)
    assert len(rows) == 5 * 16
    assert loc.commits_mention("deletionVector"), "Spark's MERGE wrote no deletion vector"
    by_id = {dict(r)["id"]: dict(r) for r in rows}
    assert by_id[4001]["amount"] == -1.0 and by_id[4100]["amount"] == -2.0
    assert by_id[4500]["country"] == "us"
