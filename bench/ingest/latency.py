"""Produce -> queryable latency of an ingested table: for every row, the time from its Kafka
timestamp (set by the producer) to the commit that made it visible (the first Delta commit whose
timestamp is at or after the row's _ingested_at). Reads the table through `neuralake sql`.

    latency.py --bin build/bin/neuralake --table LOCAL_TABLE_DIR
"""
import argparse
import bisect
import glob
import json
import os
import subprocess
import tempfile

import pyarrow.parquet as pq


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--table", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = os.path.join(tmp, "c.yaml")
        with open(catalog, "w") as f:
            f.write(f'databases: {{b: {{tables: {{t: {{type: delta, uri: "{args.table}"}}}}}}}}\n')
        out = os.path.join(tmp, "rows.parquet")
        subprocess.run([args.bin, "sql", "--catalog", catalog, "--quiet", "--format", "parquet",
                        "--output", out,
                        "SELECT epoch_ms(_kafka_timestamp) AS produced, "
                        "epoch_ms(_ingested_at) AS ingested FROM b.t"], check=True)
        rows = pq.read_table(out).to_pylist()
    commits = []
    log = os.path.join(args.table, "_delta_log")
    assert os.path.isdir(log), "latency.py reads commit times from a local table's _delta_log"
    for path in sorted(glob.glob(os.path.join(log, "*.json"))):
        with open(path) as f:
            for line in f:
                action = json.loads(line)
                if "commitInfo" in action:
                    commits.append(action["commitInfo"]["timestamp"])
    commits.sort()
    latencies = []
    for row in rows:
        i = bisect.bisect_left(commits, row["ingested"])
        if i < len(commits) and row["produced"]:
            latencies.append(commits[i] - row["produced"])
    latencies.sort()
    if not latencies:
        print("no rows")
        return
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"produce->queryable latency over {len(latencies)} rows: p50 {p(0.5):.0f} ms, "
          f"p99 {p(0.99):.0f} ms, max {latencies[-1]:.0f} ms")


if __name__ == "__main__":
    main()
