"""Neuralake benchmark harness: query and operation suites, every engine side by side, one run.

    harness.py --suites tpch,events --sf 1 --engines all [--repeats 5] [--concurrency 1,4,16]
               [--out DIR] [--no-generate] [--no-lake] [--timeout 600]

Each (suite, engine) runs in its own worker process (PROTOCOL.md); the harness measures it from
outside (wall time, CPU seconds and peak RSS of the process tree via wait4, bytes and GETs MinIO
served meanwhile), compares every engine's answers (checksums, then a tolerance), writes
RUN/results.json, the report (report.html, summary.md, plots) and appends the run to the
`bench.runs` Delta table in the lake. The last line printed is the run folder.

Exit status: 0 when every answer agreed; 1 when an answer was wrong (the report says which);
2 for a command line the harness cannot run. An unknown suite or engine, a missing dataset or a
crashed engine is reported for that suite/engine and the run goes on with the others.
"""
import argparse
import datetime
import json
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import answers  # noqa: E402
import procstats  # noqa: E402
from datasets import Datasets, MissingDataset  # noqa: E402

PY = sys.executable
QUERY_ENGINES = ["neuralake", "neuralake-cli", "duckdb", "duckdb-local", "polars", "datafusion",
                 "spark"]
SUITES = {
    # name: dataset, engines, worker kind, query folder, throughput mix
    "tpch": {"dataset": "tpch", "engines": QUERY_ENGINES, "kind": "query",
             "queries": os.path.join(REPO, "tests", "tpch", "queries"),
             "throughput": ["q01", "q03", "q06", "q12", "q14"]},
    "selective": {"dataset": "clicks", "engines": QUERY_ENGINES, "kind": "query",
                  "queries": os.path.join(HERE, "suites", "selective"),
                  "throughput": ["s01", "s02", "s03", "s04"]},
    "events": {"dataset": "clicks", "engines": QUERY_ENGINES, "kind": "query",
               "queries": os.path.join(HERE, "suites", "events"),
               "throughput": ["q01", "q02", "q05", "q08"]},
    "api": {"dataset": "clicks", "engines": ["neuralake", "fastapi-polars", "fastapi-datafusion"],
            "kind": "api"},
    "write": {"dataset": None, "engines": ["neuralake", "delta-rs"], "kind": "write"},
    "ingest": {"dataset": None, "engines": ["neuralake", "python-peer"], "kind": "ingest"},
}
ALL_ENGINES = sorted({e for s in SUITES.values() for e in s["engines"]})
# The order engines run in (and the preference among equal-sized answer groups).
ENGINE_ORDER = ["neuralake", "neuralake-cli", "duckdb", "duckdb-local", "polars", "datafusion",
                "spark", "delta-rs", "python-peer", "fastapi-polars", "fastapi-datafusion"]
RUNS_TABLE = "s3://lake/bench/runs"


def log(text):
    print(f"[harness] {text}", flush=True)


def storage_from_env():
    return {"endpoint": os.environ.get("NEURALAKE_S3_ENDPOINT", "http://127.0.0.1:9000"),
            "access_key": os.environ.get("NEURALAKE_S3_ACCESS_KEY", "minioadmin"),
            "secret_key": os.environ.get("NEURALAKE_S3_SECRET_KEY", "minioadmin"),
            "region": os.environ.get("NEURALAKE_S3_REGION", "us-east-1"), "allow_http": True}


def delta_rs_options(storage):
    return {"AWS_ENDPOINT_URL": storage["endpoint"], "AWS_ACCESS_KEY_ID": storage["access_key"],
            "AWS_SECRET_ACCESS_KEY": storage["secret_key"], "AWS_REGION": storage["region"],
            "AWS_ALLOW_HTTP": "true"}


# ---------------------------------------------------------------------------------------------
# MinIO's own counters: bytes it sent and GET requests it served (Prometheus text, public).

def minio_counters(storage):
    return procstats.minio_counters(storage["endpoint"])


# ---------------------------------------------------------------------------------------------


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


