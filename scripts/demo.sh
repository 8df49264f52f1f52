#!/usr/bin/env bash
# `make demo`: the platform end to end on the local services, printing what it does.
# Assumes `make setup build services-up` ran (the Makefile does that first).
set -euo pipefail
cd "$(dirname "$0")/.."
NL=${NEURALAKE_BIN:-build/bin/neuralake}
source scripts/lib.sh
export_minio_env
RUN_ID=$(date +%Y%m%d-%H%M%S)-$$
BASE=s3://lake/demo/$RUN_ID
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. Object store on MinIO ($NEURALAKE_S3_ENDPOINT): put, list, read back, conditional put"
run "$NL" storage put "$BASE/hello.txt" --data "hello from neuralake $RUN_ID"
run "$NL" storage ls "$BASE"
run "$NL" storage cat "$BASE/hello.txt"; echo
if "$NL" storage put "$BASE/hello.txt" --data "second writer" --if-absent 2>"$WORK/err"; then
  echo "unexpected: put-if-absent overwrote an existing object" >&2; exit 1
fi
echo "put-if-absent on an existing key was refused as expected: $(cat "$WORK/err")"

if "$NL" table --help >/dev/null 2>&1; then
  TABLE=$BASE/trips
  step "2. Delta table on MinIO: create (partitioned), append, schema evolution"
  {
    echo "trip_id,city,fare,distance_km"
    for i in $(seq 1 1000); do
      printf '%d,%s,%d.%02d,%d\n' "$i" "$(case $((i % 3)) in 0) echo paris;; 1) echo berlin;; *) echo tokyo;; esac)" \
        $((5 + i % 40)) $((i % 100)) $((1 + i % 30))
    done
  } > "$WORK/trips_v0.csv"
  {
    echo "trip_id,city,fare,distance_km,tip"
    for i in $(seq 1001 1500); do
      printf '%d,%s,%d.50,%d,%d\n' "$i" "$(case $((i % 2)) in 0) echo paris;; *) echo lima;; esac)" \
        $((7 + i % 20)) $((2 + i % 10)) $((i % 5))
    done
  } > "$WORK/trips_v1.csv"
  run "$NL" table create "$TABLE" --from "$WORK/trips_v0.csv" --partition-by city
  run "$NL" table append "$TABLE" --from "$WORK/trips_v1.csv" --schema-mode merge
  run "$NL" table describe "$TABLE"
  run "$NL" table history "$TABLE"

  step "3. Reads: latest version and time travel to version 0"
  run "$NL" table read "$TABLE" --limit 5
  latest=$("$NL" table read "$TABLE" --format csv | tail -n +2 | wc -l)
  v0=$("$NL" table read "$TABLE" --version 0 --format csv | tail -n +2 | wc -l)
  echo "rows at latest version: $latest (expected 1500); rows at version 0: $v0 (expected 1000)"
  [ "$latest" -eq 1500 ] && [ "$v0" -eq 1000 ] || { echo "demo: row counts are wrong" >&2; exit 1; }

  step "4. Overwrite one partition, delete another, checkpoint"
  run "$NL" table delete "$TABLE" --where "city = 'lima'"
  run "$NL" table checkpoint "$TABLE"
  run "$NL" table history "$TABLE"
  after=$("$NL" table read "$TABLE" --format csv | tail -n +2 | wc -l)
  echo "rows after deleting city='lima': $after"
  run "$NL" storage ls "$TABLE/_delta_log"
fi

step "5. Generator: 200,000 synthetic click events straight into a Delta table, many small files"
EVENTS=$BASE/events
run "$NL" generate --schema events --rows 200000 --seed 7 --format delta --output "$EVENTS" \
  --rows-per-file 10000 --files-per-commit 5
run "$NL" table describe "$EVENTS"
run "$NL" table history "$EVENTS"
events=$("$NL" table read "$EVENTS" --format csv | tail -n +2 | wc -l)
echo "rows in $EVENTS: $events (expected 200000)"
[ "$events" -eq 200000 ] || { echo "demo: generated row count is wrong" >&2; exit 1; }
run "$NL" generate --schema telemetry --rows 5 --seed 1 --format csv --output -

