#!/usr/bin/env bash
# `make bench-suite SUITE=tpch,events SF=1 ENGINES=all [REPEATS=5] [CONCURRENCY=1,4,16]`: the
# benchmark harness (bench/harness/, docs/benchmarks.md). Datasets are generated to MinIO once
# per scale factor and reused; every engine runs in its own process; answers are compared; the
# run lands in $NEURALAKE_CACHE/bench/runs/<run id>/ (results.json, report.html, summary.md,
# plots) and in the bench.runs Delta table. The last line printed is that folder.
# Extra harness flags: HARNESS_ARGS="--no-generate --queries q01,q06 ..."
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
eval "$(scripts/services.sh env)"
SUITE=${SUITE:-tpch}
SF=${SF:-1}
ENGINES=${ENGINES:-all}
if [[ ",$ENGINES," == *",spark,"* || "$ENGINES" == all ]]; then
  scripts/setup.sh spark >/dev/null
fi
exec "$VENV/bin/python" bench/harness/harness.py --suites "$SUITE" --sf "$SF" \
  --engines "$ENGINES" --repeats "${REPEATS:-5}" --concurrency "${CONCURRENCY:-1,4,16}" \
  ${HARNESS_ARGS:-}
