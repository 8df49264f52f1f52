#!/usr/bin/env bash
# The postgres table kind's scan rate vs psycopg (COPY TO STDOUT into pandas) on a 5M-row table
# generated server-side, and the fraction of rows a selective pushed filter reads.
#   bench/postgres/pg_scan_bench.sh            (ROWS=5000000 REPEAT=3 by default)
# Needs: the build (pg_scan_bench), PostgreSQL up (scripts/services.sh up postgres), the venv
# with psycopg and pandas.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rows=${ROWS:-5000000}
repeat=${REPEAT:-3}
port=$(cat "${NEURALAKE_CACHE:-$HOME/.cache/neuralake}/run/postgres.port" 2>/dev/null || echo 55432)
dsn="host=127.0.0.1 port=$port dbname=neuralake user=postgres"
python=${NEURALAKE_CACHE:-$HOME/.cache/neuralake}/venv/bin/python
bench=$root/build/bin/pg_scan_bench
[ -x "$bench" ] || { echo "build pg_scan_bench first (cmake --build build --target pg_scan_bench)" >&2; exit 1; }
table=nl_bench.scan_${rows}

have=$(psql "$dsn" -tAc "select count(*) from pg_tables where schemaname='nl_bench' and tablename='scan_${rows}'")
if [ "$have" != 1 ]; then
  echo "loading $rows rows into $table ..."
  psql -q "$dsn" <<SQL
create schema if not exists nl_bench;
create table $table as
  select g::int8 as id, (g % 1000)::int4 as k, (g % 997) * 0.5::float8 as v,
         'name_' || (g % 10007) as name,
         timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' as ts
  from generate_series(1, $rows) g;
vacuum analyze $table;
SQL
fi
selective=$((rows / 200))  # id < rows/200: 0.5% of the rows
echo "table $table: $rows rows (id int8, k int4, v float8, name text, ts timestamptz); best of $repeat"
"$bench" --dsn "$dsn" --table "$table" --sum v --filter-column id --filter-below "$selective" \
  --repeat "$repeat"
"$python" "$root/bench/postgres/pg_copy_peer.py" "$dsn" "$table" v "$repeat"
