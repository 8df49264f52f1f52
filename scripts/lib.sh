# Shared helpers for the project's scripts. Source it; do not run it.
NEURALAKE_CACHE=${NEURALAKE_CACHE:-$HOME/.cache/neuralake}
export NEURALAKE_CACHE
NL_BIN=$NEURALAKE_CACHE/bin
NL_RUN=$NEURALAKE_CACHE/run
NL_LOGS=$NEURALAKE_CACHE/logs
NL_DATA=$NEURALAKE_CACHE/data
mkdir -p "$NL_BIN" "$NL_RUN" "$NL_LOGS" "$NL_DATA"

DUCKDB_VERSION=1.4.4
DUCKDB_NODE_BINDINGS=1.4.4-r.4
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
KAFKA_VERSION=3.9.1
KAFKA_HOME=$NEURALAKE_CACHE/kafka-$KAFKA_VERSION
PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=${NEURALAKE_PG_PORT:-55432}
VENV=$NEURALAKE_CACHE/venv

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
