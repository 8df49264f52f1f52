"""Query-suite worker for the Python-driven engines (see PROTOCOL.md).

    worker.py PLAN.json

Engines:
  neuralake-cli  `neuralake sql --format json` per query (a process per run: start-up, catalog,
                 snapshot and query, as a user at a shell sees it)
  duckdb         DuckDB-Python over the Delta tables' active Parquet files on MinIO, through
                 delta-rs's pyarrow dataset (DuckDB's httpfs/delta extensions are downloads, which
                 these machines do not reach)
  duckdb-local   DuckDB-Python's own Parquet reader over a local copy of the same active files
                 (plan "tables".<t>."local_files"): the fastest DuckDB path, a reference
  polars         Polars SQLContext over pl.scan_delta (delta-rs underneath) on MinIO
  datafusion     DataFusion (PyPI) over the Delta table's Parquet files on MinIO (a listing
                 table; checked against the snapshot's row count), delta-rs's table provider for
                 local tables
  spark          PySpark local[*] with Delta on s3a (tests/spark_support/nlspark.py)

A query an engine fails is recorded with its error and the worker goes on; a query over its
timeout stops the worker (the engine cannot be interrupted safely) after writing what it has.
"""
import base64
import datetime
import decimal
import json
import math
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from procstats import minio_counters, tree_cpu, tree_rchar  # noqa: E402


def storage_options(plan):
    s = plan.get("storage") or {}
    return {
        "AWS_ENDPOINT_URL": s.get("endpoint", "http://127.0.0.1:9000"),
        "AWS_ACCESS_KEY_ID": s.get("access_key", "minioadmin"),
        "AWS_SECRET_ACCESS_KEY": s.get("secret_key", "minioadmin"),
        "AWS_REGION": s.get("region", "us-east-1"),
        "AWS_ALLOW_HTTP": "true",
    }


