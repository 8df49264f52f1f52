"""Bronze -> silver -> gold ELT on the lake, in PySpark (docs/spark.md).

    scripts/spark-submit.sh spark/elt.py --bronze s3://lake/demo/bronze --silver s3://lake/demo/silver \
        --rejects s3://lake/demo/silver_rejects --gold s3://lake/demo/gold/daily_by_country_device

Bronze is the table `neuralake ingest --schema events` writes: the generator's event columns, typed
(event_id, event_time, user_id, session_id, event_type, url, country, city, ip, device, user_agent,
duration_ms, revenue) plus _kafka_partition, _kafka_offset, _kafka_timestamp and _ingested_at.

Silver: the event columns cleaned (event_type and device lower case, country upper case, all
trimmed) with event_date = the UTC date of event_time, partitioned by event_date, one row per
event_id (the last one ingested wins) merged in with MERGE INTO, so a rerun over the same Bronze
changes nothing. A row failing a rule of REJECT_RULES goes to the rejects table instead (with the
first rule it fails), keyed by its Kafka partition/offset and event_id, also merged. Then OPTIMIZE
compacts silver.

Gold: per event_date, country and device: events, distinct sessions, distinct users, purchases and
revenue, recomputed from silver and merged in (changed groups updated, vanished ones deleted).

Every table is created with deletion vectors off, so any Delta reader (ours included) reads them.
Paths: s3://... is taken as s3a://... (Hadoop's S3 connector); local paths work too.
"""
import argparse
import json
import sys
import time

from pyspark.sql import functions as F

EVENT_TYPES = ("page_view", "click", "search", "add_to_cart", "checkout", "purchase", "signup",
               "logout")
DEVICES = ("desktop", "mobile", "tablet")


def _in_list(values):
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


# (reason, Spark SQL condition that is true for a bad row), checked in this order on the cleaned
# columns; the first that holds names the rejection.
REJECT_RULES = [
    ("event_id is null", "event_id IS NULL"),
    ("event_time is null", "event_time IS NULL"),
    ("user_id is null", "user_id IS NULL"),
    ("unknown event_type", f"event_type IS NULL OR event_type NOT IN {_in_list(EVENT_TYPES)}"),
    ("bad country", "country IS NULL OR NOT country RLIKE '^[A-Z]{2}$'"),
    ("unknown device", f"device IS NULL OR device NOT IN {_in_list(DEVICES)}"),
    ("negative revenue", "revenue < 0"),
    ("negative duration", "duration_ms < 0"),
]

SILVER_COLUMNS = """event_id BIGINT, event_time TIMESTAMP, event_date DATE, user_id BIGINT,
  session_id BIGINT, event_type STRING, country STRING, city STRING, device STRING, url STRING,
  duration_ms DOUBLE, revenue DOUBLE, _kafka_partition INT, _kafka_offset BIGINT,
  _ingested_at TIMESTAMP"""
REJECT_COLUMNS = """event_id BIGINT, event_time TIMESTAMP, user_id BIGINT, session_id BIGINT,
  event_type STRING, country STRING, city STRING, device STRING, url STRING, duration_ms DOUBLE,
  revenue DOUBLE, _kafka_partition INT, _kafka_offset BIGINT, _ingested_at TIMESTAMP,
  reject_reason STRING"""
GOLD_COLUMNS = """event_date DATE, country STRING, device STRING, events BIGINT, sessions BIGINT,
  users BIGINT, purchases BIGINT, revenue DOUBLE"""
TABLE_PROPERTIES = "TBLPROPERTIES ('delta.enableDeletionVectors' = 'false')"


def hadoop_path(uri):
    """s3://bucket/key -> s3a://bucket/key (what Hadoop's S3 connector answers to)."""
    return "s3a://" + uri[len("s3://"):] if uri.startswith("s3://") else uri


def table(uri):
    return f"delta.`{hadoop_path(uri)}`"


def create_tables(spark, silver, rejects, gold):
    spark.sql(f"CREATE TABLE IF NOT EXISTS {table(silver)} ({SILVER_COLUMNS}) USING delta "
              f"PARTITIONED BY (event_date) {TABLE_PROPERTIES}")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {table(rejects)} ({REJECT_COLUMNS}) USING delta "
              f"{TABLE_PROPERTIES}")
    spark.sql(f"CREATE TABLE IF NOT EXISTS {table(gold)} ({GOLD_COLUMNS}) USING delta "
              f"{TABLE_PROPERTIES}")


