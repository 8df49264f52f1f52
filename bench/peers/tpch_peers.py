"""TPC-H per-query latency of the peers on the same data: DuckDB (Python) over plain Parquet and
Polars over Parquet (scan_parquet) and over the Delta tables (scan_delta, delta-rs underneath).

    tpch_peers.py --parquet-root DIR --delta-root URI --queries DIR [--runs 3] [--json out.json]

Each query runs once to warm up, then --runs times; the median wall time is reported, like
bench/sql_bench.cc. A query a peer cannot run is reported as failed, not dropped silently.
"""
import argparse
import glob
import json
import math
import os
import statistics
import sys
import time

import duckdb
import polars as pl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lake_storage import storage_options  # noqa: E402

TABLES = ["region", "nation", "supplier", "part", "partsupp", "customer", "orders", "lineitem"]


def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run_suite(label, queries, runner, runs):
    results = {}
    logs = []
    print(f"label={label} runs={runs}")
    for name, sql in queries:
        try:
            ms = timed(lambda: runner(sql), runs)
        except Exception as error:  # a peer that cannot run a query is reported, not hidden
            first = str(error).strip().splitlines()[0][:120] if str(error).strip() else repr(error)
            print(f"{name:5s} FAILED: {first}")
            results[name] = None
            continue
        results[name] = ms
        logs.append(math.log(ms))
        print(f"{name:5s} {ms:10.1f} ms")
        sys.stdout.flush()
    geomean = math.exp(sum(logs) / len(logs)) if logs else 0
    print(f"geomean {geomean:.1f} ms over {len(logs)} queries")
    return {"label": label, "geomean_ms": geomean, "queries": results}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parquet-root", required=True)
    parser.add_argument("--delta-root", default=None)
    parser.add_argument("--queries", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--only", default="")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    queries = []
    for path in sorted(glob.glob(os.path.join(args.queries, "*.sql"))):
        name = os.path.splitext(os.path.basename(path))[0]
        if args.only and args.only not in name:
            continue
        with open(path) as f:
            queries.append((name, f.read()))

    out = []
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    for table in TABLES:
        pattern = os.path.join(args.parquet_root, table, "**", "*.parquet")
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{pattern}')")
    out.append(run_suite("duckdb-parquet", queries, lambda sql: con.execute(sql).fetchall(),
                         args.runs))

    parquet_ctx = pl.SQLContext({
        t: pl.scan_parquet(os.path.join(args.parquet_root, t, "**", "*.parquet")) for t in TABLES})
    out.append(run_suite("polars-parquet", queries,
                         lambda sql: parquet_ctx.execute(sql).collect(), args.runs))

    if args.delta_root:
        options = storage_options(args.delta_root)
        delta_ctx = pl.SQLContext({
            t: pl.scan_delta(f"{args.delta_root}/{t}", storage_options=options) for t in TABLES})
        out.append(run_suite("polars-delta", queries,
                             lambda sql: delta_ctx.execute(sql).collect(), args.runs))

    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
