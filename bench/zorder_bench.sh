#!/usr/bin/env bash
# Z-ORDER on MinIO: files read by a user_id lookup and a time range before and after
# `table optimize --zorder-by user_id,event_time`, and the optimize's time and peak RSS.
#   bench/zorder_bench.sh [ROWS]   (default 4,000,000 events in files of 200,000 rows)
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/services.sh env)"
NL=build/bin/neuralake
ROWS=${1:-4000000}
URI=s3://lake/bench/zorder-$(date +%Y%m%d-%H%M%S)-$$
CATALOG=$(mktemp)
trap 'rm -f "$CATALOG"' EXIT
printf 'databases: {demo: {tables: {ev: {type: delta, uri: "%s"}}}}\n' "$URI" > "$CATALOG"
"$NL" generate --schema events --rows "$ROWS" --rows-per-file 200000 --files-per-commit 20 \
  --format delta --output "$URI" 2>&1 | tail -1
queries=("SELECT count(*) FROM demo.ev WHERE user_id = 4242"
         "SELECT count(*) FROM demo.ev WHERE user_id BETWEEN 1000 AND 1999"
         "SELECT count(*) FROM demo.ev WHERE event_time < TIMESTAMP '2026-01-01 00:10:00'")
scan_lines() {
  for q in "${queries[@]}"; do
    echo "  $("$NL" sql --catalog "$CATALOG" "$q" 2>&1 >/dev/null | grep '^scan' |
      sed -E 's/^scan [^:]*: ([0-9]+ of [0-9]+ files read).*filters: (.*)$/\1  \2/')"
  done
}
echo "before Z-ORDER:"; scan_lines
/usr/bin/time -f "  optimize: %e s, peak RSS %M KB" \
  "$NL" table optimize "$URI" --zorder-by user_id,event_time --target-size 16MB 2>&1 | sed 's/^/  /'
echo "after Z-ORDER by (user_id, event_time):"; scan_lines
