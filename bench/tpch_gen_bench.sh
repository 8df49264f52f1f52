#!/usr/bin/env bash
# TPC-H generation throughput: `neuralake generate --schema tpch` straight to Parquet (local disk)
# for each scale factor in $SFS, $RUNS times, printing wall time, rows/s, MB/s, CPU seconds
# (user + system: on a shared machine wall time depends on the neighbours, CPU time much less)
# and peak RSS.
#
#   bench/tpch_gen_bench.sh                       # SF 1 and 10, 2 threads, 1 run each
#   SFS="1" RUNS=3 THREADS=1 FORMAT=delta bench/tpch_gen_bench.sh
#
# Environment: NL (binary, default build/bin/neuralake), OUT (scratch directory, removed after
# each run; default a fresh mktemp -d). Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
NL=${NL:-build/bin/neuralake}
SFS=${SFS:-1 10}
RUNS=${RUNS:-1}
THREADS=${THREADS:-2}
FORMAT=${FORMAT:-parquet}
OUT=${OUT:-$(mktemp -d)}
[ -x "$NL" ] || { echo "no binary at $NL (build first, or set NL=...)" >&2; exit 1; }

printf '%-6s %-4s %-8s %12s %9s %12s %9s %9s %10s\n' sf run threads rows seconds rows/s MB/s cpu_s \
  peak_rss
for sf in $SFS; do
  for run in $(seq 1 "$RUNS"); do
    target=$OUT/tpch-sf$sf
    rm -rf "$target"
    log=$(mktemp)
    /usr/bin/time -f "peak_rss_kb %M cpu %U %S" "$NL" generate --schema tpch --scale "$sf" \
      --threads "$THREADS" --format "$FORMAT" --output "$target" >"$log" 2>"$log.err"
    # "generated tpch scale factor 1 (seed 42): 8658777 rows, 233.8 MB, 73 files, 5.2 s, ..."
    line=$(grep '^generated tpch' "$log")
    rows=$(sed -E 's/.*: ([0-9]+) rows.*/\1/' <<<"$line")
    seconds=$(sed -E 's/.* ([0-9.]+) s, .*/\1/' <<<"$line")
    bytes=$(du -sb "$target" | cut -f1)
    rss=$(awk '/peak_rss_kb/ {print $2}' "$log.err")
    cpu=$(awk '/peak_rss_kb/ {print $4 + $5}' "$log.err")
    awk -v sf="$sf" -v run="$run" -v t="$THREADS" -v rows="$rows" -v s="$seconds" \
        -v bytes="$bytes" -v rss="$rss" -v cpu="$cpu" 'BEGIN {
      printf "%-6s %-4s %-8s %12d %9.2f %12.0f %9.1f %9.1f %8.0fMB\n",
             sf, run, t, rows, s, rows / s, bytes / s / 1e6, cpu, rss / 1024 }'
    rm -rf "$target" "$log" "$log.err"
  done
done
rmdir "$OUT" 2>/dev/null || true
