"""The delta-rs side of bench/dml: one DELETE or MERGE on a Delta table, timed, as JSON on stdout.

  python bench/dml/delta_rs_dml.py delete URI PREDICATE
  python bench/dml/delta_rs_dml.py merge URI SOURCE.parquet ON_PREDICATE

The clock starts after the imports (and, for MERGE, after the source Parquet is read into Arrow,
which favours delta-rs) and covers opening the table (DeltaTable(uri)) and the operation, as the
neuralake side's wall time covers its process opening the table and running the operation.
Run in its own process so each measurement starts cold, as the CLI side does.
"""
import json
import os
import sys
import time

import pyarrow.parquet as pq
from deltalake import DeltaTable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
from lake_storage import storage_options  # noqa: E402


def main():
    op, uri = sys.argv[1], sys.argv[2]
    if op == "delete":
        start = time.perf_counter()
        table = DeltaTable(uri, storage_options=storage_options(uri))
        metrics = table.delete(sys.argv[3])
    elif op == "merge":
        source = pq.read_table(sys.argv[3])
        start = time.perf_counter()
        table = DeltaTable(uri, storage_options=storage_options(uri))
        metrics = (table.merge(source, predicate=sys.argv[4], source_alias="s", target_alias="t")
                   .when_matched_update_all().when_not_matched_insert_all().execute())
    else:
        raise SystemExit(f"unknown operation {op}")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "metrics": metrics}, default=str))


if __name__ == "__main__":
    main()
