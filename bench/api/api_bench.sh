#!/usr/bin/env bash
# `neuralake serve` against FastAPI + uvicorn (2 workers) peers over the same 10M-row Delta table
# on MinIO, with wrk as the load client: point lookups at concurrency 1/16/64 (QPS, p50, p99),
# /health at 64 connections, and 10M-row streams (NDJSON, CSV, Parquet: MB/s and server RSS).
#   bench/api/api_bench.sh            (ROWS=10000000 SECONDS_PER_RUN=10 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
export_minio_env
NL=$PWD/build/bin/neuralake
PY=$VENV/bin/python
ROWS=${ROWS:-10000000}
SECS=${SECONDS_PER_RUN:-10}
TABLE=s3://lake/bench/api-events-$ROWS
WORK=$(mktemp -d /tmp/neuralake-api-bench.XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

if ! "$NL" table describe "$TABLE" >/dev/null 2>&1; then
  echo "generating $ROWS events into $TABLE (once; reused by later runs)"
  "$NL" generate --schema events --rows "$ROWS" --rows-per-file 500000 --format delta --output "$TABLE" | tail -1
fi
cat > "$WORK/catalog.yaml" <<YAML
databases:
  demo:
    tables:
      events: {type: delta, uri: "$TABLE"}
YAML

"$NL" serve --catalog "$WORK/catalog.yaml" --port 0 --quiet --timeout 10m >"$WORK/serve.out" 2>"$WORK/serve.err" &
NL_PID=$!; PIDS+=("$NL_PID")
for _ in $(seq 1 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
NL_URL=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" | head -1)

start_peer() {  # engine port
  NEURALAKE_PEER_ENGINE=$1 NEURALAKE_PEER_TABLE=$TABLE PYTHONPATH=$PWD/bench/peers \
    "$VENV/bin/uvicorn" api_peer:app --workers 2 --port "$2" --log-level warning \
    >"$WORK/peer-$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$2/api/v1/health" >/dev/null && return; sleep 0.2; done
  echo "peer $1 did not start: $(tail -5 "$WORK/peer-$1.log")" >&2; exit 1
}
start_peer polars 18601
start_peer datafusion 18602

echo "== point lookups: GET /api/v1/tables/demo/events?event_id=<random of $ROWS> (${SECS}s each, wrk)"
printf '%-22s %5s %10s %9s %9s  %s\n' server conns qps p50_ms p99_ms "responses by status"
for target in "neuralake $NL_URL" "fastapi+polars http://127.0.0.1:18601" "fastapi+datafusion http://127.0.0.1:18602"; do
  set -- $target
  # Warm-up (first requests load the snapshot / open files).
  curl -sf "$2/api/v1/tables/demo/events?event_id=1" >/dev/null
  for conns in 1 16 64; do
    out=$(MAX_ID=$ROWS wrk -t1 -c"$conns" -d"${SECS}s" --timeout 30s -s bench/api/soak.lua "$2")
    eval "$(echo "$out" | grep FIGURES | sed 's/FIGURES //')"
    printf '%-22s %5d %10s %9s %9s  %s\n' "$1" "$conns" "$qps" "$p50_ms" "$p99_ms" \
      "$(echo "$out" | grep STATUS | sed 's/STATUS //') socket_errors=$socket_errors"
  done
done

echo; echo "== GET /api/v1/health, 64 connections (${SECS}s)"
for target in "neuralake $NL_URL" "fastapi+polars http://127.0.0.1:18601"; do
  set -- $target
  line=$(wrk -t1 -c64 -d"${SECS}s" -s bench/api/health.lua "$2/api/v1/health" | grep FIGURES)
  eval "$(echo "$line" | sed 's/FIGURES //')"
  printf '%-22s qps=%s p50_ms=%s p99_ms=%s errors=%s\n' "$1" "$qps" "$p50_ms" "$p99_ms" "$errors"
done

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo; echo "== $ROWS rows streamed from neuralake (one client; server RSS before -> peak during)"
for format in ndjson csv parquet; do
  before=$(rss_kb "$NL_PID"); peak=$before
  start=$(date +%s.%N)
  curl -s "$NL_URL/api/v1/tables/demo/events?_format=$format" -o "$WORK/out.$format" &
  curl_pid=$!
  while kill -0 "$curl_pid" 2>/dev/null; do
    now=$(rss_kb "$NL_PID"); if [ "$now" -gt "$peak" ]; then peak=$now; fi; sleep 0.2
  done
  wait "$curl_pid"
  end=$(date +%s.%N)
  bytes=$(stat -c %s "$WORK/out.$format")
  rows=$([ "$format" = parquet ] && "$PY" -c "import pyarrow.parquet as p,sys; print(p.ParquetFile(sys.argv[1]).metadata.num_rows)" "$WORK/out.$format" \
         || { n=$(wc -l <"$WORK/out.$format"); [ "$format" = csv ] && echo $((n - 1)) || echo "$n"; })
  awk -v f="$format" -v b="$bytes" -v s="$start" -v e="$end" -v r="$rows" -v rb="$before" -v rp="$peak" \
    'BEGIN { printf "%-8s rows=%d  %.0f MB in %.1f s = %.0f MB/s  RSS %.0f -> %.0f MB (+%.0f MB)\n",
             f, r, b/1e6, e-s, b/1e6/(e-s), rb/1024, rp/1024, (rp-rb)/1024 }'
  rm -f "$WORK/out.$format"
done

echo; echo "== soak: 64 connections of point lookups for $((SECS * 3)) s while 4 clients stream 1M-row NDJSON results"
before=$(rss_kb "$NL_PID"); peak=$before
(
  end=$((SECONDS + SECS * 3))
  for client in 1 2 3 4; do
    ( while [ $SECONDS -lt $end ]; do
        curl -s -o /dev/null -w '%{http_code}\n' -X POST "$NL_URL/api/v1/sql" \
          -d '{"sql": "SELECT * FROM demo.events LIMIT 1000000", "format": "ndjson"}'
      done >"$WORK/streams-$client.txt" ) &
  done
  wait
) &
streams=$!
MAX_ID=$ROWS wrk -t1 -c64 -d"$((SECS * 3))s" --timeout 30s -s bench/api/soak.lua "$NL_URL" >"$WORK/soak.txt" &
soak=$!
while kill -0 "$soak" 2>/dev/null; do now=$(rss_kb "$NL_PID"); if [ "$now" -gt "$peak" ]; then peak=$now; fi; sleep 0.5; done
wait "$streams"
grep -E "FIGURES|STATUS" "$WORK/soak.txt"
echo "streams by HTTP status: $(cat "$WORK"/streams-*.txt | sort | uniq -c | tr '\n' ' ')"
echo "server RSS $((before / 1024)) MB -> peak $((peak / 1024)) MB; still serving: $(curl -s "$NL_URL/api/v1/health")"