DIALECTS = {"neuralake": ["neuralake", "duckdb"], "neuralake-cli": ["neuralake", "duckdb"],
            "duckdb-local": ["duckdb"]}


def read_queries(folder, engine):
    """[{name, sql}] for an engine. qNN.sql is DuckDB's dialect (our engine's); qNN.<dialect>.sql
    overrides it for an engine (neuralake and neuralake-cli take the duckdb override too, and
    duckdb-local takes duckdb's); qNN.<dialect>.skip (one line: why) marks the query unsupported."""
    if not os.path.isdir(folder):
        return []
    dialects = DIALECTS.get(engine, [engine])
    out = []
    names = sorted({f.split(".")[0] for f in os.listdir(folder) if f.endswith(".sql")})
    for name in names:
        query = None
        for dialect in dialects:
            skip = os.path.join(folder, f"{name}.{dialect}.skip")
            path = os.path.join(folder, f"{name}.{dialect}.sql")
            if os.path.exists(skip):
                with open(skip) as f:
                    query = {"name": name, "sql": "", "unsupported": f.read().strip()}
                break
            if os.path.exists(path):
                with open(path) as f:
                    query = {"name": name, "sql": f.read()}
                break
        if query is None:
            with open(os.path.join(folder, f"{name}.sql")) as f:
                query = {"name": name, "sql": f.read()}
        out.append(query)
    return out


def write_catalog(path, tables_by_dataset):
    databases = {}
    for tables in tables_by_dataset.values():
        for name, spec in tables.items():
            databases.setdefault(spec["database"], {})[name] = spec["delta"]
    lines = ["databases:"]
    for database, tables in sorted(databases.items()):
        lines += [f"  {database}:", "    tables:"]
        for name, uri in sorted(tables.items()):
            lines.append(f'      {name}: {{type: delta, uri: "{uri}"}}')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