step "6. Low-latency writer pattern: writer (20 small commits), compactor, vacuumer"
STREAM=$BASE/stream
run "$NL" writer "$STREAM" --schema telemetry --rows-per-commit 2000 --interval 0 --commits 20 | tail -3
run "$NL" table describe "$STREAM" | grep -E "^(version|files|rows)"
run "$NL" compactor "$STREAM" --iterations 1 --target-size 64MB
run "$NL" vacuumer "$STREAM" --iterations 1 --retention-hours 0 --force-retention
run "$NL" table describe "$STREAM" | grep -E "^(version|files|rows)"
streamed=$("$NL" table read "$STREAM" --format csv | tail -n +2 | wc -l)
echo "rows after compaction and vacuum: $streamed (expected 40000)"
[ "$streamed" -eq 40000 ] || { echo "demo: compaction changed the row count" >&2; exit 1; }
# A restarted writer resumes after the last batch the table recorded (Delta txn), never repeating one.
run "$NL" writer "$STREAM" --schema telemetry --rows-per-commit 2000 --interval 0 --commits 1
if "$NL" table vacuum "$STREAM" --retention-hours 1 2>"$WORK/err"; then
  echo "unexpected: a 1-hour retention was accepted without --force-retention" >&2; exit 1
fi
echo "short retention without --force-retention refused as expected: $(cat "$WORK/err")"

step "7. SQL over the lake: a catalog file, catalog-resolved Delta scans with file pruning, Z-ORDER, time travel"
CATALOG=$WORK/catalog.yaml
cat > "$CATALOG" <<YAML
databases:
  demo:
    tables:
      events: {type: delta, uri: "$EVENTS", description: "generated click events"}
      stream: {type: delta, uri: "$STREAM", description: "writer/compactor/vacuumer output"}
YAML
run "$NL" catalog ls --catalog "$CATALOG"
run "$NL" sql --catalog "$CATALOG" \
  "SELECT event_type, count(*) AS events, round(sum(revenue), 2) AS revenue
   FROM demo.events GROUP BY event_type ORDER BY events DESC LIMIT 5"
# A narrow id range: the Delta min/max statistics let the scan skip most files (see the scan line).
run "$NL" sql --catalog "$CATALOG" "SELECT count(*) FROM demo.events WHERE event_id BETWEEN 50000 AND 50999"
# Z-ORDER by (user_id, event_time): a user_id filter, which no file could skip before, now skips
# files by statistics too (the scan lines show files read before and after).
run "$NL" sql --catalog "$CATALOG" "SELECT count(*) AS user_42_events FROM demo.events WHERE user_id = 42"
run "$NL" table optimize "$EVENTS" --zorder-by user_id,event_time --target-size 1MB
run "$NL" sql --catalog "$CATALOG" "SELECT count(*) AS user_42_events FROM demo.events WHERE user_id = 42"
run "$NL" sql --catalog "$CATALOG" "SELECT count(*) AS rows_at_v0 FROM delta_at('demo.events', 0)"
run "$NL" sql --catalog "$CATALOG" --format csv "SELECT count(*) AS stream_rows FROM demo.stream"
if "$NL" sql --catalog "$CATALOG" "SELECT * FROM read_csv('/etc/passwd')" 2>"$WORK/err"; then
  echo "unexpected: the SQL surface read a local file" >&2; exit 1
fi
echo "reading a file outside the catalog refused as expected: $(head -1 "$WORK/err")"

step "8. Streaming ingestion: Kafka producer -> 2 ingest processes -> Bronze Delta table, exactly once"
TOPIC=demo-events-$(date +%s)-$$
BRONZE=$BASE/bronze
cat >> "$CATALOG" <<YAML
      bronze: {type: delta, uri: "$BRONZE", description: "Kafka -> Bronze, exactly once"}
      bronze_dead_letters: {type: delta, uri: "${BRONZE}_dead_letters"}
YAML
# The first 1,000 messages create the topic (4 partitions, the broker default).
run "$NL" produce --topic "$TOPIC" --count 1000 --schema events --key user_id
# Two members of one consumer group share the partitions (started as services would be).
for member in 1 2; do
  "$NL" ingest --topic "$TOPIC" --table "$BRONZE" --schema events --group "demo-$$" \
    --max-latency 500ms --status-interval 60s >"$WORK/ingest$member.log" 2>&1 &
  eval "ingest$member=\$!"
