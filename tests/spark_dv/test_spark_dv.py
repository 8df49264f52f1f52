"""Deletion vectors written by Spark, read by neuralake (issue 18 / 19's reader side).

Spark (delta-spark 4.4, local[2]) writes a table with `delta.enableDeletionVectors=true` and runs
DELETE, UPDATE and MERGE on it, which mark rows in deletion vectors instead of rewriting files.
At every version `neuralake table read` must return exactly Spark's rows, and `neuralake sql`
(through the catalog, count(*) and filtered aggregates, time travel with delta_at) Spark's
aggregates. Then our OPTIMIZE purges the vectors (Spark still reads the same rows, and the
active files carry no vector) and our VACUUM deletes the DV files no version needs any more.
"""
import json

from pyarrow import fs

from conftest import interop


def spark_append(spark, loc, rows):
    df = spark.createDataFrame(rows, "id BIGINT, country STRING, amount DOUBLE").coalesce(1)
    df.write.format("delta").mode("append").save(loc.s3a)


def log_actions(loc):
    """Every action of every JSON commit, by version."""
    s3 = interop.minio_fs()
    out = {}
    for name in loc.log_files():
        if name.endswith(".json") and "/" not in name and name[:-5].isdigit():
            with s3.open_input_stream(f"lake/{loc.key}/_delta_log/{name}") as f:
                out[int(name[:-5])] = [json.loads(line) for line in f.read().decode().splitlines()
                                       if line.strip()]
    return out


def dv_files(loc):
    s3 = interop.minio_fs()
    infos = s3.get_file_info(fs.FileSelector(f"lake/{loc.key}", recursive=True))
    return sorted(i.path for i in infos
                  if i.type == fs.FileType.File and "deletion_vector_" in i.path)


def sql(nl, catalog, query):
    proc = nl.run("sql", "--catalog", catalog, "--format", "ndjson", "-q", query)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


WHERES = ["true", "country = 'fr'", "id >= 800", "amount < 0"]


def aggregates_sql(relation):
    """count, sum(id) and sum(amount) under each of WHERES, in one SELECT over `relation`."""
    items = []
    for i, where in enumerate(WHERES):
        items += [f"count(*) FILTER (WHERE {where}) AS n{i}",
                  f"CAST(sum(id) FILTER (WHERE {where}) AS BIGINT) AS s{i}",
                  f"round(sum(amount) FILTER (WHERE {where}), 6) AS a{i}"]
    return f"SELECT {', '.join(items)} FROM {relation}"


def test_spark_deletion_vectors_at_every_version(spark, nl, location, tmp_path):
    loc = location("dv")
    spark.sql(f"CREATE TABLE {loc.sql} (id BIGINT, country STRING, amount DOUBLE) USING delta "
              "TBLPROPERTIES ('delta.enableDeletionVectors' = 'true')")
    spark_append(spark, loc, [(i, ["fr", "de", "jp"][i % 3], i * 1.5) for i in range(600)])
    spark_append(spark, loc, [(i, "us", i * 0.5) for i in range(600, 900)])
    spark.sql(f"DELETE FROM {loc.sql} WHERE id % 7 = 0")
    spark.sql(f"UPDATE {loc.sql} SET amount = -amount WHERE id % 5 = 1")
    spark.createDataFrame([(i, "mx" if i % 2 else "de", 9.25) for i in range(850, 950, 3)] +
                          [(i, "gone", 0.0) for i in range(10, 40)],
                          "id BIGINT, country STRING, amount DOUBLE").createOrReplaceTempView("src")
    spark.sql(f"""MERGE INTO {loc.sql} t USING src s ON t.id = s.id
                  WHEN MATCHED AND s.country = 'gone' THEN DELETE
                  WHEN MATCHED THEN UPDATE SET *
                  WHEN NOT MATCHED AND s.country <> 'gone' THEN INSERT *""")
    spark.sql(f"DELETE FROM {loc.sql} WHERE id BETWEEN 100 AND 120")  # a second vector on a file
    last = interop.spark_version(spark, loc)

    # Spark really wrote deletion vectors (in DV files) for DELETE, UPDATE and MERGE.
    actions = log_actions(loc)
    with_dv = {v for v, acts in actions.items()
               if any((a.get("add") or {}).get("deletionVector") for a in acts)}
    assert {3, 4, 5, 6} <= with_dv, with_dv
    assert dv_files(loc)

    rows = interop.assert_same_at_every_version(spark, nl, loc)
    assert len(rows) == spark.read.format("delta").load(loc.s3a).count()

    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(f'databases:\n  t:\n    tables:\n      dv: {{type: delta, uri: "{loc.s3}"}}\n')
    for version in range(last + 1):
        ours = sql(nl, str(catalog), aggregates_sql(f"delta_at('t.dv', {version})"))[0]
        theirs = spark.sql(aggregates_sql(f"{loc.sql} VERSION AS OF {version}")).collect()[0]
        assert ours == theirs.asDict(), (version, ours, theirs)
    latest = sql(nl, str(catalog), "SELECT count(*) AS n FROM t.dv")[0]["n"]
    assert latest == len(rows)

    # Our OPTIMIZE purges the vectors: same rows for both engines, no vector left active.
    nl.run("table", "optimize", loc.s3)
    optimized = interop.spark_version(spark, loc)
    assert optimized == last + 1
    assert interop.spark_rows(spark, loc) == rows
    assert nl.read(loc.s3) == rows
    spark.sql(f"DELETE FROM {loc.sql} WHERE id % 11 = 0")  # Spark goes on writing vectors
    interop.assert_same_at_every_version(spark, nl, loc, first=optimized)

    # VACUUM with a zero window: DV files of the latest version stay, the others go; both read.
    before = dv_files(loc)
    nl.run("table", "vacuum", loc.s3, "--retention-hours", "0", "--force-retention")
    after = dv_files(loc)
    assert after and set(after) < set(before), (before, after)
    final = nl.read(loc.s3)
    assert final == interop.spark_rows(spark, loc)
    assert final == [r for r in rows if dict(r)["id"] % 11 != 0]