class Run:
    def __init__(self, args):
        self.args = args
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.run_id = self.started.strftime("%Y%m%d-%H%M%S") + f"-sf{args.sf:g}"
        root = args.out or os.path.join(os.environ.get("NEURALAKE_CACHE", os.path.expanduser(
            "~/.cache/neuralake")), "bench", "runs")
        self.dir = os.path.join(root, self.run_id)
        for sub in ("plans", "raw", "answers", "logs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        # the code measured: the tree when the run starts
        git = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        self.git = git + ("+dirty" if dirty else "")
        self.storage = storage_from_env()
        self.neuralake = args.neuralake
        self.datasets = Datasets(self.neuralake, args.datasets_root, args.sf,
                                 generate=not args.no_generate, log=log)
        self.tables = {}  # dataset -> tables
        self.dataset_errors = {}
        self.runs = []
        self.reference = {}

    # -- planning ------------------------------------------------------------------------------
    def engines_for(self, suite):
        if self.args.engines == "all":
            return [e for e in ENGINE_ORDER if e in SUITES[suite]["engines"]]
        return [e for e in self.args.engine_list if e in SUITES[suite]["engines"]]

    def dataset(self, name):
        if name is None:
            return {}
        if name in self.dataset_errors:
            raise MissingDataset(self.dataset_errors[name])
        if name not in self.tables:
            try:
                self.tables[name] = self.datasets.ensure(name)
            except (MissingDataset, RuntimeError) as error:
                self.dataset_errors[name] = str(error)
                raise MissingDataset(str(error)) from error
        return self.tables[name]

    def plan(self, suite, engine, tables):
        spec = SUITES[suite]
        plan = {
            "engine": engine, "suite": suite, "run_id": self.run_id, "sf": self.args.sf,
            "result_path": os.path.join(self.dir, "raw", f"{suite}.{engine}.json"),
            "answers_dir": os.path.join(self.dir, "answers", suite, engine),
            "catalog_path": os.path.join(self.dir, f"catalog-{suite}.yaml"),
            "tables": json.loads(json.dumps(tables)),
            "storage": self.storage, "repeats": self.args.repeats,
            "concurrency": self.args.concurrency_list,
            "throughput_queries": spec.get("throughput", []),
            "throughput_rounds": self.args.throughput_rounds,
            "timeout_s": self.args.timeout, "threads": self.args.threads,
            "neuralake": self.neuralake,
            "scratch": f"s3://lake/bench/scratch/{self.run_id}/{suite}/{engine}",
            "rows": int(self.args.write_rows or max(1000, 1_000_000 * self.args.sf)),
            "messages": int(self.args.ingest_messages or max(1000, 200_000 * self.args.sf)),
            "duration_s": self.args.api_duration,
        }
        if spec["kind"] == "query":
            plan["queries"] = read_queries(spec["queries"], engine)
            if self.args.queries:
                wanted = set(self.args.queries.split(","))
                plan["queries"] = [q for q in plan["queries"] if q["name"] in wanted]
            names = {q["name"] for q in plan["queries"]}
            plan["throughput_queries"] = [q for q in plan["throughput_queries"] if q in names]
        if engine == "duckdb-local" and tables:
            self.datasets.local_copy(spec["dataset"], plan["tables"],
                                     delta_rs_options(self.storage),
                                     os.path.join(os.environ.get("NEURALAKE_CACHE", os.path.expanduser(
                                         "~/.cache/neuralake")), "bench-data", "mirror"))
        return plan

    def command(self, suite, engine, plan_path):
        kind = SUITES[suite]["kind"]
        if kind == "query" and engine == "neuralake":
            return [self.args.bench_worker, plan_path]
        script = {"query": "worker.py", "api": "api_worker.py", "write": "write_worker.py",
                  "ingest": "ingest_worker.py"}[kind]
        return [PY, os.path.join(HERE, script), plan_path]

    # -- running one worker ----------------------------------------------------------------------
    def run_worker(self, suite, engine, tables):
        entry = {"suite": suite, "engine": engine, "engine_version": None, "status": None,
                 "error": None, "wall_s": None, "cpu_s": None, "peak_rss_mb": None,
                 "s3_bytes": None, "s3_gets": None, "setup_s": None, "queries": [],
                 "throughput": [], "load_before": list(os.getloadavg())}
        try:
            plan = self.plan(suite, engine, tables)
        except Exception as error:  # noqa: BLE001 -- e.g. the local copy failed
            entry["status"], entry["error"] = "setup-failed", answers_first_line(error)
            return entry
        plan_path = os.path.join(self.dir, "plans", f"{suite}.{engine}.json")
        with open(plan_path, "w") as f:
            json.dump(plan, f, indent=1)
        command = self.command(suite, engine, plan_path)
        if not os.path.exists(command[0] if command[0] != PY else command[1]):
            entry["status"], entry["error"] = "crashed", f"{command[0]} not found (build it first)"
            return entry
        log_path = os.path.join(self.dir, "logs", f"{suite}.{engine}.log")
        log(f"{suite} / {engine}: starting ({os.path.basename(command[-2] if command[0] == PY else command[0])})")
        before = minio_counters(self.storage)
        start = time.monotonic()
        env = dict(os.environ, TZ="UTC")  # time buckets in UTC for every engine
        with open(log_path, "w") as log_file:
            proc = subprocess.Popen(command, stdout=log_file, stderr=subprocess.PIPE, text=True,
                                    env=env, start_new_session=True, cwd=REPO)
            tail = []

            def pump():
                for line in proc.stderr:
                    log_file.write(line)
                    log_file.flush()
                    tail.append(line.rstrip())
                    del tail[:-20]
                    print(f"  {line.rstrip()}", flush=True)

            reader = threading.Thread(target=pump, daemon=True)
            reader.start()
            budget = self.args.engine_budget
            killed = {"flag": False}

            def kill():
                killed["flag"] = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass

            timer = threading.Timer(budget, kill)
            timer.start()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            timer.cancel()
            # descendants that outlived the worker (a JVM): end them with their session
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            reader.join(5)
        entry["wall_s"] = time.monotonic() - start
        entry["cpu_s"] = usage.ru_utime + usage.ru_stime
        entry["peak_rss_mb"] = usage.ru_maxrss / 1024
        after = minio_counters(self.storage)
        if before and after:
            entry["s3_bytes"] = int(after[0] - before[0])
            entry["s3_gets"] = int(after[1] - before[1])
        raw = None
        if os.path.exists(plan["result_path"]):
            try:
                raw = answers.load(plan["result_path"])
            except ValueError:
                raw = None
        if raw:
            for key in ("engine_version", "setup_s", "queries", "throughput", "status", "error"):
                if raw.get(key) is not None:
                    entry[key] = raw[key]
        code = proc.returncode
        if entry["status"] == "error":  # the C++ worker's word for a setup failure
            entry["status"] = "setup-failed"
        if killed["flag"]:
            entry["status"] = "timeout"
            entry["error"] = f"killed after the engine budget of {budget:g} s"
        elif code != 0 and entry["status"] not in ("timeout", "setup-failed", "unknown-engine"):
            how = f"signal {-code}" if code < 0 else f"exit {code}"
            last = next((t for t in reversed(tail) if t.strip()), "")
            entry["status"] = "crashed"
            entry["error"] = f"worker died ({how})" + (f": {last[:300]}" if last else "")
        elif entry["status"] in (None, "running"):
            entry["status"] = "crashed"
            entry["error"] = "worker ended without finishing its result"
        for query in entry["queries"]:
            warm = query.get("warm_ms") or []
            query["p50_ms"] = percentile(warm, 0.50)
            query["p95_ms"] = percentile(warm, 0.95)
            query["p99_ms"] = percentile(warm, 0.99)
        log(f"{suite} / {engine}: {entry['status']} in {entry['wall_s']:.1f} s, CPU "
            f"{entry['cpu_s']:.1f} s, peak RSS {entry['peak_rss_mb']:.0f} MB"
            + (f", MinIO sent {entry['s3_bytes'] / 1e6:.1f} MB in {entry['s3_gets']} GETs"
               if entry["s3_bytes"] is not None else "")
            + (f" -- {entry['error']}" if entry["error"] else ""))
        return entry

    # -- answers ---------------------------------------------------------------------------------
    def check_answers(self, suite, entries):
        """Groups each query's answers by agreement; the largest group (ties: engine order) is
        the consensus. Returns the number of wrong answers."""
        wrong = 0
        by_query = {}
        for entry in entries:
            for query in entry["queries"]:
                if query.get("status") == "ok" and query.get("answer"):
                    try:
                        rows = answers.normalize(answers.load(query["answer"]))
                    except (OSError, ValueError) as error:
                        query["status"], query["error"] = "error", f"unreadable answer: {error}"
                        continue
                    query["checksum"] = answers.checksum(rows)
                    by_query.setdefault(query["name"], []).append((entry["engine"], rows, query))
        for name, found in by_query.items():
            groups = []  # [rows, [(engine, query)]]
            for engine, rows, query in found:
                for group in groups:
                    if answers.checksum(group[0]) == query["checksum"] or \
                            answers.compare(group[0], rows) is None:
                        group[1].append((engine, query, rows))
                        break
                else:
                    groups.append([rows, [(engine, query, rows)]])
            groups.sort(key=lambda g: (-len(g[1]), ENGINE_ORDER.index(g[1][0][0])
                                       if g[1][0][0] in ENGINE_ORDER else 99))
            consensus = groups[0]
            tie = len(groups) > 1 and len(groups[1][1]) == len(consensus[1])
            reference_checksum = answers.checksum(consensus[0])
            for group_index, group in enumerate(groups):
                for engine, query, rows in group[1]:
                    if group_index == 0 and not tie:
                        query["match"] = "exact" if query["checksum"] == reference_checksum \
                            else "tolerance"
                        if len(found) == 1:
                            query["match"] = "only-answer"
                    else:
                        query["match"] = "wrong"
                        query["status"] = "wrong"
                        reason = answers.compare(consensus[0], rows) if group_index else \
                            "engines disagree with no majority"
                        query["error"] = (f"answer differs from {len(consensus[1])} engine(s) "
                                          f"({', '.join(e for e, _, _ in consensus[1])}): {reason}")
                        wrong += 1
                        log(f"WRONG ANSWER {suite} {name} {engine}: {query['error']}")
        return wrong

    # -- the run ---------------------------------------------------------------------------------
    def execute(self):
        wrong = 0
        for suite in self.args.suite_list:
            if suite not in SUITES:
                log(f"unknown suite '{suite}' (suites: {', '.join(SUITES)}): skipped")
                self.runs.append({"suite": suite, "engine": "-", "status": "unknown-suite",
                                  "error": f"unknown suite '{suite}' (suites: {', '.join(SUITES)})",
                                  "queries": [], "throughput": []})
                continue
            engines = self.engines_for(suite)
            try:
                tables = self.dataset(SUITES[suite]["dataset"])
            except MissingDataset as error:
                for engine in engines:
                    self.runs.append({"suite": suite, "engine": engine, "status": "missing-dataset",
                                      "error": str(error), "queries": [], "throughput": []})
                log(f"{suite}: {error}")
                continue
            # one catalog per suite, holding only its dataset: queries name tables unqualified
            write_catalog(os.path.join(self.dir, f"catalog-{suite}.yaml"), {suite: tables})
            entries = [self.run_worker(suite, engine, tables) for engine in engines]
            wrong += self.check_answers(suite, entries)
            self.runs.extend(entries)
            self.save()
        for engine in self.args.engine_list:
            if engine not in ALL_ENGINES:
                log(f"unknown engine '{engine}' (engines: {', '.join(ALL_ENGINES)}): skipped")
                self.runs.append({"suite": "-", "engine": engine, "status": "unknown-engine",
                                  "error": f"unknown engine '{engine}' (engines: "
                                           f"{', '.join(ALL_ENGINES)})",
                                  "queries": [], "throughput": []})
        return wrong

    def status(self, wrong):
        if wrong:
            return "wrong-answers"
        bad = [r for r in self.runs if r.get("status") != "ok"]
        bad_queries = [q for r in self.runs for q in r.get("queries", [])
                       if q.get("status") not in ("ok", "unsupported")]
        return "errors" if bad or bad_queries else "ok"

    def results(self, wrong, history=None):
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        return {
            "run_id": self.run_id, "started": self.started.isoformat(timespec="seconds"),
            "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": {"name": platform.node(), "cores": os.cpu_count(),
                     "memory_gb": round(mem_gb, 1), "load_before": self.load_before},
            "git": self.git, "sf": self.args.sf,
            "suites": self.args.suite_list, "engines": self.args.engine_list,
            "repeats": self.args.repeats, "concurrency": self.args.concurrency_list,
            "datasets_root": self.args.datasets_root,
            "status": self.status(wrong), "wrong_answers": wrong,
            "runs": self.runs, "history": history or [],
        }

    def save(self, wrong=0, history=None):
        path = os.path.join(self.dir, "results.json")
        with open(path + ".tmp", "w") as f:
            json.dump(self.results(wrong, history), f, indent=1)
        os.replace(path + ".tmp", path)


def answers_first_line(error):
    text = str(error).strip() or repr(error)
    return text.splitlines()[0][:400]


def parse_args(argv):
    parser = argparse.ArgumentParser(description="benchmark suites, every engine side by side")
    parser.add_argument("--suites", default="tpch",
                        help=f"comma-separated: {', '.join(SUITES)} or all")
    parser.add_argument("--engines", default="all",
                        help=f"comma-separated: {', '.join(ENGINE_ORDER)} or all")
    parser.add_argument("--sf", type=float, default=1.0, help="scale factor (TPC-H SF; events "
                        "6M rows x SF)")
    parser.add_argument("--repeats", type=int, default=5, help="warm runs per query")
    parser.add_argument("--concurrency", default="1,4,16", help="client counts for queries/s "
                        "('' for none)")
    parser.add_argument("--throughput-rounds", type=int, default=2,
                        help="passes over the suite's throughput mix per client")
    parser.add_argument("--queries", default="", help="only these query names (q01,q06)")
    parser.add_argument("--timeout", type=float, default=600, help="per-query timeout, s")
    parser.add_argument("--engine-budget", type=float, default=7200,
                        help="a worker still running after this many seconds is killed")
    parser.add_argument("--threads", type=int, default=0, help="engine threads (0: all cores)")
    parser.add_argument("--datasets-root", default="s3://lake/bench/datasets")
    parser.add_argument("--no-generate", action="store_true",
                        help="never generate data: a missing dataset is reported")
    parser.add_argument("--no-lake", action="store_true", help="do not append to bench.runs")
    parser.add_argument("--runs-table", default=RUNS_TABLE)
    parser.add_argument("--write-rows", type=int, default=0, help="write suite base rows")
    parser.add_argument("--ingest-messages", type=int, default=0, help="ingest suite messages")
    parser.add_argument("--api-duration", type=float, default=10, help="api suite seconds per "
                        "concurrency level")
    parser.add_argument("--out", default="", help="runs folder (default "
                        "$NEURALAKE_CACHE/bench/runs)")
    parser.add_argument("--neuralake", default=os.path.join(REPO, "build", "bin", "neuralake"))
    parser.add_argument("--bench-worker", default=os.path.join(REPO, "build", "bin",
                                                               "bench_worker"))
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--report", default="", metavar="RUN_DIR",
                        help="only rebuild RUN_DIR's report, its scaling history refreshed from "
                             "bench.runs")
    args = parser.parse_args(argv)
    args.suite_list = list(SUITES) if args.suites == "all" else \
        [s.strip() for s in args.suites.split(",") if s.strip()]
    args.engine_list = ENGINE_ORDER if args.engines == "all" else \
        [e.strip() for e in args.engines.split(",") if e.strip()]
    try:
        args.concurrency_list = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        parser.error(f"--concurrency: not a list of integers: {args.concurrency}")
    if args.sf <= 0:
        parser.error("--sf must be > 0")
    if not args.suite_list:
        parser.error("no suite given")
    return args


