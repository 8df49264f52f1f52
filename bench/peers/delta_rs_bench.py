"""delta-rs peer figures for the Delta benchmarks (run in the project venv).

  python bench/peers/delta_rs_bench.py --snapshot URI [URI ...] [--append-parquet FILE --append-root ROOT]

Snapshot load: DeltaTable(uri) on a fresh object, median of 7 (the same long-log tables
build/bin/delta_bench made). Append: write_deltalake of the same Parquet file's rows (read into
Arrow before the clock starts, which favours delta-rs).
"""
import argparse
import os
import sys
import statistics
import time

import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lake_storage import storage_options  # noqa: E402



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshot", nargs="*", default=[])
    parser.add_argument("--append-parquet")
    parser.add_argument("--append-root", nargs="*", default=[])
    args = parser.parse_args()
    for uri in args.snapshot:
        times = []
        for _ in range(7):
            start = time.perf_counter()
            table = DeltaTable(uri, storage_options=storage_options(uri))
            files = len(table.file_uris())
            times.append((time.perf_counter() - start) * 1000)
        print(f"delta-rs snapshot load {uri}: median {statistics.median(times):.1f} ms, "
              f"min {min(times):.1f} ms ({files} files)")
    if args.append_parquet:
        data = pq.read_table(args.append_parquet)
        size = os.path.getsize(args.append_parquet)
        for root in args.append_root:
            uri = f"{root}/delta-rs-append"
            start = time.perf_counter()
            write_deltalake(uri, data, storage_options=storage_options(uri))
            seconds = time.perf_counter() - start
            print(f"delta-rs append {uri}: {data.num_rows} rows in {seconds:.2f} s: "
                  f"{data.num_rows / seconds:.0f} rows/s (source Parquet {size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