def cell(value):
    """A result cell as JSON (PROTOCOL.md: numbers, ISO dates and timestamps, text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if hasattr(value, "item"):  # numpy scalars
        return cell(value.item())
    if isinstance(value, (list, tuple)):
        return [cell(v) for v in value]
    if isinstance(value, dict):
        return {str(k): cell(v) for k, v in value.items()}
    return str(value)


# ---------------------------------------------------------------------------------------------
# Engines: setup(plan) once, run(sql) -> (columns, rows) from any thread, version().


class DuckDBEngine:
    name = "duckdb"

    def setup(self, plan):
        import duckdb
        from deltalake import DeltaTable
        self.duckdb = duckdb
        self.con = duckdb.connect()
        if plan.get("threads"):
            self.con.execute(f"SET threads = {int(plan['threads'])}")
        self.datasets = {}
        for name, table in plan["tables"].items():
            dt = DeltaTable(table["delta"], storage_options=storage_options(plan))
            self.datasets[name] = dt.to_pyarrow_dataset()
        self.local = threading.local()

    def cursor(self):
        # one cursor (connection) per thread; a registered dataset is connection-local
        if not hasattr(self.local, "cursor"):
            cursor = self.con.cursor()
            for name, dataset in getattr(self, "datasets", {}).items():
                cursor.register(name, dataset)
            self.local.cursor = cursor
        return self.local.cursor

    def run(self, sql):
        cur = self.cursor()
        cur.execute(sql)
        columns = [d[0] for d in cur.description]
        return columns, cur.fetchall()

    def version(self):
        return f"duckdb {self.duckdb.__version__} (pyarrow dataset via deltalake)"


class DuckDBLocalEngine(DuckDBEngine):
    name = "duckdb-local"

    def setup(self, plan):
        import duckdb
        self.duckdb = duckdb
        self.con = duckdb.connect()
        if plan.get("threads"):
            self.con.execute(f"SET threads = {int(plan['threads'])}")
        for name, table in plan["tables"].items():
            files = table.get("local_files")
            if not files:
                raise RuntimeError(f"no local copy of table {name} in the plan")
            listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            self.con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet([{listing}])')
        self.local = threading.local()

    def version(self):
        return f"duckdb {self.duckdb.__version__} (read_parquet, local copy)"


class PolarsEngine:
    name = "polars"

    def setup(self, plan):
        import polars as pl
        self.pl = pl
        self.frames = {name: pl.scan_delta(t["delta"], storage_options=storage_options(plan))
                       for name, t in plan["tables"].items()}
        self.local = threading.local()

    def run(self, sql):
        if not hasattr(self.local, "ctx"):
            self.local.ctx = self.pl.SQLContext(self.frames)
        df = self.local.ctx.execute(sql).collect()
        return df.columns, df.rows()

    def version(self):
        return f"polars {self.pl.__version__} (scan_delta)"


class DataFusionEngine:
    name = "datafusion"

    def setup(self, plan):
        import datafusion
        from deltalake import DeltaTable
        self.datafusion = datafusion
        config = datafusion.SessionConfig()
        if plan.get("threads"):
            config = config.with_target_partitions(int(plan["threads"]))
        self.ctx = datafusion.SessionContext(config)
        options = storage_options(plan)
        registered = set()
        kinds = set()
        for name, table in plan["tables"].items():
            uri = table["delta"]
            dt = DeltaTable(uri, storage_options=options)
            if uri.startswith("s3://"):
                # delta-rs's table provider (FFI) scans with a session of its own that has no S3
                # store (DataFusion 55 / deltalake 1.6: "No suitable object store"), so DataFusion
                # reads the table's Parquet files itself: a listing table over the table folder
                # (files under _delta_log are not listed). That is only the table when no file was
                # ever removed, which the row-count check below makes sure of.
                self._register_store(uri, options, registered)
                self.ctx.register_parquet(name, uri.rstrip("/") + "/", file_extension=".parquet")
                listed = self.ctx.sql(f'SELECT count(*) FROM "{name}"').to_pylist()[0]
                listed = list(listed.values())[0]
                actions = dt.get_add_actions(flatten=True)
                expected = sum(v for v in actions.column("num_records").to_pylist() if v)
                if listed != expected:
                    raise RuntimeError(f"table {name}: the folder holds {listed} rows, the Delta "
                                       f"snapshot {expected} (removed files): a listing table "
                                       f"would be wrong")
                kinds.add("listing table over the Delta table's Parquet files")
            else:
                self.ctx.register_table(name, dt)
                kinds.add("delta-rs table provider")
        self.how = ", ".join(sorted(kinds))

    def _register_store(self, uri, options, registered):
        from datafusion.object_store import AmazonS3
        bucket = uri[len("s3://"):].split("/", 1)[0]
        if bucket in registered:
            return
        store = AmazonS3(bucket_name=bucket, region=options["AWS_REGION"],
                         access_key_id=options["AWS_ACCESS_KEY_ID"],
                         secret_access_key=options["AWS_SECRET_ACCESS_KEY"],
                         endpoint=options["AWS_ENDPOINT_URL"], allow_http=True)
        self.ctx.register_object_store("s3://", store, bucket)
        registered.add(bucket)

    def run(self, sql):
        table = self.ctx.sql(sql).to_arrow_table()
        return table.column_names, [tuple(r.values()) for r in table.to_pylist()]

    def version(self):
        return f"datafusion {self.datafusion.__version__} ({self.how})"


class SparkEngine:
    name = "spark"

    def setup(self, plan):
        sys.path.insert(0, os.path.join(REPO, "tests", "spark_support"))
        import nlspark
        confs = {"spark.sql.session.timeZone": "UTC", "spark.ui.enabled": "false"}
        self.spark = nlspark.spark_session("neuralake-bench", extra_confs=confs)
        for name, table in plan["tables"].items():
            uri = table["delta"].replace("s3://", "s3a://", 1)
            self.spark.read.format("delta").load(uri).createOrReplaceTempView(name)

    def run(self, sql):
        df = self.spark.sql(sql)
        rows = df.collect()
        return df.columns, [tuple(r) for r in rows]

    def version(self):
        return f"spark {self.spark.version} (delta-spark, s3a)"

    def close(self):
        """Stops Spark and waits for its JVM, so the harness's CPU and peak-RSS figures (wait4 on
        this worker) include the JVM's."""
        gateway = self.spark.sparkContext._gateway
        proc = getattr(gateway, "proc", None)
        self.spark.stop()
        try:
            gateway.shutdown()
        except Exception:  # noqa: BLE001 -- already down
            pass
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=60)
            except Exception:  # noqa: BLE001 -- the harness ends the session anyway
                pass


