"""Selective queries (bench/selective/*.sql) on the same generated events Delta table, by the peers:
Polars scan_delta (delta-rs underneath) on MinIO and on local disk, and DuckDB (Python) over the
table's Parquet files on local disk (DuckDB's S3 and Delta support are extensions, which are not
installed: nothing downloads at run time).

    selective_peers.py --queries DIR --minio s3://lake/... --local DIR [--runs 5] [--json out.json]
"""
import argparse
import glob
import json
import os
import sys

import duckdb
import polars as pl

sys.path.insert(0, os.path.dirname(__file__))
from lake_storage import storage_options  # noqa: E402
from tpch_peers import run_suite  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", required=True)
    parser.add_argument("--minio", required=True)
    parser.add_argument("--local", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    queries = []
    for path in sorted(glob.glob(os.path.join(args.queries, "*.sql"))):
        with open(path) as f:
            sql = f.read().replace("demo.events", "events")
        queries.append((os.path.splitext(os.path.basename(path))[0], sql))

    out = []
    minio = pl.SQLContext({"events": pl.scan_delta(args.minio, storage_options=storage_options(args.minio))})
    out.append(run_suite("polars-delta-minio", queries, lambda q: minio.execute(q).collect(),
                         args.runs))
    local = pl.SQLContext({"events": pl.scan_delta(args.local)})
    out.append(run_suite("polars-delta-local", queries, lambda q: local.execute(q).collect(),
                         args.runs))
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{args.local}/*.parquet')")
    out.append(run_suite("duckdb-parquet-local", queries, lambda q: con.execute(q).fetchall(),
                         args.runs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
