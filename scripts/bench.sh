#!/usr/bin/env bash
# `make bench`: the benchmark programs, with figures printed (never timed tests).
# Results are also saved under $NEURALAKE_CACHE/bench/<timestamp>/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
OUT=$NEURALAKE_CACHE/bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
PY=$VENV/bin/python
RUN=$$

echo "== object store (MinIO)"
build/bin/object_store_bench --seconds 2 | tee "$OUT/object_store.txt"

echo; echo "== generator"
for threads in 1 2; do
  build/bin/neuralake generate --schema events --rows 1000000 --threads "$threads" --format csv \
    --output - 2>&1 >/dev/null | tail -1 | sed "s/^/threads=$threads: /"
done | tee "$OUT/generator.txt"

echo; echo "== Delta: commit latency, snapshot load, append throughput"
SRC=/tmp/neuralake-bench-src-$RUN
build/bin/neuralake generate --schema events --rows 1000000 --rows-per-file 1000000 \
  --format parquet --output "$SRC" >/dev/null 2>&1
build/bin/delta_bench --commits "${DELTA_BENCH_COMMITS:-10000}" \
  --local-root "/tmp/neuralake-bench-delta-$RUN" --minio-root "s3://lake/bench/delta-$RUN" \
  --append-parquet "$SRC/part-000000.parquet" | tee "$OUT/delta.txt"
echo; echo "== delta-rs on the same tables and data"
"$PY" bench/peers/delta_rs_bench.py \
  --snapshot "/tmp/neuralake-bench-delta-$RUN/long-log" "s3://lake/bench/delta-$RUN/long-log" \
  --append-parquet "$SRC/part-000000.parquet" \
  --append-root "/tmp/neuralake-bench-delta-$RUN" "s3://lake/bench/delta-$RUN" | tee "$OUT/delta_rs.txt"
rm -rf "$SRC" "/tmp/neuralake-bench-delta-$RUN"
echo; echo "== OPTIMIZE (1,500 small files on MinIO) and Z-ORDER"
build/bin/optimize_bench --uri "s3://lake/bench/optimize-$RUN" | tee "$OUT/optimize.txt"
bench/zorder_bench.sh | tee "$OUT/zorder.txt"
echo; echo "results saved in $OUT"