def classify_bronze(spark, bronze):
    """Registers the view `elt_classified`: bronze rows cleaned, with reject_reason (NULL = good)."""
    reason = "CASE " + " ".join(f"WHEN {cond} THEN '{name}'" for name, cond in REJECT_RULES) + \
             " END"
    frame = spark.read.format("delta").load(hadoop_path(bronze))
    # A Bronze table not fed by ingest (e.g. `neuralake generate --schema events`) has no Kafka
    # columns: they are NULL then (duplicates of an event_id are then told apart by nothing).
    for column, kind in (("_kafka_partition", "INT"), ("_kafka_offset", "BIGINT"),
                         ("_ingested_at", "TIMESTAMP")):
        if column not in frame.columns:
            frame = frame.withColumn(column, F.lit(None).cast(kind))
    frame.createOrReplaceTempView("elt_bronze")
    spark.sql("""
      SELECT CAST(event_id AS BIGINT) AS event_id, CAST(event_time AS TIMESTAMP) AS event_time,
             CAST(user_id AS BIGINT) AS user_id, CAST(session_id AS BIGINT) AS session_id,
             lower(trim(event_type)) AS event_type, upper(trim(country)) AS country,
             trim(city) AS city, lower(trim(device)) AS device, url,
             CAST(duration_ms AS DOUBLE) AS duration_ms, CAST(revenue AS DOUBLE) AS revenue,
             CAST(_kafka_partition AS INT) AS _kafka_partition,
             CAST(_kafka_offset AS BIGINT) AS _kafka_offset,
             CAST(_ingested_at AS TIMESTAMP) AS _ingested_at
      FROM elt_bronze""").createOrReplaceTempView("elt_cleaned")
    spark.sql(f"SELECT *, {reason} AS reject_reason FROM elt_cleaned") \
        .createOrReplaceTempView("elt_classified")


def _changed_rows(spark, sql, view):
    """Runs `sql`, keeps its rows (persisted) as `view`, returns how many there are."""
    frame = spark.sql(sql).persist()
    frame.createOrReplaceTempView(view)
    return frame.count()


def merge_silver(spark, silver):
    """The good rows, one per event_id (last ingested wins), merged into silver. Rows silver holds
    already from the same Bronze row are left out first, so a rerun commits nothing at all (a
    MERGE rewrites every file holding a matched row, even when its update condition is false)."""
    spark.sql("""
      SELECT * EXCEPT (rank, reject_reason) FROM (
        SELECT *, to_date(event_time) AS event_date,
               row_number() OVER (PARTITION BY event_id ORDER BY _ingested_at DESC NULLS LAST,
                                  _kafka_partition DESC NULLS LAST, _kafka_offset DESC NULLS LAST)
                 AS rank
        FROM elt_classified WHERE reject_reason IS NULL)
      WHERE rank = 1""").createOrReplaceTempView("elt_silver_latest")
    changed = _changed_rows(spark, f"""
      SELECT s.* FROM elt_silver_latest s LEFT ANTI JOIN {table(silver)} t
      ON t.event_id = s.event_id AND t._kafka_partition <=> s._kafka_partition
         AND t._kafka_offset <=> s._kafka_offset AND t._ingested_at <=> s._ingested_at""",
                            "elt_silver_source")
    if changed:
        spark.sql(f"""
          MERGE INTO {table(silver)} t USING elt_silver_source s ON t.event_id = s.event_id
          WHEN MATCHED THEN UPDATE SET *
          WHEN NOT MATCHED THEN INSERT *""")
    spark.catalog.dropTempView("elt_silver_source")
    return changed


