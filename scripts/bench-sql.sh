#!/usr/bin/env bash
# `make bench-sql [SF=1]`: TPC-H over Delta through our engine (local disk and MinIO) side by side
# with DuckDB over plain Parquet and Polars over Parquet/Delta on the same generated data; plus a
# selective-query comparison. Data is generated once per scale factor and cached under
# $NEURALAKE_CACHE/bench-data/. Prints figures and writes a plot.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
SF=${SF:-1}
RUNS=${RUNS:-3}
OUT=$NEURALAKE_CACHE/bench/sql-sf$SF-$(date +%Y%m%d-%H%M%S)
DATA=$NEURALAKE_CACHE/bench-data/tpch-sf$SF
S3=s3://lake/bench-data/tpch-sf$SF
QUERIES=tests/tpch/queries
NL=build/bin/neuralake
PY=$VENV/bin/python
mkdir -p "$OUT" "$DATA"
eval "$(scripts/services.sh env)"

PARTS=${PARTS:-tpch selective}
if [[ " $PARTS " == *" tpch "* ]]; then
if [ ! -f "$DATA/.complete" ]; then
  echo "== generating TPC-H SF$SF (parquet, Delta local, Delta on MinIO)"
  rm -rf "$DATA/parquet" "$DATA/delta"
  /usr/bin/time -f "parquet: %e s, peak RSS %M KB" \
    "$NL" generate --schema tpch --scale "$SF" --format parquet --output "$DATA/parquet"
  /usr/bin/time -f "delta local: %e s, peak RSS %M KB" \
    "$NL" generate --schema tpch --scale "$SF" --format delta --output "$DATA/delta"
  "$NL" storage rm -r "$S3" >/dev/null 2>&1 || true
  /usr/bin/time -f "delta minio: %e s, peak RSS %M KB" \
    "$NL" generate --schema tpch --scale "$SF" --format delta --output "$S3"
  touch "$DATA/.complete"
fi

for where in local minio; do
  root=$DATA/delta
  [ "$where" = minio ] && root=$S3
  {
    echo "databases:"; echo "  tpch:"; echo "    tables:"
    for t in region nation supplier part partsupp customer orders lineitem; do
      echo "      $t: {type: delta, uri: \"$root/$t\"}"
    done
  } > "$OUT/catalog-$where.yaml"
done

echo "== neuralake (Delta, local disk)"
build/bin/sql_bench --catalog "$OUT/catalog-local.yaml" --queries "$QUERIES" --runs "$RUNS" \
  --label "neuralake-delta-local" --json "$OUT/neuralake-local.json" | tee "$OUT/neuralake-local.txt"
echo "== neuralake (Delta, MinIO)"
build/bin/sql_bench --catalog "$OUT/catalog-minio.yaml" --queries "$QUERIES" --runs "$RUNS" \
  --label "neuralake-delta-minio" --json "$OUT/neuralake-minio.json" | tee "$OUT/neuralake-minio.txt"
echo "== peers: DuckDB over Parquet, Polars over Parquet and Delta (local)"
"$PY" bench/peers/tpch_peers.py --parquet-root "$DATA/parquet" --delta-root "$DATA/delta" \
  --queries "$QUERIES" --runs "$RUNS" --json "$OUT/peers.json" | tee "$OUT/peers.txt"

"$PY" bench/plot_tpch.py --title "TPC-H SF$SF, $(nproc) cores" --out "$OUT/tpch-sf$SF.png" \
  "$OUT/neuralake-local.json" "$OUT/neuralake-minio.json" "$OUT/peers.json"
fi

# Selective queries on a large events table (partition-free: time range and point lookups that
# only the Delta statistics can narrow), ours vs Polars/DuckDB on the same table.
if [[ " $PARTS " == *" selective "* ]]; then
SIZE=${SELECTIVE_SIZE:-4GB}  # raw (CSV-equivalent) size; Parquet is ~4x smaller
EV_LOCAL=$NEURALAKE_CACHE/bench-data/events-$SIZE
EV_S3=s3://lake/bench-data/events-$SIZE
if [ ! -f "$EV_LOCAL.complete" ]; then
  echo "== generating events $SIZE (Delta, local and MinIO, 500k-row files)"
  rm -rf "$EV_LOCAL"
  "$NL" storage rm -r "$EV_S3" >/dev/null 2>&1 || true
  "$NL" generate --schema events --size "$SIZE" --rows-per-file 500000 --files-per-commit 10 \
    --format delta --output "$EV_LOCAL"
  /usr/bin/time -f "events minio: %e s, peak RSS %M KB" \
    "$NL" generate --schema events --size "$SIZE" --rows-per-file 500000 --files-per-commit 10 \
    --format delta --output "$EV_S3"
  touch "$EV_LOCAL.complete"
fi
for where in local minio; do
  uri=$EV_LOCAL; [ "$where" = minio ] && uri=$EV_S3
  printf 'databases: {demo: {tables: {events: {type: delta, uri: "%s"}}}}\n' "$uri" \
    > "$OUT/events-$where.yaml"
  echo "== selective queries, neuralake ($where)"
  build/bin/sql_bench --catalog "$OUT/events-$where.yaml" --queries bench/selective --runs 5 \
    --label "neuralake-$where" --json "$OUT/selective-$where.json" | tee "$OUT/selective-$where.txt"
done
echo "== selective queries, peers"
"$PY" bench/peers/selective_peers.py --queries bench/selective --minio "$EV_S3" \
  --local "$EV_LOCAL" --json "$OUT/selective-peers.json" | tee "$OUT/selective-peers.txt"
"$PY" bench/plot_tpch.py --title "Selective queries, events $SIZE" --out "$OUT/selective.png" \
  "$OUT/selective-local.json" "$OUT/selective-minio.json" "$OUT/selective-peers.json"
fi

echo
grep -h "^geomean\|^label" "$OUT"/*.txt
echo "results and plots in $OUT"
