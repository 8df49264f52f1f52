#!/usr/bin/env bash
# Row-level DML benchmark (issue 19): neuralake DELETE / MERGE with deletion vectors and
# copy-on-write vs delta-rs on MinIO, and the scan overhead of deletion vectors. See dml_bench.py.
#   bench/dml/dml_bench.sh [--scale-gb 2] [--merge-rows 10000000] [--merge-upserts 1000000] [--help]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
export_minio_env
unset NEURALAKE_CATALOG
exec "$VENV/bin/python" -u bench/dml/dml_bench.py "$@"