def merge_rejects(spark, rejects):
    """Bad rows not yet in the rejects table (by Kafka partition, offset and event_id) appended."""
    new = _changed_rows(spark, f"""
      SELECT DISTINCT s.* FROM elt_classified s LEFT ANTI JOIN {table(rejects)} t
      ON t._kafka_partition <=> s._kafka_partition AND t._kafka_offset <=> s._kafka_offset
         AND t.event_id <=> s.event_id
      WHERE s.reject_reason IS NOT NULL""", "elt_rejects_source")
    if new:
        spark.sql(f"""
          MERGE INTO {table(rejects)} t USING elt_rejects_source s
          ON t._kafka_partition <=> s._kafka_partition AND t._kafka_offset <=> s._kafka_offset
             AND t.event_id <=> s.event_id
          WHEN NOT MATCHED THEN INSERT *""")
    return new


def merge_gold(spark, silver, gold):
    """Gold recomputed from silver; groups whose figures changed are updated, gone ones deleted.
    Nothing is committed when no group changed."""
    spark.sql(f"""
      SELECT event_date, country, device, count(*) AS events,
             count(DISTINCT session_id) AS sessions, count(DISTINCT user_id) AS users,
             count_if(event_type = 'purchase') AS purchases,
             coalesce(sum(revenue), 0D) AS revenue
      FROM {table(silver)} GROUP BY event_date, country, device""").persist() \
        .createOrReplaceTempView("elt_gold_source")
    # Sums of doubles depend on the order they are added in: equal to 1e-9 counts as unchanged.
    differs = """t.events <> s.events OR t.sessions <> s.sessions OR t.users <> s.users
                 OR t.purchases <> s.purchases
                 OR abs(t.revenue - s.revenue) > 1e-9 * greatest(1D, abs(s.revenue))"""
    changed = spark.sql(f"""
      SELECT count(*) FROM elt_gold_source s FULL JOIN {table(gold)} t
      ON t.event_date = s.event_date AND t.country = s.country AND t.device = s.device
      WHERE s.event_date IS NULL OR t.event_date IS NULL OR {differs}""").first()[0]
    if changed:
        spark.sql(f"""
          MERGE INTO {table(gold)} t USING elt_gold_source s
          ON t.event_date = s.event_date AND t.country = s.country AND t.device = s.device
          WHEN MATCHED AND ({differs}) THEN UPDATE SET *
          WHEN NOT MATCHED THEN INSERT *
          WHEN NOT MATCHED BY SOURCE THEN DELETE""")
    spark.catalog.dropTempView("elt_gold_source")
    return changed


def run_elt(spark, bronze, silver, rejects, gold, optimize=True):
    """Runs the whole job; returns the seconds each step took and the tables' row counts."""
    timings, changed = {}, {}

    def timed(name, fn, *args):
        start = time.monotonic()
        result = fn(*args)
        timings[name] = round(time.monotonic() - start, 3)
        return result

    timed("create", create_tables, spark, silver, rejects, gold)
    timed("classify", classify_bronze, spark, bronze)
    changed["silver"] = timed("silver_merge", merge_silver, spark, silver)
    changed["rejects"] = timed("rejects_merge", merge_rejects, spark, rejects)
    if optimize:
        timed("silver_optimize", lambda: spark.sql(f"OPTIMIZE {table(silver)}").collect())
    changed["gold"] = timed("gold_merge", merge_gold, spark, silver, gold)
    spark.catalog.clearCache()
    counts = {name: spark.read.format("delta").load(hadoop_path(uri)).count()
              for name, uri in (("silver", silver), ("rejects", rejects), ("gold", gold))}
    return {"seconds": timings, "total_seconds": round(sum(timings.values()), 3),
            "changed_rows": changed, "rows": counts}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bronze", required=True, help="Bronze Delta table (from neuralake ingest)")
    parser.add_argument("--silver", required=True, help="silver Delta table (created if missing)")
    parser.add_argument("--rejects", required=True, help="rejected rows Delta table")
    parser.add_argument("--gold", required=True, help="gold daily table by country and device")
    parser.add_argument("--no-optimize", action="store_true", help="skip OPTIMIZE on silver")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession

    start = time.monotonic()
    spark = SparkSession.builder.appName("neuralake-elt").getOrCreate()
    startup = round(time.monotonic() - start, 3)
    result = run_elt(spark, args.bronze, args.silver, args.rejects, args.gold,
                     optimize=not args.no_optimize)
    result["session_startup_seconds"] = startup
    print("elt: " + json.dumps(result, sort_keys=True))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
