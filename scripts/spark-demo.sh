#!/usr/bin/env bash
# `make spark-demo`: the dual-engine demo (docs/spark.md). Kafka -> `neuralake ingest` -> Bronze;
# Spark's ELT job (spark/elt.py) -> silver, rejects, gold; `neuralake sql` and the query API over
# the gold table Spark wrote; the same gold query timed in Spark and in neuralake side by side.
# Assumes `make setup build services-up` ran (the Makefile does that first).
#   SPARK_DEMO_EVENTS=100000   events produced (plus 5% re-sent duplicates and a few bad rows)
set -euo pipefail
cd "$(dirname "$0")/.."
NL=${NEURALAKE_BIN:-build/bin/neuralake}
source scripts/lib.sh
export_minio_env
EVENTS=${SPARK_DEMO_EVENTS:-100000}
RUN_ID=$(date +%Y%m%d-%H%M%S)-$$
BASE=s3://lake/spark-demo/$RUN_ID
BRONZE=$BASE/bronze SILVER=$BASE/silver REJECTS=$BASE/silver_rejects GOLD=$BASE/gold/daily
WORK=$(mktemp -d)
server=
cleanup() { [ -z "$server" ] || kill -TERM "$server" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
# json_field KEY...: a member of the JSON after "name: " on stdin (a job's summary line).
json_field() {
  "${NEURALAKE_CACHE:-$HOME/.cache/neuralake}/venv/bin/python" -c '
import json, sys
value = json.loads(sys.stdin.read().split(": ", 1)[1])
for key in sys.argv[1:]:
    value = value[int(key)] if key.isdigit() else value[key]
print(json.dumps(value, sort_keys=True))' "$@"
}

scripts/setup.sh spark

step "1. Kafka -> neuralake ingest -> Bronze: $EVENTS events, then re-sent duplicates and bad rows"
TOPIC=spark-demo-$RUN_ID
INGEST=("$NL" ingest --topic "$TOPIC" --table "$BRONZE" --schema events --group "spark-demo-$$"
        --stop-at-end --status-interval 60s)
run "$NL" produce --topic "$TOPIC" --count "$EVENTS" --schema events --key user_id
run "${INGEST[@]}"
# A producer retrying: 5% of the events sent again (same event_id, new offsets), and rows that
# break the silver rules (they land in Bronze: the ingest schema allows them).
run "$NL" produce --topic "$TOPIC" --count $((EVENTS / 20)) --first-row $((EVENTS / 2)) --schema events --key user_id
cat > "$WORK/bad.jsonl" <<'JSON'
{"event_id": 990001, "event_time": "2026-01-02T10:00:00Z", "user_id": 42, "event_type": "purchase", "country": "DE", "device": "mobile", "revenue": -19.99}
{"event_id": 990002, "event_time": "2026-01-02T10:00:01Z", "user_id": null, "event_type": "click", "country": "FR", "device": "desktop"}
{"event_id": 990003, "event_time": "2026-01-02T10:00:02Z", "user_id": 43, "event_type": "refund", "country": "JP", "device": "mobile"}
{"event_id": 990004, "event_time": "2026-01-02T10:00:03Z", "user_id": 44, "event_type": "click", "country": "Germany", "device": "tablet"}
{"event_id": 990005, "event_time": "2026-01-02T10:00:04Z", "user_id": 45, "event_type": " Purchase ", "country": " de ", "device": "Mobile", "revenue": 25.5}
JSON
run "$NL" produce --topic "$TOPIC" --from-file "$WORK/bad.jsonl"
run "${INGEST[@]}"
CATALOG=$WORK/catalog.yaml
cat > "$CATALOG" <<YAML
databases:
  lake:
    tables:
      bronze: {type: delta, uri: "$BRONZE", description: "Kafka -> Bronze (neuralake ingest)"}
      silver: {type: delta, uri: "$SILVER", description: "typed, deduplicated events by day (Spark ELT)"}
      silver_rejects: {type: delta, uri: "$REJECTS", description: "Bronze rows the ELT rejected, with the reason"}
      gold: {type: delta, uri: "$GOLD", description: "daily revenue and sessions by country and device (Spark ELT)"}
YAML
run "$NL" sql --catalog "$CATALOG" \
  "SELECT count(*) AS bronze_rows, count(DISTINCT event_id) AS distinct_events FROM lake.bronze"

step "2. Spark ELT (local[2], Delta on s3a): Bronze -> silver (MERGE), rejects, gold (MERGE), OPTIMIZE silver"
ELT=(scripts/spark-submit.sh spark/elt.py --bronze "$BRONZE" --silver "$SILVER" --rejects "$REJECTS" --gold "$GOLD")
echo "\$ ${ELT[*]}"
start=$(now)
"${ELT[@]}" 2>"$WORK/elt.log" | tee "$WORK/elt.out" || { tail -30 "$WORK/elt.log" >&2; exit 1; }
elt_wall=$(elapsed "$start")
elt_startup=$(grep '^elt: ' "$WORK/elt.out" | json_field session_startup_seconds)
elt_job=$(grep '^elt: ' "$WORK/elt.out" | json_field total_seconds)
echo "ELT: ${elt_wall} s wall (JVM + Spark session start-up ${elt_startup} s, job ${elt_job} s)"
echo "\$ (the same job again: MERGE finds nothing new, no table gets a new version)"
"${ELT[@]}" 2>"$WORK/elt2.log" | tee "$WORK/elt2.out" || { tail -30 "$WORK/elt2.log" >&2; exit 1; }
rerun=$(grep '^elt: ' "$WORK/elt2.out" | json_field changed_rows)
[ "$rerun" = '{"gold": 0, "rejects": 0, "silver": 0}' ] ||
  { echo "spark-demo: the rerun changed rows: $rerun" >&2; exit 1; }
echo "\$ $NL table history $SILVER"; "$NL" table history "$SILVER" | cut -c1-100

step "3. neuralake sql over the tables Spark wrote"
run "$NL" sql --catalog "$CATALOG" \
  "SELECT reject_reason, count(*) AS rows FROM lake.silver_rejects GROUP BY 1 ORDER BY 2 DESC"
silver_rows=$("$NL" sql --catalog "$CATALOG" --quiet --format csv "SELECT count(*) FROM lake.silver" | tail -1)
echo "silver rows: $silver_rows (expected $((EVENTS + 1)): every event once, plus the row that only needed cleaning)"
[ "$silver_rows" -eq $((EVENTS + 1)) ] || { echo "spark-demo: silver has the wrong row count" >&2; exit 1; }
GOLD_SQL="SELECT country, device, sum(events) AS events, sum(sessions) AS sessions, round(sum(revenue), 2) AS revenue FROM lake.gold GROUP BY country, device ORDER BY revenue DESC, country, device LIMIT 5"
run "$NL" sql --catalog "$CATALOG" "$GOLD_SQL"

step "4. The query API over gold (neuralake serve)"
"$NL" serve --catalog "$CATALOG" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
API=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" | head -1)
[ -n "$API" ] || { echo "spark-demo: the server did not start: $(cat "$WORK/serve.log")" >&2; exit 1; }
show() { echo "\$ curl -s '$1'"; curl -sf "$1"; echo; }
show "$API/api/v1/tables/lake/gold/schema"
show "$API/api/v1/tables/lake/gold?country=DE&_sort=-revenue&_size=3"

step "5. The same gold query in Spark and in neuralake (cold = first run, warm = repeated)"
SPARK_SQL=${GOLD_SQL//lake.gold/gold}
scripts/spark-submit.sh spark/gold_query.py --table "gold=$GOLD" --query "$SPARK_SQL" --repeat 4 \
  2>"$WORK/query.log" >"$WORK/query.out" || { tail -30 "$WORK/query.log" >&2; exit 1; }
spark_startup=$(grep '^spark-query: ' "$WORK/query.out" | json_field session_startup_seconds)
spark_runs=$(grep '^spark-query: ' "$WORK/query.out" | json_field queries 0 seconds)
# neuralake sql: a new process each time (what a shell user pays), the query time it reports.
nl_runs=() nl_wall=()
for _ in 1 2 3 4; do
  start=$(now)
  "$NL" sql --catalog "$CATALOG" "$GOLD_SQL" >"$WORK/nl.out" 2>&1
  nl_wall+=("$(elapsed "$start")")
  nl_runs+=("$(grep -o 'rows in [0-9.]* s' "$WORK/nl.out" | awk '{print $3}')")
done
# The API: one long-running process, POST /api/v1/sql; the first request after start is cold.
api_runs=()
body=$(printf '{"sql": "%s"}' "$GOLD_SQL")
for _ in 1 2 3 4; do
  api_runs+=("$(curl -sf -o /dev/null -w '%{time_total}' -X POST "$API/api/v1/sql" -d "$body")")
done
printf '%-44s %10s %10s\n' "gold query (seconds)" cold warm
printf '%-44s %10s %10s\n' "Spark (spark.sql(...).collect())" "$(echo "$spark_runs" | tr -d '[]' | cut -d, -f1)" \
  "$(echo "$spark_runs" | tr -d '[] ' | cut -d, -f2- | tr , ' ' | awk '{m=$1; for(i=2;i<=NF;i++) if($i<m) m=$i; print m}')"
printf '%-44s %10s %10s\n' "neuralake sql (query time it reports)" "${nl_runs[0]}" \
  "$(printf '%s\n' "${nl_runs[@]:1}" | sort -g | head -1)"
printf '%-44s %10s %10s\n' "neuralake sql (whole process, wall)" "${nl_wall[0]}" \
  "$(printf '%s\n' "${nl_wall[@]:1}" | sort -g | head -1)"
printf '%-44s %10s %10s\n' "neuralake serve (POST /api/v1/sql, curl)" "${api_runs[0]}" \
  "$(printf '%s\n' "${api_runs[@]:1}" | sort -g | head -1)"
echo "Spark session start-up (JVM already launched by spark-submit): ${spark_startup} s, not in the figures above"
echo "Spark runs: $spark_runs; neuralake sql runs: ${nl_runs[*]}; API runs: ${api_runs[*]}"

step "Done. Everything the demo wrote is under $BASE (MinIO console: http://127.0.0.1:9001)"