done
for _ in $(seq 1 60); do
  [ "$(cat "$WORK"/ingest[12].log | grep -c 'assigned partitions [0-9]')" -ge 2 ] && break
  sleep 0.5
done
run "$NL" produce --topic "$TOPIC" --count 99000 --first-row 1000 --schema events --key user_id
for _ in $(seq 1 120); do
  n=$("$NL" sql --catalog "$CATALOG" --quiet --format csv "SELECT count(*) FROM demo.bronze" 2>/dev/null | tail -1)
  [ "${n:-0}" -ge 100000 ] && break
  sleep 0.5
done
kill -TERM "$ingest1" "$ingest2"; wait "$ingest1" "$ingest2"
for member in 1 2; do
  echo "ingest process $member:"; grep -E "assigned|^ingested" "$WORK/ingest$member.log" | sed 's/^/  /'
done
# Bad messages go to a dead-letter table; good ones are not held back.
printf 'not json\n{"event_id": "seven"}\n' > "$WORK/bad.txt"
run "$NL" produce --topic "$TOPIC" --from-file "$WORK/bad.txt"
run "$NL" ingest --topic "$TOPIC" --table "$BRONZE" --group "demo-$$" --stop-at-end --status-interval 60s
run "$NL" sql --catalog "$CATALOG" \
  "SELECT count(*) AS rows, count(DISTINCT event_id) AS distinct_events,
          count(DISTINCT _kafka_partition) AS partitions FROM demo.bronze"
ingested=$("$NL" sql --catalog "$CATALOG" --quiet --format csv "SELECT count(DISTINCT event_id) FROM demo.bronze" | tail -1)
[ "$ingested" -eq 100000 ] || { echo "demo: expected 100000 distinct events, got $ingested" >&2; exit 1; }
run "$NL" sql --catalog "$CATALOG" "SELECT _kafka_partition, _kafka_offset, error FROM demo.bronze_dead_letters"
# Restarting a consumer resumes from the offsets recorded in the table: nothing is read twice.
run "$NL" ingest --topic "$TOPIC" --table "$BRONZE" --group "demo-$$" --stop-at-end --status-interval 60s

step "9. Query API: neuralake serve over the catalog, queried with curl (JSON, a filter, paging, CSV)"
"$NL" serve --catalog "$CATALOG" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
API=$(grep -o 'http://[0-9.:]*' "$WORK/serve.out" | head -1)
[ -n "$API" ] || { echo "demo: the server did not start: $(cat "$WORK/serve.log")" >&2; exit 1; }
cat "$WORK/serve.out"
show() { echo "\$ curl -s '$1'"; curl -sf "$1"; echo; }
show "$API/api/v1/health"
show "$API/api/v1/tables/demo/events/schema"
show "$API/api/v1/tables/demo/events?country=DE&revenue__gt=50&_columns=event_id,country,revenue&_sort=-revenue&_size=3"
next=$(curl -sf "$API/api/v1/tables/demo/events?_columns=event_id&_size=2&_sort=event_id" | grep -o '"next": "[^"]*"' | cut -d'"' -f4)
show "$API/api/v1/tables/demo/events?_columns=event_id&_size=2&_sort=event_id&_next=$next"
show "$API/api/v1/tables/demo/events?_columns=event_id,event_type&_size=3&_sort=event_id&_format=csv"
echo "\$ curl -s -X POST $API/api/v1/sql -d '{\"sql\": \"SELECT event_type, count(*) AS n FROM demo.events GROUP BY 1 ORDER BY 2 DESC LIMIT \$1\", \"params\": [2]}'"
curl -sf -X POST "$API/api/v1/sql" \
  -d '{"sql": "SELECT event_type, count(*) AS n FROM demo.events GROUP BY 1 ORDER BY 2 DESC LIMIT $1", "params": [2]}'
status=$(curl -s -o "$WORK/bad.json" -w '%{http_code}' "$API/api/v1/tables/demo/events?event_id=seven")
echo "a value of the wrong type is refused as expected: HTTP $status $(cat "$WORK/bad.json")"
kill -TERM "$server"; wait "$server" || true
echo "server log (one line per request):"; cat "$WORK/serve.log"

