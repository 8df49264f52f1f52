#!/usr/bin/env bash
# Expectations overhead on a write: `neuralake table append` of a 10M-row events Parquet file to a
# fresh Delta table on MinIO, (a) plainly and (b) with a catalog declaring five warn expectations
# (not_null, range, accepted_values, regex, sql) on that table, best of RUNS each.
#   bench/quality/quality_bench.sh     (ROWS=10000000 RUNS=3 by default; make bench-quality)
# The Parquet file is generated once into $BENCH_DIR (default /tmp/neuralake-bench/quality) and
# reused. The checked append also records its results in the _quality table beside the table
# (s3://lake/bench/quality/_quality), which the script reads back to confirm the checks ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
export_minio_env
unset NEURALAKE_CATALOG
NL=${NL:-$PWD/build/bin/neuralake}
ROWS=${ROWS:-10000000}
RUNS=${RUNS:-3}
BENCH_DIR=${BENCH_DIR:-/tmp/neuralake-bench/quality}
PREFIX=s3://lake/bench/quality
TABLE=$PREFIX/events-$ROWS
QUALITY=$PREFIX/_quality
WORK=$(mktemp -d /tmp/neuralake-quality-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

log() { echo "[$(date +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)] $*"; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

# One Parquet file per data set (the generator writes a directory of parts; one part here).
generate() {  # rows seed file
  local out=$WORK/gen-$2
  "$NL" generate --schema events --rows "$1" --seed "$2" --rows-per-file "$1" --format parquet \
    --output "$out" 2>&1 | tail -1
  mv "$out"/part-000000.parquet "$3"
}
mkdir -p "$BENCH_DIR"
DATA=$BENCH_DIR/events-$ROWS.parquet
SEED_FILE=$BENCH_DIR/events-seed.parquet
if [ ! -s "$DATA" ]; then
  log "generating $ROWS events into $DATA (once; reused by later runs)"
  generate "$ROWS" 42 "$DATA"
fi
[ -s "$SEED_FILE" ] || generate 1000 7 "$SEED_FILE"
log "data: $DATA ($(du -h "$DATA" | cut -f1))"

cat > "$WORK/catalog.yaml" <<YAML
databases:
  bench:
    tables:
      events:
        type: delta
        uri: "$TABLE"
        expectations:
          - {name: has_event_id, type: not_null, column: event_id, on_violation: warn}
          - {name: sane_duration, type: range, column: duration_ms, min: 0, max: 3600000, on_violation: warn}
          - {name: known_device, type: accepted_values, column: device, values: [desktop, mobile, tablet], on_violation: warn}
          - {name: country_code, type: regex, column: country, pattern: "[A-Z]{2}", on_violation: warn}
          - {name: no_negative_revenue, type: sql, sql: "revenue IS NULL OR revenue >= 0", on_violation: warn}
      quality: {type: delta, uri: "$QUALITY"}
YAML

# A fresh table (created from a 1000-row file, untimed), then the timed append; $secs = wall s.
append_once() {
  "$NL" storage rm -r "$TABLE" >/dev/null 2>&1 || true
  "$NL" table create "$TABLE" --from "$SEED_FILE" >/dev/null
  local start
  start=$(now)
  "$NL" table append "$TABLE" --from "$DATA" "$@" >"$WORK/out" 2>"$WORK/err"
  secs=$(since "$start")
}

"$NL" storage rm -r "$QUALITY" >/dev/null 2>&1 || true
best_plain= best_checked= plains=() checkeds=()
for run in $(seq 1 "$RUNS"); do
  # Alternate which goes first so neither always runs on a warmer cache.
  for mode in $([ $((run % 2)) = 1 ] && echo "plain checked" || echo "checked plain"); do
    if [ "$mode" = plain ]; then
      append_once
      plains+=("$secs"); best_plain=$(min "$best_plain" "$secs")
    else
      append_once --catalog "$WORK/catalog.yaml"
      checkeds+=("$secs"); best_checked=$(min "$best_checked" "$secs")
      grep -qi warn "$WORK/err" && sed 's/^/      /' "$WORK/err" | head -5 || true
    fi
    log "run $run $mode: $secs s"
  done
done

rows=$("$NL" table describe "$TABLE" | awk '/^rows:/ {print $2}')
[ "$rows" = $((ROWS + 1000)) ] || { echo "table has $rows rows, expected $((ROWS + 1000))" >&2; exit 1; }
recorded=$(NEURALAKE_CATALOG=$WORK/catalog.yaml "$NL" sql -q --format csv \
  "SELECT count(*) FROM bench.quality WHERE operation = 'append' AND rows_checked = $ROWS" | tail -1)
[ "$recorded" = $((5 * RUNS)) ] || { echo "_quality has $recorded append results, expected $((5 * RUNS))" >&2; exit 1; }

echo
echo "== Expectations overhead: append of $ROWS events (Parquet, $(du -h "$DATA" | cut -f1)) to a Delta table on MinIO"
echo "   load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; 5 warn expectations (not_null, range, accepted_values, regex, sql)"
echo "   plain runs: ${plains[*]} | checked runs: ${checkeds[*]}"
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# The check pass alone, as the checked appends timed it (seconds of a row-level result = the pass).
pass=$(NEURALAKE_CATALOG=$WORK/catalog.yaml "$NL" sql -q --format csv \
  "SELECT min(seconds) FROM bench.quality WHERE operation = 'append' AND expectation = 'has_event_id'" | tail -1)
awk -v p="$best_plain" -v c="$best_checked" -v n="$RUNS" -v mp="$(median "${plains[@]}")" \
    -v mc="$(median "${checkeds[@]}")" -v pass="$pass" 'BEGIN {
  printf "plain %.2f s | checked %.2f s (best of %d) | overhead %.1f%%\n", p, c, n, (c - p) / p * 100
  printf "medians: plain %.2f s | checked %.2f s | overhead %.1f%%; check pass alone %.2f s (%.1f%% of plain)\n",
         mp, mc, (mc - mp) / mp * 100, pass, pass / p * 100 }'
