#!/usr/bin/env bash
# `make bench-ingest`: sustained ingestion throughput on 2 cores for ~200 B and ~1 KB JSON messages
# into a Delta table on MinIO, the Python peer (confluent-kafka + deltalake) on the same topics,
# and produce -> queryable latency at a steady rate. Figures printed and saved.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
eval "$(scripts/services.sh env)"
NL=build/bin/neuralake
PY=$VENV/bin/python
RUN=$(date +%Y%m%d-%H%M%S)
OUT=$NEURALAKE_CACHE/bench/ingest-$RUN
mkdir -p "$OUT"
SMALL=${SMALL_MESSAGES:-2000000}
LARGE=${LARGE_MESSAGES:-500000}

bench() {  # name schema count
  local name=$1 schema=$2 count=$3 topic=bench-$1-$RUN
  echo "== $name messages: produce $count"
  "$NL" produce --topic "$topic" --count "$count" --schema "$schema" | tee -a "$OUT/$name.txt"
  echo "== $name: neuralake ingest (2 cores, MinIO)"
  "$NL" ingest --topic "$topic" --table "s3://lake/bench/ingest-$RUN-$name" --schema "$schema" \
    --group "bench-$RUN" --max-messages 200000 --max-latency 2s --stop-at-end \
    --status-interval 1000s 2>&1 | grep -E "messages \(|^ingested" | tee -a "$OUT/$name.txt"
  echo "== $name: Python peer"
  "$PY" bench/peers/ingest_peer.py --topic "$topic" --table "s3://lake/bench/peer-$RUN-$name" \
    --count "$count" --max-messages 200000 --max-latency 2 | tee -a "$OUT/$name.txt"
}
bench small telemetry "$SMALL"
bench large bench/ingest/kb_messages.yaml "$LARGE"

echo "== produce -> queryable latency: 2,000 msg/s for 30 s, flush every 1 s"
topic=bench-latency-$RUN
table=/tmp/neuralake-bench-latency-$RUN
"$NL" produce --topic "$topic" --count 1 --schema telemetry >/dev/null  # create the topic
"$NL" ingest --topic "$topic" --table "$table" --schema telemetry --group "lat-$RUN" \
  --max-latency 1s --status-interval 1000s >"$OUT/latency-ingest.log" 2>&1 &
ingest=$!
sleep 3
"$NL" produce --topic "$topic" --count 60000 --first-row 1 --rate 2000 --schema telemetry
sleep 3
kill -TERM $ingest; wait $ingest || true
"$PY" bench/ingest/latency.py --bin "$NL" --table "$table" | tee "$OUT/latency.txt"
rm -rf "$table"
echo "results in $OUT"