step "10. Web UI: the same server answers the browser at / ; a static catalog site for file://"
grep 'web UI at' "$WORK/serve.out" || echo "(no built web UI found: scripts/setup.sh web builds web/dist)"
echo "run it yourself: $NL serve --catalog $CATALOG --port 8080, then open http://127.0.0.1:8080/"
run "$NL" catalog export --catalog "$CATALOG" --site "$WORK/catalog-site"
run "$NL" catalog export --catalog "$CATALOG" --format json --output "$WORK/catalog.json"
echo "static catalog: file://$WORK/catalog-site/index.html (the description alone: $WORK/catalog.json)"

step "11. Catalog sources: a PostgreSQL users table joined with the Delta events table in one SQL query"
PG_PORT_FILE=${NEURALAKE_CACHE:-$HOME/.cache/neuralake}/run/postgres.port
if command -v psql >/dev/null && [ -f "$PG_PORT_FILE" ]; then
  PG_DSN="host=127.0.0.1 port=$(cat "$PG_PORT_FILE") dbname=neuralake user=postgres"
  # 100,000 users (every user_id the generator draws), refreshed on each run.
  run psql -q -v ON_ERROR_STOP=1 "$PG_DSN" -c "SET client_min_messages = warning;
    CREATE SCHEMA IF NOT EXISTS demo_app;
    DROP TABLE IF EXISTS demo_app.users;
    CREATE TABLE demo_app.users AS SELECT g::bigint AS user_id, 'user ' || g AS name,
      (ARRAY['free', 'free', 'pro', 'team'])[1 + g % 4] AS plan,
      (ARRAY['DE', 'FR', 'JP', 'BR', 'US', 'IN'])[1 + (g * 7) % 6] AS home_country,
      DATE '2024-01-01' + (g % 700) AS signed_up FROM generate_series(1, 100000) g;
    ALTER TABLE demo_app.users ADD PRIMARY KEY (user_id); ANALYZE demo_app.users;"
  # A second database in the same catalog: PostgreSQL (password, if any, from PGPASSWORD or
  # .pgpass, never in the file), a view over both sources, and a generated function table.
  cat >> "$CATALOG" <<YAML
  app:
    tables:
      users: {type: postgres, dsn: "$PG_DSN", table: demo_app.users, owner: app-team,
              description: "application users (PostgreSQL)", unique_columns: [user_id]}
      pro_events: {type: view, description: "events of users on the pro plan",
                   sql: "SELECT e.*, u.name FROM demo.events e JOIN app.users u ON e.user_id = u.user_id WHERE u.plan = 'pro'"}
      sample: {type: function, function: generate, args: {schema: events, rows: 1000, seed: 3}}
YAML
  run "$NL" catalog ls --catalog "$CATALOG"
  run "$NL" sql --catalog "$CATALOG" \
    "SELECT u.plan, u.home_country, count(*) AS events, count(DISTINCT u.user_id) AS users,
            round(sum(e.revenue), 2) AS revenue
     FROM demo.events e JOIN app.users u ON e.user_id = u.user_id
     GROUP BY u.plan, u.home_country ORDER BY events DESC LIMIT 5"
  joined=$("$NL" sql --catalog "$CATALOG" --quiet --format csv \
    "SELECT count(*) FROM demo.events e JOIN app.users u ON e.user_id = u.user_id" | tail -1)
  echo "events joined to a user: $joined (expected 200000: every generated user_id is a user)"
  [ "$joined" -eq 200000 ] || { echo "demo: the Delta x PostgreSQL join lost rows" >&2; exit 1; }
  # A filter on the PostgreSQL table runs in PostgreSQL (a parameterized WHERE), not in neuralake.
  run "$NL" sql --catalog "$CATALOG" \
    "SELECT user_id, name, plan FROM app.users WHERE plan = 'team' AND user_id BETWEEN 100 AND 120"
  run "$NL" sql --catalog "$CATALOG" \
    "SELECT name, count(*) AS events FROM app.pro_events GROUP BY name ORDER BY events DESC, name LIMIT 3"
  run "$NL" sql --catalog "$CATALOG" \
    "SELECT count(*) AS rows, count(DISTINCT country) AS countries FROM app.sample"
