"""Times SQL queries in Spark for the side-by-side with `neuralake sql` (scripts/spark-demo.sh).

    scripts/spark-submit.sh spark/gold_query.py --table gold=s3://lake/.../gold \
        --query "SELECT ... FROM gold ..." [--query ...] [--repeat 3]

Each --table NAME=URI becomes a temporary view over the Delta table, so the query text can be the
one given to `neuralake sql` with the catalog's database prefix removed. Prints one JSON line:
the session start-up seconds, then per query the seconds of each run (the first is cold: a new
session, nothing cached; the others warm) and the first rows of the answer.
"""
import argparse
import json
import sys
import time

from elt import hadoop_path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--table", action="append", default=[], help="NAME=URI of a Delta table")
    parser.add_argument("--query", action="append", required=True, help="SQL to time")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query (default 3)")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession
    start = time.monotonic()
    spark = SparkSession.builder.appName("neuralake-gold-query").getOrCreate()
    result = {"session_startup_seconds": round(time.monotonic() - start, 3), "queries": []}
    for spec in args.table:
        name, uri = spec.split("=", 1)
        # A view, not a DataFrame: each query resolves the table's latest snapshot, as ours does.
        spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS "
                  f"SELECT * FROM delta.`{hadoop_path(uri)}`")
    for sql in args.query:
        runs, rows = [], None
        for _ in range(args.repeat):
            start = time.monotonic()
            rows = spark.sql(sql).collect()
            runs.append(round(time.monotonic() - start, 3))
        result["queries"].append({"sql": sql, "seconds": runs, "rows": len(rows),
                                  "first_rows": [list(map(str, r)) for r in rows[:3]]})
    print("spark-query: " + json.dumps(result))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
