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

# The local MinIO as the neuralake CLI and Spark reach it, unless the caller set otherwise.
export_minio_env() {
  export NEURALAKE_S3_ENDPOINT=${NEURALAKE_S3_ENDPOINT:-http://127.0.0.1:9000}
  export NEURALAKE_S3_ACCESS_KEY=${NEURALAKE_S3_ACCESS_KEY:-minioadmin}
  export NEURALAKE_S3_SECRET_KEY=${NEURALAKE_S3_SECRET_KEY:-minioadmin}
  export NEURALAKE_S3_REGION=${NEURALAKE_S3_REGION:-us-east-1}
}