else
  echo "(skipped: needs psql and PostgreSQL from scripts/services.sh up postgres)"
fi

step "12. Materialized views and data quality: a gold MV over the Bronze table refreshed incrementally after new messages; an expectation drops bad rows into quarantine"
# A second catalog over the same Bronze table: expectations on it (drop, warn, fail), its
# quarantine and the _quality results table, and a gold materialized view stored on MinIO.
QCATALOG=$WORK/lakehouse.yaml
GOLD=$BASE/gold/events_by_type
cat > "$QCATALOG" <<YAML
databases:
  demo:
    tables:
      bronze:
        type: delta
        uri: "$BRONZE"
        expectations:
          - {name: non_negative_revenue, type: range, column: revenue, min: 0, on_violation: drop}
          - {name: has_user, type: not_null, column: user_id, on_violation: drop}
          - {name: known_event_type, type: accepted_values, column: event_type, on_violation: warn,
             values: [page_view, click, search, add_to_cart, checkout, purchase, signup, logout]}
          - {name: one_row_per_event, type: unique, columns: [event_id], on_violation: fail}
      bronze_quarantine: {type: delta, uri: "${BRONZE}_quarantine", description: "rows dropped by expectations"}
      quality: {type: delta, uri: "$BASE/_quality", description: "every expectation run (check, append, ingest)"}
  gold:
    tables:
      events_by_type:
        type: materialized_view
        uri: "$GOLD"
        sql: "SELECT event_type, country, count(*) AS events, sum(revenue) AS revenue FROM demo.bronze GROUP BY event_type, country"
        expectations:
          - {name: counted, type: range, column: events, min: 1, on_violation: fail}
      quality: {type: delta, uri: "$BASE/gold/_quality", description: "the view's expectations, checked on each refresh"}
YAML
run "$NL" mv refresh gold.events_by_type --catalog "$QCATALOG"
# 2,000 more events, then three hand-written ones: a negative revenue and a missing user (both
# dropped into the quarantine) and an unknown event type (kept, with a warning).
run "$NL" produce --topic "$TOPIC" --count 2000 --first-row 100000 --schema events --key user_id
cat > "$WORK/late.jsonl" <<'JSON'
{"event_id": 900001, "event_time": "2026-01-02T10:00:00Z", "user_id": 42, "event_type": "purchase", "country": "DE", "device": "mobile", "duration_ms": 812.0, "revenue": -19.99}
{"event_id": 900002, "event_time": "2026-01-02T10:00:01Z", "user_id": null, "event_type": "click", "country": "FR", "device": "desktop", "duration_ms": 95.5, "revenue": null}
{"event_id": 900003, "event_time": "2026-01-02T10:00:02Z", "user_id": 43, "event_type": "refund", "country": "JP", "device": "mobile", "duration_ms": 40.0, "revenue": null}
JSON
run "$NL" produce --topic "$TOPIC" --from-file "$WORK/late.jsonl"
run "$NL" ingest --topic "$TOPIC" --table "$BRONZE" --group "demo-$$" --stop-at-end --status-interval 60s \
  --catalog "$QCATALOG" --quarantine "${BRONZE}_quarantine"
# Exactly once: a rerun resumes after the quarantined offsets too, reading nothing again.
run "$NL" ingest --topic "$TOPIC" --table "$BRONZE" --group "demo-$$" --stop-at-end --status-interval 60s \
  --catalog "$QCATALOG" --quarantine "${BRONZE}_quarantine"
counts=$("$NL" sql --catalog "$QCATALOG" --quiet --format csv \
  "SELECT concat((SELECT count(*) FROM demo.bronze), ' ', (SELECT count(*) FROM demo.bronze_quarantine))" | tail -1)