class NeuralakeCliEngine:
    name = "neuralake-cli"

    def setup(self, plan):
        self.binary = plan.get("neuralake") or os.path.join(REPO, "build", "bin", "neuralake")
        self.catalog = plan["catalog_path"]
        self.timeout = plan.get("timeout_s", 600)
        out = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        self._version = (out.stdout.strip() or out.stderr.strip() or "neuralake").splitlines()[0]

    def run(self, sql):
        args = [self.binary, "sql", "--catalog", self.catalog, "--format", "json", "--quiet",
                "--timeout", f"{int(self.timeout)}s", sql]
        out = subprocess.run(args, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError((out.stderr.strip() or f"exit {out.returncode}").splitlines()[-1])
        columns, rows = [], []
        for line in out.stdout.splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if not columns:
                columns = list(record.keys())
            rows.append(tuple(record.values()))
        return columns, rows

    def version(self):
        return f"{self._version} (CLI, a process per query)"


ENGINES = {e.name: e for e in (DuckDBEngine, DuckDBLocalEngine, PolarsEngine, DataFusionEngine,
                               SparkEngine, NeuralakeCliEngine)}


# ---------------------------------------------------------------------------------------------


class Results:
    """The result file, rewritten (atomically) after every change."""

    def __init__(self, plan):
        self.path = plan["result_path"]
        self.data = {"engine": plan["engine"], "suite": plan["suite"], "engine_version": None,
                     "status": "running", "error": None, "setup_s": None, "queries": [],
                     "throughput": []}

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=1)
        os.replace(tmp, self.path)


def log(plan, text):
    print(f"{plan['suite']} {plan['engine']} {text}", file=sys.stderr, flush=True)


def first_line(error):
    java = getattr(error, "java_exception", None)  # py4j: the JVM's exception says what failed
    if java is not None:
        try:
            return str(java.toString()).splitlines()[0][:400]
        except Exception:  # noqa: BLE001 -- the gateway may be gone
            pass
    text = str(error).strip() or repr(error)
    return text.splitlines()[0][:400]


def run_with_timeout(fn, timeout_s):
    """fn() in a thread; (value, error, timed_out)."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as error:  # noqa: BLE001 -- any engine failure is a result
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        return None, None, True
    return box.get("value"), box.get("error"), False


def crash_hook(plan, query):
    """Test hook: NEURALAKE_BENCH_CRASH=engine:query makes that engine's worker die there."""
    target = os.environ.get("NEURALAKE_BENCH_CRASH", "")
    if target and target == f"{plan['engine']}:{query}":
        log(plan, f"{query}: crashing on purpose (NEURALAKE_BENCH_CRASH)")
        os.abort()


def corrupt_hook(plan, query, rows):
    """Test hook: NEURALAKE_BENCH_CORRUPT=engine:query adds 1 to that answer's first number, so
    the harness's comparison is shown to catch a wrong answer."""
    if os.environ.get("NEURALAKE_BENCH_CORRUPT", "") != f"{plan['engine']}:{query}":
        return rows
    rows = [list(r) for r in rows]
    for row in rows:
        for i, v in enumerate(row):
            if isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool):
                row[i] = v + 1
                return rows
    return rows


def run_queries(plan, engine, results):
    repeats = int(plan.get("repeats", 3))
    timeout_s = float(plan.get("timeout_s", 600))
    os.makedirs(plan["answers_dir"], exist_ok=True)
    for index, query in enumerate(plan["queries"]):
        name, sql = query["name"], query["sql"]
        entry = {"name": name, "status": "ok", "error": None, "cold_ms": None, "warm_ms": [],
                 "rows": None, "cpu_s": None, "bytes_read": None, "answer": None}
        results.data["queries"].append(entry)
        crash_hook(plan, name)
        if query.get("unsupported"):
            entry["status"], entry["error"] = "unsupported", query["unsupported"]
            results.save()
            log(plan, f"{name} unsupported: {query['unsupported']}")
            continue
        endpoint = (plan.get("storage") or {}).get("endpoint", "http://127.0.0.1:9000")
        cpu0, io0, s3_0 = tree_cpu(), tree_rchar(), minio_counters(endpoint)
        start = time.perf_counter()
        value, error, timed_out = run_with_timeout(lambda: engine.run(sql), timeout_s)
        cold = (time.perf_counter() - start) * 1000
        s3_1 = minio_counters(endpoint)
        # object-store bytes as MinIO counted them (the only client while this engine runs) plus
        # local file reads (rchar: read()/pread(), which HTTP clients' recv() is not)
        entry["bytes_read"] = tree_rchar() - io0
        if s3_0 and s3_1:
            entry["bytes_read"] += int(s3_1[0] - s3_0[0])
            entry["s3_gets"] = int(s3_1[1] - s3_0[1])
        if timed_out:
            entry["status"], entry["error"] = "timeout", f"over {timeout_s:g} s"
            for rest in plan["queries"][index + 1:]:
                results.data["queries"].append({"name": rest["name"], "status": "skipped",
                                                "error": f"after {name} timed out"})
            results.data["status"] = "timeout"
            results.save()
            log(plan, f"{name} timeout after {timeout_s:g} s: stopping this engine")
            sys.stdout.flush()
            os._exit(3)
        if error is not None:
            entry["status"], entry["error"] = "error", first_line(error)
            entry["cpu_s"] = tree_cpu() - cpu0
            results.save()
            log(plan, f"{name} error: {entry['error']}")
            continue
        columns, rows = value
        rows = corrupt_hook(plan, name, rows)
        entry["cold_ms"], entry["rows"] = cold, len(rows)
        answer_path = os.path.join(plan["answers_dir"], f"{name}.json")
        with open(answer_path, "w") as f:
            json.dump({"columns": list(columns), "rows": [[cell(v) for v in r] for r in rows]}, f)
        entry["answer"] = answer_path
        for _ in range(repeats):
            start = time.perf_counter()
            value, error, timed_out = run_with_timeout(lambda: engine.run(sql), timeout_s)
            if timed_out or error is not None:
                entry["status"] = "error"
                entry["error"] = "a warm run failed: " + (first_line(error) if error else "timeout")
                break
            entry["warm_ms"].append((time.perf_counter() - start) * 1000)
        entry["cpu_s"] = tree_cpu() - cpu0
        results.save()
        warm = sorted(entry["warm_ms"])
        p50 = f"{warm[len(warm) // 2]:.1f} ms" if warm else "-"
        log(plan, f"{name} {entry['status']} cold {cold:.1f} ms warm p50 {p50} rows {len(rows)}")


