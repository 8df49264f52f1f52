"""The `bench.runs` Delta table: every harness run's figures, appended by our own writer.

One row per measured thing, `kind` telling which:
  query       a query (or operation) of a suite on an engine: status, match, checksum, cold and
              warm p50/p95/p99 ms, rows, CPU seconds, bytes read
  throughput  queries/s of an engine at a concurrency
  engine      the worker as a whole: wall and CPU seconds, peak RSS, MinIO bytes and GETs, status
Rows carry the run (run_id, started, git, host, cores, sf), so SQL over the table compares runs:
bench/harness/catalog.yaml declares it for `neuralake sql`, `neuralake serve` and the UI.

The append is idempotent per run (`--txn-app-id bench-harness-<run_id> --txn-version 1`): running
it twice for a run adds its rows once.
"""
import datetime
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

COLUMNS = [
    ("run_id", "string"), ("started", "timestamp"), ("git", "string"), ("host", "string"),
    ("cores", "int32"), ("sf", "float64"), ("suite", "string"), ("engine", "string"),
    ("engine_version", "string"), ("engine_status", "string"), ("kind", "string"),
    ("query", "string"), ("status", "string"), ("match", "string"), ("checksum", "string"),
    ("error", "string"), ("cold_ms", "float64"), ("p50_ms", "float64"), ("p95_ms", "float64"),
    ("p99_ms", "float64"), ("warm_runs", "int32"), ("rows", "int64"), ("cpu_s", "float64"),
    ("bytes_read", "int64"), ("concurrency", "int32"), ("qps", "float64"), ("wall_s", "float64"),
    ("peak_rss_mb", "float64"), ("s3_bytes", "int64"), ("s3_gets", "int64"),
]


def flatten(results):
    base = {"run_id": results["run_id"],
            "started": datetime.datetime.fromisoformat(results["started"]),
            "git": results.get("git"), "host": results.get("host", {}).get("name"),
            "cores": results.get("host", {}).get("cores"), "sf": results.get("sf")}
    rows = []
    for run in results.get("runs", []):
        common = {**base, "suite": run.get("suite"), "engine": run.get("engine"),
                  "engine_version": run.get("engine_version"),
                  "engine_status": run.get("status")}
        rows.append({**common, "kind": "engine", "status": run.get("status"),
                     "error": run.get("error"), "wall_s": run.get("wall_s"),
                     "cpu_s": run.get("cpu_s"), "peak_rss_mb": run.get("peak_rss_mb"),
                     "s3_bytes": run.get("s3_bytes"), "s3_gets": run.get("s3_gets")})
        for q in run.get("queries", []):
            rows.append({**common, "kind": "query", "query": q.get("name"),
                         "status": q.get("status"), "match": q.get("match"),
                         "checksum": q.get("checksum"), "error": q.get("error"),
                         "cold_ms": q.get("cold_ms"), "p50_ms": q.get("p50_ms"),
                         "p95_ms": q.get("p95_ms"), "p99_ms": q.get("p99_ms"),
                         "warm_runs": len(q.get("warm_ms") or []), "rows": q.get("rows"),
                         "cpu_s": q.get("cpu_s"), "bytes_read": q.get("bytes_read")})
        for t in run.get("throughput", []):
            rows.append({**common, "kind": "throughput", "status": "ok" if not t.get("errors")
                         else "errors", "concurrency": t.get("concurrency"), "qps": t.get("qps"),
                         "rows": t.get("queries"), "wall_s": t.get("seconds"),
                         "cpu_s": t.get("cpu_s")})
    return rows


def to_parquet(rows, path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    types = {"string": pa.string(), "int32": pa.int32(), "int64": pa.int64(),
             "float64": pa.float64(), "timestamp": pa.timestamp("us", tz="UTC")}
    schema = pa.schema([(name, types[kind]) for name, kind in COLUMNS])

    def value(row, name, kind):
        v = row.get(name)
        if v is None:
            return None
        if kind == "string":
            return v if isinstance(v, str) else json.dumps(v)
        if kind in ("int32", "int64"):
            return int(v)
        if kind == "float64":
            return float(v)
        return v

    columns = {name: [value(r, name, kind) for r in rows] for name, kind in COLUMNS}
    pq.write_table(pa.table(columns, schema=schema), path)


def catalog_for(table_uri, directory):
    path = os.path.join(directory, "runs-catalog.yaml")
    with open(path, "w") as f:
        f.write(f'databases:\n  bench:\n    tables:\n      runs: {{type: delta, uri: "{table_uri}"}}\n')
    return path


def append(run, table_uri, results_path):
    with open(results_path) as f:
        results = json.load(f)
    rows = flatten(results)
    if not rows:
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "runs.parquet")
        to_parquet(rows, path)
        txn = ["--txn-app-id", f"bench-harness-{results['run_id']}", "--txn-version", "1"]
        exists = subprocess.run([run.neuralake, "table", "describe", table_uri],
                                capture_output=True, text=True).returncode == 0
        if exists:
            args = [run.neuralake, "table", "append", table_uri, "--from", path,
                    "--schema-mode", "merge", *txn]
        else:
            args = [run.neuralake, "table", "create", table_uri, "--from", path, *txn]
        out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        message = (out.stderr.strip().splitlines() or ["?"])[-1]
        print(f"[harness] bench.runs append failed: {message}", flush=True)
        return
    print(f"[harness] appended {len(rows)} rows to bench.runs ({table_uri})", flush=True)


def history(neuralake, directory, suite_list, table_uri, exclude_run=""):
    """Runs' geomean latencies per (run, sf, suite, engine) from the table, for the scaling plot
    (without `exclude_run`, whose own figures the report has already)."""
    catalog = catalog_for(table_uri, directory)
    suites = ", ".join("'" + s.replace("'", "''") + "'" for s in suite_list) or "''"
    sql = f"""
        SELECT run_id, sf, suite, engine,
               exp(avg(ln(p50_ms))) AS geomean_warm_ms, exp(avg(ln(cold_ms))) AS geomean_cold_ms,
               count(*) AS queries
        FROM bench.runs
        WHERE kind = 'query' AND status = 'ok' AND p50_ms > 0 AND cold_ms > 0
          AND suite IN ({suites}) AND run_id <> '{exclude_run.replace("'", "''")}'
        GROUP BY ALL ORDER BY sf, run_id, suite, engine"""
    out = subprocess.run([neuralake, "sql", "--catalog", catalog, "--format", "json",
                          "--quiet", sql], capture_output=True, text=True)
    if out.returncode != 0:
        return []  # no table yet
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