echo "bronze rows: ${counts% *} (expected 102001), quarantined rows: ${counts#* } (expected 2)"
[ "$counts" = "102001 2" ] || { echo "demo: ingest with expectations wrote the wrong rows" >&2; exit 1; }
run "$NL" mv status --catalog "$QCATALOG"
run "$NL" mv refresh gold.events_by_type --catalog "$QCATALOG" | tee "$WORK/refresh.out"
grep -q "mode incremental" "$WORK/refresh.out" || { echo "demo: the second refresh was not incremental" >&2; exit 1; }
run "$NL" sql --catalog "$QCATALOG" \
  "SELECT event_type, sum(events) AS events, round(sum(revenue), 2) AS revenue
   FROM gold.events_by_type GROUP BY event_type ORDER BY events DESC"
# The view equals its query recomputed over the Bronze table (sums of doubles to 1e-6).
differ=$("$NL" sql --catalog "$QCATALOG" --quiet --format csv \
  "WITH f AS (SELECT event_type, country, count(*) AS events, sum(revenue) AS revenue
              FROM demo.bronze GROUP BY event_type, country)
   SELECT count(*) FROM gold.events_by_type m FULL JOIN f USING (event_type, country)
   WHERE m.events IS DISTINCT FROM f.events OR (m.revenue IS NULL) <> (f.revenue IS NULL)
      OR abs(m.revenue - f.revenue) > 1e-6" | tail -1)
echo "groups where the view differs from a full recompute: $differ (expected 0)"
[ "$differ" -eq 0 ] || { echo "demo: the incremental view differs from its query" >&2; exit 1; }
run "$NL" sql --catalog "$QCATALOG" \
  "SELECT event_id, user_id, event_type, revenue, _expectation, _kafka_partition, _kafka_offset
   FROM demo.bronze_quarantine ORDER BY event_id"
run "$NL" check demo.bronze --catalog "$QCATALOG"
run "$NL" sql --catalog "$QCATALOG" \
  "SELECT operation, version, expectation, action, rows_checked, violations, passed, sample
   FROM demo.quality ORDER BY checked_at, expectation"
# The view's own expectations ran on the rows each refresh committed.
run "$NL" sql --catalog "$QCATALOG" \
  "SELECT operation, expectation, action, rows_checked, violations, passed FROM gold.quality ORDER BY checked_at"
# A CHECK constraint is the table's own rule: every writer is held to it, catalog or not.
run "$NL" table constraint add "$BRONZE" revenue_not_negative "revenue IS NULL OR revenue >= 0"
run "$NL" table constraint list "$BRONZE"
echo '{"event_id": 900004, "event_time": "2026-01-02T11:00:00Z", "user_id": 44, "event_type": "purchase", "country": "US", "revenue": -5.0}' \
  > "$WORK/negative.jsonl"
if "$NL" table append "$BRONZE" --from "$WORK/negative.jsonl" 2>"$WORK/err"; then
  echo "unexpected: an append violating a CHECK constraint was committed" >&2; exit 1
fi
echo "an append violating the CHECK constraint was refused as expected: $(head -1 "$WORK/err")"

step "13. Spark (local[2], Delta on s3a) runs the ELT job over the Bronze table we ingested; we query its gold table"
scripts/setup.sh spark
SPARK_BASE=$BASE/spark
cat >> "$QCATALOG" <<YAML
  spark:
    tables:
      silver: {type: delta, uri: "$SPARK_BASE/silver", description: "typed, deduplicated events (Spark ELT)"}
      rejects: {type: delta, uri: "$SPARK_BASE/silver_rejects"}
      gold: {type: delta, uri: "$SPARK_BASE/gold", description: "daily revenue and sessions by country and device (Spark ELT)"}
YAML
echo "\$ scripts/spark-submit.sh spark/elt.py --bronze $BRONZE --silver $SPARK_BASE/silver ..."
scripts/spark-submit.sh spark/elt.py --bronze "$BRONZE" --silver "$SPARK_BASE/silver" \
  --rejects "$SPARK_BASE/silver_rejects" --gold "$SPARK_BASE/gold" 2>"$WORK/spark.log" |
  tee "$WORK/spark.out" || { tail -30 "$WORK/spark.log" >&2; exit 1; }
run "$NL" table history "$SPARK_BASE/silver"
run "$NL" sql --catalog "$QCATALOG" \
  "SELECT (SELECT count(*) FROM demo.bronze) AS bronze_rows, (SELECT count(*) FROM spark.silver) AS silver_rows,
          (SELECT count(*) FROM spark.rejects) AS rejected_rows"