def run_throughput(plan, engine, results):
    names = plan.get("throughput_queries") or []
    ok = {q["name"] for q in results.data["queries"] if q.get("status") == "ok"}
    sql_of = {q["name"]: q["sql"] for q in plan["queries"]}
    mix = [n for n in names if n in ok]
    if not mix:
        return
    rounds = int(plan.get("throughput_rounds", 2))
    for concurrency in plan.get("concurrency") or []:
        counts = {"done": 0, "errors": 0}
        lock = threading.Lock()

        def client(i):
            for r in range(rounds):
                for k in range(len(mix)):
                    name = mix[(i + k) % len(mix)]
                    try:
                        engine.run(sql_of[name])
                        with lock:
                            counts["done"] += 1
                    except Exception:  # noqa: BLE001 -- counted, the run goes on
                        with lock:
                            counts["errors"] += 1

        threads = [threading.Thread(target=client, args=(i,), daemon=True)
                   for i in range(int(concurrency))]
        cpu0 = tree_cpu()
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - start
        entry = {"concurrency": int(concurrency), "queries": counts["done"],
                 "errors": counts["errors"], "seconds": seconds,
                 "qps": counts["done"] / seconds if seconds > 0 else None,
                 "cpu_s": tree_cpu() - cpu0}
        results.data["throughput"].append(entry)
        results.save()
        log(plan, f"concurrency {concurrency}: {counts['done']} queries in {seconds:.2f} s "
                  f"= {entry['qps']:.2f} q/s, {counts['errors']} errors")


def main():
    if len(sys.argv) != 2:
        print("usage: worker.py PLAN.json", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            plan = json.load(f)
        results = Results(plan)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: cannot read plan {sys.argv[1]}: {first_line(error)}", file=sys.stderr)
        return 2
    engine_class = ENGINES.get(plan["engine"])
    if engine_class is None:
        results.data["status"] = "unknown-engine"
        results.data["error"] = (f"unknown engine '{plan['engine']}' (this worker runs: "
                                 f"{', '.join(sorted(ENGINES))})")
        results.save()
        return 0
    engine = engine_class()
    start = time.perf_counter()
    try:
        engine.setup(plan)
    except Exception as error:  # noqa: BLE001 -- reported as this engine's failure
        results.data["status"] = "setup-failed"
        results.data["error"] = first_line(error)
        results.save()
        log(plan, f"setup failed: {results.data['error']}")
        return 0
    results.data["setup_s"] = time.perf_counter() - start
    results.data["engine_version"] = engine.version()
    results.save()
    log(plan, f"{results.data['engine_version']} ready in {results.data['setup_s']:.2f} s")
    run_queries(plan, engine, results)
    run_throughput(plan, engine, results)
    results.data["status"] = "ok"
    results.save()
    if hasattr(engine, "close"):
        engine.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # Spark's JVM and engine thread pools can hold the interpreter open: leave at once.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
