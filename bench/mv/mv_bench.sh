#!/usr/bin/env bash
# Materialized view refresh: an aggregate view (GROUP BY country, day) over an events Delta table
# on MinIO, full refresh vs incremental refresh after a 1% append, each incremental result checked
# against the same SQL run by `neuralake sql` over the source.
#   bench/mv/mv_bench.sh          (ROWS=50000000 FULL_RUNS=3 APPENDS=3 by default; make bench-mv)
# The events table (s3://lake/bench/mv-events-$ROWS) is generated once and reused while its row
# count stays within 10% of ROWS (every run appends APPENDS x 1%); past that it is regenerated.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
export_minio_env
NL=${NL:-$PWD/build/bin/neuralake}
ROWS=${ROWS:-50000000}
FULL_RUNS=${FULL_RUNS:-3}
APPENDS=${APPENDS:-3}
APPEND_ROWS=$((ROWS / 100))
ROWS_PER_FILE=${ROWS_PER_FILE:-500000}
TABLE=s3://lake/bench/mv-events-$ROWS
VIEW=s3://lake/bench/mv_daily-$ROWS
WORK=$(mktemp -d /tmp/neuralake-mv-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

SQL="SELECT country, CAST(event_time AS DATE) AS day, count(*) AS events, sum(revenue) AS revenue,\
 min(duration_ms) AS min_ms, max(duration_ms) AS max_ms FROM bench.events GROUP BY country, CAST(event_time AS DATE)"

log() { echo "[$(date +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)] $*"; }
table_rows() { "$NL" table describe "$1" 2>/dev/null | awk '/^rows:/ {print $2}'; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }

rows=$(table_rows "$TABLE" || true)
if [ -n "$rows" ] && [ "$rows" -ge "$ROWS" ] && [ "$rows" -le $((ROWS + ROWS / 10)) ]; then
  log "reusing $TABLE ($rows rows)"
else
  [ -n "$rows" ] && log "$TABLE has $rows rows: regenerating" && "$NL" storage rm -r "$TABLE" >/dev/null
  log "generating $ROWS events into $TABLE (once; reused by later runs)"
  start=$(now)
  "$NL" generate --schema events --rows "$ROWS" --rows-per-file "$ROWS_PER_FILE" --format delta \
    --output "$TABLE" 2>&1 | tail -1
  log "generated in $(since "$start") s"
fi

cat > "$WORK/catalog.yaml" <<YAML
databases:
  bench:
    tables:
      events: {type: delta, uri: "$TABLE"}
      mv_daily: {type: materialized_view, uri: "$VIEW", sql: "$SQL"}
YAML
export NEURALAKE_CATALOG=$WORK/catalog.yaml
# A fresh view every run: its first refresh is full, later ones are measured.
"$NL" storage rm -r "$VIEW" >/dev/null 2>&1 || true

# Runs `mv refresh`, prints its report line, leaves the wall seconds in $secs and the mode in $mode.
refresh() {
  local start out
  start=$(now)
  out=$("$NL" mv refresh bench.mv_daily "$@")
  secs=$(since "$start")
  mode=$(echo "$out" | sed -n 's/.*: mode \([a-z-]*\) .*/\1/p')
  echo "    $out"
  echo "    wall ${secs} s"
}

# The view against the same SQL over the source: EXCEPT both ways on the exact columns (keys,
# count, min, max) and, per key, sum(revenue) within 1e-9 relative (floating-point sums added in
# another order differ in the last bits). Fails the script on any difference.
verify() {
  local exact revenue
  exact=$("$NL" sql -q --timeout 10m --format csv "WITH v AS (SELECT country, day, events, min_ms, max_ms FROM bench.mv_daily),
      q AS (SELECT country, day, events, min_ms, max_ms FROM ($SQL))
      SELECT (SELECT count(*) FROM (SELECT * FROM v EXCEPT SELECT * FROM q))
           + (SELECT count(*) FROM (SELECT * FROM q EXCEPT SELECT * FROM v))" | tail -1)
  revenue=$("$NL" sql -q --timeout 10m --format csv "SELECT count(*) FROM bench.mv_daily v FULL OUTER JOIN ($SQL) q
      ON v.country IS NOT DISTINCT FROM q.country AND v.day IS NOT DISTINCT FROM q.day
      WHERE v.events IS NULL OR q.events IS NULL
         OR (v.revenue IS NULL) <> (q.revenue IS NULL)
         OR abs(v.revenue - q.revenue) > 1e-9 * greatest(abs(q.revenue), 1)" | tail -1)
  echo "    check vs neuralake sql: EXCEPT both ways (country, day, events, min_ms, max_ms) = $exact rows;" \
       "revenue differing by > 1e-9 relative = $revenue keys"
  if [ "$exact" != 0 ] || [ "$revenue" != 0 ]; then echo "MISMATCH" >&2; exit 1; fi
}

log "first refresh (creates the view)"
refresh
best_full=
for run in $(seq 1 "$FULL_RUNS"); do
  log "full refresh $run/$FULL_RUNS"
  refresh --full
  [ "$mode" = full ] || { echo "expected mode full, got '$mode'" >&2; exit 1; }
  best_full=$(awk -v a="$best_full" -v b="$secs" 'BEGIN { print (a == "" || b < a) ? b : a }')
done
verify

incs=()
for run in $(seq 1 "$APPENDS"); do
  log "append $run/$APPENDS: $APPEND_ROWS rows (seed $((1000 + run)))"
  start=$(now)
  "$NL" generate --schema events --rows "$APPEND_ROWS" --seed $((1000 + run)) \
    --rows-per-file "$ROWS_PER_FILE" --format delta --output "$TABLE" 2>&1 | tail -1
  log "appended in $(since "$start") s; incremental refresh"
  refresh
  [ "$mode" = incremental ] || { echo "expected mode incremental, got '$mode'" >&2; exit 1; }
  incs+=("$secs")
  verify
done

rows=$(table_rows "$TABLE")
view_rows=$("$NL" sql -q --timeout 10m --format csv "SELECT count(*) FROM bench.mv_daily" | tail -1)
incs_sorted=$(printf '%s\n' "${incs[@]}" | sort -g | tr '\n' ' ')
median_inc=$(printf '%s\n' "${incs[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo
echo "== MV refresh, GROUP BY country, day over $ROWS events (+$APPEND_ROWS per append) on MinIO"
echo "   load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; source now $rows rows, view $view_rows rows"
awk -v f="$best_full" -v i="$median_inc" -v all="$incs_sorted" -v n="$FULL_RUNS" 'BEGIN {
  printf "full %.2f s (best of %d) | incremental %.2f s (median; runs: %s) | full/incremental %.1fx\n",
         f, n, i, all, f / i }'