run "$NL" sql --catalog "$QCATALOG" \
  "SELECT country, device, sum(events) AS events, round(sum(revenue), 2) AS revenue
   FROM spark.gold GROUP BY ALL ORDER BY revenue DESC, country, device LIMIT 5"

step "14. Row-level DML with deletion vectors: DELETE, UPDATE and MERGE by any predicate"
DML=$BASE/events_dv
run "$NL" generate --schema events --rows 20000 --seed 11 --format csv --output "$WORK/events_dv.csv"
run "$NL" table create "$DML" --from "$WORK/events_dv.csv" --property delta.enableDeletionVectors=true \
  --target-file-size 256KB
cat >> "$QCATALOG" <<YAML
  dml:
    tables:
      events: {type: delta, uri: "$DML", description: "events changed by DELETE / UPDATE / MERGE with deletion vectors"}
YAML
run "$NL" table delete "$DML" --where "event_id % 100 = 7"
run "$NL" table update "$DML" --set "revenue = round(revenue * 0.9, 2), event_type = 'discounted'" \
  --where "event_type = 'purchase' AND country = 'DE'"
# Upserts: 400 existing events corrected, 50 new ones.
run "$NL" sql --catalog "$QCATALOG" --format csv --output "$WORK/merge_source.csv" \
  "SELECT * REPLACE ('corrected' AS event_type) FROM dml.events WHERE event_id % 50 = 3
   UNION ALL SELECT * REPLACE (event_id + 1000000 AS event_id, 'corrected' AS event_type)
   FROM dml.events WHERE event_id BETWEEN 10 AND 59"
run "$NL" table merge "$DML" --source "$WORK/merge_source.csv" --on "t.event_id = s.event_id" \
  --when-matched-update-all --when-not-matched-insert-all
run "$NL" table history "$DML" --limit 4
counts=$("$NL" sql --catalog "$QCATALOG" --format csv \
  "SELECT count(*) AS rows, count(*) FILTER (WHERE event_type = 'corrected') AS corrected,
          count(*) FILTER (WHERE event_type = 'discounted') AS discounted FROM dml.events" | tail -1)
echo "rows, corrected, discounted: $counts (expected 19850 rows: 20000 - 200 deleted + 50 inserted; 450 corrected)"
case "$counts" in 19850,450,*) ;; *) echo "demo: DML row counts are wrong" >&2; exit 1 ;; esac
run "$NL" table optimize "$DML"
run "$NL" sql --catalog "$QCATALOG" "SELECT count(*) AS rows_after_optimize FROM dml.events"

step "15. Benchmark harness: TPC-H at SF 0.01 on MinIO, our engine beside DuckDB, Polars and DataFusion; answers compared, results in bench.runs"
# A tiny run (make bench-suite SF=1 ENGINES=all for real figures: docs/benchmarks.md).
BENCH_OUT=$("$VENV/bin/python" bench/harness/harness.py --suites tpch --sf 0.01 \
  --engines neuralake,neuralake-cli,duckdb,polars,datafusion --repeats 2 --concurrency 1,4 \
  --throughput-rounds 1 --datasets-root "$BASE/bench" --runs-table "$BASE/bench/runs" \
  | tee /dev/stderr | tail -1)
sed -n '/^## Geomean per engine/,/^## tpch/p' "$BENCH_OUT/summary.md" | grep '^|'
printf 'databases:\n  bench:\n    tables:\n      runs: {type: delta, uri: "%s"}\n' "$BASE/bench/runs" \
  > "$WORK/bench-catalog.yaml"
run "$NL" sql --catalog "$WORK/bench-catalog.yaml" \
  "SELECT engine, count(*) FILTER (WHERE match IN ('exact', 'tolerance')) AS agreeing_answers,
          round(exp(avg(ln(p50_ms))), 1) AS geomean_warm_ms
   FROM bench.runs WHERE kind = 'query' AND status = 'ok' GROUP BY engine ORDER BY geomean_warm_ms"
echo "report: $BENCH_OUT/report.html (plots beside it)"

step "Done. Everything the demo wrote is under $BASE (MinIO console: http://127.0.0.1:9001)"