def rebuild_report(run_dir, args):
    """--report RUN_DIR: the run's history refreshed from bench.runs (runs made since, at other
    scale factors), then its report built again."""
    import report
    import runs_table
    path = os.path.join(run_dir, "results.json")
    results = answers.load(path)
    results["history"] = runs_table.history(args.neuralake, run_dir, results.get("suites", []),
                                            args.runs_table, exclude_run=results["run_id"])
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(path + ".tmp", path)
    written = report.build_report(run_dir)
    log(f"report rebuilt with {len(results['history'])} history rows: {len(written)} files")
    print(run_dir, flush=True)
    return 0


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if args.report:
        return rebuild_report(args.report, args)
    if not os.path.exists(args.neuralake):
        print(f"error: {args.neuralake} not found: build first (make build)", file=sys.stderr)
        return 2
    run = Run(args)
    run.load_before = list(os.getloadavg())
    log(f"run {run.run_id}: suites {','.join(args.suite_list)}, engines {args.engines}, "
        f"SF {args.sf:g}, repeats {args.repeats}, concurrency {args.concurrency or '-'}")
    wrong = run.execute()
    import runs_table
    history = []
    if not args.no_lake:
        history = runs_table.history(run.neuralake, run.dir, args.suite_list, args.runs_table,
                                     exclude_run=run.run_id)
    run.save(wrong, history)
    if not args.no_lake:
        runs_table.append(run, args.runs_table, os.path.join(run.dir, "results.json"))
    if not args.no_report:
        try:
            import report
            written = report.build_report(run.dir)
            log(f"report: {', '.join(os.path.basename(w) for w in written[:3])} ...")
        except Exception as error:  # noqa: BLE001 -- the results stay; the report is reported
            log(f"report failed: {answers_first_line(error)}")
    results = answers.load(os.path.join(run.dir, "results.json"))
    log(f"status {results['status']}" + (f": {wrong} wrong answer(s)" if wrong else ""))
    print(run.dir, flush=True)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
